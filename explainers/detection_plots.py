"""Drawings for :mod:`explainers.detection`: boxes on images, IoU by hand, NMS steps, PR and FROC curves.

Images are drawn with ``extent=(0, W, H, 0)``, so a box ``(x0, y0, x1, y1)`` in
pixel edges sits exactly on the pixels it covers.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from explainers._figure import axes_or_new, figure_or_new
from explainers.detection import (
    BoxOverlap, DetectionHistory, DetectionMetrics, DetectionSnapshot, DetectionView, FourTasks, GridCells,
    NmsSteps,
)

__all__ = [
    "plot_box_overlap", "plot_nms_steps", "plot_detection_view", "plot_detection_snapshot",
    "plot_detection_history", "plot_pr_curves", "plot_froc", "plot_grid_cells", "plot_four_tasks",
]

TRUE_COLOUR = "#22c55e"   # green: a true box / a correct detection
FALSE_COLOUR = "#ef4444"  # red: a false alarm / a suppressed box
MISSED_COLOUR = "#facc15"  # yellow: a nodule missed
PRED_COLOUR = "#38bdf8"   # light blue: a detection not yet judged


def _image(ax: Axes, image: np.ndarray) -> None:
    h, w = image.shape[:2]
    ax.imshow(image, cmap="gray", vmin=0, vmax=1, extent=(0, w, h, 0), interpolation="nearest")
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ax.set_xticks([])
    ax.set_yticks([])


def _box(ax: Axes, b: np.ndarray, colour: str, *, lw: float = 1.6, ls: str = "-", alpha: float = 1.0,
         fill: bool = False) -> None:
    ax.add_patch(Rectangle((b[0], b[1]), b[2] - b[0], b[3] - b[1], fill=fill, ec=colour, fc=colour if fill else
                           "none", lw=lw, ls=ls, alpha=alpha))


def plot_box_overlap(result: BoxOverlap, ax: Axes | None = None) -> Axes:
    """Two boxes on a pixel grid, their intersection filled, their union outlined, IoU and Dice counted."""
    ax = axes_or_new(ax, (4.5, 4.5))
    n = result.size
    ax.set_xlim(0, n)
    ax.set_ylim(n, 0)
    ax.set_aspect("equal")
    if n <= 40:
        ax.set_xticks(np.arange(0, n + 1, 1), minor=True)
        ax.set_yticks(np.arange(0, n + 1, 1), minor=True)
        ax.grid(which="minor", color="0.88", lw=0.5)
    _box(ax, result.box_a, "#2563eb", lw=2.2)
    _box(ax, result.box_b, "#ea580c", lw=2.2)
    _box(ax, result.box_a, "#2563eb", fill=True, alpha=0.12)
    _box(ax, result.box_b, "#ea580c", fill=True, alpha=0.12)
    if result.area_intersection > 0:
        _box(ax, result.intersection, "#7c3aed", fill=True, alpha=0.55)
    ax.text(result.box_a[0] + 0.4, result.box_a[1] + 0.4, "A", color="#2563eb", va="top", fontsize=12,
            fontweight="bold")
    ax.text(result.box_b[2] - 0.4, result.box_b[3] - 0.4, "B", color="#ea580c", ha="right", va="bottom",
            fontsize=12, fontweight="bold")
    ax.set_title(f"|A∩B| = {result.area_intersection:.0f}, |A∪B| = {result.area_union:.0f}\n"
                 f"IoU = {result.iou:.3f} · Dice = {result.dice:.3f}", fontsize=11)
    ax.tick_params(labelsize=9)
    return ax


def plot_nms_steps(result: NmsSteps, ax: Axes | None = None, *, step: int | None = None) -> Axes:
    """The candidates after ``step`` steps of greedy NMS (``None``: the end).

    Green: kept; red dashed: suppressed (labelled with the IoU that removed it);
    white thick: the box this step keeps; grey: not looked at yet.
    """
    ax = axes_or_new(ax, (5.0, 5.0))
    done = result.n_steps if step is None else max(0, min(int(step), result.n_steps))
    if result.image is not None:
        _image(ax, result.image)
    else:
        ax.set_aspect("equal")
        ax.invert_yaxis()
    current = result.kept[done - 1] if done else -1
    for i, b in enumerate(result.boxes):
        s = result.step[i]
        if s < 0 or s >= done:  # below the score threshold, or not reached yet
            _box(ax, b, "0.65", lw=0.8, alpha=0.8 if s >= 0 else 0.35, ls="-" if s >= 0 else ":")
        elif result.suppressed_by[i] >= 0:
            _box(ax, b, FALSE_COLOUR, lw=1.0, ls="--", alpha=0.9)
            if s == done - 1:
                ax.text(b[0], b[3], f"{result.suppressed_iou[i]:.2f}", color=FALSE_COLOUR, fontsize=8, va="top")
        elif i != current:
            _box(ax, b, TRUE_COLOUR, lw=2.0)
    if current >= 0:
        b = result.boxes[current]
        _box(ax, b, "white", lw=3.2)
        _box(ax, b, TRUE_COLOUR, lw=1.6)
        ax.text(b[0], b[1] - 0.5, f"{result.scores[current]:.2f}", color=TRUE_COLOUR, fontsize=9,
                fontweight="bold", va="bottom")
    removed = int(np.sum((result.suppressed_by >= 0) & (result.step < done)))
    ax.set_title(f"step {done} of {result.n_steps}: kept {done}, suppressed {removed} "
                 f"(IoU > {result.iou_threshold:.2f})", fontsize=11)
    return ax


def plot_detection_view(result: DetectionView, ax: Axes | None = None) -> Axes:
    """One image: true boxes (thin green, yellow if missed), detections (green right, red false alarm)."""
    ax = axes_or_new(ax, (4.0, 4.0))
    _image(ax, result.image)
    for b, found in zip(result.gt_boxes, result.found):
        _box(ax, b, TRUE_COLOUR if found else MISSED_COLOUR, lw=1.0, ls=":" if found else "-")
    for b, s, ok in zip(result.boxes, result.scores, result.correct):
        colour = TRUE_COLOUR if ok else FALSE_COLOUR
        _box(ax, b, colour, lw=1.8)
        ax.text(b[0], b[1] - 0.5, f"{s:.2f}", color=colour, fontsize=8, va="bottom")
    if result.title:
        ax.set_title(result.title, fontsize=10)
    return ax


def plot_detection_snapshot(result: DetectionSnapshot, fig: Figure | None = None) -> Figure:
    """The shown validation images after an epoch: true boxes green, detections above the threshold blue."""
    fig = figure_or_new(fig, (3.0 * len(result.images), 3.3))
    axes = np.atleast_1d(fig.subplots(1, len(result.images)))
    for ax, img, gt, boxes, scores in zip(axes, result.images, result.gt_boxes, result.boxes, result.scores):
        _image(ax, img)
        for b in gt:
            _box(ax, b, TRUE_COLOUR, lw=1.2, ls=":")
        keep = scores >= result.score_threshold
        for b, s in zip(boxes[keep], scores[keep]):
            _box(ax, b, PRED_COLOUR, lw=1.6)
            ax.text(b[0], b[1] - 0.5, f"{s:.2f}", color=PRED_COLOUR, fontsize=8, va="bottom")
        ax.set_title(f"{len(gt)} nodule{'s' if len(gt) != 1 else ''}, {int(keep.sum())} box"
                     f"{'es' if keep.sum() != 1 else ''}", fontsize=10)
    fig.suptitle(f"epoch {result.epoch}: green dotted = truth, blue = detections scoring ≥ "
                 f"{result.score_threshold:.2f}", fontsize=11)
    return fig


_LOSS_LABELS = {"heatmap_loss": "centre heatmap (focal)", "size_loss": "box size (L1)",
                "offset_loss": "centre offset (L1)", "loss": "total"}


def plot_detection_history(result: DetectionHistory, fig: Figure | None = None) -> Figure:
    """Left: the loss terms per epoch (training solid, validation dashed). Right: validation AP@0.1 and AP@0.5."""
    fig = figure_or_new(fig, (9.0, 3.2))
    ax_loss, ax_ap = fig.subplots(1, 2)
    colours = {}
    for key, values in sorted(result.losses.items()):
        base = key.removeprefix("val_")
        if base not in _LOSS_LABELS or not np.isfinite(values).any():
            continue
        colour = colours.setdefault(base, f"C{len(colours)}")
        ax_loss.plot(result.epochs, values, color=colour, ls="--" if key.startswith("val_") else "-", marker="o",
                     ms=3, label=_LOSS_LABELS[base] if not key.startswith("val_") else None)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_title("Loss terms (dashed: validation)", fontsize=11)
    if colours:
        ax_loss.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2, frameon=False)
    ax_ap.plot(result.epochs, result.ap10, marker="o", ms=3, label="AP @ IoU 0.1")
    ax_ap.plot(result.epochs, result.ap50, marker="s", ms=3, label="AP @ IoU 0.5")
    ax_ap.set_ylim(0, 1.02)
    ax_ap.set_xlabel("epoch")
    ax_ap.set_title("Validation AP", fontsize=11)
    ax_ap.grid(alpha=0.3)
    if len(result.epochs):
        ax_ap.legend(loc="lower right", fontsize=8)
    for ax in (ax_loss, ax_ap):
        ax.xaxis.get_major_locator().set_params(integer=True)
    return fig


def plot_pr_curves(result: DetectionMetrics, ax: Axes | None = None, *, score_threshold: float | None = None) -> Axes:
    """Precision-recall at each IoU threshold (the envelope COCO averages), AP in the legend; the operating point."""
    ax = axes_or_new(ax, (5.0, 4.0))
    colours = [f"C{i}" for i in range(len(result.iou_thresholds))]
    point = result.at_score(score_threshold) if score_threshold is not None else None
    for t, (thr, ap) in enumerate(zip(result.iou_thresholds, result.ap)):
        ax.plot(result.recall_grid, result.precision_interpolated[t], color=colours[t], lw=1.6,
                label=f"IoU {thr:.2f}: AP {ap:.3f}")
        if point is not None and point.detections:
            ax.plot(point.recall[t], point.precision[t], "o", color=colours[t], ms=7, mec="black")
    ax.set_xlim(0, 1.0)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall (nodules found)")
    ax.set_ylabel("precision")
    title = "Precision-recall"
    if point is not None:
        title += f" · dots: score ≥ {point.score_threshold:.2f}"
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    return ax


def plot_froc(result: DetectionMetrics, ax: Axes | None = None, *, score_threshold: float | None = None) -> Axes:
    """FROC: sensitivity against false positives per image (log scale), the seven LUNA16 points and their mean."""
    ax = axes_or_new(ax, (5.0, 4.0))
    rates = result.froc_rates
    fps = np.r_[0.0, result.froc_fps]
    sens = np.r_[0.0, result.froc_sensitivity]
    lo, hi = rates.min() / 2, max(rates.max() * 1.5, fps.max() if fps.size else 1.0)
    shown = np.clip(fps, lo, None)
    ax.step(shown, sens, where="post", color="C0", lw=1.6, label="FROC")
    ax.plot(rates, result.froc_sensitivities, "o", color="C1", ms=6,
            label=f"at 1/8..8 FP/image: mean {result.froc_score:.3f}")
    if score_threshold is not None:
        p = result.at_score(score_threshold)
        ax.plot(max(p.fps_per_image, lo), p.sensitivity, "D", color="black", ms=7,
                label=f"score ≥ {p.score_threshold:.2f}")
    ax.set_xscale("log", base=2)
    ax.set_xticks(rates)
    ax.set_xticklabels(["1/8", "1/4", "1/2", "1", "2", "4", "8"][:len(rates)] if len(rates) == 7
                       else [f"{r:g}" for r in rates])
    ax.set_xlim(lo, hi)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("false positives per image")
    ax.set_ylabel("sensitivity")
    ax.set_title("FROC (hit: centre within the nodule's radius)", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_grid_cells(result: GridCells, ax: Axes | None = None) -> Axes:
    """The output grid over the image; each nodule's centre and the cell that must predict it."""
    ax = axes_or_new(ax, (4.5, 4.5))
    _image(ax, result.image)
    h, w = result.image.shape
    s = result.stride
    for x in range(0, w + 1, s):
        ax.axvline(x, color="#38bdf8", lw=0.4, alpha=0.6)
    for y in range(0, h + 1, s):
        ax.axhline(y, color="#38bdf8", lw=0.4, alpha=0.6)
    for b, (r, c), shared in zip(result.boxes, result.cells, result.shared):
        colour = FALSE_COLOUR if shared else TRUE_COLOUR
        ax.add_patch(Rectangle((c * s, r * s), s, s, fc=colour, ec=colour, alpha=0.45))
        _box(ax, b, colour, lw=1.2, ls=":")
        ax.plot((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, "+", color=colour, ms=8)
    gh, gw = result.grid_shape
    ax.set_title(f"stride {s}: a {gh}×{gw} grid of cells", fontsize=11)
    return ax


def plot_four_tasks(result: FourTasks, fig: Figure | None = None) -> Figure:
    """Classification, detection, semantic and instance segmentation of one image, side by side."""
    from matplotlib import colormaps

    fig = figure_or_new(fig, (7.0, 7.4))
    axes = fig.subplots(2, 2).ravel()
    for ax in axes:
        _image(ax, result.image)
    label = "nodule" if result.class_probability >= result.class_threshold else "no nodule"
    axes[0].set_title(f"classification: {label} (p = {result.class_probability:.2f})", fontsize=11)
    for b, s in zip(result.boxes, result.scores):
        _box(axes[1], b, PRED_COLOUR, lw=1.8)
        axes[1].text(b[0], b[1] - 0.5, f"{s:.2f}", color=PRED_COLOUR, fontsize=8, va="bottom")
    axes[1].set_title(f"detection: {len(result.boxes)} box{'es' if len(result.boxes) != 1 else ''}", fontsize=11)
    overlay = np.zeros(result.mask.shape + (4,))
    overlay[result.mask] = (0.94, 0.27, 0.27, 0.6)
    axes[2].imshow(overlay, extent=(0, result.mask.shape[1], result.mask.shape[0], 0), interpolation="nearest")
    axes[2].set_title(f"semantic segmentation: {int(result.mask.sum())} pixels", fontsize=11)
    cmap = colormaps["tab10"]
    coloured = np.zeros(result.mask.shape + (4,))
    for k in range(1, result.n_instances + 1):
        coloured[result.instances == k] = (*cmap((k - 1) % 10)[:3], 0.7)
        _box(axes[3], result.instance_boxes[k - 1], cmap((k - 1) % 10), lw=1.4)
    axes[3].imshow(coloured, extent=(0, result.mask.shape[1], result.mask.shape[0], 0), interpolation="nearest")
    axes[3].set_title(f"instance segmentation: {result.n_instances} object{'s' if result.n_instances != 1 else ''}",
                      fontsize=11)
    return fig
