"""Drawing for the Basics explainers (metrics, boundary, backprop, optim, activations, approximation).

Every ``plot_*(result, ax=None)`` draws on the given matplotlib Axes (a new
Figure, never pyplot, when None) and returns the Axes.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

CLASS_COLOURS = ("#f28e2b", "#4e79a7")  # class 0 orange, class 1 blue (as Playground)
BOUNDARY_CMAP = "RdBu"


def _ax(ax: Axes | None, w: float = 5.0, h: float = 4.0) -> Axes:
    if ax is not None:
        return ax
    return Figure(figsize=(w, h), layout="constrained").subplots()


# ---------------------------------------------------------------- activations
def plot_activations(result, ax: Axes | None = None, *, derivative: bool = False) -> Axes:
    """Activation curves (or their derivatives), saturated regions shaded."""
    ax = _ax(ax)
    data = result.derivatives if derivative else result.values
    for i, name in enumerate(result.names):
        line, = ax.plot(result.z, data[i], label=name, lw=2)
        if derivative:
            sat = result.saturated[i]
            ax.fill_between(result.z, 0, data[i], where=sat, color=line.get_color(), alpha=0.15)
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel("z")
    ax.set_ylabel("g'(z)" if derivative else "g(z)")
    ax.set_title("Derivatives (shaded: g' < %.2f, gradients die)" % result.saturation if derivative
                 else "Activation functions")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


# ---------------------------------------------------------------- metrics
def plot_confusion(result, ax: Axes | None = None) -> Axes:
    """The 2×2 confusion matrix of a :class:`~explainers.metrics.ThresholdMetrics`."""
    ax = _ax(ax, 3.5, 3.2)
    c = result.confusion
    ax.imshow(c, cmap="Blues", vmin=0, vmax=max(int(c.max()), 1))
    names = [["TN", "FP"], ["FN", "TP"]]
    for i in range(2):
        for j in range(2):
            dark = c[i, j] > 0.6 * c.max()
            ax.text(j, i, f"{names[i][j]}\n{c[i, j]}", ha="center", va="center", fontsize=12,
                    color="white" if dark else "black")
    ax.set_xticks([0, 1], ["pred 0", "pred 1"])
    ax.set_yticks([0, 1], ["true 0", "true 1"])
    ax.set_title(f"τ = {result.threshold:.2f}")
    return ax


def plot_roc(result, ax: Axes | None = None, *, point=None) -> Axes:
    """ROC curve with its AUC; ``point`` (a ThresholdMetrics) marks the current operating point."""
    ax = _ax(ax, 4.0, 4.0)
    ax.plot(result.fpr, result.tpr, lw=2, label=f"ROC (AUC = {result.auc:.3f})")
    ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="guessing")
    if point is not None:
        ax.plot([point.fpr], [point.tpr], "o", ms=10, color="crimson",
                label=f"τ = {point.threshold:.2f}: TPR {point.tpr:.2f}, FPR {point.fpr:.2f}")
    ax.set_xlabel("false positive rate (1 − specificity)")
    ax.set_ylabel("true positive rate (sensitivity)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_score_histogram(y_true, scores, threshold: float, ax: Axes | None = None) -> Axes:
    """Scores of each class with the threshold τ as a vertical line."""
    ax = _ax(ax, 4.5, 3.0)
    y = np.asarray(y_true).ravel()
    s = np.asarray(scores, dtype=float).ravel()
    bins = np.linspace(0, 1, 26) if s.min() >= 0 and s.max() <= 1 else 25
    for cls, colour in enumerate(CLASS_COLOURS):
        ax.hist(s[y == cls], bins=bins, alpha=0.6, color=colour, label=f"class {cls}")
    ax.axvline(threshold, color="crimson", lw=2, label=f"τ = {threshold:.2f}")
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("patients")
    ax.legend(fontsize=8)
    return ax


# ---------------------------------------------------------------- boundary
def plot_points(x, y, ax: Axes, *, marker: str = "o", edge: str = "white", label: str | None = None) -> Axes:
    """Scatter 2-D points coloured by class."""
    y = np.asarray(y).ravel()
    for cls, colour in enumerate(CLASS_COLOURS):
        sel = y == cls
        ax.scatter(x[sel, 0], x[sel, 1], s=22, c=colour, marker=marker, edgecolors=edge, linewidths=0.8,
                   label=None if label is None else f"{label} {cls}")
    return ax


def plot_decision_boundary(result, ax: Axes | None = None, *, x_test=None, y_test=None,
                           title: str = "Decision boundary") -> Axes:
    """Probability of class 1 over the plane, the p = 0.5 contour, and the data."""
    ax = _ax(ax, 4.5, 4.0)
    extent = (result.xs[0], result.xs[-1], result.ys[0], result.ys[-1])
    ax.imshow(result.probs, origin="lower", extent=extent, cmap=ListedColormap(
        _blend(np.linspace(0, 1, 256))), vmin=0, vmax=1, aspect="auto")
    if result.probs.min() < 0.5 < result.probs.max():
        ax.contour(result.xs, result.ys, result.probs, levels=[0.5], colors="k", linewidths=1.2)
    if result.y is not None:
        plot_points(result.x, result.y, ax)
    if x_test is not None and y_test is not None:
        plot_points(np.asarray(x_test), y_test, ax, edge="black")
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_title(title)
    return ax


def _blend(t: np.ndarray) -> np.ndarray:
    """Pale orange (p = 0) -> white (0.5) -> pale blue (1), so points stay visible."""
    a = np.array([0.99, 0.80, 0.62])
    w = np.array([1.0, 1.0, 1.0])
    b = np.array([0.66, 0.78, 0.93])
    t = t[:, None]
    return np.where(t < 0.5, a + (w - a) * (t / 0.5), w + (b - w) * ((t - 0.5) / 0.5))


def plot_neuron_maps(result, fig: Figure | None = None, *, max_per_row: int = 8) -> Figure:
    """A grid of small heatmaps: every hidden neuron's output over the plane (one row per layer)."""
    layers = result.layers
    ncols = max([min(m.shape[0], max_per_row) for m in result.maps] + [1])
    nrows = sum(int(np.ceil(m.shape[0] / max_per_row)) for m in result.maps) or 1
    if fig is None:
        fig = Figure(figsize=(1.3 * ncols + 0.5, 1.35 * nrows + 0.3), layout="constrained")
    axes = np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False))
    for ax in axes.ravel():
        ax.axis("off")
    extent = (result.xs[0], result.xs[-1], result.ys[0], result.ys[-1])
    row = 0
    for name, maps in zip(layers, result.maps):
        for k, m in enumerate(maps):
            ax = axes[row + k // max_per_row, k % max_per_row]
            lim = max(float(np.abs(m).max()), 1e-6)
            lo = -lim if m.min() < 0 else 0.0
            ax.imshow(m, origin="lower", extent=extent, cmap=BOUNDARY_CMAP if lo < 0 else "Blues",
                      vmin=lo, vmax=lim, aspect="auto")
            ax.set_title(f"{name.split('_')[-1]} #{k + 1}", fontsize=7)
        row += int(np.ceil(len(maps) / max_per_row))
    if not layers:
        axes[0, 0].text(0.5, 0.5, "no hidden layer:\nthe sigmoid model", ha="center", va="center")
    return fig


# ---------------------------------------------------------------- backprop
def plot_backprop(result, ax: Axes | None = None) -> Axes:
    """The 2-2-1 net as a diagram: forward values above each node, ∂E/∂z below."""
    ax = _ax(ax, 7.0, 6.2)
    pos = {"x0": (0, 1.5), "x1": (0, 0), "h0": (1, 1.5), "h1": (1, 0), "o": (2, 0.75)}
    for i in range(2):
        for j in range(2):
            # straight edges labelled mid-way, crossing ones near their start so labels never overlap
            _edge(ax, pos[f"x{i}"], pos[f"h{j}"], f"w={result.w_hidden[i, j]:.2f}\n∂E/∂w={result.grad_w_hidden[i, j]:+.4f}",
                  0.5 if i == j else 0.32)
        _edge(ax, pos[f"h{i}"], pos["o"], f"w={result.w_out[i]:.2f}\n∂E/∂w={result.grad_w_out[i]:+.4f}", 0.5)
    for i in range(2):
        _node(ax, pos[f"x{i}"], f"x{i}\n{result.x[i]:.2f}", "#dddddd")
        _node(ax, pos[f"h{i}"], f"z={result.z_hidden[i]:.3f}\ny={result.y_hidden[i]:.3f}", "#cfe2f3",
              below=f"∂E/∂y={result.dE_dy_hidden[i]:+.4f}\n∂E/∂z={result.dE_dz_hidden[i]:+.4f}")
    _node(ax, pos["o"], f"z={result.z_out:.3f}\ny={result.y_out:.3f}", "#fce5cd",
          below=f"t={result.t:.2f}, E={result.error:.4f}\n∂E/∂y={result.dE_dy_out:+.4f}\n∂E/∂z={result.dE_dz_out:+.4f}")
    ax.set_xlim(-0.3, 2.4)
    ax.set_ylim(-0.8, 1.85)
    ax.set_aspect("equal")  # round nodes
    ax.axis("off")
    ax.set_title(f"2-2-1 net, f = {result.activation}, E = ½(y − t)²")
    return ax


def _node(ax, xy, text, colour, below=None):
    ax.add_patch(__import__("matplotlib.patches", fromlist=["Circle"]).Circle(xy, 0.2, color=colour, ec="k", zorder=3))
    ax.text(*xy, text, ha="center", va="center", fontsize=8, zorder=4)
    if below:
        ax.text(xy[0], xy[1] - 0.25, below, ha="center", va="top", fontsize=8, color="crimson", zorder=4)


def _edge(ax, a, b, text, t):
    ax.plot([a[0], b[0]], [a[1], b[1]], color="0.5", lw=1, zorder=1)
    mx, my = a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])
    ax.text(mx, my, text, fontsize=7, ha="center", va="center", zorder=2,
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))


