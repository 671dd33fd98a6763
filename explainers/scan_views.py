"""What a real scan holds and how a viewer shows it: HU histograms, windows, millimetres, safe metadata.

What this shows: a CT is a map of Hounsfield units in millimetres, not a
picture; the window decides which HU get the screen's grey levels, min-max
scaling of the raw stored values wastes them on padding and metal, and the
pixel spacing turns pixels into a scale bar. Drawing lives in
:mod:`explainers.scan_views_plots`.

    >>> from models.data import load_scan
    >>> scan = load_scan("ct_head")
    >>> h = compute_hu_histogram(scan)
    >>> round(float(h.shares[h.tissues.index("air")]), 2)    # of the real pixels; padding left out
    0.48
    >>> compute_scale_bar(scan.spacing_mm, 512).mm
    50.0
"""
from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models._arguments import ArgumentError, check_float, check_int, fail
from models.data import SCANS, WINDOWS, Scan, default_window, load_scan, scan_input

__all__ = [
    "TISSUE_HU", "SAFE_TAGS", "GREY_WHITE_HU",
    "HUHistogram", "compute_hu_histogram",
    "WindowViews", "compute_window_views",
    "ScaleBar", "compute_scale_bar",
    "ScanView", "compute_scan_view",
    "ScanGallery", "compute_scan_gallery",
    "DicomMetadata", "compute_dicom_metadata",
]

# Tissue ranges in HU, [low, high). Values after Radiopaedia's "Hounsfield unit" article
# (https://radiopaedia.org/articles/hounsfield-unit: air -1000, fat -120 to -90, water 0,
# soft tissue on contrast CT +100 to +300, cancellous bone +300 to +400, cortical bone
# +500 to +1900; grey matter +37 to +45, white matter +20 to +30, muscle +35 to +55) and
# its "lung parenchyma" of about -900 to -500. Real tissues overlap and the bands leave gaps
# (pixels there count as "other"): they are reading aids, not a classifier.
TISSUE_HU: dict[str, tuple[float, float]] = {
    "air": (-1100.0, -950.0),
    "lung": (-900.0, -500.0),
    "fat": (-120.0, -90.0),
    "water": (-10.0, 20.0),
    "soft tissue": (20.0, 80.0),
    "contrast": (100.0, 300.0),
    "bone": (300.0, 1900.0),
}

# White and grey matter of the brain, HU (Radiopaedia: white +20 to +30, grey +37 to +45):
# the 15 HU a brain window spreads over many grey levels and min-max squeezes into one.
GREY_WHITE_HU: tuple[float, float] = (25.0, 40.0)

# The DICOM tags a page may show (an allow-list: anything not named here is never shown,
# so a file with patient, institution or physician tags leaks none of them).
SAFE_TAGS: dict[str, str] = {
    "Modality": "Modality",
    "BodyPartExamined": "Body part",
    "StudyDescription": "Study",
    "SeriesDescription": "Series",
    "Rows": "Rows",
    "Columns": "Columns",
    "NumberOfFrames": "Frames",
    "PixelSpacing": "Pixel spacing (mm)",
    "ImagerPixelSpacing": "Imager pixel spacing (mm)",
    "SliceThickness": "Slice thickness (mm)",
    "WindowCenter": "Window level",
    "WindowWidth": "Window width",
    "RescaleSlope": "Rescale slope",
    "RescaleIntercept": "Rescale intercept",
    "PhotometricInterpretation": "Photometric",
    "SamplesPerPixel": "Samples per pixel",
    "BitsAllocated": "Bits allocated",
    "BitsStored": "Bits stored",
    "PixelRepresentation": "Signed (1) / unsigned (0)",
    "PixelPaddingValue": "Pixel padding value",
    "KVP": "Tube voltage (kVp)",
    "MagneticFieldStrength": "Field strength (T)",
    "RepetitionTime": "TR (ms)",
    "EchoTime": "TE (ms)",
    "ImagingFrequency": "Imaging frequency (MHz)",
    "Manufacturer": "Manufacturer",
    "ManufacturerModelName": "Model",
    "SOPClassUID": "Object type",
}
_TRANSFER_LABEL = "Transfer syntax"
_MAX_VALUE_CHARS = 80


# ---------------------------------------------------------------- helpers
def _grey(scan: Scan) -> bool:
    return not (scan.pixels.shape[-1:] == (3,) and not scan.photometric.startswith("MONOCHROME"))


