"""Grad-CAM and saliency checked against hand computations, on every kind of Keras model."""
import keras
import numpy as np
import pytest
from scipy.signal import correlate

from explainers.saliency import (
    compute_gradcam, compute_gradcam_batch, compute_nodule_hit_rate, compute_saliency, find_gradcam_layer,
)


def _one_conv(units: int, padding: str = "same", sequential: bool = False, size: int = 8):
    """Conv2D(3 filters, ReLU) -> global average pooling -> Dense head (sigmoid for 1 unit)."""
    act = "sigmoid" if units == 1 else "softmax"
    layers = [keras.layers.Conv2D(3, 3, padding=padding, activation="relu", name="conv"),
              keras.layers.GlobalAveragePooling2D(name="gap"),
              keras.layers.Dense(units, activation=act, name="out")]
    if sequential:
        return keras.Sequential([keras.Input((size, size, 1)), *layers], name="seq")
    x = inp = keras.Input((size, size, 1))
    for layer in layers:
        x = layer(x)
    return keras.Model(inp, x, name="func")


def _hand_gradcam(model, image, class_index):
    """NumPy Grad-CAM: A = ReLU(conv), y = head(mean A); α_k = mean ∂y/∂A_k; ReLU(Σ α_k A_k)."""
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in model.get_layer("conv").get_weights())
    W, b = (np.asarray(w, dtype=np.float64) for w in model.get_layer("out").get_weights())
    mode = "same" if model.get_layer("conv").padding == "same" else "valid"
    x = image[..., 0].astype(np.float64)
    A = np.stack([correlate(x, kernel[:, :, 0, k], mode=mode) + bias[k] for k in range(kernel.shape[-1])], -1)
    A = np.maximum(A, 0)
    hw = A.shape[0] * A.shape[1]
    z = A.mean(axis=(0, 1)) @ W + b
    if W.shape[1] == 1:
        p = 1 / (1 + np.exp(-z[0]))
        dy_dz = np.array([p * (1 - p)]) * (1 if class_index == 1 else -1)
    else:
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        dy_dz = p[class_index] * ((np.arange(len(p)) == class_index) - p)
    alpha = (W @ dy_dz) / hw   # every pixel of A_k has the same gradient through the mean
    return np.maximum(A @ alpha, 0), alpha


@pytest.mark.parametrize("units, class_index, sequential", [
    (1, 1, False), (1, 0, False), (3, 0, False), (3, 2, False), (1, 1, True), (3, 1, True),
])
def test_gradcam_matches_hand_computation_on_one_conv_model(units, class_index, sequential):
    model = _one_conv(units, sequential=sequential)
    image = np.random.default_rng(1).random((8, 8, 1)).astype(np.float32)
    result = compute_gradcam(model, image, class_index=class_index)
    cam, alpha = _hand_gradcam(model, image, class_index)
    np.testing.assert_allclose(result.channel_weights, alpha, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(result.cam, cam, rtol=1e-4, atol=1e-8)
    # 'same' padding: the map is already at input resolution, so heatmap = cam / max
    expected = cam / cam.max() if cam.max() > 0 else cam
    np.testing.assert_allclose(result.heatmap, expected, atol=1e-5)
    assert result.layer_name == "conv"


def test_gradcam_upsamples_a_coarse_map_to_the_input_resolution():
    from skimage.transform import resize

    model = _one_conv(1, padding="valid", size=12)
    image = np.random.default_rng(2).random((12, 12, 1)).astype(np.float32)
    # one of the two classes has positive evidence (for one sigmoid unit, α flips sign)
    ci = 1 if _hand_gradcam(model, image, 1)[0].max() > 0 else 0
    result = compute_gradcam(model, image, class_index=ci)
    cam, _ = _hand_gradcam(model, image, ci)
    assert cam.max() > 0
    assert result.cam.shape == (10, 10) and result.heatmap.shape == (12, 12)
    ref = resize(cam / cam.max(), (12, 12), order=1, mode="edge", anti_aliasing=False)
    np.testing.assert_allclose(result.heatmap, ref / ref.max(), atol=0.08)
    assert 0.0 <= result.heatmap.min() and result.heatmap.max() == pytest.approx(1.0)


def test_saliency_of_a_linear_model_is_its_weight_magnitude():
    # y = sigmoid(w·x + b): ∂y/∂x = p(1-p) w, so the normalised |gradient| is |w| / max|w|
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten(), keras.layers.Dense(1, activation="sigmoid")])
    w = np.asarray(model.layers[-1].get_weights()[0])[:, 0].reshape(6, 6)
    image = np.random.default_rng(3).random((6, 6, 1)).astype(np.float32)
    for smoothgrad in (0, 16):
        result = compute_saliency(model, image, smoothgrad=smoothgrad)
        np.testing.assert_allclose(result.heatmap, np.abs(w) / np.abs(w).max(), atol=1e-5)
        assert result.method == ("smoothgrad" if smoothgrad else "saliency")


