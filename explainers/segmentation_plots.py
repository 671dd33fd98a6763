"""Drawing for :mod:`explainers.segmentation`: overlays, prediction panels, curves, decoder grids.

What this shows: where the network's mask lies on the image, how it compares
with the truth, and how the overlap scores grow while it trains.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from explainers.segmentation import (
    DiceTable, FeatureMaps, ImbalanceTrap, SegmentationSnapshot, SkipComparison, UpsamplingDemo,
)

TRUE_COLOUR = "#2ca02c"  # green: the true mask
PRED_COLOUR = "#d62728"  # red: the prediction


def _axes(ax, w=4.0, h=4.0):
    return Figure(figsize=(w, h), layout="constrained").subplots() if ax is None else ax


def _axes_grid(axes, rows, cols, w, h):
    if axes is None:
        axes = Figure(figsize=(w, h), layout="constrained").subplots(rows, cols, squeeze=False)
    axes = np.asarray(axes, dtype=object).reshape(rows, cols)
    return axes


def _image(ax, a, title=None, cmap="gray", vmin=0.0, vmax=1.0):
    ax.imshow(np.asarray(a), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def plot_overlay(image, mask_true=None, mask_pred=None, ax=None, title: str | None = None):
    """The image in grey, the true mask's outline in green and the prediction in red.

    Args:
        image: (H, W[, 1]) grey image.
        mask_true: optional (H, W[, 1]) 0/1 mask, drawn as a green outline.
        mask_pred: optional probability map or mask; filled red where >= 0.5,
            with a red outline.
        ax: Axes to draw on (a new Figure's when None).
    """
    ax = _axes(ax)
    img = np.squeeze(np.asarray(image, dtype=float))
    _image(ax, img, title, vmin=float(img.min()), vmax=float(max(img.max(), img.min() + 1e-6)))
    if mask_pred is not None:
        p = np.squeeze(np.asarray(mask_pred, dtype=float)) >= 0.5
        fill = np.zeros((*p.shape, 4))
        fill[p] = (0.84, 0.15, 0.16, 0.35)
        ax.imshow(fill, interpolation="nearest")
        if p.any() and not p.all():
            ax.contour(p.astype(float), levels=[0.5], colors=PRED_COLOUR, linewidths=1.2)
    if mask_true is not None:
        t = np.squeeze(np.asarray(mask_true, dtype=float))
        if t.any() and not t.all():
            ax.contour(t, levels=[0.5], colors=TRUE_COLOUR, linewidths=1.4)
    return ax


def plot_segmentation_panels(snapshot: SegmentationSnapshot, axes=None):
    """One row per validation image: input, true mask, probability map, thresholded mask over the image.

    Args:
        snapshot: from :class:`explainers.segmentation.SegmentationMonitor`.
        axes: an (n, 4) array of Axes, or None for a new Figure.

    Returns:
        The (n, 4) array of Axes.
    """
    n = len(snapshot.images)
    axes = _axes_grid(axes, n, 4, 8.0, 2.1 * n)
    for i in range(n):
        first = i == 0
        _image(axes[i, 0], snapshot.images[i], "input" if first else None)
        _image(axes[i, 1], snapshot.masks[i], "true mask" if first else None)
        _image(axes[i, 2], snapshot.probs[i], "probability" if first else None, cmap="magma")
        plot_overlay(snapshot.images[i], snapshot.masks[i], snapshot.probs[i] >= snapshot.threshold,
                     ax=axes[i, 3], title=f"p ≥ {snapshot.threshold:g}" if first else None)
        axes[i, 3].set_xlabel(f"Dice {snapshot.dice[i]:.3f} · IoU {snapshot.iou[i]:.3f}", fontsize=8)
    if snapshot.epoch:
        axes[0, 0].figure.suptitle(f"Validation images after epoch {snapshot.epoch} "
                                   f"(green: true outline, red: prediction)", fontsize=10)
    return axes


def plot_scores(epochs, dice, iou, ax=None, train_dice=None):
    """Validation Dice and IoU per epoch (and the soft training Dice when given)."""
    ax = _axes(ax, 5, 3)
    ax.plot(epochs, dice, marker="o", ms=3, label="val Dice")
    ax.plot(epochs, iou, marker="s", ms=3, label="val IoU")
    if train_dice is not None and len(train_dice):
        ax.plot(epochs[:len(train_dice)], train_dice, ls="--", label="train soft Dice (epoch mean)")
    ax.axhline(0.9, color="grey", lw=0.8, ls=":")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("epoch")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Overlap with the true masks")
    ax.grid(alpha=0.3)
    if len(epochs):
        ax.legend(loc="lower right")
    return ax


def plot_dice_table(table: DiceTable, axes=None):
    """Prediction, target and their product as annotated heatmaps (the lecture's three matrices)."""
    axes = _axes_grid(axes, 1, 3, 8.0, 2.9)[0]
    for ax, a, title in zip(axes, (table.prediction, table.target, table.product),
                            ("prediction (A)", "target (B)", f"A·B, sum = {table.intersection:.2f}")):
        ax.imshow(a, cmap="Blues", vmin=0, vmax=1)
        for (r, c), v in np.ndenumerate(a):
            ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=8, color="white" if v > 0.6 else "black")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    return axes


def plot_imbalance(trap: ImbalanceTrap, ax=None):
    """Pixel accuracy against Dice and IoU for each prediction: the class-imbalance trap."""
    ax = _axes(ax, 6, 3)
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


def plot_upsampling(demo: UpsamplingDemo, axes=None):
    """Input grid, kernel, Keras' output and how many kernel taps reach each output pixel."""
    axes = _axes_grid(axes, 1, 4, 10.0, 2.9)[0]
    panels = ((demo.grid, f"input {demo.grid.shape[0]}×{demo.grid.shape[1]}"),
              (demo.kernel, f"kernel {demo.kernel.shape[0]}×{demo.kernel.shape[1]}"),
              (demo.output, f"output {demo.output.shape[0]}×{demo.output.shape[1]}"),
              (demo.overlap, "taps per output pixel"))
    for ax, (a, title) in zip(axes, panels):
        flat = float(a.max()) == float(a.min())  # a constant panel (e.g. all-ones kernel): mid colour
        ax.imshow(a, cmap="viridis", interpolation="nearest",
                  vmin=float(a.min()) - 1 if flat else None, vmax=float(a.max()) + 1 if flat else None)
        if a.size <= 100:
            lo, hi = float(a.min()), float(a.max())
            for (r, c), v in np.ndenumerate(a):
                ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=7,
                        color="black" if hi > lo and (v - lo) / (hi - lo) > 0.6 else "white")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    return axes


