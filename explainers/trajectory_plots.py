"""Drawing for :mod:`explainers.trajectory`: the optimiser's path, on the loss contours if given."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from explainers._figure import axes_or_new
from explainers.landscape import Landscape
from explainers.landscape_plots import plot_contour
from explainers.trajectory import Trajectory

__all__ = ["plot_trajectory"]


def plot_trajectory(result: Trajectory, ax: Axes | None = None, *, landscape: Landscape | None = None,
                    title: str | None = None) -> Axes:
    """The optimiser's path projected on the PCA plane.

    With ``landscape`` (a :func:`~explainers.landscape.compute_landscape` on
    ``result.directions``) the path is drawn on its contours.
    """
    if landscape is not None:
        ax = plot_contour(landscape, ax=ax, title=title)
    else:
        ax = axes_or_new(ax)
        ax.set_title(title or "Optimiser trajectory")
    c = np.asarray(result.coords)
    ax.plot(c[:, 0], c[:, 1], "-", color="white", lw=2.5, alpha=0.8)
    ax.plot(c[:, 0], c[:, 1], "-o", color="tab:red", lw=1.2, ms=3)
    ax.plot(c[0, 0], c[0, 1], "s", color="tab:orange", ms=8, mec="k", label="start")
    ev = result.explained_variance
    ax.set_xlabel(f"1st PCA direction ({ev[0]:.0%} of the variance)")
    if len(ev) > 1:
        ax.set_ylabel(f"2nd PCA direction ({ev[1]:.0%})")
    ax.legend(loc="upper right", fontsize=8)
    return ax
