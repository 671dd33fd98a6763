"""The oneDNN strided-1×1 bug: found in any model, refused before training, avoided by our builders."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

import models
from models.onednn import NativeCrashRisk, check_trainable_on_cpu, onednn_enabled, risky_layers
from models.page_models import page_trainings
from models.zoo import MODEL_NAMES, build_model

ROOT = Path(__file__).resolve().parents[1]


def _functional(in_channels, kernel, strides):
    inp = keras.Input((16, 16, in_channels))
    out = layers.Conv2D(8, kernel, strides=strides, name="probe")(inp)
    return keras.Model(inp, layers.GlobalAveragePooling2D()(out))


@pytest.mark.parametrize("in_channels, kernel, strides, risky", [
    (8, 1, 2, True),     # the loss-landscape ResNet's old projection shortcut
    (1, 1, 2, True),
    (15, 1, (2, 1), True),
    (16, 1, 2, False),   # a full AVX-512 channel block
    (8, 1, 1, False),    # stride 1: no "reduce to unit stride" workspace
    (8, 3, 2, False),    # not a 1×1 kernel
])
def test_risky_layers_are_exactly_strided_1x1_convolutions_on_fewer_than_16_channels(in_channels, kernel,
                                                                                       strides, risky):
    found = risky_layers(_functional(in_channels, kernel, strides))
    assert [r.name for r in found] == (["probe"] if risky else [])


def test_risky_layers_are_found_inside_nested_and_sequential_models():
    inner = keras.Sequential([keras.Input((16, 16, 4)), layers.Conv2D(8, 1, strides=2, name="inner_proj")],
                             name="inner")
    inp = keras.Input((16, 16, 4))
    outer = keras.Model(inp, layers.Flatten()(inner(inp)))
    assert [r.name for r in risky_layers(outer)] == ["inner_proj"]
    frozen = keras.Sequential([keras.Input((16, 16, 4)), layers.Conv2D(8, 1, strides=2, trainable=False)])
    assert risky_layers(frozen) == []  # no weight gradient, no bug


@pytest.mark.skipif(not onednn_enabled(), reason="oneDNN is off in this process: nothing to refuse")
def test_train_refuses_a_risky_model_with_a_message_that_says_what_to_do_and_keeps_its_weights():
    model = keras.Sequential([layers.Conv2D(8, 1, strides=2, name="shortcut"), layers.Flatten(), layers.Dense(1)])
    x, y = np.zeros((8, 16, 16, 4), "float32"), np.zeros(8, "float32")
    with pytest.raises(NativeCrashRisk, match=r"'shortcut'.*stride 2×2 on 4 input channels.*TF_ENABLE_ONEDNN_OPTS=0"):
        models.train(model, x, y, epochs=1)  # an unbuilt Sequential: built first, so the check sees it
    assert not model.compiled  # refused before anything ran


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("size", ["small", "large"])
def test_no_course_model_has_a_risky_layer(name, size):
    assert risky_layers(build_model(name, size)) == []


def test_no_page_model_has_a_risky_layer():
    for t in page_trainings():
        assert risky_layers(t.build()) == [], (t.page, t.label)


@pytest.mark.parametrize("stride", [2, 3])
def test_resnet_projection_is_the_strided_1x1_convolution_of_he_et_al(stride):
    # subsample + stride-1 1×1 conv == 1×1 conv with stride s (valid padding): the same function
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 9, 9, 3)).astype("float32")
    w = rng.normal(size=(1, 1, 3, 5)).astype("float32")
    pooled = layers.MaxPooling2D(1, strides=stride)(x)
    ours = np.asarray(layers.Conv2D(5, 1, use_bias=False, kernel_initializer=lambda *a, **k: w)(pooled))
    reference = np.einsum("nhwc,ck->nhwk", x[:, ::stride, ::stride, :], w[0, 0])
    np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-5)
    model = models.build_resnet((16, 16, 1), 2, blocks=(1, 1), base_filters=8)
    assert model.get_layer("resnet_stage2_block1_proj_subsample").strides == (2, 2)
    assert model.get_layer("resnet_stage2_block1_proj").strides == (1, 1)


@pytest.mark.slow
def test_with_onednn_off_the_refused_model_trains_as_the_message_promises():
    script = textwrap.dedent("""
        import keras, numpy as np, models
        from models.onednn import onednn_enabled
        assert not onednn_enabled()
        inp = keras.Input((16, 16, 8))
        out = keras.layers.Conv2D(16, 1, strides=2)(inp)
        model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(out)))
        rng = np.random.default_rng(0)
        h = models.train(model, rng.normal(size=(64, 16, 16, 8)).astype("float32"),
                         (rng.random(64) > 0.5).astype("float32"), epochs=3, batch_size=16)
        print("TRAINED", h.status, len(h))
    """)
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and "TRAINED finished 3" in proc.stdout, proc.stderr[-2000:]


def test_check_is_silent_for_a_safe_model():
    check_trainable_on_cpu(models.build_resnet((16, 16, 1), 2, blocks=(1, 1), base_filters=8))
