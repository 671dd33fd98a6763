"""explainers.receptive_field: the lecture's formula, published values, multi-path nets, gradients."""
import keras
import numpy as np
import pytest
from keras import layers

from explainers.receptive_field import (
    WHOLE_IMAGE, compute_effective_receptive_field, compute_receptive_field, compute_stacked_receptive_field,
)


def test_lecture_two_3x3_layers_with_stride_1_give_5():
    assert compute_stacked_receptive_field([3, 3], [1, 1]).size == 5
    model = keras.Sequential([keras.Input((16, 16, 1)), layers.Conv2D(1, 3, name="a"), layers.Conv2D(1, 3, name="b")])
    rf = compute_receptive_field(model)
    assert (rf.layer_name, rf.size, rf.stride, rf.padding) == ("b", 5, 1, 0)
    assert [r.size for r in rf.layers] == [3, 5]


def _chain(spec, size=40):
    """A linear net with constant positive weights: every gradient inside the field is non-zero."""
    model = keras.Sequential([keras.Input((size, size, 1))])
    for i, (kind, f, s, d, pad) in enumerate(spec):
        if kind == "conv":
            model.add(layers.Conv2D(1, f, strides=s, dilation_rate=d, padding=pad, use_bias=False,
                                    kernel_initializer="ones", name=f"l{i}"))
        elif kind == "avg":
            model.add(layers.AveragePooling2D(f, strides=s, padding=pad, name=f"l{i}"))
        else:
            model.add(layers.ZeroPadding2D(f, name=f"l{i}"))
    return model


CHAINS = {
    "two 3x3": [("conv", 3, 1, 1, "valid")] * 2,
    "stride and pool": [("conv", 3, 2, 1, "valid"), ("avg", 2, 2, 1, "valid"), ("conv", 3, 1, 1, "valid")],
    "dilated": [("conv", 3, 1, 2, "valid"), ("conv", 3, 1, 3, "valid")],
    "same padding": [("conv", 5, 1, 1, "same"), ("conv", 3, 2, 1, "same"), ("conv", 3, 1, 1, "same")],
    "explicit padding": [("pad", 2, 1, 1, ""), ("conv", 5, 2, 1, "valid"), ("conv", 3, 1, 1, "valid")],
}


@pytest.mark.parametrize("name", list(CHAINS))
def test_formula_matches_the_lecture_sum_and_the_gradient_extent(name):
    model = _chain(CHAINS[name])
    rf = compute_receptive_field(model)
    convs = [(f if k != "pad" else 1, s if k != "pad" else 1, d if k == "conv" else 1)
             for k, f, s, d, _ in CHAINS[name]]
    assert rf.size == compute_stacked_receptive_field([d * (f - 1) + 1 for f, s, d in convs],
                                                     [s for f, s, d in convs]).size
    erf = compute_effective_receptive_field(model, n_samples=2)
    # The gradient is non-zero exactly on the analytic square of the centre unit (inside the image).
    top, left, bottom, right = rf.box(*erf.unit)
    if top >= 0 and left >= 0 and bottom < 40 and right < 40:
        assert erf.extent == (rf.size, rf.size)
        assert erf.box == (top, left, bottom, right)


def test_vgg16_block5_pool_matches_google_research_receptive_field():
    vgg = keras.applications.VGG16(weights=None, include_top=False)
    rf = compute_receptive_field(vgg, layer_name="block5_pool")
    assert (rf.size, rf.stride, rf.padding) == (212, 32, 90)
    assert compute_receptive_field(vgg).layer_name == "block5_pool"


def test_mobilenet_matches_google_research_receptive_field():
    # google-research/receptive_field README: mobilenet_v1 = 315, 32, 126.
    rf = compute_receptive_field(keras.applications.MobileNet(weights=None, include_top=False, input_shape=(224, 224, 3)))
    assert (rf.size, rf.stride, rf.padding) == (315, 32, 126)


@pytest.mark.slow
def test_inception_v3_multi_path_matches_google_research_receptive_field():
    # google-research/receptive_field README: inception_v3 (Mixed_7c) = 1311, 32, 618.
    rf = compute_receptive_field(keras.applications.InceptionV3(weights=None, include_top=False), layer_name="mixed10")
    assert (rf.size, rf.stride, rf.padding) == (1311, 32, 618)
    assert any(r.kind == "Concatenate" for r in rf.layers)


def _two_paths(merge, misaligned=False):
    i = keras.Input((20, 20, 1))
    a = layers.Conv2D(2, 3, padding="same", name="a1")(i)
    a = layers.Conv2D(2, 3, padding="same", name="a2")(a)
    if misaligned:
        b = layers.ZeroPadding2D(((0, 4), (0, 4)), name="shift")(i)
        b = layers.Conv2D(2, 5, name="b")(b)  # a 5x5 field that starts at the unit: off-centre
    else:
        b = layers.Conv2D(2, 1, name="b")(i)
    x = merge(name="merge")([a, b])
    x = layers.Conv2D(2, 3, strides=2, name="after")(x)
    return keras.Model(i, x)


