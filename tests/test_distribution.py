"""Data-parallel training: two logical CPU devices give the one-device loss curve, and the weights come back."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from models._arguments import ArgumentError
from models.distribution import data_parallel

ROOT = Path(__file__).resolve().parents[1]

# Logical devices must be declared before TensorFlow starts, so the comparison runs in its own process.
SCRIPT = textwrap.dedent("""
    import json, os
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    from models.mlp import build_mlp
    from models.training import train

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("int64")
    out = {}
    for name, dist in (("one", None), ("two", "mirrored")):
        m = build_mlp(4, (16,), seed=0)
        before = m.predict(x[:8], verbose=0)
        h = train(m, x, y, epochs=6, batch_size=32, shuffle=False, distribution=dist,
                  optimizer=keras.optimizers.SGD(0.1))
        out[name] = dict(loss=h.metric("loss").tolist(), device=h.device, status=h.status,
                         changed=float(np.abs(m.predict(x[:8], verbose=0) - before).max()),
                         weights=[w.tolist() for w in m.get_weights()[:1]])
    print("RESULT" + json.dumps(out))
""")


@pytest.mark.slow
def test_two_logical_devices_train_the_same_curve_as_one_and_the_users_model_gets_the_weights():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "KERAS_BACKEND": "tensorflow"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT")), None)
    assert line, proc.stderr[-3000:]
    out = json.loads(line[len("RESULT"):])
    one, two = out["one"], out["two"]
    print(two["device"], [round(v, 6) for v in one["loss"]], [round(v, 6) for v in two["loss"]])
    assert two["device"].startswith("2 replica(s) with tf.distribute.MirroredStrategy")
    assert "CPU:0" in two["device"] and "CPU:1" in two["device"]
    # Half a batch per device, gradients summed across them: the same steps up to float rounding.
    assert max(abs(a - b) for a, b in zip(one["loss"], two["loss"])) < 1e-5
    assert two["status"] == "finished" and two["changed"] > 1e-3  # the user's model, not only the copy, trained
    import numpy as np

    np.testing.assert_allclose(one["weights"][0], two["weights"][0], atol=1e-5)


@pytest.mark.parametrize("spec", ["gpus", 3, object()])
def test_an_unknown_distribution_says_what_is_accepted(spec):
    with pytest.raises(ArgumentError, match="mirrored"):
        data_parallel(spec)


def test_no_distribution_means_the_model_trains_itself():
    assert data_parallel(None) is None and data_parallel("none") is None
