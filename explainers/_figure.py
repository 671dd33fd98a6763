"""The one figure-or-axes helper every ``*_plots`` module draws through.

Plots draw on a ``matplotlib.figure.Figure`` made here (never pyplot: pyplot keeps
global figure state, which a server with many users must not share), with
constrained layout so labels never overlap when the app shows them small.
"""
from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["axes_or_new", "figure_or_new"]


def axes_or_new(ax: Axes | None, size: tuple[float, float] = (5.0, 4.0), *,
                projection: str | None = None) -> Axes:
    """``ax`` itself, or one new Axes on a new Figure of ``size`` inches."""
    if ax is not None:
        return ax
    return Figure(figsize=size, layout="constrained").add_subplot(projection=projection)


def figure_or_new(fig: Figure | None, size: tuple[float, float] = (8.0, 4.0)) -> Figure:
    """``fig`` itself (cleared of nothing: the caller adds its panels), or a new Figure."""
    return fig if fig is not None else Figure(figsize=size, layout="constrained")
