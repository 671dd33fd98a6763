"""Thresholds and ROC curves for a binary classifier's scores (lecture 003).

What this shows: a classifier outputs a probability; the threshold τ turns it
into a decision, the lecture's rule: positive if ŷ > τ, negative if ŷ ≤ τ.
Moving τ trades true positives for false positives, which the ROC curve draws
for every τ at once (its area, AUC, does not depend on τ).

NumPy only; the results equal scikit-learn's ``confusion_matrix``,
``roc_curve(drop_intermediate=False)`` and ``roc_auc_score``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models._arguments import ArgumentError, check_float

__all__ = ["ThresholdMetrics", "RocCurve", "compute_threshold_metrics", "compute_roc"]


@dataclass(frozen=True)
class ThresholdMetrics:
    """Counts and rates at one threshold (prediction = score > threshold, lecture 003's rule).

    Attributes:
        threshold: τ.
        confusion: ``[[TN, FP], [FN, TP]]`` (rows: true class 0/1, as scikit-learn);
            :attr:`lecture_table` is the same counts laid out as lecture 002 draws them.
        tpr: sensitivity TP / (TP + FN).
        fpr: FP / (FP + TN) = 1 - specificity.
        accuracy: (TP + TN) / n.
        precision: TP / (TP + FP) (0 when nothing is predicted positive).
        y_true: ``(n,)`` the labels, int64 in {0, 1}.
        scores: ``(n,)`` the scores, float64 (drawn as a histogram beside τ).
    """

    threshold: float
    confusion: np.ndarray
    tpr: float
    fpr: float
    accuracy: float
    precision: float
    y_true: np.ndarray
    scores: np.ndarray

    @property
    def specificity(self) -> float:
        """TN / (TN + FP)."""
        return 1.0 - self.fpr

    @property
    def lecture_table(self) -> np.ndarray:
        """``[[TP, FN], [FP, TN]]``: lecture 002's layout, actual class + / − in the rows, predicted
        + / − in the columns, TP top left; FN is the Type II error, FP the Type I error."""
        (tn, fp), (fn, tp) = self.confusion
        return np.array([[tp, fn], [fp, tn]], dtype=np.int64)


@dataclass(frozen=True)
class RocCurve:
    """The ROC curve: one (fpr, tpr) point per distinct score used as threshold.

    Attributes:
        fpr, tpr: ``(k,)`` rates, starting at (0, 0).
        thresholds: ``(k,)`` thresholds, the first ``inf`` (nothing positive).
        auc: area under the curve (trapezoids), = P(score of a positive > score of a negative).
    """

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    auc: float


def _labels_and_scores(y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if y.ndim != 1 or s.ndim != 1 or len(y) != len(s):
        raise ArgumentError(f"y_true and scores must be 1-D and of equal length, got shapes {y.shape} and {s.shape}")
    if len(y) == 0:
        raise ArgumentError("y_true must hold at least one sample, got shape (0,)")
    values = set(np.unique(y).tolist())
    if not values <= {0, 1, True, False}:
        raise ArgumentError(f"y_true must hold only 0 and 1, got values {sorted(values)[:5]}")
    if not np.all(np.isfinite(s)):
        raise ArgumentError("scores contain NaN or inf: check the model's output (did training diverge?)")
    return y.astype(np.int64), s


def compute_threshold_metrics(y_true: Any, scores: Any, threshold: float = 0.5) -> ThresholdMetrics:
    """Confusion matrix, TPR, FPR and accuracy when predicting ``score > threshold``.

    What this shows: the same model gives different errors at a different τ.
    The rule is lecture 003's: ŷ = 1 (positive) if σ(z) > τ, 0 (negative) if
    σ(z) ≤ τ, so a score equal to τ is negative.

    Args:
        y_true: ``(n,)`` labels in {0, 1}.
        scores: ``(n,)`` scores or probabilities (higher = more likely class 1).
        threshold: τ; samples with ``score > threshold`` are predicted positive.

    Returns:
        A :class:`ThresholdMetrics` (it keeps ``y_true`` and ``scores`` for drawing).
    """
    y, s = _labels_and_scores(y_true, scores)
    threshold = check_float("threshold", threshold)
    pred = s > threshold  # lecture 003: positive if ŷ > τ, negative if ŷ ≤ τ
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    tn = int(np.sum(~pred & (y == 0)))
    conf = np.array([[tn, fp], [fn, tp]], dtype=np.int64)
    tpr = tp / (tp + fn) if tp + fn else 0.0
    fpr = fp / (fp + tn) if fp + tn else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    return ThresholdMetrics(threshold, conf, float(tpr), float(fpr), (tp + tn) / len(y), float(precision), y, s)


def compute_roc(y_true: Any, scores: Any) -> RocCurve:
    """The ROC curve and its AUC, every distinct score taken as a threshold.

    What this shows: all thresholds at once; the diagonal is guessing, the
    top-left corner a perfect test.

    Args:
        y_true: ``(n,)`` labels in {0, 1}, both classes present.
        scores: ``(n,)`` scores.

    Returns:
        A :class:`RocCurve` equal to ``sklearn.metrics.roc_curve(y, s,
        drop_intermediate=False)`` with AUC equal to ``roc_auc_score``. The
        operating point of :func:`compute_threshold_metrics` at any τ
        (positive if score > τ) is one of its points: the one at the
        smallest score above τ.
    """
    y, s = _labels_and_scores(y_true, scores)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ArgumentError(f"y_true needs both classes for a ROC curve, got {n_pos} positives and "
                            f"{n_neg} negatives")
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    # The last index of each run of equal scores: thresholds between distinct scores.
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s_sorted) - 1]
    tps = np.cumsum(y_sorted)[last]
    fps = (last + 1) - tps
    tpr = np.r_[0.0, tps / n_pos]
    fpr = np.r_[0.0, fps / n_neg]
    thresholds = np.r_[np.inf, s_sorted[last]]
    auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))
    return RocCurve(fpr, tpr, thresholds, auc)
