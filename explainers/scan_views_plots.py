"""Drawing for :mod:`explainers.scan_views`: a windowed scan with its scale bar, the HU histogram, windows, a gallery.

What this shows: a scan as a radiologist reads it (window, millimetres,
markers), where its values lie on the Hounsfield scale, and how the window
changes what is visible.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from explainers._figure import axes_or_new, figure_or_new
from explainers.scan_views import HUHistogram, ScanGallery, ScanView, WindowViews

__all__ = ["TISSUE_COLOURS", "plot_scan", "plot_hu_histogram", "plot_window_views", "plot_scan_gallery"]

TISSUE_COLOURS = {
    "air": "#4c72b0", "lung": "#64b5cd", "fat": "#ccb974", "water": "#8172b2",
    "soft tissue": "#dd8452", "contrast": "#c44e52", "bone": "#7f7f7f",
}
OVERLAY_COLOUR = "#ffd400"  # the radiologist's marker: yellow, as most viewers draw overlays
MASK_RGBA = (0.17, 0.63, 0.17, 0.45)  # a SEG mask: semi-transparent green


def _bare(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _aspect(spacing: tuple[float, float] | None) -> float:
    """imshow's aspect: the height of a pixel over its width (row over column spacing)."""
    return 1.0 if spacing is None else spacing[0] / spacing[1]


def _scale_bar(ax: Axes, view: ScanView, fontsize: float = 10.0) -> None:
    bar = view.scale_bar
    if bar is None:
        return
    h, w = view.image.shape[:2]
    x0, y0 = w * 0.05, h * 0.94
    thick = max(h * 0.012, 1.5)
    ax.add_patch(Rectangle((x0, y0 - thick), bar.pixels, thick, facecolor="white", edgecolor="black",
                           linewidth=0.6))
    ax.text(x0 + bar.pixels / 2, y0 - thick * 1.8, bar.label, color="white", ha="center", va="bottom",
            fontsize=fontsize, fontweight="bold",
            bbox={"facecolor": "black", "alpha": 0.45, "pad": 1.5, "edgecolor": "none"})


def plot_scan(result: ScanView, ax: Axes | None = None) -> Axes:
    """The scan as shown: grey through its window (or colour), true aspect, mm bar, overlay contour, SEG mask.

    The aspect comes from the pixel spacing (row over column), so a scan with
    non-square pixels is not stretched; the overlay (a radiologist's marker) is
    drawn as a yellow contour, a SEG mask filled semi-transparent green.
    """
    ax = axes_or_new(ax, (5.0, 5.0))
    image = result.image
    aspect = _aspect(result.spacing_mm)
    if image.ndim == 3:
        ax.imshow(np.clip(image, 0.0, 1.0), aspect=aspect, interpolation="nearest")
    else:  # compute_scan_view has already shrunk it with anti-aliasing: nearest is exact and fast
        ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, aspect=aspect, interpolation="nearest")
    if result.mask is not None and result.mask.any():
        fill = np.zeros((*result.mask.shape, 4), dtype=np.float32)
        fill[..., :3] = MASK_RGBA[:3]
        fill[..., 3] = MASK_RGBA[3] * np.clip(result.mask, 0.0, 1.0)
        ax.imshow(fill, aspect=aspect, interpolation="nearest")
        ax.contour(result.mask.astype(float), levels=[0.5], colors=["#2ca02c"], linewidths=1.2)
    if result.overlay is not None and result.overlay.any():
        ax.contour(result.overlay.astype(float), levels=[0.5], colors=[OVERLAY_COLOUR], linewidths=1.4)
    _scale_bar(ax, result)
    _bare(ax)
    title = result.title
    if result.window is not None:
        level, width = result.window
        title = f"{title}\n" if title else ""
        title += f"window {level:g}/{width:g} {result.units}"
    if title:
        ax.set_title(title, fontsize=11)
    return ax


def _count_label(value: float, _position: int) -> str:
    if value < 1:
        return ""
    return f"{value / 1e6:g}M" if value >= 1e6 else f"{value / 1e3:g}k" if value >= 1e3 else f"{value:g}"


