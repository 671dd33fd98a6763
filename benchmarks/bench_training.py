"""Training throughput: models.train with the app's live observers vs plain model.fit.

The observers are what a page attaches: a per-batch progress reader (throttled,
like the page's progress bar) and the page's per-epoch explainer snapshot (feature
maps and filters for the CNN, stage maps for the U-Net, attention weights on 100
held-out notes for the attention model).
"""
from __future__ import annotations


import keras
import numpy as np

from benchmarks.common import PAIRED_ROUNDS, PageProgress, Row, paired_epochs

__all__ = ["MODELS", "samples_per_s", "run"]

MODELS = ("cnn", "unet", "attention")


class _Snapshot:
    """What the page draws after every epoch, with the page's own explainers."""

    def __init__(self, name, x):
        self.name, self.x = name, x
        self.recorder = None
        if name == "attention":
            from explainers.attention import AttentionRecorder

            self.recorder = AttentionRecorder(x[:100])  # the attention page: weights on held-out notes

    def on_epoch_end(self, p, model):
        if self.recorder is not None:
            self.recorder.on_epoch_end(p, model)
        elif self.name == "unet":
            from explainers.feature_maps import compute_feature_maps
            from explainers.segmentation import STAGE_PATTERN

            # the segmentation page's stage maps
            self.out = compute_feature_maps(model, self.x[0], pattern=STAGE_PATTERN, max_channels=4)
        else:
            from explainers.feature_maps import compute_feature_maps
            from explainers.kernels import compute_filters

            # the CNN page's panels
            self.out = compute_feature_maps(model, self.x[0], max_channels=8), compute_filters(model)


def _fresh(name, seed=0):
    from models.zoo import build_model

    model = build_model(name, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=_loss(name), steps_per_execution=1)
    return model


def _loss(name):
    from models.losses import bce_dice_loss

    return {"unet": bce_dice_loss, "attention": "sparse_categorical_crossentropy"}.get(name, "binary_crossentropy")


def samples_per_s(name: str, quick: bool) -> tuple[float, float, float, str, int]:
    """Median samples/s of ours and of plain fit, and the paired overhead, on one model.

    Both sides train the *same* compiled model, one epoch at a time, so the only
    difference is the observers (progress, explainer snapshot, weight copy): two
    separately built models differ by more than the observers cost on a busy CPU.
    """
    from models.training import train
    from models.zoo import demo_data

    # The U-Net is ~10x slower per image: half the images keep its run as long as the others'.
    (x, y), _, _ = demo_data(name, n=128 if quick else (256 if name == "unet" else 512))
    batch = 32
    model = _fresh(name)
    obs = [PageProgress(), _Snapshot(name, x)]
    run_plain = lambda: model.fit(x, y, epochs=1, batch_size=batch, verbose=0)  # noqa: E731
    run_ours = lambda: train(model, x, y, epochs=1, batch_size=batch, observers=obs)  # noqa: E731
    run_plain(), run_ours()  # compile and warm up outside the timing

    plain, ours, overhead = paired_epochs(run_plain, run_ours, **PAIRED_ROUNDS[quick])
    from models.device import device_name

    return float(len(y) / np.median(ours)), float(len(y) / np.median(plain)), overhead, device_name(), len(plain)


def run(quick: bool = False) -> list[Row]:
    rows = []
    cpu_rates = {}
    for name in MODELS:
        ours, plain, overhead, device, rounds = samples_per_s(name, quick)
        cpu_rates[name] = ours
        rows.append(Row("training", f"{name}: models.train + live observers vs model.fit", ours, plain,
                        "samples/s", 1.0 / (1.0 + overhead), "overhead <= 10%", overhead <= 0.10,
                        f"overhead {overhead:+.1%} (median of {rounds} paired epochs) on {device}"))
    if device.startswith("CPU"):
        # The GPU row is kept, not dropped, so the table says plainly that it was not measured.
        for name in MODELS:
            rows.append(Row("training", f"{name}: GPU vs this CPU", float("nan"), cpu_rates[name], "samples/s",
                            None, "report", None,
                            "no GPU available in this run; run `make bench` on a GPU machine "
                            "(KERAS_BACKEND=jax where TensorFlow is not installed)"))
    return rows
