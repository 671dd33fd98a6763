"""Where did the CNN look? Train a nodule detector, then Grad-CAM and saliency maps.

Run::

    python examples/saliency.py --out examples_output/     # 6 epochs on 384 images, hit rate on 96
    python examples/saliency.py --quick                    # 1 epoch on 64 images

Figures are saved as PNG files in ``--out``.
"""
from __future__ import annotations

__all__ = ["main"]

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from explainers.saliency import compute_gradcam, compute_nodule_hit_rate, compute_saliency  # noqa: E402
from explainers.saliency_plots import plot_heatmap, plot_hit_rate  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples_output", help="folder for the PNG figures")
    parser.add_argument("--quick", action="store_true", help="1 epoch on 64 images (for tests)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import keras

    from models import build_cnn
    from models.data import make_lesions
    from models.training import train

    keras.utils.set_random_seed(0)  # the training shuffle (models.train draws it from Keras); a script, not the app
    x, y, _, _ = make_lesions(64 if args.quick else 384, seed=0)
    xv, yv, cv, rv = make_lesions(32 if args.quick else 96, seed=1)
    model = build_cnn(seed=0)
    history = train(model, x, y, epochs=1 if args.quick else 6, learning_rate=3e-3, validation_data=(xv, yv))
    print(f"validation accuracy {history.history['val_accuracy'][-1]:.2f}")

    i = int(np.flatnonzero(yv == 1)[0])
    cam, sal = compute_gradcam(model, xv[i]), compute_saliency(model, xv[i], smoothgrad=16)
    fig = Figure(figsize=(8, 4), layout="constrained")
    a0, a1 = fig.subplots(1, 2)
    plot_heatmap(cam, a0, centre=cv[i], radius=rv[i])
    plot_heatmap(sal, a1, centre=cv[i], radius=rv[i])
    fig.savefig(out / "saliency_one_image.png", dpi=100)

    hits = compute_nodule_hit_rate(model, xv, yv, cv, rv)
    print(f"Grad-CAM peak inside the nodule for {hits.hits} of {hits.true_positives} true positives "
          f"({hits.rate:.0%})")
    if hits.true_positives:
        plot_hit_rate(hits, n=8).savefig(out / "saliency_hit_rate.png", dpi=100)
    print(f"saved figures to {out}/")


if __name__ == "__main__":
    main()
