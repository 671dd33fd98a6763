"""Lecture 003's optimisation slides: the three losses of y = w·x, rise over run, and question 5 (global minimum?)."""
import keras
import numpy as np
import pytest
from scipy.optimize import linprog

from explainers.optim import (
    LECTURE_LOSSES, LINE_X, LINE_Y, SURFACES, compute_descent_basins, compute_lecture_losses, compute_line_descent,
    compute_optimizer_path, compute_slope_estimates, line_slope,
)


# ------------------------------------------------------------------ the slide's three losses
@pytest.mark.parametrize("w, slide", [(0.65, 12.3), (0.85, 5.4), (0.95, 4.9)])
def test_the_five_points_give_the_lecture_losses_to_the_slides_rounding(w, slide):
    loss = float(np.sum((w * LINE_X - LINE_Y) ** 2))  # independent of line_cost: NumPy on the points
    assert round(loss, 1) == slide == LECTURE_LOSSES[w]
    assert compute_lecture_losses().losses[list(LECTURE_LOSSES).index(w)] == pytest.approx(loss)


def test_the_three_slide_losses_lie_on_one_parabola_with_its_minimum_near_0_93():
    r = compute_lecture_losses()
    coeffs = np.polyfit(list(LECTURE_LOSSES), list(LECTURE_LOSSES.values()), 2)  # exact through three points
    np.testing.assert_allclose(coeffs, [r.parabola[0], -2 * r.parabola[1], r.parabola[2]], rtol=1e-9)
    assert r.parabola_best_w == pytest.approx(-coeffs[1] / (2 * coeffs[0]))
    assert r.parabola_best_w == pytest.approx(0.9254, abs=1e-4)
    assert r.matches
    # the points' own parabola: sums from NumPy, best w from least squares through the origin
    np.testing.assert_allclose(r.sums, [LINE_X @ LINE_X, LINE_X @ LINE_Y, LINE_Y @ LINE_Y])
    assert r.sums == pytest.approx((100.0, 92.3, 90.04))
    best = np.linalg.lstsq(LINE_X[:, None], LINE_Y, rcond=None)[0][0]
    assert r.w_best == pytest.approx(best) == pytest.approx(0.923)
    assert r.best_w_range[0] <= r.w_best <= r.best_w_range[1]
    assert r.sum_xx_range[0] <= r.sums[0] <= r.sum_xx_range[1]


def test_the_rounding_ranges_equal_a_linear_programme():
    # what the slide's one-decimal rounding leaves open: Σx² (a linear objective) by scipy's linprog
    r = compute_lecture_losses()
    w = np.array(list(LECTURE_LOSSES))
    c = np.array(list(LECTURE_LOSSES.values()))
    design = np.stack([w**2, -2 * w, np.ones(3)], axis=1)
    bounds = dict(A_ub=np.vstack([design, -design]), b_ub=np.r_[c + 0.05, -(c - 0.05)], bounds=[(None, None)] * 3)
    low, high = linprog([1, 0, 0], **bounds).fun, -linprog([-1, 0, 0], **bounds).fun
    assert r.sum_xx_range == pytest.approx((low, high), abs=1e-6)
    # the best w = B/A over the same polytope, by a dense sample of it (never outside the corner range)
    rng = np.random.default_rng(0)
    samples = np.linalg.solve(design, (c + rng.uniform(-0.05, 0.05, (20000, 3))).T).T
    ratio = samples[:, 1] / samples[:, 0]
    assert r.best_w_range[0] <= ratio.min() and ratio.max() <= r.best_w_range[1]
    assert ratio.min() - r.best_w_range[0] < 2e-3 and r.best_w_range[1] - ratio.max() < 2e-3


def test_lecture_losses_refuse_mismatched_points():
    with pytest.raises(ValueError, match="y"):
        compute_lecture_losses([1.0, 2.0], [1.0])


