"""Images: the built-in scans and photographs, image files, DICOM and uploads.

Every loader returns a 2-D ``float32`` array in ``[0, 1]``. pydicom, Pillow and
scikit-image load inside the functions that use them.
"""
from __future__ import annotations

import io
import os
import pathlib
import warnings
from functools import lru_cache
from typing import Any

import numpy as np

from models._arguments import ArgumentError, check_int, fail

__all__ = ["IMAGE_NAMES", "MAX_PIXELS", "load_image", "load_image_bytes", "dicom_frame_count"]

IMAGE_NAMES = ("ct", "mr", "retina", "microaneurysms", "cell", "phantom")
MAX_PIXELS = 100_000_000  # refuse images larger than this (100 megapixels)
_IMAGE_SUFFIXES = ".png, .jpg/.jpeg, .tif, .bmp or .dcm"


def _normalise(a: np.ndarray) -> np.ndarray:
    """Min-max to float32 [0, 1]; a constant image becomes zeros."""
    a = np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(a.min()), float(a.max())
    if hi - lo <= 0:
        return np.zeros(a.shape, dtype=np.float32)
    return ((a - lo) / (hi - lo)).astype(np.float32)


def _to_gray(a: np.ndarray) -> np.ndarray:
    """(H, W, 3|4) -> (H, W) luma (ITU-R 601); alpha is dropped."""
    if a.ndim == 3 and a.shape[-1] in (3, 4):
        return a[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    if a.ndim == 3 and a.shape[-1] in (1, 2):  # gray or gray + alpha
        return a[..., 0]
    return a


@lru_cache(maxsize=None)
def _builtin_raw(name: str) -> np.ndarray:
    if name in ("ct", "mr"):
        from pydicom.data import get_testdata_file

        path = get_testdata_file("CT_small.dcm" if name == "ct" else "MR_small.dcm", download=False)
        return _dicom_grey(pathlib.Path(path).read_bytes(), f"{name} test file")
    import skimage.data

    a = {"retina": skimage.data.retina, "microaneurysms": skimage.data.microaneurysms,
         "cell": skimage.data.cell, "phantom": skimage.data.shepp_logan_phantom}[name]()
    return _normalise(_to_gray(np.asarray(a)))


def _check_size(size: Any) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (size, size)
    try:
        h, w = size
        ok = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1
                 for v in (h, w))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        fail("size", size, "a positive int or a (height, width) pair of positive ints",
             "pass e.g. size=128 or size=(128, 96)")
    return int(h), int(w)


def _check_max_side(max_side: Any) -> int | None:
    if max_side is None:
        return None
    return check_int("max_side", max_side, low=1)


