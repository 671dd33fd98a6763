"""A small 3-D convolutional classifier for volumes (CT, MR): the 3-D twin of :func:`models.cnn.build_cnn`."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from models._arguments import ArgumentError, check_int
from models._checks import Initializers, head

__all__ = ["build_cnn3d", "check_volume_shape"]


def check_volume_shape(input_shape: Any, min_side: int = 1, builder: str = "build_cnn3d") -> tuple[int, int, int, int]:
    """Validate (depth, height, width, channels) up front, with a message that says what to do.

    A 2-D image shape (height, width, channels) is refused with a pointer to
    the 2-D builders; a side smaller than ``min_side`` (what the pooling
    steps need) is refused with the smallest side that works.
    """
    try:
        dims = tuple(int(v) for v in input_shape)
    except (TypeError, ValueError):
        raise ArgumentError(
            f"input_shape must be (depth, height, width, channels) of a volume, e.g. (32, 32, 32, 1); "
            f"got {input_shape!r}") from None
    if len(dims) != 4:
        hint = (" That is a 2-D image shape (height, width, channels): use models.build_cnn or "
                "models.build_unet for images, or add the depth axis for a volume."
                if len(dims) == 3 else "")
        raise ArgumentError(
            f"{builder} needs input_shape (depth, height, width, channels) of a volume, e.g. (32, 32, 32, 1); "
            f"got {input_shape!r} with {len(dims)} axes.{hint}")
    d, h, w, c = dims
    if min(d, h, w) < min_side or c < 1:
        raise ArgumentError(
            f"input_shape {input_shape!r} is too small: depth, height and width must each be >= {min_side} "
            f"(every pooling step halves them) and channels >= 1; use a larger volume or fewer stages")
    return d, h, w, c


def build_cnn3d(
    input_shape: tuple[int, int, int, int] = (32, 32, 32, 1),
    n_classes: int = 2,
    filters: Sequence[int] = (8, 16),
    kernel_size: int = 3,
    *,
    dense_units: int = 16,
    batch_norm: bool = True,
    seed: int | None = None,
    name: str = "cnn3d",
) -> keras.Model:
    """Conv3D + ReLU + 3-D max pooling per stage, then global max pooling and a dense head.

    What this shows: a 3-D kernel (F×F×F voxels) sees a nodule as a sphere
    across neighbouring slices, where a 2-D kernel sees one slice of it; the
    price is F times the weights per kernel and F times the work per voxel.
    Global *max* pooling asks "is the pattern anywhere in the volume?".

    The default (filters 8, 16; 16 dense units) has 4,057 weights and trains an
    epoch of 256 volumes of 32³ in a few seconds on a 2-core CPU.

    Args:
        input_shape: (depth, height, width, channels); each of depth, height and
            width at least 2**len(filters).
        n_classes: 2 or more; 2 gives one sigmoid output, more a softmax.
        filters: filters per conv stage (each halves depth, height and width).
        kernel_size: side F of every (F×F×F) kernel.
        dense_units: width of the hidden dense layer of the head.
        batch_norm: normalise each conv's output before the ReLU (the convs then have no bias).
        seed: seeds the initial weights: the same arguments and seed give the
            same starting net in any session (``None``: Keras' unseeded default).
        name: prefix of every layer name (``cnn3d_conv1``, ``cnn3d_pool1``, ...).

    Raises:
        ArgumentError: for a shape that is not a volume's, or too small for the stages.
    """
    if not filters:
        raise ArgumentError("filters must name at least one conv stage, got ()")
    filters = [check_int("filters", f, low=1) for f in filters]
    kernel_size = check_int("kernel_size", kernel_size, low=1)
    dense_units = check_int("dense_units", dense_units, low=1)
    check_volume_shape(input_shape, min_side=2 ** len(filters))
    init = Initializers(seed)
    inputs = keras.Input(tuple(int(v) for v in input_shape), name=f"{name}_input")
    x = inputs
    for i, f in enumerate(filters, start=1):
        x = layers.Conv3D(f, kernel_size, padding="same", use_bias=not batch_norm, kernel_initializer=init(),
                          name=f"{name}_conv{i}")(x)
        if batch_norm:
            # momentum 0.9, as build_cnn: the moving statistics settle within a live demo's few steps.
            x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn{i}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
        x = layers.MaxPooling3D(name=f"{name}_pool{i}")(x)
    x = layers.GlobalMaxPooling3D(name=f"{name}_gmp")(x)
    x = layers.Dense(dense_units, activation="relu", kernel_initializer=init(), name=f"{name}_dense")(x)
    outputs = head(x, n_classes, name, init)
    return keras.Model(inputs, outputs, name=name)
