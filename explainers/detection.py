"""Object detection: boxes, IoU against Dice, non-max suppression step by step, AP and FROC.

What this shows: a detector answers *where* and *how many* with a box and a
score per finding; IoU (Jaccard's index) says how well a box fits, greedy
non-max suppression keeps one box per object, and detection is measured as
medicine measures it: precision-recall and AP at a low IoU, and FROC
(sensitivity at 1/8 to 8 false positives per image, the LUNA16 score).

Boxes are ``(x0, y0, x1, y1)`` in pixels (pixel edges: ``x1 - x0`` is the
width), one ``(k, 4)`` array per image. NumPy only, vectorised; drawing lives
in :mod:`explainers.detection_plots`, the detector and its training in
:mod:`models.detector` and :mod:`models.recipes.detection`.

Example:
    >>> import numpy as np
    >>> from explainers.detection import box_iou, non_max_suppression
    >>> a = np.array([[0, 0, 10, 10], [5, 0, 15, 10]], float)
    >>> box_iou(a, a).round(3).tolist()
    [[1.0, 0.333], [0.333, 1.0]]
    >>> non_max_suppression(a, np.array([0.9, 0.8]), iou_threshold=0.3).tolist()
    [0]
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models._arguments import ArgumentError, check_array, check_float, check_int

__all__ = [
    "MEDICAL_IOU_THRESHOLDS", "COCO_IOU_THRESHOLDS", "FROC_RATES", "HIT_CRITERION",
    "box_iou", "non_max_suppression",
    "BoxOverlap", "compute_box_overlap",
    "CandidateBoxes", "compute_candidate_boxes",
    "NmsSteps", "compute_nms_steps",
    "OperatingPoint", "DetectionMetrics", "compute_detection_metrics",
    "DetectionView", "compute_detection_view",
    "GridCells", "compute_grid_cells",
    "FourTasks", "compute_four_tasks",
    "DetectionSnapshot", "DetectionHistory", "DetectionMonitor",
]

#: IoU thresholds medical detection reports (a nodule's box is small and its edge vague: 0.1 to 0.5).
MEDICAL_IOU_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)
#: COCO's thresholds, 0.5 to 0.95 in steps of 0.05 (mAP@[.5:.95]).
COCO_IOU_THRESHOLDS = tuple(float(t) for t in np.round(np.linspace(0.5, 0.95, 10), 2))
#: False positives per image at which FROC reads the sensitivity (the LUNA16 competition's seven).
FROC_RATES = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
#: FROC's hit criterion, in words (LUNA16 counts a candidate within a nodule's radius as a hit).
HIT_CRITERION = ("a detection hits a nodule when its centre lies within the nodule's radius (half the larger "
                 "side of its box) of the nodule's centre; further detections of a nodule already hit are "
                 "neither hits nor false positives (the LUNA16 rule)")


# --------------------------------------------------------------------------- #
# boxes                                                                        #
# --------------------------------------------------------------------------- #

def _boxes(name: str, value: Any) -> np.ndarray:
    """``value`` as a ``(k, 4)`` float64 array of ``(x0, y0, x1, y1)`` boxes with x1 >= x0, y1 >= y0."""
    a = check_array(name, value, dtype="float64", min_size=0)
    if a.size == 0:
        return a.reshape(0, 4)
    if a.ndim == 1 and a.shape[0] == 4:
        a = a[None]
    if a.ndim != 2 or a.shape[1] != 4:
        raise ArgumentError(f"{name} must be a (k, 4) array of (x0, y0, x1, y1) boxes, got shape {a.shape}")
    bad = (a[:, 2] < a[:, 0]) | (a[:, 3] < a[:, 1])
    if bad.any():
        i = int(np.argmax(bad))
        raise ArgumentError(f"{name}[{i}] = {a[i].tolist()} has x1 < x0 or y1 < y0: boxes are (x0, y0, x1, y1) "
                            "with the top-left corner first")
    return a


def _scores(name: str, value: Any, n: int) -> np.ndarray:
    s = check_array(name, value, dtype="float64", min_size=0).reshape(-1)
    if s.shape[0] != n:
        raise ArgumentError(f"{name} must hold one score per box ({n}), got {s.shape[0]}")
    return s


def _score_threshold(value: Any) -> float:
    """A finite score threshold, or -inf (keep every box, TensorFlow's default)."""
    if isinstance(value, (int, float, np.floating)) and value == -math.inf:
        return -math.inf
    return check_float("score_threshold", value)


def _areas(b: np.ndarray) -> np.ndarray:
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of checked boxes, (N, M); 0 where either box has no area (as TensorFlow's NMS)."""
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a, area_b = _areas(a), _areas(b)
    union = area_a[:, None] + area_b[None, :] - inter
    ok = (area_a[:, None] > 0) & (area_b[None, :] > 0)
    return np.where(ok, inter / np.where(ok, union, 1.0), 0.0)


def box_iou(boxes_a: Any, boxes_b: Any) -> np.ndarray:
    """Intersection over union (Jaccard's index) of every box in ``boxes_a`` with every box in ``boxes_b``.

    IoU = |A ∩ B| / |A ∪ B| of the two rectangles' areas. A box without area
    (zero width or height) has IoU 0 with everything, itself included, as in
    ``tf.image.non_max_suppression``.

    Args:
        boxes_a: ``(N, 4)`` boxes ``(x0, y0, x1, y1)``.
        boxes_b: ``(M, 4)`` boxes.

    Returns:
        The ``(N, M)`` float64 IoU matrix, values in [0, 1].
    """
    return _iou(_boxes("boxes_a", boxes_a), _boxes("boxes_b", boxes_b))


def _greedy_nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, score_threshold: float,
                max_output: int | None, record: bool = False):
    """Greedy NMS; with ``record`` also who suppressed whom, with what IoU, at which step.

    Each kept box is compared only with the boxes still alive whose left edge
    lies within one box width of it (found by binary search in the boxes sorted
    by left edge): the others cannot overlap it. With boxes spread over an
    image that is a handful per step instead of all of them.
    """
    n = len(boxes)
    order = np.argsort(-scores, kind="stable")  # ties: the lower index first (as TensorFlow)
    order = order[scores[order] > score_threshold]
    x0, y0, x1, y1 = (np.ascontiguousarray(boxes[:, c]) for c in range(4))
    area = (x1 - x0) * (y1 - y0)
    alive = np.zeros(n, bool)
    alive[order] = True
    by_left = order[np.argsort(x0[order], kind="stable")]
    lefts = x0[by_left]
    widest = float((x1 - x0)[order].max()) if order.size else 0.0
    keep: list[int] = []
    by = np.full(n, -1, np.int64)
    with_iou = np.zeros(n)
    at_step = np.full(n, -1, np.int64)
    for i in order:
        if not alive[i]:
            continue
        if max_output is not None and len(keep) >= max_output:
            break
        alive[i] = False
        if record:
            at_step[i] = len(keep)
        keep.append(int(i))
        if area[i] <= 0:  # a box without area overlaps nothing (IoU 0, as TensorFlow)
            continue
        lo, hi = np.searchsorted(lefts, (x0[i] - widest, x1[i]), side="left")
        rest = by_left[lo:hi]
        rest = rest[alive[rest]]
        if not rest.size:
            continue
        w = np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest])
        h = np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest])
        inter = np.maximum(w, 0.0) * np.maximum(h, 0.0)
        ar = area[rest]
        with np.errstate(invalid="ignore", divide="ignore"):
            ious = np.where(ar > 0, inter / (area[i] + ar - inter), 0.0)
        gone = ious > iou_threshold
        alive[rest[gone]] = False
        if record:
            by[rest[gone]], with_iou[rest[gone]], at_step[rest[gone]] = i, ious[gone], len(keep) - 1
    kept = np.array(keep, dtype=np.int64)
    return (kept, by, with_iou, at_step) if record else kept


