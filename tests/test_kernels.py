"""explainers.kernels: the NumPy convolution against the lecture, keras Conv2D and SciPy."""
import keras
import numpy as np
import pytest
import scipy.signal
from conftest import COURSE

from explainers import kernels as K
from explainers.feature_maps import FeatureMaps, compute_feature_maps
from explainers.feature_maps_plots import plot_feature_maps


@pytest.mark.parametrize("x, w, expected", [
    (K.LECTURE_SMALL_INPUT, K.LECTURE_SMALL_KERNEL, [[19, 25], [37, 43]]),
    (K.LECTURE_6X6_INPUT, K.LECTURE_EDGE_KERNEL,
     [[-11, -4, 9, 12], [-7, -6, 5, 11], [-9, -8, 6, 7], [-7, -4, 8, 7]]),
])
def test_lecture_worked_examples_reproduce_exactly(x, w, expected):
    np.testing.assert_array_equal(K.convolve2d(x, w), np.array(expected, dtype=float))


def test_the_lecture_6x6_input_is_the_one_printed_in_lecture_003():
    text = next(COURSE.glob("003_*.txt"), None)
    assert text is not None, f"lecture 003 is missing from {COURSE} (the course sits beside the checkout)"
    s = text.read_text()
    row = " & ".join(str(int(v)) for v in K.LECTURE_6X6_INPUT[0])
    assert row in s and "-11 & -4 & 9 & 12" in s


def test_one_output_value_step_by_step_shows_products_sum_and_bias():
    step = K.compute_output_step(K.LECTURE_SMALL_INPUT, K.LECTURE_SMALL_KERNEL, 0, 0, bias=0.5)
    np.testing.assert_array_equal(step.window, [[0, 1], [3, 4]])
    np.testing.assert_array_equal(step.products, [[0, 1], [6, 12]])
    assert step.total == 19 and step.value == 19.5


@pytest.mark.parametrize("padding, stride, dilation", [
    ("valid", 1, 1), ("same", 1, 1), ("full", 1, 1), ("valid", 2, 1), ("same", 2, 1),
    ("same", 3, 1), ("valid", 1, 2), ("same", 1, 2), ("full", 2, 2),
])
def test_each_explained_value_equals_the_convolution_output(padding, stride, dilation):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((9, 8)), rng.standard_normal((3, 3))
    out = K.convolve2d(x, w, padding, stride, dilation, bias=0.25)
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            step = K.compute_output_step(x, w, r, c, padding=padding, stride=stride, dilation=dilation, bias=0.25)
            assert step.value == pytest.approx(out[r, c])


@pytest.mark.parametrize("padding, stride, dilation, f", [
    ("valid", 1, 1, 3), ("same", 1, 1, 3), ("valid", 2, 1, 3), ("same", 2, 1, 3), ("same", 2, 1, 4),
    ("valid", 3, 1, 5), ("same", 3, 1, 2), ("valid", 1, 2, 3), ("same", 1, 3, 3), ("same", (2, 1), 1, 3),
])
def test_convolve2d_equals_keras_conv2d(padding, stride, dilation, f):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((11, 13, 3)).astype("float32")
    w = rng.standard_normal((f, f, 3, 4)).astype("float32")
    b = rng.standard_normal(4).astype("float32")
    layer = keras.layers.Conv2D(4, f, strides=stride, padding=padding, dilation_rate=dilation)
    layer.build((None, 11, 13, 3))
    layer.set_weights([w, b])
    expected = np.asarray(layer(x[None]))[0]
    ours = K.convolve2d(x, w, padding, stride, dilation, bias=b)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, atol=1e-4)


@pytest.mark.parametrize("mode, shape", [("valid", (3, 3)), ("full", (3, 3)), ("same", (3, 3)),
                                         ("valid", (2, 4)), ("full", (5, 2)), ("same", (5, 5))])
def test_convolve2d_equals_scipy_correlate2d(mode, shape):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((10, 9)), rng.standard_normal(shape)
    np.testing.assert_allclose(K.convolve2d(x, w, mode), scipy.signal.correlate2d(x, w, mode), atol=1e-12)


