"""A CNN learns its filters: train on lesion images, watch the first-layer kernels change, transfer.

What this shows: the course CNN starts with random kernels; after a few epochs
on X-ray-like lesion images its first-layer kernels have moved away from where
they started and its feature maps light up on the nodule. Then transfer
learning: pretrain on a related synthetic task (small bright spots on other
backgrounds), fine-tune on 48 lesion images with the lecture's three
strategies, against training from scratch.

Run: python examples/convolutions_cnn.py --out examples_output/ [--epochs 6]
"""
from __future__ import annotations

__all__ = ["main"]

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402


class FilterRecorder:
    """Training observer: keeps a copy of the first conv layer's kernels after every epoch."""

    def __init__(self):
        self.kernels = []

    def on_epoch_end(self, progress, model):
        from explainers.kernels import compute_filters

        self.kernels.append(compute_filters(model).kernels.copy())


def main(out: Path, epochs: int = 6, transfer: bool = True) -> None:
    import keras
    import numpy as np

    from explainers.metrics import compute_threshold_metrics
    from explainers.metrics_plots import plot_confusion
    from explainers.feature_maps import compute_feature_maps
    from explainers.feature_maps_plots import plot_feature_maps
    from explainers.kernels import compute_filters
    from explainers.kernels_plots import plot_filters
    from models import build_cnn
    from models.data import make_lesions
    from models.training import train

    out.mkdir(parents=True, exist_ok=True)
    x, y, _, _ = make_lesions(640, size=64, seed=0)
    x_train, y_train, x_test, y_test = x[:512], y[:512], x[512:], y[512:]
    keras.utils.set_random_seed(1)  # a script, not the app: the global seed fixes Keras' shuffling
    # Seed 1, as the CNN page (models.page_models.lesion_cnn): from seed 0 this net sits at chance
    # for its first 3 epochs before it learns (val accuracy 0.55 -> 0.95 by epoch 7), too slow a demo.
    model = build_cnn((64, 64, 1), n_classes=2, seed=1)
    before = compute_filters(model).kernels.copy()
    recorder = FilterRecorder()
    history = train(model, x_train, y_train, epochs=epochs, batch_size=32, learning_rate=3e-3,
                    validation_data=(x_test, y_test), observers=[recorder])
    print(history.message)
    moved = [float(np.linalg.norm(k - before) / np.linalg.norm(before)) for k in recorder.kernels]
    print("first-layer kernels moved (relative to their start), per epoch:", " ".join(f"{m:.2f}" for m in moved))

    scores = np.asarray(model.predict(x_test, verbose=0)).reshape(len(x_test), -1)[:, -1]
    m = compute_threshold_metrics(y_test, scores, 0.5)
    print(f"test accuracy {m.accuracy:.3f} (sensitivity {m.tpr:.2f}, specificity {m.specificity:.2f}) "
          f"on {len(y_test)} held-out images")

    fig = Figure(figsize=(5, 4), layout="constrained")
    plot_confusion(m, fig.subplots())
    fig.savefig(out / "convolutions_cnn_confusion.png", dpi=80)
    plot_filters(compute_filters(model)).savefig(out / "convolutions_cnn_filters.png", dpi=80)
    nodule = x_test[int(np.argmax(y_test))]
    maps = compute_feature_maps(model, nodule, max_channels=8)
    plot_feature_maps(maps).savefig(out / "convolutions_cnn_feature_maps.png", dpi=80)

    if transfer:
        from explainers.transfer_plots import plot_transfer
        from models.recipes import compare_transfer_strategies

        result = compare_transfer_strategies(48, finetune_epochs=max(epochs, 2))
        print(f"transfer: source task accuracy {result.source_accuracy:.2f}; {result.n_target} lesion images")
        for s in result.strategies:
            print(f"  {s:14s} {result.trainable[s]:6,d} of {result.total:,} parameters trainable, "
                  f"final validation accuracy {result.val_accuracy[s][-1]:.2f}")
        fig = Figure(figsize=(6, 3.5), layout="constrained")
        plot_transfer(result, fig.subplots())
        fig.savefig(out / "convolutions_cnn_transfer.png", dpi=80)
    print(f"saved figures to {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("examples_output"))
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--no-transfer", action="store_true", help="skip the transfer-learning comparison")
    args = parser.parse_args()
    main(args.out, args.epochs, transfer=not args.no_transfer)