def non_max_suppression(boxes: Any, scores: Any, *, iou_threshold: float = 0.5, score_threshold: float = 0.0,
                        max_output: int | None = None) -> np.ndarray:
    """Greedy non-max suppression: the indices of the boxes kept, highest score first.

    Take the highest-scoring box left, keep it, drop every remaining box whose
    IoU with it is above ``iou_threshold``; repeat until no box is left. Boxes
    scoring ``score_threshold`` or less are dropped first. The same answer as
    ``tf.image.non_max_suppression`` (ties in score: the lower index first).

    Args:
        boxes: ``(N, 4)`` boxes ``(x0, y0, x1, y1)``.
        scores: ``(N,)`` scores.
        iou_threshold: a box is suppressed when its IoU with a kept box is above this.
        score_threshold: boxes with a score at or below this are never kept (``-math.inf``: none dropped).
        max_output: keep at most this many (``None``: no limit).

    Returns:
        ``(K,)`` int64 indices into ``boxes``.
    """
    b = _boxes("boxes", boxes)
    s = _scores("scores", scores, len(b))
    iou_threshold = check_float("iou_threshold", iou_threshold, low=0.0, high=1.0)
    score_threshold = _score_threshold(score_threshold)
    if max_output is not None:
        max_output = check_int("max_output", max_output, low=0)
    return _greedy_nms(b, s, iou_threshold, score_threshold, max_output)


# --------------------------------------------------------------------------- #
# IoU by hand                                                                  #
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class BoxOverlap:
    """Two boxes, their intersection and union counted, IoU (Jaccard) beside Dice.

    ``intersection`` is the overlap's box (zeros when they do not meet); areas are
    in pixels². Dice = 2|A∩B| / (|A| + |B|) = 2 IoU / (1 + IoU): the same overlap,
    always at least IoU (equal only at 0 and 1).
    """

    box_a: np.ndarray
    box_b: np.ndarray
    intersection: np.ndarray
    area_a: float
    area_b: float
    area_intersection: float
    area_union: float
    iou: float
    dice: float
    size: int


