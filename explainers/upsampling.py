"""Decoder layers on a small grid: transposed convolution, upsampling + convolution, dilation.

What this shows: a segmentation network's decoder grows the picture back; a
transposed convolution stamps its kernel once per input pixel (overlaps add
up: checkerboards), upsampling + convolution repeats pixels then smooths, and
a dilated convolution keeps the size but sees a wider patch.

Compute only (Keras layers with fixed weights); drawing lives in
:mod:`explainers.upsampling_plots`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from models._arguments import check_array, check_choice, check_int, fail

__all__ = ["UPSAMPLING_METHODS", "Upsampling", "compute_upsampling"]

UPSAMPLING_METHODS = ("transposed", "upsample_conv", "dilated")


@dataclass(frozen=True)
class Upsampling:
    """One decoder layer applied by Keras to a small single-channel grid."""

    method: str
    grid: np.ndarray  # (h, w) input
    kernel: np.ndarray  # (k, k) the fixed weights
    output: np.ndarray  # Keras' output, (H, W)
    overlap: np.ndarray  # (H, W) how many kernel taps/placements reach each output pixel
    params_demo: int  # parameters of the 1→1-channel layer used here
    params_at: dict[str, int]  # {"64→32 channels": n} for a U-Net-sized layer (from Keras)
    receptive_field: int  # side of the input patch one output pixel sees
    description: str


def _default_grid(method: str) -> np.ndarray:
    # a bright 2×2 square to grow; for "dilated" one bright pixel, whose
    # output shows where the kernel's taps land (its impulse response)
    grid = np.zeros((7, 7) if method == "dilated" else (4, 4), np.float32)
    if method == "dilated":
        grid[3, 3] = 1.0
    else:
        grid[1:3, 1:3] = 1.0
    return grid


def compute_upsampling(method: str, grid: Any = None, kernel: Any = None, *, stride: int = 2, dilation: int = 2,
                       channels: tuple[int, int] = (64, 32)) -> Upsampling:
    """Run a real Keras decoder layer with fixed weights on a small grid.

    What this shows: a transposed convolution paints a weighted copy of the
    kernel for every input pixel (overlaps add up, hence checkerboards when the
    kernel size is not a multiple of the stride); upsampling + convolution first
    repeats pixels and then smooths, with more parameters but no checkerboard;
    a dilated convolution keeps the size but spreads its taps apart, so it sees
    a wider patch with the same number of weights.

    Args:
        method: "transposed", "upsample_conv" or "dilated".
        grid: (h, w) input (default: a 4×4 with a bright 2×2 centre; for
            "dilated" a 7×7 with one bright pixel).
        kernel: (k, k) weights (default: 3×3 of ones, so outputs are plain sums).
        stride: upsampling factor of "transposed" and "upsample_conv".
        dilation: spacing of the taps of "dilated".
        channels: (in, out) channels of the U-Net-sized layer whose parameters are counted.

    Returns:
        An :class:`Upsampling` with Keras' output and the parameter counts.
    """
    import keras
    from keras import layers

    check_choice("method", method, UPSAMPLING_METHODS)
    g = check_array("grid", _default_grid(method) if grid is None else grid, ndim=2)
    if min(g.shape) < 2 or max(g.shape) > 64:
        fail("grid", grid, "a 2-D array with sides between 2 and 64", f"its shape is {g.shape}")
    k = np.ones((3, 3), np.float32) if kernel is None else check_array("kernel", kernel, ndim=2)
    if k.shape[0] != k.shape[1] or not 1 <= k.shape[0] <= 7:
        fail("kernel", kernel, "a square 2-D array of side 1 to 7", f"its shape is {k.shape}")
    stride = check_int("stride", stride, low=1, high=4)
    dilation = check_int("dilation", dilation, low=1, high=4)
    if not isinstance(channels, (tuple, list)) or len(channels) != 2:
        fail("channels", channels, "a pair (in, out) of channel counts")
    c_in = check_int("channels[0]", channels[0], low=1)
    c_out = check_int("channels[1]", channels[1], low=1)
    ks = k.shape[0]

    def make(c_i: int, c_o: int) -> keras.Model:
        """The method's layers as a small functional model with c_i → c_o channels."""
        inp = keras.Input((None, None, c_i))
        if method == "transposed":
            out = layers.Conv2DTranspose(c_o, ks, strides=stride, padding="same", use_bias=True,
                                         name="demo_transposed")(inp)
        elif method == "upsample_conv":
            up = layers.UpSampling2D(stride, interpolation="nearest", name="demo_upsample")(inp)
            out = layers.Conv2D(c_o, ks, padding="same", name="demo_conv")(up)
        else:
            out = layers.Conv2D(c_o, ks, dilation_rate=dilation, padding="same", name="demo_dilated")(inp)
        return keras.Model(inp, out)

    demo = make(1, 1)
    layer = next(lay for lay in demo.layers if lay.name.startswith("demo_") and lay.weights)
    # Keras stores a conv kernel as (kh, kw, in, out) and applies it as a
    # cross-correlation; a transposed conv's kernel is (kh, kw, out, in).
    layer.set_weights([k[:, :, None, None], np.zeros(1, np.float32)])
    out = np.asarray(demo(g[None, :, :, None]))[0, :, :, 0]

    # How many taps reach each output pixel: the same layer on all-ones input
    # with an all-ones kernel (for "same" padding, border pixels see fewer).
    layer.set_weights([np.ones_like(k)[:, :, None, None], np.zeros(1, np.float32)])
    overlap = np.asarray(demo(np.ones((1, *g.shape, 1), np.float32)))[0, :, :, 0]
    big = make(c_in, c_out)
    params_at = {f"{c_in}→{c_out} channels": int(big.count_params())}
    if method == "transposed":
        rf, desc = math.ceil(ks / stride), (
            f"Each input pixel stamps the {ks}×{ks} kernel, scaled by its value, onto the output "
            f"{stride} pixels apart; where stamps overlap they add up.")
    elif method == "upsample_conv":
        rf, desc = math.ceil(ks / stride) + 1 if ks > 1 else 1, (
            f"Nearest-neighbour upsampling repeats each pixel {stride}×{stride} times (no weights), "
            f"then a {ks}×{ks} convolution smooths the blocky picture.")
    else:
        rf, desc = (ks - 1) * dilation + 1, (
            f"The {ks}×{ks} kernel's taps sit {dilation} pixels apart, so it sees a "
            f"{(ks - 1) * dilation + 1}×{(ks - 1) * dilation + 1} patch with {ks * ks} weights; the size stays.")
    return Upsampling(method, g, k, out.astype(np.float64), overlap.astype(np.float64),
                      int(demo.count_params()), params_at, int(rf), desc)