def _check_scan(scan: Any) -> Scan:
    if not isinstance(scan, Scan):
        fail("scan", scan, "a models.data.Scan", "load one with models.data.load_scan(name_or_path)")
    return scan


def _frame(scan: Scan, frame: int | None) -> tuple[np.ndarray, np.ndarray, int | None]:
    """The 2-D (or 2-D colour) pixels and padding of one frame: the given one, else the middle one."""
    grey_ndim = 2 if _grey(scan) else 3
    if scan.pixels.ndim == grey_ndim:
        if frame not in (None, 0):
            check_int("frame", frame, low=0, high=0)
        return scan.pixels, scan.padding, None
    n = scan.pixels.shape[0]
    index = n // 2 if frame is None else check_int("frame", frame, low=0, high=n - 1)
    return scan.pixels[index], scan.padding[index], index


def _window_arg(name: str, value: Any) -> tuple[float, float]:
    if isinstance(value, str):
        if value not in WINDOWS:
            fail(name, value, f"(level, width) or one of {', '.join(WINDOWS)}")
        return WINDOWS[value]
    try:
        level, width = value
    except (TypeError, ValueError):
        fail(name, value, f"(level, width) or one of {', '.join(WINDOWS)}")
    return check_float(f"{name} level", level), check_float(f"{name} width", width, low=0.0, low_open=True)


def _units(scan: Scan) -> str:
    return "HU" if scan.modality == "CT" else "stored value"


# ---------------------------------------------------------------- HU histogram
@dataclass(frozen=True)
class HUHistogram:
    """The histogram of a scan's real (non-padding) values, with the tissue ranges and their shares.

    What this shows: a head CT is mostly air and soft tissue; the few bone and
    padding values set the extremes, so a window, not the full range, decides what is seen.

    Attributes:
        counts: (bins,) pixels per bin; edges: (bins + 1,) bin edges in ``units``.
        units: "HU" for CT, "stored value" otherwise.
        tissues: names of the tissue ranges (CT only, else empty); ranges: (n, 2) [low, high) in HU.
        shares: (n,) fraction of the real pixels in each range; other_share: the rest.
        n_pixels: real pixels counted; n_padding: padding pixels left out.
        window: the (level, width) to mark, or None; modality: the scan's.
    """

    counts: np.ndarray
    edges: np.ndarray
    units: str
    tissues: tuple[str, ...]
    ranges: np.ndarray
    shares: np.ndarray
    other_share: float
    n_pixels: int
    n_padding: int
    window: tuple[float, float] | None
    modality: str


def compute_hu_histogram(scan: Scan, *, bins: int = 120, frame: int | None = None,
                         window: tuple[float, float] | str | None = None,
                         value_range: tuple[float, float] | None = None) -> HUHistogram:
    """Histogram of one frame's real values (padding left out) and the share of each tissue range.

    What this shows: which HU a slice holds (air, fat, water, soft tissue, bone)
    and how many pixels fall in each tissue's range; the window marked on it
    shows which of them get the screen's grey levels.

    Args:
        scan: a grey :class:`models.data.Scan` (CT gives tissue shares; other modalities only the histogram).
        bins: number of bins (2 to 1000); frame: which frame (default: the middle one).
        window: (level, width) or a :data:`models.data.WINDOWS` name to mark, or None.
        value_range: (low, high) of the bins; default: the real values' min and max (as ``np.histogram``).
    """
    scan = _check_scan(scan)
    if not _grey(scan):
        raise ArgumentError(f"scan is a colour image ({scan.photometric}): it has no single value per pixel "
                            "to histogram; pick a grey scan (CT, MR, radiograph)")
    bins = check_int("bins", bins, low=2, high=1000)
    pixels, padding, _ = _frame(scan, frame)
    marked = None if window is None else _window_arg("window", window)
    real = pixels[~padding] if padding.any() else pixels.ravel()
    if real.size == 0:
        raise ArgumentError("scan has no real pixels: every pixel is padding")
    if value_range is not None:
        try:
            lo, hi = (float(v) for v in value_range)
        except (TypeError, ValueError):
            fail("value_range", value_range, "(low, high)")
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            fail("value_range", value_range, "(low, high) with low < high")
        rng: tuple[float, float] | None = (lo, hi)
    else:
        rng = None
    counts, edges = np.histogram(real, bins=bins, range=rng)
    if scan.modality == "CT":
        tissues = tuple(TISSUE_HU)
        ranges = np.array([TISSUE_HU[t] for t in tissues], dtype=np.float64)
        shares = np.array([np.count_nonzero((real >= a) & (real < b)) for a, b in ranges],
                          dtype=np.float64) / real.size
    else:
        tissues, ranges, shares = (), np.zeros((0, 2)), np.zeros(0)
    return HUHistogram(counts=counts.astype(np.int64), edges=edges.astype(np.float64), units=_units(scan),
                       tissues=tissues, ranges=ranges, shares=shares,
                       other_share=float(max(1.0 - shares.sum(), 0.0)), n_pixels=int(real.size),
                       n_padding=int(padding.sum()), window=marked, modality=scan.modality)


