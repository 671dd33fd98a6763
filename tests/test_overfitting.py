"""Overfitting and model size: lecture 000's 196,610,001 parameters, the recipes' runs, L2 and early stopping.

The lecture 000 MLP counts 17 / 41 / 25 are tested in test_builders.py and not repeated here.
"""
from __future__ import annotations

import numpy as np
import pytest

TINY = dict(n_val=8, epochs=2, batch_size=4, size=16, seed=0)


# ------------------------------------------------------------------ parameter counts
def test_the_lecture_dense_net_has_196_610_001_parameters():
    from explainers import compute_parameter_count

    result = compute_parameter_count((256, 256, 3), (1000,), 1)
    inputs = 256 * 256 * 3                                  # the lecture's image, flattened: 196,608 values
    assert result.counts == (inputs * 1000 + 1000, 1000 * 1 + 1) == (196_609_000, 1_001)
    assert result.total == 196_610_001                       # lecture 000, section 3
    assert result.bytes == 4 * 196_610_001
    assert result.formula(0) == "196,608 × 1,000 + 1,000"


@pytest.mark.parametrize("shape, hidden", [((8, 8, 3), (10,)), ((32, 32, 1), (1000,)), ((16, 12, 2), (7, 5)),
                                           ((5, 5, 1), (1,))])
def test_the_count_formula_equals_keras_count_params_on_smaller_nets(shape, hidden):
    from explainers import compute_parameter_count
    from models.recipes import build_dense_net

    assert build_dense_net(shape, hidden, seed=0).count_params() == compute_parameter_count(shape, hidden).total


@pytest.mark.parametrize("channels, filters, kernel", [(3, 1000, 3), (1, 16, 3), (3, 8, 5)])
def test_the_conv_count_is_lecture_002s_formula_and_keras_agrees(channels, filters, kernel):
    import keras

    from explainers import compute_parameter_count

    result = compute_parameter_count((64, 64, channels), (filters,), kernel_size=kernel)
    layer = keras.layers.Conv2D(filters, kernel)
    layer.build((None, 64, 64, channels))
    assert result.conv_count == (kernel * kernel * channels + 1) * filters == layer.count_params()
    if (channels, filters, kernel) == (3, 1000, 3):
        assert result.conv_count == 28_000  # vs 196,609,000 for the dense hidden layer on the same image


@pytest.mark.slow
def test_keras_builds_the_lecture_net_with_196_610_001_parameters():
    from models.recipes import build_dense_net

    model = build_dense_net((256, 256, 3), (1000,), seed=0)  # 786 MB of float32 weights, never trained
    assert model.count_params() == 196_610_001
    del model


@pytest.mark.parametrize("kwargs", [dict(input_shape=(8, 8)), dict(hidden=()), dict(hidden=(0,)), dict(outputs=0)])
def test_compute_parameter_count_refuses_bad_shapes(kwargs):
    from explainers import compute_parameter_count

    with pytest.raises(ValueError):
        compute_parameter_count(**kwargs)


# ------------------------------------------------------------------ L2
def test_l2_adds_lambda_times_the_sum_of_squared_kernels_to_the_loss():
    import keras

    from models.data import make_lesions
    from models.recipes import build_dense_net

    lam = 0.01
    model = build_dense_net((16, 16, 1), (6,), l2=lam, seed=3)
    plain = build_dense_net((16, 16, 1), (6,), seed=3)
    plain.set_weights(model.get_weights())
    kernels = [w for w in model.weights if "kernel" in w.path]
    expected = lam * sum(float(np.sum(np.asarray(w) ** 2, dtype=np.float64)) for w in kernels)
    assert len(kernels) == 2
    assert float(sum(keras.ops.convert_to_numpy(v) for v in model.losses)) == pytest.approx(expected, rel=1e-5)
    x, y, _, _ = make_lesions(8, 16, seed=0)
    for m in (model, plain):
        m.compile(loss="binary_crossentropy")
    assert model.evaluate(x, y, verbose=0) - plain.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-4)


# ------------------------------------------------------------------ the recipes
def _record_starts(monkeypatch):
    import models.training

    real_train = models.training.train
    starts = []

    def recording_train(model, *args, history=None, **kwargs):
        if history is not None and len(history) == 0:  # the first epoch of a run: the weights it starts from
            starts.append([w.copy() for w in model.get_weights()])
        return real_train(model, *args, history=history, **kwargs)

    monkeypatch.setattr(models.training, "train", recording_train)
    return starts


@pytest.mark.parametrize("recipe", ["regularisers", "data size"])
def test_runs_start_from_identical_weights_and_return_finite_curves(monkeypatch, recipe):
    from models.recipes import REGULARISERS, compare_data_size, compare_regularisers

    starts = _record_starts(monkeypatch)
    histories = {}
    if recipe == "regularisers":
        result = compare_regularisers(hidden=4, n_train=8, histories=histories, **TINY)
        assert result.runs == REGULARISERS
    else:
        result = compare_data_size((4, 8), hidden=4, histories=histories, **TINY)
        assert result.n_train == {"4 images": 4, "8 images": 8}
    assert len(starts) == len(result.runs) >= 2
    assert all(np.array_equal(a, b) for first in starts[1:] for a, b in zip(starts[0], first))
    assert set(result.curves) == set(histories) == set(result.runs)
    for run, curves in result.curves.items():
        assert np.isfinite(curves["loss"]).all() and len(curves["val_accuracy"]) == result.kept_epoch[run] == 2
        assert result.status[run] == "finished"
    assert len(result.table()) == len(result.runs)


