"""Drawing for :mod:`explainers.boundary`: the decision boundary over the plane and every hidden neuron."""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from explainers._figure import axes_or_new, figure_or_new
from explainers.boundary import DecisionBoundary, NeuronMaps

__all__ = ["CLASS_COLOURS", "plot_decision_boundary", "plot_neuron_maps", "neuron_mosaic"]

CLASS_COLOURS = ("#f28e2b", "#4e79a7")  # class 0 orange, class 1 blue (as Playground)
BOUNDARY_CMAP = "RdBu"


def _plot_points(x: np.ndarray, y: Any, ax: Axes, *, edge: str = "white") -> None:
    """Scatter 2-D points coloured by class."""
    y = np.asarray(y).ravel()
    for cls, colour in enumerate(CLASS_COLOURS):
        sel = y == cls
        ax.scatter(x[sel, 0], x[sel, 1], s=22, c=colour, marker="o", edgecolors=edge, linewidths=0.8)


def _blend(t: np.ndarray) -> np.ndarray:
    """Pale orange (p = 0) -> white (0.5) -> pale blue (1), so points stay visible."""
    a = np.array([0.99, 0.80, 0.62])
    w = np.array([1.0, 1.0, 1.0])
    b = np.array([0.66, 0.78, 0.93])
    t = t[:, None]
    return np.where(t < 0.5, a + (w - a) * (t / 0.5), w + (b - w) * ((t - 0.5) / 0.5))


def plot_decision_boundary(result: DecisionBoundary, ax: Axes | None = None, *,
                           title: str = "Decision boundary") -> Axes:
    """Probability of class 1 over the plane, the p = 0.5 contour, and the data.

    Labelled points are drawn with white rims, the test points (``result.x_test``)
    with black ones.
    """
    ax = axes_or_new(ax, (4.5, 4.0))
    extent = (result.xs[0], result.xs[-1], result.ys[0], result.ys[-1])
    ax.imshow(result.probs, origin="lower", extent=extent, cmap=ListedColormap(_blend(np.linspace(0, 1, 256))),
              vmin=0, vmax=1, aspect="auto")
    if result.probs.min() < 0.5 < result.probs.max():
        ax.contour(result.xs, result.ys, result.probs, levels=[0.5], colors="k", linewidths=1.2)
    if result.y is not None:
        _plot_points(result.x, result.y, ax)
    if result.x_test is not None and result.y_test is not None:
        _plot_points(result.x_test, result.y_test, ax, edge="black")
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_title(title)
    return ax


def plot_neuron_maps(result: NeuronMaps, fig: Figure | None = None, *, max_per_row: int = 8) -> Figure:
    """A grid of small heatmaps: every hidden neuron's output over the plane (one row per layer)."""
    ncols = max([min(m.shape[0], max_per_row) for m in result.maps] + [1])
    nrows = sum(int(np.ceil(m.shape[0] / max_per_row)) for m in result.maps) or 1
    fig = figure_or_new(fig, (1.3 * ncols + 0.5, 1.35 * nrows + 0.3))
    axes = np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False))
    for ax in axes.ravel():
        ax.axis("off")
    extent = (result.xs[0], result.xs[-1], result.ys[0], result.ys[-1])
    row = 0
    for name, maps in zip(result.layers, result.maps):
        for k, m in enumerate(maps):
            ax = axes[row + k // max_per_row, k % max_per_row]
            lim = max(float(np.abs(m).max()), 1e-6)
            lo = -lim if m.min() < 0 else 0.0
            ax.imshow(m, origin="lower", extent=extent, cmap=BOUNDARY_CMAP if lo < 0 else "Blues",
                      vmin=lo, vmax=lim, aspect="auto")
            ax.set_title(f"{name.split('_')[-1]} #{k + 1}", fontsize=7)
        row += int(np.ceil(len(maps) / max_per_row))
    if not result.layers:
        axes[0, 0].text(0.5, 0.5, "no hidden layer:\nthe sigmoid model", ha="center", va="center")
    return fig


def neuron_mosaic(result: NeuronMaps, *, scale: int = 3, gap: int = 3) -> np.ndarray:
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
