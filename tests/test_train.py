"""models.train (in models/training.py): observers, NaN stops, stop requests, interruptions, device, terminal."""
import numpy as np
import pytest

import models
from models import build_mlp
from models.training import TrainingHistory

rng = np.random.default_rng(0)
X = rng.random((96, 2)).astype("float32")
Y_CLS = (X[:, 0] > X[:, 1]).astype("float32")
Y_REG = (3 * X[:, 0] - X[:, 1]).astype("float32")


class Recorder:
    def __init__(self, stop_after_epoch=None):
        self.events, self.stop_after_epoch = [], stop_after_epoch

    def on_train_begin(self, info):
        self.events.append(("begin", info["epochs"], info["batches"]))

    def on_batch_end(self, p):
        self.events.append(("batch", p.epoch, p.batch))
        assert np.isfinite(p.logs["loss"]) and p.samples_per_s > 0

    def on_epoch_end(self, p, model):
        self.events.append(("epoch", p.epoch, p.logs["loss"]))
        return self.stop_after_epoch is not None and p.epoch >= self.stop_after_epoch

    def on_train_end(self, history):
        self.events.append(("end", history.status))


def test_observers_see_every_batch_and_epoch_and_history_matches():
    rec = Recorder()
    h = models.train(build_mlp(2), X, Y_CLS, epochs=3, batch_size=32, validation_data=(X, Y_CLS), observers=[rec])
    assert rec.events[0] == ("begin", 3, 3)
    assert [e[1:] for e in rec.events if e[0] == "batch"] == [(e, b) for e in (1, 2, 3) for b in (1, 2, 3)]
    epoch_losses = [e[2] for e in rec.events if e[0] == "epoch"]
    np.testing.assert_allclose(h.metric("loss"), epoch_losses)
    assert set(h.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert rec.events[-1] == ("end", "finished") and h.device


def test_nan_loss_stops_and_keeps_last_good_epoch():
    model = build_mlp(2, hidden=(4,), output_activation=None)
    h = models.train(model, X, Y_REG, epochs=2, batch_size=16, learning_rate=1e-2)
    good = model.get_weights()
    h = models.train(model, X, Y_REG, epochs=5, batch_size=16, optimizer="sgd", learning_rate=1e6, history=h)
    assert h.status == "diverged" and "learning rate" in h.message and "epoch 3" in h.message
    assert len(h) == 2  # the history of the two good epochs, nothing from the diverged one
    for a, b in zip(good, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_finite_but_exploding_loss_is_reported_as_divergence(seed):
    # A sigmoid + cross-entropy net never reaches NaN: its loss climbs to a plateau. At a step size of
    # 30 it does so whatever the initial weights and batch order (seeded here), not only for one draw.
    model = build_mlp(2, hidden=(8,), seed=seed)
    h = models.train(model, X, Y_CLS, epochs=5, batch_size=16, learning_rate=30.0, seed=seed)
    assert h.status == "diverged", h.history
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_stop_request_keeps_the_finished_epochs():
    rec = Recorder(stop_after_epoch=2)
    h = models.train(build_mlp(2), X, Y_CLS, epochs=10, batch_size=32, observers=[rec])
    assert h.status == "stopped" and len(h) == 2


def test_interruption_mid_epoch_restores_last_finished_epoch():
    class Interrupt:
        def __init__(self):
            self.n = 0

        def on_epoch_end(self, p, model):
            self.weights = model.get_weights()

        def on_batch_end(self, p):
            if p.epoch == 2 and p.batch == 2:
                raise KeyboardInterrupt  # what a Streamlit rerun or Ctrl-C looks like

    model, obs, h = build_mlp(2), Interrupt(), TrainingHistory()
    with pytest.raises(KeyboardInterrupt):
        models.train(model, X, Y_CLS, epochs=3, batch_size=16, observers=[obs], history=h)
    assert h.status == "interrupted" and len(h) == 1
    for a, b in zip(obs.weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_train_continues_the_same_run_and_changes_learning_rate():
    model = build_mlp(2)
    h = models.train(model, X, Y_CLS, epochs=2, batch_size=32, learning_rate=0.01)
    h = models.train(model, X, Y_CLS, epochs=2, batch_size=32, learning_rate=0.05, history=h)
    assert len(h) == 4
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.05)


def test_zero_epochs_trains_nothing():
    model = build_mlp(2)
    before = model.get_weights()
    h = models.train(model, X, Y_CLS, epochs=0, batch_size=8)
    assert h.status == "finished" and len(h) == 0
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("kwargs, word", [
    (dict(epochs=-1), "epochs"), (dict(epochs=1, batch_size=0), "batch_size"),
    (dict(epochs=1, learning_rate=float("nan")), "learning_rate"),
])
def test_bad_settings_are_named(kwargs, word):
    with pytest.raises(ValueError, match=word):
        models.train(build_mlp(2), X, Y_CLS, **kwargs)


def test_mismatched_or_nan_data_is_refused_clearly():
    with pytest.raises(ValueError, match="96 samples but y has 10"):
        models.train(build_mlp(2), X, Y_CLS[:10], epochs=1)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        models.train(build_mlp(2), bad, Y_CLS, epochs=1)


def test_device_name_says_cpu_or_gpu():
    assert models.device_name().startswith(("CPU", "GPU"))


def test_terminal_entry_point_trains_and_saves(tmp_path, capsys):
    from models.training import main

    path = tmp_path / "mlp.keras"
    assert main(["mlp", "--epochs", "2", "--samples", "64", "--save", str(path)]) == 0
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "samples/s" in err and path.exists()
    loaded = models.load_model(path)
    assert loaded.count_params() == models.build_model("mlp").count_params()


def test_models_train_is_the_function_after_the_training_module_is_imported():
    import importlib

    importlib.import_module("models.training")
    assert callable(models.train) and models.train is importlib.import_module("models.training").train
    h = models.train(build_mlp(2), X, Y_CLS, epochs=1)
    assert h.status == "finished"


@pytest.mark.parametrize("labels, base_rate", [(np.r_[np.zeros(48), np.ones(48)], 0.5),
                                               (np.r_[np.zeros(72), np.ones(24)], 0.75)])
def test_a_run_that_ends_at_chance_is_flagged_not_called_a_success(labels, base_rate):
    # all-zero inputs carry no information: the best the net can do is the class frequencies
    x = np.zeros((len(labels), 2), "float32")
    h = models.train(build_mlp(2, hidden=(4,)), x, labels.astype("float32"), epochs=30, batch_size=32,
                     learning_rate=0.05)
    p = np.array([1 - base_rate, base_rate])
    entropy = float(-(p * np.log(p)).sum())
    assert h.status == "finished" and h.at_chance, h.history
    assert "has not learned" in h.message and f"{entropy:.3f}" in h.message and f"({base_rate:.2f})" in h.message


def test_a_run_that_learns_is_not_flagged_at_chance():
    h = models.train(build_mlp(2, hidden=(8,)), X, Y_CLS, epochs=40, batch_size=16, learning_rate=0.03)
    assert h.metric("accuracy")[-1] > 0.8 and not h.at_chance and h.message.startswith("Trained 40")


# --------------------------------------------------------------------------- #
# drawing a history (explainers.history_plots)                                 #
# --------------------------------------------------------------------------- #

HISTORY = TrainingHistory(epochs=[{"loss": 0.9, "val_loss": 1.0, "accuracy": 0.6, "val_accuracy": 0.55},
                                  {"loss": 0.5, "val_loss": 0.7, "accuracy": 0.8, "val_accuracy": 0.7},
                                  {"loss": 0.3, "val_loss": 0.6, "accuracy": 0.9, "val_accuracy": 0.75}],
                          status="finished")


def _lines(ax):
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.get_lines()}


@pytest.mark.parametrize("metric, drawn", [
    ("loss", {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.7, 0.6]}),
    ("accuracy", {"accuracy": [0.6, 0.8, 0.9], "val_accuracy": [0.55, 0.7, 0.75]}),
    (("loss", "accuracy"), {"loss": [0.9, 0.5, 0.3], "accuracy": [0.6, 0.8, 0.9]}),
    ("val_loss", {"val_loss": [1.0, 0.7, 0.6]}),
])
def test_plot_history_draws_each_metric_per_whole_epoch(metric, drawn):
    from matplotlib.axes import Axes

    from explainers import plot_history

    ax = plot_history(HISTORY, metric=metric)
    assert isinstance(ax, Axes)
    assert _lines(ax) == {k: ([1, 2, 3], v) for k, v in drawn.items()}
    assert ax.get_xlabel() == "epoch" and ax.get_title() == "Learning curves"
    assert all(float(t).is_integer() for t in ax.get_xticks())  # epochs are whole
    assert ax.get_legend() is not None


