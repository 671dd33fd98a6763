"""A small 3-D U-Net for volume segmentation (Çiçek et al., 2016): the 3-D twin of :func:`models.unet.build_unet`."""
from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from models._arguments import ArgumentError, check_int
from models._checks import Initializers
from models.cnn3d import check_volume_shape

__all__ = ["build_unet3d"]


def _double_conv3d(x, filters: int, name: str, init: Initializers):
    for i in (1, 2):
        x = layers.Conv3D(filters, 3, padding="same", use_bias=False, kernel_initializer=init(),
                          name=f"{name}_conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn{i}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return x


def build_unet3d(
    input_shape: tuple[int, int, int, int] = (32, 32, 32, 1),
    filters: Sequence[int] = (8, 16),
    *,
    seed: int | None = None,
    name: str = "unet3d",
) -> keras.Model:
    """Encoder (3-D conv, pool) and decoder (3-D transposed conv, concatenated skip, conv) with a sigmoid mask.

    What this shows: the same U as the 2-D U-Net, with every kernel a cube:
    the encoder sees a nodule's context over neighbouring slices, the skips
    carry the fine detail back, and the output is a probability per voxel.

    Layer names follow :func:`models.unet.build_unet`: ``unet3d_enc1_conv1``,
    ``unet3d_enc1_pool``, ``unet3d_bottleneck_conv1``, ``unet3d_dec1_up``,
    ``unet3d_dec1_concat``, ``unet3d_dec1_conv1``, ..., ``unet3d_output``.

    Args:
        input_shape: (depth, height, width, channels); each of depth, height and
            width a multiple of 2**(len(filters) - 1).
        filters: filters per level, from full resolution down to the bottleneck
            (the last entry); ``(8, 16)`` is one pooling step.
        seed: seeds the initial weights: the same arguments and seed give the
            same starting net in any session (``None``: Keras' unseeded default).
        name: prefix of every layer name.

    Raises:
        ArgumentError: for a shape that is not a volume's or not divisible by the pooling.
    """
    filters = [check_int("filters", f, low=1) for f in filters]
    if len(filters) < 2:
        raise ArgumentError(f"filters must give at least two levels (one encoder level and the bottleneck), "
                            f"e.g. (8, 16); got {tuple(filters)!r}")
    depth = len(filters) - 1
    d, h, w, _ = check_volume_shape(input_shape, min_side=2**depth, builder="build_unet3d")
    factor = 2**depth
    if d % factor or h % factor or w % factor:
        raise ArgumentError(
            f"input_shape {input_shape!r}: depth, height and width must be multiples of 2**{depth} = {factor} "
            f"so that every pooling step halves them exactly; crop or pad the volume (e.g. to "
            f"{max(factor, d // factor * factor)}×{max(factor, h // factor * factor)}×"
            f"{max(factor, w // factor * factor)}) or use fewer levels")
    init = Initializers(seed)
    inputs = keras.Input(tuple(int(v) for v in input_shape), name=f"{name}_input")
    x = inputs
    skips = []
    for level, f in enumerate(filters[:-1], start=1):
        x = _double_conv3d(x, f, f"{name}_enc{level}", init)
        skips.append(x)
        x = layers.MaxPooling3D(name=f"{name}_enc{level}_pool")(x)
    x = _double_conv3d(x, filters[-1], f"{name}_bottleneck", init)
    for level in range(depth, 0, -1):
        f = filters[level - 1]
        x = layers.Conv3DTranspose(f, 2, strides=2, kernel_initializer=init(), name=f"{name}_dec{level}_up")(x)
        x = layers.Concatenate(name=f"{name}_dec{level}_concat")([x, skips[level - 1]])
        x = _double_conv3d(x, f, f"{name}_dec{level}", init)
    outputs = layers.Conv3D(1, 1, activation="sigmoid", kernel_initializer=init(), name=f"{name}_output")(x)
    return keras.Model(inputs, outputs, name=name)
