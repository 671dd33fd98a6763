"""Real clinical scans, in the units and windows clinicians read them in.

The scans ship with the dependencies: pydicom's own test files and the
``pydicom-data`` corpus of real anonymised studies (both installed by pip, read
from disk, never downloaded). A CT is converted to Hounsfield units through the
file's Modality LUT (RescaleSlope/RescaleIntercept, per frame for enhanced
multi-frame objects), pixel padding outside the field of view is recognised
instead of being read as air, and a window (level, width) maps the HU a
radiologist wants to see onto grey levels: min-max scaling of raw stored values
is what makes a CT look washed out.

    >>> scan = load_scan("ct_head")
    >>> scan.modality, scan.window, scan.spacing_mm
    ('CT', (40.0, 100.0), (0.478516, 0.478516))
    >>> grey = window(scan.pixels, *WINDOWS["brain"])      # float32 in [0, 1]
"""
from __future__ import annotations

import pathlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from models._arguments import ArgumentError, check_float, check_int
from models.data.images import _decode_dicom, load_image_bytes

__all__ = ["ScanInfo", "SCANS", "WINDOWS", "Scan", "load_scan", "load_upload", "scan_file", "window", "scan_input",
           "default_window"]


@dataclass(frozen=True)
class ScanInfo:
    """A built-in scan: its file in the corpus and what it shows."""

    file: str
    what: str
    source: str


_PYDICOM = "pydicom's test files (pydicom.data)"
_CORPUS = "pydicom-data, pydicom's corpus of real anonymised studies"

SCANS: dict[str, ScanInfo] = {
    "ct_head": ScanInfo("693_UNCR.dcm", "head CT, 512², 5 mm slice, window 40/100 in the file", _CORPUS),
    "ct_abdomen": ScanInfo("explicit_VR-UN.dcm", "contrast-enhanced abdominal CT (pancreas), 512²", _CORPUS),
    "ct_enhanced": ScanInfo("eCT_Supplemental.dcm", "enhanced multi-frame CT, 2 frames of 512²", _CORPUS),
    "chest_xray": ScanInfo("RG1_UNCR.dcm", "chest radiograph (CR, MONOCHROME1)", _CORPUS),
    # The file's own description: "Non-ossifying fibroma of distal tibia", LOWER LEG, AP, right (not a forearm).
    "leg_xray": ScanInfo("RG3_UNCR.dcm", "lower-leg radiograph (CR, AP, right) with a non-ossifying fibroma of "
                         "the distal tibia", _CORPUS),
    "shoulder_mr": ScanInfo("MR2_UNCR.dcm", "shoulder MR, 1024²", _CORPUS),
    "liver_mr": ScanInfo("MR-SIEMENS-DICOM-WithOverlays.dcm", "abdominal MR with a marked liver lesion "
                         "(overlay)", _PYDICOM),
    "mr_head_frames": ScanInfo("emri_small.dcm", "head MR, 10 frames of 64²", _PYDICOM),
    "ultrasound": ScanInfo("US1_UNCR.dcm", "Doppler ultrasound, colour (RGB)", _CORPUS),
    "bone_scan": ScanInfo("JPEG2000_UNC.dcm", "whole-body bone scintigraphy (NM), 1024×256", _PYDICOM),
    "liver_seg": ScanInfo("liver.dcm", "DICOM SEG: liver masks, 3 frames of 512²", _PYDICOM),
    "ct": ScanInfo("CT_small.dcm", "small CT slice, 128²", _PYDICOM),
    "mr": ScanInfo("MR_small.dcm", "small MR slice, 64²", _PYDICOM),
}

# (level, width) in HU; Radiopaedia's "Windowing (CT)" presets.
WINDOWS: dict[str, tuple[float, float]] = {
    "brain": (40.0, 80.0),
    "subdural": (75.0, 215.0),
    "stroke": (40.0, 40.0),
    "soft_tissue": (50.0, 400.0),
    "lung": (-600.0, 1500.0),
    "bone": (400.0, 1800.0),
    "liver": (30.0, 150.0),
}

# Below this no tissue exists (air is -1000 HU): a CT value this low is padding
# outside the reconstruction circle (scanners write e.g. -2000 or -3024 HU).
_CT_PADDING_BELOW = -1500.0