# ---------------------------------------------------------------- window views
@dataclass(frozen=True)
class WindowViews:
    """One slice through several windows, and min-max scaling of the file's full value range beside them.

    What this shows: the same HU look different in each window; min-max lets
    padding (-3024 HU outside the field of view) and metal set the range, so
    brain grey and white matter land on one grey.

    Attributes:
        names: the windows' names; windows: their (level, width).
        images: (n, H, W) float32 in [0, 1], each window's grey levels (MONOCHROME1 inverted).
        minmax: (H, W) float32, min-max of the frame's full value range (padding included).
        minmax_range: (low, high) that min-max maps to 0 and 1, in ``units``.
        units: "HU" or "stored value".
        contrast_values: two values (default white and grey matter, HU) to compare.
        grey_steps: (n,) 8-bit grey levels between the two values in each window;
        minmax_grey_steps: the same under min-max.
        frame: the frame shown (None for a single-frame scan).
    """

    names: tuple[str, ...]
    windows: tuple[tuple[float, float], ...]
    images: np.ndarray
    minmax: np.ndarray
    minmax_range: tuple[float, float]
    units: str
    contrast_values: tuple[float, float]
    grey_steps: np.ndarray
    minmax_grey_steps: float
    frame: int | None


def _steps(a: float, b: float, level: float, width: float) -> float:
    lo = level - width / 2.0
    clip = lambda v: min(max((v - lo) / width, 0.0), 1.0)  # noqa: E731
    return abs(clip(b) - clip(a)) * 255.0


def compute_window_views(scan: Scan, windows: Mapping[str, tuple[float, float]] | Sequence[str] = (
                             "brain", "subdural", "bone"), *, frame: int | None = None,
                         full_range: tuple[float, float] | None = None,
                         contrast_values: tuple[float, float] = GREY_WHITE_HU) -> WindowViews:
    """The same frame in each window, plus min-max scaling of its full value range.

    What this shows: what each window makes visible (brain 40/80 tells grey
    from white matter, subdural 75/215 a thin bleed beside the skull, bone
    400/1800 the skull itself), and what min-max scaling of raw values does wrong.

    Args:
        scan: a grey :class:`models.data.Scan`.
        windows: {name: (level, width)} or names in :data:`models.data.WINDOWS`.
        frame: which frame (default: the middle one).
        full_range: (low, high) that min-max maps to 0 and 1; default: the file's
            stored values in the scan's units, padding included (``scan.stored_range``),
            else the frame's own min and max.
        contrast_values: two values whose grey-level difference is reported.
    """
    scan = _check_scan(scan)
    if not _grey(scan):
        raise ArgumentError(f"scan is a colour image ({scan.photometric}): windows apply to grey scans only")
    if isinstance(windows, Mapping):
        items = [(str(k), _window_arg(f"windows[{k!r}]", v)) for k, v in windows.items()]
    elif isinstance(windows, Sequence) and not isinstance(windows, str):
        items = [(str(k), _window_arg("windows", k)) for k in windows]
    else:
        fail("windows", windows, f"a dict of name -> (level, width) or names from {', '.join(WINDOWS)}")
    if not items:
        fail("windows", windows, "at least one window")
    pixels, padding, index = _frame(scan, frame)
    images = np.stack([scan_input(scan, None, window=w, frame=index) for _, w in items])
    if full_range is None:
        lo, hi = scan.stored_range if scan.stored_range is not None else (float(pixels.min()), float(pixels.max()))
    else:
        try:
            lo, hi = (float(v) for v in full_range)
        except (TypeError, ValueError):
            fail("full_range", full_range, "(low, high)")
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi < lo:
        fail("full_range", full_range, "(low, high) with low <= high")
    span = max(hi - lo, 1e-6)
    values = np.where(padding, lo, pixels) if padding.any() else pixels
    minmax = np.clip((values - lo) / span, 0.0, 1.0).astype(np.float32)
    if scan.photometric == "MONOCHROME1":
        minmax = 1.0 - minmax
    a, b = (check_float("contrast_values", v) for v in contrast_values)
    steps = np.array([_steps(a, b, lvl, wid) for _, (lvl, wid) in items], dtype=np.float64)
    return WindowViews(names=tuple(n for n, _ in items), windows=tuple(w for _, w in items), images=images,
                       minmax=minmax, minmax_range=(lo, hi), units=_units(scan), contrast_values=(a, b),
                       grey_steps=steps, minmax_grey_steps=_steps(a, b, (lo + hi) / 2.0, span), frame=index)


