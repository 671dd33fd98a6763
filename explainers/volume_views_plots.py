"""Drawing for :mod:`explainers.volume_views`: three planes with a crosshair, a projection, a slice montage.

What this shows: a volume as a viewer shows it: every plane at its true aspect
(stretched by the voxel spacing), the patient's directions at the edges, a
millimetre bar, one crosshair shared by the three planes, and an overlay (a 3-D
Grad-CAM or a mask) cut the same way.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from explainers._figure import axes_or_new, figure_or_new
from explainers.volume_views import PLANE_AXES, Montage, Projection, VolumeViews

__all__ = ["CROSSHAIR_COLOUR", "views_size", "plot_volume_views", "plot_projection", "plot_montage"]

CROSSHAIR_COLOUR = "#ffd400"
MASK_COLOUR = "#2ca02c"
_AXIS_LETTER = "zyx"


def _nice(length: float) -> float:
    """The longest 1, 2 or 5 × 10^k that is at most ``length``."""
    exponent = math.floor(math.log10(length))
    return max(m * 10.0 ** e for e in (exponent - 1, exponent) for m in (1, 2, 5) if m * 10.0 ** e <= length)


def _bare(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _edge_letters(ax: Axes, edges: tuple[str, str, str, str], fontsize: float) -> None:
    box = {"facecolor": "black", "alpha": 0.45, "pad": 1.0, "edgecolor": "none"}
    style = dict(transform=ax.transAxes, color="white", fontsize=fontsize, fontweight="bold", bbox=box)
    top, bottom, left, right = edges
    for text, x, y, ha, va in ((top, 0.5, 0.985, "center", "top"), (bottom, 0.5, 0.015, "center", "bottom"),
                               (left, 0.015, 0.5, "left", "center"), (right, 0.985, 0.5, "right", "center")):
        if text:
            ax.text(x, y, text, ha=ha, va=va, **style)


def _scale_bar(ax: Axes, width: float, height: float, known: bool, fontsize: float,
               length: float | None = None) -> None:
    """A bar of a round length in the lower left, in the axes' data units (mm, or voxels if not known)."""
    length = _nice(width * 0.3) if length is None else length
    unit = "mm" if known else "vox"
    x0, y0 = ax.get_xlim()[0], ax.get_ylim()[0]  # the lower left corner as shown (after any flip)
    sx = 1.0 if ax.get_xlim()[1] > x0 else -1.0
    sy = 1.0 if ax.get_ylim()[1] > y0 else -1.0
    thick = max(min(width, height) * 0.025, 0.4 if known else 0.15)
    left = x0 + sx * width * 0.05
    base = y0 + sy * height * 0.07
    ax.add_patch(Rectangle((min(left, left + sx * length), min(base, base + sy * thick)), length, thick,
                           facecolor="white", edgecolor="black", linewidth=0.6))
    ax.text(left + sx * length / 2, base + sy * thick * 2.2, f"{length:g} {unit}", color="white", ha="center",
            va="bottom", fontsize=fontsize, fontweight="bold",
            bbox={"facecolor": "black", "alpha": 0.45, "pad": 1.0, "edgecolor": "none"})


def _plane(ax: Axes, image: np.ndarray, width: float, height: float, window: tuple[float, float],
           rows_up: bool, cols_reversed: bool) -> None:
    level, w = window
    ax.imshow(image, cmap="gray", vmin=level - w / 2, vmax=level + w / 2, extent=(0.0, width, height, 0.0),
              interpolation="nearest", aspect="equal")
    ax.set_xlim((width, 0.0) if cols_reversed else (0.0, width))
    ax.set_ylim((0.0, height) if rows_up else (height, 0.0))


def _overlay(ax: Axes, overlay: np.ndarray, width: float, height: float, value_range: tuple[float, float],
             is_mask: bool) -> None:
    extent = (0.0, width, height, 0.0)
    if is_mask:
        if overlay.any():
            fill = np.zeros((*overlay.shape, 4), dtype=np.float32)
            fill[..., 1], fill[..., 3] = 0.63, 0.35 * overlay
            ax.imshow(fill, extent=extent, interpolation="nearest", aspect="equal")
            if min(overlay.shape) > 1:
                rows, cols = overlay.shape
                xs = (np.arange(cols) + 0.5) * width / cols  # voxel centres in the axes' units
                ys = (np.arange(rows) + 0.5) * height / rows
                ax.contour(xs, ys, overlay, levels=[0.5], colors=[MASK_COLOUR], linewidths=1.2)
        return
    lo, hi = value_range
    scaled = np.clip((overlay - lo) / max(hi - lo, 1e-12), 0.0, 1.0)
    ax.imshow(scaled, cmap="jet", vmin=0.0, vmax=1.0, alpha=0.6 * scaled, extent=extent,
              interpolation="bilinear", aspect="equal")


def views_size(result: VolumeViews, width: float = 9.0) -> tuple[float, float]:
    """A figure size (inches) that fits the three planes at one scale side by side, ``width`` inches wide."""
    total = sum(w for w, _ in result.extents_mm)
    tallest = max(h for _, h in result.extents_mm)
    return width, float(min(max(0.92 * width * tallest / total, 1.6), 3.0 * width)) + 0.75