def compute_box_overlap(box_a: Any, box_b: Any, *, size: int = 64) -> BoxOverlap:
    """IoU and Dice of two boxes, with the areas that make them.

    What this shows: IoU (Jaccard's index) and Dice measure the same overlap on
    different scales; two boxes half overlapping have IoU 1/3 but Dice 1/2, so a
    threshold "IoU ≥ 0.5" is stricter than it sounds.

    Args:
        box_a, box_b: ``(x0, y0, x1, y1)`` each, in pixels.
        size: the side of the picture they are drawn on (for the plot).
    """
    a, b = _boxes("box_a", box_a), _boxes("box_b", box_b)
    if len(a) != 1 or len(b) != 1:
        raise ArgumentError("box_a and box_b must be one box each, (x0, y0, x1, y1)")
    a, b = a[0], b[0]
    size = check_int("size", size, low=1)
    lo, hi = np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])
    meets = bool(np.all(hi > lo))
    inter = np.concatenate([lo, hi]) if meets else np.zeros(4)
    ai = float(np.prod(hi - lo)) if meets else 0.0
    area_a, area_b = float(np.prod(a[2:] - a[:2])), float(np.prod(b[2:] - b[:2]))
    union = area_a + area_b - ai
    iou = ai / union if union > 0 else 0.0
    dice = 2 * ai / (area_a + area_b) if area_a + area_b > 0 else 0.0
    return BoxOverlap(a, b, inter, area_a, area_b, ai, union, iou, dice, size)


# --------------------------------------------------------------------------- #
# non-max suppression, step by step                                            #
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class CandidateBoxes:
    """Overlapping candidate boxes round each true box, and a few false alarms, with scores.

    ``source[i]`` is the true box candidate ``i`` was drawn round, or -1 for a false alarm.
    """

    boxes: np.ndarray
    scores: np.ndarray
    source: np.ndarray


def compute_candidate_boxes(gt_boxes: Any, *, per_box: int = 6, jitter: float = 0.2, n_false: int = 2,
                            size: int = 128, seed: int = 0) -> CandidateBoxes:
    """What a detector proposes before NMS: several shifted, rescaled boxes round each nodule.

    What this shows: a detector fires at every position near an object, so each
    nodule gets a cluster of overlapping boxes (the best-fitting scores highest);
    NMS must keep one per cluster without merging neighbouring nodules.

    Args:
        gt_boxes: ``(k, 4)`` true boxes.
        per_box: candidates per true box (>= 1).
        jitter: shift and size change as a fraction of the box's side (0 to 1).
        n_false: false alarms placed at random (>= 0).
        size: image side in pixels (where false alarms may fall).
        seed: random seed.
    """
    gt = _boxes("gt_boxes", gt_boxes)
    per_box = check_int("per_box", per_box, low=1, high=50)
    jitter = check_float("jitter", jitter, low=0.0, high=1.0)
    n_false = check_int("n_false", n_false, low=0, high=100)
    size = check_int("size", size, low=8)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    boxes, scores, source = [], [], []
    for j, g in enumerate(gt):
        w, h = g[2] - g[0], g[3] - g[1]
        cx, cy = (g[0] + g[2]) / 2, (g[1] + g[3]) / 2
        shift = rng.uniform(-jitter, jitter, (per_box, 2)) * [w, h]
        scale = np.exp(rng.uniform(-jitter, jitter, (per_box, 2)))
        shift[0], scale[0] = 0.3 * shift[0], 1.0 + 0.3 * (scale[0] - 1.0)  # one close fit
        nw, nh = w * scale[:, 0], h * scale[:, 1]
        b = np.stack([cx + shift[:, 0] - nw / 2, cy + shift[:, 1] - nh / 2, cx + shift[:, 0] + nw / 2,
                      cy + shift[:, 1] + nh / 2], 1)
        fit = _iou(b, g[None])[:, 0]
        boxes.append(b)
        scores.append(np.clip(0.35 + 0.6 * fit + rng.normal(0, 0.05, per_box), 0.01, 0.99))
        source.append(np.full(per_box, j))
    if n_false:
        side = rng.uniform(size / 20, size / 8, n_false)
        x0, y0 = rng.uniform(0, size - side), rng.uniform(0, size - side)
        boxes.append(np.stack([x0, y0, x0 + side, y0 + side], 1))
        scores.append(rng.uniform(0.3, 0.6, n_false))
        source.append(np.full(n_false, -1))
    if not boxes:
        return CandidateBoxes(np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64))
    return CandidateBoxes(np.clip(np.concatenate(boxes), 0, size), np.concatenate(scores).round(3),
                          np.concatenate(source).astype(np.int64))


@dataclass(frozen=True)
class NmsSteps:
    """Greedy NMS, recorded: which box each step kept and which boxes it suppressed, with their IoU.

    Attributes:
        boxes, scores: the candidates, ``(N, 4)`` and ``(N,)``.
        kept: ``(K,)`` indices kept, in the order kept (highest score first).
        suppressed_by: ``(N,)`` the kept box that suppressed each box, -1 if none
            (kept, or dropped by the score threshold).
        suppressed_iou: ``(N,)`` the IoU with that box (0 where none).
        step: ``(N,)`` the step (0-based) at which a box was kept or suppressed; -1
            for boxes at or below the score threshold (never considered).
        iou_threshold, score_threshold: the settings.
        image: the picture the boxes lie on (``(H, W)``) or None.
    """

    boxes: np.ndarray
    scores: np.ndarray
    kept: np.ndarray
    suppressed_by: np.ndarray
    suppressed_iou: np.ndarray
    step: np.ndarray
    iou_threshold: float
    score_threshold: float
    image: np.ndarray | None = None

    @property
    def n_steps(self) -> int:
        return len(self.kept)


