"""Segmentation: Dice and IoU on masks, the Dice table, the imbalance trap, what a U-Net predicts.

What this shows: a segmentation network draws a label for every pixel; Dice
and IoU score the overlap with the true mask whatever the lesion's size, where
pixel accuracy rewards "all background"; the U-Net's skips keep its edges sharp.

Compute only (NumPy and Keras); drawing lives in :mod:`explainers.segmentation_plots`.
The decoder layers are in :mod:`explainers.upsampling`, the U-Net's feature
maps in :mod:`explainers.feature_maps` (with :data:`STAGE_PATTERN`), and the
training recipe and the skip-connection run in :mod:`models.recipes`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers import _layers
from models._arguments import ArgumentError, check_array, check_float, check_int, fail

__all__ = [
    "LECTURE_PREDICTION", "LECTURE_TARGET", "STAGE_PATTERN",
    "dice_score", "iou_score", "boundary_sharpness",
    "SegmentationScores", "compute_segmentation_scores",
    "DiceTable", "compute_dice_table",
    "ImbalanceTrap", "compute_imbalance_trap",
    "MaskPrediction", "compute_mask_prediction",
    "SkipComparison", "compute_skip_comparison",
    "SegmentationSnapshot", "ScoreHistory", "SegmentationMonitor",
    "ImageMaskPair", "validate_pair",
]

# The lecture's worked example (002, "Dice loss in segmentation"): a 4×4 soft
# prediction and its target; the bottom two rows are the lesion.
LECTURE_PREDICTION = np.array([
    [0.01, 0.03, 0.02, 0.02],
    [0.05, 0.12, 0.09, 0.07],
    [0.89, 0.85, 0.88, 0.91],
    [0.99, 0.97, 0.95, 0.97],
])
LECTURE_TARGET = np.array([
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [1, 1, 1, 1],
    [1, 1, 1, 1],
], dtype=float)

# The last ReLU of every U-Net stage (``models.build_unet`` names them e.g.
# ``unet_enc1_relu2``): pass it as ``pattern=`` to
# :func:`explainers.feature_maps.compute_feature_maps` to follow a U-Net from
# encoder through bottleneck to decoder.
STAGE_PATTERN = r"_(enc\d+|bottleneck|dec\d+)_relu2$"


# --------------------------------------------------------------------------- #
# scores on masks                                                              #
# --------------------------------------------------------------------------- #

def _as_mask(name: str, a: Any, threshold: float, *, decision: bool = False) -> np.ndarray:
    """One image's mask as a 2-D bool array (a trailing channel of 1 is dropped).

    A target is binarised at ``>= threshold`` (a 0/1 mask keeps its ones); a
    prediction (``decision=True``) follows the lecture's rule: lesion if p > τ.
    """
    arr = np.asarray(a)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        fail(name, a, "a numeric array (a mask or a probability map)", f"its dtype is {arr.dtype}")
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ArgumentError(f"{name} must be one image's mask of shape (H, W) or (H, W, 1), got shape {arr.shape}; "
                            f"for a batch use compute_segmentation_scores(masks_true, masks_pred)")
    check_array(name, arr, dtype=None)  # finite
    if arr.dtype == bool:
        return arr
    return arr > threshold if decision else arr >= threshold


def _check_threshold(threshold: float) -> float:
    return check_float("threshold", threshold, low=0.0, high=1.0, low_open=True)


def _overlap(mask_true: Any, mask_pred: Any, threshold: float) -> tuple[int, int, int]:
    threshold = _check_threshold(threshold)
    t = _as_mask("mask_true", mask_true, 0.5)
    p = _as_mask("mask_pred", mask_pred, threshold, decision=True)
    if t.shape != p.shape:
        raise ArgumentError(f"mask_true has shape {t.shape} but mask_pred has shape {p.shape}; "
                            f"both must cover the same pixels")
    return int(np.sum(t & p)), int(np.sum(t)), int(np.sum(p))


def dice_score(mask_true: Any, mask_pred: Any, *, threshold: float = 0.5) -> float:
    """Dice (F1) of one image: 2|A∩B| / (|A| + |B|) on binarised masks.

    What this shows: the overlap of prediction and lesion, 1 for a perfect
    mask and 0 for no overlap, whatever the lesion's size.

    Equal to ``sklearn.metrics.f1_score(t.ravel(), p.ravel(), zero_division=1.0)``
    with ``t = mask_true >= 0.5`` and ``p = mask_pred > threshold`` (the
    lecture's decision rule: positive if p > τ).

    Args:
        mask_true: (H, W) or (H, W, 1) target, 0/1 (binarised at 0.5).
        mask_pred: same shape; a 0/1 mask or a probability map.
        threshold: pixels of ``mask_pred`` above it count as lesion (p > τ).

    Returns:
        Dice in [0, 1]. Two empty masks agree perfectly and score 1.0 (no
        lesion, none predicted); an empty target with any predicted lesion
        scores 0.0.
    """
    inter, n_true, n_pred = _overlap(mask_true, mask_pred, threshold)
    if n_true + n_pred == 0:
        return 1.0
    return 2.0 * inter / (n_true + n_pred)


def iou_score(mask_true: Any, mask_pred: Any, *, threshold: float = 0.5) -> float:
    """IoU (Jaccard) of one image: |A∩B| / |A∪B| on binarised masks.

    What this shows: a stricter overlap than Dice; IoU = Dice / (2 − Dice).

    Equal to ``sklearn.metrics.jaccard_score(t.ravel(), p.ravel(), zero_division=1.0)``;
    two empty masks score 1.0, as in :func:`dice_score`.

    Args:
        mask_true: (H, W) or (H, W, 1) target, 0/1 (binarised at 0.5).
        mask_pred: same shape; a 0/1 mask or a probability map.
        threshold: pixels of ``mask_pred`` above it count as lesion (p > τ).
    """
    inter, n_true, n_pred = _overlap(mask_true, mask_pred, threshold)
    union = n_true + n_pred - inter
    if union == 0:
        return 1.0
    return inter / union


def _as_batch(name: str, a: Any) -> np.ndarray:
    arr = check_array(name, a, ndim=(2, 3, 4))
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        fail(name, a, "masks of shape (N, H, W), (N, H, W, 1) or (H, W)", f"its shape is {np.shape(a)}")
    return arr


@dataclass(frozen=True)
class SegmentationScores:
    """Dice and IoU of every image of a batch."""

    dice: np.ndarray  # (N,) float64
    iou: np.ndarray  # (N,) float64
    threshold: float  # the binarisation threshold of the predictions

    @property
    def mean_dice(self) -> float:
        """The batch's mean Dice (what the training curves show)."""
        return float(self.dice.mean())

    @property
    def mean_iou(self) -> float:
        """The batch's mean IoU."""
        return float(self.iou.mean())


def compute_segmentation_scores(masks_true: Any, masks_pred: Any, *, threshold: float = 0.5) -> SegmentationScores:
    """Dice and IoU per image for a batch, vectorised (same rules as :func:`dice_score`).

    What this shows: how well each image's lesion is found, one number per
    image, so a few missed small lesions stand out instead of vanishing in a
    pixel average over the whole batch.

    Args:
        masks_true: (N, H, W[, 1]) 0/1 targets.
        masks_pred: same shape, masks or probabilities.
        threshold: binarisation threshold of ``masks_pred``.

    Returns:
        A :class:`SegmentationScores` with ``dice`` and ``iou``, each (N,) float64.
    """
    threshold = _check_threshold(threshold)
    t = _as_batch("masks_true", masks_true) >= 0.5
    p = _as_batch("masks_pred", masks_pred) > threshold  # the lecture's rule: lesion if p > τ
    if t.shape != p.shape:
        raise ArgumentError(f"masks_true has shape {t.shape} but masks_pred has shape {p.shape}")
    inter = (t & p).sum((1, 2)).astype(float)
    n_t, n_p = t.sum((1, 2)).astype(float), p.sum((1, 2)).astype(float)
    union = n_t + n_p - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        dice = np.where(n_t + n_p == 0, 1.0, 2 * inter / (n_t + n_p))
        iou = np.where(union == 0, 1.0, inter / union)
    return SegmentationScores(dice, iou, threshold)


def boundary_sharpness(prob: Any, mask_true: Any) -> float:
    """Mean gradient magnitude of a probability map on the true mask's boundary.

    What this shows: a sharp prediction jumps from 0 to 1 across the lesion's
    edge (≈ 0.5 per pixel with central differences); a blurry one rises slowly.

    Args:
        prob: (H, W[, 1]) probability map.
        mask_true: (H, W[, 1]) 0/1 mask; its boundary is dilation minus erosion
            (the pixels on both sides of the edge).

    Returns:
        The mean of |∇prob| over the boundary pixels (NaN for an empty mask).
    """
    from scipy import ndimage

    p = check_array("prob", prob, ndim=(2, 3), dtype="float64")
    p = p[..., 0] if p.ndim == 3 else p
    t = _as_mask("mask_true", mask_true, 0.5)
    if p.shape != t.shape:
        raise ArgumentError(f"prob has shape {p.shape} but mask_true has shape {t.shape}")
    edge = ndimage.binary_dilation(t) & ~ndimage.binary_erosion(t)
    if not edge.any():
        return math.nan
    gy, gx = np.gradient(p)
    return float(np.hypot(gy, gx)[edge].mean())


# --------------------------------------------------------------------------- #
# the lecture's Dice table                                                     #
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class DiceTable:
    """Every number of the lecture's Dice computation for one prediction/target pair."""

    prediction: np.ndarray  # (h, w) probabilities
    target: np.ndarray  # (h, w) 0/1
    product: np.ndarray  # prediction * target
    intersection: float  # Σ p·t = |A∩B|
    sum_prediction: float  # Σ p = |A|
    sum_target: float  # Σ t = |B|
    dice: float  # 2|A∩B| / (|A| + |B|)
    sum_prediction_sq: float  # Σ p²
    sum_target_sq: float  # Σ t²
    dice_squared: float  # 2|A∩B| / (Σp² + Σt²)
    dice_loss: float  # 1 − dice
    sum_background: float = 0.0  # Σ p over the target's background (t < 0.5): soft false positives
    sum_background_sq: float = 0.0  # Σ p² there
    sum_lesion: float = 0.0  # Σ p over the target's lesion (t ≥ 0.5)
    sum_lesion_sq: float = 0.0  # Σ p² there
    largest_background: float = 0.0  # the largest p on the background (0.12 in the lecture's table)


def compute_dice_table(prediction: Any = LECTURE_PREDICTION, target: Any = LECTURE_TARGET) -> DiceTable:
    """The lecture's soft-Dice computation, number by number (edit any cell).

    What this shows: Dice multiplies prediction and target pixel by pixel, sums
    the overlap and divides by the total "mass" of both. Squaring the
    denominator's terms (the lecture's "optional" squares) shrinks every soft
    probability (0.12 becomes 0.0144), while the numerator 2|A∩B| is not
    squared: the denominator falls and Dice rises (0.9368 to 0.9938 for the
    lecture's table). Soft predictions are forgiven, not punished; a confident
    0/1 prediction scores the same either way (p² = p).

    Args:
        prediction: 2-D probabilities in [0, 1] (default: the lecture's 4×4).
        target: same shape, values in [0, 1] (usually 0/1).

    Returns:
        A :class:`DiceTable`; for the defaults |A∩B| = 7.41, |A| = 7.82,
        |B| = 8, Dice = 0.9368, squared variant 0.9938; the background's
        Σp = 0.41 falls to Σp² = 0.0317, the lesion's 7.41 to 6.8815.
    """
    p = check_array("prediction", prediction, dtype="float64", finite=False, min_size=0)
    t = check_array("target", target, dtype="float64", finite=False, min_size=0)
    for name, a, value in (("prediction", p, prediction), ("target", t, target)):
        if a.ndim != 2 or a.size == 0:
            fail(name, value, "a non-empty 2-D table", f"its shape is {a.shape}")
        if not np.all(np.isfinite(a)) or a.min() < 0 or a.max() > 1:
            raise ArgumentError(f"{name} values must lie in [0, 1] (probabilities or a 0/1 mask), "
                                f"got values from {np.nanmin(a):g} to {np.nanmax(a):g}; fix the cells outside")
    if p.shape != t.shape:
        raise ArgumentError(f"prediction has shape {p.shape} but target has shape {t.shape}; they must match")
    product = p * t
    inter, sp, st = float(product.sum()), float(p.sum()), float(t.sum())
    sp2, st2 = float((p**2).sum()), float((t**2).sum())
    dice = 2 * inter / (sp + st) if sp + st > 0 else 1.0
    dice_sq = 2 * inter / (sp2 + st2) if sp2 + st2 > 0 else 1.0
    background = p[t < 0.5]
    lesion = p[t >= 0.5]
    return DiceTable(p, t, product, inter, sp, st, dice, sp2, st2, dice_sq, 1.0 - dice,
                     float(background.sum()), float((background**2).sum()), float(lesion.sum()),
                     float((lesion**2).sum()), float(background.max()) if background.size else 0.0)


# --------------------------------------------------------------------------- #
# class imbalance trap                                                         #
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class ImbalanceTrap:
    """Pixel accuracy against Dice/IoU for a few predictions of one small lesion."""

    names: tuple[str, ...]
    pixel_accuracy: np.ndarray  # (k,)
    dice: np.ndarray  # (k,)
    iou: np.ndarray  # (k,)
    bce: np.ndarray  # (k,) mean pixel-wise binary cross-entropy of the prediction
    lesion_fraction: float  # share of lesion pixels in the target


def compute_imbalance_trap(mask_true: Any, predictions: dict[str, Any] | None = None) -> ImbalanceTrap:
    """Score "all background" (and any other predictions) by pixel accuracy, Dice and IoU.

    What this shows: with a lesion covering 3 % of the image, predicting no
    lesion at all is 97 % accurate pixel by pixel, yet its Dice is 0: the
    reason segmentation is trained and judged with Dice, not accuracy.

    Args:
        mask_true: (H, W[, 1]) 0/1 target with at least one lesion pixel.
        predictions: optional ``{name: probability map}`` to add (e.g. a model's).

    Returns:
        An :class:`ImbalanceTrap` whose first rows are "all background"
        (probability 0.01 everywhere) and "all lesion" (0.99 everywhere).
    """
    t = _as_mask("mask_true", mask_true, 0.5)
    if not t.any():
        fail("mask_true", mask_true, "a mask with at least one lesion pixel",
             "it has no lesion pixels; the trap needs a (small) lesion to miss")
    preds = {"all background": np.full(t.shape, 0.01), "all lesion": np.full(t.shape, 0.99)}
    for name, pm in (predictions or {}).items():
        pm = check_array(f"predictions[{name!r}]", pm, ndim=(2, 3), dtype="float64")
        pm = pm[..., 0] if pm.ndim == 3 else pm
        if pm.shape != t.shape:
            raise ArgumentError(f"prediction {name!r} has shape {pm.shape}, expected {t.shape}")
        preds[str(name)] = pm
    acc, dice, iou, bce = [], [], [], []
    tf_ = t.astype(float)
    for pm in preds.values():
        acc.append(float(np.mean((pm > 0.5) == t)))  # the lecture's rule, as dice_score: p > τ
        dice.append(dice_score(t, pm))
        iou.append(iou_score(t, pm))
        q = np.clip(pm, 1e-7, 1 - 1e-7)
        bce.append(float(-np.mean(tf_ * np.log(q) + (1 - tf_) * np.log(1 - q))))
    return ImbalanceTrap(tuple(preds), np.array(acc), np.array(dice), np.array(iou), np.array(bce),
                         float(t.mean()))


# --------------------------------------------------------------------------- #
# one image: the model's mask against the true one                             #
# --------------------------------------------------------------------------- #

def _grey(name: str, a: Any) -> np.ndarray:
    arr = check_array(name, a, ndim=(2, 3), dtype="float64")
    if arr.ndim == 3:
        if arr.shape[-1] != 1:
            fail(name, a, "one grey image of shape (H, W) or (H, W, 1)", f"its shape is {arr.shape}")
        arr = arr[..., 0]
    return arr


@dataclass(frozen=True)
class MaskPrediction:
    """One image, its true mask and a model's probability map, with their overlap."""

    image: np.ndarray  # (H, W) the input
    mask: np.ndarray  # (H, W) the true mask, 0/1
    prob: np.ndarray | None  # (H, W) the model's probabilities; None without a model
    threshold: float  # pixels with prob > threshold are predicted lesion (the lecture's p > τ)
    dice: float  # NaN without a model
    iou: float  # NaN without a model


def compute_mask_prediction(model: Any, image: Any, mask: Any, *, threshold: float = 0.5) -> MaskPrediction:
    """What a segmentation model predicts for one image, scored against its true mask.

    What this shows: where the network puts the lesion (its probability map,
    thresholded) next to where it really is, and how much the two overlap
    (Dice, IoU) for this one picture.

    Args:
        model: a Keras model mapping (1, H, W, 1) images to (1, H, W, 1)
            probabilities (e.g. a trained ``models.build_unet``), or None to
            show the image and its true mask only (before any training).
        image: (H, W[, 1]) grey image of the model's input size.
        mask: (H, W[, 1]) 0/1 true mask of the same size.
        threshold: binarisation threshold of the probabilities.
    """
    threshold = _check_threshold(threshold)
    img = _grey("image", image)
    msk = _grey("mask", mask)
    if img.shape != msk.shape:
        raise ArgumentError(f"image has shape {img.shape} but mask has shape {msk.shape}; they must match")
    if model is None:
        return MaskPrediction(img, (msk >= 0.5).astype(float), None, threshold, math.nan, math.nan)
    prob = np.asarray(model.predict(_layers.as_batch(model, img), verbose=0), dtype=np.float64)
    prob = prob.reshape(img.shape)
    return MaskPrediction(img, (msk >= 0.5).astype(float), prob, threshold,
                          dice_score(msk, prob, threshold=threshold), iou_score(msk, prob, threshold=threshold))


# --------------------------------------------------------------------------- #
# with and without skip connections                                            #
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class SkipComparison:
    """Two segmentation models (e.g. a U-Net with and without skips) on the same validation set."""

    names: tuple[str, ...]  # e.g. ("with skips", "without skips")
    dice: np.ndarray  # (k,) mean validation Dice
    iou: np.ndarray  # (k,)
    sharpness: np.ndarray  # (k,) mean |∇p| on the true boundary, averaged over images
    params: np.ndarray  # (k,)
    image: np.ndarray  # (H, W) one validation image
    mask: np.ndarray  # (H, W)
    probs: np.ndarray  # (k, H, W) every model's probability map for it


def compute_skip_comparison(models: Sequence[Any], x_val: Any, y_val: Any, *,
                            names: Sequence[str] = ("with skips", "without skips"), show: int = 0,
                            batch_size: int = 64) -> SkipComparison:
    """Validation Dice, IoU and boundary sharpness of a few trained segmentation models.

    What this shows: without the skips the decoder must rebuild the edges from
    the coarse bottleneck alone, so the mask comes out blurred and blobby: its
    Dice is lower and its probability rises slowly across the lesion's edge.
    (:func:`models.recipes.compare_skip_connections` trains the two U-Nets.)

    Args:
        models: trained Keras models, each (N, H, W, 1) → (N, H, W, 1) probabilities.
        x_val, y_val: validation images and masks, (N, H, W, 1).
        names: one name per model.
        show: index of the validation image whose probability maps are kept.
        batch_size: prediction batch size.
    """
    xv = check_array("x_val", x_val, ndim=4)
    yv = check_array("y_val", y_val, ndim=4)
    if len(models) != len(names) or not models:
        fail("names", names, f"one name for each of the {len(models)} models")
    show = check_int("show", show, low=0, high=len(xv) - 1)
    batch_size = check_int("batch_size", batch_size, low=1)
    dice, iou, sharp, params, probs = [], [], [], [], []
    for model in models:
        p = np.asarray(model.predict(xv, batch_size=batch_size, verbose=0))[..., 0]
        scores = compute_segmentation_scores(yv, p)
        dice.append(scores.mean_dice)
        iou.append(scores.mean_iou)
        sharp.append(float(np.nanmean([boundary_sharpness(p[i], yv[i]) for i in range(len(p))])))
        params.append(model.count_params())
        probs.append(p[show])
    return SkipComparison(tuple(names), np.array(dice), np.array(iou), np.array(sharp), np.array(params),
                          xv[show, ..., 0], yv[show, ..., 0], np.stack(probs))


# --------------------------------------------------------------------------- #
# following a training run                                                     #
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class SegmentationSnapshot:
    """Predictions for a few fixed validation images after one epoch."""

    epoch: int
    images: np.ndarray  # (k, H, W)
    masks: np.ndarray  # (k, H, W)
    probs: np.ndarray  # (k, H, W)
    threshold: float
    dice: np.ndarray  # (k,)
    iou: np.ndarray  # (k,)


@dataclass(frozen=True)
class ScoreHistory:
    """Validation Dice and IoU after every epoch of a run (and the soft training Dice)."""

    epochs: np.ndarray  # (E,) 1, 2, ...
    dice: np.ndarray  # (E,) mean hard Dice over the validation set
    iou: np.ndarray  # (E,)
    train_dice: np.ndarray  # (E,) Keras' soft Dice of the training epoch (NaN where not logged)


# The monitor stays with the explainers (not with the recipe in models.recipes):
# it trains nothing. Like explainers.landscape's TrajectoryRecorder, it measures a
# model that someone else trains (the page's models.train call, the recipe, a
# script), and its results are the dataclasses the plots here draw.
class SegmentationMonitor:
    """Observer for :func:`models.train`: validation Dice/IoU per epoch and a few predictions.

    What this shows: how the predicted masks sharpen epoch by epoch and how the
    overlap scores follow.

    Args:
        x_val, y_val: validation images and masks, (N, H, W, 1).
        n_show: how many (fixed: the first) validation images to keep predictions for.
        threshold: binarisation threshold of the probability maps.
        batch_size: prediction batch size.

    Attributes:
        epochs, dice, iou, train_dice: per-epoch lists (mean hard Dice / IoU
            over ``x_val``; Keras' soft training Dice when the run logs it).
        scores: the latest :class:`SegmentationScores` of every validation image.
        snapshot: the latest :class:`SegmentationSnapshot` (None before an epoch).
    """

    def __init__(self, x_val: Any, y_val: Any, *, n_show: int = 3, threshold: float = 0.5,
                 batch_size: int = 64):
        x = check_array("x_val", x_val, ndim=4)
        y = check_array("y_val", y_val, ndim=4)
        if y.shape != x.shape[:3] + (1,):
            raise ArgumentError(f"x_val must be (N, H, W, C) and y_val (N, H, W, 1), got {x.shape} and {y.shape}")
        self.x_val, self.y_val = x, y
        self.n_show = check_int("n_show", n_show, low=1, high=len(x))
        self.threshold = _check_threshold(threshold)
        self.batch_size = check_int("batch_size", batch_size, low=1)
        self.epochs: list[int] = []
        self.dice: list[float] = []
        self.iou: list[float] = []
        self.train_dice: list[float] = []
        self.scores: SegmentationScores | None = None
        self.snapshot: SegmentationSnapshot | None = None

    def evaluate(self, model: Any, epoch: int = 0) -> SegmentationSnapshot:
        """Predict the validation set; keep per-image Dice/IoU and the shown images' snapshot."""
        probs = np.asarray(model.predict(self.x_val, batch_size=self.batch_size, verbose=0), dtype=np.float32)
        self.scores = compute_segmentation_scores(self.y_val, probs, threshold=self.threshold)
        k = self.n_show
        self.snapshot = SegmentationSnapshot(epoch, self.x_val[:k, ..., 0], self.y_val[:k, ..., 0],
                                             probs[:k, ..., 0], self.threshold,
                                             self.scores.dice[:k], self.scores.iou[:k])
        return self.snapshot

    def on_epoch_end(self, progress: Any, model: Any) -> None:
        """Called by ``models.train`` after every epoch: record the scores, refresh the snapshot."""
        self.evaluate(model, epoch=len(self.epochs) + 1)
        self.epochs.append(len(self.epochs) + 1)
        self.dice.append(self.scores.mean_dice)
        self.iou.append(self.scores.mean_iou)
        self.train_dice.append(float(getattr(progress, "logs", {}).get("dice_coefficient", math.nan)))

    @property
    def history(self) -> ScoreHistory:
        """The scores so far, as a :class:`ScoreHistory` (what :func:`plot_scores` draws)."""
        return ScoreHistory(np.array(self.epochs, dtype=int), np.array(self.dice, dtype=float),
                            np.array(self.iou, dtype=float), np.array(self.train_dice, dtype=float))


# --------------------------------------------------------------------------- #
# user image + mask                                                            #
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class ImageMaskPair:
    """An image and its mask, checked to belong together and sized for the U-Net."""

    image: np.ndarray  # (size, size, 1) float32 in [0, 1]
    mask: np.ndarray  # (size, size, 1) float32, exactly 0/1


def validate_pair(image: Any, mask: Any, *, size: int | None = 64) -> ImageMaskPair:
    """Check an image and its mask belong together; return them ready for the U-Net.

    Args:
        image: (H, W) grey image in [0, 1] (e.g. from ``models.data.load_image_bytes``).
        mask: (H, W) mask in [0, 1]: white (1) = lesion, black (0) = background.
        size: resize both to size×size (nearest for the mask); None keeps them.

    Returns:
        An :class:`ImageMaskPair`, both (size, size, 1) float32, the mask exactly 0/1.

    Raises:
        ValueError: wrong dimensions, different shapes, a mask that is not
            black and white, or a mask with no lesion (or no background).
    """
    if size is not None:
        size = check_int("size", size, low=8)
    arrays = []
    for name, value in (("image", image), ("mask", mask)):
        a = check_array(name, value, finite=False)
        if a.ndim == 3 and a.shape[-1] == 1:
            a = a[..., 0]
        if a.ndim != 2:
            raise ArgumentError(f"{name} must be a 2-D grey picture, got shape {a.shape}; "
                                f"load it with models.data.load_image_bytes")
        if not np.all(np.isfinite(a)) or a.min() < 0 or a.max() > 1:
            raise ArgumentError(f"{name} values must lie in [0, 1], got {np.nanmin(a):g} to {np.nanmax(a):g}")
        arrays.append(a)
    img, msk = arrays
    if img.shape != msk.shape:
        raise ArgumentError(f"the image is {img.shape[0]}×{img.shape[1]} pixels but the mask is "
                            f"{msk.shape[0]}×{msk.shape[1]}; upload the mask drawn on this very image (same size)")
    grey = float(np.mean((msk > 0.1) & (msk < 0.9)))
    if grey > 0.05:
        raise ArgumentError(f"the mask is not black and white: {grey:.0%} of its pixels are grey; "
                            f"save it as a binary PNG (white = lesion, black = background)")
    binary = msk >= 0.5
    if not binary.any() or binary.all():
        what = "no white (lesion)" if not binary.any() else "no black (background)"
        raise ArgumentError(f"the mask has {what} pixels; white must mark the lesion and black the rest")
    if size is not None:
        from skimage.transform import resize

        img = resize(img, (size, size), order=1, anti_aliasing=True, preserve_range=True)
        binary = resize(binary.astype(float), (size, size), order=0, anti_aliasing=False) >= 0.5
        if not binary.any():
            raise ArgumentError(f"the lesion vanishes when the mask is shrunk to {size}×{size}; "
                                f"crop the images around the lesion first")
    return ImageMaskPair(img.astype(np.float32)[..., None], binary.astype(np.float32)[..., None])
