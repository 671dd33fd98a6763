"""A small convolutional classifier (lectures 002 and 003)."""
from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from models._arguments import ArgumentError
from models._checks import Initializers, check_image_shape, head

__all__ = ["build_cnn"]


def build_cnn(
    input_shape: tuple[int, int, int] = (64, 64, 1),
    n_classes: int = 2,
    filters: Sequence[int] = (16, 32),
    kernel_size: int = 3,
    *,
    dense_units: int = 32,
    batch_norm: bool = True,
    seed: int | None = None,
    name: str = "cnn",
) -> keras.Model:
    """Conv + ReLU + max pooling per stage, then global max pooling and a dense head.

    What this shows: early layers find edges, later layers combine them into
    shapes; the dense head makes the decision. Global *max* pooling asks "is
    the pattern anywhere in the image?", which is what finding a nodule needs.

    Args:
        input_shape: (height, width, channels).
        n_classes: 2 or more; 2 gives one sigmoid output, more a softmax.
        filters: filters per conv stage (each halves the resolution).
        kernel_size: side F of every kernel.
        batch_norm: normalise each conv's output before the ReLU; it lets the
            small demo net train in a few epochs (without it, training on the
            lesion images stalls at chance for many epochs).
        dense_units: width of the hidden dense layer of the head.
        seed: seeds the initial weights: the same arguments and seed give the
            same starting net in any session (``None``: Keras' unseeded default).
        name: prefix of every layer name (``cnn_conv1``, ``cnn_pool1``, ...).
    """
    if not filters:
        raise ArgumentError("filters must name at least one conv stage, got ()")
    check_image_shape(input_shape, min_side=2 ** len(filters))
    init = Initializers(seed)
    inputs = keras.Input(input_shape, name=f"{name}_input")
    x = inputs
    for i, f in enumerate(filters, start=1):
        x = layers.Conv2D(f, kernel_size, padding="same", use_bias=not batch_norm, kernel_initializer=init(),
                          name=f"{name}_conv{i}")(x)
        if batch_norm:
            # momentum 0.9: the moving statistics settle within the few steps of a live demo.
            x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn{i}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
        x = layers.MaxPooling2D(name=f"{name}_pool{i}")(x)
    x = layers.GlobalMaxPooling2D(name=f"{name}_gmp")(x)
    x = layers.Dense(dense_units, activation="relu", kernel_initializer=init(), name=f"{name}_dense")(x)
    outputs = head(x, n_classes, name, init)
    return keras.Model(inputs, outputs, name=name)