# ---------------------------------------------------------------- optimisation
def plot_line_descent(result, ax: Axes | None = None) -> Axes:
    """C(w) with the gradient-descent steps and the tangent (slope) at the last one."""
    ax = _ax(ax, 5.0, 3.6)
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


def plot_line_fit(result, ax: Axes | None = None) -> Axes:
    """The five points and the line y = w·x after the last step."""
    ax = _ax(ax, 4.0, 3.6)
    ax.scatter(result.x, result.y, color="k", zorder=3, label="points (illustrative)")
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


PATH_COLOURS = {"sgd": "tab:red", "momentum": "tab:purple", "rmsprop": "tab:green", "adam": "tab:blue"}


def plot_surface_paths(surface, paths, ax: Axes | None = None) -> Axes:
    """Contours of a :class:`~explainers.optim.Surface` with each optimizer's path."""
    ax = _ax(ax, 6.0, 4.5)
    x0, x1, y0, y1 = surface.box
    a, b = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    f = surface.f(a, b)
    levels = np.quantile(f, np.linspace(0, 1, 25) ** 2)
    ax.contourf(a, b, f, levels=np.unique(levels), cmap="Greys", alpha=0.5)
    ax.contour(a, b, f, levels=np.unique(levels), colors="0.5", linewidths=0.4)
    for m in surface.minima:
        ax.plot(*m, marker="*", ms=14, color="gold", mec="k")
    for p in paths:
        colour = PATH_COLOURS.get(p.optimizer, None)
        label = f"{p.optimizer}: f = {p.losses[-1]:.3g}" + (" (diverged)" if p.diverged else "")
        ax.plot(p.path[:, 0], p.path[:, 1], ".-", ms=3, lw=1.2, color=colour, label=label)
    if paths:
        ax.plot(*paths[0].path[0], "ko", ms=6)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("θ₀")
    ax.set_ylabel("θ₁")
    ax.set_title(surface.formula)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)  # beside, not on, the paths
    return ax