@pytest.mark.parametrize("n, f, padding, stride, dilation", [
    (6, 3, "valid", 1, 1), (6, 3, "same", 1, 1), (6, 3, "full", 1, 1), (7, 3, "valid", 2, 1),
    (7, 3, "same", 2, 1), (64, 5, "same", 4, 1), (10, 3, "valid", 1, 3), (10, 2, "full", 3, 2),
])
def test_conv_output_size_matches_the_formula_and_the_computed_output(n, f, padding, stride, dilation):
    size = K.conv_output_size(n, f, padding, stride, dilation)
    p = {"valid": 0, "full": 2 * dilation * (f - 1)}.get(padding)
    if p is not None:  # lecture: (n + 2p − F_eff) / S + 1
        assert size == (n + p - dilation * (f - 1) - 1) // stride + 1
    else:
        assert size == -(-n // stride)
    assert K.convolve2d(np.ones((n, n)), np.ones((f, f)), padding, stride, dilation).shape == (size, size)


def test_lecture_dense_net_on_a_256x256x3_image_has_196610001_parameters():
    assert K.dense_parameter_count([256 * 256 * 3, 1000, 1]) == 196_610_001


@pytest.mark.parametrize("sizes", [[12, 7, 1], [48, 20, 3], [2, 4, 1], [2, 10, 1], [2, 4, 2, 1]])
def test_dense_parameter_count_equals_keras(sizes):
    model = keras.Sequential([keras.Input((sizes[0],))] + [keras.layers.Dense(n) for n in sizes[1:]])
    assert K.dense_parameter_count(sizes) == model.count_params()


@pytest.mark.parametrize("f, c, k", [(3, 1, 16), (3, 3, 64), (5, 16, 32), (1, 64, 128), (7, 3, 8)])
def test_conv_parameter_count_is_f_f_c_plus_1_times_k_as_in_keras(f, c, k):
    layer = keras.layers.Conv2D(k, f)
    layer.build((None, 32, 32, c))
    assert K.conv_parameter_count(f, c, k) == (f * f * c + 1) * k == layer.count_params()


def test_presets_do_what_the_lecture_says():
    x = np.zeros((8, 8))
    x[:, 4:] = 1.0  # a vertical step edge
    np.testing.assert_allclose(K.convolve2d(x, K.PRESETS["identity"], "same"), x)
    np.testing.assert_allclose(K.convolve2d(np.full((6, 6), 2.0), K.PRESETS["box blur"]), 2.0)
    lr = K.convolve2d(x, K.PRESETS["sobel left-to-right"])
    tb = K.convolve2d(x, K.PRESETS["sobel superior-to-inferior"])
    assert lr.min() == -4 and lr.max() == 0 and np.all(tb == 0)  # dark to bright going right: left − right < 0
    assert np.all(K.convolve2d(x.T, K.PRESETS["sobel superior-to-inferior"]) >= 0)  # brighter below
    assert set(np.nonzero(lr)[1]) == {2, 3}  # only the windows across the edge respond
    assert np.all(K.convolve2d(np.ones((5, 5)), K.PRESETS["outline"]) == 0)
    assert set(K.PRESETS) == {"identity", "box blur", "sharpen", "outline", "sobel left-to-right",
                              "sobel superior-to-inferior"}


@pytest.mark.parametrize("call, match", [
    (lambda: K.convolve2d(np.ones((5, 5)), np.ones((3, 3)), padding="reflect"), "padding"),
    (lambda: K.convolve2d(np.ones((5, 5)), np.ones((3, 3)), stride=0), "stride"),
    (lambda: K.convolve2d(np.ones((5, 5)), np.full((3, 3), np.nan)), "kernel"),
    (lambda: K.convolve2d(np.ones((2, 2)), np.ones((3, 3))), "does not fit"),
    (lambda: K.convolve2d(np.ones((5, 5, 2)), np.ones((3, 3, 3))), "channels"),
    (lambda: K.compute_output_step(np.ones((4, 4)), np.ones((3, 3)), 2, 0), "row"),
    (lambda: K.dense_parameter_count([10]), "layer_sizes"),
])
def test_bad_arguments_raise_a_message_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------- inside a model
def _sequential():
    return keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(4, 3, name="c1"),
                             keras.layers.ReLU(name="r1"), keras.layers.Conv2D(2, 3, strides=2, padding="same",
                                                                            name="c2")], name="seq")