def plot_hu_histogram(result: HUHistogram, ax: Axes | None = None) -> Axes:
    """The histogram of real values (log count), the tissue ranges as bands, the window as a bracket.

    Tissue bands (CT only) are labelled with the share of pixels in each; the
    window's level is a dashed line and its width a shaded span, so what lies
    outside it is clipped to black or white.
    """
    ax = axes_or_new(ax, (6.0, 3.2))
    edges, counts = result.edges, result.counts
    lo, hi = float(edges[0]), float(edges[-1])
    for name, (a, b), share in zip(result.tissues, result.ranges, result.shares):
        a, b = max(a, lo), min(b, hi)
        if b <= a:
            continue
        ax.axvspan(a, b, color=TISSUE_COLOURS.get(name, "#cccccc"), alpha=0.22, linewidth=0,
                   label=f"{name} {share:.0%}" if share >= 0.005 or share == 0 else f"{name} <1%")
    ax.stairs(np.maximum(counts, 0.5), edges, fill=True, color="#333333", alpha=0.85, baseline=0.5)
    ax.set_yscale("log")
    ax.set_ylim(0.5, max(float(counts.max()), 1.0) * 2.0)
    ax.yaxis.set_major_locator(LogLocator(numticks=5))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(_count_label))  # plain text: no mathtext to lay out
    if result.window is not None:
        level, width = result.window
        ax.axvspan(level - width / 2, level + width / 2, ymin=0.0, ymax=0.06, color="#d62728", alpha=0.9,
                   linewidth=0, label=f"window {level:g}/{width:g}")
        for edge in (level - width / 2, level + width / 2):
            ax.axvline(edge, color="#d62728", linewidth=1.2)
        ax.axvline(level, color="#d62728", linestyle="--", linewidth=1.2)
    ax.set_xlim(lo, hi)
    ax.set_xlabel(f"value ({result.units})" if result.units != "HU" else "Hounsfield units (HU)")
    ax.set_ylabel("pixels (log)")
    handles = ax.get_legend_handles_labels()[0]
    if handles:  # below the axes: the plot keeps its width in a narrow column
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.24), ncol=3, fontsize=10, frameon=False,
                  handlelength=1.2, columnspacing=0.8)
    return ax


def plot_window_views(result: WindowViews, fig: Figure | None = None, *,
                      spacing_mm: tuple[float, float] | None = None) -> Figure:
    """Min-max of the full value range first, then each window, side by side, with the grey steps.

    Each panel's title gives the window and, for CT, how many of 256 grey levels
    lie between the two compared values (white and grey matter by default).
    """
    n = len(result.names) + 1
    fig = figure_or_new(fig, (2.4 * n, 3.0))
    axes = fig.subplots(1, n, squeeze=False)[0]
    a, b = result.contrast_values
    aspect = _aspect(spacing_mm)
    lo, hi = result.minmax_range
    panels = [("min-max", result.minmax, f"{lo:g} to {hi:g}", result.minmax_grey_steps)]
    panels += [(name, img, f"{lvl:g}/{wid:g}", steps)
               for name, img, (lvl, wid), steps in zip(result.names, result.images, result.windows,
                                                       result.grey_steps)]
    for ax, (name, img, detail, steps) in zip(axes, panels):
        ax.imshow(img, cmap="gray", vmin=0.0, vmax=1.0, aspect=aspect, interpolation="antialiased")
        _bare(ax)
        # the grey steps compare two tissues in HU: meaningless for a modality without fixed units
        ax.set_title(f"{name} {detail}\n{a:g} vs {b:g} HU: {steps:.1f} greys" if result.units == "HU"
                     else f"{name}\n{detail}", fontsize=11)
    return fig


def plot_scan_gallery(result: ScanGallery, fig: Figure | None = None, *, columns: int = 4) -> Figure:
    """A grid of thumbnails, each titled with name, modality and body part, size and spacing."""
    n = len(result.names)
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    fig = figure_or_new(fig, (2.1 * columns, 2.6 * rows))
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    for i, ax in enumerate(axes[:n]):
        thumb = result.thumbnails[i]
        if thumb.ndim == 3:
            ax.imshow(np.clip(thumb, 0.0, 1.0))
        else:
            ax.imshow(thumb, cmap="gray", vmin=0.0, vmax=1.0)
        _bare(ax)
        rows_, cols_ = result.sizes[i]
        spacing = result.spacings[i]
        size = f"{rows_}×{cols_}" + (f" ×{result.frames[i]}" if result.frames[i] > 1 else "")
        where = " · ".join(p for p in (result.modalities[i], result.body_parts[i].lower()) if p)
        mm = f"{spacing[1]:.2f} mm" if spacing else "no mm"
        ax.set_title(f"{result.names[i]}\n{where}\n{size} · {mm}", fontsize=10.5)
    return fig
