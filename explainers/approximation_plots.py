"""Drawing for :mod:`explainers.approximation`: the target curve and each network's fit."""
from __future__ import annotations

from matplotlib.axes import Axes

from explainers._figure import axes_or_new
from models.recipes import CurveFits

__all__ = ["plot_fits"]


def plot_fits(result: CurveFits, ax: Axes | None = None) -> Axes:
    """The target curve and each network's fit, with its parameter count and MSE."""
    ax = axes_or_new(ax, (6.0, 3.6))
    if result.fits:
        ax.plot(result.fits[0].x, result.fits[0].y_true, color="k", lw=2.5, label="5 cos x + 7 cos 2x + cos 4x")
    for f in result.fits:
        ax.plot(f.x, f.y_pred, lw=1.5, label=f"{'-'.join(map(str, f.hidden))} hidden, "
                                             f"{f.params} params: MSE {f.mse:.3g}")
    ax.set_xlabel("x")
    if result.title:
        ax.set_title(result.title)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return ax