def plot_path_losses(paths, ax: Axes | None = None) -> Axes:
    """f(θ) per step for each optimizer (log scale where positive)."""
    ax = _ax(ax, 5.0, 3.0)
    for p in paths:
        ax.plot(p.losses, color=PATH_COLOURS.get(p.optimizer), label=p.optimizer)
    if all(np.all(p.losses > 0) for p in paths):
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("f(θ)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_batch_runs(runs, ax: Axes | None = None) -> Axes:
    """Training-set loss after every update, against epochs, for each batch size."""
    ax = _ax(ax, 6.0, 3.5)
    for r in runs:
        ax.plot(r.epochs_at, r.losses, lw=0.8 if r.batch_size == 1 else 1.8,
                marker="o" if len(r.losses) < 30 else None, ms=4,
                label=f"{r.label}: {len(r.losses)} updates, loss {r.losses[-1]:.3f}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss on all training data")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


# ---------------------------------------------------------------- approximation
def plot_fits(fits, ax: Axes | None = None) -> Axes:
    """The target curve and each network's fit."""
    ax = _ax(ax, 6.0, 3.6)
    if fits:
        ax.plot(fits[0].x, fits[0].y_true, color="k", lw=2.5, label="5 cos x + 7 cos 2x + cos 4x")
    for f in fits:
        ax.plot(f.x, f.y_pred, lw=1.5, label=f"{'-'.join(map(str, f.hidden))} hidden, "
                                             f"{f.params} params: MSE {f.mse:.3g}")
    ax.set_xlabel("x")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return ax


def neuron_mosaic(result, *, scale: int = 3, gap: int = 3) -> np.ndarray:
    """Every hidden neuron's map tiled into one RGB image (row = layer), for fast live redraws.

    Drawing dozens of matplotlib subplots every epoch is slow; this colours
    the maps with the same colormaps in NumPy. Values in [-1, 1]-like ranges
    use red-blue, non-negative ones (ReLU, sigmoid) white-blue.
    """
    from matplotlib import colormaps

    if not result.maps:
        return np.full((8, 8, 3), 255, np.uint8)
    r = len(result.xs)
    tile = r * scale
    ncols = max(m.shape[0] for m in result.maps)
    out = np.full((len(result.maps) * (tile + gap) - gap, ncols * (tile + gap) - gap, 3), 255, np.uint8)
    for row, maps in enumerate(result.maps):
        for k, m in enumerate(maps):
            lim = max(float(np.abs(m).max()), 1e-6)
            if m.min() < 0:
                rgb = colormaps[BOUNDARY_CMAP]((m / lim + 1) / 2)[..., :3]
            else:
                rgb = colormaps["Blues"](m / lim)[..., :3]
            rgb = np.repeat(np.repeat(rgb[::-1], scale, 0), scale, 1)  # row 0 = top = largest y
            y0, x0 = row * (tile + gap), k * (tile + gap)
            out[y0:y0 + tile, x0:x0 + tile] = (rgb * 255).astype(np.uint8)
    return out
