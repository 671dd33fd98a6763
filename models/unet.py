"""U-Net for segmentation (Ronneberger et al., 2015; lectures 001 and 002)."""
from __future__ import annotations

import keras
from keras import layers

from models._arguments import ArgumentError, check_int
from models._checks import Initializers, check_image_shape

__all__ = ["build_unet"]


def _double_conv(x, filters: int, name: str, init: Initializers):
    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=init(),
                          name=f"{name}_conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn{i}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return x


def build_unet(
    input_shape: tuple[int, int, int] = (64, 64, 1),
    n_classes: int = 1,
    depth: int = 3,
    base_filters: int = 16,
    *,
    skip_connections: bool = True,
    seed: int | None = None,
    name: str = "unet",
) -> keras.Model:
    """Encoder (conv, pool) and decoder (transposed conv, concatenated skip, conv).

    What this shows: the encoder sees context at low resolution; the skips
    carry the fine detail back so the mask's boundary is sharp.

    Args:
        input_shape: (height, width, channels); each side a multiple of 2**depth.
        n_classes: 1 gives a sigmoid probability map, more a per-pixel softmax.
        depth: number of pooling steps.
        base_filters: filters at full resolution; doubled at every level.
        skip_connections: set False to see what the U-Net loses without them.
        seed: seeds the initial weights: the same arguments and seed give the
            same starting net in any session (``None``: Keras' unseeded default).
        name: prefix of every layer name.

    Raises:
        ValueError: when a side is not a multiple of 2**depth.
    """
    check_int("depth", depth, low=1)
    h, w, _ = check_image_shape(input_shape)
    factor = 2**depth
    if h % factor or w % factor:
        raise ArgumentError(
            f"input_shape {input_shape!r}: height and width must be multiples of 2**depth = {factor} "
            f"so that every pooling step halves them exactly; resize or crop the images "
            f"(e.g. to {max(factor, h // factor * factor)}×{max(factor, w // factor * factor)}) or lower depth"
        )
    check_int("n_classes", n_classes, low=1)
    init = Initializers(seed)
    inputs = keras.Input(input_shape, name=f"{name}_input")
    x = inputs
    skips = []
    for level in range(1, depth + 1):
        x = _double_conv(x, base_filters * 2 ** (level - 1), f"{name}_enc{level}", init)
        skips.append(x)
        x = layers.MaxPooling2D(name=f"{name}_enc{level}_pool")(x)
    x = _double_conv(x, base_filters * 2**depth, f"{name}_bottleneck", init)
    for level in range(depth, 0, -1):
        filters = base_filters * 2 ** (level - 1)
        x = layers.Conv2DTranspose(filters, 2, strides=2, kernel_initializer=init(), name=f"{name}_dec{level}_up")(x)
        if skip_connections:
            x = layers.Concatenate(name=f"{name}_dec{level}_concat")([x, skips[level - 1]])
        x = _double_conv(x, filters, f"{name}_dec{level}", init)
    activation = "sigmoid" if n_classes == 1 else "softmax"
    outputs = layers.Conv2D(n_classes, 1, activation=activation, kernel_initializer=init(), name=f"{name}_output")(x)
    return keras.Model(inputs, outputs, name=name)
