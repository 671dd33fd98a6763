"""Grad-CAM, saliency, feature maps and receptive fields on Conv3D (volume) models.

Three kinds of evidence: (1) a volume model whose depth axis is trivial (D = 1,
kernels (1, k, k), pooling (1, 2, 2)) carrying the weights of a 2-D model gives
the 2-D code's numbers; (2) hand computations: the receptive field per axis by
``R += (F − 1)·D·Π S``, a linear model's saliency equals its weights, Grad-CAM's
α_k equals the mean over (d, h, w) of a gradient taken with tf.GradientTape,
the trilinear upsampling equals scipy.ndimage.zoom; (3) Sequential, functional
and nested volume models all work, and the JAX backend gives the same numbers.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
from scipy import ndimage

from explainers.feature_maps import compute_feature_maps
from explainers.receptive_field import (
    compute_effective_receptive_field, compute_receptive_field, compute_receptive_field_mm,
)
from explainers.saliency import (
    compute_gradcam, compute_gradcam_batch, compute_nodule_hit_rate, compute_saliency, find_gradcam_layer,
)
from models._arguments import ArgumentError

L = keras.layers
ROOT = Path(__file__).resolve().parents[1]


def _glorot(seed: int):
    return keras.initializers.GlorotUniform(seed=seed)


# ------------------------------------------------ (1) a trivial depth axis gives the 2-D numbers
def _pair_of_models(units: int) -> tuple[keras.Model, keras.Model]:
    """The same net twice: 2-D on (12, 12, 2) and 3-D on (1, 12, 12, 2) with kernels (1, k, k)."""
    act = "sigmoid" if units == 1 else "softmax"
    x = inp = keras.Input((12, 12, 2))
    x = L.Conv2D(4, 3, padding="same", activation="relu", name="c1", kernel_initializer=_glorot(1),
                 bias_initializer=keras.initializers.RandomUniform(-0.1, 0.1, seed=2))(x)
    x = L.MaxPooling2D(2, name="p1")(x)
    x = L.Conv2D(5, 3, padding="valid", name="c2", kernel_initializer=_glorot(3),
                 bias_initializer=keras.initializers.RandomUniform(-0.1, 0.1, seed=4))(x)
    x = L.ReLU(name="r2")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    two = keras.Model(inp, L.Dense(units, activation=act, name="out", kernel_initializer=_glorot(5))(x), name="m2")

    x = inp = keras.Input((1, 12, 12, 2))
    x = L.Conv3D(4, (1, 3, 3), padding="same", activation="relu", name="c1")(x)
    x = L.MaxPooling3D((1, 2, 2), name="p1")(x)
    x = L.Conv3D(5, (1, 3, 3), padding="valid", name="c2")(x)
    x = L.ReLU(name="r2")(x)
    x = L.GlobalAveragePooling3D(name="gap")(x)
    three = keras.Model(inp, L.Dense(units, activation=act, name="out")(x), name="m3")
    for name in ("c1", "c2"):
        kernel, bias = two.get_layer(name).get_weights()
        three.get_layer(name).set_weights([kernel[None], bias])       # (1, k, k, in, out)
    three.get_layer("out").set_weights(two.get_layer("out").get_weights())
    return two, three


@pytest.fixture(scope="module", params=[1, 3], ids=["sigmoid", "softmax"])
def pair(request):
    return _pair_of_models(request.param)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(7).random((3, 12, 12, 2)).astype(np.float32)


def test_trivial_depth_gives_the_2d_gradcam(pair, images):
    two, three = pair
    peaks = []
    classes = (None, 0, 1) if two.outputs[0].shape[-1] == 1 else (None, 0, 1, 2)
    for class_index in classes:
        a = compute_gradcam(two, images[0], class_index=class_index)
        b = compute_gradcam(three, images[0][None], class_index=class_index)
        assert b.heatmap.shape == (1, 12, 12) and b.cam.shape == (1, 4, 4) and b.layer_name == a.layer_name == "r2"
        peaks.append(a.cam.max())
        np.testing.assert_allclose(b.channel_weights, a.channel_weights, rtol=1e-4, atol=1e-8)
        np.testing.assert_allclose(b.cam[0], a.cam, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(b.heatmap[0], a.heatmap, atol=1e-5)
        assert (b.score, b.class_index) == pytest.approx((a.score, a.class_index), rel=1e-5)
    assert max(peaks) > 0  # some class gives a map that is not all zero: the comparison is not empty


def test_trivial_depth_gives_the_2d_gradcam_batch(pair, images):
    two, three = pair
    a = compute_gradcam_batch(two, images, class_index=0)
    b = compute_gradcam_batch(three, images[:, None], class_index=0)
    assert b.heatmaps.shape == (3, 1, 12, 12)
    np.testing.assert_allclose(b.heatmaps[:, 0], a.heatmaps, atol=1e-5)
    np.testing.assert_allclose(b.channel_weights, a.channel_weights, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(b.scores, a.scores, rtol=1e-5)


@pytest.mark.parametrize("smoothgrad", [0, 4])
def test_trivial_depth_gives_the_2d_saliency(pair, images, smoothgrad):
    two, three = pair
    a = compute_saliency(two, images[1], smoothgrad=smoothgrad, seed=3)
    b = compute_saliency(three, images[1][None], smoothgrad=smoothgrad, seed=3)
    assert b.heatmap.shape == (1, 12, 12) and b.method == a.method
    np.testing.assert_allclose(b.heatmap[0], a.heatmap, atol=1e-5)


def test_trivial_depth_gives_the_2d_feature_maps(pair, images):
    two, three = pair
    a = compute_feature_maps(two, images[2], max_channels=3)
    b = compute_feature_maps(three, images[2][None], max_channels=3)
    assert a.layer_names == b.layer_names == ("c1", "c2")
    assert b.shapes == tuple((1, *s) for s in a.shapes) == ((1, 12, 12, 4), (1, 4, 4, 5))
    for ma, mb, ca, cb in zip(a.maps, b.maps, a.channels, b.channels):
        np.testing.assert_array_equal(ca, cb)
        np.testing.assert_allclose(mb[0], ma, rtol=1e-5, atol=1e-6)
    # A pooling layer by class name: MaxPooling3D for the volume model.
    pooled = compute_feature_maps(three, images[2][None], layers="MaxPooling3D")
    assert pooled.layer_names == ("p1",) and pooled.maps[0].shape == (1, 6, 6, 4)


def test_trivial_depth_gives_the_2d_receptive_field(pair):
    two, three = pair
    for layer in ("c1", "p1", "r2"):
        a = compute_receptive_field(two, layer_name=layer)
        b = compute_receptive_field(three, layer_name=layer)
        assert a.size_zyx is None and not a.volume and b.volume
        assert (b.size, b.stride, b.padding, b.size_hw, b.stride_hw, b.padding_hw) == \
            (a.size, a.stride, a.padding, a.size_hw, a.stride_hw, a.padding_hw)
        assert b.size_zyx == (1, *a.size_hw) and b.stride_zyx == (1, *a.stride_hw)
        assert [(r.name, r.kernel, r.stride, r.size, r.jump) for r in b.layers] == \
            [(r.name, r.kernel, r.stride, r.size, r.jump) for r in a.layers]
    assert compute_receptive_field(three).size_zyx == (1, 8, 8)   # 3 + (2 − 1)·1 + (3 − 1)·2


def test_trivial_depth_gives_the_2d_effective_field(pair):
    two, three = pair
    a = compute_effective_receptive_field(two, layer_name="c2", n_samples=3, seed=5)
    b = compute_effective_receptive_field(three, layer_name="c2", n_samples=3, seed=5)
    assert b.heatmap.shape == (1, 12, 12) and b.unit == (0, *a.unit) and b.extent == (1, *a.extent)
    np.testing.assert_allclose(b.heatmap[0], a.heatmap, rtol=1e-5, atol=1e-7)


def test_trivial_depth_gives_the_2d_field_in_mm(pair):
    two, three = pair
    a = compute_receptive_field_mm(two, (0.5, 0.5), (12, 12), (240, 240), layer_name="r2")
    b = compute_receptive_field_mm(three, (4.0, 0.5, 0.5), (1, 12, 12), (10, 240, 240), layer_name="r2")
    assert b.size_mm[1:] == pytest.approx(a.size_mm) and b.size_mm[0] == pytest.approx(1 * 4.0 * 10)
    assert b.box_mm[1:3] + b.box_mm[4:] == pytest.approx(a.box_mm)
    assert b.unit == (0, *a.unit) and b.comparison == a.comparison


# ---------------------------------------------------------------- (2) hand computations
def test_receptive_field_per_axis_matches_the_formula_by_hand():
    """Kernels, strides and dilations that differ per axis; R += (F − 1)·D·Π S on each axis."""
    stack = [  # (kernel, stride, dilation) per axis (z, y, x)
        ((3, 5, 5), (1, 2, 2), (1, 1, 1)),
        ((2, 2, 2), (2, 2, 1), (1, 1, 1)),      # pooling
        ((3, 3, 1), (1, 1, 1), (2, 1, 1)),      # dilated in z
        ((1, 3, 3), (1, 2, 2), (1, 1, 1)),
    ]
    x = inp = keras.Input((24, 40, 40, 1))
    x = L.Conv3D(2, (3, 5, 5), strides=(1, 2, 2), name="a")(x)
    x = L.MaxPooling3D((2, 2, 2), strides=(2, 2, 1), name="b")(x)
    x = L.Conv3D(2, (3, 3, 1), dilation_rate=(2, 1, 1), name="c")(x)
    x = L.Conv3D(2, (1, 3, 3), strides=(1, 2, 2), name="d")(x)
    model = keras.Model(inp, L.GlobalMaxPooling3D()(x))
    r, jump = np.ones(3), np.ones(3)
    for (k, s, d), layer in zip(stack, "abcd"):
        r = r + (np.array(k) - 1) * np.array(d) * jump
        jump = jump * np.array(s)
        rf = compute_receptive_field(model, layer_name=layer)
        assert rf.size_zyx == tuple(r.astype(int)) and rf.stride_zyx == tuple(jump.astype(int)), layer
    # By hand: z 1 + 2 = 3, + 1·1 = 4, + 2·2·2 = 12, + 0 = 12 (jumps 1, 2, 2, 2);
    # y 1 + 4 = 5, + 1·2 = 7, + 2·1·4 = 15, + 2·4 = 23 (jumps 2, 4, 4, 8);
    # x 1 + 4 = 5, + 1·2 = 7, + 0 = 7, + 2·2 = 11 (jumps 2, 2, 2, 4).
    assert rf.size_zyx == (12, 23, 11) and rf.stride_zyx == (2, 8, 4) and rf.padding_zyx == (0.0, 0.0, 0.0)
    assert (rf.size, rf.size_hw) == (23, (23, 11))
    assert [row.kernel_zyx for row in rf.layers] == [k for k, _, _ in stack]
    assert [row.dilation_zyx for row in rf.layers] == [d for _, _, d in stack]
    assert rf.box_zyx(1, 2, 3) == (2.0, 16.0, 12.0, 13.0, 38.0, 22.0)


def test_same_padding_per_axis_and_the_field_of_a_linear_net_match_its_gradient():
    """'same' padding shifts each axis by its own pad; the region a linear, positive net's centre
    unit depends on (its gradient) is exactly the analytic box on every axis."""
    one = keras.initializers.Constant(1.0)
    x = inp = keras.Input((15, 21, 21, 1))
    x = L.Conv3D(1, (3, 5, 5), padding="same", use_bias=False, kernel_initializer=one, name="a")(x)
    x = L.AveragePooling3D((1, 2, 2), name="b")(x)
    x = L.Conv3D(1, (5, 3, 3), dilation_rate=(1, 2, 2), padding="same", use_bias=False, kernel_initializer=one,
                 name="c")(x)
    model = keras.Model(inp, x)
    rf = compute_receptive_field(model)
    # z: 3, +0, +4 = 7; y/x: 5, +1, +(3 − 1)·2·2 = 14. Pads: z 1 then 2; y/x 2 then 2·2 (dilated) at jump 2.
    assert rf.size_zyx == (7, 14, 14) and rf.stride_zyx == (1, 2, 2)
    assert rf.padding_zyx == (1.0 + 2.0, 2.0 + 2 * 2.0, 2.0 + 2 * 2.0)
    erf = compute_effective_receptive_field(model, n_samples=2, seed=0)
    assert erf.extent == rf.size_zyx
    z0, y0, x0, z1, y1, x1 = rf.box_zyx(*erf.unit)
    assert erf.box == (z0, y0, x0, z1, y1, x1)


def test_zero_padding_and_cropping_shift_the_field_per_axis():
    x = inp = keras.Input((8, 10, 12, 1))
    x = L.ZeroPadding3D(((1, 0), (2, 0), (3, 0)), name="pad")(x)
    x = L.Conv3D(1, (3, 1, 3), strides=(1, 2, 1), name="conv")(x)
    x = L.Cropping3D(((1, 0), (0, 0), (2, 0)), name="crop")(x)
    rf = compute_receptive_field(keras.Model(inp, x))
    # P: the padding added before each axis, then minus what is cropped times the jump (1, 2, 1).
    assert rf.padding_zyx == (1.0 - 1, 2.0 - 0, 3.0 - 2) and rf.size_zyx == (3, 1, 3)
    assert [row.pad_zyx for row in rf.layers] == [(1, 2, 3), (0, 0, 0), (-1, 0, -2)]


def test_saliency_of_a_linear_volume_model_is_its_weights():
    x = inp = keras.Input((4, 5, 6, 2))
    x = L.Flatten()(x)
    model = keras.Model(inp, L.Dense(1, name="lin", kernel_initializer=keras.initializers.RandomNormal(seed=3))(x))
    w = model.get_layer("lin").get_weights()[0][:, 0].reshape(4, 5, 6, 2)
    expected = np.abs(w).max(axis=-1)
    volume = np.random.default_rng(0).random((4, 5, 6, 2)).astype(np.float32)
    result = compute_saliency(model, volume)
    assert result.heatmap.shape == (4, 5, 6)
    np.testing.assert_allclose(result.heatmap, expected / expected.max(), rtol=1e-5)
    assert result.score == pytest.approx(float(volume.ravel() @ w.ravel()), rel=1e-4, abs=1e-5)


def _grad_cam_model() -> keras.Model:
    x = inp = keras.Input((8, 12, 10, 1))
    x = L.Conv3D(3, 3, padding="same", activation="relu", name="c1", kernel_initializer=_glorot(11))(x)
    x = L.MaxPooling3D(2, name="p1")(x)
    x = L.Conv3D(4, (3, 3, 3), padding="same", name="c2", kernel_initializer=_glorot(12),
                 bias_initializer=keras.initializers.Constant(0.05))(x)
    x = L.Activation("relu", name="a2")(x)
    x = L.GlobalAveragePooling3D(name="gap")(x)
    return keras.Model(inp, L.Dense(3, activation="softmax", name="out", kernel_initializer=_glorot(13))(x))


def test_gradcam_weights_are_the_mean_gradient_over_depth_rows_and_columns():
    tf = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the hand computation uses tf.GradientTape")
    model = _grad_cam_model()
    volume = np.random.default_rng(2).random((8, 12, 10)).astype(np.float32)
    result = compute_gradcam(model, volume, class_index=2)
    assert find_gradcam_layer(model).name == result.layer_name == "a2"
    # By hand: A from the layers up to a2, the score from the head, ∂score/∂A from GradientTape.
    head = keras.Model(model.get_layer("a2").output, model.output)
    acts = keras.Model(model.input, model.get_layer("a2").output)(volume[None, ..., None])
    with tf.GradientTape() as tape:
        tape.watch(acts)
        score = head(acts)[:, 2]
    grads = tape.gradient(score, acts).numpy()
    acts = acts.numpy()
    alpha = grads.mean(axis=(1, 2, 3))[0]
    cam = np.maximum((acts[0] * alpha).sum(axis=-1), 0.0)
    np.testing.assert_allclose(result.channel_weights, alpha, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(result.cam, cam, rtol=1e-4, atol=1e-7)
    assert result.score == pytest.approx(float(score[0]), rel=1e-5)
    assert cam.max() > 0 and cam.shape == (4, 6, 5)
    # Trilinear upsampling (4, 6, 5) -> (8, 12, 10) equals SciPy's order-1 zoom with half-pixel centres.
    zoomed = ndimage.zoom(cam / cam.max(), (2, 2, 2), order=1, grid_mode=True, mode="nearest")
    np.testing.assert_allclose(result.heatmap, zoomed / zoomed.max(), atol=1e-5)


@pytest.mark.parametrize("size, target", [((2, 3, 4), (7, 9, 5)), ((3, 3, 3), (3, 8, 8)), ((5, 4, 4), (2, 4, 4))])
def test_trilinear_upsampling_equals_scipy_zoom_of_order_one(size, target):
    from explainers.saliency import _upsample

    maps = np.random.default_rng(1).random((2, *size))
    expected = np.stack([ndimage.zoom(m, np.divide(target, size), order=1, grid_mode=True, mode="nearest")
                         for m in maps])
    np.testing.assert_allclose(_upsample(maps, target), expected, atol=1e-5)


# ---------------------------------------------------------------- (3) every kind of model
def _block(kind: str) -> keras.Model:
    """Conv3D -> pool -> Conv3D/ReLU -> GAP -> Dense, as Sequential, functional, or a nested block."""
    def layers():
        return [L.Conv3D(3, (3, 3, 3), padding="same", activation="relu", name="k1"),
                L.MaxPooling3D((1, 2, 2), name="q1"),
                L.Conv3D(4, (3, 3, 3), padding="same", name="k2"),
                L.ReLU(name="relu2")]
    head = [L.GlobalAveragePooling3D(name="gap"), L.Dense(2, activation="softmax", name="out")]
    shape = (6, 8, 8, 1)
    if kind == "sequential":
        return keras.Sequential([keras.Input(shape), *layers(), *head], name="seq3d")
    if kind == "functional":
        x = inp = keras.Input(shape)
        for layer in layers() + head:
            x = layer(x)
        return keras.Model(inp, x, name="func3d")
    inner = keras.Sequential([keras.Input(shape), *layers()], name="encoder")
    x = inp = keras.Input(shape)
    x = inner(x)
    for layer in head:
        x = layer(x)
    return keras.Model(inp, x, name="nested3d")


@pytest.fixture(scope="module")
def three_kinds():
    models = {kind: _block(kind) for kind in ("functional", "sequential", "nested")}
    weights = models["functional"].get_weights()
    for model in models.values():
        model.set_weights(weights)   # same layer order in all three
    return models


@pytest.mark.parametrize("kind", ["sequential", "nested"])
def test_sequential_functional_and_nested_volume_models_agree(three_kinds, kind):
    ref, model = three_kinds["functional"], three_kinds[kind]
    volume = np.random.default_rng(4).random((6, 8, 8)).astype(np.float32)
    a, b = compute_gradcam(ref, volume), compute_gradcam(model, volume)
    assert b.layer_name == "relu2" and b.heatmap.shape == (6, 8, 8)
    np.testing.assert_allclose(b.heatmap, a.heatmap, atol=1e-5)
    np.testing.assert_allclose(compute_saliency(model, volume).heatmap, compute_saliency(ref, volume).heatmap,
                               atol=1e-5)
    fa, fb = compute_feature_maps(ref, volume), compute_feature_maps(model, volume)
    assert fb.layer_names == ("k1", "k2") and fb.shapes == ((6, 8, 8, 3), (6, 4, 4, 4))
    for ma, mb in zip(fa.maps, fb.maps):
        np.testing.assert_allclose(mb, ma, rtol=1e-5, atol=1e-6)
    ra, rb = compute_receptive_field(ref, layer_name="k2"), compute_receptive_field(model, layer_name="k2")
    assert rb.size_zyx == ra.size_zyx == (5, 8, 8) and rb.stride_zyx == (1, 2, 2)


def test_a_batch_of_one_channel_volumes_may_leave_the_channel_out(three_kinds):
    model = three_kinds["functional"]
    volumes = np.random.default_rng(5).random((3, 6, 8, 8)).astype(np.float32)
    a = compute_gradcam_batch(model, volumes, class_index=1)
    b = compute_gradcam_batch(model, volumes[..., None], class_index=1)
    assert a.images.shape == (3, 6, 8, 8, 1) and a.heatmaps.shape == (3, 6, 8, 8)
    np.testing.assert_array_equal(a.heatmaps, b.heatmaps)
    for i in range(3):   # the batch gives each volume's own map
        np.testing.assert_allclose(a.heatmaps[i], compute_gradcam(model, volumes[i], class_index=1).heatmap,
                                   atol=1e-5)


# ---------------------------------------------------------------- plots and refusals
def test_plots_draw_a_volume_on_the_axial_slice_through_its_peak(three_kinds):
    from explainers.feature_maps_plots import plot_feature_maps
    from explainers.receptive_field_plots import (
        plot_effective_field, plot_effective_field_profile, plot_receptive_field_growth, plot_receptive_field_mm,
    )
    from explainers.saliency_plots import plot_heatmap

    model = three_kinds["functional"]
    volume = np.random.default_rng(4).random((6, 8, 8)).astype(np.float32)
    cam = compute_gradcam(model, volume)
    z = int(np.unravel_index(cam.heatmap.argmax(), cam.heatmap.shape)[0])
    ax = plot_heatmap(cam, centre=(z, 4, 4), radius=2)
    assert f"axial slice z = {z} (peak)" in ax.get_title()
    np.testing.assert_array_equal(ax.images[1].get_array(), cam.heatmap[z])
    assert len(ax.patches) == 1 and ax.patches[0].get_radius() == pytest.approx(2.0)
    fig = plot_feature_maps(compute_feature_maps(model, volume, max_channels=2))
    assert "z = 3 of 6" in fig.axes[0].get_title()
    rf = compute_receptive_field(model)
    growth = plot_receptive_field_growth(rf)
    assert "5×8×8" in growth.get_title() and len(growth.lines) == 4
    erf = compute_effective_receptive_field(model, n_samples=2)
    assert "axial slice" in plot_effective_field(erf, image=volume).get_title()
    plot_effective_field_profile(erf)
    mm = compute_receptive_field_mm(rf, (2.5, 0.8, 0.8), (6, 8, 8), (24, 64, 64))
    assert "deep" in plot_receptive_field_mm(mm, image=volume).get_title()
    assert "(z × y × x)" in mm.describe("the CT")


def test_volume_inputs_get_clear_messages(three_kinds):
    model = three_kinds["functional"]
    with pytest.raises(ArgumentError, match="resample the volume"):
        compute_gradcam(model, np.zeros((6, 9, 8)))
    with pytest.raises(ArgumentError, match=r"one volume"):
        compute_feature_maps(model, np.zeros((2, 6, 8, 8, 1)))
    with pytest.raises(ArgumentError, match="5-D"):
        find_gradcam_layer(model, "gap")
    with pytest.raises(ArgumentError, match="2-D images"):
        compute_nodule_hit_rate(model, np.zeros((1, 6, 8, 8, 1)), [1], [[3, 4]], [2])
    with pytest.raises(ArgumentError, match=r"\(z, y, x\) spacing"):
        compute_receptive_field_mm(model, (0.5, 0.5), (6, 8, 8), (6, 8, 8))
    flat = keras.Sequential([keras.Input((4, 4, 4, 1)), L.Flatten(), L.Dense(1, activation="sigmoid")])
    with pytest.raises(ValueError, match="no Conv3D layer"):
        compute_gradcam(flat, np.zeros((4, 4, 4)))
    up = keras.Sequential([keras.Input((4, 4, 4, 1)), L.Conv3DTranspose(2, 2, strides=2, name="up"),
                           L.Conv3D(1, 3, name="after")])
    with pytest.raises(ArgumentError, match="Conv3DTranspose"):
        compute_receptive_field(up, layer_name="after")
    with pytest.raises(ArgumentError, match="UpSampling3D"):
        compute_receptive_field(keras.Sequential([keras.Input((4, 4, 4, 1)), L.UpSampling3D(2, name="u"),
                                                  L.Conv3D(1, 3, name="v")]), layer_name="v")


# ---------------------------------------------------------------- the JAX backend
_JAX_SCRIPT = textwrap.dedent("""
    import importlib.util, json, sys
    sys.path.insert(0, sys.argv[1])
    spec = importlib.util.spec_from_file_location("explainers_3d_case", sys.argv[2])
    case = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(case)
    print("RESULT " + json.dumps(case._numbers()))