def test_descent_on_the_lecture_points_stops_at_the_best_w_below_the_critical_step():
    run = compute_line_descent(w0=0.2, learning_rate=0.006, steps=100)  # α < 1/Σx² = 0.01
    assert run.ws[-1] == pytest.approx(0.923, abs=1e-9)
    edge = compute_line_descent(w0=0.2, learning_rate=0.01, steps=50)  # α = 1/Σx²: it bounces for ever
    np.testing.assert_allclose(np.abs(edge.ws - 0.923), 0.723, atol=1e-9)
    assert compute_line_descent(w0=0.2, learning_rate=0.0105, steps=400).diverged


# ------------------------------------------------------------------ rise over run
def test_rise_over_run_approaches_the_derivative_with_error_sigma_x2_times_h():
    s = compute_slope_estimates(0.65)
    assert s.derivative == pytest.approx(float(np.sum(2 * LINE_X * (0.65 * LINE_X - LINE_Y))))  # analytic, NumPy
    assert s.derivative == pytest.approx(-54.6)
    rise = np.array([np.sum(((0.65 + h) * LINE_X - LINE_Y) ** 2) for h in s.hs]) - np.sum((0.65 * LINE_X - LINE_Y) ** 2)
    np.testing.assert_allclose(s.estimates, rise / s.hs, rtol=1e-12)
    big = s.hs >= 1e-6  # where rounding is negligible the error is exactly Σx²·h (C is a parabola)
    np.testing.assert_allclose(s.errors[big], 100.0 * s.hs[big], rtol=1e-3)
    assert np.all(np.diff(np.abs(s.errors[s.hs >= 1e-8])) < 0)  # shrinks as h shrinks ...
    assert abs(s.errors[-1]) > 100 * abs(s.errors[s.hs == 1e-8][0])  # ... until float64 rounding takes over


@pytest.mark.parametrize("w", [0.2, 0.923, 1.5])
def test_rise_over_run_at_small_h_matches_the_slope_the_descent_uses(w):
    s = compute_slope_estimates(w, hs=(1e-6,))
    assert s.estimates[0] == pytest.approx(float(line_slope(w)), abs=1e-3)


def test_slope_estimates_refuse_a_zero_run():
    with pytest.raises(ValueError, match="hs"):
        compute_slope_estimates(0.65, hs=(0.1, 0.0))


# ------------------------------------------------------------------ question 5: the global minimum?
def test_the_two_valley_surface_has_a_global_and_a_worse_local_minimum():
    s = SURFACES["two_valleys"]
    (a1, b1), (a2, b2) = s.minima
    for a, b in s.minima:
        assert np.allclose(s.grad(a, b), 0, atol=1e-9)
        assert 12 * a**2 - 4 > 0  # Hessian diag(12θ₀² − 4, 2) positive: a minimum
    assert s.f(a1, b1) == pytest.approx(-0.3054, abs=1e-4) and s.f(a2, b2) == pytest.approx(0.2941, abs=1e-4)
    grid = np.linspace(-2, 2, 40001)  # the global minimum by brute force
    assert grid[np.argmin(s.f(grid, 0.0))] == pytest.approx(a1, abs=1e-4)


def test_gradient_descent_ends_in_the_valley_it_starts_in_and_misses_the_global_minimum_often():
    r = compute_descent_basins("two_valleys", starts=7, learning_rate=0.02, steps=300)
    assert r.best == 0 and r.unsettled == 0 and r.diverged == 0
    hump = np.sort(np.roots([4.0, 0.0, -4.0, 0.3]).real)[1]  # the ridge between the valleys, θ₀ ≈ 0.075
    expected = np.where(r.starts[:, 0] < hump, 0, 1)
    np.testing.assert_array_equal(r.reached, expected)
    np.testing.assert_array_equal(r.counts, [28, 21])  # 4 of 7 columns of starts left of the ridge
    assert np.all(np.linalg.norm(r.ends - r.minima[r.reached], axis=1) < 1e-3)


def test_a_step_too_large_for_the_sharp_global_minimum_settles_only_in_the_flatter_local_one():
    r = compute_descent_basins("two_valleys", starts=10, learning_rate=0.25, steps=300)
    a = r.minima[:, 0]
    # the Hessian is diag(12θ₀² − 4, 2)
    np.testing.assert_allclose(r.stable_below, 2 / np.maximum(12 * a**2 - 4, 2), rtol=1e-6)
    assert r.stable_below[0] < 0.25 < r.stable_below[1]  # ≈ 0.225 and 0.283
    assert r.counts[0] == 0 and r.counts[1] > 0


