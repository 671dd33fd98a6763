"""Deletion and insertion curves checked against model.predict on hand-built images, np.trapezoid,
and a linear model whose exact attribution is the best possible ranking."""
import keras
import numpy as np
import pytest

from explainers.faithfulness import compute_deletion_insertion, curve_area


def _linear(shape, seed=0, activation=None):
    inp = keras.Input(shape)
    out = keras.layers.Dense(1, activation=activation, kernel_initializer=keras.initializers.RandomNormal(seed=seed),
                             name="lin")(keras.layers.Flatten()(inp))
    return keras.Model(inp, out, name="linear")


def _small_cnn(shape=(10, 10, 1), units=3):
    x = inp = keras.Input(shape)
    conv = keras.layers.Conv2D if len(shape) == 3 else keras.layers.Conv3D
    x = conv(4, 3, padding="same", activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed=1))(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(units, activation="softmax" if units > 1 else "sigmoid",
                           kernel_initializer=keras.initializers.GlorotUniform(seed=2))(x)
    return keras.Model(inp, x, name="small")


def _predict(model, images, class_index):
    out = np.asarray(model.predict(np.asarray(images, np.float32), verbose=0), np.float64)
    return out[:, 0] if out.shape[-1] == 1 else out[:, class_index]


def test_the_exact_attribution_of_a_linear_model_beats_random_and_its_reverse():
    # f = w·x: deleting pixels in decreasing w·x order lowers the score as fast as any order can
    # (and inserting them raises it as fast), so its deletion AUC is the smallest possible.
    model = _linear((8, 8, 1))
    w = model.get_layer("lin").get_weights()[0][:, 0].reshape(8, 8)
    image = np.random.default_rng(0).random((8, 8, 1)).astype(np.float32)
    exact = w * image[..., 0]                                   # = integrated gradients with a zero baseline
    result = compute_deletion_insertion(model, image, {"exact": exact, "reverse": -exact}, steps=16, seed=3,
                                        baseline=0.0)
    assert result.methods == ("exact", "reverse", "random")
    d, i = dict(zip(result.methods, result.deletion_auc)), dict(zip(result.methods, result.insertion_auc))
    print(f"deletion AUC exact {d['exact']:.3f} random {d['random']:.3f} reverse {d['reverse']:.3f}; "
          f"insertion AUC exact {i['exact']:.3f} random {i['random']:.3f} reverse {i['reverse']:.3f}")
    assert d["exact"] < d["random"] < d["reverse"]
    assert i["exact"] > i["random"] > i["reverse"]
    assert np.all(result.deletion[0] <= result.deletion[2] + 1e-5)  # at every step, not only on average


@pytest.mark.parametrize("baseline, steps", [(0.0, 8), ("mean", 5), (None, 7), (0.25, 1)])
def test_curves_start_and_end_at_the_image_and_the_fully_removed_image(baseline, steps):
    from scipy.ndimage import gaussian_filter

    model = _small_cnn()
    rng = np.random.default_rng(1)
    image = rng.random((10, 10, 1)).astype(np.float32)
    kwargs = {} if baseline is None else dict(baseline=baseline)  # None: the default, a blur of 4 pixels
    result = compute_deletion_insertion(model, image, {"noise": rng.random((10, 10))}, steps=steps, batch_size=6,
                                        **kwargs)
    removed = {0.0: np.zeros_like(image), 0.25: np.full_like(image, 0.25), "mean": np.full_like(image, image.mean()),
               None: gaussian_filter(image[..., 0].astype(np.float64), 4.0, mode="nearest")[..., None]}[baseline]
    f_x, f_b = _predict(model, [image, removed], result.class_index)
    assert result.class_index == int(np.argmax(model.predict(image[None], verbose=0)[0]))
    np.testing.assert_allclose(result.deletion[:, 0], f_x, atol=1e-6)
    np.testing.assert_allclose(result.deletion[:, -1], f_b, atol=1e-6)
    np.testing.assert_allclose(result.insertion[:, 0], f_b, atol=1e-6)
    np.testing.assert_allclose(result.insertion[:, -1], f_x, atol=1e-6)
    assert result.score == pytest.approx(f_x, abs=1e-6) and result.baseline_score == pytest.approx(f_b, abs=1e-6)
    np.testing.assert_allclose(result.fractions, np.rint(np.arange(steps + 1) * 100 / steps) / 100)


def test_every_step_equals_predict_on_the_image_built_by_hand():
    model = _small_cnn(units=1)
    rng = np.random.default_rng(2)
    image = rng.random((10, 10, 1)).astype(np.float32)
    heat = rng.random((10, 10))
    result = compute_deletion_insertion(model, image, {"m": heat}, steps=4, seed=5, batch_size=4,
                                        baseline=0.0)
    order = np.argsort(-heat.ravel(), kind="stable")
    random_order = np.random.default_rng(5).permutation(100)
    for row, ranking in ((0, order), (1, random_order)):
        deleted, inserted = [], []
        for k in range(5):
            top = ranking[:25 * k]
            d = image.reshape(100, 1).copy()
            d[top] = 0.0
            i = np.zeros((100, 1), np.float32)
            i[top] = image.reshape(100, 1)[top]
            deleted.append(d.reshape(10, 10, 1))
            inserted.append(i.reshape(10, 10, 1))
        np.testing.assert_allclose(result.deletion[row], _predict(model, deleted, 1), atol=1e-6)
        np.testing.assert_allclose(result.insertion[row], _predict(model, inserted, 1), atol=1e-6)
    assert np.ptp(result.deletion) > 1e-4  # the curves move: a flat curve could not catch a wrong order


def test_the_area_under_each_curve_is_np_trapezoid_of_the_curve():
    model = _small_cnn()
    rng = np.random.default_rng(3)
    image = rng.random((10, 10, 1)).astype(np.float32)
    result = compute_deletion_insertion(model, image, {"a": rng.random((10, 10)), "b": rng.random((10, 10, 1))},
                                        steps=7)
    trapezoid = getattr(np, "trapezoid", None) or np.trapz
    for m in range(3):
        assert result.deletion_auc[m] == pytest.approx(trapezoid(result.deletion[m], result.fractions), abs=1e-12)
        assert result.insertion_auc[m] == pytest.approx(trapezoid(result.insertion[m], result.fractions), abs=1e-12)
    assert curve_area([0.0, 1.0, 1.0], [0.0, 0.5, 1.0]) == pytest.approx(0.75)


def test_random_row_follows_its_seed_and_maps_may_be_results_with_a_heatmap():
    from explainers.attribution import compute_occlusion

    model = _small_cnn()
    image = np.random.default_rng(4).random((10, 10, 1)).astype(np.float32)
    occlusion = compute_occlusion(model, image, patch=2, stride=2)
    a = compute_deletion_insertion(model, image, {"occlusion": occlusion}, steps=6, seed=0)
    b = compute_deletion_insertion(model, image, {"occlusion": occlusion.heatmap}, steps=6, seed=0)
    c = compute_deletion_insertion(model, image, {"occlusion": occlusion.heatmap}, steps=6, seed=1)
    np.testing.assert_array_equal(a.deletion, b.deletion)
    assert not np.allclose(a.deletion[-1], c.deletion[-1])
    np.testing.assert_array_equal(a.deletion[0], c.deletion[0])


def test_a_volume_gets_curves_too():
    model = _small_cnn(shape=(4, 6, 6, 1), units=1)
    rng = np.random.default_rng(6)
    volume = rng.random((4, 6, 6)).astype(np.float32)
    result = compute_deletion_insertion(model, volume, {"m": rng.random((4, 6, 6))}, steps=3, baseline=0.0)
    f_x, f_0 = _predict(model, [volume[..., None], np.zeros((4, 6, 6, 1))], 1)
    assert result.deletion.shape == (2, 4) and result.deletion[0, 0] == pytest.approx(f_x, abs=1e-6)
    assert result.deletion[1, -1] == pytest.approx(f_0, abs=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    (dict(maps={}), "maps"),
    (dict(maps={"random": np.zeros((10, 10))}), "random"),
    (dict(maps={"m": np.zeros((5, 5))}), "spatial shape"),
    (dict(maps={"m": np.full((10, 10), np.nan)}), "finite"),
    (dict(steps=0), "steps"),
    (dict(baseline="noise"), "baseline"),
    (dict(image=np.zeros((9, 9, 1))), "image"),
])
def test_bad_arguments_are_refused_with_a_clear_message(kwargs, match):
    args = dict(image=np.zeros((10, 10, 1), np.float32), maps={"m": np.zeros((10, 10))}) | kwargs
    with pytest.raises(ValueError, match=match):
        compute_deletion_insertion(_small_cnn(), args.pop("image"), args.pop("maps"), **args)


def test_plot_draws_one_line_per_method_labelled_with_its_area():
    from matplotlib.figure import Figure

    from explainers.faithfulness_plots import plot_deletion_insertion

    model = _small_cnn()
    rng = np.random.default_rng(7)
    image = rng.random((10, 10, 1)).astype(np.float32)
    result = compute_deletion_insertion(model, image, {"a": rng.random((10, 10))}, steps=4)
    fig = Figure()
    assert plot_deletion_insertion(result, fig) is fig
    deletion, insertion = fig.axes
    for ax, curves, areas in ((deletion, result.deletion, result.deletion_auc),
                              (insertion, result.insertion, result.insertion_auc)):
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            f"{m}: AUC {a:.3f}" for m, a in zip(result.methods, areas)]
        for line, curve in zip(ax.lines, curves):
            np.testing.assert_allclose(line.get_ydata(), curve)
