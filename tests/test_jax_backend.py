"""The models and models.train also run under KERAS_BACKEND=jax (the GPU machines have JAX, not TF).

Runs in a subprocess because the backend is fixed when keras is first imported.
Opt-in (it compiles every model with XLA, minutes on a 2-core CPU): install
jax and set MEDLENS_JAX_TESTS=1.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed"),
    pytest.mark.skipif(os.environ.get("MEDLENS_JAX_TESTS") != "1", reason="set MEDLENS_JAX_TESTS=1 to run"),
]

SCRIPT = r"""
import numpy as np, keras, models
from models import data
assert keras.backend.backend() == "jax"
rng = np.random.default_rng(0)
img = rng.random((8, 32, 32, 1)).astype("float32")
lab = np.array([0, 1] * 4)
cases = [
    (models.build_mlp(2, hidden=(4,)), rng.random((8, 2)).astype("float32"), lab),
    (models.build_cnn((32, 32, 1)), img, lab),
    (models.build_resnet((32, 32, 1)), img, lab),
    (models.build_unet((32, 32, 1), depth=2, base_filters=4), img, (img > 0.5).astype("float32")),
    (models.build_attention_classifier(20, 6, 3, d_model=8), rng.integers(0, 20, (8, 6)).astype("int32"), lab % 3),
    (models.build_patch_attention((32, 32, 1), 8, 2, d_model=8), img, lab),
]
for model, x, y in cases:
    h = models.train(model, x, y, epochs=1, batch_size=4)
    assert h.status == "finished" and np.isfinite(h.metric("loss")).all(), (model.name, h.message)
w = models.attention_weights(cases[4][0], cases[4][1])
assert w.shape == (8, 1, 1, 6) and np.allclose(w.sum(-1), 1, atol=1e-5)
print("device:", models.device_name())
"""


def test_course_models_train_under_jax():
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "device: CPU" in out.stdout and "(jax)" in out.stdout
