"""Training throughput: models.train with the app's live observers vs plain model.fit.

The observers are what a page attaches: a per-batch progress reader (throttled,
like the page's progress bar) and a per-epoch snapshot (first-layer weights and
one forward pass on a chosen image, as the explainer panels redraw).
"""
from __future__ import annotations

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
    def __init__(self, x_one):
        self.x_one = x_one

    def on_epoch_end(self, p, model):
        weights = model.layers[1].get_weights()
        self.out = np.asarray(model(self.x_one, training=False)), weights


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

    (x, y), _, _ = demo_data(name, n=128 if quick else 512)
    epochs, batch = (2 if quick else 3), 32

    def timed(fn):
        fn(1)  # compile and warm up outside the timing
        t = time.perf_counter()
        fn(epochs)
        return len(y) * epochs / (time.perf_counter() - t)

    plain_model, ours_model = _fresh(name), _fresh(name)
    plain = timed(lambda e: plain_model.fit(x, y, epochs=e, batch_size=batch, verbose=0))
    obs = [_Progress(), _Snapshot(x[:1])]
    ours = timed(lambda e: train(ours_model, x, y, epochs=e, batch_size=batch, observers=obs))
    # Repeat the plain run to see the noise on this machine.
    plain2 = timed(lambda e: plain_model.fit(x, y, epochs=e, batch_size=batch, verbose=0))
    from models.device import device_name

    return ours, max(plain, plain2), device_name()


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