def compute_nms_steps(boxes: Any, scores: Any, *, iou_threshold: float = 0.5, score_threshold: float = 0.0,
                      image: Any = None) -> NmsSteps:
    """Non-max suppression one step at a time, for the page to replay.

    What this shows: each step keeps the best box left and removes the boxes
    that overlap it by more than the IoU threshold; too low a threshold also
    removes a touching neighbour (two nodules merged into one finding), too high
    a threshold leaves duplicates of one nodule.

    Args:
        boxes, scores, iou_threshold, score_threshold: as :func:`non_max_suppression`.
        image: the picture the boxes lie on, ``(H, W)`` or ``(H, W, 1)`` (drawn under them).
    """
    b = _boxes("boxes", boxes)
    s = _scores("scores", scores, len(b))
    iou_threshold = check_float("iou_threshold", iou_threshold, low=0.0, high=1.0)
    score_threshold = _score_threshold(score_threshold)
    img = None
    if image is not None:
        img = check_array("image", image, ndim=(2, 3))
        img = img[..., 0] if img.ndim == 3 else img
    kept, by, with_iou, at_step = _greedy_nms(b, s, iou_threshold, score_threshold, None, record=True)
    return NmsSteps(b, s, kept, by, with_iou, at_step, iou_threshold, score_threshold, img)


# --------------------------------------------------------------------------- #
# AP (as COCOeval) and FROC (as LUNA16)                                        #
# --------------------------------------------------------------------------- #

def _per_image(name: str, value: Any, n: int | None = None) -> list[np.ndarray]:
    if isinstance(value, np.ndarray) and value.dtype != object and value.ndim != 3:
        raise ArgumentError(f"{name} must be a list with one array per image, got one array of shape {value.shape}")
    try:
        items = list(value)
    except TypeError:
        raise ArgumentError(f"{name} must be a list with one array per image, got {type(value).__name__}") from None
    if n is not None and len(items) != n:
        raise ArgumentError(f"{name} must hold one entry per image ({n}), got {len(items)}")
    return items


@dataclass(frozen=True)
class OperatingPoint:
    """One score threshold's counts: detections at or above it, matched at each IoU threshold.

    ``tp``, ``fp``, ``precision``, ``recall`` are ``(T,)`` (one per IoU
    threshold); ``fn = n_gt - tp``. FROC's view of the same threshold:
    ``sensitivity`` and ``fps_per_image`` with the centre-in-radius hit rule.
    """

    score_threshold: float
    iou_thresholds: np.ndarray
    detections: int
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    sensitivity: float
    fps_per_image: float


@dataclass(frozen=True)
class DetectionMetrics:
    """Precision-recall curves, AP per IoU threshold and mAP (as COCOeval), and FROC (as LUNA16).

    Attributes:
        iou_thresholds: ``(T,)``.
        scores: ``(D,)`` every detection's score, highest first (the order the
            curves run in; ties keep image order, as COCOeval).
        true_positive: ``(T, D)`` bool: detection matched a nodule at that IoU
            threshold (greedy in score order, best unmatched IoU, COCOeval's rule).
        recall, precision: ``(T, D)`` the raw curves after each detection.
        recall_grid: ``(101,)`` COCO's recall points 0, 0.01, ..., 1.
        precision_interpolated: ``(T, 101)`` the precision envelope read at them.
        ap: ``(T,)`` average precision (mean of the interpolated precision), NaN without nodules.
        map: mean of ``ap``.
        n_images, n_gt: how many images and nodules.
        froc_fps, froc_sensitivity: the FROC curve, one point per distinct score
            (false positives per image, sensitivity), thresholds high to low.
        froc_thresholds: the score at each FROC point.
        froc_rates: the false-positive rates read off (1/8 to 8 per image).
        froc_sensitivities: the sensitivity at each rate (the best reached with at
            most that many false positives per image).
        froc_score: their mean (the LUNA16 competition score).
        hit_criterion: FROC's hit rule in words.
        hit: ``(D,)`` bool, FROC hit of each detection (in ``scores`` order).
    """

    iou_thresholds: np.ndarray
    scores: np.ndarray
    true_positive: np.ndarray
    recall: np.ndarray
    precision: np.ndarray
    recall_grid: np.ndarray
    precision_interpolated: np.ndarray
    ap: np.ndarray
    map: float
    n_images: int
    n_gt: int
    froc_fps: np.ndarray
    froc_sensitivity: np.ndarray
    froc_thresholds: np.ndarray
    froc_rates: np.ndarray
    froc_sensitivities: np.ndarray
    froc_score: float
    hit_criterion: str
    hit: np.ndarray
    nodule_best_score: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    def ap_at(self, iou_threshold: float) -> float:
        """AP at one of the IoU thresholds."""
        i = np.flatnonzero(np.isclose(self.iou_thresholds, iou_threshold))
        if not i.size:
            raise ArgumentError(f"iou_threshold must be one of {self.iou_thresholds.tolist()}, got {iou_threshold}")
        return float(self.ap[i[0]])

    def at_score(self, score_threshold: float) -> OperatingPoint:
        """The operating point of keeping detections scoring ``score_threshold`` or more."""
        s = check_float("score_threshold", score_threshold)
        k = int(np.sum(self.scores >= s))
        tp = self.true_positive[:, :k].sum(1)
        fp = k - tp
        precision = tp / k if k else np.full(len(tp), np.nan)  # no detection: precision undefined
        recall = tp / self.n_gt if self.n_gt else np.full(len(tp), np.nan)
        found = int(np.sum(self.nodule_best_score >= s))
        false = int(np.sum(~self.hit[:k]))
        return OperatingPoint(s, self.iou_thresholds, k, tp, fp, self.n_gt - tp, precision, recall,
                              found / self.n_gt if self.n_gt else math.nan, false / max(self.n_images, 1))


