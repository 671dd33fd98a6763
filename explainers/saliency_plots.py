"""Drawing for :mod:`explainers.saliency`: heatmaps over the image."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explainers.saliency import HitRate, SaliencyResult

_TITLES = {"gradcam": "Grad-CAM", "saliency": "Saliency |∂y/∂x|", "smoothgrad": "SmoothGrad"}


def plot_heatmap(result: SaliencyResult, image: np.ndarray, ax: Axes | None = None, alpha: float = 0.5,
                 centre: Sequence[float] | None = None, radius: float | None = None,
                 title: str | None = None) -> Axes:
    """The heatmap over the image, with its peak marked (and the nodule, if given).

    What this shows: where the model looked to make its call.
    """
    img = np.asarray(image, dtype=float)
    img = img[0] if img.ndim == 4 else img
    img = img[..., 0] if img.ndim == 3 and img.shape[-1] == 1 else img
    if img.shape[:2] != result.heatmap.shape:
        raise ValueError(f"image {img.shape[:2]} and heatmap {result.heatmap.shape} differ in size")
    ax = Figure(figsize=(4, 4), layout="constrained").subplots() if ax is None else ax
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
    ax.imshow(result.heatmap, cmap="jet", alpha=alpha, vmin=0.0, vmax=1.0)
    r, c = np.unravel_index(result.heatmap.argmax(), result.heatmap.shape)
    ax.plot(c, r, marker="+", color="white", ms=14, mew=2.5)
    if centre is not None and radius and centre[0] >= 0:
        from matplotlib.patches import Circle

        ax.add_patch(Circle((centre[1], centre[0]), radius, fill=False, edgecolor="lime", lw=1.5))
    ax.set_axis_off()
    ax.set_title(title or f"{_TITLES.get(result.method, result.method)} (class {result.class_index}, "
                          f"score {result.score:.2f})", fontsize=9)
    return ax


def plot_hit_rate(result: HitRate, images: np.ndarray, centres: np.ndarray, radii: np.ndarray,
                  heatmaps: np.ndarray | None = None, n: int = 8, fig: Figure | None = None) -> Figure:
    """A row of true positives with the nodule (green) and the Grad-CAM peak (+, red when it misses)."""
    from matplotlib.patches import Circle

    m = min(n, result.true_positives)
    fig = fig or Figure(figsize=(1.6 * max(m, 1), 1.9), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(m, 1)))
    for j, ax in enumerate(axes):
        ax.set_axis_off()
        if j >= m:
            continue
        i = result.indices[j]
        ax.imshow(np.asarray(images[i])[..., 0], cmap="gray")
        if heatmaps is not None:
            ax.imshow(heatmaps[j], cmap="jet", alpha=0.45, vmin=0, vmax=1)
        ax.add_patch(Circle((centres[i][1], centres[i][0]), radii[i], fill=False, edgecolor="lime", lw=1.2))
        r, c = result.peaks[j]
        ax.plot(c, r, marker="+", color="white" if result.inside[j] else "red", ms=10, mew=2)
        ax.set_title("hit" if result.inside[j] else "miss", fontsize=8)
    return fig