@dataclass(frozen=True)
class Scan:
    """One DICOM image in its modality's units, with what a viewer needs to show it right.

    What this shows: a CT's pixels are Hounsfield units (air -1000, water 0,
    bone +400 and up), not grey levels; which tissues look distinct depends on
    the window, and the pixel spacing turns pixels into millimetres.

    Attributes:
        pixels: float32; ``(H, W)`` for one frame, ``(frames, H, W)`` for all
            frames of a multi-frame object, ``(..., 3)`` in [0, 1] for colour.
            CT in HU, other modalities in their stored (rescaled) values.
            Padding pixels hold the lowest real value, and ``padding`` marks them.
        padding: bool mask of pixel padding (outside the field of view), same
            shape as the grey pixels; all False when the file has none.
        modality, body_part, description: from the file ("" when absent).
        spacing_mm: (row, column) spacing from PixelSpacing or
            ImagerPixelSpacing, None when absent or zero.
        window: (level, width) from the file's first VOI window, or None.
        n_frames: frames in the file; photometric: PhotometricInterpretation.
        source: where the file came from (a built-in name and corpus, or the path).
        overlay: bool ``(H, W)`` of the first overlay plane (group 6000, e.g. a
            radiologist's lesion marker) placed at its OverlayOrigin, or None.
        segments: for a DICOM SEG, the segment label of each frame (its pixels
            are then that segment's mask, 0/1, or 0-1 for a fractional SEG); () otherwise.
        stored_range: (min, max) of the file's values in the modality's units with
            the padding included (the head CT's -3024 HU): the range that min-max
            scaling of raw values would use. None for colour.
    """

    pixels: np.ndarray
    padding: np.ndarray
    modality: str
    body_part: str
    description: str
    spacing_mm: tuple[float, float] | None
    window: tuple[float, float] | None
    n_frames: int
    photometric: str
    source: str
    overlay: np.ndarray | None = None
    segments: tuple[str, ...] = ()
    stored_range: tuple[float, float] | None = None

    def display(self, level: float | None = None, width: float | None = None) -> np.ndarray:
        """Grey levels in [0, 1] as a viewer shows them: the given window, else the
        file's, else the full range; MONOCHROME1 (high values dark) inverted."""
        if self.pixels.shape[-1:] == (3,) and self.photometric not in ("MONOCHROME1", "MONOCHROME2"):
            return self.pixels
        if level is None or width is None:
            if self.window is not None:
                level, width = self.window
            else:
                real = self.pixels[~self.padding] if self.padding.any() else self.pixels
                lo, hi = float(real.min()), float(real.max())
                level, width = (lo + hi) / 2, max(hi - lo, 1e-6)
        out = window(self.pixels, level, width)
        return 1.0 - out if self.photometric == "MONOCHROME1" else out


def window(pixels: Any, level: float, width: float) -> np.ndarray:
    """The linear VOI window: ``level - width/2`` maps to 0, ``level + width/2`` to 1, clipped.

    What this shows: of the ~4000 HU a CT holds, a screen shows 256 greys; the
    window decides which HU get them (brain 40/80 tells grey from white matter,
    bone 400/1800 shows the skull's inner structure, lung -600/1500 the airways).
    """
    level = check_float("level", level)
    width = check_float("width", width, low=0.0, low_open=True)
    a = np.asarray(pixels, dtype=np.float32)
    return np.clip((a - (level - width / 2.0)) / width, 0.0, 1.0).astype(np.float32)


_linear_window = window  # scan_input has a parameter called window


def scan_file(name: str) -> pathlib.Path:
    """The path of a built-in scan's DICOM file in the installed corpus (never downloaded)."""
    if name not in SCANS:
        raise ArgumentError(f"name must be one of {', '.join(SCANS)}, got {name!r}")
    return _builtin_path(name)


@lru_cache(maxsize=None)  # one lookup per built-in name (pydicom searches its data folders each call)
def _builtin_path(name: str) -> pathlib.Path:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(SCANS[name].file, download=False)  # never the network
    if path is None:
        raise ValueError(f"the built-in scan {name!r} ({SCANS[name].file}) is not installed; "
                         "reinstall medlens (make setup) so that pydicom-data is present")
    return pathlib.Path(path)


def _first(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value[0]) if isinstance(value, (list, tuple)) or hasattr(value, "__getitem__") and not \
            isinstance(value, (str, bytes)) else float(value)
    except (TypeError, ValueError, IndexError):
        return None


