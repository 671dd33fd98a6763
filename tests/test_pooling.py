"""Pooling and CAM: the explainers against NumPy and Keras' own layers, CAM against Grad-CAM."""
import keras
import numpy as np
import pytest
from keras import layers

from explainers.pooling import (
    compute_cam, compute_cam_comparison, compute_downsampling, compute_global_pooling, compute_pooling,
)
from explainers.saliency import compute_gradcam
from models._arguments import ArgumentError
from models.data import make_lesions, scan_input
from models.gap_cnn import build_gap_cnn


@pytest.fixture(scope="module")
def ct_head():
    return scan_input("ct_head", 96)   # 96 = 2·48 = 3·32 = 4·24: every window tiles it


@pytest.fixture(scope="module")
def lesions():
    return make_lesions(6, seed=3)


# ------------------------------------------------------------------ max and average pooling
@pytest.mark.parametrize("size", [2, 3, 4])
def test_pooling_that_tiles_the_image_is_numpys_reshape_max_and_mean(ct_head, size):
    n = ct_head.shape[0] // size
    blocks = ct_head.astype(np.float64).reshape(n, size, n, size)
    result = compute_pooling(ct_head, size=size)
    np.testing.assert_allclose(result.maximum, blocks.max(axis=(1, 3)))
    np.testing.assert_allclose(result.average, blocks.mean(axis=(1, 3)))
    assert result.output_shape == (n, n)


@pytest.mark.parametrize("size, stride", [(2, 2), (3, 2), (2, 1), (3, 3), (4, 3)])
def test_pooling_matches_keras_max_and_average_pooling_layers(size, stride):
    image = np.random.default_rng(size * 10 + stride).random((23, 18)).astype("float32")
    result = compute_pooling(image, size=size, stride=stride)
    x = image[None, :, :, None]
    keras_max = keras.ops.convert_to_numpy(layers.MaxPooling2D(size, stride)(x))[0, ..., 0]
    keras_mean = keras.ops.convert_to_numpy(layers.AveragePooling2D(size, stride)(x))[0, ..., 0]
    np.testing.assert_allclose(result.maximum, keras_max, atol=1e-6)
    np.testing.assert_allclose(result.average, keras_mean, atol=1e-6)


def test_max_pooling_keeps_the_brightest_pixel_and_average_pooling_keeps_the_mean(ct_head):
    result = compute_pooling(ct_head, size=4)
    assert result.maximum.max() == pytest.approx(ct_head.max())
    assert result.average.mean() == pytest.approx(ct_head.astype(np.float64).mean(), rel=1e-12)
    assert result.average.max() < result.maximum.max()   # the skull's thin bright rim is averaged down


