"""Occlusion, integrated gradients and Grad-CAM++ checked against independent references:
a by-hand loop of model.predict, a linear model's exact attribution, tf-keras-vis and a NumPy closed form."""
import keras
import numpy as np
import pytest

from explainers.attribution import compute_gradcam_plus_plus, compute_integrated_gradients, compute_occlusion


def _tiny_cnn(shape=(12, 12, 1), units=1, sequential=False, name="tiny", seed=0):
    """Conv(4, ReLU) -> Conv(3, ReLU) -> flatten -> Dense head (sigmoid for 1 unit), 2-D or 3-D."""
    conv = keras.layers.Conv2D if len(shape) == 3 else keras.layers.Conv3D
    init = lambda i: keras.initializers.GlorotUniform(seed=seed + i)  # noqa: E731
    layers = [conv(4, 3, padding="same", activation="relu", kernel_initializer=init(0), name=f"{name}_conv1"),
              conv(3, 3, padding="same", activation="relu", kernel_initializer=init(1), name=f"{name}_conv2"),
              keras.layers.Flatten(name=f"{name}_flat"),
              keras.layers.Dense(units, activation="sigmoid" if units == 1 else "softmax",
                                 kernel_initializer=init(2), name=f"{name}_out")]
    if sequential:
        return keras.Sequential([keras.Input(shape), *layers], name=name)
    x = inp = keras.Input(shape)
    for layer in layers:
        x = layer(x)
    return keras.Model(inp, x, name=name)


def _linear(shape, seed=0, units=1):
    """y = w·x + b with no activation: every gradient is w, exactly."""
    inp = keras.Input(shape)
    out = keras.layers.Dense(units, kernel_initializer=keras.initializers.RandomNormal(seed=seed),
                             bias_initializer=keras.initializers.RandomNormal(seed=seed + 1), name="lin")(
        keras.layers.Flatten()(inp))
    return keras.Model(inp, out, name="linear")


def _score(model, batch, class_index):
    out = np.asarray(model.predict(batch, verbose=0), dtype=np.float64)
    if out.shape[-1] == 1:
        return out[:, 0] if class_index == 1 else 1 - out[:, 0]
    return out[:, class_index]


def _hand_occlusion(model, image, patch, stride, fill, class_index):
    """One model.predict per occluded copy; every pixel averages the drops of the patches covering it."""
    spatial = image.shape[:-1]
    f0 = _score(model, image[None], class_index)[0]
    starts_per_axis = []
    for size in spatial:
        s = list(range(0, size - patch + 1, stride))
        if s[-1] + patch < size:
            s.append(size - patch)
        starts_per_axis.append(s)
    total, count = np.zeros(spatial), np.zeros(spatial)
    for start in np.ndindex(*[len(s) for s in starts_per_axis]):
        corner = [starts_per_axis[a][i] for a, i in enumerate(start)]
        region = tuple(slice(c, c + patch) for c in corner)
        copy = image.copy()
        copy[region] = fill[region]
        drop = f0 - _score(model, copy[None], class_index)[0]
        total[region] += drop
        count[region] += 1
    assert count.min() >= 1
    return total / count, f0


@pytest.mark.parametrize("units, class_index, baseline, sequential", [
    (1, None, 0.0, False), (1, 0, "mean", True), (3, None, 0.5, False), (3, 2, "blur", True),
])
def test_occlusion_equals_a_by_hand_loop_of_predict(units, class_index, baseline, sequential):
    from scipy.ndimage import gaussian_filter

    model = _tiny_cnn(units=units, sequential=sequential)
    image = np.random.default_rng(1).random((12, 12, 1)).astype(np.float32)
    result = compute_occlusion(model, image, patch=4, stride=3, baseline=baseline, class_index=class_index,
                               batch_size=5)
    ci = result.class_index
    if class_index is None:
        expected_ci = 1 if units == 1 else int(np.argmax(model.predict(image[None], verbose=0)[0]))
        assert ci == expected_ci
    fill = {0.0: np.zeros_like(image), 0.5: np.full_like(image, 0.5), "mean": np.full_like(image, image.mean()),
            "blur": gaussian_filter(image[..., 0].astype(np.float64), 4.0, mode="nearest")[..., None]}[baseline]
    heat, f0 = _hand_occlusion(model, image, 4, 3, fill, ci)
    assert result.score == pytest.approx(f0, abs=1e-6)
    np.testing.assert_allclose(result.heatmap, heat, atol=2e-6)
    assert result.drops.shape == (4, 4) and result.starts[-1].tolist() == [8, 8]  # 0, 3, 6 and 8 (flush)
    assert np.abs(result.heatmap).max() > 1e-4  # the test would catch a zero map