def _spacing(ds: Any) -> tuple[float, float] | None:
    for key in ("PixelSpacing", "ImagerPixelSpacing"):
        value = ds.get(key)
        if value is not None and len(value) == 2 and float(value[0]) > 0 and float(value[1]) > 0:
            return float(value[0]), float(value[1])
    for seq in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        try:
            value = ds[seq][0].PixelMeasuresSequence[0].PixelSpacing
            return float(value[0]), float(value[1])
        except (KeyError, AttributeError, IndexError, TypeError, ValueError):
            continue
    return None


def _window(ds: Any) -> tuple[float, float] | None:
    level, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if level is None or width is None or not width > 0:
        try:
            voi = ds.SharedFunctionalGroupsSequence[0].FrameVOILUTSequence[0]
            level, width = float(voi.WindowCenter), float(voi.WindowWidth)
        except (AttributeError, IndexError, TypeError, ValueError):
            return None
    return (level, width) if width and width > 0 else None


def _rescale(ds: Any, frame: int) -> tuple[float, float]:
    """(slope, intercept) of one frame: the top-level tags, else the functional groups."""
    if "RescaleSlope" in ds or "RescaleIntercept" in ds:
        return float(ds.get("RescaleSlope", 1) or 1), float(ds.get("RescaleIntercept", 0) or 0)
    for seq, index in (("PerFrameFunctionalGroupsSequence", frame), ("SharedFunctionalGroupsSequence", 0)):
        try:
            t = ds[seq][index].PixelValueTransformationSequence[0]
            return float(t.RescaleSlope), float(t.RescaleIntercept)
        except (KeyError, AttributeError, IndexError, TypeError, ValueError):
            continue
    return 1.0, 0.0


def load_scan(name_or_path: Any, *, frame: int | None = None) -> Scan:
    """A real scan as a :class:`Scan`: pixels in modality units (HU for CT) and its metadata.

    What this shows: the same file min-max scaled and windowed are different
    pictures; clinicians read CT in HU through a window.

    Args:
        name_or_path: a name in :data:`SCANS`, a path to a DICOM file, or its bytes.
        frame: one frame of a multi-frame object (0-based); None gives all frames.

    Raises:
        ValueError: the file is not DICOM, has no pixel data, or cannot be decoded
            (the message says which and what to do); ArgumentError for a bad name or frame.
    """
    if isinstance(name_or_path, str) and name_or_path in SCANS:
        path, source = _builtin_path(name_or_path), f"{name_or_path}: {SCANS[name_or_path].source}"
        label = f"built-in scan {name_or_path!r}"
    elif isinstance(name_or_path, (bytes, bytearray)):
        path, source, label = bytes(name_or_path), "uploaded bytes", "the uploaded file"
    elif isinstance(name_or_path, (str, pathlib.Path)) and pathlib.Path(name_or_path).is_file():
        path, source, label = pathlib.Path(name_or_path), str(name_or_path), f"{name_or_path}"
    else:
        raise ArgumentError(f"name_or_path must be one of {', '.join(SCANS)}, a DICOM file's path or its bytes, "
                            f"got {name_or_path!r}")
    ds, a = _decode_dicom(path if isinstance(path, bytes) else path.read_bytes(), label)
    return _scan_from_decoded(ds, a, frame=frame, source=source, label=label)


