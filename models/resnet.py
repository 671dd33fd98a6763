"""Residual networks and their "plain" twins (He et al., 2016; lecture 002)."""
from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from models._arguments import fail
from models._checks import Initializers, check_image_shape, head

__all__ = ["build_resnet"]


def _block(x, filters: int, stride: int, residual: bool, name: str, batch_norm: bool, init: Initializers):
    """conv-BN-ReLU-conv-BN, plus the input when ``residual`` (y = F(x) + x).

    Without ``batch_norm`` the convolutions get biases instead of the BN layers.
    """
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=not batch_norm, kernel_initializer=init(),
                      name=f"{name}_conv1")(x)
    if batch_norm:
        y = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=not batch_norm, kernel_initializer=init(),
                      name=f"{name}_conv2")(y)
    if batch_norm:
        y = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn2")(y)
    if residual:
        if stride != 1 or shortcut.shape[-1] != filters:
            # Projection shortcut (He et al. option B) where the shape changes. A strided 1×1
            # convolution reads every stride-th pixel; subsampling first and convolving with
            # stride 1 is the same function, and it keeps clear of a oneDNN weight-gradient bug
            # that kills the process for < 16 input channels (see models/onednn.py).
            if stride != 1:
                shortcut = layers.MaxPooling2D(1, strides=stride, name=f"{name}_proj_subsample")(shortcut)
            shortcut = layers.Conv2D(filters, 1, use_bias=not batch_norm, kernel_initializer=init(),
                                     name=f"{name}_proj")(shortcut)
            if batch_norm:
                shortcut = layers.BatchNormalization(momentum=0.9, name=f"{name}_proj_bn")(shortcut)
        y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def build_resnet(
    input_shape: tuple[int, int, int] = (64, 64, 1),
    n_classes: int = 2,
    blocks: Sequence[int] = (2, 2),
    residual: bool = True,
    *,
    base_filters: int = 16,
    batch_norm: bool = True,
    seed: int | None = None,
    name: str | None = None,
) -> keras.Model:
    """A small ResNet; ``residual=False`` gives the same depth without skips.

    What this shows: with skip connections the gradient reaches early layers
    through ∂E/∂x = ∂E/∂y · (1 + F′(x)); the plain net of the same depth
    trains worse (the degradation problem).

    Args:
        input_shape: (height, width, channels).
        n_classes: 2 (sigmoid output) or more (softmax).
        blocks: residual blocks per stage; each stage after the first halves
            the resolution and doubles the filters.
        residual: add the identity (or projection) shortcut in every block.
        base_filters: filters of the stem and the first stage.
        batch_norm: BatchNormalization after every conv (default). Without
            it (convs get biases) a deep *plain* net shows the degradation
            problem much more clearly, and inference equals training mode.
        seed: seeds the initial weights: the same arguments and seed give the
            same starting net in any session (``None``: Keras' unseeded default).
            A plain and a residual net of the same depth and seed start from the
            same convolutions (the layers draw their seeds in the same order).
        name: layer prefix; "resnet" or "plainnet" by default.
    """
    name = name or ("resnet" if residual else "plainnet")
    blocks = tuple(blocks)
    if not blocks or any((not isinstance(b, int)) or b < 1 for b in blocks):
        fail("blocks", blocks, "positive integers, one per stage", "e.g. blocks=(2, 2)")
    check_image_shape(input_shape, min_side=2 ** (len(blocks) - 1))
    init = Initializers(seed)
    inputs = keras.Input(input_shape, name=f"{name}_input")
    x = layers.Conv2D(base_filters, 3, padding="same", use_bias=not batch_norm, kernel_initializer=init(),
                      name=f"{name}_stem_conv")(inputs)
    if batch_norm:
        x = layers.BatchNormalization(momentum=0.9, name=f"{name}_stem_bn")(x)
    x = layers.Activation("relu", name=f"{name}_stem_relu")(x)
    for s, n_blocks in enumerate(blocks, start=1):
        filters = base_filters * 2 ** (s - 1)
        for b in range(1, n_blocks + 1):
            stride = 2 if (s > 1 and b == 1) else 1
            x = _block(x, filters, stride, residual, f"{name}_stage{s}_block{b}", batch_norm, init)
    x = layers.GlobalAveragePooling2D(name=f"{name}_gap")(x)
    outputs = head(x, n_classes, name, init)
    return keras.Model(inputs, outputs, name=name)
