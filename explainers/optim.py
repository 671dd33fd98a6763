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


def _two_valley_minima() -> tuple[tuple[float, float], ...]:
    """The two minima of f = (θ₀² − 1)² + 0.3·θ₀ + θ₁²: θ₁ = 0 and 4θ₀³ − 4θ₀ + 0.3 = 0 (outer roots)."""
    roots = np.sort(np.roots([4.0, 0.0, -4.0, 0.3]).real)
    return ((float(roots[0]), 0.0), (float(roots[2]), 0.0))  # the middle root is the hump between them


# Lecture 003's question 5: a tilted double well, a global minimum (left) and a worse local one (right).
SURFACES["two_valleys"] = Surface(
    "two_valleys", "f = (θ₀² − 1)² + 0.3·θ₀ + θ₁²",
    lambda a, b: (a**2 - 1) ** 2 + 0.3 * a + b**2,
    lambda a, b: (4 * a * (a**2 - 1) + 0.3, 2 * b),
    _two_valley_minima(), (-2.0, 2.0, -1.5, 1.5), (1.6, 1.2))

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

# Five points that give the slide's three losses. The slides draw five points but do not list
# them; C(w) = Σx²·w² − 2Σxy·w + Σy² depends on them only through Σx², Σxy and Σy², and the losses
# C(0.65) ≈ 12.3, C(0.85) ≈ 5.4, C(0.95) ≈ 4.9 pin those down (to the slide's rounding, see
# :func:`compute_lecture_losses`). These have Σx² = 100, Σxy = 92.3, Σy² = 90.04: C(0.65) = 12.30,
# C(0.85) = 5.38, C(0.95) = 4.92, best w = 0.923, and the largest stable step α = 1/Σx² = 0.01.
LINE_X = np.array([1.0, 3.0, 4.0, 5.0, 7.0])
LINE_Y = np.array([0.7, 1.5, 2.5, 5.9, 6.8])


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
    (here α > 1/Σx² = 0.01, with Σx² = 100) the steps overshoot and grow.
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


# --------------------------------------------------------------------------- lecture 003: the slide's losses


LECTURE_LOSSES: dict[float, float] = {0.65: 12.3, 0.85: 5.4, 0.95: 4.9}  # lecture 003: C(w) for three tries


@dataclass(frozen=True)
class LectureLosses:
    """The slide's three losses of y = w·x beside C(w) for five points, and what the three losses pin down.

    C(w) = Σ(w·xᵢ − yᵢ)² = A·w² − 2B·w + D with A = Σx², B = Σxy, D = Σy²: a parabola,
    so the slide's three values fix it, and any five points with those sums give them.

    Attributes:
        ws: ``(3,)`` the slide's tries 0.65, 0.85, 0.95; slide_losses: ``(3,)`` 12.3, 5.4, 4.9.
        losses: ``(3,)`` C(w) for the points ``x, y``.
        matches: True when every loss rounds (1 dp) to the slide's value.
        parabola: ``(A, B, D)`` of the one parabola through the slide's three values as printed.
        parabola_best_w: B / A of that parabola (0.925).
        sums: ``(Σx², Σxy, Σy²)`` of the points; w_best: Σxy / Σx², loss_min: C(w_best).
        sum_xx_range, best_w_range: the smallest and largest Σx² and best w of any parabola that
            rounds to the slide's three values (each printed value ± 0.05).
    """

    x: np.ndarray
    y: np.ndarray
    ws: np.ndarray
    slide_losses: np.ndarray
    losses: np.ndarray
    matches: bool
    parabola: tuple[float, float, float]
    parabola_best_w: float
    sums: tuple[float, float, float]
    w_best: float
    loss_min: float
    sum_xx_range: tuple[float, float]
    best_w_range: tuple[float, float]


def compute_lecture_losses(x: Any = LINE_X, y: Any = LINE_Y) -> LectureLosses:
    """Check five points against lecture 003's C(0.65) ≈ 12.3, C(0.85) ≈ 5.4, C(0.95) ≈ 4.9.

    What this shows: the three losses lie on one parabola C(w) = Σx²·w² − 2Σxy·w + Σy²
    (minimum near w ≈ 0.93), so they fix the five points only through three sums; the
    points on the page are one set with those sums. The ranges say how much the slide's
    rounding to one decimal leaves open (the extremes of a ratio B/A over the box of
    rounded values lie at its corners).
    """
    x = check_array("x", x, ndim=1, dtype="float64")
    y = check_array("y", y, ndim=1, dtype="float64")
    if x.shape != y.shape:
        fail("y", y, f"as many values as x ({len(x)})", f"got shape {y.shape}")
    ws = np.array(list(LECTURE_LOSSES))
    slide = np.array(list(LECTURE_LOSSES.values()))
    design = np.stack([ws**2, -2 * ws, np.ones_like(ws)], axis=1)  # C(w) = A w² − 2B w + D
    a, b, d = np.linalg.solve(design, slide)
    # (A, B, D) at the 8 corners of the box of values that round to the slide's (± 0.05)
    corners = np.array([np.linalg.solve(design, slide + 0.05 * (2 * np.array(c) - 1)) for c in np.ndindex(2, 2, 2)])
    losses = line_cost(ws, x, y)
    sums = (float(x @ x), float(x @ y), float(y @ y))
    w_best = sums[1] / sums[0]
    return LectureLosses(
        x, y, ws, slide, losses, bool(np.all(np.abs(losses - slide) < 0.05)), (float(a), float(b), float(d)),
        float(b / a), sums, w_best, float(line_cost(w_best, x, y)),
        (float(corners[:, 0].min()), float(corners[:, 0].max())),
        (float((corners[:, 1] / corners[:, 0]).min()), float((corners[:, 1] / corners[:, 0]).max())))


