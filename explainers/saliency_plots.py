"""Drawing for :mod:`explainers.saliency`: heatmaps over the image.

A volume's map (D, H, W) is drawn on its axial slice through the heatmap's
peak; the three orthogonal planes are drawn by the volume plots.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from explainers._figure import axes_or_new, figure_or_new
from explainers.saliency import NoduleHitRate, SaliencyMap
from models._arguments import check_float, check_int

__all__ = ["plot_heatmap", "plot_hit_rate"]

_TITLES = {"gradcam": "Grad-CAM", "saliency": "Saliency |∂y/∂x|", "smoothgrad": "SmoothGrad"}


def _grey(image: np.ndarray) -> np.ndarray:
    """(H, W, 1) as (H, W) for a grey colour map; colour images stay (H, W, 3)."""
    img = np.asarray(image, dtype=float)
    return img[..., 0] if img.ndim == 3 and img.shape[-1] == 1 else img


def plot_heatmap(result: SaliencyMap, ax: Axes | None = None, *, alpha: float = 0.5,
                 centre: Sequence[float] | None = None, radius: float | None = None,
                 title: str | None = None) -> Axes:
    """The heatmap over the image it explains, with its peak marked (+) and the nodule, if given.

    What this shows: where the model looked to make its call.

    A volume's map (D, H, W) is drawn on the axial slice through its peak,
    titled with that slice (``z = …``); a nodule's ``centre`` is then
    (z, row, col) and its circle is the sphere's cut through that slice.

    Args:
        result: from :func:`explainers.compute_gradcam` or :func:`explainers.compute_saliency`.
        alpha: opacity of the heatmap.
        centre, radius: a nodule to outline in green, (row, col) and pixels; (z, row, col) for a volume.
    """
    alpha = check_float("alpha", alpha, low=0.0, high=1.0)
    heat, image, where = result.heatmap, result.image, ""
    if heat.ndim == 3:  # a volume: the axial slice through the peak
        z = int(np.unravel_index(heat.argmax(), heat.shape)[0])
        heat, image, where = heat[z], image[z], f"axial slice z = {z} (peak)"
        if centre is not None and radius:
            if len(centre) != 3:
                raise ValueError(f"centre must be (z, row, col) for a volume's map, got {tuple(centre)}")
            dz = z - float(centre[0])
            radius = float(np.sqrt(max(float(radius) ** 2 - dz ** 2, 0.0)))
            centre = tuple(centre[1:])
    img = _grey(image)
    ax = axes_or_new(ax, (4, 4))
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
    ax.imshow(heat, cmap="jet", alpha=alpha, vmin=0.0, vmax=1.0)
    r, c = np.unravel_index(heat.argmax(), heat.shape)
    ax.plot(c, r, marker="+", color="white", ms=14, mew=2.5)
    if centre is not None and radius and centre[0] >= 0:
        ax.add_patch(Circle((centre[1], centre[0]), radius, fill=False, edgecolor="lime", lw=1.5))
    ax.set_axis_off()
    default = (f"{_TITLES.get(result.method, result.method)} (class {result.class_index}, "
               f"score {result.score:.2f})")
    ax.set_title(title or (f"{default}\n{where}" if where else default), fontsize=9)
    return ax


def plot_hit_rate(result: NoduleHitRate, fig: Figure | None = None, *, n: int = 8,
                  heatmaps: bool = True) -> Figure:
    """A row of the first ``n`` true positives: the nodule (green), the Grad-CAM peak (+, red when it
    misses) and, with ``heatmaps``, the Grad-CAM map itself.

    What this shows: whether the peak lands on the nodule, case by case, behind the one
    number of :func:`explainers.compute_nodule_hit_rate`.
    """
    n = check_int("n", n, low=1)
    m = min(n, result.true_positives)
    fig = figure_or_new(fig, (1.6 * max(m, 1), 1.9))
    axes = np.atleast_1d(fig.subplots(1, max(m, 1)))
    for j, ax in enumerate(axes):
        ax.set_axis_off()
        if j >= m:
            continue
        ax.imshow(_grey(result.images[j]), cmap="gray")
        if heatmaps:
            ax.imshow(result.heatmaps[j], cmap="jet", alpha=0.45, vmin=0, vmax=1)
        (cr, cc), radius = result.centres[j], result.radii[j]
        ax.add_patch(Circle((cc, cr), radius, fill=False, edgecolor="lime", lw=1.2))
        r, c = result.peaks[j]
        ax.plot(c, r, marker="+", color="white" if result.inside[j] else "red", ms=10, mew=2)
        ax.set_title("hit" if result.inside[j] else "miss", fontsize=8)
    return fig
