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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models._arguments import check_array, check_choice, check_float, check_int, fail

__all__ = ["Surface", "SURFACES", "OPTIMIZERS", "OptimizerPath", "OptimizerPaths", "LineDescent", "LINE_X", "LINE_Y",
           "compute_optimizer_path", "compute_optimizer_paths", "compute_adam_steps", "compute_line_descent",
           "line_cost", "line_slope"]

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


def _surface(surface: str | Surface) -> Surface:
    """A :class:`Surface` by name (see :data:`SURFACES`)."""
    if isinstance(surface, Surface):
        return surface
    return SURFACES[check_choice("surface", surface, tuple(SURFACES))]


def _make_optimizer(optimizer: Any, learning_rate: float) -> Any:
    """A fresh Keras optimizer: "sgd", "momentum" (SGD, 0.9), "rmsprop", "adam", or an instance."""
    import keras

    if isinstance(optimizer, keras.optimizers.Optimizer):
        return optimizer
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        fail("optimizer", optimizer, f"one of {OPTIMIZERS} or a keras optimizer")
    if optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate)
    if optimizer == "momentum":
        return keras.optimizers.SGD(learning_rate, momentum=0.9)
    if optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    return keras.optimizers.Adam(learning_rate)


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
    start = check_array("start", start, ndim=1, dtype="float64")
    if start.shape != (2,):
        fail("start", start.tolist(), "two finite numbers (θ0, θ1)")
    learning_rate = check_float("learning_rate", learning_rate, low=0.0, low_open=True)
    steps = check_int("steps", steps, low=0, high=100_000)
    return start, learning_rate, steps


BLOW_UP = 1e6  # parameters or loss beyond this count as diverged


def compute_optimizer_path(surface: str | Surface, optimizer: Any = "adam", *, start: Any = None,
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

    s = _surface(surface)
    start, lr, steps = _check_run(s.start if start is None else start, learning_rate, steps)
    opt = _make_optimizer(optimizer, lr)
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


def compute_adam_steps(surface: str | Surface, *, start: Any = None, learning_rate: float = 0.1, steps: int = 100,
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
    check_choice("form", form, ("keras", "lecture"))
    s = _surface(surface)
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


@dataclass(frozen=True)
class OptimizerPaths:
    """Several optimizers' paths from one start on one surface, with the surface tabulated to draw it.

    Attributes:
        surface, formula: the surface's name and formula.
        box: ``(θ0 min, θ0 max, θ1 min, θ1 max)`` of the view.
        minima: the surface's minima.
        theta0, theta1: ``(g,)`` grid over the box; loss_grid: ``(g, g)`` f at ``(theta0[j], theta1[i])``.
        paths: one :class:`OptimizerPath` per optimizer, in the order asked.
    """

    surface: str
    formula: str
    box: tuple[float, float, float, float]
    minima: tuple[tuple[float, float], ...]
    theta0: np.ndarray
    theta1: np.ndarray
    loss_grid: np.ndarray
    paths: tuple[OptimizerPath, ...]


def compute_optimizer_paths(surface: str | Surface, optimizers: Sequence[Any] = OPTIMIZERS, *, start: Any = None,
                            learning_rate: float = 0.1, steps: int = 100, grid: int = 200) -> OptimizerPaths:
    """Each optimizer's path (:func:`compute_optimizer_path`) from the same start, and the surface on a grid.

    What this shows: on a ravine plain SGD zig-zags across the steep direction
    while momentum and Adam run along it; on a saddle a start near the ridge
    escapes slowly.

    Args:
        surface: "bowl", "ravine", "saddle", "rosenbrock" or a :class:`Surface`.
        optimizers: names from :data:`OPTIMIZERS` or Keras optimizer instances.
        start, learning_rate, steps: as :func:`compute_optimizer_path`, the same for every optimizer.
        grid: points per axis of the tabulated surface.
    """
    s = _surface(surface)
    grid = check_int("grid", grid, low=2, high=2000)
    paths = tuple(compute_optimizer_path(s, o, start=start, learning_rate=learning_rate, steps=steps)
                  for o in optimizers)
    x0, x1, y0, y1 = s.box
    theta0, theta1 = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
    a, b = np.meshgrid(theta0, theta1)
    return OptimizerPaths(s.name, s.formula, s.box, s.minima, theta0, theta1, np.asarray(s.f(a, b)), paths)


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


def compute_line_descent(*, w0: float = 0.2, learning_rate: float = 0.01, steps: int = 10,
                         x: Any = LINE_X, y: Any = LINE_Y) -> LineDescent:
    """Steps w ← w − α·C'(w) on the lecture's one-weight model y = w·x.

    What this shows: each step moves against the slope; with α too large
    (here α > 1/Σx² ≈ 0.018, with Σx² = 55) the steps overshoot and grow.
    """
    x = check_array("x", x, ndim=1, dtype="float64")
    y = check_array("y", y, ndim=1, dtype="float64")
    if x.shape != y.shape:
        fail("y", y, f"as many values as x ({len(x)})", f"got shape {y.shape}")
    w0 = check_float("w0", w0)
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