def test_plot_history_draws_on_the_axes_given_and_skips_missing_keys():
    from matplotlib.figure import Figure

    from explainers.history_plots import plot_history

    ax = Figure().subplots()
    assert plot_history(TrainingHistory(epochs=[{"loss": 1.0}, {"loss": 0.5}]), ax, title="Loss") is ax
    assert _lines(ax) == {"loss": ([1, 2], [1.0, 0.5])} and ax.get_title() == "Loss"
    empty = plot_history(TrainingHistory(), metric="accuracy")
    assert _lines(empty) == {} and empty.get_legend() is None


def test_plot_history_draws_what_train_returned():
    from explainers.history_plots import plot_history

    h = models.train(build_mlp(2), X, Y_CLS, epochs=2, batch_size=32, validation_data=(X, Y_CLS))
    lines = _lines(plot_history(h))
    assert lines["loss"] == ([1, 2], list(h.metric("loss"))) and lines["val_loss"][0] == [1, 2]


@pytest.mark.parametrize("kwargs, word", [
    (dict(history={"loss": [1.0]}), "history"), (dict(history=HISTORY, metric=""), "metric"),
    (dict(history=HISTORY, metric=3), "metric"), (dict(history=HISTORY, metric=()), "metric"),
])
def test_plot_history_refuses_bad_arguments_naming_them(kwargs, word):
    from explainers.history_plots import plot_history
    from models._arguments import ArgumentError

    with pytest.raises(ArgumentError, match=word):
        plot_history(**kwargs)