def test_capacity_runs_grow_in_parameters_as_keras_counts_them():
    from explainers import compute_parameter_count
    from models.recipes import compare_capacity

    result = compare_capacity((2, 4), n_train=8, **TINY)
    assert result.runs == ("2 hidden", "4 hidden")
    assert [result.parameters[r] for r in result.runs] == [compute_parameter_count((16, 16, 1), (w,)).total
                                                           for w in (2, 4)]
    cnn = compare_capacity((2,), model="cnn", n_train=8, **TINY)
    assert cnn.runs == ("2 filters",) and cnn.parameters["2 filters"] > 0


def test_dense_conv_reports_both_counts_and_uses_each_learning_rate():
    from explainers import compute_parameter_count
    from models.recipes import compare_dense_conv

    models = {}
    result = compare_dense_conv(8, hidden=20, filters=(2, 4), conv_learning_rate=5e-3, models=models, **TINY)
    assert result.parameters["dense"] == compute_parameter_count((16, 16, 1), (20,)).total
    assert result.parameters["conv"] == models["conv"].count_params() < result.parameters["dense"]
    assert float(models["conv"].optimizer.learning_rate) == pytest.approx(5e-3)
    assert float(models["dense"].optimizer.learning_rate) == pytest.approx(3e-4)


def test_early_stopping_keeps_the_epoch_of_lowest_validation_loss():
    from models.recipes import compare_regularisers, overfitting_data

    models = {}
    kwargs = dict(hidden=32, n_train=8, n_val=32, epochs=30, batch_size=4, learning_rate=1e-2, size=16, seed=0)
    result = compare_regularisers(("early stopping",), patience=2, models=models, **kwargs)
    val_loss = result.curves["early stopping"]["val_loss"]
    best = int(np.argmin(val_loss)) + 1
    assert result.kept_epoch["early stopping"] == best
    assert len(val_loss) == min(best + 2, 30)  # stopped `patience` epochs after the best (or ran out)
    assert len(val_loss) < 30, "the validation loss never rose for 2 epochs: the test proves nothing"
    _, _, xv, yv = overfitting_data(8, 32, size=16, seed=0)
    loss, accuracy = models["early stopping"].evaluate(xv, yv, verbose=0)
    assert loss == pytest.approx(val_loss[best - 1], rel=1e-4)
    assert accuracy == pytest.approx(result.final("early stopping"), abs=1e-6)


def test_the_trained_l2_model_reports_the_penalty_of_its_own_weights():
    import keras

    from models.recipes import compare_regularisers

    models = {}
    compare_regularisers(("L2",), hidden=4, n_train=8, l2=0.05, models=models, **TINY)
    model = models["L2"]
    expected = 0.05 * sum(float(np.sum(np.asarray(w) ** 2)) for w in model.weights if "kernel" in w.path)
    assert float(sum(keras.ops.convert_to_numpy(v) for v in model.losses)) == pytest.approx(expected, rel=1e-5)


def test_a_stop_request_ends_the_comparison_after_that_runs_epoch():
    from models.recipes import compare_regularisers

    class StopAfterOne:
        def on_epoch_end(self, progress, model):
            return True

    result = compare_regularisers(hidden=4, n_train=8, observers=[StopAfterOne()], **{**TINY, "epochs": 3})
    assert list(result.curves) == ["none"] and result.status["none"] == "stopped"
    assert len(result.curves["none"]["loss"]) == 1 and result.kept_epoch["none"] == 1


@pytest.mark.parametrize("call", [
    lambda r: r.compare_regularisers(("weight decay",), **TINY),
    lambda r: r.compare_regularisers(l2=-1.0, **TINY),
    lambda r: r.compare_regularisers(dropout=1.0, **TINY),
    lambda r: r.compare_regularisers(augmentation={"spin": 1.0}, **TINY),
    lambda r: r.compare_regularisers(augmentation={"rotation": 400.0}, **TINY),
    lambda r: r.compare_capacity((), **TINY),
    lambda r: r.compare_capacity((4, 4), **TINY),
    lambda r: r.compare_capacity((4,), model="rnn", **TINY),
    lambda r: r.compare_data_size((1,), **TINY),
    lambda r: r.compare_dense_conv(8, conv_learning_rate=0.0, **TINY),
])
def test_bad_settings_are_refused_before_any_training(monkeypatch, call):
    import models.recipes as recipes
    import models.training

    monkeypatch.setattr(models.training, "train", lambda *a, **k: pytest.fail("trained despite a bad setting"))
    with pytest.raises(ValueError):
        call(recipes)


# ------------------------------------------------------------------ drawings
def test_the_plots_draw_a_tiny_result_and_the_count():
    from matplotlib.figure import Figure

    from explainers import (compute_parameter_count, plot_overfitting_curves, plot_overfitting_summary,
                            plot_parameter_count)
    from models.recipes import compare_regularisers

    result = compare_regularisers(("none", "early stopping", "dropout"), hidden=4, n_train=8, **TINY)
    fig = plot_overfitting_curves(result, Figure(), columns=2)
    assert len([ax for ax in fig.axes if ax.axison]) == 3
    ax = plot_overfitting_summary(result)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["none", "early stopping", "dropout"]
    ax = plot_parameter_count(compute_parameter_count())
    assert "196,610,001" in ax.get_title()