def test_saliency_follows_new_weights_and_the_softmax_top_class():
    # y_c = softmax(W·x + b)_c: ∂y_c/∂x = Σ_j p_c (δ_cj - p_j) W[:, j]; the compiled gradient must see
    # weights changed after its first call (training between two explanations), not a stale copy.
    model = keras.Sequential([keras.Input((5, 5, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    image = np.random.default_rng(4).random((5, 5, 1)).astype(np.float32)
    rng = np.random.default_rng(5)
    for _ in range(2):
        W, b = rng.normal(size=(25, 3)), rng.normal(size=3)
        model.layers[-1].set_weights([W.astype(np.float32), b.astype(np.float32)])
        z = image.reshape(-1).astype(np.float64) @ W + b
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        c = int(p.argmax())
        grad = (W * (p[c] * ((np.arange(3) == c) - p))).sum(axis=1).reshape(5, 5)
        result = compute_saliency(model, image)
        assert result.class_index == c and result.score == pytest.approx(p[c], abs=1e-6)
        np.testing.assert_allclose(result.heatmap, np.abs(grad) / np.abs(grad).max(), atol=1e-5)


def test_a_discarded_model_frees_its_compiled_gradients():
    import gc
    import weakref

    from explainers import _backend

    model = _one_conv(1)
    compute_saliency(model, np.ones((8, 8, 1), np.float32), smoothgrad=2)
    compute_gradcam(model, np.ones((8, 8, 1), np.float32))
    ref, before = weakref.ref(model), len(_backend._PER_MODEL)
    del model
    gc.collect()
    assert ref() is None and len(_backend._PER_MODEL) <= before - 1  # earlier tests' models may go too


def test_nested_model_works_where_a_cut_out_submodel_is_disconnected():
    inner = _one_conv(1)
    inp = keras.Input((8, 8, 1))
    outer = keras.Model(inp, inner(inp), name="outer")
    # The usual recipe (a sub-model from the outer input to the inner layer) fails:
    with pytest.raises(ValueError):
        keras.Model(outer.inputs, [inner.get_layer("conv").output, outer.output])
    image = np.random.default_rng(4).random((8, 8, 1)).astype(np.float32)
    ours = compute_gradcam(outer, image)
    np.testing.assert_allclose(ours.heatmap, compute_gradcam(inner, image).heatmap, atol=1e-6)
    np.testing.assert_allclose(compute_saliency(outer, image).heatmap, compute_saliency(inner, image).heatmap,
                               atol=1e-6)
    assert compute_gradcam(outer, image, layer_name="func/conv").layer_name == "conv"


@pytest.mark.parametrize("name, n_classes, layer", [
    ("cnn", 2, "cnn_relu2"), ("cnn", 3, "cnn_relu2"), ("resnet", 2, "resnet_stage2_block2_out"),
])
def test_course_models_get_a_heatmap_at_input_resolution(name, n_classes, layer):
    from models import build_cnn, build_resnet

    model = (build_cnn if name == "cnn" else build_resnet)(input_shape=(32, 32, 1), n_classes=n_classes)
    default = find_gradcam_layer(model).name
    image = np.random.default_rng(5).random((32, 32, 1)).astype(np.float32)
    for result in (compute_gradcam(model, image), compute_saliency(model, image)):
        assert result.heatmap.shape == (32, 32)
        assert result.heatmap.min() >= 0.0 and result.heatmap.max() <= 1.0
    assert default == layer or default.endswith(("relu2", "_out", "_bn2")), default


def test_batch_gradcam_equals_one_image_at_a_time():
    model = _one_conv(3)
    images = np.random.default_rng(6).random((4, 8, 8, 1)).astype(np.float32)
    heat = compute_gradcam_batch(model, images, class_index=1).heatmaps
    for i in range(4):
        np.testing.assert_allclose(heat[i], compute_gradcam(model, images[i], class_index=1).heatmap, atol=1e-6)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(image=np.zeros((9, 9, 1))), ValueError, "expects"),
    (dict(class_index=5), ValueError, "class_index"),
    (dict(class_index=1.5), TypeError, "class_index"),
    (dict(layer_name="nope"), ValueError, "no layer 'nope'"),
    (dict(layer_name="out"), ValueError, "4-D"),
    (dict(image=np.full((8, 8, 1), np.nan)), ValueError, "NaN"),
])
def test_bad_arguments_are_refused_with_a_clear_message(kwargs, error, match):
    model = _one_conv(1)
    args = dict(image=np.zeros((8, 8, 1), np.float32)) | kwargs
    with pytest.raises(error, match=match):
        compute_gradcam(model, **args)


def test_gradcam_without_a_conv_layer_is_refused():
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="no 2-D conv layer"):
        compute_gradcam(model, np.zeros((6, 6, 1), np.float32))


