"""Basics recipes for cross-entropy and layers as matrices (lectures 002 and 003).

- :func:`compare_saturated_losses`: one sigmoid neuron started saturated and
  wrong, trained by plain gradient descent with cross-entropy and with squared
  error (why cross-entropy).
- :func:`compare_interactions`: xor and the product x1·x2 fitted by a model
  without a hidden layer and by one hidden layer (lecture 003's question 3).
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["SATURATED_LOSSES", "half_squared_error", "saturated_data", "SaturatedRun", "SaturatedComparison",
           "compare_saturated_losses", "INTERACTION_TASKS", "interaction_data", "InteractionFit",
           "InteractionComparison", "compare_interactions"]

SATURATED_LOSSES = ("cross-entropy", "squared error")


def half_squared_error(y_true: Any, y_pred: Any) -> Any:
    """½(σ − y)², averaged over the last axis: its gradient dL/dz is (σ − y)·σ(1 − σ) for a sigmoid output.

    (Keras' ``MeanSquaredError`` has no ½, so its gradient is twice this.)
    """
    import keras

    y_true = keras.ops.cast(y_true, y_pred.dtype)
    return 0.5 * keras.ops.mean(keras.ops.square(y_pred - y_true), axis=-1)


def saturated_data(n: int = 64, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n points on a line, x = ±(0.75 … 1.25), label y = 1 where x > 0 (half of each class).

    What this shows: a task one neuron solves with any w > 0; started at w = −6 it
    is saturated (|z| ≥ 4.5 everywhere) and wrong on every point.
    """
    from models._arguments import check_int

    n = check_int("n", n, low=2)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    y = np.repeat([0.0, 1.0], [n // 2, n - n // 2])
    x = rng.uniform(0.75, 1.25, n) * np.where(y == 1, 1.0, -1.0)
    order = rng.permutation(n)
    return x[order, None].astype(np.float32), y[order, None].astype(np.float32)


@dataclass(frozen=True)
class SaturatedRun:
    """One loss's run: the neuron ŷ = σ(w·x + b) from the same saturated, wrong start.

    Attributes:
        loss_name: "cross-entropy" or "squared error" (½(σ − y)²).
        learning_rate: the plain gradient-descent step α.
        start_loss, start_accuracy: before the first step, computed in NumPy.
        losses, accuracy: ``(epochs,)`` Keras' log of each full-batch step, taken with the weights that
            step starts from (so ``losses[0]`` is ``start_loss``); the loss is the one it trains on.
        w, b: ``(epochs + 1,)`` the weight and bias, the start included.
        start_gradient: dL/dw at the start (mean over the data).
        status, message: how :func:`models.train` ended the run.
    """

    loss_name: str
    learning_rate: float
    start_loss: float
    start_accuracy: float
    losses: np.ndarray
    accuracy: np.ndarray
    w: np.ndarray
    b: np.ndarray
    start_gradient: float
    status: str
    message: str


@dataclass(frozen=True)
class SaturatedComparison:
    """The two runs of :func:`compare_saturated_losses` (cross-entropy first), drawn by
    ``explainers.plot_saturated_training``.

    Attributes:
        runs: one :class:`SaturatedRun` per loss.
        z_start: the start's weight w (b = 0), so z = w·x ≈ z_start at |x| = 1.
        epochs, n: epochs and data points (full-batch steps: one per epoch).
    """

    runs: tuple[SaturatedRun, ...]
    z_start: float
    epochs: int
    n: int


def _numpy_loss(name: str, w: float, b: float, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(loss, accuracy, dL/dw) of σ(wx + b) in NumPy, for the start of a run."""
    z = (w * x + b).ravel()
    s = 0.5 * (1 + np.tanh(0.5 * z))
    t = y.ravel()
    if name == "cross-entropy":
        loss = float(np.mean(np.logaddexp(0, z) - t * z))
        dz = s - t
    else:
        loss = float(np.mean(0.5 * (s - t) ** 2))
        dz = (s - t) * s * (1 - s)
    return loss, float(np.mean((s > 0.5) == (t == 1))), float(np.mean(dz * x.ravel()))


class _WeightRecorder:
    def __init__(self):
        self.w: list[float] = []
        self.b: list[float] = []

    def on_epoch_end(self, progress, model):
        kernel, bias = model.get_weights()
        self.w.append(float(np.ravel(kernel)[0]))
        self.b.append(float(np.ravel(bias)[0]))


def compare_saturated_losses(*, epochs: int = 60, learning_rate: float = 1.0, z_start: float = -6.0, n: int = 64,
                             seed: int = 0, losses: tuple[str, ...] = SATURATED_LOSSES,
                             observers: Iterable[Any] = ()) -> SaturatedComparison:
    """Train one sigmoid neuron from a saturated, wrong start with each loss, by plain gradient descent.

    What this shows: with cross-entropy the neuron recovers in a few steps (its
    gradient is σ − y ≈ −1); with squared error the same step size barely moves
    it, because the gradient is multiplied by σ(1 − σ) ≈ 0.0025. Plain SGD on
    purpose: Adam divides each step by the gradient's size and would hide it.

    Args:
        epochs: full-batch steps (one per epoch).
        learning_rate: α of plain gradient descent, the same for both losses.
        z_start: the starting weight w (bias 0): z = w·x, about z_start on the positive points.
        n: data points (:func:`saturated_data`).
        seed: the data's seed (the start is fixed, not random).
        losses: which runs, in order (a subset of :data:`SATURATED_LOSSES`).
        observers: passed to :func:`models.train` for each run (a live progress bar).
    """
    import keras

    from models._arguments import check_choice, check_float, check_int
    from models.mlp import build_logistic_neuron
    from models.training import DivergenceCheck, train

    epochs = check_int("epochs", epochs, low=1, high=5000)
    learning_rate = check_float("learning_rate", learning_rate, low=0.0, high=100.0, low_open=True)
    z_start = check_float("z_start", z_start, low=-20.0, high=20.0)
    losses = tuple(check_choice("losses", name, SATURATED_LOSSES) for name in losses)
    x, y = saturated_data(n, seed=seed)
    observers = list(observers)
    runs = []
    for name in losses:
        model = build_logistic_neuron(1, name="saturated")
        model.set_weights([np.array([[z_start]], dtype=np.float32), np.zeros(1, dtype=np.float32)])
        start_loss, start_acc, start_grad = _numpy_loss(name, z_start, 0.0, x, y)
        recorder = _WeightRecorder()
        hist = train(model, x, y, epochs=epochs, batch_size=len(x), shuffle=False,
                     optimizer=keras.optimizers.SGD(learning_rate),
                     loss="binary_crossentropy" if name == "cross-entropy" else half_squared_error,
                     metrics=["accuracy"], observers=[recorder, *observers],
                     divergence=DivergenceCheck(loss_factor=1e9))  # a start at a loss of 5 falling is no divergence
        runs.append(SaturatedRun(name, learning_rate, start_loss, start_acc, hist.metric("loss"),
                                 hist.metric("accuracy"), np.array([z_start, *recorder.w]),
                                 np.array([0.0, *recorder.b]), start_grad, hist.status, hist.message))
    return SaturatedComparison(tuple(runs), z_start, epochs, len(x))


# ------------------------------------------------------------------ interactions (lecture 003, question 3)
INTERACTION_TASKS = ("xor", "product")
_REPS = 5  # passes over the data per Keras epoch


def interaction_data(task: str, n: int = 200, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Data whose label depends on x1 and x2 *together*.

    What this shows: "xor" is class 1 where x1 and x2 have the same sign
    (``models.data.make_points("xor")``, noise 0.05); "product" is the
    regression target y = x1·x2 with x uniform on [−1, 1]². Neither is a
    sum g1(x1) + g2(x2): each needs the inputs to interact.
    """
    from models._arguments import check_choice, check_int
    from models.data import make_points

    check_choice("task", task, INTERACTION_TASKS)
    n = check_int("n", n, low=4)
    seed = check_int("seed", seed, low=0)
    if task == "xor":
        x, y = make_points("xor", n, 0.05, seed=seed)
        return x.astype(np.float32), y.astype(np.float32)[:, None]
    x = np.random.default_rng(seed).uniform(-1.0, 1.0, (n, 2))
    return x.astype(np.float32), (x[:, 0] * x[:, 1]).astype(np.float32)[:, None]


@dataclass(frozen=True)
class InteractionFit:
    """One model fitted to one task, scored on fresh test points.

    Attributes:
        task: "xor" or "product"; hidden: hidden neurons (0: no hidden layer); params: its parameter count.
        score_name: "test accuracy" (xor) or "test R²" (product: 1 − SS_res / SS_tot); score: its value.
        x_train, y_train: the points it was fitted to.
        grid: ``(g,)`` coordinates of the plane drawn; surface: ``(g, g)`` its output there (rows: x2).
        losses: training loss per Keras epoch (5 passes over the data each when epochs is a multiple of 5);
            seconds: training time.
        weights: the trained model's ``get_weights()`` (rebuild it with ``models.build_mlp`` and
            ``set_weights`` to look inside).
    """

    task: str
    hidden: int
    params: int
    score_name: str
    score: float
    x_train: np.ndarray
    y_train: np.ndarray
    grid: np.ndarray
    surface: np.ndarray
    losses: np.ndarray
    seconds: float
    weights: tuple[np.ndarray, ...] = ()

    @property
    def label(self) -> str:
        return "no hidden layer" if self.hidden == 0 else f"one hidden layer ({self.hidden})"


@dataclass(frozen=True)
class InteractionComparison:
    """Each task fitted without and with one hidden layer (``explainers.plot_interactions`` draws it).

    Attributes:
        fits: ``InteractionFit`` per (task, model), tasks in the order asked, no hidden layer first.
        hidden, epochs: the settings of the run.
    """

    fits: tuple[InteractionFit, ...]
    hidden: int
    epochs: int

    def fit(self, task: str, hidden: bool) -> InteractionFit:
        """The fit of ``task`` with (True) or without (False) the hidden layer."""
        return next(f for f in self.fits if f.task == task and (f.hidden > 0) == hidden)


def compare_interactions(tasks: tuple[str, ...] = INTERACTION_TASKS, *, hidden: int = 8, epochs: int = 100,
                         n: int = 200, learning_rate: float = 0.05, seed: int = 0,
                         observers: Iterable[Any] = ()) -> InteractionComparison:
    """Fit each task with no hidden layer (σ(w1x1 + w2x2 + b), or linear for the product) and with one.

    What this shows: lecture 003's question 3. Without a hidden layer the output
    is a function of one weighted sum w1x1 + w2x2 + b, so neither xor nor x1·x2
    can be fitted (accuracy ≈ 0.5, R² ≈ 0). One hidden layer of tanh neurons
    applies a non-linearity to several such sums and adds them up, which mixes
    the inputs: x1·x2 = ((x1 + x2)² − (x1 − x2)²) / 4 is one way.

    Args:
        tasks: a subset of :data:`INTERACTION_TASKS`.
        hidden: tanh neurons in the hidden layer.
        epochs: passes over the data with Adam (batch 32) per model.
        n: training points (and as many fresh test points).
        learning_rate: Adam's step.
        seed: data and starting weights.
        observers: passed to :func:`models.train` for each of the fits (a live progress bar).
    """
    import keras

    from models._arguments import check_choice, check_float, check_int
    from models.mlp import build_mlp
    from models.training import train

    tasks = tuple(check_choice("tasks", t, INTERACTION_TASKS) for t in tasks)
    hidden = check_int("hidden", hidden, low=1, high=256)
    epochs = check_int("epochs", epochs, low=1, high=5000)
    learning_rate = check_float("learning_rate", learning_rate, low=0.0, high=10.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    observers = list(observers)
    g = np.linspace(-1.25, 1.25, 61)
    plane = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2).astype(np.float32)
    fits = []
    for task in tasks:
        xtr, ytr = interaction_data(task, n, seed=seed)
        xte, yte = interaction_data(task, n, seed=seed + 1)
        classify = task == "xor"
        for width in (0, hidden):
            model = build_mlp(2, (width,) if width else (), activation="tanh",
                              output_activation="sigmoid" if classify else None, seed=seed, name=f"{task}{width}")
            # Keras' per-epoch overhead dwarfs an epoch of 200 points: each fit() epoch holds `reps` passes,
            # each in its own order drawn from `seed` (not Keras' shuffle, which reads the global generator).
            reps = _REPS if epochs % _REPS == 0 else 1
            rng = np.random.default_rng(seed)
            order = np.concatenate([rng.permutation(len(xtr)) for _ in range(reps)])
            t0 = time.perf_counter()
            hist = train(model, xtr[order], ytr[order], epochs=epochs // reps, batch_size=32,
                         learning_rate=learning_rate, loss="binary_crossentropy" if classify else "mse", metrics=[],
                         observers=observers, shuffle=False, steps_per_execution=8)
            seconds = time.perf_counter() - t0
            pred = np.asarray(keras.ops.convert_to_numpy(model(xte, training=False)), dtype=np.float64).ravel()
            truth = yte.ravel().astype(np.float64)
            if classify:
                score_name, score = "test accuracy", float(np.mean((pred > 0.5) == (truth == 1)))
            else:
                score_name = "test R²"
                score = float(1.0 - np.sum((truth - pred) ** 2) / np.sum((truth - truth.mean()) ** 2))
            surface = np.asarray(keras.ops.convert_to_numpy(model(plane, training=False)),
                                 dtype=np.float64).reshape(len(g), len(g))
            fits.append(InteractionFit(task, width, int(model.count_params()), score_name, score, xtr, ytr.ravel(),
                                       g, surface, hist.metric("loss"), seconds,
                                       tuple(np.asarray(w) for w in model.get_weights())))
    return InteractionComparison(tuple(fits), hidden, epochs)
