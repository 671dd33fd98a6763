"""Drawing for :mod:`explainers.optim` and the batch-size recipe: descent on one weight, paths on surfaces."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from explainers._figure import axes_or_new
from explainers.optim import DescentBasins, LectureLosses, LineDescent, OptimizerPaths, SlopeEstimates, line_cost
from models.recipes import BatchSizeComparison

__all__ = ["PATH_COLOURS", "plot_line_descent", "plot_line_fit", "plot_surface_paths", "plot_path_losses",
           "plot_batch_runs", "plot_lecture_losses", "plot_secants", "plot_slope_estimates", "plot_descent_basins"]

PATH_COLOURS = {"sgd": "tab:red", "momentum": "tab:purple", "rmsprop": "tab:green", "adam": "tab:blue"}


def plot_line_descent(result: LineDescent, ax: Axes | None = None) -> Axes:
    """C(w) with the gradient-descent steps and the tangent (slope) at the last one."""
    ax = axes_or_new(ax, (5.0, 3.6))
    ax.plot(result.w_grid, result.c_grid, color="k", lw=1.5, label="C(w) = Σ(w·xᵢ − yᵢ)²")
    ax.plot(result.ws, result.costs, "o-", color="crimson", ms=5, lw=1, label=f"steps (α = {result.learning_rate:g})")
    for k, (w, c) in enumerate(zip(result.ws[:6], result.costs[:6])):
        ax.annotate(str(k), (w, c), textcoords="offset points", xytext=(4, 4), fontsize=7)
    w, c, s = result.ws[-1], result.costs[-1], result.slopes[-1]
    span = 0.15 * (result.w_grid[-1] - result.w_grid[0])
    ax.plot([w - span, w + span], [c - s * span, c + s * span], color="tab:green", lw=2,
            label=f"slope C'(w) = {s:.2f} at w = {w:.3f}")
    ax.axvline(result.w_best, color="0.6", ls=":", label=f"best w = {result.w_best:.3f}")
    ax.set_ylim(0, float(result.c_grid.max()) * 1.05)
    ax.set_xlim(result.w_grid[0], result.w_grid[-1])
    ax.set_xlabel("w")
    ax.set_ylabel("C(w)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return ax


def plot_line_fit(result: LineDescent, ax: Axes | None = None) -> Axes:
    """The five points and the line y = w·x after the last step."""
    ax = axes_or_new(ax, (4.0, 3.6))
    ax.scatter(result.x, result.y, color="k", zorder=3, label="the five points")
    xx = np.linspace(0, result.x.max() * 1.1, 10)
    ax.plot(xx, result.ws[0] * xx, color="0.6", ls="--", label=f"start w = {result.ws[0]:.2f}")
    ax.plot(xx, result.ws[-1] * xx, color="crimson", label=f"now w = {result.ws[-1]:.3f}")
    for xi, yi in zip(result.x, result.y):
        ax.plot([xi, xi], [yi, result.ws[-1] * xi], color="crimson", lw=0.8, alpha=0.6)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return ax


def plot_surface_paths(result: OptimizerPaths, ax: Axes | None = None) -> Axes:
    """Contours of the surface with each optimizer's path from the common start (black dot)."""
    ax = axes_or_new(ax, (6.0, 4.5))
    x0, x1, y0, y1 = result.box
    levels = np.unique(np.quantile(result.loss_grid, np.linspace(0, 1, 25) ** 2))
    ax.contourf(result.theta0, result.theta1, result.loss_grid, levels=levels, cmap="Greys", alpha=0.5)
    ax.contour(result.theta0, result.theta1, result.loss_grid, levels=levels, colors="0.5", linewidths=0.4)
    for m in result.minima:
        ax.plot(*m, marker="*", ms=14, color="gold", mec="k")
    for p in result.paths:
        label = f"{p.optimizer}: f = {p.losses[-1]:.3g}" + (" (diverged)" if p.diverged else "")
        ax.plot(p.path[:, 0], p.path[:, 1], ".-", ms=3, lw=1.2, color=PATH_COLOURS.get(p.optimizer), label=label)
    if result.paths:
        ax.plot(*result.paths[0].path[0], "ko", ms=6)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("θ₀")
    ax.set_ylabel("θ₁")
    ax.set_title(result.formula)
    if result.paths:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)  # beside, not on, the paths
    return ax


