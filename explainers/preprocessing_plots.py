"""Drawing for :mod:`explainers.preprocessing` and :func:`models.recipes.compare_augmentation`."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explainers._figure import axes_or_new, figure_or_new
from explainers.preprocessing import AugmentationGallery, Normalisation, Resizing, Windowing
from models.recipes.augmentation import AugmentationComparison

__all__ = ["plot_windowing", "plot_normalisation", "plot_resizing", "plot_augmentation_gallery",
           "plot_augmentation_comparison"]

# HU ranges of the course's tissues, drawn on the histogram (approximate, textbook values).
TISSUES = (("air", -1000, -900), ("lung", -900, -500), ("fat", -120, -60), ("water", -5, 5),
           ("soft tissue", 20, 80), ("bone", 300, 1900))


def _image(ax: Axes, image: np.ndarray, title: str, vmin: float | None = 0.0, vmax: float | None = 1.0) -> None:
    ax.imshow(image, cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_windowing(result: Windowing, fig: Figure | None = None) -> Figure:
    """The slice as min-max of raw values, clipped HU and windowed, over the HU histogram with the window."""
    fig = figure_or_new(fig, (11.0, 5.6))
    grid = fig.add_gridspec(2, 3, height_ratios=(3, 2))
    for i, (name, image) in enumerate(result.images.items()):
        label = {"min-max of raw values": "min-max of raw values",
                 "clipped HU": f"clipped to {result.clip[0]:g}…{result.clip[1]:g} HU",
                 "window": f"window {result.level:g}/{result.width:g}"}[name]
        _image(fig.add_subplot(grid[0, i]), image,
               f"{label}\n{result.tissue[0]:g}–{result.tissue[1]:g} HU: {result.grey_levels[name]:.0f} grey levels")
    ax = fig.add_subplot(grid[1, :])
    centres = (result.edges[:-1] + result.edges[1:]) / 2
    ax.bar(centres, result.counts, width=np.diff(result.edges), color="0.55")
    ax.set_yscale("log")
    top = max(float(result.counts.max()), 1.0)
    for i, (name, low, high) in enumerate(TISSUES):
        if result.edges[0] <= high and low <= result.edges[-1]:
            ax.axvspan(low, high, color=f"C{i}", alpha=0.18, lw=0)
            y = top * (2.0, 0.3, 0.05)[i % 3]  # three heights: fat, water and soft tissue lie close together
            ax.text((low + high) / 2, y, name, ha="center", va="bottom", fontsize=9, color=f"C{i}")
    low, high = result.level - result.width / 2, result.level + result.width / 2
    ax.axvline(low, color="k", ls="--", lw=1.2)
    ax.axvline(high, color="k", ls="--", lw=1.2, label="window")
    below, above = result.saturated
    ax.set_title(f"HU histogram (field of view only) · window {low:g} to {high:g} HU: "
                 f"{below:.0%} of pixels black, {above:.0%} white", fontsize=10)
    ax.set_xlabel("Hounsfield units")
    ax.set_ylabel("pixels")
    ax.set_ylim(0.8, top * 12)
    ax.legend(loc="upper right", fontsize=9)
    return fig


def plot_normalisation(result: Normalisation, fig: Figure | None = None) -> Figure:
    """Per method: the image with the outlier (shown on the clean image's grey scale) and both histograms."""
    fig = figure_or_new(fig, (11.0, 5.4))
    axes = fig.subplots(2, len(result.methods), height_ratios=(3, 2))
    r, c = result.outlier_at
    for j, m in enumerate(result.methods):
        clean = result.clean[m]
        _image(axes[0, j], result.corrupted[m], f"{m} · other pixels' spread ×{result.spread[m]:.2f}",
               float(clean.min()), float(clean.max()))
        axes[0, j].plot(c, r, marker="o", ms=10, mfc="none", mec="red", mew=1.5)
        ax = axes[1, j]
        edges = result.edges[m]
        centres = (edges[:-1] + edges[1:]) / 2
        ax.step(centres, result.counts_clean[m], where="mid", color="0.3", label="without outlier")
        ax.step(centres, result.counts_corrupted[m], where="mid", color="C3", label="with outlier")
        ax.set_xlabel(f"normalised value · outlier at {result.outlier_value[m]:.3g}", fontsize=10)
        ax.set_yticks([])
        if j == 0:
            ax.legend(fontsize=9, loc="upper right")
    fig.suptitle(f"One pixel at {result.outlier_factor:g}× the image's maximum (red circle)", fontsize=12)
    return fig


def plot_resizing(result: Resizing, fig: Figure | None = None) -> Figure:
    """Original, ideal low-pass reference, anti-aliased and plain resize, each with its error."""
    fig = figure_or_new(fig, (11.0, 3.4))
    axes = fig.subplots(1, 4)
    h, w = result.reference.shape
    _image(axes[0], result.original, f"original {result.original.shape[0]}×{result.original.shape[1]}")
    _image(axes[1], np.clip(result.reference, 0, 1), f"ideal low-pass {h}×{w}")
    for ax, (name, image) in zip(axes[2:], result.resized.items()):
        _image(ax, image, f"{name}\nerror (RMSE) {result.rmse[name]:.3f}")
    return fig


def plot_augmentation_gallery(result: AugmentationGallery, fig: Figure | None = None) -> Figure:
    """The original and its augmented copies in a grid of at most 5 columns."""
    n = len(result.copies) + 1
    cols = min(n, 5)
    rows = int(np.ceil(n / cols))
    fig = figure_or_new(fig, (2.0 * cols, 2.1 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    top = max(1.0, float(result.copies.max()), float(result.original.max()))
    _image(axes[0], result.original, "original", 0.0, top)
    for i, (ax, copy) in enumerate(zip(axes[1:], result.copies), start=1):
        _image(ax, copy, f"copy {i}", 0.0, top)
    for ax in axes[n:]:
        ax.axis("off")
    return fig


def plot_augmentation_comparison(result: AugmentationComparison, ax: Axes | None = None) -> Axes:
    """Validation accuracy (solid) and training accuracy (dotted) per epoch, without and with augmentation."""
    ax = axes_or_new(ax, (6.0, 3.5))
    colours = {"without": "0.35", "with": "C0"}
    for run, curves in result.curves.items():
        epochs = np.arange(1, len(curves.get("val_accuracy", [])) + 1)
        if not len(epochs):
            continue
        ax.plot(epochs, curves["val_accuracy"], color=colours[run], marker="o", ms=3, label=f"{run}: validation")
        ax.plot(epochs, curves["accuracy"], color=colours[run], ls=":", label=f"{run}: training")
    ax.axhline(0.5, color="0.6", lw=0.8)
    ax.set_ylim(0.3, 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"{result.n_train} training images · gap {result.gap:+.1%} (last 5 epochs)", fontsize=11)
    ax.legend(title="augmentation", fontsize=9, title_fontsize=9, loc="upper left", bbox_to_anchor=(1.02, 1.0),
              frameon=False)  # beside the curves, never over them
    ax.grid(alpha=0.3)
    return ax
