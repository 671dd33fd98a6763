"""What happens to an image before a network sees it: windowing, normalisation, resizing, augmentation.

Each ``compute_*`` returns a frozen dataclass of NumPy arrays and plain
numbers; ``explainers.preprocessing_plots`` draws them. Real scans come from
:func:`models.data.load_scan` (pixels in the modality's units: Hounsfield
units for CT) or :func:`models.data.scan_input`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models._arguments import ArgumentError, check_array, check_float, check_int

__all__ = [
    "Windowing", "compute_windowing", "NORMALISATIONS", "Normalisation", "compute_normalisation",
    "zone_plate", "Resizing", "compute_resizing", "AugmentationGallery", "compute_augmentation_gallery",
]


def _check_image(name: str, image: Any) -> np.ndarray:
    x = check_array(name, image, ndim=2)
    if min(x.shape) < 2:
        raise ArgumentError(f"{name} must be a 2-D image of at least 2×2 pixels, got shape {x.shape}")
    return x


def _check_range(name: str, value: Any) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be (low, high), got {value!r}") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ArgumentError(f"{name} must be (low, high) with low < high, got {value!r}")
    return low, high


# ------------------------------------------------------------------ windowing and clipping
@dataclass(frozen=True)
class Windowing:
    """One CT slice three ways: min-max of the raw values, HU clipped then scaled, and a window.

    What this shows: a CT holds Hounsfield units from about -1000 (air) to
    +3000 (metal). Scaled min-max to [0, 1], the 0-80 HU of brain tissue get a
    handful of the 256 grey levels and the brain looks flat grey; clipping to
    a fixed HU range first (a common network input) helps a little; a window
    (level, width) spends every grey level on the tissue asked for, and clips
    the rest to black or white.

    ``grey_levels`` says, per mapping, how many of 256 grey levels the
    ``tissue`` HU range spans; ``saturated`` the share of (non-padding) pixels
    the window clips to black or white.
    """

    hu: np.ndarray            # (H, W) the slice in HU
    padding: np.ndarray       # (H, W) bool, pixels outside the field of view
    images: dict              # mapping name -> (H, W) float32 in [0, 1]
    level: float
    width: float
    clip: tuple[float, float]
    tissue: tuple[float, float]
    grey_levels: dict         # mapping name -> grey levels (of 256) the tissue range spans
    saturated: tuple[float, float]  # share of pixels below and above the window
    counts: np.ndarray        # (bins,) HU histogram of the non-padding pixels
    edges: np.ndarray         # (bins + 1,) HU


WINDOWING_NAMES = ("min-max of raw values", "clipped HU", "window")


def compute_windowing(hu: Any, level: float, width: float, *, padding: Any = None,
                      clip: tuple[float, float] = (-1000.0, 1000.0), tissue: tuple[float, float] = (0.0, 80.0),
                      bins: int = 120) -> Windowing:
    """Map a CT slice in HU to [0, 1] three ways and measure how much contrast each leaves a tissue.

    What this shows: why CT is windowed, not min-max scaled: min-max gives the
    0-80 HU of the brain a few grey levels, a brain window all of them.

    Args:
        hu: (H, W) pixels in Hounsfield units (e.g. ``load_scan("ct_head").pixels``).
        level, width: the window (centre and width in HU, as in :data:`models.data.WINDOWS`).
        padding: (H, W) bool, pixels outside the scanner's field of view (``Scan.padding``);
            left out of the histogram and the saturation, not mistaken for air.
        clip: the HU range clipped to before scaling (a fixed input range many CT networks use).
        tissue: the HU range whose grey levels are counted (0-80: grey and white matter).
        bins: bins of the HU histogram.
    """
    from models.data import window

    hu = _check_image("hu", hu)
    level = check_float("level", level)
    width = check_float("width", width, low=0.0, low_open=True)
    clip = _check_range("clip", clip)
    tissue = _check_range("tissue", tissue)
    bins = check_int("bins", bins, low=2, high=2000)
    pad = np.zeros(hu.shape, bool) if padding is None else np.asarray(padding, bool)
    if pad.shape != hu.shape:
        raise ArgumentError(f"padding must have the shape of hu {hu.shape}, got {pad.shape}")
    low, high = float(hu.min()), float(hu.max())
    span = max(high - low, 1e-6)
    images = {
        "min-max of raw values": ((hu - low) / span).astype(np.float32),
        "clipped HU": ((np.clip(hu, *clip) - clip[0]) / (clip[1] - clip[0])).astype(np.float32),
        "window": window(hu, level, width),
    }
    spans = {  # the grey levels (of 256) between the tissue's lower and upper HU, per mapping
        "min-max of raw values": (min(tissue[1], high) - max(tissue[0], low)) / span,
        "clipped HU": (min(tissue[1], clip[1]) - max(tissue[0], clip[0])) / (clip[1] - clip[0]),
        "window": (min(tissue[1], level + width / 2) - max(tissue[0], level - width / 2)) / width,
    }
    grey_levels = {k: float(np.clip(v, 0.0, 1.0) * 255.0) for k, v in spans.items()}
    body = hu[~pad] if (~pad).any() else hu.ravel()
    below = float((body < level - width / 2).mean())
    above = float((body > level + width / 2).mean())
    counts, edges = np.histogram(body, bins=bins)
    return Windowing(hu.astype(np.float32), pad, images, level, width, clip, tissue, grey_levels, (below, above),
                     counts, edges)


# ------------------------------------------------------------------ normalisation
NORMALISATIONS = ("min-max", "z-score", "percentile")


def _normalise(x: np.ndarray, method: str, percentiles: tuple[float, float]) -> np.ndarray:
    if method == "min-max":
        return (x - x.min()) / max(float(x.max() - x.min()), 1e-12)
    if method == "z-score":
        return (x - x.mean()) / max(float(x.std()), 1e-12)
    low, high = np.percentile(x, percentiles)
    return (x - low) / max(float(high - low), 1e-12)


@dataclass(frozen=True)
class Normalisation:
    """An image normalised three ways, without and with one outlier pixel, with the histograms.

    What this shows: MR intensities have no units, so every network scales
    its inputs; how it scales decides what one bad pixel does. Min-max
    divides by the range: one hot pixel 10× the brightest tissue squeezes
    every other pixel into a tenth of [0, 1]. The z-score divides by the
    standard deviation, which one pixel moves only a little, and keeps the
    outlier as a large value. A percentile (robust) scaling (1st to 99th
    percentile to 0-1) hardly notices it.

    ``spread[method]`` is the standard deviation of the other pixels after
    normalisation with the outlier, divided by that without (1: untouched);
    ``outlier_value[method]`` is where the outlier lands.
    """

    image: np.ndarray         # (H, W) the clean image (raw values)
    outlier_at: tuple[int, int]
    outlier_factor: float     # the outlier pixel is this times the image's maximum
    methods: tuple[str, ...]
    clean: dict               # method -> (H, W) normalised clean image
    corrupted: dict           # method -> (H, W) normalised image with the outlier
    spread: dict              # method -> std of the other pixels, with / without the outlier
    outlier_value: dict       # method -> the outlier's normalised value
    counts_clean: dict        # method -> (bins,) histogram of the clean normalised pixels
    counts_corrupted: dict    # method -> (bins,) histogram of the other pixels with the outlier
    edges: dict               # method -> (bins + 1,) shared bin edges
    percentiles: tuple[float, float]


def compute_normalisation(image: Any, *, outlier_factor: float = 10.0, outlier_at: tuple[int, int] | None = None,
                          percentiles: tuple[float, float] = (1.0, 99.0), bins: int = 60) -> Normalisation:
    """Normalise ``image`` by min-max, z-score and percentiles, with and without one outlier pixel.

    What this shows: one outlier pixel wrecks min-max scaling, moves the
    z-score a little (and stays an extreme value) and barely moves a
    percentile scaling.

    Args:
        image: (H, W) raw intensities (e.g. an MR in scanner units, ``load_scan("mr").pixels``).
        outlier_factor: the outlier pixel's value, as a multiple of the image's maximum (>= 1).
        outlier_at: (row, column) of the outlier (default: a third of the way in from the top left).
        percentiles: the (low, high) percentiles the robust scaling maps to 0 and 1.
        bins: histogram bins.
    """
    x = _check_image("image", image).astype(np.float64)
    outlier_factor = check_float("outlier_factor", outlier_factor, low=1.0, high=1e6)
    percentiles = _check_range("percentiles", percentiles)
    if percentiles[0] < 0 or percentiles[1] > 100:
        raise ArgumentError(f"percentiles must lie in [0, 100], got {percentiles}")
    bins = check_int("bins", bins, low=2, high=1000)
    h, w = x.shape
    if outlier_at is None:
        outlier_at = (h // 3, w // 3)
    r = check_int("outlier_at row", outlier_at[0], low=0, high=h - 1)
    c = check_int("outlier_at column", outlier_at[1], low=0, high=w - 1)
    corrupted = x.copy()
    corrupted[r, c] = outlier_factor * max(float(np.abs(x).max()), 1e-12)
    others = np.ones(x.shape, bool)
    others[r, c] = False
    clean, bad, spread, value, counts_clean, counts_bad, edges = {}, {}, {}, {}, {}, {}, {}
    for m in NORMALISATIONS:
        clean[m] = _normalise(x, m, percentiles).astype(np.float32)
        bad[m] = _normalise(corrupted, m, percentiles).astype(np.float32)
        spread[m] = float(bad[m][others].std() / max(float(clean[m][others].std()), 1e-12))
        value[m] = float(bad[m][r, c])
        lo = float(min(clean[m].min(), bad[m][others].min()))
        hi = float(max(clean[m].max(), bad[m][others].max()))
        edges[m] = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
        counts_clean[m] = np.histogram(clean[m], bins=edges[m])[0]
        counts_bad[m] = np.histogram(bad[m][others], bins=edges[m])[0]
    return Normalisation(x.astype(np.float32), (r, c), outlier_factor, NORMALISATIONS, clean, bad, spread, value,
                         counts_clean, counts_bad, edges, percentiles)


# ------------------------------------------------------------------ resizing
def zone_plate(size: int = 256, *, max_frequency: float = 0.5) -> np.ndarray:
    """A zone plate: rings whose spatial frequency grows from 0 at the centre to ``max_frequency``
    cycles per pixel at the edge midpoints, (size, size) float32 in [0, 1].

    The classic test pattern for resampling: every frequency is present, so
    any aliasing shows as false rings (moiré) far from the centre.
    """
    size = check_int("size", size, low=8, high=4096)
    max_frequency = check_float("max_frequency", max_frequency, low=0.0, high=0.5, low_open=True)
    g = np.arange(size, dtype=np.float64) - (size - 1) / 2
    r2 = g[:, None] ** 2 + g[None, :] ** 2
    # phase = π f_max r² / R: the local frequency d(phase)/dr / 2π = f_max r / R
    phase = np.pi * max_frequency * r2 / (size / 2)
    return (0.5 + 0.5 * np.cos(phase)).astype(np.float32)


def _dct_resize(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Ideal low-pass resampling: keep the DCT coefficients below the new Nyquist, invert at the new size.

    The DCT treats the image as mirrored at its borders, so there is no
    wrap-around ringing; output pixel centres sit where skimage puts them.
    """
    from scipy.fft import dctn, idctn

    coefficients = dctn(image.astype(np.float64), norm="ortho")
    h, w = shape
    kept = np.zeros((h, w))
    hh, ww = min(h, image.shape[0]), min(w, image.shape[1])
    kept[:hh, :ww] = coefficients[:hh, :ww]
    scale = np.sqrt(h * w / (image.shape[0] * image.shape[1]))
    return idctn(kept, norm="ortho") * scale