# --------------------------------------------------------------------------- rise over run


@dataclass(frozen=True)
class SlopeEstimates:
    """Lecture 003's rise over run, (C(w + h) − C(w)) / h, beside the derivative C'(w) as h shrinks.

    Attributes:
        w: where the slope is taken; cost: C(w); derivative: C'(w) = Σ 2xᵢ(w·xᵢ − yᵢ).
        hs: ``(k,)`` the runs h, largest first; rises: ``(k,)`` C(w + h) − C(w);
        estimates: ``(k,)`` rise / run; errors: ``(k,)`` estimate − C'(w).
        curvature: Σx², so that in exact arithmetic the error is exactly Σx²·h (C is a parabola).
        x, y: the points.
    """

    w: float
    cost: float
    derivative: float
    hs: np.ndarray
    rises: np.ndarray
    estimates: np.ndarray
    errors: np.ndarray
    curvature: float
    x: np.ndarray
    y: np.ndarray


SLOPE_RUNS = (1.0, 0.1, 0.01, 1e-3, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12)


def compute_slope_estimates(w: float = 0.65, *, hs: Sequence[float] = SLOPE_RUNS, x: Any = LINE_X,
                            y: Any = LINE_Y) -> SlopeEstimates:
    """Rise over run at w for each run h, beside the exact derivative.

    What this shows: the slope estimate approaches C'(w) as h shrinks (its error is
    Σx²·h, shrinking tenfold with h), until h is so small that float64 rounding in
    C(w + h) − C(w) takes over (about 1e-16·C/h) and the estimate gets worse again.
    """
    w = check_float("w", w)
    hs = check_array("hs", hs, ndim=1, dtype="float64")
    if not np.all(hs > 0):
        fail("hs", hs.tolist(), "positive runs h")
    x = check_array("x", x, ndim=1, dtype="float64")
    y = check_array("y", y, ndim=1, dtype="float64")
    if x.shape != y.shape:
        fail("y", y, f"as many values as x ({len(x)})", f"got shape {y.shape}")
    cost = float(line_cost(w, x, y))
    rises = line_cost(w + hs, x, y) - cost
    estimates = rises / hs
    derivative = float(line_slope(w, x, y))
    return SlopeEstimates(w, cost, derivative, hs, rises, estimates, estimates - derivative, float(x @ x), x, y)


# --------------------------------------------------------------------------- question 5: which minimum?


@dataclass(frozen=True)
class DescentBasins:
    """Gradient descent from a grid of starts on a surface with more than one minimum: where each run ends.

    Attributes:
        surface, formula, box: the surface (see :data:`SURFACES`).
        minima: ``(m, 2)``; minimum_losses: ``(m,)`` f at each; best: index of the global (lowest) one.
        theta0, theta1, loss_grid: the surface tabulated over the box (``loss_grid[i, j]`` at ``theta1[i], theta0[j]``).
        starts: ``(n, 2)``; paths: ``(n, steps + 1, 2)`` (NaN after a run blew up); ends: ``(n, 2)`` last finite point.
        reached: ``(n,)`` index of the minimum each run ends within ``tolerance`` of, −1 if none.
        counts: ``(m,)`` runs that ended in each minimum; unsettled: runs that ended in none;
        diverged: runs that blew up.
        stable_below: ``(m,)`` plain gradient descent can settle in each minimum only for α below this,
            2 / (the largest eigenvalue of the Hessian there): a sharper minimum needs a smaller step.
        learning_rate, momentum, steps, tolerance: the settings.
    """

    surface: str
    formula: str
    box: tuple[float, float, float, float]
    minima: np.ndarray
    minimum_losses: np.ndarray
    best: int
    theta0: np.ndarray
    theta1: np.ndarray
    loss_grid: np.ndarray
    starts: np.ndarray
    paths: np.ndarray
    ends: np.ndarray
    reached: np.ndarray
    counts: np.ndarray
    unsettled: int
    diverged: int
    stable_below: np.ndarray
    learning_rate: float
    momentum: float
    steps: int
    tolerance: float