def _resize(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if a.shape == shape:
        return a
    from skimage.transform import resize

    out = resize(a.astype(np.float32), shape, anti_aliasing=True, preserve_range=True)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _shrink(a: np.ndarray, max_side: int | None) -> np.ndarray:
    """Scale down (keeping the aspect ratio) so that no side exceeds ``max_side``."""
    h, w = a.shape
    if max_side is None or max(h, w) <= max_side:
        return a
    k = max(h, w) // max_side  # cheap integer block mean first, then an exact resize
    if k >= 2:
        a = a[: h // k * k, : w // k * k].reshape(h // k, k, w // k, k).mean(
            axis=(1, 3), dtype=np.float32)
    scale = max_side / max(h, w)
    shape = (max(1, round(h * scale)), max(1, round(w * scale)))
    return _resize(np.clip(a, 0.0, 1.0), shape)


def _finish(a: np.ndarray, size: tuple[int, int] | None, max_side: int | None) -> np.ndarray:
    a = _shrink(a, max_side)
    if size is not None:
        a = _resize(a, size)
    return np.ascontiguousarray(a, dtype=np.float32)


def load_image(name_or_path: Any, size: int | tuple[int, int] | None = None,
               max_side: int | None = 1024) -> np.ndarray:
    """Load a built-in image, an image file or an upload as a 2-D float32 array in [0, 1].

    What this shows: a medical image is just a 2-D grid of numbers; we rescale
    them to [0, 1] so every image looks the same to a network.

    Args:
        name_or_path: one of :data:`IMAGE_NAMES` (``"ct"``, ``"mr"``: pydicom test
            scans; ``"retina"``, ``"microaneurysms"``, ``"cell"``, ``"phantom"``:
            scikit-image), a path (``str`` or ``pathlib.Path``) to a PNG/JPEG/TIFF
            or DICOM file, raw ``bytes``, or a file-like object with ``.read()``
            (e.g. a Streamlit upload).
        size: resize to ``size`` x ``size`` or ``(height, width)`` (anti-aliased).
        max_side: images with a side longer than this are scaled down first,
            keeping the aspect ratio (``None``: never).

    Returns:
        ``(H, W)`` float32, min-max normalised to [0, 1] (a constant image gives zeros).

    Raises:
        ValueError: unknown name, or a file that is empty, not an image, truncated,
            a DICOM without pixel data, or larger than :data:`MAX_PIXELS`.
        FileNotFoundError: a path that does not exist.
    """
    shape = _check_size(size)
    max_side = _check_max_side(max_side)
    if isinstance(name_or_path, (bytes, bytearray, memoryview)):
        return load_image_bytes(bytes(name_or_path), "", size=size, max_side=max_side)
    if hasattr(name_or_path, "read"):
        data = name_or_path.read()
        if isinstance(data, str):
            raise ArgumentError("name_or_path must be a file opened in binary mode ('rb'), got "
                                "a text file; open it with open(path, 'rb')")
        return load_image_bytes(data, str(getattr(name_or_path, "name", "") or ""),
                                size=size, max_side=max_side)
    if isinstance(name_or_path, str) and name_or_path.strip().lower() in IMAGE_NAMES:
        return _finish(_builtin_raw(name_or_path.strip().lower()).copy(), shape, max_side)
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise ArgumentError(f"name_or_path must be one of {IMAGE_NAMES}, a file path, bytes or "
                            f"a binary file object, got {name_or_path!r} "
                            f"({type(name_or_path).__name__})")
    path = pathlib.Path(name_or_path).expanduser()
    if not path.exists():
        if isinstance(name_or_path, str) and not path.suffix and os.sep not in name_or_path \
                and "/" not in name_or_path:
            raise ArgumentError(f"unknown image name {name_or_path!r}; use one of "
                             f"{', '.join(IMAGE_NAMES)} or a path to a {_IMAGE_SUFFIXES} file")
        raise FileNotFoundError(f"image file {str(path)!r} does not exist; check the path, or "
                                f"use a built-in image: {', '.join(IMAGE_NAMES)}")
    if path.is_dir():
        raise ValueError(f"{str(path)!r} is a directory, not an image file; pass the path "
                         f"of a {_IMAGE_SUFFIXES} file")
    return load_image_bytes(path.read_bytes(), str(path), size=size, max_side=max_side)


def dicom_frame_count(data: bytes) -> int:
    """Frames in a DICOM file's bytes (1 for a single image or anything that is not DICOM).

    Reads the header only: cheap enough to ask before decoding, so a page can
    offer a frame picker for a multi-frame scan (cine ultrasound, a dose grid).
    """
    import pydicom

    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True, stop_before_pixels=True)
        return max(1, int(ds.get("NumberOfFrames", 1) or 1))
    except Exception:  # noqa: BLE001 - not DICOM, or a header pydicom cannot read: one image
        return 1