def test_occlusion_of_a_volume_equals_the_by_hand_loop():
    model = _tiny_cnn(shape=(6, 8, 8, 1), name="vol")
    volume = np.random.default_rng(2).random((6, 8, 8)).astype(np.float32)   # (D, H, W): channel added
    result = compute_occlusion(model, volume, patch=3, stride=2, batch_size=16)
    heat, _ = _hand_occlusion(model, volume[..., None], 3, 2, np.zeros((6, 8, 8, 1), np.float32), 1)
    assert result.heatmap.shape == (6, 8, 8) and result.drops.shape == (3, 4, 4)
    np.testing.assert_allclose(result.heatmap, heat, atol=2e-6)


def test_occlusion_of_a_linear_model_is_the_covered_evidence():
    # f = w·x + b: covering a patch with zeros drops f by Σ_patch w·x; non-overlapping patches (stride = patch)
    # give each pixel exactly its own patch's drop.
    model = _linear((8, 8, 1))
    w = model.get_layer("lin").get_weights()[0][:, 0].reshape(8, 8).astype(np.float64)
    image = np.random.default_rng(3).random((8, 8, 1)).astype(np.float32)
    result = compute_occlusion(model, image, patch=2, stride=2)
    contrib = (w * image[..., 0]).reshape(4, 2, 4, 2).sum(axis=(1, 3))
    np.testing.assert_allclose(result.drops, contrib, atol=1e-5)
    np.testing.assert_allclose(result.heatmap, np.kron(contrib, np.ones((2, 2))), atol=1e-5)


def test_occlusion_works_on_a_nested_model_as_on_the_model_inside():
    inner = _tiny_cnn(name="inner")
    inp = keras.Input((12, 12, 1))
    outer = keras.Model(inp, inner(inp), name="outer")
    image = np.random.default_rng(4).random((12, 12, 1)).astype(np.float32)
    np.testing.assert_allclose(compute_occlusion(outer, image).heatmap, compute_occlusion(inner, image).heatmap,
                               atol=1e-6)


@pytest.mark.parametrize("shape", [(6, 6, 1), (5, 4, 4, 2)])
@pytest.mark.parametrize("method", ["riemann", "midpoint", "trapezoid", "adaptive"])
def test_integrated_gradients_of_a_linear_model_are_exactly_the_difference_times_the_weights(shape, method):
    model = _linear(shape)
    w = model.get_layer("lin").get_weights()[0][:, 0].reshape(shape).astype(np.float64)
    rng = np.random.default_rng(5)
    image = rng.random(shape).astype(np.float32)
    for baseline, x0 in ((None, np.zeros(shape)), (rng.random(shape).astype(np.float32), None)):
        x0 = baseline if x0 is None else x0
        result = compute_integrated_gradients(model, image, baseline=baseline, steps=4, method=method)
        np.testing.assert_allclose(result.attributions, (image - x0) * w, rtol=1e-5, atol=1e-6)
        assert result.expected == pytest.approx(float(((image - x0) * w).sum()), abs=1e-4)
        assert result.relative_error < 1e-4
        assert result.heatmap.shape == shape[:-1]