def plot_path_losses(result: OptimizerPaths, ax: Axes | None = None) -> Axes:
    """f(θ) per step for each optimizer (log scale where positive)."""
    ax = axes_or_new(ax, (5.0, 3.0))
    for p in result.paths:
        ax.plot(p.losses, color=PATH_COLOURS.get(p.optimizer), label=p.optimizer)
    if result.paths and all(np.all(p.losses > 0) for p in result.paths):
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("f(θ)")
    if result.paths:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_batch_runs(result: BatchSizeComparison, ax: Axes | None = None) -> Axes:
    """Training-set loss after every update, against epochs, for each batch size."""
    ax = axes_or_new(ax, (6.0, 3.5))
    for r in result.runs:
        ax.plot(r.epochs_at, r.losses, lw=0.8 if r.batch_size == 1 else 1.8,
                marker="o" if len(r.losses) < 30 else None, ms=4,
                label=f"{r.label}: {len(r.losses)} updates, loss {r.losses[-1]:.3f}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss on all training data")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_lecture_losses(result: LectureLosses, ax: Axes | None = None) -> Axes:
    """C(w) for the five points, the slide's three losses on it, and the parabola through them."""
    ax = axes_or_new(ax, (4.5, 3.4))
    w = np.linspace(0.55, 1.3, 200)
    a, b, d = result.parabola
    ax.plot(w, line_cost(w, result.x, result.y), color="k", lw=1.5, label="C(w) for the five points")
    ax.plot(w, a * w**2 - 2 * b * w + d, color="tab:orange", ls="--", lw=1.2,
            label=f"parabola through the slide's values (min at {result.parabola_best_w:.3f})")
    ax.plot(result.ws, result.slide_losses, "x", color="crimson", ms=9, mew=2, label="lecture 003's losses")
    for i, (wi, ci) in enumerate(zip(result.ws, result.slide_losses)):
        offset = ((6, 4), (-40, 14), (8, -14))[i % 3]  # the last two tries are close: one above, one below
        ax.annotate(f"C({wi:g}) = {ci:g}", (wi, ci), textcoords="offset points", xytext=offset, fontsize=8)
    ax.axvline(result.w_best, color="0.6", ls=":", label=f"best w = {result.w_best:.3f}")
    ax.set_ylim(0, max(float(result.slide_losses.max()) * 1.3, 1.0))
    ax.set_xlabel("w")
    ax.set_ylabel("C(w)")
    ax.legend(fontsize=7, loc="lower left")  # below the left branch, clear of the three labels
    ax.grid(alpha=0.3)
    return ax


def plot_secants(result: SlopeEstimates, ax: Axes | None = None) -> Axes:
    """C(w) near w with the secant (rise over run) for the three largest runs h and the tangent C'(w)."""
    ax = axes_or_new(ax, (4.5, 3.4))
    big = result.hs[:3]
    span = float(max(big.max(), 0.2))
    w = np.linspace(result.w - 0.3 * span, result.w + 1.15 * span, 200)
    ax.plot(w, line_cost(w, result.x, result.y), color="k", lw=1.5, label="C(w)")
    colours = ("tab:orange", "tab:purple", "tab:blue")
    for h, est, colour in zip(big, result.estimates[:3], colours):
        ax.plot([result.w, result.w + h], [result.cost, result.cost + est * h], "o-", color=colour, ms=4,
                label=f"h = {h:g}: rise/run = {est:.2f}")
    ax.plot(w, result.cost + result.derivative * (w - result.w), color="tab:green", lw=1, ls="--",
            label=f"tangent: C'({result.w:g}) = {result.derivative:.2f}")
    top = float(line_cost(w, result.x, result.y).max())
    ax.set_ylim(min(0.0, result.cost - 0.1 * top), top * 1.05)
    ax.set_xlabel("w")
    ax.set_ylabel("C(w)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return ax


def plot_slope_estimates(result: SlopeEstimates, ax: Axes | None = None) -> Axes:
    """|rise/run − C'(w)| against h (log-log), with the two causes of error: Σx²·h and float64 rounding."""
    ax = axes_or_new(ax, (4.5, 3.4))
    err = np.abs(result.errors)
    shown = err > 0
    ax.loglog(result.hs[shown], err[shown], "o-", color="crimson", label="|rise/run − C'(w)|")
    ax.loglog(result.hs, result.curvature * result.hs, color="0.4", ls="--", lw=1,
              label=f"Σx²·h = {result.curvature:g}·h (the parabola's bend)")
    ax.loglog(result.hs, np.finfo(np.float64).eps * max(abs(result.cost), 1e-300) / result.hs, color="0.4", ls=":",
              lw=1, label="ε·C(w)/h (float64 rounding)")
    ax.set_ylim(max(float(err[shown].min()) / 10, 1e-12) if shown.any() else 1e-12, float(err.max()) * 10 + 1e-12)
    ax.set_xlabel("run h")
    ax.set_ylabel("error of the estimate")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return ax


BASIN_COLOURS = ("tab:blue", "tab:red", "tab:green", "tab:purple")


def plot_descent_basins(result: DescentBasins, ax: Axes | None = None) -> Axes:
    """Contours of the surface, every run's path coloured by the minimum it ends in, the minima as stars."""
    ax = axes_or_new(ax, (6.0, 4.5))
    x0, x1, y0, y1 = result.box
    levels = np.unique(np.quantile(result.loss_grid, np.linspace(0, 1, 25) ** 1.5))
    ax.contourf(result.theta0, result.theta1, result.loss_grid, levels=levels, cmap="Greys", alpha=0.5)
    ax.contour(result.theta0, result.theta1, result.loss_grid, levels=levels, colors="0.5", linewidths=0.4)
    for path, end in zip(result.paths, result.reached):
        colour = BASIN_COLOURS[end % len(BASIN_COLOURS)] if end >= 0 else "0.3"
        ax.plot(path[:, 0], path[:, 1], "-", color=colour, lw=0.7, alpha=0.6)
        ax.plot(*path[0], "o", color=colour, ms=4)
    for i, (m, loss) in enumerate(zip(result.minima, result.minimum_losses)):
        kind = "global" if i == result.best else "local"
        colour = BASIN_COLOURS[i % len(BASIN_COLOURS)]
        ax.plot(*m, marker="*", ms=16, color=colour, mec="k",
                label=f"{kind} minimum, f = {loss:.2f}: {result.counts[i]} runs")
    if result.unsettled:
        ax.plot([], [], "o", color="0.3", ms=4, label=f"ended in neither: {result.unsettled}")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("θ₀")
    ax.set_ylabel("θ₁")
    ax.set_title(f"{result.formula}, α = {result.learning_rate:g}" +
                 (f", momentum {result.momentum:g}" if result.momentum else ""), fontsize=10)
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    return ax