def _coco_matches(gt: np.ndarray, dt: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """COCOeval's greedy matching of one image's detections (score order): ``(T, D)`` bool.

    Each detection in turn takes the unmatched nodule of highest IoU at or above
    the threshold (ties: the last such nodule, as COCOeval's loop); all
    thresholds are matched at once, one detection at a time.
    """
    n_t = len(thresholds)
    tp = np.zeros((n_t, len(dt)), bool)
    if not len(gt) or not len(dt):
        return tp
    ious = _iou(dt, gt)
    limits = np.minimum(thresholds, 1 - 1e-10)[:, None]  # (T, 1)
    free = np.ones((n_t, len(gt)), bool)
    rows = np.arange(n_t)
    last = len(gt) - 1
    for d in range(len(dt)):
        ok = free & (ious[d] >= limits)  # (T, G)
        if not ok.any():
            continue
        score = np.where(ok, ious[d], -1.0)[:, ::-1]  # reversed: argmax finds the last of equal IoUs
        m = last - np.argmax(score, 1)
        hit = ok.any(1)
        free[rows[hit], m[hit]] = False
        tp[hit, d] = True
    return tp


def _froc_hits(gt: np.ndarray, dt: np.ndarray) -> np.ndarray:
    """``(D, G)`` bool: detection centre within the nodule's radius of its centre."""
    if not len(gt) or not len(dt):
        return np.zeros((len(dt), len(gt)), bool)
    c_dt = (dt[:, :2] + dt[:, 2:]) / 2
    c_gt = (gt[:, :2] + gt[:, 2:]) / 2
    radius = np.maximum(gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]) / 2
    return np.linalg.norm(c_dt[:, None] - c_gt[None], axis=-1) <= radius[None]


