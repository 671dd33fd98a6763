"""Backpropagation by hand on a 2-2-1 net equals tf.GradientTape; parameter tables and boundaries equal Keras."""
import keras
import numpy as np
import pytest

from explainers.backprop import (
    DEFAULT_NET, compute_backprop, compute_backprop_comparison, compute_tape_gradients, net_parameters,
)
from explainers.boundary import compute_decision_boundary, compute_neuron_maps, compute_parameter_table
from models.mlp import build_logistic_neuron, build_mlp


def _random_net(seed):
    rng = np.random.default_rng(seed)
    return dict(w_hidden=rng.normal(0, 1, (2, 2)), b_hidden=rng.normal(0, 0.5, 2),
                w_out=rng.normal(0, 1, 2), b_out=float(rng.normal(0, 0.5)))


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "leaky_relu"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lecture_derivatives_equal_gradient_tape(act, seed):
    net = _random_net(seed)
    x = np.random.default_rng(seed + 10).normal(0, 1, 2)
    bp = compute_backprop(x, 0.8, activation_name=act, **net)
    tape = compute_tape_gradients(bp)
    assert bp.error == pytest.approx(tape.error, rel=1e-5, abs=1e-7)
    assert bp.dE_dy_out == pytest.approx(tape.dE_dy_out, abs=1e-6)
    assert bp.dE_dz_out == pytest.approx(tape.grad_b_out, abs=1e-6)  # ∂z/∂b = 1
    np.testing.assert_allclose(bp.dE_dy_hidden, tape.dE_dy_hidden, atol=1e-6)
    np.testing.assert_allclose(bp.dE_dz_hidden, tape.grad_b_hidden, atol=1e-6)
    np.testing.assert_allclose(bp.grad_w_hidden, tape.grad_w_hidden, atol=1e-6)
    np.testing.assert_allclose(bp.grad_w_out, tape.grad_w_out, atol=1e-6)


def test_comparison_table_lists_every_derivative_beside_the_tape():
    bp = compute_backprop()
    table = compute_backprop_comparison(bp)
    assert len(table.rows) == 2 + 2 + 2 + 4 + 2  # output ∂E/∂y, ∂E/∂z; hidden ∂E/∂y, ∂E/∂z; 6 weights
    assert table.rows[0].by_hand == bp.dE_dy_out == pytest.approx(bp.y_out - bp.t)
    assert table.max_difference == max(r.difference for r in table.rows) < 1e-6
    assert [r["derivative"] for r in table.records()] == [r.derivative for r in table.rows]


def test_net_parameters_are_the_lecture_net_for_seed_0_and_reproducible_otherwise():
    assert net_parameters(0) == {k: DEFAULT_NET[k] for k in ("w_hidden", "b_hidden", "w_out", "b_out")}
    a, b = net_parameters(7), net_parameters(7)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.allclose(a["w_hidden"], net_parameters(8)["w_hidden"])


def test_default_net_gradients_match_finite_differences():
    bp = compute_backprop()
    h = 1e-6
    w = np.array(bp.w_hidden)
    for i in range(2):
        for j in range(2):
            plus, minus = w.copy(), w.copy()
            plus[i, j] += h
            minus[i, j] -= h
            e_plus = compute_backprop(bp.x, bp.t, w_hidden=plus, b_hidden=bp.b_hidden, w_out=bp.w_out, b_out=bp.b_out).error
            e_minus = compute_backprop(bp.x, bp.t, w_hidden=minus, b_hidden=bp.b_hidden, w_out=bp.w_out, b_out=bp.b_out).error
            assert bp.grad_w_hidden[i, j] == pytest.approx((e_plus - e_minus) / (2 * h), abs=1e-8)
    assert bp.dE_dy_out == pytest.approx(bp.y_out - bp.t)


def test_backprop_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="w_hidden"):
        compute_backprop(w_hidden=[1.0, 2.0])


