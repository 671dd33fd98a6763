"""A small one-stage nodule detector (CenterNet-style), its targets, loss and decoding.

Why a centre heatmap and a size head, and not an anchor grid (YOLO,
RetinaNet)? Nodules are roughly round and come in one class, so anchors (a set
of box shapes per cell, each matched to objects by IoU, most of them
negatives) add hyper-parameters without adding anything a round object needs.
CenterNet (Zhou et al., 2019, "Objects as points") asks each output cell one
dense, per-pixel question instead: "is a nodule centred here?" (a heatmap
trained with a focal loss against Gaussian bumps), plus the box's width and
height and the centre's sub-cell offset at the centre cell. Dense per-cell
targets give every image thousands of supervised outputs, which is what lets
this 82k-parameter net learn in a minute on a 2-core CPU; decoding is a
3×3 max-pool peak search, so overlapping duplicates are rare (NMS is still
shown on its own, on the Object detection page).

Output: one tensor ``(H/stride, W/stride, 5)``: channel 0 the centre
probability (sigmoid), 1-2 the box's width and height in cells, 3-4 the
centre's offset within its cell (sigmoid, 0 to 1).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import layers

from models._arguments import ArgumentError, check_array, check_float, check_int, fail
from models._checks import Initializers, check_image_shape

__all__ = ["build_detector", "detection_targets", "detection_loss", "heatmap_loss", "size_loss", "offset_loss",
           "decode_detections", "DETECTOR_CHANNELS"]

#: What each output channel holds.
DETECTOR_CHANNELS = ("centre heatmap", "width (cells)", "height (cells)", "offset x", "offset y")

_PRIOR = -math.log((1 - 0.1) / 0.1)  # the heatmap starts at p = 0.1 everywhere (CenterNet's -2.19)
SIZE_WEIGHT, OFFSET_WEIGHT = 0.1, 1.0  # CenterNet's weights of the size and offset terms


def _conv(x, filters: int, name: str, init: Initializers, *, kernel: int = 3, dilation: int = 1):
    x = layers.Conv2D(filters, kernel, padding="same", dilation_rate=dilation, use_bias=False,
                      kernel_initializer=init(), name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def build_detector(input_shape: tuple[int, int, int] = (128, 128, 1), *, filters: Sequence[int] = (16, 32, 48),
                   head_filters: int = 32, seed: int | None = None, name: str = "detector") -> keras.Model:
    """A CenterNet-style detector: a small convolutional backbone, then heatmap, size and offset heads.

    What this shows: a detector is a segmentation-like network whose output
    grid says, cell by cell, "a nodule is centred here, this wide and this
    tall"; its stride (input pixels per output cell) limits how close two
    nodules may be and still be told apart.

    The backbone has one stage per entry of ``filters`` (3×3 convolution,
    batch norm, ReLU), each followed by 2×2 max pooling except the last, so the
    stride is ``2 ** (len(filters) - 1)`` (4 by default: a 32×32 grid on a
    128×128 image). The last stage has a second, dilated convolution (more
    context to judge a nodule's size). Layers are named
    ``f"{name}_{stage}_{op}"`` (``detector_stage1_conv``, ``detector_heatmap_out``...).

    Args:
        input_shape: (height, width, channels); sides multiples of the stride.
        filters: filters per backbone stage (1 to 5 stages).
        head_filters: filters of each head's 3×3 convolution.
        seed: seeds the initial weights (``None``: Keras' unseeded default).
        name: prefix of every layer name.

    Returns:
        An uncompiled ``keras.Model`` with one output ``(H/stride, W/stride, 5)``
        (see :data:`DETECTOR_CHANNELS`); compile it with :func:`detection_loss`.
    """
    h, w, _ = check_image_shape(input_shape)
    filters = tuple(filters) if isinstance(filters, (list, tuple)) else fail("filters", filters, "a tuple of ints")
    if not 1 <= len(filters) <= 5:
        fail("filters", filters, "1 to 5 stages")
    filters = tuple(check_int(f"filters[{i}]", f, low=1) for i, f in enumerate(filters))
    head_filters = check_int("head_filters", head_filters, low=1)
    stride = 2 ** (len(filters) - 1)
    if h % stride or w % stride:
        raise ArgumentError(f"input_shape {input_shape!r}: height and width must be multiples of the stride {stride} "
                            f"(2 ** (len(filters) - 1)); resize the images or use fewer stages")
    init = Initializers(seed)
    inputs = keras.Input(input_shape, name=f"{name}_input")
    x = inputs
    for i, f in enumerate(filters, start=1):
        x = _conv(x, f, f"{name}_stage{i}", init)
        if i < len(filters):
            x = layers.MaxPooling2D(name=f"{name}_stage{i}_pool")(x)
    x = _conv(x, filters[-1], f"{name}_context", init, dilation=2)
    heads = []
    for head, channels, activation, bias in (("heatmap", 1, "sigmoid", _PRIOR), ("size", 2, None, 1.0),
                                              ("offset", 2, "sigmoid", 0.0)):
        y = layers.Conv2D(head_filters, 3, padding="same", activation="relu", kernel_initializer=init(),
                          name=f"{name}_{head}_conv")(x)
        heads.append(layers.Conv2D(channels, 1, activation=activation, kernel_initializer=init(),
                                   bias_initializer=keras.initializers.Constant(bias), name=f"{name}_{head}_out")(y))
    outputs = layers.Concatenate(name=f"{name}_output_concat")(heads)
    return keras.Model(inputs, outputs, name=name)


def detection_targets(boxes: Sequence[Any], *, size: int = 128, stride: int = 4) -> np.ndarray:
    """The detector's training targets for a list of images' boxes: ``(n, size/stride, size/stride, 5)`` float32.

    Channel 0 is a Gaussian bump round each box's centre cell (exactly 1 at
    the cell, standard deviation a sixth of the box's larger side in cells, at
    least half a cell; the maximum where bumps overlap); channels 1-4 hold the
    box's width and height in cells and the centre's offset within its cell,
    set at centre cells only. Two centres in one cell: the later box wins.

    Args:
        boxes: one ``(k_i, 4)`` array of ``(x0, y0, x1, y1)`` pixel boxes per image.
        size: the image side in pixels.
        stride: pixels per output cell.
    """
    size = check_int("size", size, low=1)
    stride = check_int("stride", stride, low=1)
    if size % stride:
        fail("stride", stride, f"a divisor of size {size}")
    g = size // stride
    out = np.zeros((len(boxes), g, g, 5), np.float32)
    cells = np.arange(g, dtype=np.float32)
    for i, b in enumerate(boxes):
        b = check_array(f"boxes[{i}]", b, dtype="float32", min_size=0).reshape(-1, 4)
        for x0, y0, x1, y1 in b:
            cx, cy = (x0 + x1) / 2 / stride, (y0 + y1) / 2 / stride
            col, row = min(int(cx), g - 1), min(int(cy), g - 1)
            bw, bh = (x1 - x0) / stride, (y1 - y0) / stride
            sigma = max(max(bw, bh) / 6, 0.5)
            bump = np.exp(-((cells[:, None] - row) ** 2 + (cells[None, :] - col) ** 2) / (2 * sigma**2))
            out[i, :, :, 0] = np.maximum(out[i, :, :, 0], bump)
            out[i, row, col] = (1.0, bw, bh, cx - col, cy - row)
    return out


def _parts(y_true, y_pred):
    from keras import ops

    centre = ops.cast(ops.equal(y_true[..., 0], 1.0), y_pred.dtype)
    n = ops.maximum(ops.sum(centre), 1.0)
    return ops, centre, n


def heatmap_loss(y_true, y_pred):
    """CenterNet's penalty-reduced focal loss on the centre heatmap, per nodule.

    ``-(1-p)² log p`` at centre cells; ``-(1-y)⁴ p² log(1-p)`` elsewhere (cells
    near a centre, where the target bump ``y`` is high, are hardly penalised).
    """
    ops, centre, n = _parts(y_true, y_pred)
    p = ops.clip(y_pred[..., 0], 1e-4, 1 - 1e-4)
    y = y_true[..., 0]
    pos = -((1 - p) ** 2) * ops.log(p) * centre
    neg = -((1 - y) ** 4) * (p**2) * ops.log(1 - p) * (1 - centre)
    return (ops.sum(pos) + ops.sum(neg)) / n


def size_loss(y_true, y_pred):
    """Mean absolute error of the box's width and height (in cells) at the centre cells."""
    ops, centre, n = _parts(y_true, y_pred)
    return ops.sum(ops.abs(y_pred[..., 1:3] - y_true[..., 1:3]) * centre[..., None]) / n


def offset_loss(y_true, y_pred):
    """Mean absolute error of the centre's offset within its cell, at the centre cells."""
    ops, centre, n = _parts(y_true, y_pred)
    return ops.sum(ops.abs(y_pred[..., 3:5] - y_true[..., 3:5]) * centre[..., None]) / n


def detection_loss(y_true, y_pred):
    """The detector's loss: heatmap focal loss + 0.1 × size L1 + 1 × offset L1 (CenterNet's weights)."""
    return (heatmap_loss(y_true, y_pred) + SIZE_WEIGHT * size_loss(y_true, y_pred)
            + OFFSET_WEIGHT * offset_loss(y_true, y_pred))


def decode_detections(model_output: Any, *, stride: int = 4, score_threshold: float = 0.05,
                      max_detections: int = 20, peaks_only: bool = True) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The detector's output grid as boxes and scores, one array of each per image.

    A centre is a heatmap cell that is the maximum of its 3×3 neighbourhood
    (``peaks_only``; otherwise every cell) and scores above ``score_threshold``;
    its box is centred at ``(col + offset_x, row + offset_y) × stride`` with the
    predicted width and height × stride, clipped to the image.

    Args:
        model_output: ``(n, H', W', 5)`` or one image's ``(H', W', 5)``.
        stride: the detector's stride (input pixels per output cell).
        score_threshold: keep centres scoring above this.
        max_detections: at most this many per image, best first.
        peaks_only: False keeps every cell above the threshold (many
            overlapping boxes per nodule: what NMS is for).

    Returns:
        ``(boxes, scores)``: lists with one ``(d_i, 4)`` float32 array of
        ``(x0, y0, x1, y1)`` pixel boxes and one ``(d_i,)`` array of scores per
        image, highest score first.
    """
    from scipy.ndimage import maximum_filter

    out = check_array("model_output", model_output, ndim=(3, 4))
    out = out[None] if out.ndim == 3 else out
    if out.shape[-1] != 5:
        raise ArgumentError(f"model_output must end in the detector's 5 channels {DETECTOR_CHANNELS}, "
                            f"got shape {out.shape}")
    stride = check_int("stride", stride, low=1)
    score_threshold = check_float("score_threshold", score_threshold, low=0.0, high=1.0)
    max_detections = check_int("max_detections", max_detections, low=1)
    heat = out[..., 0]
    keep = heat > score_threshold
    if peaks_only:
        keep &= heat == maximum_filter(heat, size=(1, 3, 3), mode="constant", cval=0.0)
    gh, gw = heat.shape[1:]
    all_boxes, all_scores = [], []
    for i in range(len(out)):
        rows, cols = np.nonzero(keep[i])
        scores = heat[i, rows, cols]
        order = np.argsort(-scores, kind="stable")[:max_detections]
        rows, cols, scores = rows[order], cols[order], scores[order]
        w, h, ox, oy = (out[i, rows, cols, c] for c in (1, 2, 3, 4))
        cx, cy = (cols + ox) * stride, (rows + oy) * stride
        w, h = np.maximum(w, 0.0) * stride, np.maximum(h, 0.0) * stride
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
        boxes = np.clip(boxes, 0, [gw * stride, gh * stride, gw * stride, gh * stride]).astype(np.float32)
        all_boxes.append(boxes.reshape(-1, 4))
        all_scores.append(scores.astype(np.float32))
    return all_boxes, all_scores
