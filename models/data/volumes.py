"""Volumes: CT and MR as 3-D arrays with their voxel spacing and orientation.

Most medical images are volumes. A volume here is ``(D, H, W)`` float32 voxels in
the modality's units (HU for CT) with the spacing of each axis in millimetres,
slice axis first, and the anatomical direction each axis points to. It reads
NIfTI (``.nii``, ``.nii.gz``, through nibabel), a multi-frame DICOM, and a folder
of single-slice DICOMs, sorted along the slice normal by ImagePositionPatient
(the slice spacing comes from the positions, not from SliceThickness, which is
the slab thickness and may differ from the step between slices).

    >>> vol = load_volume("brain_mr")
    >>> vol.voxels.shape, vol.spacing_mm, vol.orientation
    ((25, 41, 33), (2.0, 2.0, 2.0), ('S', 'A', 'L'))
"""
from __future__ import annotations

import dataclasses
import pathlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from models._arguments import ArgumentError

__all__ = ["VolumeInfo", "VOLUMES", "Volume", "load_volume"]


@dataclass(frozen=True)
class VolumeInfo:
    """A built-in volume: where its file ships and what it shows."""

    package: str
    file: str
    what: str
    modality: str = "MR"


VOLUMES: dict[str, VolumeInfo] = {
    "brain_mr": VolumeInfo("nibabel", "tests/data/anatomical.nii",
                           "head MR (T1), 33×41×25 voxels of 2 mm: nibabel's own example"),
    "fmri_4d": VolumeInfo("nibabel", "tests/data/example4d.nii.gz",
                          "functional MR, 128×96×24 voxels × 2 time points (a 4-D volume): nibabel's example"),
    "mr_head_frames": VolumeInfo("pydicom", "emri_small.dcm",
                                 "head MR, 10 frames of 64² in one multi-frame DICOM (pydicom's test file)"),
}


@dataclass(frozen=True)
class Volume:
    """A 3-D (or 4-D) image in its modality's units, slice axis first.

    What this shows: a CT or MR is a stack of slices with a physical size per
    voxel; the spacing is often anisotropic (e.g. 0.7 × 0.7 mm in plane, 5 mm
    between slices), so a slice viewer must stretch each axis by its spacing.

    Attributes:
        voxels: float32 ``(D, H, W)``, or ``(T, D, H, W)`` for a 4-D series.
        spacing_mm: (z, y, x) in millimetres; None when the file does not say.
        orientation: the anatomical direction each of (z, y, x) points to, as
            one-letter codes (R/L, A/P, S/I, e.g. ('S', 'A', 'L')); ('?', '?', '?') unknown.
        modality: "MR", "CT", ... ("" when the file does not say).
        source: a built-in name and where it ships, or the path.
    """

    voxels: np.ndarray
    spacing_mm: tuple[float, float, float] | None
    orientation: tuple[str, str, str]
    modality: str
    source: str


def _builtin(name: str) -> pathlib.Path:
    info = VOLUMES[name]
    if info.package == "nibabel":
        import nibabel

        path = pathlib.Path(nibabel.__file__).parent / info.file
    else:
        from pydicom.data import get_testdata_file

        found = get_testdata_file(info.file, download=False)  # never the network
        path = pathlib.Path(found) if found else pathlib.Path(info.file)
    if not path.is_file():
        raise ValueError(f"the built-in volume {name!r} ({info.file} from {info.package}) is not installed; "
                         "reinstall medlens (make setup)")
    return path


def _nifti(path: pathlib.Path, source: str) -> Volume:
    import nibabel

    try:
        img = nibabel.load(str(path))
        data = np.asarray(img.get_fdata(dtype=np.float32))  # scl_slope/scl_inter applied
    except Exception as e:  # nibabel raises many kinds on a damaged file
        raise ValueError(f"{path.name} is not a readable NIfTI file ({type(e).__name__}: {e}); export it again "
                         "as .nii or .nii.gz") from None
    if data.ndim not in (3, 4):
        raise ValueError(f"{path.name} holds a {data.ndim}-D image {data.shape}; a volume is 3-D (or 4-D with time)")
    codes = nibabel.aff2axcodes(img.affine)
    zooms = img.header.get_zooms()[:3]
    # NIfTI stores (i, j, k[, t]) with i fastest; slice axis first is (k, j, i)
    voxels = np.ascontiguousarray(np.transpose(data, (3, 2, 1, 0) if data.ndim == 4 else (2, 1, 0)))
    spacing = tuple(float(z) for z in zooms[::-1]) if all(float(z) > 0 for z in zooms) else None
    return Volume(voxels=voxels, spacing_mm=spacing, orientation=tuple(str(c) for c in codes[::-1]),
                  modality="", source=source)  # NIfTI does not record the modality


def _axis_code(direction: np.ndarray, letters: tuple[str, str]) -> str:
    return letters[0] if direction >= 0 else letters[1]


def _dicom_orientation(row: np.ndarray, column: np.ndarray) -> tuple[str, str, str]:
    """Axis codes of (slice normal, column direction, row direction) in DICOM's LPS patient space."""
    lps = (("L", "R"), ("P", "A"), ("S", "I"))

    def code(v: np.ndarray) -> str:
        axis = int(np.argmax(np.abs(v)))
        return lps[axis][0] if v[axis] >= 0 else lps[axis][1]

    return code(np.cross(row, column)), code(column), code(row)


