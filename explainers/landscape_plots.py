"""Drawing for :mod:`explainers.landscape` and :mod:`explainers.residual` (matplotlib, no pyplot)."""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_contour", "plot_surface", "plot_1d", "plot_trajectory", "plot_gradient_norms",
           "plot_block_gradients"]


def _ax(ax=None, projection: str | None = None, size=(5.0, 4.0)):
    if ax is None:
        fig = Figure(figsize=size, layout="constrained")
        ax = fig.add_subplot(projection=projection)
    return ax


def _check_2d(result) -> None:
    if np.ndim(result.losses) != 2:
        raise ValueError("this plot needs a 2-D landscape (two directions); "
                         "use plot_1d for a landscape with one direction")


def plot_contour(result, ax=None, levels: int = 30, log: bool = True, title: str | None = None,
                 vmin: float | None = None, vmax: float | None = None):
    """Contour lines of a 2-D landscape, the trained weights (α = β = 0) as a star.

    What this shows: round, widely spaced contours mean a wide, flat minimum.
    ``vmin``/``vmax`` (losses) fix the colour scale, so two landscapes drawn
    side by side share one (the same colour is the same loss in both).
    """
    _check_2d(result)
    ax = _ax(ax)
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


def plot_surface(result, ax=None, elev: float = 35.0, azim: float = -60.0, log: bool = False,
                 title: str | None = None):
    """The 2-D landscape as a 3-D surface; ``elev``/``azim`` rotate the view.

    ``ax`` must be a 3-D Axes (``fig.add_subplot(projection="3d")``) if given.
    """
    _check_2d(result)
    ax = _ax(ax, projection="3d")
    if getattr(ax, "name", "") != "3d":
        raise ValueError("plot_surface needs a 3-D Axes: fig.add_subplot(projection='3d')")
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


def plot_1d(result, ax=None, accuracy: bool = True, title: str | None = None, label: str | None = None):
    """Loss along one direction (or an interpolation path), accuracy on a second axis."""
    if np.ndim(result.losses) != 1:
        raise ValueError("plot_1d needs a 1-D landscape (one direction) or an interpolate() result")
    ax = _ax(ax, size=(5.0, 3.0))
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


def plot_trajectory(trajectory, result=None, ax=None, title: str | None = None):
    """The optimiser's path projected on the PCA plane, on the landscape's contours if given."""
    if result is not None:
        ax = plot_contour(result, ax=ax, title=title)
    else:
        ax = _ax(ax)
        ax.set_title(title or "Optimiser trajectory")
    c = np.asarray(trajectory.coords)
    ax.plot(c[:, 0], c[:, 1], "-", color="white", lw=2.5, alpha=0.8)
    ax.plot(c[:, 0], c[:, 1], "-o", color="tab:red", lw=1.2, ms=3)
    ax.plot(c[0, 0], c[0, 1], "s", color="tab:orange", ms=8, mec="k", label="start")
    ev = trajectory.explained_variance
    ax.set_xlabel(f"1st PCA direction ({ev[0]:.0%} of the variance)")
    if len(ev) > 1:
        ax.set_ylabel(f"2nd PCA direction ({ev[1]:.0%})")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def plot_gradient_norms(norms: Any, ax=None, label: str | None = None, title: str | None = None):
    """‖∂E/∂W‖ per layer (log scale), input side on the left."""
    ax = _ax(ax, size=(6.0, 3.0))
    g = np.maximum(np.asarray(norms.norms, float), 1e-30)
    ax.semilogy(range(1, len(g) + 1), g, marker="o", label=label)
    ax.set_xlabel("layer (input → output)")
    ax.set_ylabel("‖∂E/∂W‖")
    ax.grid(alpha=0.3, which="both")
    ax.set_title(title or "Gradient norm per layer")
    if label:
        ax.legend()
    return ax


def plot_block_gradients(result: Any, ax=None, title: str | None = None):
    """‖∂E/∂x‖ at each block input, split into the skip (∂E/∂y) and branch (∂E/∂y·F′) parts."""
    ax = _ax(ax, size=(6.0, 3.0))
    k = np.arange(1, len(result.blocks) + 1)
    values = np.concatenate([result.grad_in, result.grad_out, result.grad_branch])
    positive = values[values > 0]
    # exact zeros (dead ReLUs) are drawn on a floor below the smallest measured value
    floor = positive.min() / 100 if positive.size else 1e-12
    ax.semilogy(k, np.maximum(result.grad_in, floor), "o-", label="‖∂E/∂x‖ at the block input")
    ax.semilogy(k, np.maximum(result.grad_out, floor), "s--", label="‖∂E/∂y‖ at the block output")
    ax.semilogy(k, np.maximum(result.grad_branch, floor), "^:", label="‖∂E/∂y·F′(x)‖ through the convs")
    zero = result.grad_in == 0
    if zero.any():
        ax.axhline(floor, color="grey", lw=0.8, ls=":")
        ax.text(k[0], floor * 1.5, "exactly 0 (dead ReLUs)", fontsize=7, color="grey", va="bottom")
    ax.set_xlabel("block (input → output)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    ax.set_title(title or "Gradients per block")
    return ax