@pytest.mark.parametrize("hidden, expected", [((4,), 17), ((10,), 41), ((4, 2), 25), ((), 3)])
def test_parameter_table_uses_course_formula_and_sums_to_count_params(hidden, expected):
    model = build_mlp(2, hidden)
    table = compute_parameter_table(model)
    assert table.total == expected == model.count_params() == table.keras_total
    for row in table.rows:
        prev, rest = row.formula.split(" × ")
        cur, bias = rest.split(" + ")
        assert int(prev) * int(cur) + int(bias) == row.count == row.keras_count


def test_parameter_table_finds_dense_layers_in_a_nested_sequential_model():
    inner = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, name="a"), keras.layers.Dense(2, name="b")])
    outer = keras.Sequential([keras.Input((2,)), inner, keras.layers.Dense(1, activation="sigmoid", name="c")])
    table = compute_parameter_table(outer)
    assert [r.layer for r in table.rows] == ["a", "b", "c"]
    assert table.total == outer.count_params() == 9 + 8 + 3


@pytest.mark.parametrize("model_fn", [lambda: build_mlp(2, (5, 3), "tanh"), lambda: build_logistic_neuron(2),
                                      lambda: keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, "relu"),
                                                                keras.layers.Dense(1, "sigmoid")])])
def test_decision_boundary_probabilities_equal_model_predict_on_the_grid(model_fn):
    model = model_fn()
    x = np.random.default_rng(0).normal(0, 1, (50, 2)).astype("float32")
    db = compute_decision_boundary(model, x, resolution=25)
    expected = model.predict(db.grid, verbose=0).reshape(25, 25)
    np.testing.assert_allclose(db.probs, expected, atol=1e-6)
    assert db.xs[0] < x[:, 0].min() and db.xs[-1] > x[:, 0].max()
    # probs[i, j] is at (xs[j], ys[i])
    assert db.grid[1 * 25 + 2].tolist() == [db.xs[2], db.ys[1]]


def test_neuron_maps_equal_the_first_layer_computed_in_numpy():
    model = build_mlp(2, (3, 2), "tanh")
    x = np.random.default_rng(1).normal(0, 1, (40, 2)).astype("float32")
    maps = compute_neuron_maps(model, x, resolution=20)
    assert maps.layers == ("mlp_hidden1", "mlp_hidden2") and [m.shape for m in maps.maps] == [(3, 20, 20), (2, 20, 20)]
    w, b = model.get_layer("mlp_hidden1").get_weights()
    gx, gy = np.meshgrid(maps.xs, maps.ys)
    h = np.tanh(np.stack([gx, gy], -1) @ w + b)
    np.testing.assert_allclose(maps.maps[0], np.moveaxis(h, -1, 0), atol=1e-5)


@pytest.mark.parametrize("bad, err", [(np.zeros((5, 3)), ValueError), ("not a model", TypeError)])
def test_decision_boundary_rejects_bad_input(bad, err):
    model = build_mlp(2, (2,))
    with pytest.raises(err):
        if isinstance(bad, str):
            compute_decision_boundary(bad, np.zeros((5, 2)))
        else:
            compute_decision_boundary(model, bad)


def test_decision_boundary_grid_covers_the_test_points_and_keeps_them_apart():
    model = build_mlp(2, (3,))
    x = np.random.default_rng(2).normal(0, 1, (30, 2)).astype("float32")
    x_test = np.array([[5.0, -4.0], [0.0, 0.0]], "float32")
    db = compute_decision_boundary(model, x, resolution=10, y=np.zeros(30), x_test=x_test, y_test=[1, 0])
    assert db.xs[-1] > 5.0 and db.ys[0] < -4.0
    np.testing.assert_array_equal(db.x, x)
    np.testing.assert_array_equal(db.x_test, x_test)
    assert db.y_test.tolist() == [1, 0]


def test_neuron_map_probe_is_reused_and_freed_with_its_model():
    import gc
    import weakref

    from explainers import _backend

    model = build_mlp(2, (3,), "tanh")
    x = np.zeros((4, 2), "float32")
    first = compute_neuron_maps(model, x, resolution=5)
    np.testing.assert_array_equal(compute_neuron_maps(model, x, resolution=5).maps[0], first.maps[0])
    assert len(_backend._PER_MODEL[model]) == 1  # one probe, built once
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