def plot_volume_views(result: VolumeViews, fig: Figure | None = None) -> Figure:
    """The three planes side by side at one scale, one crosshair, direction letters, mm bars.

    Each panel's axes are in millimetres (voxels when the spacing is unknown) and all
    three share one scale, so a plane along thick slices is drawn as tall as it is in
    the patient; the crosshair marks the shared voxel in every plane, and an overlay in
    the result is drawn over all three.
    """
    fig = figure_or_new(fig, views_size(result))
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [w for w, _ in result.extents_mm]})
    if fig.get_layout_engine() is None:  # a figure without a layout engine: margins set here (faster to draw)
        fig.subplots_adjust(left=0.005, right=0.995, bottom=0.01, top=1.0 - 0.62 / fig.get_figheight(),
                            wspace=0.03)
    fontsize = 10.0
    bar = min(w for w, _ in result.extents_mm)
    for i, ax in enumerate(axes):
        rows, cols = PLANE_AXES[i]
        width, height = result.extents_mm[i]
        _plane(ax, result.planes[i], width, height, result.window, result.rows_up[i], result.cols_reversed[i])
        if result.overlays is not None:
            _overlay(ax, result.overlays[i], width, height, result.overlay_range, result.overlay_is_mask)
            ax.set_xlim((width, 0.0) if result.cols_reversed[i] else (0.0, width))
            ax.set_ylim((0.0, height) if result.rows_up[i] else (height, 0.0))
        x = (result.point[cols] + 0.5) * result.spacing_mm[cols]
        y = (result.point[rows] + 0.5) * result.spacing_mm[rows]
        ax.axvline(x, color=CROSSHAIR_COLOUR, linewidth=0.9, alpha=0.85)
        ax.axhline(y, color=CROSSHAIR_COLOUR, linewidth=0.9, alpha=0.85)
        _edge_letters(ax, result.edges[i], fontsize)
        _scale_bar(ax, width, height, result.spacing_known, fontsize - 1, length=_nice(bar * 0.3))
        _bare(ax)
        ax.set_anchor("N")  # the three titles on one line
        ax.set_title(f"{result.names[i]}\n{_AXIS_LETTER[i]} = {result.point[i]}", fontsize=11)
    return fig


_KIND_NAMES = {"max": "MIP", "min": "MinIP", "mean": "mean"}


def plot_projection(result: Projection, ax: Axes | None = None) -> Axes:
    """The projection through its window at its true aspect, with direction letters and a mm bar."""
    width, height = result.extent_mm
    ax = axes_or_new(ax, (4.0, max(min(4.0 * height / width, 6.0), 2.0)))
    _plane(ax, result.image, width, height, result.window, result.rows_up, result.cols_reversed)
    _edge_letters(ax, result.edges, 10.0)
    _scale_bar(ax, width, height, result.spacing_known, 9.0)
    _bare(ax)
    start, stop = result.slab
    ax.set_title(f"{_KIND_NAMES[result.kind]} along {_AXIS_LETTER[result.axis]} ({result.name}), "
                 f"slices {start}–{stop - 1}", fontsize=11)
    return ax


def plot_montage(result: Montage, fig: Figure | None = None, *, columns: int | None = None) -> Figure:
    """The slices in a grid (one image, like MONAI's ``matshow3d``), each labelled with its index and mm position.

    Args:
        result: a :class:`explainers.volume_views.Montage`.
        fig: the Figure to draw on (a new one by default).
        columns: tiles per row (default: up to 8, as square a grid as fits).
    """
    n, rows_px, cols_px = result.slices.shape
    columns = min(n, columns if columns else max(1, min(8, math.ceil(math.sqrt(n * 1.6)))))
    grid_rows = math.ceil(n / columns)
    margin = max(1, round(0.04 * max(rows_px, cols_px)))
    mosaic = np.full((grid_rows * (rows_px + margin) - margin, columns * (cols_px + margin) - margin), np.nan,
                     dtype=np.float32)
    tile_aspect = result.aspect
    width_in = 1.5 * columns
    fig = figure_or_new(fig, (width_in, max(1.5 * grid_rows * rows_px * tile_aspect / cols_px, 1.2) + 0.5))
    ax = fig.add_subplot()
    for k in range(n):
        tile = result.slices[k]
        if result.rows_up:
            tile = tile[::-1]
        if result.cols_reversed:
            tile = tile[:, ::-1]
        r, c = divmod(k, columns)
        mosaic[r * (rows_px + margin):r * (rows_px + margin) + rows_px,
               c * (cols_px + margin):c * (cols_px + margin) + cols_px] = tile
    level, w = result.window
    ax.set_facecolor("white")
    ax.imshow(np.ma.masked_invalid(mosaic), cmap="gray", vmin=level - w / 2, vmax=level + w / 2,
              aspect=tile_aspect, interpolation="nearest")
    known = result.spacing_known
    for k, (index, mm) in enumerate(zip(result.indices, result.positions_mm)):
        r, c = divmod(k, columns)
        label = f"{index}" + (f" · {mm:.0f} mm" if known else "")
        ax.text(c * (cols_px + margin) + 1, r * (rows_px + margin) + 1, label, color="white", fontsize=8,
                ha="left", va="top", bbox={"facecolor": "black", "alpha": 0.5, "pad": 0.8, "edgecolor": "none"})
    _bare(ax)
    top, bottom, left, right = result.edges
    sides = f" ({top} up, {right} right)" if top and right else ""
    ax.set_title(f"{n} {result.name} slices along {_AXIS_LETTER[result.axis]}{sides}", fontsize=11)
    return fig
