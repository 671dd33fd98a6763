"""What the oneDNN crash fix costs (models/onednn.py), side by side in one run.

1. The fix medlens ships: a ResNet whose strided projection shortcut
   subsamples and then convolves at stride 1, against the same ResNet with the
   strided 1×1 convolution of before. Measured at 16 base filters, where the old
   form does not crash, on the same data, in paired back-to-back epochs.
2. The fix medlens does not ship: TensorFlow's oneDNN kernels off
   (``TF_ENABLE_ONEDNN_OPTS=0``) against on, for the CNN, the ResNet and the
   U-Net. The variable is read when TensorFlow loads, so each side runs in its
   own child process; children alternate, on then off, and each reports the
   median of its epochs.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np

from benchmarks.common import PAIRED_ROUNDS, Row, paired_epochs

__all__ = ["projection_rows", "onednn_rows", "run"]

ROOT = Path(__file__).resolve().parents[1]


def _old_projection_resnet(seed: int):
    """build_resnet((64, 64, 1), 2, blocks=(1, 1), base_filters=16) with the strided 1×1 shortcut of before."""
    from keras import layers

    from models._checks import Initializers, head

    init = Initializers(seed)  # seeded by argument, as the builders are
    inputs = keras.Input((64, 64, 1))
    x = layers.Conv2D(16, 3, padding="same", use_bias=False, kernel_initializer=init())(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization(momentum=0.9)(x))
    for filters, stride in ((16, 1), (32, 2)):
        y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, kernel_initializer=init())(x)
        y = layers.Activation("relu")(layers.BatchNormalization(momentum=0.9)(y))
        y = layers.BatchNormalization(momentum=0.9)(
            layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=init())(y))
        shortcut = x
        if stride != 1 or x.shape[-1] != filters:
            shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, kernel_initializer=init())(x)
            shortcut = layers.BatchNormalization(momentum=0.9)(shortcut)
        x = layers.Activation("relu")(layers.Add()([y, shortcut]))
    return keras.Model(inputs, head(layers.GlobalAveragePooling2D()(x), 2, "old", init))


def projection_rows(quick: bool) -> list[Row]:
    from models import build_resnet
    from models.zoo import demo_data

    (x, y), _, _ = demo_data("resnet", n=128 if quick else 256)
    new = build_resnet((64, 64, 1), 2, blocks=(1, 1), base_filters=16, seed=0)
    old = _old_projection_resnet(0)
    assert new.count_params() == old.count_params()  # the same network, only the shortcut's form differs
    for m in (new, old):
        m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    run_old = lambda: old.fit(x, y, epochs=1, batch_size=32, verbose=0)  # noqa: E731
    run_new = lambda: new.fit(x, y, epochs=1, batch_size=32, verbose=0)  # noqa: E731
    run_old(), run_new()  # compile outside the timing
    t_old, t_new, overhead = paired_epochs(run_old, run_new, **({**PAIRED_ROUNDS[quick], "max_rounds": 15}
                                                                 if not quick else PAIRED_ROUNDS[quick]))
    print(f"  projection shortcut: {overhead:+.1%} over {len(t_old)} pairs", file=sys.stderr, flush=True)
    return [Row("stability", "ResNet epoch: subsample + 1×1 shortcut (ours) vs strided 1×1 (before)",
                float(len(y) / np.median(t_new)), float(len(y) / np.median(t_old)), "samples/s",
                1.0 / (1.0 + overhead), "cost <= 5%", overhead <= 0.05,
                f"{overhead:+.1%}, median of {len(t_old)} paired epochs, 16 base filters (8 crashes the old form)")]


_CHILD = """
import json, sys, time
import keras, numpy as np
from models.zoo import build_model, demo_data
from models.onednn import onednn_enabled
name, n, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
(x, y), _, _ = demo_data(name, n=n, seed=0)
model = build_model(name, seed=0, **({"base_filters": 16} if name == "resnet" else {}))
loss = "binary_crossentropy" if name != "unet" else "mse"
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
model.fit(x, y, epochs=1, batch_size=32, verbose=0)
times = []
for _ in range(epochs):
    t = time.perf_counter(); model.fit(x, y, epochs=1, batch_size=32, verbose=0); times.append(time.perf_counter() - t)
print(json.dumps({"onednn": onednn_enabled(), "samples_per_s": len(y) / float(np.median(times))}))
"""


def _child(name: str, onednn: bool, n: int, epochs: int) -> float:
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "1" if onednn else "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-c", _CHILD, name, str(n), str(epochs)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["onednn"] is onednn, result
    return float(result["samples_per_s"])


def onednn_rows(quick: bool) -> list[Row]:
    rows = []
    rounds, epochs = (1, 2) if quick else (2, 3)  # ~8 min in all: a child process per side and round
    for name in ("cnn", "resnet", "unet"):
        n = 64 if quick else (128 if name == "unet" else 256)
        on, off = [], []
        for _ in range(rounds):  # alternate, so slow drift of the machine hits both sides
            on.append(_child(name, True, n, epochs))
            off.append(_child(name, False, n, epochs))
        s_on, s_off = float(np.median(on)), float(np.median(off))
        print(f"  {name}: oneDNN on {s_on:.0f}/s, off {s_off:.0f}/s", file=sys.stderr, flush=True)
        rows.append(Row("stability", f"{name}: oneDNN on (ours) vs TF_ENABLE_ONEDNN_OPTS=0", s_on, s_off,
                        "samples/s", s_on / s_off, "report", None,
                        f"oneDNN off would cost {1 - s_off / s_on:.0%} of training speed (median of {rounds} "
                        f"child processes per side, {epochs} epochs each): why medlens avoids the bug instead"))
    return rows


def run(quick: bool = False) -> list[Row]:
    return projection_rows(quick) + onednn_rows(quick)
