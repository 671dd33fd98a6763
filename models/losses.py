"""Soft Dice: the overlap measure of segmentation, usable as a metric and a loss.

What this shows: Dice = 2|A∩B| / (|A| + |B|) rewards overlap with the lesion,
whatever its size, where pixel accuracy rewards predicting "all background".
"""
from __future__ import annotations

import keras
from keras import ops

__all__ = ["dice_coefficient", "dice_loss", "bce_dice_loss"]

_EPS = 1e-6


def _dice(y_true, y_pred, squared: bool, smooth: float):
    y_true = ops.cast(y_true, "float32")
    y_pred = ops.cast(y_pred, "float32")
    axes = tuple(range(1, len(y_pred.shape)))  # every axis but the batch
    intersection = ops.sum(y_true * y_pred, axis=axes)
    if squared:
        total = ops.sum(ops.square(y_true), axis=axes) + ops.sum(ops.square(y_pred), axis=axes)
    else:
        total = ops.sum(y_true, axis=axes) + ops.sum(y_pred, axis=axes)
    return (2.0 * intersection + smooth) / (total + smooth)


@keras.saving.register_keras_serializable(package="medlens")
def dice_coefficient(y_true, y_pred, squared: bool = False, smooth: float = _EPS):
    """Soft Dice per image: 2·Σ(t·p) / (Σt + Σp), over all axes but the batch.

    Args:
        y_true: target masks, shape (batch, ...), values in {0, 1}.
        y_pred: predicted probabilities, same shape.
        squared: use Σt² + Σp² in the denominator (the lecture's "optional" squares).
        smooth: added to numerator and denominator so two empty masks score 1.

    Returns:
        A (batch,) tensor; Keras averages it when used as a metric.
    """
    return _dice(y_true, y_pred, squared, smooth)


@keras.saving.register_keras_serializable(package="medlens")
def dice_loss(y_true, y_pred):
    """1 − soft Dice, per image: differentiable, insensitive to class imbalance."""
    return 1.0 - _dice(y_true, y_pred, False, _EPS)


@keras.saving.register_keras_serializable(package="medlens")
def bce_dice_loss(y_true, y_pred):
    """Pixel-wise binary cross-entropy plus soft Dice loss (a common, stable mix)."""
    bce = keras.losses.binary_crossentropy(ops.cast(y_true, "float32"), y_pred)
    bce = ops.mean(bce, axis=tuple(range(1, len(bce.shape))))
    return bce + dice_loss(y_true, y_pred)
