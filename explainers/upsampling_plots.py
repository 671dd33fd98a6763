"""Drawing for :mod:`explainers.upsampling`: input grid, kernel, output and overlaps, numbers in the cells.

What this shows: how a decoder layer turns a small grid into a bigger (or
wider-seeing) one, cell by cell, and where a transposed convolution's stamps pile up.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explainers._figure import figure_or_new
from explainers.upsampling import Upsampling

__all__ = ["plot_upsampling"]


def _grid_panel(ax: Axes, a: np.ndarray, title: str) -> None:
    flat = float(a.max()) == float(a.min())  # a constant panel (e.g. all-ones kernel): mid colour
    ax.imshow(a, cmap="viridis", interpolation="nearest",
              vmin=float(a.min()) - 1 if flat else None, vmax=float(a.max()) + 1 if flat else None)
    if a.size <= 100:
        lo, hi = float(a.min()), float(a.max())
        for (r, c), v in np.ndenumerate(a):
            ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=7,
                    color="black" if hi > lo and (v - lo) / (hi - lo) > 0.6 else "white")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)


def plot_upsampling(result: Upsampling, fig: Figure | None = None) -> Figure:
    """Input grid, kernel, Keras' output and how many kernel taps reach each output pixel (four panels).

    ``fig`` may also be a ``SubFigure`` (one row of a figure comparing the methods).
    """
    fig = figure_or_new(fig, (10.0, 2.9))
    panels = ((result.grid, f"input {result.grid.shape[0]}×{result.grid.shape[1]}"),
              (result.kernel, f"kernel {result.kernel.shape[0]}×{result.kernel.shape[1]}"),
              (result.output, f"output {result.output.shape[0]}×{result.output.shape[1]}"),
              (result.overlap, "taps per output pixel"))
    for ax, (a, title) in zip(fig.subplots(1, 4), panels):
        _grid_panel(ax, a, title)
    return fig