def load_image_bytes(data: bytes, filename: str = "", size: int | tuple[int, int] | None = None,
                     max_side: int | None = 1024, frame: int | None = None) -> np.ndarray:
    """Decode an image file's bytes (PNG, JPEG, TIFF, BMP or DICOM) to 2-D float32 [0, 1].

    What this shows: what happens to an uploaded scan before a network sees it:
    decode, grey-scale, rescale to [0, 1], shrink if huge.

    Args:
        data: the file's content, e.g. ``uploaded_file.getvalue()``.
        filename: the original name, used for messages and to recognise ``.dcm``.
        size: optional output size, ``int`` or ``(height, width)``.
        max_side: scale down (keeping the aspect) so no side exceeds this.
        frame: for a multi-frame DICOM, which frame (0-based; ``None``: the
            middle one). See :func:`dicom_frame_count`.

    Returns:
        ``(H, W)`` float32 in [0, 1]. Colour (RGB/RGBA) becomes grey, alpha is
        dropped; 16-bit images keep their full range.

    Raises:
        ValueError: empty, unreadable, truncated, pixel-less DICOM or > :data:`MAX_PIXELS`.
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise ArgumentError(f"data must be bytes (the file's content), got {type(data).__name__}; "
                        f"read the file with open(path, 'rb').read()")
    if not isinstance(filename, str):
        fail("filename", filename, "a str")
    shape = _check_size(size)
    max_side = _check_max_side(max_side)
    label = repr(filename) if filename else "the image"
    if len(data) == 0:
        raise ValueError(f"{label} is empty (0 bytes); upload or choose a non-empty "
                         f"{_IMAGE_SUFFIXES} file")
    is_dicom = data[128:132] == b"DICM" or filename.lower().endswith((".dcm", ".dicom"))
    a = _dicom_grey(data, label, frame) if is_dicom else _normalise(_pil_pixels(data, label))
    return _finish(a, shape, max_side)


def _too_big(h: int, w: int, label: str) -> ValueError:
    return ValueError(f"{label} is {w} x {h} pixels ({h * w / 1e6:.0f} megapixels), more than "
                      f"the {MAX_PIXELS / 1e6:.0f}-megapixel limit; downscale it first "
                      f"(e.g. to 2048 pixels on the long side) and try again")


def _pil_pixels(data: bytes, label: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:
            raise ValueError(f"{label} is larger than {MAX_PIXELS / 1e6:.0f} megapixels; "
                             f"downscale it first and try again") from None
        except UnidentifiedImageError:
            raise ValueError(f"{label} is not a readable image ({len(data)} bytes in an unknown "
                             f"format); use a {_IMAGE_SUFFIXES} file") from None
        except (OSError, SyntaxError, ValueError) as e:
            raise ValueError(f"{label} is not a readable image ({len(data)} bytes, {e}); "
                             f"use a {_IMAGE_SUFFIXES} file") from None
        w, h = img.size  # read from the header only: no pixels decoded yet
        if w * h > MAX_PIXELS:
            raise _too_big(h, w, label)
        try:
            img.seek(0)
            img.load()
            mode = img.mode
            if mode in ("RGB", "RGBA", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV", "LA", "1"):
                img = img.convert("RGBA" if mode in ("P", "PA") else mode)
                img = img.convert("L")  # luma; alpha dropped
            a = np.array(img)
        except (OSError, SyntaxError, ValueError, EOFError) as e:
            raise ValueError(f"{label} appears truncated or corrupt ({e}); re-export or "
                             f"re-upload the complete file") from None
    return _to_gray(a)


def _decode_dicom(data: bytes, label: str) -> tuple[Any, np.ndarray]:
    """Read DICOM bytes and decode their pixels, or raise a ValueError that says what to do.

    The one DICOM reader of ``models.data``: :func:`load_image` and
    :func:`models.data.scans.load_scan` both decode through it, so an unreadable
    file, a header without pixels or a missing codec gets the same message.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
    except (InvalidDicomError, Exception) as e:  # pydicom raises many kinds on bad input
        raise ValueError(f"{label} is not a readable DICOM file ({e}); export the scan "
                         f"again as DICOM or as PNG") from None
    has_pixels = any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"))
    if data[128:132] != b"DICM" and not has_pixels and "Rows" not in ds and "SOPClassUID" not in ds:
        raise ValueError(f"{label} is not a DICOM file (no 'DICM' marker and no DICOM header "
                         f"found); choose a DICOM image, or a PNG/JPEG named without .dcm")
    if not has_pixels:
        raise ValueError(f"{label} is a DICOM file without pixel data (no PixelData element: "
                         f"it may be a report or header-only file); choose a DICOM image")
    try:
        h, w = int(ds.Rows), int(ds.Columns)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
    except (AttributeError, TypeError, ValueError):
        raise ValueError(f"{label} is a DICOM file without readable Rows/Columns/NumberOfFrames, so its "
                         f"pixels cannot be decoded; choose a complete DICOM image") from None
    if h * w > MAX_PIXELS:
        raise _too_big(h, w, label)
    try:
        a = np.asarray(ds.pixel_array)
    except Exception as e:  # missing codec, truncated data, inconsistent header
        ts = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "unknown")
        raise ValueError(f"{label}: DICOM pixel data could not be decoded (transfer syntax "
                         f"{getattr(ts, 'name', ts)}: {e}); the file may be truncated or "
                         f"compressed with a codec that is not installed: convert it to "
                         f"uncompressed DICOM or PNG") from None
    return ds, a


def _dicom_grey(data: bytes, label: str, frame: int | None = None) -> np.ndarray:
    """One DICOM frame as grey levels in [0, 1], as a viewer shows it.

    The pixels go through :func:`models.data.scans.load_scan`'s path (Modality
    LUT, padding, palette colour LUT, YBR to RGB). A CT is windowed (the file's
    window, else soft tissue 50/400 HU): min-max of raw values would let the
    padding and the bone set the range and wash the soft tissue out. Other
    modalities have no fixed units: min-max of their real pixels. Colour becomes
    luma; MONOCHROME1 is inverted so that high values are bright.
    """
    from models.data.scans import _scan_from_decoded, scan_input

    ds, a = _decode_dicom(data, label)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1 and frame is None:
        frame = frames // 2  # the middle frame/slice
    scan = _scan_from_decoded(ds, a, frame=frame if frames > 1 else None,  # one frame: nothing to pick
                              source=label, label=label)
    colour = scan.pixels.shape[-1:] == (3,) and not scan.photometric.startswith("MONOCHROME")
    if scan.pixels.ndim != (3 if colour else 2):
        raise ValueError(f"{label}: expected a 2-D DICOM image, got pixel array shape {scan.pixels.shape}")
    if scan.modality == "CT" and not colour:
        return scan_input(scan, None)
    grey = _to_gray(scan.pixels) if colour else scan.pixels
    grey = _normalise(grey)
    return 1.0 - grey if scan.photometric == "MONOCHROME1" and grey.any() else grey
