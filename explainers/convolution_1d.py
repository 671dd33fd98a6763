"""1-D convolution on a signal, and cross-correlation against convolution (the kernel flip).

What this shows: lecture 003's "Convolution 1D", z_i = w_1·x_i + w_2·x_{i+1} +
w_3·x_{i+2}, slides one small kernel along a signal (an ECG-like trace): a
smoothing kernel averages the noise away, a derivative kernel marks the steep
QRS upstrokes, a QRS-shaped kernel peaks where a beat matches it. That formula,
like lecture 000's 3×3 example and Keras' Conv1D/Conv2D layers, is a
*cross-correlation*; the mathematical convolution flips the kernel first.

Compute only (NumPy; Keras only in :func:`compute_flip` when asked); drawing
lives in :mod:`explainers.convolution_1d_plots`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers.kernels import LECTURE_SMALL_INPUT, LECTURE_SMALL_KERNEL, conv_output_size, padding_amounts
from models._arguments import check_array, check_choice, check_float, check_int, fail

__all__ = ["ECG_KERNELS", "PADDINGS_1D", "correlate1d", "ecg_kernel", "SignalConvolution",
           "compute_signal_convolution", "FlipExample", "compute_flip"]

ECG_KERNELS = ("smoothing", "derivative", "QRS-matched")
PADDINGS_1D = ("valid", "same", "full")


def correlate1d(x: Any, kernel: Any, padding: str = "valid") -> np.ndarray:
    """Slide ``kernel`` along ``x`` without flipping it: z_i = Σ_j w_j · x_{i+j} (lecture 003, Keras' Conv1D).

    ``padding`` as Keras pads: ``"valid"`` none (n − F + 1 outputs), ``"same"``
    F − 1 zeros, the smaller half first (n outputs), ``"full"`` F − 1 zeros on
    each side (n + F − 1 outputs).
    """
    x = check_array("x", x, ndim=1, dtype="float64")
    w = check_array("kernel", kernel, ndim=1, dtype="float64")
    padding = check_choice("padding", padding, PADDINGS_1D)
    n_out = conv_output_size(len(x), len(w), padding)  # raises if a valid kernel does not fit
    pad = padding_amounts(len(x), len(w), padding)
    xp = np.pad(x, (pad.before, pad.after))
    windows = np.lib.stride_tricks.sliding_window_view(xp, len(w))[:n_out]
    return windows @ w


def ecg_kernel(name: str, rate: int = 250, *, width_ms: float = 40.0, template: Any = None,
               r_peak: int | None = None) -> np.ndarray:
    """One of the page's kernels, in samples at ``rate`` Hz.

    - ``"smoothing"``: a moving average of ``width_ms`` (ones divided by their count,
      so a flat signal keeps its level);
    - ``"derivative"``: the central difference (−1, 0, 1) / (2Δt), in mV per second;
      cross-correlation gives x_{i+2} − x_i, positive on a rising edge;
    - ``"QRS-matched"``: the QRS complex cut from ``template`` around sample
      ``r_peak`` (± ``width_ms``), minus its mean and scaled to unit norm: a
      matched filter, largest where the signal looks like that beat.
    """
    name = check_choice("name", name, ECG_KERNELS)
    rate = check_int("rate", rate, low=1)
    width_ms = check_float("width_ms", width_ms, low=1.0, high=1000.0)
    if name == "smoothing":
        f = max(int(round(width_ms * rate / 1000)), 1)
        return np.full(f, 1.0 / f)
    if name == "derivative":
        return np.array([-1.0, 0.0, 1.0]) * rate / 2.0
    if template is None or r_peak is None:
        fail("template", template, "a clean trace and r_peak (the index of one R peak) for the QRS-matched kernel")
    x = check_array("template", template, ndim=1, dtype="float64")
    half = max(int(round(width_ms * rate / 1000)), 1)
    r = check_int("r_peak", r_peak, low=half, high=len(x) - half - 1)
    w = x[r - half:r + half + 1] - x[r - half:r + half + 1].mean()
    return w / np.linalg.norm(w)


@dataclass(frozen=True)
class SignalConvolution:
    """A kernel slid along a signal, with the output aligned to the input's time axis.

    What this shows: each output sample is one window of the signal times the
    kernel (no flip), so the output is large where the signal looks like the kernel.

    Attributes:
        name: the kernel's name; padding: ``"valid"``, ``"same"`` or ``"full"``.
        time, signal: ``(n,)`` the input (seconds, mV).
        kernel: ``(F,)`` the weights.
        output: ``(m,)`` z_i = Σ_j w_j x_{i+j} over the padded signal.
        output_time: ``(m,)`` the time of each window's centre (padding shifts it).
        lengths: output length for each padding, e.g. ``{"valid": n − F + 1, "same": n, "full": n + F − 1}``.
        position: the output index shown worked out; window: ``(F,)`` the (padded) input under the kernel there;
        value: ``output[position]`` = ``window @ kernel``.
        peaks: ``(k,)`` input sample index of the output's peaks (local maxima above half the largest
            output, at least 0.25 s apart): the detected beats for a matched kernel.
        rate: samples per second.
    """

    name: str
    padding: str
    time: np.ndarray
    signal: np.ndarray
    kernel: np.ndarray
    output: np.ndarray
    output_time: np.ndarray
    lengths: dict[str, int]
    position: int
    window: np.ndarray
    value: float
    peaks: np.ndarray
    rate: int

    @property
    def beats_per_minute(self) -> float:
        """Heart rate from the mean interval between detected peaks (NaN with fewer than two)."""
        if len(self.peaks) < 2:
            return float("nan")
        return 60.0 * self.rate / float(np.mean(np.diff(self.peaks)))


def _peaks(z: np.ndarray, min_gap: int) -> np.ndarray:
    top = float(np.max(z)) if len(z) else 0.0
    if top <= 0:
        return np.zeros(0, dtype=np.int64)
    idx = [i for i in range(1, len(z) - 1) if z[i] > 0.5 * top and z[i] >= z[i - 1] and z[i] > z[i + 1]]
    kept: list[int] = []
    for i in sorted(idx, key=lambda i: -z[i]):  # strongest first, then keep the gap
        if all(abs(i - j) >= min_gap for j in kept):
            kept.append(i)
    return np.array(sorted(kept), dtype=np.int64)


def compute_signal_convolution(signal: Any, kernel: Any, *, padding: str = "same", rate: int = 250,
                               position: int = 0, name: str = "") -> SignalConvolution:
    """Cross-correlate a signal with a kernel (lecture 003's z_i = Σ_j w_j x_{i+j}), as Keras' Conv1D does.

    What this shows: the same few weights slid along the whole trace; the output
    length depends on the padding (valid n − F + 1, same n, full n + F − 1), and
    the output peaks where the signal matches the kernel.

    Args:
        signal: ``(n,)`` samples; kernel: ``(F,)`` weights, F ≤ n.
        padding: ``"valid"``, ``"same"`` or ``"full"``.
        rate: samples per second (for the time axis).
        position: the output index worked out term by term (clipped to the output).
        name: the kernel's name, for titles.
    """
    x = check_array("signal", signal, ndim=1, dtype="float64", min_size=2)
    w = check_array("kernel", kernel, ndim=1, dtype="float64")
    if len(w) > len(x):
        fail("kernel", kernel, f"at most as long as the signal ({len(x)} samples)", f"it has {len(w)}")
    padding = check_choice("padding", padding, PADDINGS_1D)
    rate = check_int("rate", rate, low=1)
    position = check_int("position", position, low=0)
    z = correlate1d(x, w, padding)
    pad = padding_amounts(len(x), len(w), padding)
    centre = np.arange(len(z)) - pad.before + (len(w) - 1) / 2.0  # input index under the kernel's centre
    position = min(position, len(z) - 1)
    window = np.pad(x, (pad.before, pad.after))[position:position + len(w)]
    lengths = {p: conv_output_size(len(x), len(w), p) for p in PADDINGS_1D}
    peaks = _peaks(z, max(int(0.25 * rate), 1))
    peak_index = np.clip(np.round(centre[peaks]).astype(np.int64), 0, len(x) - 1) if len(peaks) else peaks
    t = np.arange(len(x)) / rate
    return SignalConvolution(str(name), padding, t, x, w, z, centre / rate, lengths, position, window,
                             float(window @ w), peak_index, rate)


@dataclass(frozen=True)
class FlipExample:
    """Cross-correlation against convolution on one input and kernel (lecture 000's 3×3 example by default).

    What this shows: a CNN layer (and the lectures' formulas) slides the kernel as
    printed: that is cross-correlation. Convolution in the mathematical sense
    flips the kernel in both directions first, so it gives another answer unless
    the kernel is symmetric.

    Attributes:
        x: ``(H, W)`` input; kernel: ``(F, G)``; flipped: the kernel turned by 180°.
        correlation: ``(H − F + 1, W − G + 1)`` Σ kernel × window (valid).
        convolution: the same with the flipped kernel (= scipy.signal.convolve2d(x, kernel, "valid")).
        keras: Keras' Conv2D output with ``kernel`` as its weights (``None`` if not computed).
    """

    x: np.ndarray
    kernel: np.ndarray
    flipped: np.ndarray
    correlation: np.ndarray
    convolution: np.ndarray
    keras: np.ndarray | None


def _correlate2d_valid(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    windows = np.lib.stride_tricks.sliding_window_view(x, k.shape)
    return np.einsum("ijkl,kl->ij", windows, k)


def compute_flip(x: Any = None, kernel: Any = None, *, with_keras: bool = False) -> FlipExample:
    """Cross-correlation and convolution of ``x`` with ``kernel`` side by side (valid padding).

    What this shows: lecture 000's [[0,1,2],[3,4,5],[6,7,8]] with [[0,1],[2,3]]
    gives [[19,25],[37,43]] by cross-correlation (as the lecture labels it);
    flipping the kernel to [[3,2],[1,0]] gives the convolution [[5,11],[23,29]].
    With ``with_keras`` a Keras Conv2D holding ``kernel`` computes the first one.

    Args:
        x: ``(H, W)`` input (default: the lecture's 3×3).
        kernel: ``(F, G)`` kernel, F ≤ H, G ≤ W (default: the lecture's 2×2).
        with_keras: also run a Keras Conv2D (no bias) with these weights.
    """
    x = check_array("x", LECTURE_SMALL_INPUT if x is None else x, ndim=2, dtype="float64")
    k = check_array("kernel", LECTURE_SMALL_KERNEL if kernel is None else kernel, ndim=2, dtype="float64")
    if k.shape[0] > x.shape[0] or k.shape[1] > x.shape[1]:
        fail("kernel", kernel, f"no larger than the input {x.shape}", f"it is {k.shape}")
    flipped = k[::-1, ::-1].copy()
    keras_out = None
    if with_keras:
        import keras

        layer = keras.layers.Conv2D(1, k.shape, padding="valid", use_bias=False, dtype="float32")  # JAX: no x64
        layer.build((1, *x.shape, 1))
        layer.set_weights([k[:, :, None, None].astype("float32")])
        out = layer(keras.ops.convert_to_tensor(x[None, :, :, None].astype("float32")))
        keras_out = np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float64)[0, :, :, 0]
    return FlipExample(x, k, flipped, _correlate2d_valid(x, k), _correlate2d_valid(x, flipped), keras_out)