# ---------------------------------------------------------------- scale bar
@dataclass(frozen=True)
class ScaleBar:
    """A round length in millimetres and how many pixels it spans.

    What this shows: pixels are not millimetres; the column spacing (mm per
    pixel) turns a round length into a bar you can measure a lesion against.

    Attributes:
        mm: the bar's length in mm (1, 2 or 5 times a power of ten).
        pixels: its length in pixels (mm / column spacing).
        spacing_mm: the (row, column) spacing used; width_px: the image width it fits.
        label: e.g. "50 mm".
    """

    mm: float
    pixels: float
    spacing_mm: tuple[float, float]
    width_px: int
    label: str


def compute_scale_bar(spacing_mm: tuple[float, float] | float, width_px: int, *,
                      fraction: float = 0.25) -> ScaleBar:
    """The longest round length (1, 2, 5 × 10^k mm) that fits in ``fraction`` of the image width.

    What this shows: a 512-pixel head CT at 0.48 mm per pixel is 245 mm wide,
    so 50 mm (104.5 pixels) is a quarter of it.

    Args:
        spacing_mm: (row, column) spacing in mm, or one number for square pixels.
        width_px: the image's width in pixels.
        fraction: the most of the width the bar may take (0 < fraction <= 1).
    """
    if isinstance(spacing_mm, (int, float, np.integer, np.floating)) and not isinstance(spacing_mm, bool):
        spacing = (float(spacing_mm), float(spacing_mm))
    else:
        try:
            r, c = spacing_mm
        except (TypeError, ValueError):
            fail("spacing_mm", spacing_mm, "(row, column) in mm or one number")
        spacing = (float(r), float(c))
    for name, v in zip(("row spacing", "column spacing"), spacing):
        check_float(f"spacing_mm {name}", v, low=0.0, low_open=True)
    width_px = check_int("width_px", width_px, low=1)
    fraction = check_float("fraction", fraction, low=0.0, high=1.0, low_open=True)
    room = width_px * spacing[1] * fraction
    exponent = int(np.floor(np.log10(room)))
    candidates = [m * 10.0 ** e for e in (exponent - 1, exponent) for m in (1, 2, 5)]
    fitting = [c for c in candidates if c <= room * (1 + 1e-9)]
    mm = max(fitting) if fitting else min(candidates)
    mm = float(round(mm, 6))
    label = f"{mm:g} mm"
    return ScaleBar(mm=mm, pixels=mm / spacing[1], spacing_mm=spacing, width_px=width_px, label=label)


# ---------------------------------------------------------------- one scan, as shown
@dataclass(frozen=True)
class ScanView:
    """One frame of a scan as a viewer shows it: windowed grey (or colour), its scale bar and markers.

    What this shows: the scan through a window, at its true aspect (row and
    column spacing may differ), with a millimetre bar, the radiologist's overlay
    and a segmentation mask where the file has them.

    Attributes:
        image: (H, W) float32 grey in [0, 1], or (H, W, 3) colour; shrunk to ``max_side`` if larger.
        spacing_mm: (row, column) mm per displayed pixel, or None when the file has none.
        scale_bar: a :class:`ScaleBar` for the displayed image, or None.
        overlay: bool (H, W) overlay plane (e.g. a lesion marker), or None.
        mask: float (H, W) segmentation mask in [0, 1] (a SEG frame), or None.
        window: (level, width) used (None for colour and SEG); units: "HU" or "stored value".
        title: what to write above; frame: the frame shown (None for one frame); n_frames: the file's.
    """

    image: np.ndarray
    spacing_mm: tuple[float, float] | None
    scale_bar: ScaleBar | None
    overlay: np.ndarray | None
    mask: np.ndarray | None
    window: tuple[float, float] | None
    units: str
    title: str
    frame: int | None
    n_frames: int