@dataclass(frozen=True)
class Resizing:
    """One image shrunk with and without anti-aliasing, against an ideal low-pass reference.

    What this shows: shrinking an image keeps only every few pixels; detail
    finer than the new pixel size does not vanish but returns as false,
    coarser patterns (aliasing: moiré rings on a zone plate, jagged edges and
    false texture on a scan). Blurring first (anti-aliasing) removes that
    detail before sampling. ``rmse`` measures each result against the ideal
    low-pass (DCT) resampling, which keeps exactly the frequencies the new
    size can hold.
    """

    original: np.ndarray      # (H, W)
    reference: np.ndarray     # (h, w) ideal low-pass resampling
    resized: dict             # "anti-aliased" / "no anti-aliasing" -> (h, w)
    rmse: dict                # same keys -> root-mean-square error against the reference
    factor: float             # original size / new size (rows)


def compute_resizing(image: Any, size: int | tuple[int, int] = 64) -> Resizing:
    """Shrink ``image`` with ``skimage.transform.resize``, anti-aliased and not, and measure the aliasing.

    What this shows: resizing without anti-aliasing turns fine detail into
    false coarse patterns; anti-aliasing (a Gaussian blur matched to the
    shrink factor, skimage's ``anti_aliasing=True``) keeps the result close to
    an ideal low-pass resampling.

    Args:
        image: (H, W) image in [0, 1] (a zone plate, or ``scan_input(name, size=None)``).
        size: new side, or (height, width); smaller than the image.
    """
    from skimage.transform import resize

    x = _check_image("image", image).astype(np.float64)
    if isinstance(size, (tuple, list)):
        shape = (check_int("size height", size[0], low=2), check_int("size width", size[1], low=2))
    else:
        side = check_int("size", size, low=2)
        shape = (side, side)
    if shape[0] > x.shape[0] or shape[1] > x.shape[1]:
        raise ArgumentError(f"size must not exceed the image's shape {x.shape} (this shows shrinking), got {size}")
    reference = _dct_resize(x, shape)
    resized = {
        "anti-aliased": resize(x, shape, order=1, anti_aliasing=True),
        "no anti-aliasing": resize(x, shape, order=1, anti_aliasing=False),
    }
    rmse = {k: float(np.sqrt(np.mean((v - reference) ** 2))) for k, v in resized.items()}
    return Resizing(x.astype(np.float32), reference.astype(np.float32),
                    {k: v.astype(np.float32) for k, v in resized.items()}, rmse, x.shape[0] / shape[0])