def compute_descent_basins(surface: str | Surface = "two_valleys", *, starts: Any = 7, learning_rate: float = 0.02,
                           momentum: float = 0.0, steps: int = 200, tolerance: float = 0.05,
                           grid: int = 150) -> DescentBasins:
    """Run gradient descent from many starts at once and count which minimum each run ends in.

    What this shows: gradient descent only walks downhill from where it starts, so it
    ends in the valley it starts in: on a surface with a worse local minimum many
    starts end there (lecture 003, question 5: no, it does not guarantee the global
    minimum). A larger step or momentum can carry a run over the hump, in either direction.

    The update is Keras' ``SGD`` written out in float64 NumPy for all starts together:
    v ← μ·v − α·∇f(θ), θ ← θ + v (μ = 0 is plain gradient descent, θ ← θ − α∇f(θ)).

    Args:
        surface: a name from :data:`SURFACES` or a :class:`Surface`.
        starts: n for an n × n grid of starts inside the box, or an ``(n, 2)`` array of starts.
        learning_rate: α. momentum: μ in [0, 1).
        steps: updates per run. tolerance: how close to a minimum a run must end to count as in it.
        grid: points per axis of the tabulated surface.
    """
    s = _surface(surface)
    lr = check_float("learning_rate", learning_rate, low=0.0, low_open=True)
    mu = check_float("momentum", momentum, low=0.0, high=0.999)  # μ < 1, else nothing damps the runs
    steps = check_int("steps", steps, low=0, high=100_000)
    tolerance = check_float("tolerance", tolerance, low=0.0, low_open=True)
    grid = check_int("grid", grid, low=2, high=2000)
    x0, x1, y0, y1 = s.box
    if isinstance(starts, (int, np.integer)) and not isinstance(starts, bool):
        n = check_int("starts", starts, low=1, high=100)
        inset = 0.9  # keep the starts off the box's edge
        a, b = np.meshgrid(np.linspace(x0 * inset, x1 * inset, n), np.linspace(y0 * inset, y1 * inset, n))
        theta = np.stack([a.ravel(), b.ravel()], axis=1)
    else:
        theta = check_array("starts", starts, ndim=2, dtype="float64")
        if theta.shape[1] != 2 or len(theta) == 0:
            fail("starts", theta.shape, "an int n (an n × n grid) or an (n, 2) array of (θ0, θ1)")
    theta = theta.astype(np.float64).copy()
    velocity = np.zeros_like(theta)
    paths = np.full((len(theta), steps + 1, 2), np.nan)
    paths[:, 0] = theta
    alive = np.ones(len(theta), dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            g = np.stack(s.grad(theta[:, 0], theta[:, 1]), axis=1)
            velocity = mu * velocity - lr * g
            theta = theta + velocity
            alive &= np.all(np.isfinite(theta), axis=1) & (np.abs(theta).max(axis=1) <= BLOW_UP)
            paths[alive, t] = theta[alive]
    last = np.array([p[np.flatnonzero(np.isfinite(p[:, 0]))[-1]] for p in paths])
    minima = np.array(s.minima, dtype=np.float64)
    distance = np.linalg.norm(last[:, None, :] - minima[None], axis=2)
    reached = np.where(alive & (distance.min(axis=1) <= tolerance), distance.argmin(axis=1), -1)
    counts = np.array([(reached == i).sum() for i in range(len(minima))])
    minimum_losses = np.asarray(s.f(minima[:, 0], minima[:, 1]), dtype=np.float64)
    stable_below = np.array([2.0 / np.linalg.eigvalsh(_hessian(s, m)).max() for m in minima])
    t0, t1 = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
    ga, gb = np.meshgrid(t0, t1)
    return DescentBasins(
        s.name, s.formula, s.box, minima, minimum_losses, int(minimum_losses.argmin()), t0, t1,
        np.asarray(s.f(ga, gb)), paths[:, 0].copy(), paths, last, reached, counts, int((reached < 0).sum()),
        int((~alive).sum()), stable_below, lr, mu, steps, tolerance)


def _hessian(s: Surface, point: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """The symmetric 2 × 2 Hessian of a surface at a point, by central differences of its gradient."""
    columns = []
    for e in np.eye(2):
        up = np.array(s.grad(*(point + h * e)), dtype=np.float64)
        down = np.array(s.grad(*(point - h * e)), dtype=np.float64)
        columns.append((up - down) / (2 * h))
    hessian = np.stack(columns, axis=1)
    return 0.5 * (hessian + hessian.T)


__all__ += ["LECTURE_LOSSES", "LectureLosses", "compute_lecture_losses", "SLOPE_RUNS", "SlopeEstimates",
            "compute_slope_estimates", "DescentBasins", "compute_descent_basins"]
