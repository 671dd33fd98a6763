"""When to trust a heatmap: train the lesion CNN, run the sanity checks, score each map's faithfulness.

Run::

    python examples/trustworthy_explanations.py            # 5 epochs on 384 images, 8 test images checked
    python examples/trustworthy_explanations.py --quick    # 1 epoch, 2 images (for tests)

Prints, per method, Spearman's ρ of |maps| with the trained maps after the head and after every layer is
randomised (Adebayo et al. 2018; pass mark 0.5), then the deletion and insertion AUCs (mean over the images).
"""
from __future__ import annotations

__all__ = ["main"]

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from explainers.faithfulness import compute_deletion_insertion  # noqa: E402
from explainers.sanity import SANITY_METHODS, compute_sanity_checks  # noqa: E402
from models.recipes.sanity import build_sanity_cnn, sanity_data, train_sanity_cnn  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 epoch, 2 test images (for tests)")
    args = parser.parse_args(argv)

    data = sanity_data(seed=0)
    model = build_sanity_cnn("max", seed=1)  # models.build_cnn's lesion CNN, global max pooling
    history = train_sanity_cnn(model, data, epochs=1 if args.quick else 5)
    print(f"validation accuracy {history.history['val_accuracy'][-1]:.2f}")

    images = data.x_val[np.flatnonzero(data.y_val == 1)[: 2 if args.quick else 8]]
    checks = compute_sanity_checks(model, images, methods=tuple(SANITY_METHODS), seed=0)
    head = checks.head_steps - 1
    print(f"Spearman ρ of |maps| with the trained maps under cascading randomisation (pass: < {checks.threshold}):")
    print(f"  {'method':22s} {'head random':>11s} {'all random':>10s}  verdict")
    for m, label in enumerate(checks.labels):
        print(f"  {label:22s} {checks.cascade_spearman_abs[m, head]:11.2f} {checks.cascade_spearman_abs[m, -1]:10.2f}"
              f"  {'passes' if checks.passes[m] else 'FAILS'}")

    unsigned = ("saliency", "smoothgrad", "guided_backprop")  # ranked by |map|; the others by their sign
    faith = [compute_deletion_insertion(model, im, {lab: np.abs(m[i]) if name in unsigned else m[i]
                                                    for name, lab, m in zip(checks.methods, checks.labels,
                                                                            checks.original)}, seed=0)
             for i, im in enumerate(images)]
    print(f"faithfulness, mean over {len(images)} images (deletion: lower is better; insertion: higher):")
    for k, name in enumerate(faith[0].methods):
        print(f"  {name:22s} deletion {np.mean([f.deletion_auc[k] for f in faith]):.3f}  "
              f"insertion {np.mean([f.insertion_auc[k] for f in faith]):.3f}")


if __name__ == "__main__":
    main()