def _functional():
    i = keras.Input((12, 12, 1))
    a = keras.layers.Conv2D(4, 3, name="c1")(i)
    b = keras.layers.Conv2D(4, 1, name="side")(a)
    x = keras.layers.Add(name="add")([a, b])
    x = keras.layers.Conv2D(2, 3, strides=2, padding="same", name="c2")(x)
    return keras.Model(i, keras.layers.GlobalMaxPooling2D()(x), name="func")


def _nested():
    inner = _sequential()
    i = keras.Input((12, 12, 1))
    x = keras.layers.Rescaling(2.0, name="scale")(i)
    return keras.Model(i, keras.layers.Flatten()(inner(x)), name="outer"), 2.0


@pytest.mark.parametrize("build", ["sequential", "functional", "nested"])
def test_feature_maps_of_first_conv_equal_the_numpy_convolution(build):
    scale = 1.0
    if build == "sequential":
        model = _sequential()
    elif build == "functional":
        model = _functional()
    else:
        model, scale = _nested()
    image = np.random.default_rng(4).random((12, 12)).astype("float32")
    maps = compute_feature_maps(model, image, layers=["c1", "c2"])
    assert maps.layer_names == ("c1", "c2")
    f = K.compute_filters(model, layer_name="c1")
    expected = K.convolve2d(image[..., None] * scale, f.kernels, bias=f.bias)
    np.testing.assert_allclose(maps.maps[0], expected, atol=1e-4)
    assert maps.maps[1].shape == (5, 5, 2)


def test_feature_maps_default_to_every_conv_layer_of_the_course_cnn():
    from models import build_cnn

    maps = compute_feature_maps(build_cnn(), np.zeros((64, 64)))
    assert maps.layer_names == ("cnn_conv1", "cnn_conv2")
    assert [m.shape for m in maps.maps] == [(64, 64, 16), (32, 32, 32)]


def test_filters_found_by_name_or_type_are_the_layer_weights_and_bad_layers_are_named():
    model = _functional()
    by_type = K.compute_filters(model, layer_name=keras.layers.Conv2D)
    by_default = K.compute_filters(model)
    by_name = K.compute_filters(model, layer_name="c1")
    for f in (by_type, by_default, by_name):
        assert f.layer_name == "c1"
        np.testing.assert_array_equal(f.kernels, np.asarray(model.get_layer("c1").kernel))
    with pytest.raises(ValueError, match="not a conv layer"):
        K.compute_filters(model, layer_name="add")
    with pytest.raises(ValueError, match="nope.*c1"):
        K.compute_filters(model, layer_name="nope")
    with pytest.raises(ValueError, match="expects"):
        compute_feature_maps(model, np.zeros((10, 10)))


def test_plots_draw_the_numbers_they_explain():
    from explainers import kernels_plots as KP

    step = K.compute_output_step(K.LECTURE_SMALL_INPUT, K.LECTURE_SMALL_KERNEL, 1, 1)
    ax = KP.plot_output_step(step)
    assert "= 43" in ax.get_title()
    assert {t.get_text() for t in ax.texts} >= {"4·0\n= 0", "8·3\n= 24"}
    ax = KP.plot_padding_stride(K.compute_padding_stride(6, 3, padding="same", stride=2, dilation=1))
    assert "→ 3×3" in ax.get_title() and len(ax.patches) == 3
    fig = plot_feature_maps(FeatureMaps(np.zeros((4, 4, 1)), ("a",), (np.ones((4, 4, 2)),), (np.arange(2),),
                                        ((4, 4, 2),)), max_maps=3)
    assert len(fig.axes) == 4


def _bn_net():
    i = keras.Input((10, 10, 1))
    x = keras.layers.Conv2D(6, 3, padding="same", name="c1")(i)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU(name="r1")(x)
    x = keras.layers.MaxPooling2D(name="p1")(x)
    x = keras.layers.Conv2D(3, 3, padding="same", name="c2")(x)
    x = keras.layers.MaxPooling2D(name="p2")(x)
    return keras.Model(i, keras.layers.Flatten(name="flat")(x), name="bn_net")


