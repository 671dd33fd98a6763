"""Drawing for :mod:`explainers.attribution`: occlusion, integrated gradients and Grad-CAM++ over the image.

A volume (D, H, W) is shown by the slice along its first axis where the map is strongest.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explainers._figure import axes_or_new, figure_or_new
from explainers.attribution import GradCamPlusPlus, IntegratedGradients, Occlusion
from models._arguments import check_float

__all__ = ["plot_occlusion", "plot_integrated_gradients", "plot_gradcam_plus_plus"]


def _view(image: np.ndarray, heatmap: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """(grey or RGB image, map, label) in 2-D: a volume gives its slice with the largest |map|."""
    img = np.asarray(image, dtype=float)
    img = img[..., 0] if img.shape[-1] == 1 else img
    heat = np.asarray(heatmap, dtype=float)
    if heat.ndim == 2:
        return img, heat, ""
    k = int(np.abs(heat).reshape(len(heat), -1).sum(axis=1).argmax())
    return img[k], heat[k], f", slice {k}"


def _signed(ax: Axes, image: np.ndarray, heatmap: np.ndarray, alpha: float) -> None:
    """The image in grey under a map coloured red (for the class) to blue (against), 0 transparent-white."""
    img, heat, _ = _view(image, heatmap)
    top = float(np.abs(heat).max()) or 1.0
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
    shown = ax.imshow(heat, cmap="RdBu_r", vmin=-top, vmax=top, alpha=alpha)
    ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.03).ax.tick_params(labelsize=7)
    ax.set_axis_off()


def plot_occlusion(result: Occlusion, ax: Axes | None = None, *, alpha: float = 0.6) -> Axes:
    """The score drop when each region is covered, over the image (red: covering it lowers the score).

    What this shows: the regions the model cannot do without, measured by forward passes alone.
    """
    alpha = check_float("alpha", alpha, low=0.0, high=1.0)
    ax = axes_or_new(ax, (4.2, 3.6))
    _signed(ax, result.image, result.heatmap, alpha)
    patch = "×".join(map(str, result.patch))
    ax.set_title(f"Occlusion ({patch} patch{_view(result.image, result.heatmap)[2]}): "
                 f"score {result.score:.2f}, largest drop {result.heatmap.max():+.2f}", fontsize=9)
    return ax


def plot_integrated_gradients(result: IntegratedGradients, fig: Figure | None = None, *,
                              alpha: float = 0.6) -> Figure:
    """Left: the attributions over the image. Right: the class score along the path from the baseline
    to the image, with the completeness check (Σ attributions against f(x) − f(x')).

    What this shows: each pixel's share of the score, and that the shares add up to the whole change.
    """
    alpha = check_float("alpha", alpha, low=0.0, high=1.0)
    fig = figure_or_new(fig, (8.0, 3.6))
    left, right = fig.subplots(1, 2, width_ratios=(1.1, 1.0))
    _signed(left, result.image, result.heatmap, alpha)
    left.set_title(f"Integrated gradients (class {result.class_index}{_view(result.image, result.heatmap)[2]})",
                   fontsize=9)
    right.plot(result.alphas, result.path_scores, marker=".", ms=3, color="tab:blue")
    right.axhline(result.baseline_score, color="grey", lw=0.8, ls=":")
    right.axhline(result.score, color="grey", lw=0.8, ls=":")
    right.set_xlabel("α: baseline (0) → image (1)", fontsize=8)
    right.set_ylabel(f"class {result.explained}", fontsize=8)
    right.tick_params(labelsize=7)
    if result.method == "adaptive":
        how = f"{result.intervals} intervals (from {result.steps}: {result.uniform_error:.1%})"
    else:
        how = f"{result.steps} steps, {result.method}"
    right.set_title(f"Σ attributions {result.total:+.4f}\n"
                    f"f(x) − f(x′) {result.expected:+.4f} · error {result.relative_error:.2%}\n{how}", fontsize=9)
    return fig


def plot_gradcam_plus_plus(result: GradCamPlusPlus, ax: Axes | None = None, *, alpha: float = 0.5) -> Axes:
    """The Grad-CAM++ heatmap over the image, its peak marked (+).

    What this shows: the regions whose features raise the class score, several at once.
    """
    alpha = check_float("alpha", alpha, low=0.0, high=1.0)
    img, heat, where = _view(result.image, result.heatmap)
    ax = axes_or_new(ax, (4, 4))
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
    ax.imshow(heat, cmap="jet", alpha=alpha, vmin=0.0, vmax=1.0)
    r, c = np.unravel_index(heat.argmax(), heat.shape)
    ax.plot(c, r, marker="+", color="white", ms=14, mew=2.5)
    ax.set_axis_off()
    ax.set_title(f"Grad-CAM++ (class {result.class_index}, score {result.score:.2f}{where})", fontsize=9)
    return ax