def _shrink(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Block-average-free nearest subsample for masks and colour (display only)."""
    rows = np.linspace(0, a.shape[0] - 1, shape[0]).round().astype(int)
    cols = np.linspace(0, a.shape[1] - 1, shape[1]).round().astype(int)
    return a[rows][:, cols]


def compute_scan_view(scan: Scan, *, window: tuple[float, float] | str | None = None, frame: int | None = None,
                      max_side: int | None = 768, title: str = "") -> ScanView:
    """One frame as a viewer shows it: windowed, MONOCHROME1 inverted, with a scale bar, overlay and mask.

    What this shows: the picture a clinician reads (the window decides what is
    visible), its size in millimetres, and the markers the file carries.

    Args:
        scan: a :class:`models.data.Scan`.
        window: (level, width), a :data:`models.data.WINDOWS` name, or None for
            :func:`models.data.default_window` (ignored for colour scans and SEG masks).
        frame: which frame (default: the middle one).
        max_side: shrink (anti-aliased) so no side exceeds this, for drawing; None keeps the size.
        title: a title for the plot.
    """
    scan = _check_scan(scan)
    pixels, _, index = _frame(scan, frame)
    h, w = pixels.shape[:2]
    if max_side is not None:
        max_side = check_int("max_side", max_side, low=8)
    scale = 1.0 if max_side is None or max(h, w) <= max_side else max_side / max(h, w)
    shape = (max(int(round(h * scale)), 1), max(int(round(w * scale)), 1))
    used: tuple[float, float] | None = None
    mask = None
    if not _grey(scan):
        image = pixels if scale == 1.0 else _shrink(pixels, shape)
    elif scan.modality == "SEG":
        mask = (pixels if scale == 1.0 else _shrink(pixels, shape)).astype(np.float32)
        image = np.full(shape, 0.25, dtype=np.float32)  # the masks alone, on a plain grey background
    else:
        used = default_window(scan) if window is None else _window_arg("window", window)
        image = scan_input(scan, None if scale == 1.0 else shape, window=used, frame=index)
    overlay = scan.overlay
    if overlay is not None and scale != 1.0:
        overlay = _shrink(overlay, shape)
    spacing = None
    bar = None
    if scan.spacing_mm is not None:
        spacing = (scan.spacing_mm[0] * h / shape[0], scan.spacing_mm[1] * w / shape[1])
        bar = compute_scale_bar(spacing, shape[1])
    return ScanView(image=np.ascontiguousarray(image, dtype=np.float32), spacing_mm=spacing, scale_bar=bar,
                    overlay=overlay, mask=mask, window=used, units=_units(scan), title=str(title), frame=index,
                    n_frames=scan.n_frames)


# ---------------------------------------------------------------- gallery
@dataclass(frozen=True)
class ScanGallery:
    """Thumbnails of several scans with what a radiologist reads first: modality, body part, size, spacing.

    What this shows: the course's modalities side by side: CT and MR in
    physical units, radiographs, ultrasound in colour, nuclear medicine, a SEG.

    Attributes:
        names: the scans' names; thumbnails: one (h, w) grey or (h, w, 3) colour float32 each.
        modalities, body_parts: from the files ("" when absent).
        sizes: (rows, columns) of each; spacings: (row, column) mm or None; frames: frame counts.
        whats: one line on each (from :data:`models.data.SCANS`).
    """

    names: tuple[str, ...]
    thumbnails: tuple[np.ndarray, ...]
    modalities: tuple[str, ...]
    body_parts: tuple[str, ...]
    sizes: tuple[tuple[int, int], ...]
    spacings: tuple[tuple[float, float] | None, ...]
    frames: tuple[int, ...]
    whats: tuple[str, ...]


def compute_scan_gallery(names: Sequence[str] | None = None, *, size: int = 128) -> ScanGallery:
    """A thumbnail and the key facts of each built-in scan.

    What this shows: what the built-in real scans are (modality, body part,
    matrix size, pixel spacing) before any network sees one.

    Args:
        names: names in :data:`models.data.SCANS` (default: all of them).
        size: the thumbnails' longer side in pixels (16 to 512).
    """
    names = tuple(SCANS) if names is None else tuple(names)
    if not names:
        fail("names", names, f"at least one of {', '.join(SCANS)}")
    for n in names:
        if n not in SCANS:
            fail("names", n, f"names from {', '.join(SCANS)}")
    size = check_int("size", size, low=16, high=512)
    thumbs, modalities, parts, sizes, spacings, frames = [], [], [], [], [], []
    for n in names:
        scan = load_scan(n)
        view = compute_scan_view(scan, max_side=size)
        image = view.image if view.mask is None else view.mask
        thumbs.append(image)
        pixels = scan.pixels if _grey(scan) else scan.pixels[..., 0]
        modalities.append(scan.modality)
        parts.append(scan.body_part)
        sizes.append((int(pixels.shape[-2]), int(pixels.shape[-1])))
        spacings.append(scan.spacing_mm)
        frames.append(scan.n_frames)
    return ScanGallery(names=names, thumbnails=tuple(thumbs), modalities=tuple(modalities),
                       body_parts=tuple(parts), sizes=tuple(sizes), spacings=tuple(spacings),
                       frames=tuple(frames), whats=tuple(SCANS[n].what for n in names))


# ---------------------------------------------------------------- metadata (allow-list)
@dataclass(frozen=True)
class DicomMetadata:
    """The safe part of a DICOM header: only tags on an allow-list, never who the patient is.

    What this shows: what a scan's header says about how it was made (modality,
    spacing, window, encoding, scanner); patient, institution and physician tags
    are not on the list and are never shown, whatever the file holds.

    Attributes:
        rows: ((label, value), ...) for the allowed tags present, in :data:`SAFE_TAGS` order
            then the transfer syntax.
        n_hidden: how many other top-level tags the file holds (not shown).
    """

    rows: tuple[tuple[str, str], ...]
    n_hidden: int


def _show(value: Any) -> str:
    from pydicom.multival import MultiValue
    from pydicom.uid import UID

    if isinstance(value, UID):
        text = value.name or str(value)
    elif isinstance(value, (MultiValue, list, tuple)):
        text = ", ".join(f"{float(v):g}" if isinstance(v, (int, float)) else str(v) for v in value)
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_VALUE_CHARS else text[:_MAX_VALUE_CHARS - 1] + "…"


def compute_dicom_metadata(data: bytes) -> DicomMetadata:
    """The allowed tags of a DICOM file (header only, pixels not decoded).

    What this shows: how the image was made (modality, body part, size,
    spacing, window, photometric, transfer syntax, scanner) and nothing that
    identifies a person: only the tags of :data:`SAFE_TAGS` are read out.

    Args:
        data: the file's bytes.

    Raises:
        ValueError: the bytes are not a DICOM file.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    if not isinstance(data, (bytes, bytearray)):
        fail("data", data, "the DICOM file's bytes")
    if len(data) == 0:
        raise ValueError("the file is empty (0 bytes); upload a DICOM file")
    try:
        ds = pydicom.dcmread(io.BytesIO(bytes(data)), stop_before_pixels=True)
    except InvalidDicomError:
        raise ValueError("this is not a DICOM file (no 'DICM' marker after the 128-byte preamble); "
                         "upload a .dcm file, or a PNG/JPEG as an image") from None
    except Exception as err:  # a truncated or damaged header
        raise ValueError(f"could not read the DICOM header ({type(err).__name__}: {err}); "
                         "the file may be truncated or damaged") from None
    if len(ds) == 0:
        raise ValueError("the DICOM header holds no data elements (a truncated or empty file); "
                         "export the image again from the viewer or PACS")
    rows = []
    for keyword, label in SAFE_TAGS.items():
        element = ds.get(keyword)
        if element is None or element == "":
            continue
        try:
            rows.append((label, _show(element)))
        except Exception:  # a value that cannot be read is left out, never guessed
            continue
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is not None:
        rows.append((_TRANSFER_LABEL, _show(syntax)))
    shown = sum(1 for k in SAFE_TAGS if k in ds)
    return DicomMetadata(rows=tuple(rows), n_hidden=max(len(ds) - shown, 0))
