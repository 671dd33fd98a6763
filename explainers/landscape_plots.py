"""Drawing for :mod:`explainers.landscape`: contours, a 3-D surface, a 1-D slice (matplotlib, no pyplot)."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from explainers._figure import axes_or_new
from explainers.landscape import Landscape
from models._arguments import ArgumentError

__all__ = ["plot_contour", "plot_surface", "plot_landscape_1d"]


def _check_2d(result: Landscape) -> None:
    if np.ndim(result.losses) != 2:
        raise ArgumentError("result must be a 2-D landscape (two directions), got one of shape "
                            f"{np.shape(result.losses)}; use plot_landscape_1d for a landscape with one direction")


def plot_contour(result: Landscape, ax: Axes | None = None, *, levels: int = 30, log: bool = True,
                 title: str | None = None, vmin: float | None = None, vmax: float | None = None) -> Axes:
    """Contour lines of a 2-D landscape, the trained weights (α = β = 0) as a star.

    What this shows: round, widely spaced contours mean a wide, flat minimum.
    ``vmin``/``vmax`` (losses) fix the colour scale, so two landscapes drawn
    side by side share one (the same colour is the same loss in both).
    """
    _check_2d(result)
    ax = axes_or_new(ax)
    z = np.log10(np.maximum(result.losses, 1e-12)) if log else result.losses
    if vmin is not None or vmax is not None:
        lo = float(z.min()) if vmin is None else (np.log10(max(vmin, 1e-12)) if log else vmin)
        hi = float(z.max()) if vmax is None else (np.log10(max(vmax, 1e-12)) if log else vmax)
        levels = np.linspace(lo, hi if hi > lo else lo + 1e-6, levels if isinstance(levels, int) else len(levels))
        z = np.clip(z, lo, hi)
    filled = ax.contourf(result.alphas, result.betas, z, levels=levels, cmap="viridis")
    ax.contour(result.alphas, result.betas, z, levels=levels, colors="k", linewidths=0.3, alpha=0.5)
    cbar = ax.figure.colorbar(filled, ax=ax)
    cbar.set_label("log10 loss" if log else "loss")
    ax.plot([0], [0], marker="*", ms=12, color="tab:red", mec="white", label="trained weights")
    ax.set_xlabel("α (direction δ)")
    ax.set_ylabel("β (direction η)")
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(title or f"Loss landscape (centre loss {result.center_loss:.3g})")
    return ax


def plot_surface(result: Landscape, ax: Axes | None = None, *, elev: float = 35.0, azim: float = -60.0,
                 log: bool = False, title: str | None = None) -> Axes:
    """The 2-D landscape as a 3-D surface; ``elev``/``azim`` rotate the view.

    ``ax`` must be a 3-D Axes (``fig.add_subplot(projection="3d")``) if given.
    """
    _check_2d(result)
    ax = axes_or_new(ax, projection="3d")
    if getattr(ax, "name", "") != "3d":
        raise ArgumentError(f"ax must be a 3-D Axes (fig.add_subplot(projection='3d')), got a {ax.name!r} Axes")
    aa, bb = np.meshgrid(result.alphas, result.betas)
    z = np.log10(np.maximum(result.losses, 1e-12)) if log else result.losses
    ax.plot_surface(aa, bb, z, cmap="viridis", linewidth=0, antialiased=True, rcount=80, ccount=80)
    ax.view_init(elev=elev, azim=azim)
    ax.locator_params(nbins=5)  # fewer ticks: the 3-D axes are small
    ax.set_xlabel("α")
    ax.set_ylabel("β")
    ax.set_zlabel("log10 loss" if log else "loss")
    ax.set_title(title or "Loss surface")
    return ax


def plot_landscape_1d(result: Landscape, ax: Axes | None = None, *, accuracy: bool = True,
                      title: str | None = None, label: str | None = None) -> Axes:
    """Loss along one direction (or an interpolation path), accuracy on a second axis."""
    if np.ndim(result.losses) != 1:
        raise ArgumentError("result must be a 1-D landscape (one direction) or a compute_interpolation() "
                            f"result, got one of shape {np.shape(result.losses)}; use plot_contour for 2-D")
    ax = axes_or_new(ax, size=(5.0, 3.0))
    ax.plot(result.alphas, result.losses, color="tab:blue", label=label or "loss")
    ax.set_xlabel("t (0: model A, 1: model B)" if result.label == "t" else "α (direction δ)")
    ax.set_ylabel("loss", color="tab:blue")
    if accuracy and result.accuracies is not None:
        ax2 = ax.twinx()
        ax2.plot(result.alphas, result.accuracies, color="tab:orange", ls="--")
        ax2.set_ylabel("accuracy", color="tab:orange")
        ax2.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title(title or "Loss along a line")
    return ax