def compute_detection_metrics(gt_boxes: Sequence[Any], pred_boxes: Sequence[Any], pred_scores: Sequence[Any], *,
                              iou_thresholds: Sequence[float] = MEDICAL_IOU_THRESHOLDS,
                              froc_rates: Sequence[float] = FROC_RATES,
                              max_detections: int = 100) -> DetectionMetrics:
    """Detection measured two ways: AP per IoU threshold (COCO's rules) and FROC (LUNA16's).

    What this shows: precision-recall and AP ask "how well placed are the
    boxes?" at each IoU threshold (medicine uses a low one: a nodule's edge is
    vague and a box roughly on it is a find); FROC asks "how many nodules are
    found for how many false alarms per image?", the question a radiologist
    reading the detector's marks cares about.

    AP follows pycocotools' COCOeval for one class and area "all": each image's
    detections by score (at most ``max_detections``), each matched to the
    unmatched nodule of highest IoU ≥ the threshold; precision made monotone
    and read at 101 recall points; AP their mean. FROC: see :data:`HIT_CRITERION`.

    Args:
        gt_boxes: one ``(k_i, 4)`` array of true boxes per image.
        pred_boxes: one ``(d_i, 4)`` array of detected boxes per image.
        pred_scores: one ``(d_i,)`` array of scores per image.
        iou_thresholds: where to compute AP (default 0.1 to 0.5;
            :data:`COCO_IOU_THRESHOLDS` for COCO's mAP@[.5:.95]).
        froc_rates: false positives per image where FROC reads the sensitivity.
        max_detections: detections kept per image, highest scores first (COCO: 100).
    """
    gts = [_boxes(f"gt_boxes[{i}]", g) for i, g in enumerate(_per_image("gt_boxes", gt_boxes))]
    n = len(gts)
    if n == 0:
        raise ArgumentError("gt_boxes must hold at least one image (an empty array for an image without nodules)")
    dts = [_boxes(f"pred_boxes[{i}]", d) for i, d in enumerate(_per_image("pred_boxes", pred_boxes, n))]
    scs = [_scores(f"pred_scores[{i}]", s, len(d)) for i, (s, d) in
           enumerate(zip(_per_image("pred_scores", pred_scores, n), dts))]
    thresholds = check_array("iou_thresholds", iou_thresholds, ndim=1, dtype="float64")
    if np.any((thresholds < 0) | (thresholds > 1)):
        raise ArgumentError(f"iou_thresholds must lie in [0, 1], got {thresholds.tolist()}")
    rates = check_array("froc_rates", froc_rates, ndim=1, dtype="float64")
    max_detections = check_int("max_detections", max_detections, low=1)
    n_t = len(thresholds)
    all_scores, all_tp, all_hit = [], [], []
    nodule_best = []
    for gt, dt, sc in zip(gts, dts, scs):
        order = np.argsort(-sc, kind="mergesort")[:max_detections]
        dt, sc = dt[order], sc[order]
        all_scores.append(sc)
        all_tp.append(_coco_matches(gt, dt, thresholds))
        hits = _froc_hits(gt, dt)
        all_hit.append(hits.any(1))
        best = np.where(hits, sc[:, None], -np.inf).max(0) if len(dt) else np.full(len(gt), -np.inf)
        nodule_best.append(best)
    scores = np.concatenate(all_scores)
    order = np.argsort(-scores, kind="mergesort")
    scores = scores[order]
    tp = np.concatenate(all_tp, 1)[:, order] if scores.size else np.zeros((n_t, 0), bool)
    hit = np.concatenate(all_hit)[order] if scores.size else np.zeros(0, bool)
    nodule_best = np.concatenate(nodule_best) if nodule_best else np.zeros(0)
    n_gt = int(sum(len(g) for g in gts))
    ctp = np.cumsum(tp, 1, dtype=np.float64)
    cfp = np.cumsum(~tp, 1, dtype=np.float64)
    recall = ctp / n_gt if n_gt else np.full(ctp.shape, np.nan)
    precision = ctp / (ctp + cfp + np.spacing(1))
    grid = np.linspace(0.0, 1.0, 101)
    interp = np.zeros((n_t, len(grid)))
    for t in range(n_t):
        if not n_gt or not scores.size:
            continue
        envelope = np.maximum.accumulate(precision[t][::-1])[::-1]
        idx = np.searchsorted(recall[t], grid, side="left")
        ok = idx < len(envelope)
        interp[t, ok] = envelope[idx[ok]]
    ap = interp.mean(1) if n_gt else np.full(n_t, np.nan)
    # FROC: one point per distinct score, thresholds high to low
    if scores.size:
        last = np.r_[np.flatnonzero(np.diff(scores) != 0), scores.size - 1]  # last detection of each score
        thr = scores[last]
        fps = np.cumsum(~hit)[last] / n
        sens = (np.sum(nodule_best[None, :] >= thr[:, None], 1) / n_gt) if n_gt else np.full(len(thr), np.nan)
    else:
        thr, fps, sens = np.zeros(0), np.zeros(0), np.zeros(0)
    at = np.array([sens[fps <= r].max() if np.any(fps <= r) else 0.0 for r in rates]) if n_gt \
        else np.full(len(rates), np.nan)
    return DetectionMetrics(thresholds, scores, tp, recall, precision, grid, interp, ap, float(np.mean(ap)), n,
                            n_gt, fps, sens, thr, rates, at, float(np.mean(at)), HIT_CRITERION, hit,
                            nodule_best)


# --------------------------------------------------------------------------- #
# one image's detections at an operating point                                 #
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class DetectionView:
    """One image with its true boxes and the detections kept at a score threshold, each judged.

    ``correct[i]``: kept detection ``i`` matches a nodule at ``iou_threshold``;
    ``found[j]``: nodule ``j`` was matched (False: missed).
    """

    image: np.ndarray
    gt_boxes: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    correct: np.ndarray
    found: np.ndarray
    ious: np.ndarray
    score_threshold: float
    iou_threshold: float
    title: str = ""


def compute_detection_view(image: Any, gt_boxes: Any, pred_boxes: Any, pred_scores: Any, *,
                           score_threshold: float = 0.3, iou_threshold: float = 0.3,
                           title: str = "") -> DetectionView:
    """Which detections on one image are right, which false alarms, which nodules missed.

    What this shows: a score threshold turns scores into findings; raise it and
    false alarms vanish but faint nodules are missed, lower it and the reverse.

    ``ious[i]`` is detection ``i``'s best IoU with any nodule.
    """
    img = check_array("image", image, ndim=(2, 3))
    img = img[..., 0] if img.ndim == 3 else img
    gt = _boxes("gt_boxes", gt_boxes)
    dt = _boxes("pred_boxes", pred_boxes)
    sc = _scores("pred_scores", pred_scores, len(dt))
    s = check_float("score_threshold", score_threshold)
    t = check_float("iou_threshold", iou_threshold, low=0.0, high=1.0)
    order = np.argsort(-sc, kind="mergesort")
    order = order[sc[order] >= s]
    dt, sc = dt[order], sc[order]
    tp = _coco_matches(gt, dt, np.array([t]))[0]
    ious = _iou(dt, gt).max(1) if len(gt) and len(dt) else np.zeros(len(dt))
    found = np.zeros(len(gt), bool)
    if len(gt) and len(dt):
        # which nodules the matched detections took (same greedy rule)
        m = _iou(dt, gt)
        free = np.ones(len(gt), bool)
        for d in range(len(dt)):
            ok = free & (m[d] >= min(t, 1 - 1e-10))
            if ok.any():
                j = np.flatnonzero(ok & (m[d] == m[d][ok].max()))[-1]
                free[j] = False
        found = ~free
    return DetectionView(img, gt, dt, sc, tp, found, ious, s, t, title)


