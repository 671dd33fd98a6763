"""Drawing for :mod:`explainers.segmentation`: overlays, prediction panels, curves, the Dice table.

What this shows: where the network's mask lies on the image, how it compares
with the truth, and how the overlap scores grow while it trains.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explainers._figure import axes_or_new, figure_or_new
from explainers.segmentation import (
    DiceTable, ImbalanceTrap, MaskPrediction, ScoreHistory, SegmentationSnapshot, SkipComparison,
)

__all__ = [
    "TRUE_COLOUR", "PRED_COLOUR",
    "plot_overlay", "plot_segmentation_panels", "plot_scores", "plot_dice_table", "plot_imbalance",
    "plot_skip_comparison",
]

TRUE_COLOUR = "#2ca02c"  # green: the true mask
PRED_COLOUR = "#d62728"  # red: the prediction


def _image(ax: Axes, a: np.ndarray, title: str | None = None, cmap: str = "gray",
           vmin: float | None = 0.0, vmax: float | None = 1.0) -> None:
    ax.imshow(np.asarray(a), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def _true_outline(ax: Axes, mask: np.ndarray, linewidth: float = 1.4) -> None:
    t = np.squeeze(np.asarray(mask, dtype=float))
    if t.any() and not t.all():
        ax.contour(t, levels=[0.5], colors=TRUE_COLOUR, linewidths=linewidth)


def _overlay(ax: Axes, image: np.ndarray, mask_true: np.ndarray | None, predicted: np.ndarray | None,
             title: str | None) -> None:
    """The image in grey, the true outline in green, the predicted mask (bool) filled and outlined in red."""
    img = np.squeeze(np.asarray(image, dtype=float))
    _image(ax, img, title, vmin=float(img.min()), vmax=float(max(img.max(), img.min() + 1e-6)))
    if predicted is not None:
        p = np.squeeze(np.asarray(predicted, dtype=bool))
        fill = np.zeros((*p.shape, 4))
        fill[p] = (0.84, 0.15, 0.16, 0.35)
        ax.imshow(fill, interpolation="nearest")
        if p.any() and not p.all():
            ax.contour(p.astype(float), levels=[0.5], colors=PRED_COLOUR, linewidths=1.2)
    if mask_true is not None:
        _true_outline(ax, mask_true)


def plot_overlay(result: MaskPrediction, ax: Axes | None = None, *, title: str | None = None) -> Axes:
    """The image in grey, the true mask's outline in green and the prediction in red.

    The predicted mask (``prob > threshold``, the lecture's rule) is filled red with a red outline;
    without a model (``result.prob is None``) only the image and the true outline show.
    """
    ax = axes_or_new(ax, (4.0, 4.0))
    predicted = None if result.prob is None else result.prob > result.threshold
    _overlay(ax, result.image, result.mask, predicted, title)
    return ax


def plot_segmentation_panels(snapshot: SegmentationSnapshot, fig: Figure | None = None) -> Figure:
    """One row per validation image: input, true mask, probability map, thresholded mask over the image.

    Args:
        snapshot: from :class:`explainers.segmentation.SegmentationMonitor`.
        fig: the Figure to draw the (n, 4) panels on, or None for a new one.
    """
    n = len(snapshot.images)
    fig = figure_or_new(fig, (8.0, 2.1 * n))
    axes = fig.subplots(n, 4, squeeze=False)
    for i in range(n):
        first = i == 0
        _image(axes[i, 0], snapshot.images[i], "input" if first else None)
        _image(axes[i, 1], snapshot.masks[i], "true mask" if first else None)
        _image(axes[i, 2], snapshot.probs[i], "probability" if first else None, cmap="magma")
        _overlay(axes[i, 3], snapshot.images[i], snapshot.masks[i], snapshot.probs[i] > snapshot.threshold,
                 f"p > {snapshot.threshold:g}" if first else None)
        axes[i, 3].set_xlabel(f"Dice {snapshot.dice[i]:.3f} · IoU {snapshot.iou[i]:.3f}", fontsize=8)
    if snapshot.epoch:
        fig.suptitle(f"Validation images after epoch {snapshot.epoch} "
                     f"(green: true outline, red: prediction)", fontsize=10)
    return fig


def plot_scores(history: ScoreHistory, ax: Axes | None = None) -> Axes:
    """Validation Dice and IoU per epoch (and the soft training Dice where the run logged it)."""
    ax = axes_or_new(ax, (5.0, 3.0))
    epochs = history.epochs
    ax.plot(epochs, history.dice, marker="o", ms=3, label="val Dice")
    ax.plot(epochs, history.iou, marker="s", ms=3, label="val IoU")
    if np.isfinite(history.train_dice).any():
        ax.plot(epochs, history.train_dice, ls="--", label="train soft Dice (epoch mean)")
    ax.axhline(0.9, color="grey", lw=0.8, ls=":")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("epoch")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Overlap with the true masks")
    ax.grid(alpha=0.3)
    if len(epochs):
        ax.legend(loc="lower right")
    return ax


def plot_dice_table(table: DiceTable, fig: Figure | None = None) -> Figure:
    """Prediction, target and their product as annotated heatmaps (the lecture's three matrices)."""
    fig = figure_or_new(fig, (8.0, 2.9))
    for ax, a, title in zip(fig.subplots(1, 3), (table.prediction, table.target, table.product),
                            ("prediction (A)", "target (B)", f"A·B, sum = {table.intersection:.2f}")):
        ax.imshow(a, cmap="Blues", vmin=0, vmax=1)
        for (r, c), v in np.ndenumerate(a):
            ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=8, color="white" if v > 0.6 else "black")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    return fig


def plot_imbalance(trap: ImbalanceTrap, ax: Axes | None = None) -> Axes:
    """Pixel accuracy against Dice and IoU for each prediction: the class-imbalance trap."""
    ax = axes_or_new(ax, (6.0, 3.0))
    x = np.arange(len(trap.names))
    for k, (values, label) in enumerate(((trap.pixel_accuracy, "pixel accuracy"), (trap.dice, "Dice"),
                                         (trap.iou, "IoU"))):
        bars = ax.bar(x + (k - 1) * 0.26, values, 0.26, label=label)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks(x, trap.names)
    ax.set_ylim(0, 1.12)
    ax.set_title(f"Lesion = {trap.lesion_fraction:.1%} of the pixels")
    # below the axes: inside, it hid the 0.99 bar labels
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3, frameon=False)
    return ax


def plot_skip_comparison(result: SkipComparison, fig: Figure | None = None) -> Figure:
    """The image with its true outline, then each model's probability map, sharpness in the titles."""
    fig = figure_or_new(fig, (8.0, 2.9))
    axes = fig.subplots(1, 1 + len(result.names), squeeze=False)[0]
    _overlay(axes[0], result.image, result.mask, None, "image + true outline")
    for ax, name, p, d, s in zip(axes[1:], result.names, result.probs, result.dice, result.sharpness):
        _image(ax, p, f"{name} (green: true outline)\nDice {d:.3f} · edge |∇p| {s:.3f}", cmap="magma")
        _true_outline(ax, result.mask, 1.5)  # the same green as every other panel's true outline
    return fig