@pytest.mark.parametrize("selector, expected", [
    (None, ("c1", "c2")),
    ("p2", ("p2",)),
    (keras.layers.MaxPooling2D, ("p1", "p2")),
    ("MaxPooling2D", ("p1", "p2")),
    (["c2", "r1"], ("c2", "r1")),
    (["c1", keras.layers.Conv2D], ("c1", "c2")),
])
def test_feature_map_layers_are_chosen_by_name_class_or_class_name(selector, expected):
    maps = compute_feature_maps(_bn_net(), np.ones((10, 10)), layers=selector)
    assert maps.layer_names == expected
    assert maps.shapes == tuple(tuple(m.shape) for m in maps.maps)


def test_feature_map_layers_chosen_by_pattern_inside_a_nested_model():
    model, _ = _nested()
    maps = compute_feature_maps(model, np.ones((12, 12)), pattern=r"^(c\d|r1)$")
    assert maps.layer_names == ("c1", "r1", "c2")
    assert maps.shapes == ((10, 10, 4), (10, 10, 4), (5, 5, 2))


def test_max_channels_keeps_the_most_active_channels_first():
    model = _bn_net()
    image = np.random.default_rng(5).random((10, 10)).astype("float32")
    full = compute_feature_maps(model, image, layers="c1")
    top = compute_feature_maps(model, image, layers="c1", max_channels=3)
    means = full.maps[0].mean(axis=(0, 1))
    np.testing.assert_array_equal(full.channels[0], np.arange(6))
    np.testing.assert_array_equal(top.channels[0], np.argsort(-means)[:3])
    np.testing.assert_allclose(top.maps[0], full.maps[0][..., top.channels[0]])
    assert top.shapes == full.shapes == ((10, 10, 6),)
    fixed = compute_feature_maps(model, image, layers="c1", channels=[top.channels[0][::-1]])
    np.testing.assert_array_equal(fixed.channels[0], top.channels[0][::-1])


@pytest.mark.parametrize("kwargs, match", [
    ({"layers": "c1", "pattern": "c"}, "pattern"),
    ({"pattern": "nonexistent"}, "matches pattern"),
    ({"layers": "nope"}, "nope"),
    ({"layers": "flat"}, "feature-map"),
    ({"max_channels": 0}, "max_channels"),
    ({"layers": "c1", "channels": [[9]]}, "channel"),
])
def test_feature_map_options_that_cannot_work_raise_a_message_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compute_feature_maps(_bn_net(), np.ones((10, 10)), **kwargs)


def test_worked_example_and_convolution_figures_show_the_window_kernel_and_output():
    from explainers import kernels_plots as KP

    step = K.compute_output_step(K.LECTURE_6X6_INPUT, K.LECTURE_EDGE_KERNEL, 0, 3)
    np.testing.assert_array_equal(step.output, K.convolve2d(K.LECTURE_6X6_INPUT, K.LECTURE_EDGE_KERNEL))
    fig = KP.plot_worked_example(step)
    assert len(fig.axes) == 4 and "= 12" in fig.axes[2].get_title()
    assert fig.axes[0].patches[0].get_xy() == (2.5, -0.5)  # the window of z[0, 3] starts at input column 3
    conv = K.compute_convolution(np.ones((9, 9)), K.PRESETS["box blur"], padding="valid", stride=2)
    assert conv.output.shape == (4, 4) and (conv.pad_rows.total, conv.stride) == (0, (2, 2))
    fig = KP.plot_convolution(conv, title="box blur")
    assert [ax.get_title() for ax in fig.axes[:3]] == ["input 9×9", "box blur", "output 4×4"]


@pytest.mark.parametrize("n, f, padding, stride, dilation, before, after", [
    (6, 3, "valid", 1, 1, 0, 0), (6, 3, "same", 1, 1, 1, 1), (6, 3, "same", 2, 1, 0, 1), (6, 3, "full", 1, 2, 4, 4),
])
def test_padding_amounts_pad_the_smaller_half_first_as_tensorflow(n, f, padding, stride, dilation, before, after):
    pad = K.padding_amounts(n, f, padding, stride, dilation)
    assert (pad.before, pad.after, pad.total) == (before, after, before + after)
    geometry = K.compute_padding_stride(n, f, padding=padding, stride=stride, dilation=dilation)
    assert geometry.pad == pad and geometry.output_size == K.conv_output_size(n, f, padding, stride, dilation)