# --------------------------------------------------------------------------- #
# grid cells and stride                                                        #
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class GridCells:
    """The detector's output grid over the image: which cell each nodule's centre falls in.

    Attributes:
        image: ``(H, W)``.
        stride: pixels per output cell.
        boxes: ``(k, 4)`` true boxes.
        cells: ``(k, 2)`` (row, col) of the cell holding each box's centre.
        shared: ``(k,)`` bool: another nodule's centre falls in the same cell
            (one cell predicts one object: one of them is lost).
        sizes: ``(k,)`` each box's larger side in pixels.
    """

    image: np.ndarray
    stride: int
    boxes: np.ndarray
    cells: np.ndarray
    shared: np.ndarray
    sizes: np.ndarray

    @property
    def grid_shape(self) -> tuple[int, int]:
        return self.image.shape[0] // self.stride, self.image.shape[1] // self.stride


def compute_grid_cells(image: Any, boxes: Any, *, stride: int = 4) -> GridCells:
    """Where a one-stage detector predicts from: one cell per ``stride`` × ``stride`` pixels.

    What this shows: each output cell predicts at most one object centred in
    it, so two nodules whose centres share a cell collide and one is lost; the
    larger the stride, the coarser the grid and the more often small,
    neighbouring nodules collide (and a nodule much smaller than a cell fills
    little of what that cell's features describe).

    Args:
        image: ``(H, W)`` or ``(H, W, 1)``.
        boxes: ``(k, 4)`` true boxes.
        stride: pixels per cell (1 to 64).
    """
    img = check_array("image", image, ndim=(2, 3))
    img = img[..., 0] if img.ndim == 3 else img
    b = _boxes("boxes", boxes)
    stride = check_int("stride", stride, low=1, high=64)
    centres = (b[:, :2] + b[:, 2:]) / 2
    cells = np.floor(centres[:, ::-1] / stride).astype(np.int64)  # (row, col)
    keys = cells[:, 0] * 100_000 + cells[:, 1]
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    shared = counts[inverse] > 1 if len(keys) else np.zeros(0, bool)
    sizes = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    return GridCells(img, stride, b, cells, shared, sizes)


# --------------------------------------------------------------------------- #
# the four tasks on one image                                                  #
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class FourTasks:
    """Classification, detection, semantic and instance segmentation of one image (lecture 002).

    Attributes:
        image: ``(H, W)``.
        class_probability: the image-level "nodule present" probability.
        boxes, scores: the detections.
        mask: ``(H, W)`` bool semantic mask.
        instances: ``(H, W)`` int32 connected components of ``mask``
            (``skimage.measure.label``, 8-connected), 0 = background.
        instance_boxes: ``(m, 4)`` each component's box.
        true_count: nodules actually in the image (None if unknown).
        mask_source: where the mask came from, in words.
        class_threshold: the image is labelled "nodule" when ``class_probability`` reaches this.
    """

    image: np.ndarray
    class_probability: float
    boxes: np.ndarray
    scores: np.ndarray
    mask: np.ndarray
    instances: np.ndarray
    instance_boxes: np.ndarray
    true_count: int | None
    mask_source: str
    class_threshold: float = 0.5

    @property
    def n_instances(self) -> int:
        return len(self.instance_boxes)


def compute_four_tasks(image: Any, *, boxes: Any, scores: Any, mask: Any, class_probability: float | None = None,
                       true_count: int | None = None, mask_source: str = "",
                       class_threshold: float = 0.5) -> FourTasks:
    """The four tasks of lecture 002's "Beyond image classification" on the same image.

    What this shows: classification gives one label for the image; detection a
    box per nodule; semantic segmentation a label per pixel; instance
    segmentation separates the pixels into objects, here by connected components,
    which merges touching nodules that detection keeps apart.

    Args:
        image: ``(H, W)`` or ``(H, W, 1)``.
        boxes, scores: the detections (``(d, 4)``, ``(d,)``).
        mask: ``(H, W)`` or ``(H, W, 1)`` semantic mask (bool or 0/1 or a probability map, cut at 0.5).
        class_probability: "nodule present" probability; default: the highest detection score (0 if none).
        true_count: how many nodules there really are (for the caption).
        mask_source: where the mask came from, in words.
        class_threshold: the image-level label is "nodule" from this probability on.
    """
    from skimage.measure import label, regionprops

    img = check_array("image", image, ndim=(2, 3))
    img = img[..., 0] if img.ndim == 3 else img
    b = _boxes("boxes", boxes)
    s = _scores("scores", scores, len(b))
    m = check_array("mask", mask, ndim=(2, 3), dtype="float64")
    m = (m[..., 0] if m.ndim == 3 else m) >= 0.5
    if m.shape != img.shape:
        raise ArgumentError(f"mask must have the image's shape {img.shape}, got {m.shape}")
    p = float(s.max()) if class_probability is None and len(s) else (
        0.0 if class_probability is None else check_float("class_probability", class_probability, low=0.0, high=1.0))
    inst = label(m, connectivity=2).astype(np.int32)
    ib = np.array([[r.bbox[1], r.bbox[0], r.bbox[3], r.bbox[2]] for r in regionprops(inst)], float).reshape(-1, 4)
    class_threshold = check_float("class_threshold", class_threshold, low=0.0, high=1.0)
    return FourTasks(img, p, b, s, m, inst, ib, true_count, mask_source, class_threshold)