def plot_feature_maps(fm: FeatureMaps, axes=None):
    """One row per U-Net stage (encoder → bottleneck → decoder), its most active channels."""
    n = len(fm.maps)
    k = max(m.shape[-1] for m in fm.maps)
    axes = _axes_grid(axes, n, k + 1, 1.45 * (k + 1), 1.5 * n)
    for r, (name, m, shape) in enumerate(zip(fm.names, fm.maps, fm.shapes)):
        label = f"{name}\n{shape[0]}×{shape[1]}×{shape[2]}"
        if r == 0:  # the input, with the first stage's name under it
            _image(axes[r, 0], fm.image, "input", vmin=float(fm.image.min()), vmax=float(fm.image.max()))
            axes[r, 0].set_xlabel(label, fontsize=7)
        else:
            axes[r, 0].set_axis_off()
            axes[r, 0].text(0.5, 0.5, label, transform=axes[r, 0].transAxes, ha="center", va="center",
                            fontsize=8)
        for c in range(k):
            ax = axes[r, c + 1]
            if c < m.shape[-1]:
                _image(ax, m[..., c], f"ch {fm.channels[r][c]}", cmap="viridis", vmin=None, vmax=None)
            else:
                ax.set_axis_off()
    return axes


def plot_skip_comparison(result: SkipComparison, axes=None):
    """The image with its true outline, then each model's probability map, sharpness in the titles."""
    axes = _axes_grid(axes, 1, 3, 8.0, 2.9)[0]
    plot_overlay(result.image, result.mask, ax=axes[0], title="image + true outline")
    for ax, name, p, d, s in zip(axes[1:], result.names, result.probs, result.dice, result.sharpness):
        _image(ax, p, f"{name} (green: true outline)\nDice {d:.3f} · edge |∇p| {s:.3f}", cmap="magma")
        t = np.asarray(result.mask, dtype=float)
        if t.any():  # the same green as every other panel's true outline
            ax.contour(t, levels=[0.5], colors=TRUE_COLOUR, linewidths=1.5)
    return axes
