"""Drawing for :mod:`explainers.metrics`: the confusion matrix, the ROC curve, the scores beside τ."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from explainers._figure import axes_or_new
from explainers.boundary_plots import CLASS_COLOURS
from explainers.metrics import RocCurve, ThresholdMetrics

__all__ = ["plot_confusion", "plot_roc", "plot_score_histogram"]


_CONFUSION_NAMES = (("TP", "FN\nType II error"), ("FP\nType I error", "TN"))


def plot_confusion(result: ThresholdMetrics, ax: Axes | None = None) -> Axes:
    """The 2×2 confusion matrix at the result's threshold, laid out as lecture 002 draws it.

    Rows: actual class + then −; columns: predicted class + then −; TP top left,
    FN (Type II error) top right, FP (Type I error) bottom left, TN bottom right
    (:attr:`ThresholdMetrics.lecture_table`).
    """
    ax = axes_or_new(ax, (3.5, 3.2))
    c = result.lecture_table
    ax.imshow(c, cmap="Blues", vmin=0, vmax=max(int(c.max()), 1))
    for i in range(2):
        for j in range(2):
            dark = c[i, j] > 0.6 * c.max()
            ax.text(j, i, f"{_CONFUSION_NAMES[i][j]}\n{c[i, j]}", ha="center", va="center",
                    fontsize=13 if i == j else 11, color="white" if dark else "black")
    ax.set_xticks([0, 1], ["+", "−"], fontsize=13)
    ax.set_yticks([0, 1], ["+", "−"], fontsize=13)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("actual class")
    ax.xaxis.set_label_position("top")
    ax.xaxis.tick_top()
    ax.set_title(f"positive if ŷ > τ = {result.threshold:.2f}", fontsize=10)
    return ax


def plot_roc(result: RocCurve, ax: Axes | None = None, *, point: ThresholdMetrics | None = None) -> Axes:
    """ROC curve with its AUC; ``point`` marks the operating point at its threshold."""
    ax = axes_or_new(ax, (4.0, 4.0))
    ax.plot(result.fpr, result.tpr, lw=2, label=f"ROC (AUC = {result.auc:.3f})")
    ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="guessing")
    if point is not None:
        ax.plot([point.fpr], [point.tpr], "o", ms=10, color="crimson",
                label=f"τ = {point.threshold:.2f}: TPR {point.tpr:.2f}, FPR {point.fpr:.2f}")
    ax.set_xlabel("false positive rate (1 − specificity)")
    ax.set_ylabel("true positive rate (sensitivity)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_score_histogram(result: ThresholdMetrics, ax: Axes | None = None) -> Axes:
    """Scores of each class with the threshold τ as a vertical line."""
    ax = axes_or_new(ax, (4.5, 3.0))
    y, s = result.y_true, result.scores
    bins = np.linspace(0, 1, 26) if s.min() >= 0 and s.max() <= 1 else 25
    for cls, colour in enumerate(CLASS_COLOURS):
        ax.hist(s[y == cls], bins=bins, alpha=0.6, color=colour, label=f"class {cls}")
    ax.axvline(result.threshold, color="crimson", lw=2, label=f"τ = {result.threshold:.2f}")
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("patients")
    ax.legend(fontsize=8)
    return ax