@pytest.mark.parametrize("n_classes, seed, biases, method", [
    (2, 0, False, "trapezoid"), (3, 1, True, "trapezoid"), (2, 2, True, "trapezoid"), (2, 0, False, "riemann"),
    (3, 1, True, "riemann"), (3, 0, True, "midpoint"),
])
def test_integrated_gradients_are_complete_within_one_percent_at_64_steps_on_a_cnn(n_classes, seed, biases, method):
    # The course CNN as built (zero biases) and with random biases, as a trained one has.
    from models import build_cnn
    from models.data import make_lesions

    model = build_cnn((32, 32, 1), n_classes=n_classes, seed=seed)
    rng = np.random.default_rng(seed)
    for layer in model.layers if biases else ():
        if getattr(layer, "bias", None) is not None:
            layer.bias.assign(rng.normal(0.0, 0.3, layer.bias.shape).astype(np.float32))
    image = make_lesions(1, size=32, seed=0, positive_fraction=1.0)[0][0]
    result = compute_integrated_gradients(model, image, steps=64, method=method)
    f_x, f_0 = _score(model, np.stack([image, np.zeros_like(image)]), result.class_index)
    assert result.score == pytest.approx(f_x, abs=1e-5) and result.baseline_score == pytest.approx(f_0, abs=1e-5)
    assert result.expected == pytest.approx(f_x - f_0, abs=1e-5) and abs(result.expected) > 1e-3
    assert result.total == pytest.approx(result.attributions.sum())
    assert result.relative_error == pytest.approx(abs(result.total - result.expected) / abs(result.expected))
    print(f"IG completeness ({method}, 64 steps): Σ = {result.total:.5f}, f(x) − f(x') = {result.expected:.5f}, "
          f"relative error {result.relative_error:.3%}")
    assert result.relative_error < 0.01


def test_the_trapezoid_rule_pays_for_the_kink_at_a_black_baseline():
    # At x' = 0 every ReLU of the zero-bias CNN sits on its kink and the gradient there is 0, so the
    # trapezoid rule loses the half-weight of its first point: an error of 1/(2m) of the total.
    from models import build_cnn
    from models.data import make_lesions

    model = build_cnn((32, 32, 1), seed=0)
    image = make_lesions(1, size=32, seed=0, positive_fraction=1.0)[0][0]
    for steps in (16, 64):
        trapezoid = compute_integrated_gradients(model, image, steps=steps, method="trapezoid")
        riemann = compute_integrated_gradients(model, image, steps=steps, method="riemann")
        assert trapezoid.relative_error == pytest.approx(1 / (2 * steps), rel=0.05)
        assert riemann.relative_error < 1e-3
        assert trapezoid.intervals == steps and trapezoid.uniform_error == trapezoid.relative_error


def test_adaptive_integrated_gradients_halve_only_the_interval_with_the_kink():
    # The zero-bias CNN's logit is linear along the path from 0 (ReLU, max pooling and the initial batch
    # norm are positively homogeneous), except that its gradient at α = 0 itself is 0: every interval but
    # the first is exact, and the first one's interval [0, h] misses h/2 of the total. From 16 steps
    # (3.1 %) the first interval is halved to 1/32 (1.6 %), then 1/64 (0.8 % < 1 %): 18 intervals.
    from models import build_cnn
    from models.data import make_lesions

    model = build_cnn((32, 32, 1), seed=0)
    image = make_lesions(1, size=32, seed=0, positive_fraction=1.0)[0][0]
    result = compute_integrated_gradients(model, image, steps=16, explain="logit", tolerance=0.01)
    assert result.method == "adaptive" and result.explained == "logit"
    assert result.uniform_error == pytest.approx(1 / 32, rel=0.02)
    assert result.intervals == 18
    np.testing.assert_allclose(result.alphas, np.concatenate([[0, 1 / 64, 1 / 32], np.arange(1, 17) / 16]),
                               atol=1e-12)
    assert result.relative_error == pytest.approx(1 / 128, rel=0.02)
    strict = compute_integrated_gradients(model, image, steps=16, explain="logit", tolerance=1e-3)
    assert strict.intervals == 21 and strict.relative_error == pytest.approx(1 / 1024, rel=0.05)  # 1/512: 0.1 %