@pytest.mark.parametrize("merge", [layers.Add, layers.Concatenate, layers.Maximum])
def test_multi_path_merges_take_the_largest_aligned_field(merge):
    rf = compute_receptive_field(_two_paths(merge), layer_name="merge")
    assert (rf.size, rf.padding) == (5, 2)
    after = compute_receptive_field(_two_paths(merge), layer_name="after")
    assert (after.size, after.stride, after.padding) == (7, 2, 2)


def test_misaligned_paths_give_the_union_and_are_flagged():
    # Paths see input pixels [-2, 2] and [0, 4] of unit 0: the union is [-2, 4], 7 pixels.
    rf = compute_receptive_field(_two_paths(layers.Add, misaligned=True), layer_name="merge")
    assert (rf.size, rf.padding, rf.misaligned, rf.aligned) == (7, 2, ("merge",), False)
    assert compute_receptive_field(_two_paths(layers.Add), layer_name="merge").aligned


def test_residual_net_flags_misaligned_adds_and_nested_models_are_entered():
    from models import build_resnet

    rf = compute_receptive_field(build_resnet())
    assert rf.size > 1 and any(r.kind == "Add" for r in rf.layers)
    # Its stride-2 'same' 3x3 conv on an even input pads only after (TensorFlow's rule),
    # so the main path's field is off-centre against the 1x1 stride-2 shortcut.
    assert rf.misaligned and all("add" in name for name in rf.misaligned)
    inner = keras.Sequential([keras.Input((14, 14, 1)), layers.Conv2D(1, 3, name="ia"),
                              layers.Conv2D(1, 3, strides=2, name="ib")], name="inner")
    i = keras.Input((16, 16, 1))
    x = layers.Conv2D(1, 3, name="first")(i)
    x = inner(x)
    x = layers.Conv2D(1, 3, name="last")(x)
    outer = keras.Model(i, x)
    assert compute_receptive_field(outer, layer_name="ib").size == 7
    assert compute_receptive_field(outer, layer_name="last").size == 11


def test_transposed_convolution_gets_a_clear_error_naming_it():
    from models import build_unet

    unet = build_unet((32, 32, 1))
    with pytest.raises(ValueError, match="Conv2DTranspose"):
        compute_receptive_field(unet)
    encoder_layer = next(layer.name for layer in unet.layers if isinstance(layer, layers.MaxPooling2D))
    assert compute_receptive_field(unet, layer_name=encoder_layer).size > 1


def test_course_cnn_effective_field_lies_inside_its_analytic_field():
    from models import build_cnn

    model = build_cnn()
    rf = compute_receptive_field(model, layer_name="cnn_conv2")
    assert (rf.size, rf.stride, rf.padding) == (8, 2, 3)
    erf = compute_effective_receptive_field(model, layer_name="cnn_conv2", n_samples=4)
    top, left, bottom, right = rf.box(*erf.unit)
    assert erf.box[0] >= top and erf.box[1] >= left and erf.box[2] <= bottom and erf.box[3] <= right
    assert erf.heatmap.max() == 1.0


@pytest.mark.parametrize("call, match", [
    (lambda m: compute_receptive_field(m, layer_name="nope"), "nope"),
    (lambda m: compute_receptive_field(m, layer_name="flat"), "spatial"),
    (lambda m: compute_effective_receptive_field(m, n_samples=0), "n_samples"),
    (lambda m: compute_receptive_field("model"), "keras.Model"),
])
def test_bad_arguments_raise_a_message_naming_them(call, match):
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(1, 3, name="c"), layers.Flatten(name="flat")])
    with pytest.raises((ValueError, TypeError), match=match):
        call(model)


def test_plots_show_the_field_and_the_analytic_square():
    from explainers.receptive_field_plots import plot_effective_field, plot_receptive_field_growth

    model = _chain(CHAINS["two 3x3"], size=12)
    rf = compute_receptive_field(model)
    assert "R = 5" in plot_receptive_field_growth(rf).get_title()
    erf = compute_effective_receptive_field(model, n_samples=2)
    assert erf.analytic == rf
    ax = plot_effective_field(erf, image=np.zeros((12, 12)))
    square = [p for p in ax.patches if p.get_width() == 5]
    assert square and square[0].get_xy() == (rf.box(*erf.unit)[1] - 0.5, rf.box(*erf.unit)[0] - 0.5)


# ------------------------------------------------------------ the field in millimetres on a real scan
def _course_cnn():
    from models import build_cnn

    return build_cnn((64, 64, 1), 2, seed=0)


