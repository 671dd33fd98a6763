"""Gradient descent: surfaces, Keras optimizer paths, Adam written out, the 1-D example, batch sizes."""
import keras
import numpy as np
import pytest

from explainers.optim import (
    LINE_X, LINE_Y, SURFACES, compute_adam_steps, compute_line_descent, compute_optimizer_path,
    compute_optimizer_paths, line_cost, line_slope,
)
from models.recipes import compare_batch_sizes


@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_gradients_match_finite_differences(name):
    s = SURFACES[name]
    h = 1e-6
    for a, b in [(0.3, -0.7), (-1.2, 0.9), (1.5, 1.1)]:
        ga, gb = s.grad(a, b)
        assert ga == pytest.approx((s.f(a + h, b) - s.f(a - h, b)) / (2 * h), rel=1e-5, abs=1e-5)
        assert gb == pytest.approx((s.f(a, b + h) - s.f(a, b - h)) / (2 * h), rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("name", list(SURFACES))
def test_adam_written_out_equals_keras_adam_over_many_steps(name):
    lr = 0.002 if name == "rosenbrock" else 0.1
    ours = compute_adam_steps(name, learning_rate=lr, steps=25)
    keras_path = compute_optimizer_path(name, "adam", learning_rate=lr, steps=25)
    np.testing.assert_allclose(ours.path, keras_path.path, rtol=1e-4, atol=1e-4)  # Keras is float32; steps are ~lr
    assert np.abs(ours.path[-1] - ours.path[0]).max() > 10 * lr * 0.5  # it really moved


def test_keras_sgd_path_equals_plain_gradient_steps():
    theta = np.array(SURFACES["ravine"].start)
    expected = [theta.copy()]
    for _ in range(10):
        theta = theta - 0.15 * np.array(SURFACES["ravine"].grad(*theta))
        expected.append(theta.copy())
    path = compute_optimizer_path("ravine", "sgd", learning_rate=0.15, steps=10)
    np.testing.assert_allclose(path.path, np.array(expected), rtol=1e-5, atol=1e-6)


def test_momentum_beats_sgd_in_the_ravine_and_a_too_large_step_diverges():
    sgd = compute_optimizer_path("ravine", "sgd", learning_rate=0.15, steps=60)
    mom = compute_optimizer_path("ravine", "momentum", learning_rate=0.15, steps=60)
    assert mom.losses[-1] < sgd.losses[-1]
    blown = compute_optimizer_path("rosenbrock", "sgd", learning_rate=0.01, steps=100)
    assert blown.diverged and len(blown.path) < 101


def test_optimizer_accepts_a_keras_instance_and_rejects_bad_names():
    p = compute_optimizer_path("bowl", keras.optimizers.SGD(0.5), start=(1.0, -1.0), learning_rate=0.5, steps=1)
    np.testing.assert_allclose(p.path[1], [0.5, -0.5], rtol=1e-6)
    with pytest.raises(ValueError, match="optimizer"):
        compute_optimizer_path("bowl", "newton", steps=1)
    with pytest.raises(ValueError, match="surface"):
        compute_optimizer_path("cliff", "sgd", steps=1)
    with pytest.raises(ValueError, match="learning_rate"):
        compute_optimizer_path("bowl", "sgd", learning_rate=-1.0, steps=1)


def test_optimizer_paths_share_one_start_and_tabulate_the_surface():
    result = compute_optimizer_paths("ravine", ("sgd", "adam"), learning_rate=0.15, steps=5, grid=30)
    assert [p.optimizer for p in result.paths] == ["sgd", "adam"]
    for p in result.paths:
        np.testing.assert_allclose(p.path[0], SURFACES["ravine"].start)
        np.testing.assert_allclose(p.path, compute_optimizer_path("ravine", p.optimizer, learning_rate=0.15,
                                                                  steps=5).path)
    s = SURFACES["ravine"]
    assert result.loss_grid.shape == (30, 30) and result.box == s.box and result.formula == s.formula
    np.testing.assert_allclose(result.loss_grid[3, 7], s.f(result.theta0[7], result.theta1[3]))


def test_lecture_adam_form_differs_only_by_epsilon_placement():
    a = compute_adam_steps("bowl", steps=20)
    b = compute_adam_steps("bowl", steps=20, form="lecture")
    assert 0 < np.abs(a.path - b.path).max() < 1e-3


def test_line_cost_and_slope_equal_numpy():
    w = np.array([0.65, 0.85, 0.95])
    np.testing.assert_allclose(line_cost(w), [np.sum((wi * LINE_X - LINE_Y) ** 2) for wi in w])
    np.testing.assert_allclose(line_slope(w), [np.polyval(np.polyder(np.poly1d(
        [np.sum(LINE_X**2), -2 * np.sum(LINE_X * LINE_Y), np.sum(LINE_Y**2)])), wi) for wi in w])
    best = np.linalg.lstsq(LINE_X[:, None], LINE_Y, rcond=None)[0][0]
    assert compute_line_descent().w_best == pytest.approx(best)


@pytest.mark.parametrize("alpha, converges", [(0.006, True), (0.0095, True), (0.0105, False), (0.03, False)])
def test_line_descent_converges_below_the_critical_step(alpha, converges):
    run = compute_line_descent(w0=0.2, learning_rate=alpha, steps=200)
    # the critical step is 1 / Σx² (the curvature of C is 2Σx²)
    assert (alpha < 1 / np.sum(LINE_X**2)) == converges
    if converges:
        assert run.ws[-1] == pytest.approx(run.w_best, abs=1e-6)
        assert np.all(np.diff(run.costs) <= 1e-12)
    else:
        assert run.diverged or abs(run.ws[-1] - run.w_best) > 1.0
    np.testing.assert_allclose(run.ws[1:], run.ws[:-1] - alpha * run.slopes[:-1])


def test_batch_comparison_counts_updates_and_sgd_is_noisier():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    from models.data import make_stroke

    x, y = make_stroke(200, seed=0)
    x = (x - x.mean(0)) / x.std(0)
    full, mini, sgd = compare_batch_sizes(x, y, (0, 32, 1), epochs=3, learning_rate=0.1).runs
    assert [len(full.losses), len(mini.losses), len(sgd.losses)] == [3, 3 * 7, 3 * 200]
    assert np.all(np.diff(full.losses) < 0)  # full batch: every step downhill
    assert np.any(np.diff(sgd.losses) > 0)  # SGD: some steps go uphill
    assert sgd.losses[-1] < mini.losses[-1] < full.losses[-1]  # more updates, more progress per epoch
    best = LogisticRegression(C=1e4, max_iter=5000).fit(x, y)  # ~ the unregularised optimum
    floor = log_loss(y, best.predict_proba(x)[:, 1])
    assert floor - 1e-3 <= sgd.losses[-1] < full.losses[0]


@pytest.mark.parametrize("params, depth", [(150, 1), (150, 2), (150, 3), (50, 2)])
def test_width_for_params_matches_keras_count(params, depth):
    from explainers.approximation import width_for_params
    from models.mlp import build_mlp

    w = width_for_params(params, depth)
    count = build_mlp(1, (w,) * depth, output_activation=None).count_params()
    assert abs(count - params) <= 2 * w + 2  # the nearest achievable count


@pytest.mark.slow
def test_universal_approximation_fit_improves_with_more_neurons():
    from explainers.approximation import target_curve as target
    from models.recipes import fit_curve

    narrow = fit_curve((2,), epochs=150, learning_rate=0.02)
    wide = fit_curve((16,), epochs=150, learning_rate=0.02)
    np.testing.assert_allclose(narrow.y_true, 5 * np.cos(narrow.x) + 7 * np.cos(2 * narrow.x) + np.cos(4 * narrow.x))
    np.testing.assert_allclose(target(0.0), 13.0)
    assert wide.mse < 0.5 * narrow.mse
    assert narrow.mse == pytest.approx(np.mean((narrow.y_pred - narrow.y_true) ** 2))


def test_curve_fit_is_the_same_for_the_same_seed_without_global_seeding():
    from models.recipes import fit_curve

    a = fit_curve((3,), epochs=10, seed=5)
    np.random.seed(123)  # the global generators must not matter
    keras.utils.set_random_seed(123)
    b = fit_curve((3,), epochs=10, seed=5)
    np.testing.assert_array_equal(a.y_pred, b.y_pred)
    assert not np.array_equal(a.y_pred, fit_curve((3,), epochs=10, seed=6).y_pred)


def test_the_lecture_line_points_set_the_critical_step_to_one_hundredth():
    # the points that give lecture 003's losses have Σx² = 100, so α = 0.01 is where descent stops converging
    assert np.sum(LINE_X**2) == 100.0
    assert round(float(line_cost(0.65)), 1) == 12.3
