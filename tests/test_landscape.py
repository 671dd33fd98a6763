"""Loss landscapes, interpolation, trajectories and gradient norms: filter normalisation, centre == evaluate,
weights untouched, convexity, PCA against scikit-learn, gradients against NumPy, the drawings."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from explainers.gradient_norms import compute_gradient_norms
from explainers.landscape import compute_interpolation, compute_landscape, random_directions
from explainers.trajectory import TrajectoryRecorder, compute_trajectory, unflatten_weights
from models import build_cnn, build_logistic_neuron, build_mlp, build_resnet
from models.data import make_lesions, make_points, make_stroke
from models.training import train


def _lesion_cnn(epochs=1):
    x, y = make_lesions(64, size=16, seed=0)[:2]
    model = build_cnn((16, 16, 1), 2, filters=(4, 8), dense_units=8)
    train(model, x, y, epochs=epochs, batch_size=16, learning_rate=3e-3)
    return model, x, y


def _circle_mlp(epochs=3):
    x, y = make_points("circle", 200, noise=0.1, seed=0)
    model = build_mlp(2, (8, 8), "tanh")
    train(model, x, y, epochs=epochs, batch_size=32, learning_rate=0.03)
    return model, x, y


BUILDERS = {
    "mlp": lambda: build_mlp(3, (5, 4), "relu"),
    "cnn": lambda: build_cnn((16, 16, 1), 2, filters=(4, 8), dense_units=8),
    "resnet": lambda: build_resnet((16, 16, 1), 2, blocks=(1, 1), base_filters=4),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_filter_normalised_directions_match_each_filter_norm_and_zero_biases(name):
    model = BUILDERS[name]()
    dirs = random_directions(model, n=2, seed=3)
    assert len(dirs) == 2
    checked = 0
    for d in dirs:
        for v, a in zip(model.trainable_variables, d):
            w = keras.ops.convert_to_numpy(v.value)
            if w.ndim >= 2:
                axes = tuple(range(w.ndim - 1))
                np.testing.assert_allclose(np.linalg.norm(a.reshape(-1, a.shape[-1]), axis=0),
                                           np.sqrt((w ** 2).sum(axis=axes)), rtol=1e-5)
                checked += w.shape[-1]
            else:  # biases, BatchNorm gamma/beta
                assert not a.any()
    assert checked > 0
    # different directions, and the same seed gives the same ones
    assert not np.allclose(dirs[0][0], dirs[1][0])
    np.testing.assert_array_equal(random_directions(model, n=2, seed=3)[1][0], dirs[1][0])


def test_include_biases_uses_the_weights_as_their_direction():
    model = BUILDERS["resnet"]()
    d = random_directions(model, n=1, include_biases=True)[0]
    for v, a in zip(model.trainable_variables, d):
        if len(v.shape) == 1:
            np.testing.assert_array_equal(a, keras.ops.convert_to_numpy(v.value))


@pytest.mark.parametrize("bad, match", [
    (dict(n=3), "n must be"), (dict(normalization="nope"), "normalization"),
])
def test_random_directions_rejects_bad_arguments(bad, match):
    with pytest.raises(ValueError, match=match):
        random_directions(BUILDERS["mlp"](), **bad)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_landscape_centre_equals_evaluate_and_weights_are_unchanged(kind):
    model, x, y = _circle_mlp() if kind == "mlp" else _lesion_cnn()
    before = [keras.ops.convert_to_numpy(v.value).copy() for v in model.variables]
    dirs = random_directions(model, n=2, seed=1)
    land = compute_landscape(model, x, y, dirs, steps=5, span=0.5, n_samples=48, seed=2)
    ev = model.evaluate(x[land.indices], y[land.indices], batch_size=len(land.indices), verbose=0,
                        return_dict=True)
    assert land.losses.shape == (5, 5)
    assert abs(land.center_loss - ev["loss"]) < 1e-5
    assert abs(land.losses[2, 2] - ev["loss"]) < 1e-5
    assert abs(land.accuracies[2, 2] - ev["accuracy"]) < 1e-6
    assert land.method == ("linear-first-layer" if kind == "mlp" else "stateless_call")
    for b, v in zip(before, model.variables):  # BN moving statistics included
        np.testing.assert_array_equal(b, keras.ops.convert_to_numpy(v.value))
    # the centre is the minimum neighbourhood's reference: the grid is not flat
    assert np.ptp(land.losses) > 1e-3


@pytest.mark.parametrize("kind", ["softmax-mlp", "softmax-resnet-no-bn"])
def test_softmax_models_centre_equals_evaluate(kind):
    from models.data import load_digits

    x, y = load_digits()
    x, y = x[:96], y[:96]
    if kind == "softmax-mlp":
        x = x.reshape(len(x), -1)
        model = build_mlp(64, (16,), "relu", n_outputs=10, output_activation="softmax")
    else:
        model = build_resnet((8, 8, 1), 10, blocks=(2,), base_filters=4, batch_norm=False)
    train(model, x, y, epochs=1, learning_rate=0.01)
    land = compute_landscape(model, x, y, random_directions(model, n=2), steps=3, n_samples=None)
    ev = model.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    assert abs(land.center_loss - ev["loss"]) < 1e-5
    assert abs(land.accuracies[1, 1] - ev["accuracy"]) < 1e-6


def test_off_centre_point_matches_evaluate_with_moved_weights():
    model, x, y = _lesion_cnn()
    dirs = random_directions(model, n=2, seed=5)
    land = compute_landscape(model, x, y, dirs, steps=3, span=0.4, n_samples=32)
    moved = keras.models.clone_model(model)
    moved.set_weights(model.get_weights())
    for v, a, b in zip(moved.trainable_variables, dirs[0], dirs[1]):
        v.assign(keras.ops.convert_to_numpy(v.value) + 0.4 * a - 0.4 * b)  # alpha=+0.4 (col 2), beta=-0.4 (row 0)
    moved.compile(loss="binary_crossentropy")
    ev = moved.evaluate(x[land.indices], y[land.indices], batch_size=32, verbose=0, return_dict=True)["loss"]
    assert abs(land.losses[0, 2] - ev) < 1e-5


def test_linear_first_layer_trick_equals_stateless_call_path_with_l2():
    x, y = make_points("xor", 120, noise=0.1, seed=1)
    model = build_mlp(2, (6, 5), "relu", l2=1e-3)
    train(model, x, y, epochs=2, learning_rate=0.05)
    dirs = random_directions(model, n=2, seed=0, include_biases=True)
    fast = compute_landscape(model, x, y, dirs, steps=7, method="linear-first-layer")
    slow = compute_landscape(model, x, y, dirs, steps=7, method="stateless_call")
    np.testing.assert_allclose(fast.losses, slow.losses, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(fast.accuracies, slow.accuracies)
    ev = model.evaluate(x[fast.indices], y[fast.indices], batch_size=len(x), verbose=0, return_dict=True)
    assert abs(fast.center_loss - ev["loss"]) < 1e-5  # includes the L2 penalty


def test_logistic_regression_surface_is_convex():
    x, y = make_stroke(300, seed=0)
    x = (x - x.mean(0)) / x.std(0)
    model = build_logistic_neuron(x.shape[1])
    train(model, x, y, epochs=5, learning_rate=0.05)
    dirs = random_directions(model, n=2, seed=0, normalization="layer")
    land = compute_landscape(model, x, y, dirs, steps=21, span=3.0, n_samples=None)
    z, h = land.losses.astype(np.float64), float(land.alphas[1] - land.alphas[0])
    # second differences along rows, columns and both diagonals are >= 0 ...
    for d2 in (z[:, 2:] - 2 * z[:, 1:-1] + z[:, :-2], z[2:] - 2 * z[1:-1] + z[:-2],
               z[2:, 2:] - 2 * z[1:-1, 1:-1] + z[:-2, :-2], z[2:, :-2] - 2 * z[1:-1, 1:-1] + z[:-2, 2:]):
        assert d2.min() > -1e-5
    # ... and the finite-difference Hessian is positive semi-definite everywhere on the grid
    zxx = (z[1:-1, 2:] - 2 * z[1:-1, 1:-1] + z[1:-1, :-2]) / h ** 2
    zyy = (z[2:, 1:-1] - 2 * z[1:-1, 1:-1] + z[:-2, 1:-1]) / h ** 2
    zxy = (z[2:, 2:] - z[2:, :-2] - z[:-2, 2:] + z[:-2, :-2]) / (4 * h ** 2)
    det = zxx * zyy - zxy ** 2
    assert zxx.min() > -1e-4 and zyy.min() > -1e-4 and det.min() > -1e-4
    # a bowl: the highest point is on the rim, not inside
    assert z.max() == max(z[0].max(), z[-1].max(), z[:, 0].max(), z[:, -1].max())


def test_deep_net_surface_is_not_convex():
    model, x, y = _lesion_cnn(epochs=2)
    land = compute_landscape(model, x, y, random_directions(model, n=1, seed=0), steps=21, span=2.0,
                             n_samples=32)
    d2 = land.losses[2:] - 2 * land.losses[1:-1] + land.losses[:-2]
    assert land.losses.shape == (21,) and land.betas.size == 0
    assert d2.min() < -1e-4  # somewhere the line bends down: not a bowl


def test_interpolation_ends_match_each_models_evaluate():
    model_b, x, y = _circle_mlp()
    model_a = build_mlp(2, (8, 8), "tanh")
    model_a.compile(loss="binary_crossentropy")
    path = compute_interpolation(model_a, model_b, x, y, steps=11, n_samples=None)
    assert path.alphas[0] == 0 and path.alphas[-1] == 1
    ea = model_a.evaluate(x, y, batch_size=len(x), verbose=0)
    eb = model_b.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)["loss"]
    assert abs(path.losses[0] - ea) < 1e-5 and abs(path.losses[-1] - eb) < 1e-5


def test_interpolation_rejects_models_of_different_architectures():
    with pytest.raises(ValueError, match="same architecture"):
        compute_interpolation(build_mlp(2, (3,)), build_mlp(2, (4,)), np.zeros((4, 2)), np.zeros(4))


def test_trajectory_projection_recovers_a_known_2d_path():
    rng = np.random.default_rng(0)
    model = build_mlp(4, (6,), "tanh")
    n = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    u, _ = np.linalg.qr(rng.standard_normal((n, 2)))  # two orthonormal directions
    t = np.linspace(0, 1, 30)
    path = np.stack([3 * (1 - t) + 0.2 * np.sin(6 * t), 0.8 * np.cos(5 * t) * (1 - t)], axis=1)
    path -= path[-1]  # the path ends at the final weights
    final = rng.standard_normal(n)
    snaps = final + path @ u.T
    traj = compute_trajectory(snaps, model)
    # the two PCA directions span the plane of u, so the path is recovered up to a rotation
    rec = traj.coords @ np.stack([np.concatenate([a.ravel() for a in d]) for d in traj.directions])
    np.testing.assert_allclose(rec, path @ u.T, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(traj.coords, axis=1), np.linalg.norm(path, axis=1), atol=1e-6)
    # against scikit-learn's PCA: same explained variance ratios, same axes up to sign
    from sklearn.decomposition import PCA

    pca = PCA(2).fit(snaps - snaps[-1])
    np.testing.assert_allclose(traj.explained_variance, pca.explained_variance_ratio_, atol=1e-9)
    np.testing.assert_allclose(np.abs(traj.coords), np.abs((snaps - snaps[-1]) @ pca.components_.T), atol=1e-6)
    assert traj.explained_variance.sum() == pytest.approx(1.0)


def test_recorder_follows_training_and_its_plane_holds_the_path():
    x, y = make_points("circle", 200, noise=0.1, seed=0)
    model = build_mlp(2, (8,), "tanh")
    rec = TrajectoryRecorder(model, every_n_batches=3)
    train(model, x, y, epochs=3, batch_size=32, learning_rate=0.05, observers=[rec])
    assert rec.labels[0] == "start" and rec.labels[-1] == "epoch 3"
    assert len(rec) == 1 + 3 + 3 * 7 // 3  # start, 3 epochs, every 3rd of 21 batches
    np.testing.assert_allclose(rec.weights[-1], np.concatenate(
        [w.ravel() for w in model.get_weights()]), atol=0)
    traj = compute_trajectory(rec)
    np.testing.assert_allclose(traj.coords[-1], 0, atol=1e-6)
    assert 0.5 < traj.explained_variance.sum() <= 1.0 + 1e-9
    # the landscape on the PCA plane is centred on the final weights
    land = compute_landscape(model, x, y, traj.directions, steps=5, span=float(np.abs(traj.coords).max()))
    assert abs(land.center_loss - model.evaluate(x[land.indices], y[land.indices], batch_size=256,
                                                 verbose=0, return_dict=True)["loss"]) < 1e-5


def test_trajectory_needs_at_least_three_snapshots():
    with pytest.raises(ValueError, match="at least 3"):
        compute_trajectory(np.zeros((2, 5)))


def test_unflatten_weights_rejects_a_vector_of_the_wrong_length():
    with pytest.raises(ValueError, match="trainable weights"):
        unflatten_weights(np.zeros(3), build_mlp(2, (3,)))


def test_gradient_norms_match_a_numpy_backprop_for_logistic_regression():
    x, y = make_stroke(200, seed=1)
    x = (x - x.mean(0)) / x.std(0)
    model = build_logistic_neuron(x.shape[1])
    model.compile(loss="binary_crossentropy")
    g = compute_gradient_norms(model, x, y, n_samples=None)
    w, b = model.get_weights()
    p = 1 / (1 + np.exp(-(x @ w + b)))
    grad_w = x.T @ (p - y[:, None]) / len(y)  # ∂ mean BCE / ∂w
    assert g.layer_names == ("neuron_dense",)
    assert g.norms[0] == pytest.approx(np.linalg.norm(grad_w), rel=1e-4)


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=1), "steps"), (dict(span=0.0), "span"), (dict(span=float("nan")), "span"),
    (dict(method="fast"), "method"), (dict(n_samples=0), "n_samples"),
])
def test_compute_landscape_rejects_bad_arguments(kwargs, match):
    model = BUILDERS["mlp"]()
    dirs = random_directions(model)
    with pytest.raises(ValueError, match=match):
        compute_landscape(model, np.zeros((4, 3)), np.zeros(4), dirs, **kwargs)


def test_compute_landscape_rejects_foreign_directions_and_data():
    model = BUILDERS["mlp"]()
    with pytest.raises(ValueError, match="does not match"):
        compute_landscape(model, np.zeros((4, 3)), np.zeros(4), random_directions(build_mlp(3, (2,))))
    with pytest.raises(ValueError, match="expects"):
        compute_landscape(model, np.zeros((4, 5)), np.zeros(4), random_directions(model))
    with pytest.raises(TypeError, match="keras.Model"):
        random_directions("model")


def test_recorder_snapshot_model_holds_the_starting_weights():
    x, y = make_points("circle", 64, noise=0.1, seed=0)
    model = build_mlp(2, (4,), "tanh")
    start = [w.copy() for w in model.get_weights()]
    rec = TrajectoryRecorder(model)
    train(model, x, y, epochs=2, batch_size=32, learning_rate=0.05, observers=[rec])
    copy = rec.snapshot_model(0)
    assert copy is not model
    for a, b in zip(copy.get_weights(), start):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(rec.snapshot_model(-1).get_weights()[0], model.get_weights()[0])
    with pytest.raises(ValueError, match="index"):
        rec.snapshot_model(len(rec))


def test_a_discarded_model_frees_its_compiled_landscape_functions():
    import gc
    import weakref

    from explainers import _backend

    x, y = make_points("circle", 32, noise=0.1, seed=0)
    for build in (lambda: build_mlp(2, (4,), "tanh"), lambda: build_cnn((16, 16, 1), 2, filters=(2,), dense_units=2)):
        model = build()
        data = (x, y) if len(model.inputs[0].shape) == 2 else make_lesions(16, size=16, seed=0)[:2]
        compute_landscape(model, *data, random_directions(model, n=1), steps=3, n_samples=None)
        assert model in _backend._PER_MODEL
        ref = weakref.ref(model)
        del model
        gc.collect()
        assert ref() is None, "the per-model cache kept the model alive"


def _landscapes():
    model, x, y = _circle_mlp(epochs=1)
    dirs = random_directions(model, n=2, seed=0)
    plane = compute_landscape(model, x, y, dirs, steps=5, n_samples=64)
    line = compute_landscape(model, x, y, dirs[:1], steps=5, n_samples=64)
    return model, x, y, plane, line


def test_each_landscape_plot_draws_on_the_axes_it_is_given_and_refuses_the_wrong_dimension():
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from explainers.gradient_norms_plots import plot_gradient_norms
    from explainers.landscape_plots import plot_contour, plot_landscape_1d, plot_surface
    from explainers.trajectory_plots import plot_trajectory

    model, x, y, plane, line = _landscapes()
    n = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    traj = compute_trajectory(np.cumsum(np.random.default_rng(0).standard_normal((4, n)), axis=0), model)
    fig = Figure()
    drawings = [
        (plot_contour, plane, fig.add_subplot(2, 3, 1), {}),
        (plot_surface, plane, fig.add_subplot(2, 3, 2, projection="3d"), {}),
        (plot_landscape_1d, line, fig.add_subplot(2, 3, 3), {}),
        (plot_trajectory, traj, fig.add_subplot(2, 3, 4), {"landscape": plane}),
        (plot_trajectory, traj, fig.add_subplot(2, 3, 5), {}),
        (plot_gradient_norms, compute_gradient_norms(model, x, y), fig.add_subplot(2, 3, 6), {"label": "mlp"}),
    ]
    for plot, result, ax, kwargs in drawings:
        assert plot(result, ax=ax, **kwargs) is ax, plot.__name__
        assert isinstance(plot(result, **kwargs), Axes), plot.__name__  # a new figure of its own
    assert "PCA" in drawings[3][2].get_xlabel() and drawings[3][2].collections  # path on the contours
    for plot, result in ((plot_contour, line), (plot_surface, line), (plot_landscape_1d, plane)):
        with pytest.raises(ValueError, match="result must be a"):
            plot(result)
    with pytest.raises(ValueError, match="3-D Axes"):
        plot_surface(plane, ax=Figure().add_subplot())


@pytest.mark.slow
def test_loss_landscape_example_saves_its_four_figures(tmp_path):
    import runpy
    import sys

    sys_argv = sys.argv
    sys.argv = ["loss_landscape.py", "--out", str(tmp_path)]
    try:
        runpy.run_path(str(__import__("pathlib").Path(__file__).resolve().parents[1] / "examples" / "loss_landscape.py"),
                       run_name="__main__")
    finally:
        sys.argv = sys_argv
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == ["loss_landscape_interpolation.png", "loss_landscape_logistic.png", "loss_landscape_mlp.png",
                     "loss_landscape_trajectory.png"]
    assert all(p.stat().st_size > 10_000 for p in tmp_path.glob("*.png"))


@pytest.mark.slow
def test_landscape_and_gradient_norms_match_evaluate_under_the_jax_backend():
    """Both paths (linear-first-layer and jax.lax.map over stateless_call) under KERAS_BACKEND=jax."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("jax")
    root = Path(__file__).resolve().parents[1]
    code = """
import keras, numpy as np
assert keras.backend.backend() == "jax"
from explainers.landscape import compute_landscape, random_directions
from explainers.gradient_norms import compute_gradient_norms
from models import build_mlp, build_cnn
from models.data import make_points, make_lesions
for kind in ("mlp", "cnn"):
    if kind == "mlp":
        x, y = make_points("circle", 64, 0.1, 0); m = build_mlp(2, (8,), "tanh")
    else:
        x, y = make_lesions(32, 16, 0)[:2]; m = build_cnn((16, 16, 1), 2, filters=(4,), dense_units=4)
    m.compile(loss="binary_crossentropy", metrics=["accuracy"])
    m.fit(x, y, epochs=1, verbose=0)
    land = compute_landscape(m, x, y, random_directions(m), steps=3, n_samples=None)
    ev = m.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    assert abs(land.center_loss - ev["loss"]) < 1e-5, (kind, land.center_loss, ev)
    assert np.ptp(land.losses) > 1e-3 and compute_gradient_norms(m, x, y).norms.min() > 0
    print(kind, land.method)
"""
    env = dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=str(root), CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["mlp", "linear-first-layer", "cnn", "stateless_call"]
