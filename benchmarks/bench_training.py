"""Training throughput: models.train with the app's live observers vs plain model.fit.

The observers are what a page attaches: a per-batch progress reader (throttled,
like the page's progress bar) and the page's per-epoch explainer snapshot (feature
maps and filters for the CNN, stage maps for the U-Net, attention weights on 100
held-out notes for the attention model).
"""
from __future__ import annotations

import gc
import time

import keras
import numpy as np

from benchmarks.common import Row

MODELS = ("cnn", "unet", "attention")


class _Progress:
    def __init__(self):
        self.last, self.text = 0.0, ""

    def on_batch_end(self, p):
        now = time.perf_counter()
        if now - self.last > 0.25:
            self.last = now
            self.text = f"{p.epoch}/{p.epochs} {p.batch}/{p.batches} {p.logs['loss']:.4f}"


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
            from explainers.segmentation import compute_feature_maps

            self.out = compute_feature_maps(model, self.x[0])  # the segmentation page's stage maps
        else:
            from explainers.kernels import compute_feature_maps, filters

            self.out = compute_feature_maps(model, self.x[0]), filters(model)  # the CNN page's panels


def _fresh(name, seed=0):
    from models.zoo import build_model

    keras.utils.set_random_seed(seed)
    model = build_model(name)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=_loss(name), steps_per_execution=1)
    return model


def _loss(name):
    from models.losses import bce_dice_loss

    return {"unet": bce_dice_loss, "attention": "sparse_categorical_crossentropy"}.get(name, "binary_crossentropy")


def samples_per_s(name: str, quick: bool) -> tuple[float, float, str]:
    from models.train import train
    from models.zoo import demo_data

    # The U-Net is ~10x slower per image: half the images keep its run as long as the others'.
    (x, y), _, _ = demo_data(name, n=128 if quick else (256 if name == "unet" else 512))
    rounds, batch = (3 if quick else 9), 32

    def epoch_time(fn):
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    plain_model, ours_model = _fresh(name), _fresh(name)
    obs = [_Progress(), _Snapshot(name, x)]
    run_plain = lambda: plain_model.fit(x, y, epochs=1, batch_size=batch, verbose=0)  # noqa: E731
    run_ours = lambda: train(ours_model, x, y, epochs=1, batch_size=batch, observers=obs)  # noqa: E731
    run_plain(), run_ours()  # compile and warm up outside the timing
    # As the app does after its imports (app_pages/heap.py): a full collection of TensorFlow's
    # ~400k long-lived objects would land at random inside one side's epochs.
    gc.collect()
    gc.freeze()
    # One epoch each, interleaved, order alternating, median of several: single epochs on a
    # shared 2-core machine swing by ±30 %, and the median of many is what a user feels.
    plain, ours = [], []
    for r in range(rounds):
        pair = (run_plain, run_ours) if r % 2 == 0 else (run_ours, run_plain)
        times = [epoch_time(fn) for fn in pair]
        plain.append(len(y) / times[r % 2])
        ours.append(len(y) / times[1 - r % 2])
    gc.unfreeze()
    from models.device import device_name

    return float(np.median(ours)), float(np.median(plain)), device_name()


def run(quick: bool = False) -> list[Row]:
    rows = []
    cpu_rates = {}
    for name in MODELS:
        ours, plain, device = samples_per_s(name, quick)
        cpu_rates[name] = ours
        overhead = plain / ours - 1.0
        rows.append(Row("training", f"{name}: models.train + live observers vs model.fit", ours, plain,
                        "samples/s", ours / plain, "overhead <= 10%", overhead <= 0.10,
                        f"overhead {overhead:+.1%} on {device}"))
    if device.startswith("CPU"):
        # The GPU row is kept, not dropped, so the table says plainly that it was not measured.
        for name in MODELS:
            rows.append(Row("training", f"{name}: GPU vs this CPU", float("nan"), cpu_rates[name], "samples/s",
                            None, "report", None,
                            "no GPU available in this run; run `make bench` on a GPU machine "
                            "(KERAS_BACKEND=jax where TensorFlow is not installed)"))
    return rows
