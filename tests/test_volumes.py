"""Volumes: NIfTI as nibabel writes it, DICOM series sorted by position, clear errors for broken series."""
from __future__ import annotations

import numpy as np
import pytest

from models._arguments import ArgumentError
from models.data import VOLUMES, load_volume


def _nifti(tmp_path, name, data, zooms, slope_inter=None):
    import nibabel

    img = nibabel.Nifti1Image(data, np.diag([*zooms, 1.0]))
    if slope_inter is not None:
        img.header.set_slope_inter(*slope_inter)
    path = tmp_path / name
    nibabel.save(img, str(path))
    return path


@pytest.mark.parametrize("name", ["scan.nii", "scan.nii.gz"])
def test_nifti_loads_slice_axis_first_with_its_anisotropic_spacing_and_orientation(tmp_path, name):
    data = np.random.default_rng(0).integers(-1000, 1000, size=(4, 5, 6)).astype(np.int16)
    vol = load_volume(_nifti(tmp_path, name, data, (0.5, 0.7, 3.0)))
    np.testing.assert_array_equal(vol.voxels, data.transpose(2, 1, 0).astype(np.float32))
    assert vol.voxels.dtype == np.float32
    assert vol.spacing_mm == pytest.approx((3.0, 0.7, 0.5))
    assert vol.orientation == ("S", "A", "R")  # a positive diagonal affine is RAS; listed as (k, j, i)


def test_nifti_scaling_is_applied_as_nibabel_does(tmp_path):
    data = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    vol = load_volume(_nifti(tmp_path, "scaled.nii", data, (1, 1, 1), slope_inter=(2.0, -10.0)))
    np.testing.assert_allclose(vol.voxels, data.transpose(2, 1, 0) * 2.0 - 10.0)


def _series(tmp_path, positions, *, sizes=None, orientations=None, skip=()):
    """Slices of pydicom's CT_small.dcm at the given z positions, written in reverse order under random names."""
    import pydicom
    from pydicom.data import get_testdata_file

    folder = tmp_path / "series"
    folder.mkdir()
    expected = []
    for k, z in enumerate(positions):
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
        a = ds.pixel_array.astype(np.int16) + 10 * k
        if sizes and k in sizes:
            a = a[: sizes[k]]
        ds.Rows, ds.Columns = a.shape
        ds.PixelData = a.tobytes()
        ds.ImagePositionPatient = [-158.1, -179.0, float(z)]
        ds.SliceThickness = 5.0  # the slab, not the step: the loader must use the positions
        if orientations and k in orientations:
            ds.ImageOrientationPatient = orientations[k]
        expected.append(a.astype(np.float32) * float(ds.RescaleSlope) + float(ds.RescaleIntercept))
        if k not in skip:
            ds.save_as(folder / f"{(97 * (len(positions) - k)) % 101:03d}.dcm")
    (folder / "README.txt").write_text("not a slice")
    return folder, expected


def test_a_dicom_series_is_sorted_by_position_with_the_step_between_slices_as_its_spacing(tmp_path):
    folder, expected = _series(tmp_path, [10.0 + 2.5 * k for k in range(5)])
    vol = load_volume(folder)
    assert vol.voxels.shape == (5, 128, 128)
    for k in range(5):
        np.testing.assert_allclose(vol.voxels[k], expected[k])  # HU, in position order
    assert vol.spacing_mm == pytest.approx((2.5, 0.661468, 0.661468))  # 2.5 mm steps, not the 5 mm slab
    assert vol.orientation == ("S", "P", "L") and vol.modality == "CT"


@pytest.mark.parametrize("kwargs, message", [
    (dict(skip=(2,)), "missing or unevenly spaced"),
    (dict(sizes={1: 64}), "different sizes"),
    (dict(orientations={3: [0, 1, 0, 0, 0, -1]}), "different orientations"),
])
def test_a_broken_series_is_refused_with_what_is_wrong(tmp_path, kwargs, message):
    folder, _ = _series(tmp_path, [2.5 * k for k in range(5)], **kwargs)
    with pytest.raises(ValueError, match=message):
        load_volume(folder)


def test_two_slices_at_one_position_are_refused(tmp_path):
    folder, _ = _series(tmp_path, [0.0, 2.5, 2.5, 5.0])
    with pytest.raises(ValueError, match="share one position"):
        load_volume(folder)


@pytest.mark.parametrize("name, shape, spacing", [
    ("brain_mr", (25, 41, 33), (2.0, 2.0, 2.0)),
    ("fmri_4d", (2, 24, 96, 128), (2.2, 2.0, 2.0)),
    ("mr_head_frames", (10, 64, 64), None),  # the file has no pixel spacing
])
def test_built_in_volumes_load_offline(no_network, name, shape, spacing):
    vol = load_volume(name)
    assert vol.voxels.shape == shape and vol.voxels.dtype == np.float32 and np.isfinite(vol.voxels).all()
    assert vol.spacing_mm == (None if spacing is None else pytest.approx(spacing, abs=1e-5))
    assert vol.modality == "MR" and vol.source.startswith(name) and name in VOLUMES


def test_an_unknown_name_or_a_single_image_is_refused():
    from pydicom.data import get_testdata_file

    with pytest.raises(ArgumentError, match="brain_mr"):
        load_volume("no_such_volume")
    with pytest.raises(ValueError, match="single DICOM image"):
        load_volume(get_testdata_file("CT_small.dcm", download=False))


def test_synthetic_nodule_volumes_hold_a_bright_sphere_in_a_lung_for_positives_only():
    from scipy import ndimage

    from models.data import make_nodules3d

    volumes, labels, masks = make_nodules3d(64, 32, seed=3)
    assert volumes.shape == masks.shape == (64, 32, 32, 32, 1) and volumes.dtype == np.float32
    assert labels.sum() == 32 and 0 <= volumes.min() and volumes.max() <= 1
    counts = masks.sum(axis=(1, 2, 3, 4))
    assert np.all(counts[labels == 0] == 0)
    # a sphere of radius 2-5 voxels: 4/3·π·r³ between about 34 and 524 voxels, in one connected piece
    assert np.all((counts[labels == 1] > 20) & (counts[labels == 1] < 560))
    for i in np.flatnonzero(labels == 1)[:5]:
        assert ndimage.label(masks[i, ..., 0])[1] == 1
        shell = ndimage.binary_dilation(masks[i, ..., 0], iterations=3) & ~masks[i, ..., 0].astype(bool)
        assert volumes[i, ..., 0][masks[i, ..., 0] > 0].mean() > volumes[i, ..., 0][shell].mean() + 0.15
    again = make_nodules3d(64, 32, seed=3)
    np.testing.assert_array_equal(again[0], volumes)  # the seed decides everything
    assert not np.array_equal(make_nodules3d(64, 32, seed=4)[0], volumes)
