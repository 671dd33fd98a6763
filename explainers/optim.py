"""Gradient descent, from one weight to Adam (lectures 002 and 003).

What this shows: the slope of the loss says which way to move a weight;
the learning rate says how far. Too small crawls, too large overshoots and
diverges. Momentum and Adam follow ravines that plain SGD zig-zags across;
mini-batches trade a noisy loss curve for many more updates per epoch.

Paths on the 2-D surfaces use real Keras optimizers (``keras.optimizers.SGD``,
``Adam``, ...) updating two ``keras.Variable`` s; gradients are analytic (so
this runs on any Keras backend) and checked against finite differences in tests.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# --------------------------------------------------------------------------- surfaces


@dataclass(frozen=True)
class Surface:
    """A two-parameter loss f(θ0, θ1), its gradient, minima and a good view box."""

    name: str
    formula: str
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[float, float], tuple[float, float]]
    minima: tuple[tuple[float, float], ...]
    box: tuple[float, float, float, float]  # x0, x1, y0, y1
    start: tuple[float, float]


SURFACES: dict[str, Surface] = {
    "bowl": Surface("bowl", "f = ½(θ₀² + θ₁²)", lambda a, b: 0.5 * (a**2 + b**2),
                    lambda a, b: (a, b), ((0.0, 0.0),), (-2.5, 2.5, -2.5, 2.5), (-2.0, 1.5)),
    "ravine": Surface("ravine", "f = ½(0.1·θ₀² + 10·θ₁²)", lambda a, b: 0.5 * (0.1 * a**2 + 10 * b**2),
                      lambda a, b: (0.1 * a, 10 * b), ((0.0, 0.0),), (-5.5, 5.5, -2.0, 2.0), (-5.0, 1.0)),
    "saddle": Surface("saddle", "f = ½θ₀² − ½θ₁² + 0.1·θ₁⁴",
                      lambda a, b: 0.5 * a**2 - 0.5 * b**2 + 0.1 * b**4,
                      lambda a, b: (a, -b + 0.4 * b**3), ((0.0, -math.sqrt(2.5)), (0.0, math.sqrt(2.5))),
                      (-2.5, 2.5, -2.5, 2.5), (-2.0, 0.01)),
    "rosenbrock": Surface("rosenbrock", "f = (1 − θ₀)² + 100(θ₁ − θ₀²)²",
                          lambda a, b: (1 - a) ** 2 + 100 * (b - a**2) ** 2,
                          lambda a, b: (-2 * (1 - a) - 400 * a * (b - a**2), 200 * (b - a**2)),
                          ((1.0, 1.0),), (-2.0, 2.0, -1.0, 3.0), (-1.5, 2.0)),
}

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")


def get_surface(surface: str | Surface) -> Surface:
    """A :class:`Surface` by name (see :data:`SURFACES`)."""
    if isinstance(surface, Surface):
        return surface
    if surface not in SURFACES:
        raise ValueError(f"surface must be one of {tuple(SURFACES)}, got {surface!r}")
    return SURFACES[surface]


def make_optimizer(optimizer: Any, learning_rate: float):
    """A fresh Keras optimizer: "sgd", "momentum" (SGD, 0.9), "rmsprop", "adam", or an instance."""
    import keras

    if isinstance(optimizer, keras.optimizers.Optimizer):
        return optimizer
    if optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate)
    if optimizer == "momentum":
        return keras.optimizers.SGD(learning_rate, momentum=0.9)
    if optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    if optimizer == "adam":
        return keras.optimizers.Adam(learning_rate)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS} or a keras optimizer, got {optimizer!r}")


@dataclass(frozen=True)
class OptimizerPath:
    """Where an optimizer went on a surface.

    Attributes:
        surface, optimizer: names.
        learning_rate: step size.
        path: ``(k + 1, 2)`` parameters after each step (row 0 = start).
        losses: ``(k + 1,)`` f along the path.
        diverged: True if the parameters or loss blew up (then the path stops there).
    """

    surface: str
    optimizer: str
    learning_rate: float
    path: np.ndarray
    losses: np.ndarray
    diverged: bool


def _check_run(start: Any, learning_rate: Any, steps: Any) -> tuple[np.ndarray, float, int]:
    start = np.asarray(start, dtype=np.float64)
    if start.shape != (2,) or not np.all(np.isfinite(start)):
        raise ValueError(f"start must be two finite numbers (θ0, θ1), got {start.tolist()}")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) \
            or not math.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 0 <= steps <= 100_000:
        raise ValueError(f"steps must be an integer in [0, 100000], got {steps!r}")
    return start, float(learning_rate), int(steps)


BLOW_UP = 1e6  # parameters or loss beyond this count as diverged


def optimizer_path(surface: str | Surface, optimizer: Any = "adam", start: Any = None,
                   learning_rate: float = 0.1, steps: int = 100) -> OptimizerPath:
    """Run a Keras optimizer on two ``keras.Variable`` s over a surface.

    What this shows: the route each optimizer takes from the same start.

    Args:
        surface: "bowl", "ravine", "saddle", "rosenbrock" or a :class:`Surface`.
        optimizer: "sgd", "momentum", "rmsprop", "adam" or a Keras optimizer instance.
        start: (θ0, θ1); default the surface's own.
        learning_rate: α.
        steps: number of updates.

    Returns:
        An :class:`OptimizerPath`.
    """
    import keras

    s = get_surface(surface)
    start, lr, steps = _check_run(s.start if start is None else start, learning_rate, steps)
    opt = make_optimizer(optimizer, lr)
    theta = [keras.Variable(np.float32(start[0]), name="theta0"), keras.Variable(np.float32(start[1]), name="theta1")]
    opt.build(theta)
    path, diverged = [start.copy()], False
    for _ in range(steps):
        a, b = (float(keras.ops.convert_to_numpy(v)) for v in theta)
        ga, gb = s.grad(a, b)
        opt.apply_gradients([(np.float32(ga), theta[0]), (np.float32(gb), theta[1])])
        point = np.array([float(keras.ops.convert_to_numpy(v)) for v in theta])
        if not np.all(np.isfinite(point)) or np.abs(point).max() > BLOW_UP:
            diverged = True
            break
        path.append(point)
    path = np.array(path)
    losses = s.f(path[:, 0], path[:, 1])
    name = optimizer if isinstance(optimizer, str) else type(optimizer).__name__.lower()
    return OptimizerPath(s.name, name, lr, path, losses, diverged)


def adam_written_out(surface: str | Surface, start: Any = None, learning_rate: float = 0.1, steps: int = 100, *,
                     beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                     form: str = "keras") -> OptimizerPath:
    """Adam as the lecture writes it, in float64 NumPy.

    m_t = β1 m_{t-1} + (1 − β1) g_t,   v_t = β2 v_{t-1} + (1 − β2) g_t²,
    m̂_t = m_t / (1 − β1^t),          v̂_t = v_t / (1 − β2^t),
    θ_{t+1} = θ_t − η m̂_t / (√v̂_t + ε̂).

    ``form="lecture"`` puts ε inside the root as on the slide, √(v̂_t + ε);
    ``form="keras"`` uses Keras' ε̂ = ε·√(1 − β2^t) outside the root, which is
    what ``keras.optimizers.Adam`` computes (ε only matters when g ≈ 0).

    What this shows: Adam is momentum (m) divided by a running RMS of the
    gradient (√v): every parameter gets its own step size.
    """
    if form not in ("keras", "lecture"):
        raise ValueError(f"form must be 'keras' or 'lecture', got {form!r}")
    s = get_surface(surface)
    theta, lr, steps = _check_run(s.start if start is None else start, learning_rate, steps)
    theta = theta.copy()
    m = np.zeros(2)
    v = np.zeros(2)
    path, diverged = [theta.copy()], False
    for t in range(1, steps + 1):
        g = np.array(s.grad(*theta), dtype=np.float64)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat = m / (1 - beta_1**t)
        v_hat = v / (1 - beta_2**t)
        if form == "lecture":
            theta = theta - lr * m_hat / np.sqrt(v_hat + epsilon)
        else:
            theta = theta - lr * m_hat / (np.sqrt(v_hat) + epsilon * math.sqrt(1 - beta_2**t))
        if not np.all(np.isfinite(theta)) or np.abs(theta).max() > BLOW_UP:
            diverged = True
            break
        path.append(theta.copy())
    path = np.array(path)
    return OptimizerPath(s.name, f"adam (written out, {form})", lr, path, s.f(path[:, 0], path[:, 1]), diverged)


# --------------------------------------------------------------------------- the lecture's 1-D example

# Five illustrative points (the slides draw them but do not list their values).
LINE_X = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
LINE_Y = np.array([1.5, 1.4, 3.6, 3.5, 5.3])


@dataclass(frozen=True)
class LineDescent:
    """Gradient descent on C(w) = Σ (w·xᵢ − yᵢ)² for y = w·x.

    Attributes:
        x, y: the five points.
        w_grid, c_grid: the loss curve C(w).
        ws, costs, slopes: ``(k + 1,)`` w, C(w) and C'(w) at each step (row 0 = start).
        learning_rate: α.
        w_best: the minimiser Σxy / Σx².
        diverged: True if |w| blew up.
    """

    x: np.ndarray
    y: np.ndarray
    w_grid: np.ndarray
    c_grid: np.ndarray
    ws: np.ndarray
    costs: np.ndarray
    slopes: np.ndarray
    learning_rate: float
    w_best: float
    diverged: bool


def line_cost(w: Any, x: np.ndarray = LINE_X, y: np.ndarray = LINE_Y) -> np.ndarray:
    """C(w) = Σᵢ (w·xᵢ − yᵢ)² for each w (vectorised)."""
    w = np.asarray(w, dtype=np.float64)
    return ((w[..., None] * x - y) ** 2).sum(-1)


def line_slope(w: Any, x: np.ndarray = LINE_X, y: np.ndarray = LINE_Y) -> np.ndarray:
    """C'(w) = Σᵢ 2 xᵢ (w·xᵢ − yᵢ)."""
    w = np.asarray(w, dtype=np.float64)
    return (2 * x * (w[..., None] * x - y)).sum(-1)


