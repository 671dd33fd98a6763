"""Volumes as a viewer shows them: three planes through a crosshair, projections, a slice montage.

What this shows: a CT or MR is a 3-D grid of measurements; a viewer cuts it
along three orthogonal planes through one point (axial, coronal, sagittal),
stretches each plane by its voxel spacing (a 3 mm slice is three times as tall
as a 1 mm pixel is wide), projects the whole volume onto a plane (a maximum
intensity projection shows every bright nodule or vessel at once), and lays
slices side by side (a montage, like MONAI's ``matshow3d``). Drawing lives in
:mod:`explainers.volume_views_plots`.

    >>> import numpy as np
    >>> v = compute_volume_views(np.arange(24.0).reshape(2, 3, 4), point=(1, 2, 3), spacing_mm=(3.0, 1.0, 0.5))
    >>> v.value, v.aspects
    (23.0, (2.0, 6.0, 3.0))
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models._arguments import ArgumentError, check_float, check_int, fail
from models.data import WINDOWS, Volume

__all__ = [
    "PLANE_AXES",
    "VolumeViews", "compute_volume_views",
    "Projection", "compute_projection",
    "Montage", "compute_montage",
]

# The (row, column) axes of the volume each plane shows, for the plane across axis 0, 1 and 2 of (z, y, x).
PLANE_AXES: tuple[tuple[int, int], tuple[int, int], tuple[int, int]] = ((1, 2), (0, 2), (0, 1))
_PLANE_OF_CODE = {"S": "axial", "I": "axial", "A": "coronal", "P": "coronal", "R": "sagittal", "L": "sagittal"}
_DEFAULT_NAMES = ("axial", "coronal", "sagittal")  # slice axis first, as medical volumes are stored
_OPPOSITE = {"R": "L", "L": "R", "A": "P", "P": "A", "S": "I", "I": "S"}
# What a viewer puts at the top of a plane and at the screen's right (radiological convention: the patient's
# right on the screen's left, superior up, anterior up in an axial plane, anterior left in a sagittal one).
_TOP = {"S": "S", "I": "S", "A": "A", "P": "A", "R": "R", "L": "R"}
_RIGHT = {"R": "L", "L": "L", "A": "P", "P": "P", "S": "S", "I": "S"}
_KINDS = ("max", "min", "mean")


# ---------------------------------------------------------------- shared argument handling
@dataclass(frozen=True)
class _Grid:
    voxels: np.ndarray            # (D, H, W) float32, modality units
    spacing: tuple[float, float, float]
    known: bool                   # spacing from the file (else 1 voxel = 1 unit)
    orientation: tuple[str, str, str]
    modality: str
    time: int | None
    n_times: int


def _grid(volume: Any, spacing_mm: Any, time: int | None, orientation: Any = None) -> _Grid:
    """The 3-D voxels, spacing, orientation and modality of a Volume or an array."""
    if isinstance(volume, Volume):
        voxels, spacing, codes, modality = volume.voxels, volume.spacing_mm, volume.orientation, volume.modality
    else:
        voxels = _as_array("volume_or_array", volume)
        spacing, codes, modality = None, ("?", "?", "?"), ""
        if voxels.ndim == 4 and voxels.shape[-1] == 1:  # (D, H, W, 1) as the 3-D CNNs take it
            voxels = voxels[..., 0]
    if orientation is not None:
        codes = _check_codes(orientation)
    voxels = np.asarray(voxels, dtype=np.float32)
    n_times = 1
    if voxels.ndim == 4:
        n_times = voxels.shape[0]
        index = 0 if time is None else check_int("time", time, low=0, high=n_times - 1)
        voxels = voxels[index]
        time = index
    elif voxels.ndim == 3:
        if time not in (None, 0):
            check_int("time", time, low=0, high=0)
        time = None
    else:
        raise ArgumentError(f"volume_or_array must be a 3-D (D, H, W) volume (or 4-D with time first), got shape "
                            f"{voxels.shape}")
    if min(voxels.shape) < 1:
        raise ArgumentError(f"volume_or_array is empty: shape {voxels.shape}")
    if not np.all(np.isfinite(voxels)):
        raise ArgumentError("volume_or_array contains NaN or infinite values; replace them first")
    if spacing_mm is not None:
        spacing = _check_spacing(spacing_mm)
    known = spacing is not None
    return _Grid(voxels=voxels, spacing=tuple(float(s) for s in spacing) if known else (1.0, 1.0, 1.0),
                 known=known, orientation=tuple(codes), modality=str(modality), time=time, n_times=n_times)


def _as_array(name: str, value: Any) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        fail(name, value, "a Volume (models.data.load_volume) or a 3-D array of numbers")


def _check_spacing(spacing_mm: Any) -> tuple[float, float, float]:
    try:
        values = tuple(spacing_mm)
    except TypeError:
        fail("spacing_mm", spacing_mm, "(z, y, x) in millimetres")
    if len(values) != 3:
        fail("spacing_mm", spacing_mm, "(z, y, x) in millimetres: three numbers")
    return tuple(check_float(f"spacing_mm[{i}]", v, low=0.0, low_open=True) for i, v in enumerate(values))


def _check_codes(orientation: Any) -> tuple[str, str, str]:
    codes = tuple(str(c) for c in orientation) if not isinstance(orientation, str) else tuple(orientation)
    if len(codes) != 3 or any(c not in (*_OPPOSITE, "?") for c in codes):
        fail("orientation", orientation, "three axis codes from R/L, A/P, S/I or '?', e.g. ('S', 'A', 'L')")
    return codes


def _units(modality: str) -> str:
    return "HU" if modality == "CT" else "value"


def _window(grid: _Grid, window: Any, shown: np.ndarray | None = None) -> tuple[float, float]:
    """(level, width): given, a WINDOWS name, soft tissue for CT, else the 0.5th-99.5th percentile of
    ``shown`` (a projection's own values), else of the volume."""
    if window is None:
        if grid.modality == "CT":
            return WINDOWS["soft_tissue"]
        values = grid.voxels if shown is None else shown
        lo, hi = (float(v) for v in np.percentile(values, [0.5, 99.5]))
        if hi <= lo:
            lo, hi = float(values.min()), float(values.max())
        return (lo + hi) / 2.0, max(hi - lo, 1e-6)
    if isinstance(window, str):
        if window not in WINDOWS:
            fail("window", window, f"(level, width) or one of {', '.join(WINDOWS)}")
        return WINDOWS[window]
    try:
        level, width = window
    except (TypeError, ValueError):
        fail("window", window, f"(level, width) or one of {', '.join(WINDOWS)}")
    return check_float("window level", level), check_float("window width", width, low=0.0, low_open=True)


def _edges(codes: tuple[str, str, str], rows: int, cols: int) -> tuple[tuple[str, str, str, str], bool, bool]:
    """(top, bottom, left, right) labels of a plane and whether its rows and columns are shown reversed.

    Shown as stored, row index 0 is at the top and column 0 at the left; a known axis is turned so the
    viewer's convention holds (superior or anterior up, the patient's right on the screen's left).
    """
    rc, cc = codes[rows], codes[cols]
    if rc in _OPPOSITE:
        rows_up = rc == _TOP[rc]       # the index grows towards the top
        top, bottom = (rc, _OPPOSITE[rc]) if rows_up else (_OPPOSITE[rc], rc)
    else:
        rows_up = rows == 0            # unknown: a stack of slices, slice 0 at the bottom
        top = bottom = ""
    if cc in _OPPOSITE:
        cols_reversed = cc != _RIGHT[cc]
        right, left = (_OPPOSITE[cc], cc) if cols_reversed else (cc, _OPPOSITE[cc])
    else:
        cols_reversed = False
        left = right = ""
    return (top, bottom, left, right), rows_up, cols_reversed


def _names(codes: tuple[str, str, str]) -> tuple[str, str, str]:
    """Each plane's anatomical name (the plane across an S/I axis is axial ...); the usual names when unknown."""
    names = tuple(_PLANE_OF_CODE.get(c, "") for c in codes)
    if sorted(names) == sorted(_DEFAULT_NAMES):
        return names
    return _DEFAULT_NAMES


def _overlay(overlay: Any, shape: tuple[int, int, int]) -> np.ndarray | None:
    if overlay is None:
        return None
    a = _as_array("overlay", overlay)
    if a.ndim == 4 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.shape != shape:
        raise ArgumentError(f"overlay must have the volume's shape {shape} (a 3-D Grad-CAM or a mask), got "
                            f"{a.shape}")
    if not np.all(np.isfinite(a)):
        raise ArgumentError("overlay contains NaN or infinite values")
    return a


# ---------------------------------------------------------------- three planes through a point
@dataclass(frozen=True)
class VolumeViews:
    """Three orthogonal planes of a volume through one point, in modality units, with what a viewer needs.

    What this shows: the same voxel seen across the slice axis and along it; each
    plane is stretched by its voxel spacing, so a volume of 3 mm slices is not squashed
    flat in its coronal and sagittal planes, and the letters at the edges say which way
    the patient lies.

    Attributes:
        planes: the planes across z, y and x: ``(H, W)`` at ``z = point[0]``, ``(D, W)`` at
            ``y = point[1]``, ``(D, H)`` at ``x = point[2]``; float32, modality units, stored order.
        names: each plane's name ("axial", "coronal", "sagittal"), from the orientation codes where known.
        point: the crosshair (z, y, x) in voxels; value: the voxel's value there (modality units).
        shape: (D, H, W); spacing_mm: (z, y, x) mm per voxel (1, 1, 1 when not known);
        spacing_known: whether the spacing came from the file.
        aspects: each plane's display aspect, the height of a pixel over its width (row over
            column spacing): (y/x, z/x, z/y).
        extents_mm: each plane's (width, height) in mm (voxels when the spacing is not known).
        edges: each plane's (top, bottom, left, right) direction letters ("" where unknown).
        rows_up, cols_reversed: per plane, whether the row index grows upwards and the column
            index leftwards on screen (the viewer's convention; the arrays stay in stored order).
        window: (level, width) in ``units``; units: "HU" for CT, else "value".
        orientation: the volume's axis codes; modality: its modality.
        time: the time point shown of a 4-D series (None for 3-D); n_times: the series' length.
        overlays: the overlay's three planes (same cuts), or None; overlay_range: its (min, max) over
            the whole volume (one colour scale for the three planes); overlay_is_mask: only 0 and 1 in it.
    """

    planes: tuple[np.ndarray, np.ndarray, np.ndarray]
    names: tuple[str, str, str]
    point: tuple[int, int, int]
    value: float
    shape: tuple[int, int, int]
    spacing_mm: tuple[float, float, float]
    spacing_known: bool
    aspects: tuple[float, float, float]
    extents_mm: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    edges: tuple[tuple[str, str, str, str], ...]
    rows_up: tuple[bool, bool, bool]
    cols_reversed: tuple[bool, bool, bool]
    window: tuple[float, float]
    units: str
    orientation: tuple[str, str, str]
    modality: str
    time: int | None
    n_times: int
    overlays: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    overlay_range: tuple[float, float] | None
    overlay_is_mask: bool


def compute_volume_views(volume_or_array: Any, *, point: tuple[int, int, int] | None = None,
                         window: tuple[float, float] | str | None = None,
                         spacing_mm: tuple[float, float, float] | None = None, time: int | None = None,
                         overlay: Any = None, orientation: tuple[str, str, str] | None = None) -> VolumeViews:
    """The axial, coronal and sagittal planes through ``point``, each at its true aspect.

    What this shows: how a viewer cuts a volume: three planes sharing one voxel
    (the crosshair), each stretched by the spacing of its two axes, labelled with
    the patient's directions; an overlay (a 3-D Grad-CAM or a mask) cut the same way.

    Args:
        volume_or_array: a :class:`models.data.Volume` or a ``(D, H, W)`` (or ``(D, H, W, 1)``) array.
        point: (z, y, x) voxel indices of the crosshair; default the centre.
        window: (level, width), a :data:`models.data.WINDOWS` name, or None (soft tissue for CT,
            else the volume's 0.5th to 99.5th percentile).
        spacing_mm: (z, y, x) mm per voxel; default the volume's (none for an array: 1 voxel per unit).
        time: the time point of a 4-D series (default the first).
        overlay: a ``(D, H, W)`` map (Grad-CAM, a mask) drawn over all three planes, or None.
        orientation: axis codes for an array (e.g. ``("S", "A", "L")``); a Volume brings its own.
    """
    grid = _grid(volume_or_array, spacing_mm, time, orientation)
    d, h, w = grid.voxels.shape
    if point is None:
        point = (d // 2, h // 2, w // 2)
    try:
        z, y, x = point
    except (TypeError, ValueError):
        fail("point", point, "(z, y, x) voxel indices")
    z = check_int("point z", z, low=0, high=d - 1)
    y = check_int("point y", y, low=0, high=h - 1)
    x = check_int("point x", x, low=0, high=w - 1)
    level_width = _window(grid, window)
    vox = grid.voxels
    planes = (vox[z].copy(), vox[:, y, :].copy(), vox[:, :, x].copy())
    sz, sy, sx = grid.spacing
    layout = [_edges(grid.orientation, r, c) for r, c in PLANE_AXES]
    extents = tuple((grid.voxels.shape[c] * grid.spacing[c], grid.voxels.shape[r] * grid.spacing[r])
                    for r, c in PLANE_AXES)
    over = _overlay(overlay, vox.shape)
    overlays = None if over is None else (over[z].copy(), over[:, y, :].copy(), over[:, :, x].copy())
    return VolumeViews(
        planes=planes, names=_names(grid.orientation), point=(z, y, x), value=float(vox[z, y, x]),
        shape=(d, h, w), spacing_mm=grid.spacing, spacing_known=grid.known, aspects=(sy / sx, sz / sx, sz / sy),
        extents_mm=extents, edges=tuple(e for e, _, _ in layout), rows_up=tuple(u for _, u, _ in layout),
        cols_reversed=tuple(c for _, _, c in layout), window=level_width, units=_units(grid.modality),
        orientation=grid.orientation, modality=grid.modality, time=grid.time, n_times=grid.n_times,
        overlays=overlays, overlay_range=None if over is None else (float(over.min()), float(over.max())),
        overlay_is_mask=over is not None and bool(np.isin(over, (0.0, 1.0)).all()))


# ---------------------------------------------------------------- projections
@dataclass(frozen=True)
class Projection:
    """The volume projected along one axis: the maximum, minimum or mean of every ray of voxels.

    What this shows: a maximum intensity projection (MIP) puts every bright structure of
    the volume into one picture (vessels, a nodule, contrast), at the price of depth: a
    nodule in front of a vessel and one behind it look the same. A minimum projection
    shows airways; the mean is what a radiograph (a sum along the rays) looks like.

    Attributes:
        image: float32 (rows, cols) projected values in modality units.
        argmax: (rows, cols) int, the index along ``axis`` where each ray's value came from
            (max and min; -1 for the mean).
        axis: 0, 1 or 2 of (z, y, x); kind: "max", "min" or "mean"; name: the plane's name.
        slab: the (start, stop) slice range projected along ``axis``.
        spacing_mm: (row, column) mm per pixel (1, 1 when not known); spacing_known: from the file;
        aspect: row over column spacing; extent_mm: (width, height); edges, rows_up, cols_reversed: as in :class:`VolumeViews`.
        window: (level, width); units: "HU" or "value"; time: the time point of a 4-D series.
    """

    image: np.ndarray
    argmax: np.ndarray
    axis: int
    kind: str
    name: str
    slab: tuple[int, int]
    spacing_mm: tuple[float, float]
    spacing_known: bool
    aspect: float
    extent_mm: tuple[float, float]
    edges: tuple[str, str, str, str]
    rows_up: bool
    cols_reversed: bool
    window: tuple[float, float]
    units: str
    time: int | None


def compute_projection(volume_or_array: Any, *, axis: int = 0, kind: str = "max",
                       slab: tuple[int, int] | None = None, window: tuple[float, float] | str | None = None,
                       spacing_mm: tuple[float, float, float] | None = None, time: int | None = None,
                       orientation: tuple[str, str, str] | None = None) -> Projection:
    """Project the volume (or a slab of it) along ``axis``: the max (MIP), min (MinIP) or mean of each ray.

    What this shows: a MIP shows every bright structure at once (a nodule among
    vessels in a chest CT, contrast-filled arteries), a MinIP the airways, the mean a
    radiograph-like picture; a thin slab keeps some depth.

    Args:
        volume_or_array: a :class:`models.data.Volume` or a ``(D, H, W)`` array.
        axis: 0 (project the slices onto one axial plane), 1 or 2.
        kind: "max", "min" or "mean".
        slab: (start, stop) indices along ``axis`` to project (default all).
        window: as in :func:`compute_volume_views`, but by default (not CT) the projection's own
            0.5th to 99.5th percentile: a MIP is brighter than any slice.
        spacing_mm, time, orientation: as in :func:`compute_volume_views`.
    """
    grid = _grid(volume_or_array, spacing_mm, time, orientation)
    axis = check_int("axis", axis, low=0, high=2)
    if kind not in _KINDS:
        fail("kind", kind, "one of " + ", ".join(repr(k) for k in _KINDS))
    n = grid.voxels.shape[axis]
    if slab is None:
        start, stop = 0, n
    else:
        try:
            start, stop = slab
        except (TypeError, ValueError):
            fail("slab", slab, "(start, stop) indices")
        start = check_int("slab start", start, low=0, high=n - 1)
        stop = check_int("slab stop", stop, low=start + 1, high=n)
    part = np.take(grid.voxels, np.arange(start, stop), axis=axis)
    if kind == "max":
        where = np.argmax(part, axis=axis)
        image = np.take_along_axis(part, np.expand_dims(where, axis), axis=axis).squeeze(axis)
    elif kind == "min":
        where = np.argmin(part, axis=axis)
        image = np.take_along_axis(part, np.expand_dims(where, axis), axis=axis).squeeze(axis)
    else:
        image = part.mean(axis=axis, dtype=np.float64)
        where = np.full(image.shape, -start - 1)
    r, c = PLANE_AXES[axis]
    edges, rows_up, cols_reversed = _edges(grid.orientation, r, c)
    sr, sc = grid.spacing[r], grid.spacing[c]
    return Projection(image=image.astype(np.float32), argmax=(where + start).astype(np.int64), axis=axis,
                      kind=kind, name=_names(grid.orientation)[axis], slab=(start, stop), spacing_mm=(sr, sc),
                      spacing_known=grid.known, aspect=sr / sc, extent_mm=(grid.voxels.shape[c] * sc, grid.voxels.shape[r] * sr),
                      edges=edges, rows_up=rows_up, cols_reversed=cols_reversed, window=_window(grid, window, image),
                      units=_units(grid.modality), time=grid.time)


# ---------------------------------------------------------------- montage
@dataclass(frozen=True)
class Montage:
    """Evenly spaced slices of a volume side by side (like MONAI's ``matshow3d``).

    What this shows: the whole extent of a volume at a glance, slice by slice: where
    an organ starts and ends, on which slices a lesion appears, how far apart the
    slices are in millimetres.

    Attributes:
        slices: float32 (n, rows, cols), modality units; indices: (n,) their indices along ``axis``.
        positions_mm: (n,) each slice's position along ``axis`` in mm (index × spacing).
        axis: 0, 1 or 2; name: the planes' name; spacing_mm: (row, column); spacing_known: from the file;
        aspect: row over column spacing.
        edges, rows_up, cols_reversed: as in :class:`VolumeViews`.
        window: (level, width); units: "HU" or "value"; time: the time point of a 4-D series.
    """

    slices: np.ndarray
    indices: np.ndarray
    positions_mm: np.ndarray
    axis: int
    name: str
    spacing_mm: tuple[float, float]
    spacing_known: bool
    aspect: float
    edges: tuple[str, str, str, str]
    rows_up: bool
    cols_reversed: bool
    window: tuple[float, float]
    units: str
    time: int | None


def compute_montage(volume_or_array: Any, *, n_slices: int | None = None, step: int | None = None,
                    axis: int = 0, window: tuple[float, float] | str | None = None,
                    spacing_mm: tuple[float, float, float] | None = None, time: int | None = None,
                    orientation: tuple[str, str, str] | None = None) -> Montage:
    """``n_slices`` evenly spaced slices along ``axis`` (first to last), or every ``step``-th from 0.

    What this shows: a volume as a radiologist scrolls through it, laid out at once.

    Args:
        volume_or_array: a :class:`models.data.Volume` or a ``(D, H, W)`` array.
        n_slices: how many slices, spread from the first to the last (default: all up to 16);
        step: instead, every ``step``-th slice from slice 0 (as ``matshow3d``'s ``every_n``).
        axis: 0, 1 or 2 of (z, y, x).
        window, spacing_mm, time, orientation: as in :func:`compute_volume_views`.
    """
    grid = _grid(volume_or_array, spacing_mm, time, orientation)
    axis = check_int("axis", axis, low=0, high=2)
    n = grid.voxels.shape[axis]
    if n_slices is not None and step is not None:
        raise ArgumentError(f"pass n_slices or step, not both (got n_slices={n_slices!r}, step={step!r})")
    if step is not None:
        indices = np.arange(0, n, check_int("step", step, low=1))
    else:
        count = min(n, 16) if n_slices is None else check_int("n_slices", n_slices, low=1, high=n)
        indices = np.unique(np.round(np.linspace(0, n - 1, count)).astype(np.int64))
    r, c = PLANE_AXES[axis]
    edges, rows_up, cols_reversed = _edges(grid.orientation, r, c)
    sr, sc = grid.spacing[r], grid.spacing[c]
    slices = np.moveaxis(np.take(grid.voxels, indices, axis=axis), axis, 0)
    return Montage(slices=np.ascontiguousarray(slices, dtype=np.float32), indices=indices.astype(np.int64),
                   positions_mm=indices * grid.spacing[axis], axis=axis, name=_names(grid.orientation)[axis],
                   spacing_mm=(sr, sc), spacing_known=grid.known, aspect=sr / sc, edges=edges, rows_up=rows_up,
                   cols_reversed=cols_reversed, window=_window(grid, window), units=_units(grid.modality),
                   time=grid.time)