def _scan_from_decoded(ds: Any, a: np.ndarray, *, frame: int | None, source: str, label: str) -> Scan:
    """A :class:`Scan` from a decoded dataset (shared with ``load_image``, which decodes once)."""
    n_frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frame is not None:
        if isinstance(frame, bool) or not isinstance(frame, (int, np.integer)) or not 0 <= frame < n_frames:
            raise ArgumentError(f"frame must be 0 to {n_frames - 1}: {label} has {n_frames} "
                                f"frame{'s' if n_frames != 1 else ''}, got {frame!r}")
        frame = int(frame)
    photometric = str(ds.get("PhotometricInterpretation", "")).upper()
    if photometric == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut

        a = apply_color_lut(a, ds)
    multi = n_frames > 1 and a.shape[0] == n_frames
    frames = list(range(n_frames)) if multi else [0]
    if multi and frame is not None:
        a, frames = a[frame], [frame]
    colour = int(ds.get("SamplesPerPixel", 1) or 1) == 3 or photometric == "PALETTE COLOR"
    if colour:
        top = float(np.iinfo(a.dtype).max) if np.issubdtype(a.dtype, np.integer) else max(float(a.max()), 1.0)
        pixels = (a.astype(np.float32) / top).clip(0.0, 1.0)
        padding = np.zeros(pixels.shape[:-1], dtype=bool)
        stored_range = None
    else:
        pixels = a.astype(np.float32)
        if multi and frame is None:
            for i in frames:
                slope, intercept = _rescale(ds, i)
                pixels[i] = pixels[i] * slope + intercept
        else:
            slope, intercept = _rescale(ds, frames[0])
            if slope != 1.0:
                pixels *= slope
            if intercept != 0.0:
                pixels += intercept
        stored_range = (float(pixels.min()), float(pixels.max())) if pixels.size else None
        pad = ds.get("PixelPaddingValue")
        padding = a == pad if pad is not None else np.zeros(pixels.shape, dtype=bool)
        if str(ds.get("Modality", "")) == "CT":
            padding |= pixels < _CT_PADDING_BELOW
        if padding.any() and not padding.all():
            pixels[padding] = pixels[~padding].min()
    if not np.all(np.isfinite(pixels)):
        raise ValueError(f"{label}: its pixel values are not finite after the Modality LUT; the file's "
                         "RescaleSlope/RescaleIntercept may be damaged")
    return Scan(pixels=pixels, padding=padding, modality=str(ds.get("Modality", "")),
                overlay=_overlay(ds), segments=_segments(ds, frames), stored_range=stored_range,
                body_part=str(ds.get("BodyPartExamined", "")),
                description=str(ds.get("SeriesDescription", "") or ds.get("StudyDescription", "")),
                spacing_mm=_spacing(ds), window=_window(ds), n_frames=n_frames, photometric=photometric,
                source=source)


def _overlay(ds: Any) -> np.ndarray | None:
    """The first overlay plane as a bool mask the size of the image, or None.

    OverlayOrigin is 1-based (row, column) of the overlay's top-left pixel in
    the image; the part of the overlay outside the image is cut off.
    """
    if (0x6000, 0x3000) not in ds:
        return None
    try:
        plane = np.asarray(ds.overlay_array(0x6000)).astype(bool)
        r0, c0 = (int(v) - 1 for v in ds[0x6000, 0x0050].value)
    except Exception:  # a damaged overlay hides the marker, it does not refuse the image
        return None
    h, w = int(ds.Rows), int(ds.Columns)
    if plane.ndim != 2:
        plane = plane.reshape(-1, *plane.shape[-2:])[0]
    mask = np.zeros((h, w), dtype=bool)
    rs, cs = max(r0, 0), max(c0, 0)
    re_, ce = min(r0 + plane.shape[0], h), min(c0 + plane.shape[1], w)
    if re_ > rs and ce > cs:
        mask[rs:re_, cs:ce] = plane[rs - r0:re_ - r0, cs - c0:ce - c0]
    return mask


def _segments(ds: Any, frames: list[int]) -> tuple[str, ...]:
    """A SEG's segment label for each returned frame (the frame's ReferencedSegmentNumber)."""
    if str(ds.get("Modality", "")) != "SEG" or "SegmentSequence" not in ds:
        return ()
    labels = {int(s.SegmentNumber): str(s.get("SegmentLabel", f"segment {s.SegmentNumber}"))
              for s in ds.SegmentSequence}
    out = []
    for i in frames:
        try:
            number = int(ds.PerFrameFunctionalGroupsSequence[i].SegmentIdentificationSequence[0]
                         .ReferencedSegmentNumber)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            number = next(iter(labels), 1) if len(labels) == 1 else -1
        out.append(labels.get(number, f"segment {number}"))
    return tuple(out)