def test_field_in_mm_on_the_head_ct_matches_a_hand_computation():
    from explainers.receptive_field import compute_receptive_field_mm
    from models.data import load_scan

    scan = load_scan("ct_head")
    assert scan.pixels.shape == (512, 512) and scan.spacing_mm == pytest.approx((0.478516, 0.478516))
    result = compute_receptive_field_mm(_course_cnn(), scan.spacing_mm, (64, 64), scan.pixels.shape,
                                        layer_name="cnn_pool2")
    # By hand: conv 3 (R 3), pool 2 (R 4, jump 2), conv 3 (R 4 + 2·2 = 8), pool 2 (R 8 + 1·2 = 10, jump 4).
    # 512 px resized to 64: 8 scan pixels per input pixel, 0.478516 · 8 = 3.828128 mm per input pixel.
    assert result.size_px == (10, 10) and result.jump_px == (4, 4)
    assert result.resize_factor == (8.0, 8.0)
    assert result.input_spacing_mm == pytest.approx((3.828128, 3.828128))
    assert result.size_mm == pytest.approx((38.28128, 38.28128))
    assert result.jump_mm == pytest.approx((15.312512, 15.312512))
    assert result.field_of_view_mm == pytest.approx((245.000192, 245.000192))
    # Effective padding 3: unit 8 sees input pixels 8·4 − 3 = 29 to 38, scan pixels 232 to 312 (edges).
    assert result.unit == (8, 8) and result.box_input == (29, 29, 38, 38)
    assert result.box_scan == (232, 232, 312, 312)
    assert result.box_mm == pytest.approx((232 * 0.478516, 232 * 0.478516, 312 * 0.478516, 312 * 0.478516))
    assert "38 mm of this head CT" in result.describe("this head CT")
    assert "lumbar vertebral body" in result.comparison


@pytest.mark.parametrize("spacing, input_shape, image_shape, size_mm", [
    ((0.5, 0.25), (64, 32), (256, 256), (10 * 0.5 * 4, 10 * 0.25 * 8)),    # each axis its own factor
    (0.2, 64, (1955, 1841), (10 * 0.2 * 1955 / 64, 10 * 0.2 * 1841 / 64)),  # a radiograph squeezed square
    (1.0, 64, (64, 64), (10.0, 10.0)),                                    # no resize: pixels are mm
])
def test_field_in_mm_scales_each_axis_by_its_resize_factor(spacing, input_shape, image_shape, size_mm):
    from explainers.receptive_field import compute_receptive_field_mm

    rf = compute_receptive_field(_course_cnn(), layer_name="cnn_pool2")
    result = compute_receptive_field_mm(rf, spacing, input_shape, image_shape)
    assert result.size_mm == pytest.approx(size_mm)
    top, left, bottom, right = result.box_mm
    assert (bottom - top, right - left) == pytest.approx(size_mm)


def test_field_without_spacing_is_given_in_scan_pixels_and_says_so():
    from explainers.receptive_field import compute_receptive_field_mm

    result = compute_receptive_field_mm(_course_cnn(), None, 64, (1955, 1841), layer_name="cnn_pool2")
    assert result.size_mm is None and result.box_mm is None and result.input_spacing_mm is None
    assert result.size_scan_px == pytest.approx((10 * 1955 / 64, 10 * 1841 / 64))
    assert "no pixel spacing" in result.describe()


@pytest.mark.parametrize("mm, words", [(2.0, "smaller than a lacune"), (10.0, "lacune"), (25.0, "lung nodule"),
                                       (45.0, "vertebral body"), (110.0, "kidney"), (150.0, "adult head"),
                                       (400.0, "wider than an adult head")])
def test_field_size_is_compared_with_a_size_a_clinician_knows(mm, words):
    from explainers.receptive_field import compute_receptive_field_mm

    # A 10-pixel field at mm/10 per pixel is mm wide.
    result = compute_receptive_field_mm(compute_receptive_field(_course_cnn(), layer_name="cnn_pool2"), mm / 10,
                                        64, 64)
    assert result.size_mm == pytest.approx((mm, mm))
    assert words in result.comparison


@pytest.mark.parametrize("kwargs, match", [
    ({"spacing_mm": -1.0}, "spacing_mm"), ({"spacing_mm": (1.0, 2.0, 3.0)}, "spacing_mm"),
    ({"input_shape": 0}, "input_shape"), ({"image_shape": "big"}, "image_shape"), ({"unit": (-1, 0)}, "unit"),
])
def test_field_in_mm_bad_arguments_name_the_argument(kwargs, match):
    from explainers.receptive_field import compute_receptive_field_mm

    args = {"spacing_mm": 0.5, "input_shape": 64, "image_shape": 512} | kwargs
    rf = compute_receptive_field(_course_cnn(), layer_name="cnn_pool2")
    with pytest.raises(ValueError, match=match):
        compute_receptive_field_mm(rf, args.pop("spacing_mm"), args.pop("input_shape"), args.pop("image_shape"),
                                   **args)


def test_field_in_mm_plot_draws_the_square_and_a_scale_bar_in_mm():
    from explainers.receptive_field import compute_receptive_field_mm
    from explainers.receptive_field_plots import plot_receptive_field_mm

    result = compute_receptive_field_mm(_course_cnn(), 0.5, 64, 512, layer_name="cnn_pool2")
    ax = plot_receptive_field_mm(result, image=np.zeros((64, 64)))
    square = [p for p in ax.patches if p.get_linestyle() == "--"][0]
    assert square.get_xy() == pytest.approx((232 * 0.5, 232 * 0.5)) and square.get_width() == pytest.approx(40.0)
    assert any(t.get_text() == "50 mm" for t in ax.texts)  # 256 mm across: a quarter, rounded down to 1-2-5
    assert ax.get_xlim() == pytest.approx((0, 256))