def line_descent(w0: float = 0.2, learning_rate: float = 0.01, steps: int = 10, *,
                 x: Any = LINE_X, y: Any = LINE_Y) -> LineDescent:
    """Steps w ← w − α·C'(w) on the lecture's one-weight model y = w·x.

    What this shows: each step moves against the slope; with α too large
    (here α > 1/Σx² ≈ 0.018, with Σx² = 55) the steps overshoot and grow.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 1:
        raise ValueError(f"x and y must be 1-D of equal length, got shapes {x.shape} and {y.shape}")
    _, lr, steps = _check_run((w0, 0.0), learning_rate, steps)
    ws, diverged = [float(w0)], False
    for _ in range(steps):
        w = ws[-1] - lr * float(line_slope(ws[-1], x, y))
        if not math.isfinite(w) or abs(w) > BLOW_UP:
            diverged = True
            break
        ws.append(w)
    ws = np.array(ws)
    w_best = float((x * y).sum() / (x * x).sum())
    span = max(1.0, 1.2 * float(np.abs(ws - w_best).max()))
    grid = np.linspace(w_best - span, w_best + span, 301)
    return LineDescent(x, y, grid, line_cost(grid, x, y), ws, line_cost(ws, x, y), line_slope(ws, x, y),
                       lr, w_best, diverged)


# --------------------------------------------------------------------------- batch sizes


@dataclass(frozen=True)
class BatchRun:
    """One batch size: the training-set loss after every update, and timings.

    Attributes:
        label: "full batch", "mini-batch (32)", "SGD (1)".
        batch_size: samples per update.
        updates: ``(k,)`` update index; epochs_at: the epoch (fractional) of each update.
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


def _bce(w, b, x, y):
    z = x @ w + b
    return float(np.mean(np.logaddexp(0, z) - y * z))


def compare_batch_sizes(x: Any, y: Any, batch_sizes: tuple[int, ...] = (0, 32, 1), *, epochs: int = 5,
                        learning_rate: float = 0.1, seed: int = 0, keras_timing: bool = False) -> list[BatchRun]:
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
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.ndim != 2 or len(x) != len(y) or len(x) < 2:
        raise ValueError(f"x must be (n, p) and y (n,), got shapes {x.shape} and {y.shape}")
    n = len(x)
    runs = []
    for bs in batch_sizes:
        if isinstance(bs, bool) or not isinstance(bs, (int, np.integer)) or bs < 0:
            raise ValueError(f"batch_sizes must be integers >= 0 (0 = full batch), got {bs!r}")
        size = n if bs == 0 or bs >= n else int(bs)
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
    return runs


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