# --------------------------------------------------------------------------- #
# following a training run                                                     #
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class DetectionSnapshot:
    """A few validation images with their true boxes and the detector's boxes after an epoch."""

    epoch: int
    images: np.ndarray
    gt_boxes: tuple[np.ndarray, ...]
    boxes: tuple[np.ndarray, ...]
    scores: tuple[np.ndarray, ...]
    score_threshold: float


@dataclass(frozen=True)
class DetectionHistory:
    """Per epoch: the loss terms (training and validation) and validation AP at IoU 0.1 and 0.5."""

    epochs: np.ndarray
    losses: dict
    ap10: np.ndarray
    ap50: np.ndarray


class DetectionMonitor:
    """Observer for :func:`models.train`: validation AP per epoch and a few images' detections.

    What this shows: boxes appear on the nodules as the heatmap learns, then
    tighten as the size head learns; AP at IoU 0.1 rises before AP at 0.5.

    Args:
        x_val: validation images ``(N, H, W, 1)``.
        gt_val: one ``(k_i, 4)`` array of true boxes per validation image.
        n_show: how many (the first) validation images to keep detections for.
        show: which validation images to keep instead (indices; overrides ``n_show``).
        score_threshold: boxes drawn in the snapshot score at least this.
        decode: options for :func:`models.detector.decode_detections` (e.g. ``stride``).

    Attributes:
        epochs, ap10, ap50, losses: per-epoch lists (``losses`` maps a log name to its list).
        metrics: the latest :class:`DetectionMetrics` on the whole validation set.
        snapshot: the latest :class:`DetectionSnapshot` (None before an epoch).
        detections: the latest ``(boxes, scores)`` lists for every validation image.
    """

    def __init__(self, x_val: Any, gt_val: Sequence[Any], *, n_show: int = 3, show: Sequence[int] | None = None,
                 score_threshold: float = 0.3, batch_size: int = 64, decode: dict | None = None):
        self.x_val = check_array("x_val", x_val, ndim=4)
        self.gt_val = [_boxes(f"gt_val[{i}]", g) for i, g in enumerate(_per_image("gt_val", gt_val, len(self.x_val)))]
        self.n_show = check_int("n_show", n_show, low=1, high=len(self.x_val))
        self.show = np.arange(self.n_show) if show is None else np.array(
            [check_int("show[]", int(i) if isinstance(i, np.integer) else i, low=0, high=len(self.x_val) - 1)
             for i in show], dtype=np.int64)
        self.score_threshold = check_float("score_threshold", score_threshold, low=0.0, high=1.0)
        self.batch_size = check_int("batch_size", batch_size, low=1)
        self.decode = dict(decode or {})
        self.epochs: list[int] = []
        self.ap10: list[float] = []
        self.ap50: list[float] = []
        self.losses: dict[str, list[float]] = {}
        self.metrics: DetectionMetrics | None = None
        self.snapshot: DetectionSnapshot | None = None
        self.detections: tuple[list[np.ndarray], list[np.ndarray]] | None = None

    def evaluate(self, model: Any, epoch: int = 0) -> DetectionMetrics:
        """Detect on the validation set; keep the metrics and the shown images' snapshot."""
        from models.detector import decode_detections

        out = np.asarray(model.predict(self.x_val, batch_size=self.batch_size, verbose=0))
        boxes, scores = decode_detections(out, **self.decode)
        self.detections = (boxes, scores)
        self.metrics = compute_detection_metrics(self.gt_val, boxes, scores)
        k = self.show
        self.snapshot = DetectionSnapshot(epoch, self.x_val[k, ..., 0], tuple(self.gt_val[i] for i in k),
                                          tuple(boxes[i] for i in k), tuple(scores[i] for i in k),
                                          self.score_threshold)
        return self.metrics

    def on_epoch_end(self, progress: Any, model: Any) -> None:
        """Called by ``models.train`` after every epoch: record AP and the loss terms, refresh the snapshot."""
        metrics = self.evaluate(model, epoch=len(self.epochs) + 1)
        self.epochs.append(len(self.epochs) + 1)
        self.ap10.append(metrics.ap_at(0.1))
        self.ap50.append(metrics.ap_at(0.5))
        logs = getattr(progress, "logs", {}) or {}
        for key in set(self.losses) | {k for k in logs if "loss" in k}:
            self.losses.setdefault(key, [math.nan] * (len(self.epochs) - 1)).append(float(logs.get(key, math.nan)))

    @property
    def history(self) -> DetectionHistory:
        """The run so far, as a :class:`DetectionHistory`."""
        return DetectionHistory(np.array(self.epochs, dtype=int), {k: np.array(v) for k, v in self.losses.items()},
                                np.array(self.ap10, dtype=float), np.array(self.ap50, dtype=float))