def test_plain_descent_and_momentum_equal_keras_sgd_from_one_start():
    start = np.array([[1.6, 1.2]])
    for momentum, name in [(0.0, "sgd"), (0.9, "momentum")]:
        ours = compute_descent_basins("two_valleys", starts=start, learning_rate=0.02, momentum=momentum, steps=30)
        keras_path = compute_optimizer_path("two_valleys", name, start=start[0], learning_rate=0.02, steps=30)
        np.testing.assert_allclose(ours.paths[0], keras_path.path, rtol=1e-4, atol=1e-5)  # Keras is float32
    assert isinstance(keras.optimizers.SGD(0.1, momentum=0.9), keras.optimizers.Optimizer)


def test_a_too_large_step_settles_nowhere_and_is_counted():
    r = compute_descent_basins("two_valleys", starts=10, learning_rate=0.25, steps=200)
    assert r.unsettled == 100 - r.counts.sum() > 0 and r.diverged > 0
    assert np.all(np.isfinite(r.ends))
    assert np.isnan(r.paths[r.reached == -1][:, -1]).any()  # a run that blew up stops being drawn


@pytest.mark.parametrize("kwargs, match", [({"starts": 0}, "starts"), ({"starts": np.zeros((3, 3))}, "starts"),
                                           ({"momentum": 1.0}, "momentum"), ({"learning_rate": 0.0}, "learning_rate"),
                                           ({"surface": "cliff"}, "surface")])
def test_descent_basins_refuse_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compute_descent_basins(**kwargs)


# ------------------------------------------------------------------ the page
def _frame(element):
    value = element.value
    return getattr(value, "data", value)  # a Styler keeps its frame in .data


@pytest.mark.slow
def test_gradient_descent_page_shows_the_lecture_losses_the_slope_table_and_answers_question_5(app_page):
    at = app_page("gradient_descent.py", timeout=300, gd_q5_starts="8", gd_slope_w="0.85")
    assert not at.exception
    losses = _frame(at.dataframe[0])
    assert losses["lecture 003"].tolist() == [12.3, 5.4, 4.9]
    assert losses["C(w) here"].round(1).tolist() == [12.3, 5.4, 4.9]
    slopes = _frame(at.dataframe[2])
    h = np.array([float(v) for v in slopes["run h"]])
    rise = np.array([np.sum(((0.85 + v) * LINE_X - LINE_Y) ** 2) for v in h]) - np.sum((0.85 * LINE_X - LINE_Y) ** 2)
    np.testing.assert_allclose(slopes["rise / run"], rise / h, rtol=1e-12)
    assert slopes["C'(w)"].iloc[0] == pytest.approx(np.sum(2 * LINE_X * (0.85 * LINE_X - LINE_Y)))
    # question 5: nothing given away before the pick, then the live counts (8 × 8 starts: half left of the ridge)
    radio = at.radio(key="q_gd_q5")
    assert radio.value is None and not at.success
    assert any("Lecture 003, question 5: Does gradient descent guarantee that we find the global minimum of the "
               "loss function?" in m.value for m in at.markdown)
    counts = _frame(at.dataframe[3])
    assert counts["runs ending there"].tolist() == [32, 32, 0]
    assert any("32 of 64" in m.value for m in at.markdown)
    radio.set_value("Yes, if α is small enough").run()
    assert not at.exception
    assert '"No"' in at.warning[0].value and "32 of 64 runs" in at.warning[0].value
    at.select_slider(key="gd_alpha").set_value(0.0105).run()  # just above 1/Σx² = 0.01
    at.slider(key="gd_steps").set_value(40).run()
    ws = _frame(at.dataframe[1])["w"].to_numpy()
    growth = np.abs(ws[1:] - 0.923) / np.abs(ws[:-1] - 0.923)
    np.testing.assert_allclose(growth, abs(1 - 2 * 0.0105 * LINE_X @ LINE_X), rtol=1e-9)
    assert any("too large" in w.value and "×1.10 per step" in w.value for w in at.warning)