def default_window(scan: Scan) -> tuple[float, float]:
    """The window a viewer opens ``scan`` with: the file's, else soft tissue for CT,
    else the 0.5th to 99.5th percentile of the real (non-padding) pixels.

    What this shows: a CT's window is a clinical choice with a standard default;
    other modalities have no fixed units, so their range comes from the image.
    """
    if scan.window is not None:
        return scan.window
    if scan.modality == "CT":
        return WINDOWS["soft_tissue"]
    grey = scan.pixels if scan.pixels.shape[-1:] != (3,) or scan.photometric.startswith("MONOCHROME") \
        else scan.pixels.mean(axis=-1)
    real = grey[~scan.padding] if scan.padding.shape == grey.shape and scan.padding.any() else grey
    lo, hi = (float(v) for v in np.percentile(real, [0.5, 99.5]))
    if hi <= lo:
        lo, hi = float(real.min()), float(real.max())
    return (lo + hi) / 2.0, max(hi - lo, 1e-6)


def scan_input(scan: Scan | str, size: int | tuple[int, int] | None = 64, *,
               window: tuple[float, float] | str | None = None, frame: int | None = None) -> np.ndarray:
    """A real scan as a network input: windowed, grey, anti-aliased to ``size``: ``(H, W)`` float32 in [0, 1].

    What this shows: what a model trained on [0, 1] images receives from a real
    scan: the window picks the HU range (the file's, else soft tissue for CT),
    MONOCHROME1 is inverted so bone is bright, colour becomes luma, and the image
    is resized with anti-aliasing (a plain subsample would alias fine detail).

    Args:
        scan: a :class:`Scan` or a name in :data:`SCANS`.
        size: output side or (height, width); None keeps the scan's size.
        window: (level, width), a preset name in :data:`WINDOWS`, or None for
            :func:`default_window`.
        frame: which frame of a multi-frame scan (default: the middle one).
    """
    if isinstance(scan, str):
        scan = load_scan(scan)
    if not isinstance(scan, Scan):
        raise ArgumentError(f"scan must be a Scan or one of {', '.join(SCANS)}, got {type(scan).__name__}")
    from models.data.images import _check_size, _resize, _to_gray

    shape = _check_size(size)
    grey_colour = scan.pixels.shape[-1:] == (3,) and not scan.photometric.startswith("MONOCHROME")
    pixels, padding = scan.pixels, scan.padding
    frames = pixels.shape[0] if pixels.ndim == (4 if grey_colour else 3) else 1
    if frames > 1:
        index = frames // 2 if frame is None else check_int("frame", frame, low=0, high=frames - 1)
        pixels, padding = pixels[index], padding[index]
    if grey_colour:
        out = np.clip(_to_gray(pixels), 0.0, 1.0).astype(np.float32)
    else:
        if isinstance(window, str):
            if window not in WINDOWS:
                raise ArgumentError(f"window must be (level, width) or one of {', '.join(WINDOWS)}, got {window!r}")
            level, width = WINDOWS[window]
        elif window is None:
            level, width = default_window(scan)
        else:
            try:
                level, width = window
            except (TypeError, ValueError):
                raise ArgumentError(f"window must be (level, width) or one of {', '.join(WINDOWS)}, "
                                    f"got {window!r}") from None
        out = _linear_window(pixels, level, width)
        if scan.photometric == "MONOCHROME1":
            out = 1.0 - out
    if shape is not None:
        out = _resize(out, shape)
    return np.ascontiguousarray(out, dtype=np.float32)


def load_upload(data: bytes, filename: str = "") -> Scan:
    """An uploaded file as a :class:`Scan`: a DICOM through :func:`load_scan`, a PNG/JPEG as grey 0-255.

    What this shows: a DICOM keeps its units (HU for CT), spacing and window;
    a PNG or JPEG is only grey levels (0-255, colour made grey), with no
    millimetres and no window of its own.

    Raises:
        ValueError: the file cannot be read (the loader's message says why and what to do).
    """
    if not isinstance(data, (bytes, bytearray)):
        raise ArgumentError(f"data must be the file's bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise ValueError(f"{filename or 'the file'} is empty (0 bytes); upload a DICOM, PNG or JPEG file")
    if data[128:132] == b"DICM" or filename.lower().endswith((".dcm", ".dicom")):
        return load_scan(data)
    pixels = load_image_bytes(data, filename, max_side=1024) * np.float32(255.0)
    return Scan(pixels=pixels, padding=np.zeros(pixels.shape, dtype=bool), modality="", body_part="",
                description=filename, spacing_mm=None, window=None, n_frames=1, photometric="MONOCHROME2",
                source=filename or "uploaded image", stored_range=(float(pixels.min()), float(pixels.max())))
