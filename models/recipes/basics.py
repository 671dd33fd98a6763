"""Basics recipes: the universal-approximation fits and the batch-size comparison.

Universal approximation (lecture 003; the curve is lecture 004's Fourier-basis example) and
full-batch vs mini-batch vs SGD (lecture 003).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CurveFit", "CurveFits", "fit_curve", "BatchRun", "BatchSizeComparison", "compare_batch_sizes"]


@dataclass(frozen=True)
class CurveFit:
    """One network's fit of ``explainers.approximation.target_curve`` on [-π, π].

    Attributes:
        hidden: neurons per hidden layer; params: ``model.count_params()``.
        x, y_true, y_pred: ``(n,)`` evaluation grid, target and prediction.
        mse: mean squared error on the grid (in the target's units²).
        losses: training loss per block of 10 epochs.
    """

    hidden: tuple[int, ...]
    params: int
    x: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray
    mse: float
    losses: np.ndarray


@dataclass(frozen=True)
class CurveFits:
    """Several :class:`CurveFit` of the same curve, drawn together (``explainers.plot_fits``).

    Attributes:
        fits: the fits, in the order to draw and tabulate them.
        title: what the comparison varies (e.g. "Width N, one hidden layer").
    """

    fits: tuple[CurveFit, ...]
    title: str = ""


def fit_curve(hidden: tuple[int, ...] = (8,), *, activation: str = "tanh", epochs: int = 300,
              n_points: int = 256, learning_rate: float = 0.01, seed: int = 0) -> CurveFit:
    """Train an MLP (``models.build_mlp``, linear output) to fit 5 cos x + 7 cos 2x + cos 4x.

    What this shows: one hidden layer of N neurons bends its output more often
    as N grows (the universal approximation theorem, lecture 003; the curve is lecture 004's
    Fourier-basis example).

    Inputs are scaled to [-1, 1] and the target divided by 13 (its largest
    value) for training; predictions and the MSE are in the original units.
    The starting weights and the order of the samples come from ``seed``: the
    same settings give the same fit in any session.
    """
    import keras

    from explainers.approximation import target_curve
    from models._arguments import check_int, fail
    from models.mlp import build_mlp
    from models.training import train

    hidden = tuple(hidden)
    if not hidden:
        fail("hidden", hidden, "one or more positive layer widths, e.g. (8,)")
    hidden = tuple(check_int("hidden", h, low=1) for h in hidden)
    epochs = check_int("epochs", epochs, low=1, high=20_000)
    n_points = check_int("n_points", n_points, low=2)
    seed = check_int("seed", seed, low=0)
    x = np.linspace(-np.pi, np.pi, n_points)
    y = target_curve(x)
    xs = (x / np.pi).astype(np.float32)[:, None]
    ys = (y / 13.0).astype(np.float32)[:, None]
    model = build_mlp(1, hidden, activation=activation, output_activation=None, name="approx", seed=seed)
    # Keras' per-epoch overhead dwarfs an epoch of 256 points, so each fit() epoch
    # holds `reps` passes over the data, each in its own order drawn from `seed`
    # (not Keras' shuffle, which reads the global generator), run as few compiled calls.
    reps = 10 if epochs >= 10 else 1
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(n_points) for _ in range(reps)])
    hist = train(model, xs[order], ys[order], epochs=max(epochs // reps, 1), batch_size=32,
                 learning_rate=learning_rate, loss="mse", metrics=[], steps_per_execution=16, shuffle=False)
    pred = np.asarray(keras.ops.convert_to_numpy(model(xs, training=False)), dtype=np.float64).ravel() * 13.0
    return CurveFit(hidden, int(model.count_params()), x, y, pred, float(np.mean((pred - y) ** 2)),
                    np.asarray(hist.history.get("loss", []), dtype=np.float64))


@dataclass(frozen=True)
class BatchRun:
    """One batch size: the training-set loss after every update, and timings.

    Attributes:
        label: "full batch", "mini-batch (32)", "SGD (1)".
        batch_size: samples per update.
        epochs_at: ``(k,)`` the epoch (fractional) of each update.
        losses: ``(k,)`` loss on the whole training set after each update.
        epoch_losses: ``(epochs,)`` loss after each epoch.
        seconds: NumPy wall time of the run.
        keras_seconds_per_epoch: wall time of one ``model.fit`` epoch at this batch
            size (NaN when not measured): per-update overhead makes small batches slow.
    """

    label: str
    batch_size: int
    epochs_at: np.ndarray
    losses: np.ndarray
    epoch_losses: np.ndarray
    seconds: float
    keras_seconds_per_epoch: float


@dataclass(frozen=True)
class BatchSizeComparison:
    """The same logistic neuron trained with several batch sizes (``explainers.plot_batch_runs`` draws it).

    Attributes:
        runs: one :class:`BatchRun` per batch size, in the order asked.
        learning_rate, epochs: the settings shared by every run.
        keras_timed: whether ``keras_seconds_per_epoch`` was measured.
    """

    runs: tuple[BatchRun, ...]
    learning_rate: float
    epochs: int
    keras_timed: bool


def _bce(w: np.ndarray, b: float, x: np.ndarray, y: np.ndarray) -> float:
    z = x @ w + b
    return float(np.mean(np.logaddexp(0, z) - y * z))


def compare_batch_sizes(x: Any, y: Any, batch_sizes: tuple[int, ...] = (0, 32, 1), *, epochs: int = 5,
                        learning_rate: float = 0.1, seed: int = 0, keras_timing: bool = False) -> BatchSizeComparison:
    """Full-batch vs mini-batch vs stochastic gradient descent on one logistic neuron.

    What this shows: with the same α and epochs, full batch gives a smooth loss
    but one update per epoch; SGD gives n noisy updates per epoch.

    The updates are plain NumPy (so the loss on the whole set can be recorded
    after every single update); with ``keras_timing`` each batch size is also
    timed for one epoch of a real Keras ``fit``.

    Args:
        x: ``(n, p)`` standardised features; y: ``(n,)`` labels in {0, 1}.
        batch_sizes: samples per update; 0 means the full batch.
        epochs: passes over the data.
        learning_rate: α.
        seed: shuffling seed (the same for every batch size).
        keras_timing: also time one ``model.fit`` epoch per batch size.
    """
    from models._arguments import check_array, check_float, check_int, fail

    x = check_array("x", x, ndim=2, dtype="float64", min_size=2)
    y = check_array("y", y, dtype="float64").ravel()
    if len(x) != len(y) or len(x) < 2:
        fail("y", y, f"one label per row of x ({len(x)}, at least 2)", f"got shape {y.shape}")
    epochs = check_int("epochs", epochs, low=1)
    learning_rate = check_float("learning_rate", learning_rate, low=0.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    sizes = [check_int("batch_sizes", bs, low=0) for bs in batch_sizes]  # 0 = full batch
    n = len(x)
    runs = []
    for bs in sizes:
        size = n if bs == 0 or bs >= n else bs
        label = "full batch" if size == n else ("SGD (1)" if size == 1 else f"mini-batch ({size})")
        rng = np.random.default_rng(seed)
        w, b = np.zeros(x.shape[1]), 0.0
        at, losses, epoch_losses = [], [], []
        t0 = time.perf_counter()
        for epoch in range(epochs):
            order = rng.permutation(n)
            starts = range(0, n, size)
            for k, s0 in enumerate(starts):
                idx = order[s0:s0 + size]
                p = 0.5 * (1 + np.tanh(0.5 * (x[idx] @ w + b)))
                err = p - y[idx]
                w = w - learning_rate * (x[idx].T @ err) / len(idx)
                b = b - learning_rate * float(err.mean())
                at.append(epoch + (k + 1) / len(starts))
                losses.append(_bce(w, b, x, y))
            epoch_losses.append(losses[-1])
        seconds = time.perf_counter() - t0
        keras_s = _keras_epoch_time(x, y, size, learning_rate) if keras_timing else float("nan")
        runs.append(BatchRun(label, size, np.array(at), np.array(losses), np.array(epoch_losses), seconds, keras_s))
    return BatchSizeComparison(tuple(runs), learning_rate, epochs, bool(keras_timing))


def _keras_epoch_time(x: np.ndarray, y: np.ndarray, batch_size: int, learning_rate: float) -> float:
    import keras

    from models.mlp import build_logistic_neuron

    model = build_logistic_neuron(x.shape[1])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="binary_crossentropy")
    xf, yf = x.astype(np.float32), y.astype(np.float32)
    model.fit(xf[:batch_size], yf[:batch_size], batch_size=batch_size, epochs=1, verbose=0)  # compile/trace once
    t0 = time.perf_counter()
    model.fit(xf, yf, batch_size=batch_size, epochs=1, verbose=0, shuffle=True)
    return time.perf_counter() - t0
