"""Training throughput: models.train with the app's live observers vs plain model.fit.

The observers are what a page attaches: a per-batch progress reader (throttled,
like the page's progress bar) and the page's per-epoch explainer snapshot (feature
maps and filters for the CNN, stage maps for the U-Net, attention weights on 100
held-out notes for the attention model).
"""
from __future__ import annotations


import time

import keras
import numpy as np

from benchmarks.common import PAIRED_ROUNDS, PageProgress, Row, paired_epochs

__all__ = ["MODELS", "EPOCHS_PER_CALL", "samples_per_s", "spread", "run"]

MODELS = ("cnn", "unet", "attention")

#: Epochs per train/fit call: 4 calls a side make the 20 epochs the spread is read over.
EPOCHS_PER_CALL = 5


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


class _EpochClock(keras.callbacks.Callback):
    """Wall time of every epoch: from the run's start (or the last epoch's end) to the epoch's end.

    The same object is a Keras callback for plain ``fit`` and an observer of
    ``models.train`` (both call ``on_train_begin`` and ``on_epoch_end`` with two
    arguments); in ``train`` its epoch includes the page's observers before it.
    """

    def __init__(self):
        super().__init__()
        self.times: list[float] = []

    def on_train_begin(self, logs=None):
        self.t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.times.append(now - self.t)
        self.t = now


def spread(times: list[float]) -> float:
    """Slowest epoch over fastest: 1.0 is a steady progress bar."""
    return max(times) / min(times)


def samples_per_s(name: str, quick: bool) -> dict:
    """Samples/s and epoch-time spread of ours and of plain fit, and the paired overhead, on one model.

    Both sides train the *same* compiled model, ``EPOCHS_PER_CALL`` epochs per call (as a page
    trains: one call, several epochs), calls alternating, so the only differences are the
    observers (progress, explainer snapshot, weight copy) and the batches fed to ``fit``: ours
    (``models.batches``) against Keras' own pipeline from NumPy arrays. Each side's epochs are
    timed one by one; the overhead is the median of the calls' paired time ratios.
    """
    from models.training import train
    from models.zoo import demo_data

    # The U-Net is ~10x slower per image: half the images keep its run as long as the others'.
    (x, y), _, _ = demo_data(name, n=128 if quick else (256 if name == "unet" else 512))
    batch, per_call = 32, (2 if quick else EPOCHS_PER_CALL)
    model = _fresh(name)
    obs = [PageProgress(), _Snapshot(name, x)]
    plain_clock, our_clock = _EpochClock(), _EpochClock()
    run_plain = lambda: model.fit(x, y, epochs=per_call, batch_size=batch, verbose=0,  # noqa: E731
                                  callbacks=[plain_clock])
    run_ours = lambda: train(model, x, y, epochs=per_call, batch_size=batch,  # noqa: E731
                             observers=[*obs, our_clock])
    run_plain(), run_ours()  # compile and warm up outside the timing
    plain_clock.times.clear(), our_clock.times.clear()
    rounds = dict(min_rounds=1, max_rounds=1, budget_s=0.0) if quick else \
        dict(min_rounds=4, max_rounds=8, budget_s=90.0)
    plain, ours, overhead = paired_epochs(run_plain, run_ours, **rounds)
    from models.device import device_name

    return dict(ours=float(len(y) / np.median(our_clock.times)), plain=float(len(y) / np.median(plain_clock.times)),
                overhead=overhead, device=device_name(), epochs=len(our_clock.times),
                spread_ours=spread(our_clock.times), spread_plain=spread(plain_clock.times))


def run(quick: bool = False) -> list[Row]:
    rows = []
    cpu_rates = {}
    device = ""
    for name in MODELS:
        r = samples_per_s(name, quick)
        cpu_rates[name], device = r["ours"], r["device"]
        speed = 1.0 / (1.0 + r["overhead"])
        rows.append(Row("training", f"{name}: models.train + live observers vs model.fit", r["ours"], r["plain"],
                        "samples/s", speed, ">= 1.0x fit (paired)", speed >= 1.0,
                        f"paired overhead {r['overhead']:+.1%}; epoch spread (max/min over {r['epochs']} epochs) "
                        f"ours {r['spread_ours']:.2f}, fit {r['spread_plain']:.2f}; on {device}"))
    if device.startswith("CPU"):
        # The GPU row is kept, not dropped, so the table says plainly that it was not measured.
        for name in MODELS:
            rows.append(Row("training", f"{name}: GPU vs this CPU", float("nan"), cpu_rates[name], "samples/s",
                            None, "report", None,
                            "no GPU available in this run; run `make bench` on a GPU machine "
                            "(KERAS_BACKEND=jax where TensorFlow is not installed)"))
    return rows
