"""A small CNN whose head is global average pooling straight into the output layer (CAM, lecture 002)."""
from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from models._arguments import ArgumentError, check_choice
from models._checks import Initializers, check_image_shape, head

__all__ = ["GLOBAL_POOLINGS", "build_gap_cnn"]

#: the global pooling layers the head can use: "average" (CAM's head) or "max" (the course CNN's)
GLOBAL_POOLINGS = ("average", "max")


def build_gap_cnn(
    input_shape: tuple[int, int, int] = (64, 64, 1),
    n_classes: int = 2,
    *,
    filters: Sequence[int] = (16, 32),
    kernel_size: int = 3,
    global_pooling: str = "average",
    seed: int | None = None,
    name: str = "gap_cnn",
) -> keras.Model:
    """Conv + BatchNorm + ReLU per stage, then global average pooling into the output layer, nothing between.

    What this shows: the head of CheXNet and of Zhou et al. (2016): each
    feature map of the last conv layer is averaged to one number and the
    output layer weighs those numbers. Because the average and the weighting
    are both linear, the same weights laid over the maps themselves give a
    class activation map (CAM) whose mean, plus the output's bias, *is* the
    class score z (see ``explainers.pooling.compute_cam``).

    Every stage but the last ends in 2×2 max pooling; the last stage does not,
    so its maps keep twice the resolution (32×32 for a 64×64 input with two
    stages), as Zhou et al. removed the last pooling layers to get finer maps.

    Args:
        input_shape: (height, width, channels).
        n_classes: 2 or more; 2 gives one sigmoid output, more a softmax.
        filters: filters per conv stage.
        kernel_size: side F of every kernel.
        global_pooling: ``"average"`` (the CAM head) or ``"max"``: the same net with
            global max pooling, to compare what the two poolings keep.
        seed: seeds the initial weights (``None``: Keras' unseeded default).
        name: prefix of every layer name (``gap_cnn_conv1``, ``gap_cnn_bn1``,
            ``gap_cnn_relu1``, ``gap_cnn_pool1``, ..., ``gap_cnn_gap`` or
            ``gap_cnn_gmp``, ``gap_cnn_output``), as in :func:`models.build_cnn`.

    Returns:
        An uncompiled functional ``keras.Model``.
    """
    if not filters:
        raise ArgumentError("filters must name at least one conv stage, got ()")
    global_pooling = check_choice("global_pooling", global_pooling, GLOBAL_POOLINGS)
    check_image_shape(input_shape, min_side=2 ** (len(filters) - 1))
    init = Initializers(seed)
    inputs = keras.Input(input_shape, name=f"{name}_input")
    x = inputs
    for i, f in enumerate(filters, start=1):
        x = layers.Conv2D(int(f), kernel_size, padding="same", use_bias=False, kernel_initializer=init(),
                          name=f"{name}_conv{i}")(x)
        # momentum 0.5: the score of a GAP head is an average over every pixel, so a lag in the moving
        # statistics shifts every image's score alike; at 0.9 the validation accuracy of the lesion recipe
        # fell back to 0.5 every few epochs while the training accuracy was 0.8-1.0 (measured, seed 0).
        x = layers.BatchNormalization(momentum=0.5, name=f"{name}_bn{i}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
        if i < len(filters):
            x = layers.MaxPooling2D(name=f"{name}_pool{i}")(x)
    if global_pooling == "average":
        x = layers.GlobalAveragePooling2D(name=f"{name}_gap")(x)
    else:
        x = layers.GlobalMaxPooling2D(name=f"{name}_gmp")(x)
    outputs = head(x, n_classes, name, init)
    return keras.Model(inputs, outputs, name=name)