@pytest.mark.parametrize("units, class_index", [(1, 1), (1, 0), (3, 2)])
def test_integrated_gradients_of_the_logit_follow_the_head_without_its_activation(units, class_index):
    # The logit explained is the pre-activation score: log(p / (1 − p)) of one sigmoid unit (its negative for
    # class 0), the softmax head's z_c; the attributions equal integrated gradients of a copy of the model whose
    # head is linear, and the model's own head is back afterwards.
    model = _tiny_cnn(units=units, name=f"lg{units}")
    image = np.random.default_rng(12).random((12, 12, 1)).astype(np.float32)
    before = model.predict(image[None], verbose=0)
    result = compute_integrated_gradients(model, image, steps=16, method="trapezoid", explain="logit",
                                          class_index=class_index)
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    copy.layers[-1].activation = keras.activations.linear
    z = copy.predict(np.stack([image, np.zeros_like(image)]), verbose=0).astype(np.float64)
    if units == 1:
        p = before[0, 0].astype(np.float64)
        assert result.score == pytest.approx((1 if class_index else -1) * np.log(p / (1 - p)), abs=1e-4)
        z = z[:, 0] * (1 if class_index else -1)
    else:
        z = z[:, class_index]
    assert (result.score, result.baseline_score) == pytest.approx((z[0], z[1]), abs=1e-5)
    reference = compute_integrated_gradients(copy, image, steps=16, method="trapezoid",
                                             class_index=1 if units == 1 else class_index)
    sign = -1.0 if units == 1 and class_index == 0 else 1.0
    np.testing.assert_allclose(result.attributions, sign * reference.attributions, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(model.predict(image[None], verbose=0), before)


@pytest.mark.slow
def test_integrated_gradients_are_complete_within_one_percent_on_the_trained_lesion_cnn():
    # The trained lesion CNN of the trust page (deterministic). Its score bends ~1,700 times along the path
    # from black and, on images it scores much like black, swings far more than f(x) − f(x'): the uniform
    # trapezoid rule at 64 steps misses completeness by more than 1 % on most of them (printed), the adaptive
    # rule (the default) not, checked against model.predict. Two maps are compared with 4096 uniform steps.
    from models.recipes.sanity import build_sanity_cnn, sanity_data, train_sanity_cnn

    data = sanity_data(seed=0)
    model = build_sanity_cnn("max", seed=1)
    train_sanity_cnn(model, data, epochs=5)
    images = data.x_val[np.flatnonzero(data.y_val == 1)[:8]]
    f_x = _score(model, images, 1)
    f_0 = _score(model, np.zeros_like(images[:1]), 1)[0]
    uniform_misses = 0
    for k, image in enumerate(images):
        uniform = compute_integrated_gradients(model, image, steps=64, method="trapezoid")
        result = compute_integrated_gradients(model, image, steps=64)
        expected = f_x[k] - f_0
        error = abs(result.attributions.sum() - expected) / abs(expected)
        uniform_error = abs(uniform.attributions.sum() - expected) / abs(expected)
        print(f"image {k}: f(x) − f(0) = {expected:+.4f}; trapezoid 64 steps {uniform_error:7.2%}; "
              f"adaptive {error:.2%} with {result.intervals} intervals")
        assert result.expected == pytest.approx(expected, abs=1e-5)
        assert result.uniform_error == pytest.approx(uniform_error, rel=1e-3)
        assert error < 0.01 and result.intervals <= 1024
        uniform_misses += uniform_error > 0.01
        if k < 2:
            fine = compute_integrated_gradients(model, image, steps=4096, method="trapezoid", batch_size=256)
            gap = np.linalg.norm(result.attributions - fine.attributions) / np.linalg.norm(fine.attributions)
            print(f"         attributions vs 4096 uniform steps: {gap:.2%} apart (L2)")
            assert gap < 0.05
    assert uniform_misses >= 4  # the premise: 64 uniform steps are not enough on this net


def test_integrated_gradients_equal_one_gradient_per_step_by_hand():
    # The paper's right Riemann sum, one GradientTape per path point (an independent gradient code path).
    import tensorflow as tf

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the by-hand reference uses tf.GradientTape")
    model = _tiny_cnn(units=3)
    image = np.random.default_rng(7).random((12, 12, 1)).astype(np.float32)
    result = compute_integrated_gradients(model, image, steps=8, method="riemann", class_index=2, batch_size=3)
    total = np.zeros_like(image, dtype=np.float64)
    for k in range(1, 9):
        point = tf.constant(image[None] * (k / 8))
        with tf.GradientTape() as tape:
            tape.watch(point)
            score = model(point, training=False)[0, 2]
        total += tape.gradient(score, point).numpy()[0] / 8
    np.testing.assert_allclose(result.attributions, image * total, rtol=1e-4, atol=1e-7)


def _gap_model(units, activation, name="gap"):
    """Conv(3, ReLU, 'same') -> global average pooling -> Dense(units, activation): g = ∂S/∂A is W[:, c]/hw."""
    inp = keras.Input((8, 8, 1))
    a = keras.layers.Conv2D(3, 3, padding="same", activation="relu", name=f"{name}_conv",
                            kernel_initializer=keras.initializers.GlorotUniform(seed=3),
                            bias_initializer=keras.initializers.Constant(0.05))(inp)
    z = keras.layers.Dense(units, activation=activation, name=f"{name}_out",
                           kernel_initializer=keras.initializers.RandomNormal(stddev=2.0, seed=4))(
        keras.layers.GlobalAveragePooling2D(name=f"{name}_pool")(a))
    return keras.Model(inp, z, name=name)


@pytest.mark.parametrize("units, activation, class_index", [
    (3, None, 0), (3, "softmax", 1), (1, "sigmoid", 1), (1, "sigmoid", 0),
])
def test_gradcam_plus_plus_equals_a_numpy_closed_form_on_a_gap_model(units, activation, class_index):
    # Through global average pooling every position of A_k has the same g_k = W[k, c]/hw (S the logit), so
    # α = g²/(2g² + ΣA g³) is constant over the positions, scales to 1/hw, and w_k = exp(S) ReLU(g_k).
    from scipy.signal import correlate

    model = _gap_model(units, activation)
    image = np.random.default_rng(8).random((8, 8, 1)).astype(np.float32)
    kernel, bias = (np.asarray(w, np.float64) for w in model.get_layer("gap_conv").get_weights())
    W, b = (np.asarray(w, np.float64) for w in model.get_layer("gap_out").get_weights())
    A = np.maximum(np.stack([correlate(image[..., 0].astype(np.float64), kernel[:, :, 0, k], mode="same") + bias[k]
                             for k in range(3)], axis=-1), 0.0)
    z = A.mean(axis=(0, 1)) @ W + b
    sign = -1.0 if units == 1 and class_index == 0 else 1.0
    col = 0 if units == 1 else class_index
    S, g = sign * z[col], sign * W[:, col] / 64
    weights = np.exp(S) * np.maximum(g, 0.0) * (g != 0)
    cam = np.maximum(A @ weights, 0.0)
    result = compute_gradcam_plus_plus(model, image, class_index=class_index)
    assert result.layer_name == "gap_conv" and result.logit == pytest.approx(S, rel=1e-5)
    np.testing.assert_allclose(result.channel_weights, weights, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(result.alphas, np.where(g != 0, 1 / 64, 0.0) * np.ones((8, 8, 3)), rtol=1e-4)
    np.testing.assert_allclose(result.cam, cam, rtol=1e-4, atol=1e-9)
    assert cam.max() > 0 and result.heatmap.max() == pytest.approx(1.0)
    np.testing.assert_allclose(result.heatmap, cam / cam.max(), atol=1e-5)  # 'same': already at input size


@pytest.mark.parametrize("units, activation, class_index", [
    (3, None, 1), (3, "softmax", 0), (1, "sigmoid", 1), (1, "sigmoid", 0),
])
def test_gradcam_plus_plus_equals_tf_keras_vis(units, activation, class_index):
    # tf-keras-vis' GradcamPlusPlus on the same model, with its ReplaceToLinear modifier (the logit
    # explained) and its un-normalised, un-expanded CAM; one sigmoid unit's class 0 is the score −z.
    pytest.importorskip("tf_keras_vis")
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

    model = _tiny_cnn(units=units, name="vis") if activation else _linear_head_cnn()
    image = np.random.default_rng(9).random((12, 12, 1)).astype(np.float32)
    ours = compute_gradcam_plus_plus(model, image, class_index=class_index, layer_name=model.layers[2].name)
    sign = -1.0 if units == 1 and class_index == 0 else 1.0
    col = 0 if units == 1 else class_index
    vis = GradcamPlusPlus(model, model_modifier=ReplaceToLinear(), clone=True)
    cam = vis(lambda out: sign * out[:, col], image[None], penultimate_layer=model.layers[2].name,
              expand_cam=False, normalize_cam=False)
    cam = np.asarray(cam, np.float64)[0]
    assert cam.max() > 0
    np.testing.assert_allclose(ours.cam, cam, rtol=2e-4, atol=1e-6 * cam.max())


def test_gradcam_plus_plus_on_global_max_pooling_is_gradcam_without_its_negative_channels():
    # The lesion CNN (conv -> BN -> ReLU layer -> pool, global max pooling): tf-keras-vis on the same ReLU layer
    # (seek_penultimate_conv_layer=False: by default it walks back to the conv and takes its pre-BN output). Each
    # channel's gradient is non-zero at one position only (its global maximum), so α is 1 there and
    # w_k = exp(S) ReLU(g_k): the map is ReLU(Σ_k ReLU(g_k) A_k), Grad-CAM with the negatively weighted channels
    # dropped. That is why it lights the border more than Grad-CAM on the trust page: the method, not a bug.
    pytest.importorskip("tf_keras_vis")
    import tensorflow as tf
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

    from models import build_cnn
    from models.data import make_lesions

    model = build_cnn((32, 32, 1), seed=3)
    rng = np.random.default_rng(3)
    for layer in model.layers:  # trained-like batch norm and biases
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.beta.assign(rng.normal(0, 0.3, layer.beta.shape).astype(np.float32))
            layer.moving_mean.assign(rng.normal(0, 0.2, layer.moving_mean.shape).astype(np.float32))
    image = make_lesions(1, size=32, seed=3, positive_fraction=1.0)[0][0]
    ours = compute_gradcam_plus_plus(model, image)
    assert ours.layer_name == "cnn_relu2"
    vis = GradcamPlusPlus(model, model_modifier=ReplaceToLinear(), clone=True)
    cam = np.asarray(vis(lambda out: out[:, 0], image[None], penultimate_layer="cnn_relu2",
                         seek_penultimate_conv_layer=False, expand_cam=False, normalize_cam=False), np.float64)[0]
    assert cam.max() > 0
    np.testing.assert_allclose(ours.cam, cam, rtol=2e-4, atol=1e-6 * cam.max())
    # the closed form, from a sub-model's feature maps and one GradientTape
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    copy.layers[-1].activation = keras.activations.linear
    sub = keras.Model(copy.inputs, [copy.outputs[0], copy.get_layer("cnn_relu2").output])
    with tf.GradientTape() as tape:
        z, a = sub(image[None], training=False)
        tape.watch(a)
        logit = z[:, 0]
    g = tape.gradient(logit, a).numpy()[0].astype(np.float64)
    a = a.numpy()[0].astype(np.float64)
    live = a.reshape(-1, a.shape[-1]).max(axis=0) > 0  # a channel that is 0 everywhere ties everywhere
    assert live.sum() >= 16 and np.all((g != 0).reshape(-1, g.shape[-1])[:, live].sum(axis=0) == 1)
    peak = g.reshape(-1, g.shape[-1]).sum(axis=0)
    weights = np.exp(float(z[0, 0])) * np.maximum(peak, 0.0)
    np.testing.assert_allclose(ours.channel_weights[live], weights[live], rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(ours.cam, np.maximum(a @ (weights * live), 0.0), rtol=1e-4, atol=1e-6 * cam.max())
    assert (peak[live] < 0).sum() > 0  # some channels are dropped, or the test would not tell the two apart


def _linear_head_cnn():
    """As _tiny_cnn with 3 classes, but the head returns logits (no activation)."""
    model = _tiny_cnn(units=3, name="logits")
    model.get_layer("logits_out").activation = keras.activations.linear
    return model


def test_gradcam_plus_plus_of_a_nested_model_equals_the_model_inside_and_leaves_the_head_alone():
    inner = _tiny_cnn(units=3, name="inner")
    inp = keras.Input((12, 12, 1))
    outer = keras.Model(inp, inner(inp), name="outer")
    image = np.random.default_rng(10).random((12, 12, 1)).astype(np.float32)
    before = outer.predict(image[None], verbose=0)
    ours = compute_gradcam_plus_plus(outer, image, layer_name="inner/inner_conv2")
    np.testing.assert_allclose(ours.heatmap, compute_gradcam_plus_plus(inner, image).heatmap, atol=1e-6)
    assert ours.layer_name == "inner_conv2" and ours.heatmap.shape == (12, 12)
    np.testing.assert_allclose(outer.predict(image[None], verbose=0), before)  # softmax back after the trace
    assert ours.score == pytest.approx(float(before[0].max()), abs=1e-6)
    assert ours.class_index == int(before[0].argmax())


@pytest.mark.parametrize("fn, kwargs, match", [
    (compute_occlusion, dict(image=np.zeros((9, 9, 1))), "image"),
    (compute_occlusion, dict(patch=0), "patch"),
    (compute_occlusion, dict(stride=(2, 2, 2)), "stride"),
    (compute_occlusion, dict(baseline="noise"), "baseline"),
    (compute_occlusion, dict(class_index=2), "class_index"),
    (compute_integrated_gradients, dict(steps=0), "steps"),
    (compute_integrated_gradients, dict(baseline=np.zeros((3, 3))), "baseline"),
    (compute_integrated_gradients, dict(method="simpson"), "method"),
    (compute_integrated_gradients, dict(explain="softmax"), "explain"),
    (compute_integrated_gradients, dict(tolerance=0.0), "tolerance"),
    (compute_integrated_gradients, dict(steps=64, max_steps=32), "max_steps"),
    (compute_integrated_gradients, dict(image=np.full((12, 12, 1), np.nan)), "NaN"),
    (compute_gradcam_plus_plus, dict(layer_name="nope"), "no layer 'nope'"),
])
def test_bad_arguments_are_refused_with_a_clear_message(fn, kwargs, match):
    model = _tiny_cnn()
    args = dict(image=np.zeros((12, 12, 1), np.float32)) | kwargs
    with pytest.raises(ValueError, match=match):
        fn(model, **args)



def test_plots_draw_each_result_on_the_axes_or_figure_given():
    from matplotlib.figure import Figure

    from explainers.attribution_plots import plot_gradcam_plus_plus, plot_integrated_gradients, plot_occlusion

    model = _tiny_cnn(units=3)
    image = np.random.default_rng(11).random((12, 12, 1)).astype(np.float32)
    occlusion = compute_occlusion(model, image, patch=4, stride=4)
    ax = Figure().subplots()
    assert plot_occlusion(occlusion, ax) is ax
    np.testing.assert_array_equal(ax.images[1].get_array(), occlusion.heatmap)
    top = np.abs(occlusion.heatmap).max()
    assert ax.images[1].get_clim() == pytest.approx((-top, top))  # 0 (no effect) in the middle of the colours
    ig = compute_integrated_gradients(model, image, steps=8)
    fig = Figure()
    assert plot_integrated_gradients(ig, fig) is fig
    assert f"{ig.total:+.4f}" in fig.axes[1].get_title() and f"{ig.relative_error:.2%}" in fig.axes[1].get_title()
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), ig.path_scores)
    assert f"{ig.intervals} intervals (from 8" in fig.axes[1].get_title()
    assert fig.axes[1].get_ylabel() == "class probability"
    gpp = compute_gradcam_plus_plus(model, image)
    ax = Figure().subplots()
    assert plot_gradcam_plus_plus(gpp, ax) is ax
    peak = np.unravel_index(gpp.heatmap.argmax(), gpp.heatmap.shape)
    assert tuple(ax.lines[0].get_xydata()[0]) == (peak[1], peak[0])
    volume = compute_occlusion(_tiny_cnn(shape=(4, 6, 6, 1), name="v"), np.ones((4, 6, 6, 1), np.float32), patch=2,
                               stride=2)
    k = int(np.abs(volume.heatmap).reshape(4, -1).sum(axis=1).argmax())
    ax = plot_occlusion(volume)
    np.testing.assert_array_equal(ax.images[1].get_array(), volume.heatmap[k])
    assert f"slice {k}" in ax.get_title()