def _dicom_series(folder: pathlib.Path) -> Volume:
    import pydicom

    from models.data.scans import load_scan

    headers = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            ds = pydicom.dcmread(str(path), stop_before_pixels=True)
        except Exception:  # not DICOM: a README, a thumbnail; skipped, counted below
            continue
        if "ImagePositionPatient" in ds and "ImageOrientationPatient" in ds and "Rows" in ds:
            headers.append((path, ds))
    if len(headers) < 2:
        raise ValueError(f"{folder} holds {len(headers)} DICOM slice(s) with a position and orientation; a "
                         "series needs at least 2 (put every slice of one series in the folder)")
    sizes = {(int(ds.Rows), int(ds.Columns)) for _, ds in headers}
    if len(sizes) > 1:
        raise ValueError(f"{folder}: the slices have different sizes {sorted(sizes)}: more than one series is in "
                         "the folder; keep one series per folder")
    cosines = np.array([[float(v) for v in ds.ImageOrientationPatient] for _, ds in headers])
    if not np.allclose(cosines, cosines[0], atol=1e-3):
        raise ValueError(f"{folder}: the slices have different orientations (ImageOrientationPatient): a "
                         "localiser or a second series is mixed in; keep one series per folder")
    row, column = cosines[0][:3], cosines[0][3:]
    normal = np.cross(row, column)
    depth = np.array([float(np.dot(normal, [float(v) for v in ds.ImagePositionPatient])) for _, ds in headers])
    order = np.argsort(depth)
    depth = depth[order]
    steps = np.diff(depth)
    if np.any(steps < 1e-3):
        raise ValueError(f"{folder}: two slices share one position: duplicate files or two series mixed in")
    step = float(np.median(steps))
    if np.any(np.abs(steps - step) > 0.1 * step):
        gap = int(np.argmax(np.abs(steps - step)))
        raise ValueError(f"{folder}: slices are missing or unevenly spaced (steps of {steps.min():.2f} to "
                         f"{steps.max():.2f} mm, the largest after slice {gap}); export the complete series")
    slices = [load_scan(headers[i][0]) for i in order]
    voxels = np.stack([s.pixels for s in slices]).astype(np.float32)
    in_plane = slices[0].spacing_mm
    spacing = (step, *in_plane) if in_plane is not None else None
    return Volume(voxels=voxels, spacing_mm=spacing, orientation=_dicom_orientation(row, column),
                  modality=slices[0].modality, source=str(folder))


def _dicom_multiframe(path: pathlib.Path, source: str) -> Volume:
    import pydicom

    from models.data.scans import load_scan

    scan = load_scan(path)
    if scan.pixels.ndim != 3 or scan.n_frames < 2:
        raise ValueError(f"{path.name} is a single DICOM image, not a volume; pass the folder that holds its "
                         "series, or a multi-frame DICOM")
    ds = pydicom.dcmread(str(path), stop_before_pixels=True)
    step = None
    try:  # enhanced objects: each frame's position along the normal
        groups = ds.PerFrameFunctionalGroupsSequence
        cos = [float(v) for v in ds.SharedFunctionalGroupsSequence[0].PlaneOrientationSequence[0]
               .ImageOrientationPatient]
        normal = np.cross(cos[:3], cos[3:])
        depth = [float(np.dot(normal, [float(v) for v in g.PlanePositionSequence[0].ImagePositionPatient]))
                 for g in groups]
        step = float(np.median(np.abs(np.diff(depth))))
        orientation = _dicom_orientation(np.array(cos[:3]), np.array(cos[3:]))
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        orientation = ("?", "?", "?")
    if not step:  # no positions: the file's spacing between slices, else its slice thickness
        value = ds.get("SpacingBetweenSlices") or ds.get("SliceThickness")
        step = float(value) if value else None
    spacing = (step, *scan.spacing_mm) if step and scan.spacing_mm is not None else None
    return Volume(voxels=scan.pixels.astype(np.float32), spacing_mm=spacing, orientation=orientation,
                  modality=scan.modality, source=source)


def load_volume(name_or_path: Any) -> Volume:
    """A volume from a built-in name, a NIfTI file, a multi-frame DICOM or a folder of DICOM slices.

    What this shows: a volume's voxels and how big each one is in millimetres,
    slice axis first, whatever format it came in.

    Raises:
        ValueError: an unreadable file, or a series that is not one complete
            volume (mixed sizes, mixed orientations, missing or duplicate slices),
            with what to do; ArgumentError for an unknown name or a missing path.
    """
    if isinstance(name_or_path, str) and name_or_path in VOLUMES:
        path = _builtin(name_or_path)
        source = f"{name_or_path}: {VOLUMES[name_or_path].package} ({VOLUMES[name_or_path].file})"
    elif isinstance(name_or_path, (str, pathlib.Path)) and pathlib.Path(name_or_path).exists():
        path = pathlib.Path(name_or_path)
        source = str(path)
    else:
        raise ArgumentError(f"name_or_path must be one of {', '.join(VOLUMES)}, a NIfTI or DICOM file, or a folder "
                            f"of DICOM slices, got {name_or_path!r}")
    if path.is_dir():
        return _dicom_series(path)
    if path.name.lower().endswith((".nii", ".nii.gz")):
        volume = _nifti(path, source)
        if isinstance(name_or_path, str) and name_or_path in VOLUMES:  # a built-in: we know what it shows
            volume = dataclasses.replace(volume, modality=VOLUMES[name_or_path].modality)
        return volume
    return _dicom_multiframe(path, source)