@pytest.mark.parametrize("kwargs, message", [
    ({"image": np.zeros((2, 2)), "size": 3}, "at least 3×3"),
    ({"image": np.zeros((8, 8, 3)), "size": 2}, "one grey image"),
    ({"image": np.zeros((8, 8)), "size": 0}, "size"),
    ({"image": np.zeros((8, 8)), "size": 2, "stride": 0}, "stride"),
])
def test_bad_pooling_arguments_are_refused_with_what_to_pass(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        compute_pooling(**kwargs)


# --------------------------------------------------------- stride-2 convolution against pooling
@pytest.mark.parametrize("kernel", ["box blur", "outline", "identity"])
def test_stride_2_convolution_matches_keras_conv2d_and_the_lecture_sizes(ct_head, kernel):
    from explainers.kernels import PRESETS

    image = ct_head[:65, :64]   # an odd side: conv ("same") gives ⌈65/2⌉ = 33, pooling ⌊65/2⌋ = 32
    result = compute_downsampling(image, kernel=kernel, stride=2)
    conv = layers.Conv2D(1, 3, strides=2, padding="same", use_bias=False)
    conv.build((None, 65, 64, 1))
    conv.set_weights([PRESETS[kernel][:, :, None, None]])
    expected = keras.ops.convert_to_numpy(conv(image[None, :, :, None]))[0, ..., 0]
    np.testing.assert_allclose(result.convolved, expected, atol=1e-5)
    assert result.convolved.shape == (33, 32) and result.maximum.shape == (32, 32)
    assert result.subsampled.shape == (33, 32)
    assert result.conv_parameters == (3 * 3 * 1 + 1) * 1 == 10   # lecture 002: (F·F·C + 1)·K
    assert result.pool_parameters == 0


def test_stride_2_convolution_with_the_identity_kernel_just_drops_pixels(ct_head):
    # TensorFlow's "same" padding with stride 2 on an even side pads one zero at the end only, so the
    # identity kernel's centre lands on pixels 1, 3, 5, ...
    result = compute_downsampling(ct_head, kernel="identity")
    np.testing.assert_allclose(result.convolved, ct_head[1::2, 1::2], atol=1e-7)
    np.testing.assert_allclose(result.subsampled, result.convolved)


def test_an_unknown_kernel_name_is_refused_with_the_names_to_use(ct_head):
    with pytest.raises(ArgumentError, match="box blur"):
        compute_downsampling(ct_head, kernel="gaussian")


# ----------------------------------------------------------------------- the builder
def test_gap_cnn_layers_and_parameter_count_follow_the_lecture_formula():
    model = build_gap_cnn(filters=(8, 16, 32), seed=0)
    names = [layer.name for layer in model.layers]
    assert names[:5] == ["gap_cnn_input", "gap_cnn_conv1", "gap_cnn_bn1", "gap_cnn_relu1", "gap_cnn_pool1"]
    assert names[-2:] == ["gap_cnn_gap", "gap_cnn_output"] and "gap_cnn_pool3" not in names
    convs = sum(3 * 3 * c * k for c, k in [(1, 8), (8, 16), (16, 32)])   # (F·F·C)·K, no bias before BN
    norms = sum(4 * k for k in (8, 16, 32))                              # γ, β, moving mean and variance
    assert model.count_params() == convs + norms + (32 + 1)
    assert model.get_layer("gap_cnn_relu3").output.shape[1:] == (16, 16, 32)


def test_gap_cnn_is_deterministic_given_its_seed_and_has_a_max_pooling_twin():
    a, b = build_gap_cnn(seed=5), build_gap_cnn(seed=5)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    twin = build_gap_cnn(seed=5, global_pooling="max")
    assert twin.layers[-2].name == "gap_cnn_gmp" and twin.count_params() == a.count_params()
    with pytest.raises(ArgumentError, match="global_pooling"):
        build_gap_cnn(global_pooling="sum")


# ----------------------------------------------------------------------- global pooling
def test_global_pooling_is_the_mean_and_max_of_the_maps_that_feed_the_gap(lesions):
    x, y, _, _ = lesions
    model = build_gap_cnn(seed=0)
    result = compute_global_pooling(model, x, labels=y)
    assert result.layer_name == "gap_cnn_relu2" and result.maps.shape == (6, 32, 32, 32)
    probe = keras.Model(model.input, model.get_layer("gap_cnn_relu2").output)
    maps = keras.ops.convert_to_numpy(probe(x))
    np.testing.assert_allclose(result.maps, maps, atol=1e-6)
    gap = keras.ops.convert_to_numpy(layers.GlobalAveragePooling2D()(maps))
    np.testing.assert_allclose(result.average, gap, atol=1e-6)
    np.testing.assert_allclose(result.maximum, maps.max(axis=(1, 2)), atol=1e-7)
    np.testing.assert_array_equal(result.labels, y)


# --------------------------------------------------------------------------------- CAM
def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("class_index", [None, 1, 0])
def test_cam_equals_gradcam_on_a_gap_head_up_to_normalisation(lesions, seed, class_index):
    x = lesions[0]
    model = build_gap_cnn(filters=(8, 16, 32), seed=seed)
    for image in x[:3]:
        result = compute_cam_comparison(model, image, class_index=class_index)
        gradcam = compute_gradcam(model, image, class_index=class_index)   # Grad-CAM's own defaults
        assert gradcam.layer_name == result.cam.layer_name == "gap_cnn_relu3"
        np.testing.assert_allclose(result.cam.heatmap, gradcam.heatmap, atol=1e-5)
        assert result.max_abs_difference < 1e-5
        # Grad-CAM's α_k are CAM's w_k times p(1 − p)/Z: the derivative of the sigmoid, spread over Z pixels
        p = float(model.predict(image[None], verbose=0)[0, 0])
        assert result.alpha_scale == pytest.approx(p * (1 - p) / result.cam.cam.size, rel=1e-4)
        assert result.alpha_misfit < 1e-4


def test_cam_mean_plus_bias_is_the_class_score_z(lesions):
    x = lesions[0]
    model = build_gap_cnn(seed=2)
    for image in x[:3]:
        p = float(model.predict(image[None], verbose=0)[0, 0])
        positive, negative = compute_cam(model, image), compute_cam(model, image, class_index=0)
        assert positive.logit == pytest.approx(_logit(p), abs=1e-4)
        assert negative.logit == pytest.approx(-_logit(p), abs=1e-4)
        assert positive.score == pytest.approx(p) and negative.score == pytest.approx(1 - p)
        np.testing.assert_allclose(negative.cam, -positive.cam)


def _gap_head(units: int, activation: str, *, seed: int = 0) -> keras.Model:
    init = keras.initializers.GlorotUniform
    inputs = keras.Input((16, 16, 1))
    h = layers.Conv2D(6, 3, padding="same", activation="relu", kernel_initializer=init(seed))(inputs)
    h = layers.GlobalAveragePooling2D()(h)
    outputs = layers.Dense(units, activation=activation, kernel_initializer=init(seed + 1),
                           bias_initializer=keras.initializers.RandomNormal(seed=seed + 2))(h)
    return keras.Model(inputs, outputs)


def test_cam_equals_gradcam_for_every_class_of_a_linear_head():
    model = _gap_head(3, "linear")
    image = np.random.default_rng(0).random((16, 16, 1)).astype("float32")
    scores = keras.ops.convert_to_numpy(model(image[None]))[0]
    for c in range(3):
        result = compute_cam_comparison(model, image, class_index=c)
        assert result.max_abs_difference < 1e-5 and result.alpha_misfit < 1e-4
        assert result.cam.logit == pytest.approx(float(scores[c]), abs=1e-5)


def test_gradcam_of_a_softmax_probability_weighs_the_maps_by_w_c_minus_the_mean_weight():
    """Why CAM and Grad-CAM part on a softmax head: ∂p_c/∂A_k = p_c(w_kc − Σ_j p_j w_kj)/Z."""
    model = _gap_head(3, "softmax", seed=4)
    image = np.random.default_rng(1).random((16, 16, 1)).astype("float32")
    p = keras.ops.convert_to_numpy(model(image[None]))[0].astype(np.float64)
    kernel = keras.ops.convert_to_numpy(model.layers[-1].kernel).astype(np.float64)
    for c in range(3):
        cam = compute_cam(model, image, class_index=c)
        gradcam = compute_gradcam(model, image, class_index=c)
        expected = p[c] * (kernel[:, c] - kernel @ p) / cam.cam.size
        np.testing.assert_allclose(gradcam.channel_weights, expected, rtol=1e-3, atol=1e-9)
        np.testing.assert_allclose(cam.weights, kernel[:, c])


def test_on_a_global_max_pooling_head_cam_is_refused_and_the_map_no_longer_adds_up_to_the_score(lesions):
    x = lesions[0]
    model = build_gap_cnn(seed=0, global_pooling="max")
    with pytest.raises(ArgumentError, match="compute_gradcam"):
        compute_cam(model, x[0])
    # CAM's formula taken anyway: M = Σ_k w_k A_k. Its mean plus b is not the score any more
    # (the score is Σ_k w_k max A_k + b), so M is no decomposition of the decision.
    image = x[0]
    probe = keras.Model(model.input, [model.get_layer("gap_cnn_relu2").output, model.output])
    maps, p = (keras.ops.convert_to_numpy(t).astype(np.float64) for t in probe(image[None]))
    w, b = (keras.ops.convert_to_numpy(v).astype(np.float64) for v in model.get_layer("gap_cnn_output").weights)
    formula = maps[0] @ w[:, 0]
    assert abs(formula.mean() + b[0] - _logit(float(p[0, 0]))) > 1e-3   # on a GAP head: < 1e-4
    assert formula.max() + b[0] != pytest.approx(_logit(float(p[0, 0])), abs=1e-3)
    # Grad-CAM still weighs map k by α_k = w_k·p(1 − p)/Z here (the max's gradient sits on one pixel of Z,
    # and α_k is its mean): the same weights up to scale, on maps whose sum is no longer the score.
    alpha = compute_gradcam(model, image).channel_weights
    scale = float(p[0, 0] * (1 - p[0, 0]) / formula.size)
    np.testing.assert_allclose(alpha, scale * w[:, 0], rtol=1e-3, atol=1e-9)


def test_on_the_course_cnn_gradcam_weights_change_with_the_image_so_no_cam_exists(lesions):
    """GMP then a hidden ReLU layer (models.build_cnn, the saliency page's CNN): α_k depend on the image."""
    from models import build_cnn

    x = lesions[0]
    model = build_cnn(seed=0)
    with pytest.raises(ArgumentError, match="not from global average pooling.*compute_gradcam"):
        compute_cam(model, x[0])
    alphas = np.array([compute_gradcam(model, image).channel_weights for image in x[:4]])
    unit = alphas / np.linalg.norm(alphas, axis=1, keepdims=True)
    cosines = unit @ unit.T
    assert cosines[np.triu_indices(4, 1)].min() < 0.999   # not one weight vector times a number per image


def test_cam_finds_the_head_through_a_nested_backbone_as_in_chexnet():
    """CheXNet's shape: a backbone with pooling="avg" used as a layer, then one Dense output."""
    inputs = keras.Input((16, 16, 1))
    h = layers.Conv2D(4, 3, padding="same", kernel_initializer=keras.initializers.GlorotUniform(0))(inputs)
    h = layers.Activation("relu", name="features")(h)
    backbone = keras.Model(inputs, layers.GlobalAveragePooling2D()(h), name="backbone")
    outer_in = keras.Input((16, 16, 1))
    output = layers.Dense(1, activation="sigmoid", kernel_initializer=keras.initializers.GlorotUniform(1))
    model = keras.Model(outer_in, output(backbone(outer_in)))
    image = np.random.default_rng(2).random((16, 16, 1)).astype("float32")
    result = compute_cam_comparison(model, image)
    assert result.cam.layer_name == "features" and result.max_abs_difference < 1e-5
    p = float(keras.ops.convert_to_numpy(model(image[None]))[0, 0])
    assert result.cam.logit == pytest.approx(_logit(p), abs=1e-4)


@pytest.mark.parametrize("layer, message", [("gap_cnn_relu1", "gap_cnn_relu2"), ("nope", "no|must be the name")])
def test_cam_on_another_layer_is_refused_with_the_one_it_is_defined_on(lesions, layer, message):
    with pytest.raises(ArgumentError, match=message):
        compute_cam(build_gap_cnn(seed=0), lesions[0][0], layer=layer)


# ------------------------------------------------------------------ recipe and drawings
def test_the_recipe_trains_a_gap_cnn_that_cam_explains():
    from models.recipes import build_pooling_cnn, pooling_data, train_pooling_cnn

    data = pooling_data(16, 8, seed=0)
    model = build_pooling_cnn(seed=0)
    history = train_pooling_cnn(model, data, epochs=1, batch_size=8)
    assert history.status == "finished" and len(history) == 1
    assert compute_cam_comparison(model, data.x_val[0]).max_abs_difference < 1e-5


def test_every_pooling_plot_draws(ct_head, lesions):
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from explainers.pooling_plots import (
        plot_cam, plot_cam_comparison, plot_cam_terms, plot_downsampling, plot_global_pooling, plot_pooling,
    )

    x, y, c, r = lesions
    model = build_gap_cnn(seed=0)
    comparison = compute_cam_comparison(model, x[0])
    assert isinstance(plot_pooling(compute_pooling(ct_head)), Figure)
    assert isinstance(plot_downsampling(compute_downsampling(ct_head)), Figure)
    assert isinstance(plot_global_pooling(compute_global_pooling(model, x, labels=y), index=1), Figure)
    assert isinstance(plot_cam(comparison.cam, centre=c[0], radius=r[0]), Axes)
    assert isinstance(plot_cam_terms(comparison.cam), Figure)
    assert isinstance(plot_cam_comparison(comparison), Figure)