def test_nodule_hit_rate_keeps_each_true_positive_with_its_heatmap_and_nodule():
    from models import build_cnn
    from models.data import make_lesions

    model = build_cnn((32, 32, 1))
    x, y, c, r = make_lesions(12, size=32, seed=3)
    hits = compute_nodule_hit_rate(model, x, y, c, r, threshold=0.0, batch_size=4)  # every nodule is a TP
    tp = np.flatnonzero(y == 1)
    assert hits.true_positives == len(tp) and np.array_equal(hits.indices, tp)
    np.testing.assert_allclose(hits.heatmaps, compute_gradcam_batch(model, x[tp], class_index=1).heatmaps, atol=1e-6)
    np.testing.assert_array_equal(hits.images, x[tp])
    np.testing.assert_array_equal(hits.centres, c[tp])
    np.testing.assert_array_equal(hits.radii, r[tp])
    peaks = np.array([np.unravel_index(h.argmax(), h.shape) for h in hits.heatmaps])
    np.testing.assert_array_equal(hits.peaks, peaks)
    assert hits.hits == int(hits.inside.sum()) and hits.rate == pytest.approx(hits.inside.mean())
    none = compute_nodule_hit_rate(model, x, np.zeros_like(y), c, r)  # no nodule: no true positive
    assert none.true_positives == 0 and np.isnan(none.rate) and none.peaks.shape == (0, 2)
    assert none.heatmaps.shape == (0, 32, 32) and none.images.shape == (0, 32, 32, 1)


def test_plots_draw_the_result_on_the_axes_or_figure_given():
    from matplotlib.figure import Figure

    from explainers.saliency_plots import plot_heatmap, plot_hit_rate
    from models.data import make_lesions

    model = _one_conv(1, size=32)
    x, y, c, r = make_lesions(6, size=32, seed=4)
    cam = compute_gradcam(model, x[0])
    ax = Figure().subplots()
    assert plot_heatmap(cam, ax, centre=c[0], radius=r[0]) is ax
    peak = np.unravel_index(cam.heatmap.argmax(), cam.heatmap.shape)
    assert tuple(ax.lines[0].get_xydata()[0]) == (peak[1], peak[0])  # the + sits on the peak
    np.testing.assert_array_equal(ax.images[0].get_array(), x[0][..., 0])
    hits = compute_nodule_hit_rate(model, x, y, c, r, threshold=0.0)
    fig = Figure()
    assert plot_hit_rate(hits, fig, n=2) is fig
    assert [a.get_title() for a in fig.axes] == ["hit" if i else "miss" for i in hits.inside[:2]]


@pytest.mark.slow
def test_trained_cnn_gradcam_peaks_inside_the_nodule_for_most_true_positives():
    from models import build_cnn
    from models.data import make_lesions
    from models.training import train

    x, y, _, _ = make_lesions(384, seed=0)
    xv, yv, cv, rv = make_lesions(96, seed=1)
    model = build_cnn()
    history = train(model, x, y, epochs=6, learning_rate=3e-3, validation_data=(xv, yv))
    assert history.history["val_accuracy"][-1] >= 0.85
    hits = compute_nodule_hit_rate(model, xv, yv, cv, rv)
    assert hits.true_positives >= 30
    # an untrained-like guess (uniformly random peak) lands in a nodule ~1-3 % of the time
    assert hits.rate >= 0.8, hits
    np.testing.assert_allclose(hits.distances, np.linalg.norm(hits.peaks - cv[hits.indices], axis=1))
