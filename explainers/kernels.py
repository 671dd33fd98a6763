"""Convolution by hand and inside a CNN: kernels, output sizes, one output step, filters.

What this shows: a convolution layer slides one small kernel over the whole
image (lectures 000, 002, 003); each output value is a weighted sum of one
window plus a bias. Learned kernels look like the lecture's hand-made ones.

Compute only (NumPy + Keras); drawing lives in :mod:`explainers.kernels_plots`;
feature maps of a whole model are :mod:`explainers.feature_maps`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers import _layers
from models._arguments import ArgumentError, check_array, check_choice, check_int, fail

__all__ = [
    "PRESETS", "SOBEL_CONVENTION", "PADDINGS", "LECTURE_SMALL_INPUT", "LECTURE_SMALL_KERNEL", "LECTURE_6X6_INPUT",
    "LECTURE_EDGE_KERNEL", "Padding", "padding_amounts", "conv_output_size", "convolve2d", "Convolution",
    "compute_convolution", "OutputStep", "compute_output_step", "PaddingStride", "compute_padding_stride", "PaddingRule",
    "compute_padding_rule", "BOX_BLUR_DIVISOR",
    "conv_parameter_count", "dense_parameter_count", "Filters", "compute_filters", "WindowedConvolutions",
    "compute_windowed_convolutions",
]

# The lecture's kernels (003). The lecture's box blur lists ones; dividing by 9
# makes it the average it describes ("each pixel is averaged equally with its 8
# neighbours"): the weights sum to 1, so the image keeps its brightness (with
# ones, a flat region comes out 9 times brighter). BOX_BLUR_DIVISOR says so on the page.
PRESETS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype="float32"),
    "box blur": np.ones((3, 3), dtype="float32") / 9.0,  # the lecture's ones, divided by BOX_BLUR_DIVISOR
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype="float32"),
    "outline": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype="float32"),
    # As the lecture prints them. Cross-correlation (no flip) makes the first left − right and the
    # second bottom − top: the lecture's two Sobel kernels have opposite sign conventions, which
    # the page states beside them (SOBEL_CONVENTION).
    "sobel left-to-right": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype="float32"),
    "sobel superior-to-inferior": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype="float32"),
}
SOBEL_CONVENTION = (
    "Like Keras and the lecture, the output is the cross-correlation Σ kernel × window (the kernel is not "
    "flipped). So the lecture's left-to-right Sobel gives **left − right** (positive where the image gets "
    "darker going right) and its superior-to-inferior Sobel gives **bottom − top** (positive where it gets "
    "brighter going down): the two kernels, as printed, use opposite signs."
)
for _k in PRESETS.values():
    _k.flags.writeable = False

PADDINGS = ("valid", "same", "full")
BOX_BLUR_DIVISOR = 9  # the number of ones in the lecture's 3×3 box blur

# The lecture's worked examples (000 and 003), kept here so tests and pages share them.
LECTURE_SMALL_INPUT = np.arange(9, dtype="float32").reshape(3, 3)
LECTURE_SMALL_KERNEL = np.array([[0, 1], [2, 3]], dtype="float32")
LECTURE_6X6_INPUT = np.array([
    [3, 1, 0, 2, 5, 6], [4, 2, 1, 1, 4, 7], [5, 4, 0, 0, 1, 2],
    [1, 2, 2, 1, 3, 4], [6, 3, 1, 0, 5, 2], [3, 1, 0, 1, 3, 3]], dtype="float32")
LECTURE_EDGE_KERNEL = np.array([[-1, 0, 1]] * 3, dtype="float32")


def _check_padding(padding: Any) -> str:
    return check_choice("padding", padding.lower() if isinstance(padding, str) else padding, PADDINGS)


@dataclass(frozen=True)
class Padding:
    """Zeros added along one axis: ``before`` (top/left) and ``after`` (bottom/right)."""

    before: int
    after: int

    @property
    def total(self) -> int:
        """``before + after``: the P of the output-size formula."""
        return self.before + self.after


def padding_amounts(n: int, kernel_size: int, padding: str, stride: int = 1, dilation: int = 1) -> Padding:
    """Zeros added (before, after) along one axis, as Keras/TensorFlow pad.

    ``"same"`` pads ``max((out - 1)·S + D·(F - 1) + 1 - n, 0)`` in total, the
    smaller half first (TensorFlow's rule); ``"full"`` pads ``D·(F - 1)`` on each side.
    """
    n, f = check_int("n", n, low=1), check_int("kernel_size", kernel_size, low=1)
    s, d = check_int("stride", stride, low=1), check_int("dilation", dilation, low=1)
    padding = _check_padding(padding)
    span = d * (f - 1) + 1
    if padding == "valid":
        return Padding(0, 0)
    if padding == "full":
        return Padding(span - 1, span - 1)
    out = -(-n // s)
    total = max((out - 1) * s + span - n, 0)
    return Padding(total // 2, total - total // 2)


def conv_output_size(n: int, kernel_size: int, padding: str = "valid", stride: int = 1,
                     dilation: int = 1) -> int:
    """Output length of a convolution along one axis: ``⌊(n + P − D·(F − 1) − 1) / S⌋ + 1``.

    What this shows: the lecture's formula ``(n + 2p − F)/S + 1``, with
    dilation widening the kernel to ``D·(F − 1) + 1``.

    Args:
        n: input length (pixels).
        kernel_size: kernel side F.
        padding: ``"valid"`` (none), ``"same"`` (output ``⌈n/S⌉``) or ``"full"``.
        stride: step S between windows.
        dilation: gap D between kernel taps.

    Raises:
        ValueError: the kernel does not fit (valid padding with a wider kernel).
    """
    pad = padding_amounts(n, kernel_size, padding, stride, dilation)
    span = dilation * (kernel_size - 1) + 1
    size = (n + pad.total - span) // stride + 1
    if n + pad.total < span:
        raise ArgumentError(f"a kernel spanning {span} pixels (kernel_size={kernel_size}, dilation="
                         f"{dilation}) does not fit an input of {n} with padding={padding!r}; use a "
                         "smaller kernel or padding='same'")
    return int(size)


def _check_image(image: Any) -> np.ndarray:
    return check_array("image", image, ndim=(2, 3), dtype="float64")


def _check_kernel(kernel: Any, channels: int | None) -> np.ndarray:
    k = check_array("kernel", kernel, ndim=(2, 3, 4), dtype="float64")
    if k.ndim >= 3 and channels is not None and k.shape[2] != channels:
        fail("kernel", kernel, f"a kernel with {channels} input channels like the image",
             f"it has {k.shape[2]} input channels")
    return k


def convolve2d(image: Any, kernel: Any, padding: str = "valid", stride: int | Sequence[int] = 1,
               dilation: int | Sequence[int] = 1, bias: Any = 0.0) -> np.ndarray:
    """Cross-correlate an image with a kernel, as a CNN layer does (NumPy reference).

    What this shows: each output value is ``Σ W[m, n]·x[i·S + m·D, j·S + n·D] + b``
    — the kernel is *not* flipped, exactly as in keras ``Conv2D`` and
    ``scipy.signal.correlate2d``.

    Args:
        image: ``(H, W)`` or ``(H, W, C)``.
        kernel: ``(F, F)`` (applied to a 2-D image, or to every channel summed),
            ``(F, F, C)`` or ``(F, F, C, K)`` like a Keras kernel.
        padding: ``"valid"``, ``"same"`` (TensorFlow's rule) or ``"full"``.
        stride, dilation: an int or ``(rows, cols)``.
        bias: added to every output (a scalar or one per output channel K).

    Returns:
        ``(H', W')`` for a 2-D/3-D kernel, ``(H', W', K)`` for a 4-D one (float64).
    """
    a = _check_image(image)
    padding = _check_padding(padding)
    k = _check_kernel(kernel, a.shape[2] if a.ndim == 3 else None)
    if a.ndim == 2:
        a = a[..., None]
    if k.ndim == 2:
        k = np.repeat(k[:, :, None], a.shape[2], axis=2)
    if k.shape[2] != a.shape[2]:
        fail("kernel", kernel, f"a kernel with {a.shape[2]} input channels like the image",
             f"it has {k.shape[2]} input channels")
    four = k.ndim == 4
    if not four:
        k = k[..., None]
    strides = (stride, stride) if np.isscalar(stride) else tuple(stride)
    dilations = (dilation, dilation) if np.isscalar(dilation) else tuple(dilation)
    if len(strides) != 2:
        fail("stride", stride, "an int or a pair (rows, cols)")
    if len(dilations) != 2:
        fail("dilation", dilation, "an int or a pair (rows, cols)")
    sh, sw = (check_int("stride", s, low=1) for s in strides)
    dh, dw = (check_int("dilation", d, low=1) for d in dilations)
    fh, fw = k.shape[:2]
    oh = conv_output_size(a.shape[0], fh, padding, sh, dh)
    ow = conv_output_size(a.shape[1], fw, padding, sw, dw)
    ph = padding_amounts(a.shape[0], fh, padding, sh, dh)
    pw = padding_amounts(a.shape[1], fw, padding, sw, dw)
    padded = np.pad(a, ((ph.before, ph.after), (pw.before, pw.after), (0, 0)))
    out = np.zeros((oh, ow, k.shape[3]))
    # One shifted, strided view of the image per kernel tap: F·F matrix products, no Python loop per pixel.
    for m in range(fh):
        for n in range(fw):
            window = padded[m * dh: m * dh + (oh - 1) * sh + 1: sh, n * dw: n * dw + (ow - 1) * sw + 1: sw]
            out += window @ k[m, n]
    out = out + np.asarray(bias, dtype="float64")
    return out if four else out[..., 0]


@dataclass(frozen=True)
class Convolution:
    """An image, a kernel and their convolution, with the settings and the zeros padded.

    ``output`` is ``convolve2d(image, kernel, padding, stride, dilation, bias)``;
    ``pad_rows`` and ``pad_cols`` are the zeros added (before, after) on each axis.
    """

    image: np.ndarray        # (H, W) or (H, W, C)
    kernel: np.ndarray       # (F, F), (F, F, C) or (F, F, C, K)
    output: np.ndarray       # (H', W') or (H', W', K)
    padding: str
    stride: tuple[int, int]
    dilation: tuple[int, int]
    bias: float
    pad_rows: Padding
    pad_cols: Padding


def compute_convolution(image: Any, kernel: Any, *, padding: str = "valid", stride: int | Sequence[int] = 1,
                        dilation: int | Sequence[int] = 1, bias: float = 0.0) -> Convolution:
    """Slide ``kernel`` over ``image`` as a CNN layer does and keep what a picture needs.

    What this shows: one small kernel reused at every position turns an image
    into a map of where its pattern occurs (edges for a Sobel kernel, a blur
    for a box kernel); padding, stride and dilation set the output's size.
    """
    output = convolve2d(image, kernel, padding, stride, dilation, bias)
    a, k = np.asarray(image, dtype="float64"), np.asarray(kernel, dtype="float64")
    strides = (stride, stride) if np.isscalar(stride) else tuple(stride)
    dilations = (dilation, dilation) if np.isscalar(dilation) else tuple(dilation)
    pads = [padding_amounts(a.shape[i], k.shape[i], padding, int(strides[i]), int(dilations[i])) for i in (0, 1)]
    return Convolution(a, k, output, _check_padding(padding), (int(strides[0]), int(strides[1])),
                       (int(dilations[0]), int(dilations[1])), float(bias), pads[0], pads[1])


@dataclass(frozen=True)
class OutputStep:
    """How one output value is made: window × kernel, summed, plus the bias.

    ``image`` and ``output`` are the whole input and convolution, so a picture
    can show where the window sits and which output it makes.
    """

    row: int                 # output position
    col: int
    window: np.ndarray       # (F, F) input values under the kernel (padding zeros included)
    kernel: np.ndarray       # (F, F)
    products: np.ndarray     # window * kernel
    total: float             # products.sum()
    bias: float
    value: float             # total + bias
    input_rows: np.ndarray   # (F,) input row of each tap (negative or >= H: padding)
    input_cols: np.ndarray   # (F,)
    image: np.ndarray        # (H, W) the input
    output: np.ndarray       # (H', W') the whole convolution


def compute_output_step(image: Any, kernel: Any, row: int, col: int, *, padding: str = "valid", stride: int = 1,
                        dilation: int = 1, bias: float = 0.0) -> OutputStep:
    """The window, the products, the sum and the bias behind output ``[row, col]``.

    What this shows: the lecture's by-hand step, e.g. the top-left 19 of
    ``[[0,1,2],[3,4,5],[6,7,8]] ⋆ [[0,1],[2,3]]`` is ``0·0 + 1·1 + 3·2 + 4·3``.
    """
    a = _check_image(image)
    if a.ndim != 2:
        fail("image", image, "2-D (H, W) for a step-by-step view")
    k = _check_kernel(kernel, None)
    if k.ndim != 2:
        fail("kernel", kernel, "2-D (F, F) for a step-by-step view")
    stride, dilation = check_int("stride", stride, low=1), check_int("dilation", dilation, low=1)
    oh = conv_output_size(a.shape[0], k.shape[0], padding, stride, dilation)
    ow = conv_output_size(a.shape[1], k.shape[1], padding, stride, dilation)
    row, col = check_int("row", row, low=0, high=oh - 1), check_int("col", col, low=0, high=ow - 1)
    top = padding_amounts(a.shape[0], k.shape[0], padding, stride, dilation).before
    left = padding_amounts(a.shape[1], k.shape[1], padding, stride, dilation).before
    rows = row * stride - top + dilation * np.arange(k.shape[0])
    cols = col * stride - left + dilation * np.arange(k.shape[1])
    inside = (rows[:, None] >= 0) & (rows[:, None] < a.shape[0]) & (cols[None] >= 0) & (cols[None] < a.shape[1])
    window = np.where(inside, a[np.clip(rows, 0, a.shape[0] - 1)][:, np.clip(cols, 0, a.shape[1] - 1)], 0.0)
    products = window * k
    total = float(products.sum())
    output = convolve2d(a, k, padding, stride, dilation, bias)
    return OutputStep(row, col, window, k, products, total, float(bias), total + float(bias), rows, cols, a, output)


@dataclass(frozen=True)
class PaddingStride:
    """Where a kernel lands along one axis: the padded input and the first windows.

    Window ``o`` covers input pixels ``o·stride − before`` to that plus
    ``span − 1`` (negative or ``>= n``: padding zeros).
    """

    n: int
    kernel_size: int
    padding: str
    stride: int
    dilation: int
    pad: Padding
    span: int                # D·(F − 1) + 1 input pixels under one window
    output_size: int


def compute_padding_stride(n: int, kernel_size: int, *, padding: str = "valid", stride: int = 1,
                           dilation: int = 1) -> PaddingStride:
    """Padding, window span and output size of a square ``n``×``n`` input, per axis.

    What this shows: padding adds zeros around the image, stride moves the
    window by S, dilation spreads its taps D apart; together they give the
    lecture's ``(n + 2p − F)/S + 1``.
    """
    size = conv_output_size(n, kernel_size, padding, stride, dilation)
    return PaddingStride(int(n), int(kernel_size), _check_padding(padding), int(stride), int(dilation),
                         padding_amounts(n, kernel_size, padding, stride, dilation),
                         int(dilation) * (int(kernel_size) - 1) + 1, size)


@dataclass(frozen=True)
class PaddingRule:
    """How many zeros "valid", "same" and "full" add for each kernel side F (stride 1, no dilation).

    ``same[i]`` and ``full[i]`` are the zeros added on *each* side for
    ``kernel_sizes[i]``; ``outputs[i]`` the (valid, same, full) output sides
    of an ``n``×``n`` input. Lecture 000's "same = 1, full = 2" is the F = 3 row.
    """

    n: int
    kernel_sizes: tuple[int, ...]
    valid: tuple[int, ...]        # 0 for every F
    same: tuple[int, ...]         # (F − 1) / 2 per side (odd F)
    full: tuple[int, ...]         # F − 1 per side
    outputs: tuple[tuple[int, int, int], ...]  # (n − F + 1, n, n + F − 1)


def compute_padding_rule(n: int = 6, kernel_sizes: Sequence[int] = (3, 5, 7)) -> PaddingRule:
    """The padding each mode adds for several odd kernel sides, with the output sides it gives.

    What this shows: lecture 000 says valid padding = 0, same = 1 and full = 2;
    that holds for a 3×3 kernel. In general (stride 1, odd F) "same" pads
    P = (F − 1)/2 on each side, so the output keeps the input's size n, and
    "full" pads F − 1, so every overlap of kernel and image counts and the
    output grows to n + F − 1: 2 and 4 for F = 5, 3 and 6 for F = 7.

    Args:
        n: the input side the output sizes are computed for.
        kernel_sizes: odd kernel sides F (an even F has no centre, so "same"
            cannot pad it equally on both sides).
    """
    n = check_int("n", n, low=1)
    sizes = tuple(check_int("kernel_sizes", f, low=1) for f in kernel_sizes)
    if not sizes:
        fail("kernel_sizes", kernel_sizes, "one or more odd kernel sides, e.g. (3, 5, 7)")
    even = [f for f in sizes if f % 2 == 0]
    if even:
        fail("kernel_sizes", kernel_sizes, "odd kernel sides (an even F has no centre pixel)",
             f"{even} {'is' if len(even) == 1 else 'are'} even")
    if max(sizes) > n:
        fail("kernel_sizes", kernel_sizes, f"kernel sides no larger than n = {n} (valid padding needs F ≤ n)")
    same, full, outputs = [], [], []
    for f in sizes:
        s_pad, f_pad = padding_amounts(n, f, "same"), padding_amounts(n, f, "full")
        same.append(s_pad.before)
        full.append(f_pad.before)
        outputs.append(tuple(conv_output_size(n, f, mode) for mode in PADDINGS))
    return PaddingRule(n, sizes, tuple(0 for _ in sizes), tuple(same), tuple(full), tuple(outputs))


# ------------------------------------------------------------- parameter counts
def conv_parameter_count(kernel_size: int, in_channels: int, filters: int, bias: bool = True) -> int:
    """Parameters of a conv layer: ``(F·F·C + 1)·K`` (lecture 002); independent of the image size."""
    f, c, k = (check_int(n, v, low=1) for n, v in (("kernel_size", kernel_size), ("in_channels", in_channels),
                                                   ("filters", filters)))
    return (f * f * c + int(bool(bias))) * k


def dense_parameter_count(layer_sizes: Sequence[int]) -> int:
    """Parameters of a fully connected net with these layer widths: ``Σ (n_in + 1)·n_out``.

    What this shows: the lecture's 256·256·3 → 1000 → 1 net already has 196,610,001.
    """
    sizes = [check_int("layer_sizes", v, low=1) for v in layer_sizes]
    if len(sizes) < 2:
        fail("layer_sizes", list(layer_sizes), "an input width and at least one layer width")
    return int(sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])))


# ------------------------------------------------------- inside a Keras CNN
@dataclass(frozen=True)
class Filters:
    """A conv layer's learned kernels ``(F, F, C, K)`` and biases ``(K,)`` (zeros if none)."""

    layer_name: str
    kernels: np.ndarray
    bias: np.ndarray


def compute_filters(model: Any, *, layer_name: str | type | None = None) -> Filters:
    """The kernels of a conv layer, found by name or type (``None``: the first conv layer).

    What this shows: after training, first-layer kernels look like the
    lecture's edge and blob detectors.
    """
    _layers.check_model(model)
    _, layer = _layers.find(model, layer_name)
    if not _layers.is_conv(layer):
        fail("layer_name", layer_name, f"a conv layer of model {model.name!r}",
             f"layer {layer.name!r} is a {type(layer).__name__}, not a conv layer; "
             f"pick one of {[c.name for c in _layers.conv_layers(model)]}")
    kernel = getattr(layer, "depthwise_kernel", None)
    if kernel is None:
        kernel = layer.kernel
    k = np.asarray(kernel)
    b = np.asarray(layer.bias) if getattr(layer, "bias", None) is not None else np.zeros(k.shape[-1], "float32")
    return Filters(layer.name, k, b)


# ------------------------------------------------------- a kernel on a real CT
@dataclass(frozen=True)
class WindowedConvolutions:
    """One kernel on one CT slice seen through several windows, and where its response lies.

    What this shows: a kernel sees grey levels, not Hounsfield units, so the
    window chosen before it decides what it finds. An edge detector on a brain
    window (40/80 HU) responds inside the brain, at grey/white-matter borders
    (and to the noise the narrow window magnifies), while the skull is a flat
    white; on a bone window (400/1800 HU) the brain is a flat grey and the
    response lies on the skull.

    Attributes:
        windows: the window names; level_width: their (level, width) in HU.
        kernel: (F, F).
        images: (n, H, W) the slice windowed (in [0, 1]) and resized, one per window.
        outputs: (n, H, W) the kernel's response ("same" padding, stride 1).
        bone: (H, W) bool, pixels of at least ``bone_hu`` HU; soft_tissue: (H, W) bool,
            pixels of -100 to 100 HU more than 4 pixels from bone.
        bone_share, soft_tissue_share: (n,) the share of Σ|output| within
            ``F // 2 + 1`` pixels of bone, and on soft tissue away from bone.
        bone_hu: the bone threshold in HU.
    """

    windows: tuple[str, ...]
    level_width: tuple[tuple[float, float], ...]
    kernel: np.ndarray
    images: np.ndarray
    outputs: np.ndarray
    bone: np.ndarray
    soft_tissue: np.ndarray
    bone_share: np.ndarray
    soft_tissue_share: np.ndarray
    bone_hu: float


def compute_windowed_convolutions(scan: Any, kernel: Any, *, windows: Sequence[str] = ("brain", "soft_tissue", "bone"),
                                  size: int | tuple[int, int] | None = None,
                                  bone_hu: float = 300.0) -> WindowedConvolutions:
    """Convolve one CT slice with ``kernel`` after each window and measure where the response is.

    What this shows: the window is part of the model's input, not a display
    setting: the same Sobel kernel outlines grey and white matter on a brain
    window and the skull on a bone window.

    Args:
        scan: a CT :class:`models.data.Scan` (pixels in HU) or a CT's name in
            ``models.data.SCANS``; a multi-frame scan gives its middle frame.
        kernel: (F, F).
        windows: names in ``models.data.WINDOWS``.
        size: resize to this side or (height, width) (as a network input; anti-aliased); None keeps the scan's.
        bone_hu: HU at and above which a pixel counts as bone (cortical bone is far above; 300 keeps the
            thin inner table of the skull).
    """
    from models._arguments import check_float
    from models.data import SCANS, WINDOWS, Scan, load_scan, scan_input

    if isinstance(scan, str) and scan in SCANS:
        scan = load_scan(scan)
    if not isinstance(scan, Scan):
        fail("scan", scan, f"a CT Scan or the name of a built-in CT ({', '.join(n for n in SCANS if 'ct' in n)})")
    if scan.modality != "CT":
        fail("scan", scan.source, "a CT (its pixels in Hounsfield units)", f"this scan is {scan.modality or 'unknown'}")
    k = _check_kernel(kernel, None)
    if k.ndim != 2:
        fail("kernel", kernel, "2-D (F, F)")
    windows = tuple(check_choice("windows", w, WINDOWS) for w in windows)
    if not windows:
        fail("windows", windows, f"at least one of {', '.join(WINDOWS)}")
    bone_hu = check_float("bone_hu", bone_hu)
    hu = scan.pixels if scan.pixels.ndim == 2 else scan.pixels[scan.pixels.shape[0] // 2]
    images = np.stack([scan_input(scan, size, window=w) for w in windows])
    shape = images.shape[1:]
    if shape != hu.shape:
        from skimage.transform import resize

        bone = resize((hu >= bone_hu).astype("float32"), shape, anti_aliasing=True) > 0.5
        hu = resize(hu, shape, anti_aliasing=True, preserve_range=True)
    else:
        bone = hu >= bone_hu
    from scipy import ndimage

    reach = k.shape[0] // 2 + 1
    near_bone = ndimage.binary_dilation(bone, iterations=reach) if bone.any() else bone
    far = ~ndimage.binary_dilation(bone, iterations=4) if bone.any() else ~bone
    soft = (hu >= -100) & (hu <= 100) & far
    outputs = np.stack([convolve2d(image, k, "same") for image in images])
    magnitude = np.abs(outputs)
    total = magnitude.sum(axis=(1, 2))
    safe = np.where(total > 0, total, 1.0)
    return WindowedConvolutions(windows, tuple(tuple(float(v) for v in WINDOWS[w]) for w in windows), k, images,
                                outputs, bone, soft, magnitude[:, near_bone].sum(axis=1) / safe,
                                magnitude[:, soft].sum(axis=1) / safe, bone_hu)
