"""Drawing for :mod:`explainers.out_of_distribution`: grey-level histograms, a marker, a heatmap on it.

What this shows: how unlike its training images a real scan is, and whether a
model's heatmap lands on the lesion a radiologist outlined.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from explainers._figure import axes_or_new
from explainers.out_of_distribution import HeatmapInMarker, IntensityShift, LesionMarker
from models._arguments import check_float

__all__ = ["plot_intensity_shift", "plot_lesion_marker", "plot_heatmap_in_marker"]

MARKER_COLOUR = "lime"
_TITLES = {"gradcam": "Grad-CAM", "saliency": "Saliency", "smoothgrad": "SmoothGrad"}


def plot_intensity_shift(result: IntensityShift, ax: Axes | None = None, *, title: str | None = None) -> Axes:
    """The image's grey-level histogram (filled) over the training images' pooled one (line).

    What this shows: the grey levels a network was trained on against those it is asked about.
    """
    ax = axes_or_new(ax, (5.0, 3.0))
    centres = (result.edges[:-1] + result.edges[1:]) / 2
    width = result.edges[1] - result.edges[0]
    ax.bar(centres, result.image_hist, width=width, color="#1f77b4", alpha=0.55, label="this image")
    ax.step(centres, result.train_hist, where="mid", color="black", lw=1.5, label="training images")
    ax.set_xlabel("grey level (network input)")
    ax.set_ylabel("fraction of pixels")
    ax.legend(loc="upper right")
    ax.set_title(title or f"Grey-level distance {result.distance:.3f} · {result.ratio:.1f}× a typical "
                          f"training image's", fontsize=10)
    return ax


def plot_lesion_marker(result: LesionMarker, ax: Axes | None = None, *, image: np.ndarray | None = None,
                       title: str | None = None) -> Axes:
    """The marker's filled region (and, given the scan's ``image``, the scan under it) at the scan's size.

    What this shows: which mark of the overlay was taken as the lesion, and its filled inside.
    """
    ax = axes_or_new(ax, (4.0, 4.0))
    if image is not None:
        ax.imshow(np.asarray(image), cmap="gray", vmin=0.0, vmax=1.0)
    else:
        ax.imshow(np.zeros(result.region.shape), cmap="gray", vmin=0.0, vmax=1.0)
    ax.contour(result.region.astype(float), levels=[0.5], colors=MARKER_COLOUR, linewidths=1.2)
    ax.set_axis_off()
    ax.set_title(title or f"marker ({result.region.sum():,} px at full size)", fontsize=10)
    return ax


def plot_heatmap_in_marker(result: HeatmapInMarker, ax: Axes | None = None, *, alpha: float = 0.5,
                           title: str | None = None) -> Axes:
    """The heatmap over the image, the marker outlined in green, the map's peak marked (+).

    What this shows: where the model looked and where the radiologist marked, with the share of the
    map inside the marker against the marker's share of the image.
    """
    alpha = check_float("alpha", alpha, low=0.0, high=1.0)
    ax = axes_or_new(ax, (4.0, 4.0))
    ax.imshow(result.image, cmap="gray", vmin=0.0, vmax=1.0)
    top = result.heatmap.max()
    ax.imshow(result.heatmap / top if top > 0 else result.heatmap, cmap="jet", alpha=alpha, vmin=0.0, vmax=1.0)
    ax.contour(result.mask.astype(float), levels=[0.5], colors=MARKER_COLOUR, linewidths=1.5)
    r, c = np.unravel_index(result.heatmap.argmax(), result.heatmap.shape)
    ax.plot(c, r, marker="+", color="white", ms=12, mew=2.2)
    ax.set_axis_off()
    name = _TITLES.get(result.method, result.method)
    ax.set_title(title or f"{name}: {result.mass_inside:.1%} in marker\n(marker is {result.area_share:.1%} "
                          f"of the image)", fontsize=10)
    return ax