# ------------------------------------------------------- a kernel on a real CT through several windows
@pytest.fixture(scope="module")
def head_ct():
    from models.data import load_scan

    return load_scan("ct_head")


def test_windowed_inputs_and_outputs_equal_numpy_and_scipy(head_ct):
    sobel = K.PRESETS["sobel left-to-right"]
    result = K.compute_windowed_convolutions(head_ct, sobel, windows=("brain", "bone"))
    assert result.images.shape == (2, 512, 512) and result.level_width == ((40.0, 80.0), (400.0, 1800.0))
    for i, (level, width) in enumerate(result.level_width):
        expected = np.clip((head_ct.pixels - (level - width / 2)) / width, 0, 1)  # the linear VOI window
        np.testing.assert_allclose(result.images[i], expected, atol=1e-6)
        np.testing.assert_allclose(result.outputs[i], scipy.signal.correlate2d(expected, sobel, mode="same"),
                                   atol=1e-5)
    np.testing.assert_array_equal(result.bone, head_ct.pixels >= 300)


def test_edge_detector_sees_the_skull_in_a_bone_window_and_the_brain_in_a_brain_window(head_ct):
    import scipy.ndimage as ndi

    result = K.compute_windowed_convolutions(head_ct, K.PRESETS["sobel left-to-right"])
    brain, soft, bone = range(3)
    assert result.windows == ("brain", "soft_tissue", "bone")
    assert result.bone_share[bone] > 0.6 > result.bone_share[soft] > result.bone_share[brain]
    assert result.soft_tissue_share[brain] > 3 * result.soft_tissue_share[bone]
    # Independently: SciPy's Sobel gradient magnitude, bone and brain masks straight from the HU.
    hu = head_ct.pixels
    skull = ndi.binary_dilation(hu >= 300, iterations=2)
    inside = (hu >= -100) & (hu <= 100) & (ndi.distance_transform_edt(hu < 300) > 4)
    for level, width, on_bone, in_brain in [(40, 80, (0.3, 0.45), (0.3, 0.45)), (400, 1800, (0.6, 0.8), (0, 0.1))]:
        img = np.clip((hu - (level - width / 2)) / width, 0, 1)
        mag = np.hypot(ndi.sobel(img, axis=0), ndi.sobel(img, axis=1))
        assert on_bone[0] < mag[skull].sum() / mag.sum() < on_bone[1]
        assert in_brain[0] <= mag[inside].sum() / mag.sum() < in_brain[1]


def test_windowed_convolutions_resize_like_a_network_input(head_ct):
    from models.data import scan_input

    result = K.compute_windowed_convolutions("ct_head", K.PRESETS["outline"], windows=("bone",), size=256)
    assert result.images.shape == result.outputs.shape == (1, 256, 256)
    np.testing.assert_allclose(result.images[0], scan_input(head_ct, 256, window="bone"))
    assert 0.04 < result.bone.mean() < 0.08  # about 6 % of the slice is at least 300 HU at either size


@pytest.mark.parametrize("call, match", [
    (lambda: K.compute_windowed_convolutions("shoulder_mr", np.ones((3, 3))), "CT"),
    (lambda: K.compute_windowed_convolutions("ct", np.ones((3, 3)), windows=("nope",)), "windows"),
    (lambda: K.compute_windowed_convolutions("ct", np.ones(3)), "kernel"),
    (lambda: K.compute_windowed_convolutions(np.zeros((8, 8)), np.ones((3, 3))), "scan"),
])
def test_windowed_convolutions_bad_arguments_name_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_windowed_convolutions_plot_titles_give_each_window_and_its_share_on_bone():
    from explainers.kernels_plots import plot_windowed_convolutions

    result = K.compute_windowed_convolutions("ct", K.PRESETS["sobel left-to-right"], windows=("brain", "bone"))
    titles = [ax.get_title() for ax in plot_windowed_convolutions(result).axes]
    assert titles[:2] == ["brain 40/80 HU", "bone 400/1800 HU"]
    assert f"{100 * result.bone_share[1]:.0f} % on bone" in titles[3]