""")


def _numbers() -> dict:
    """Grad-CAM, SmoothGrad, feature maps and fields of a volume model with NumPy-seeded weights."""
    model = _block("functional")
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0.0, 0.4, w.shape).astype(np.float32) for w in model.get_weights()])
    volume = rng.random((6, 8, 8)).astype(np.float32)
    cam = compute_gradcam(model, volume, class_index=1)
    sal = compute_saliency(model, volume, class_index=1, smoothgrad=3, seed=1)
    maps = compute_feature_maps(model, volume, layers="k2")
    erf = compute_effective_receptive_field(model, layer_name="k2", n_samples=2, seed=2)
    return {"backend": keras.backend.backend(), "cam": cam.heatmap.tolist(), "alpha": cam.channel_weights.tolist(),
            "saliency": sal.heatmap.tolist(), "k2": maps.maps[0].tolist(), "erf": erf.heatmap.tolist(),
            "field": list(compute_receptive_field(model).size_zyx)}


def test_the_volume_paths_give_the_same_numbers_under_jax():
    try:
        import jax  # noqa: F401
    except ImportError:
        pytest.skip("jax is not installed")
    env = {**os.environ, "KERAS_BACKEND": "jax", "CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", _JAX_SCRIPT, str(ROOT), __file__], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=300)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line is not None, out.stderr[-3000:]
    got, want = json.loads(line[len("RESULT "):]), _numbers()
    assert got["backend"] == "jax" and got["field"] == want["field"]
    for key in ("cam", "alpha", "saliency", "k2", "erf"):
        np.testing.assert_allclose(np.array(got[key]), np.array(want[key]), rtol=1e-3, atol=1e-4, err_msg=key)
