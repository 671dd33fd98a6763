"""The one graph walker (explainers._layers.propagate) follows every keras.applications graph.

Each model is built offline (weights=None) at a small input and its analytic
receptive field read at the default layer (the last spatial one). Published
values (google-research/receptive_field) are checked where the Keras graph is
the one they measured. Building all 40 takes about 4 minutes on one core, so
the full sweep is marked slow; three models whose graphs exercise every kind of
node (squeeze-and-excitation branches, keras.ops nodes, per-pixel Dense and
LayerScale) run in the fast suite.
"""
import time

import keras
import numpy as np
import pytest

from explainers._layers import propagate
from explainers.receptive_field import (
    WHOLE_IMAGE, compute_effective_receptive_field, compute_receptive_field, spatial_layer_names,
)

APPLICATIONS = sorted(n for n in dir(keras.applications) if n[0].isupper())
# Inception and Xception need at least 75 (71) pixels; every other model builds at 32.
SIDES = {"InceptionV3": 75, "InceptionResNetV2": 75, "Xception": 75}
# (size, stride) of the default layer, from google-research/receptive_field's table.
PUBLISHED = {"VGG16": (212, 32), "MobileNet": (315, 32), "ResNet50": (483, 32), "ResNet101": (1027, 32),
             "ResNet152": (1507, 32), "InceptionV3": (1311, 32), "InceptionResNetV2": (3039, 32)}
FAST = ("EfficientNetB0", "MobileNetV3Small", "ConvNeXtTiny")


def _build(name: str) -> keras.Model:
    side = SIDES.get(name, 32)
    return getattr(keras.applications, name)(weights=None, include_top=False, input_shape=(side, side, 3))


def _check_walk(name: str) -> None:
    start = time.perf_counter()
    model = _build(name)
    rf = compute_receptive_field(model)
    assert rf.size > 1 and rf.stride == 32, (name, rf.layer_name, rf.size, rf.stride)
    assert rf.layers[-1].name == rf.layer_name and rf.layers[-1].size == rf.size
    if name in PUBLISHED:
        assert (rf.size, rf.stride) == PUBLISHED[name]
    if name.startswith(("EfficientNet", "MobileNetV3")):  # squeeze and excitation: said, then carried on
        assert rf.whole_image and all(n in {r.name for r in rf.layers} for n in rf.whole_image)
        assert {r.note for r in rf.layers if r.name in rf.whole_image} == {WHOLE_IMAGE}
    else:
        assert not rf.whole_image
    print(f"{name}: {rf.layer_name} R={rf.size} in {time.perf_counter() - start:.1f} s")


@pytest.mark.parametrize("name", FAST)
def test_the_walker_follows_squeeze_excitation_ops_and_per_pixel_layers(name):
    _check_walk(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in APPLICATIONS if n not in FAST])
def test_the_walker_follows_every_keras_application(name):
    _check_walk(name)


def test_efficientnet_b0_as_the_issue_tried_it_reaches_top_activation_and_its_effective_field():
    model = keras.applications.EfficientNetB0(weights=None, input_shape=(96, 96, 3), include_top=False)
    rf = compute_receptive_field(model)
    assert rf.layer_name == "top_activation" and rf.stride == 32
    assert "block1a_se_excite" in rf.whole_image  # the first gate: global pooling -> reshape -> 1x1 convs -> multiply
    excite = next(r for r in rf.layers if r.name == "block1a_se_excite")
    assert excite.kind == "Multiply" and excite.note == WHOLE_IMAGE
    names = spatial_layer_names(model)  # what the page offers: the gate's 1x1 branch is not a field
    assert "block1a_se_excite" in names and "block1a_se_reduce" not in names and names[-1] == "top_activation"
    erf = compute_effective_receptive_field(model, n_samples=1)
    assert erf.layer_name == "top_activation" and erf.analytic == rf
    assert erf.heatmap.shape == (96, 96) and erf.heatmap.max() == 1.0


def test_propagate_visits_each_node_after_its_inputs_and_enters_nested_models():
    inner = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.Conv2D(2, 3, padding="same", name="ic")],
                             name="inner")
    i = keras.Input((8, 8, 2), name="x")
    a = keras.layers.ReLU(name="a")(i)
    b = inner(a)
    out = keras.layers.Add(name="sum")([a, b])
    model = keras.Model(i, out)
    seen = []

    def step(op, node, in_states):
        seen.append(op.name)
        return 1 + max(s for s in in_states if s is not None)  # depth from the input

    states = propagate(model, {id(model.inputs[0]): 0}, step)
    assert seen.index("a") < seen.index("ic") < seen.index("sum")
    assert states[id(model.get_layer("inner").get_layer("ic").output)] == 2
    assert states[id(out)] == 3
    assert np.isfinite(states[id(out)])