# ------------------------------------------------------------------ augmentation gallery
@dataclass(frozen=True)
class AugmentationGallery:
    """One image and ``n`` augmented copies of it, for the chosen strengths.

    What this shows: what a network sees instead of the one image it was
    given: each epoch a different flipped, turned, zoomed, shifted, shaded,
    ghosted or noisier copy, the label unchanged.
    """

    original: np.ndarray      # (H, W)
    copies: np.ndarray        # (n, H, W)
    strengths: dict
    seed: int


def compute_augmentation_gallery(image: Any, n: int = 8, *, seed: int = 0, **strengths: float
                                 ) -> AugmentationGallery:
    """``n`` copies of ``image`` through :func:`models.data.augmentation.augment` with ``strengths``.

    What this shows: the variety augmentation adds to one training image.

    Args:
        image: (H, W) image in [0, 1] (e.g. ``scan_input("mr")``).
        n: copies to make.
        seed: seeds the copies (the same seed, the same gallery).
        strengths: keyword arguments of ``augment`` (``flip=0.5``, ``rotation=15``, ...).
    """
    from models.data.augmentation import augment

    x = _check_image("image", image)
    n = check_int("n", n, low=1, high=64)
    copies = augment(np.repeat(x[None, :, :, None], n, axis=0), seed=seed, **strengths)[..., 0]
    return AugmentationGallery(x.astype(np.float32), copies, dict(strengths), int(seed))
