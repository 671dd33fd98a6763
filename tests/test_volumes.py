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


# ------------------------------------------------------------------ make_nodules3d's vessels
# The vessels' own image is measured as the difference from the same seed with vessels=0 (they come from their
# own random stream; clipping to [0, 1] only ever shrinks it), a nodule's as the difference from
# positive_fraction=0 (the same noise and the same nodule draws, none added).
VESSEL_LEVEL = 0.1  # a voxel belongs to a vessel where the vessel adds more than this (peak 0.45)


def _vessel_parts(image: np.ndarray) -> tuple[np.ndarray, int]:
    """The vessels of one volume's vessel image: 26-connected pieces over VESSEL_LEVEL, less fragments under 10
    voxels (where a vessel's faint edge meets the bright body, clipping at 1 leaves a few loose voxels; the
    thinnest, shortest vessel holds about 170)."""
    from scipy import ndimage

    parts, count = ndimage.label(image > VESSEL_LEVEL, structure=np.ones((3, 3, 3)))
    sizes = np.bincount(parts.ravel(), minlength=count + 1)
    big = np.flatnonzero(sizes >= 10)
    big = big[big > 0]
    relabel = np.zeros(count + 1, np.int64)
    relabel[big] = np.arange(1, len(big) + 1)
    return relabel[parts], len(big)


@pytest.fixture(scope="module")
def vessel_volumes():
    from models.data.nodules3d import make_nodules3d

    with_vessels = make_nodules3d(128, 32, seed=5)
    plain = make_nodules3d(128, 32, seed=5, vessels=0)
    no_nodules = make_nodules3d(128, 32, seed=5, vessels=0, positive_fraction=0.0)
    return with_vessels, plain, no_nodules


def test_vessels_change_neither_labels_nor_masks_and_only_add_brightness(vessel_volumes):
    (v, labels, masks), (plain, labels0, masks0), _ = vessel_volumes
    np.testing.assert_array_equal(labels, labels0)
    np.testing.assert_array_equal(masks, masks0)  # masks hold the nodule only
    diff = v - plain
    assert diff.min() >= 0 and diff.max() <= 0.45 + 1e-6


def test_every_volume_has_vessels_that_run_through_many_slices_clear_of_the_nodule(vessel_volumes):
    from scipy import ndimage

    (v, labels, masks), (plain, _, _), _ = vessel_volumes
    support = (v - plain)[..., 0] > VESSEL_LEVEL
    nodule_slices = masks[..., 0].any(axis=(2, 3)).sum(axis=1)
    assert nodule_slices[labels == 1].max() <= 11  # a sphere of radius <= 5 voxels: at most 11 slices
    lungish = 0
    inside = 0
    for i in range(len(v)):
        parts, count = _vessel_parts((v - plain)[i, ..., 0])
        assert 1 <= count <= 3, (i, count)  # 1-3 vessels (crossing ones merge), in negatives and positives alike
        for box in ndimage.find_objects(parts):
            assert box[0].stop - box[0].start >= 14, (i, box)  # a tube: 14 or more slices, longer than any nodule
        assert not np.any(support[i] & (masks[i, ..., 0] > 0))  # never inside the nodule's mask
        # inside the lungs: along each vessel's middle, the volume without vessels is lung-dark (lung 0.45, body 0.85)
        for label in range(1, count + 1):
            zs = np.flatnonzero((parts == label).any(axis=(1, 2)))
            for zz in zs[len(zs) // 4: 3 * len(zs) // 4]:
                r, c = np.unravel_index(np.argmax(np.where(parts[zz] == label, v[i, zz, ..., 0] - plain[i, zz, ..., 0],
                                                           -1)), (32, 32))
                lungish += plain[i, zz, r, c, 0] < 0.65
                inside += 1
    assert lungish / inside > 0.9, lungish / inside
    assert (labels == 0).any() and (labels == 1).any()


def _disc(image: np.ndarray) -> tuple[float, float]:
    """Peak and radius (from the area over half the peak, in voxels) of the disc holding an image's maximum."""
    from scipy import ndimage

    peak = float(image.max())
    parts, _ = ndimage.label(image > peak / 2)
    area = np.count_nonzero(parts == parts[np.unravel_index(np.argmax(image), image.shape)])
    return peak, float(np.sqrt(area / np.pi))


def test_one_axial_slice_through_a_vessel_looks_like_one_through_a_nodules_centre(vessel_volumes):
    from scipy import ndimage

    (v, labels, masks), (plain, _, _), (no_nodules, _, _) = vessel_volumes
    nodules, vessels = [], []
    for i in np.flatnonzero(labels == 1):
        zc = int(round(float(np.nonzero(masks[i, ..., 0])[0].mean())))
        nodules.append(_disc((plain - no_nodules)[i, zc, ..., 0]))
    for i in range(len(v)):
        image = (v - plain)[i, ..., 0]
        parts, count = _vessel_parts(image)
        for box in ndimage.find_objects(parts):
            zc = (box[0].start + box[0].stop) // 2  # the middle slice of each vessel
            vessels.append(_disc(np.where(parts[zc] == parts[box][parts[box] > 0][0], image[zc], 0.0)))
    nodules, vessels = np.array(nodules), np.array(vessels)
    # the same peak (0.45 added, less where the volume is clipped at 1): medians within 0.02
    assert abs(np.median(nodules[:, 0]) - np.median(vessels[:, 0])) < 0.02
    assert np.median(nodules[:, 0]) > 0.4
    # the same radii: 2-5 voxels at 32³ (about 0.91 radii reach half the peak): 10th, 50th and 90th percentiles
    # of the measured radii within 0.5 voxel of each other
    for q in (10, 50, 90):
        assert abs(np.percentile(nodules[:, 1], q) - np.percentile(vessels[:, 1], q)) < 0.5, q
    assert 1.5 < nodules[:, 1].min() and nodules[:, 1].max() < 5.0
    print(f"peak nodule {np.median(nodules[:, 0]):.3f} vessel {np.median(vessels[:, 0]):.3f}; radius percentiles "
          f"nodule {np.percentile(nodules[:, 1], [10, 50, 90]).round(2)} vessel "
          f"{np.percentile(vessels[:, 1], [10, 50, 90]).round(2)}")


@pytest.mark.parametrize("kwargs, says", [(dict(vessels=-1), "vessels"), (dict(vessels=1.5), "vessels"),
                                          (dict(size=8), "size")])
def test_bad_nodule_volume_arguments_are_refused(kwargs, says):
    from models.data.nodules3d import make_nodules3d

    with pytest.raises(ArgumentError, match=says):
        make_nodules3d(4, **kwargs)


def test_a_negative_has_a_vessel_where_a_positive_has_its_nodule_and_the_same_other_vessels():
    from scipy import ndimage

    from models.data.nodules3d import make_nodules3d

    # the same seed with every volume negative and with every volume positive: the same noise, the same nodule
    # draws, the same other vessels (they keep clear of the nodule's place in both), so what differs is a
    # stand-in vessel in the negatives through the place where the positives have their nodule
    images = {}
    for fraction in (0.0, 1.0):
        volumes, _, masks = make_nodules3d(64, 32, seed=7, positive_fraction=fraction)
        plain = make_nodules3d(64, 32, seed=7, positive_fraction=fraction, vessels=0)[0]
        images[fraction] = (volumes - plain)[..., 0]
    no_nodules = make_nodules3d(64, 32, seed=7, positive_fraction=0.0, vessels=0)[0][..., 0]
    nodule_images = make_nodules3d(64, 32, seed=7, positive_fraction=1.0, vessels=0)[0][..., 0] - no_nodules
    stand_in = images[0.0] - images[1.0]
    assert stand_in.min() > -0.02  # the other vessels are the same (a nodule's tail can change a clip at 1)
    gaps = []
    for i in range(64):
        parts, count = _vessel_parts(stand_in[i])
        assert count == 1, (i, count)  # one more tube in the negative ...
        (box,) = ndimage.find_objects(parts)
        assert box[0].stop - box[0].start >= 14
        centre = tuple(int(round(float(c.mean()))) for c in np.nonzero(masks[i, ..., 0]))
        assert parts[centre] == 1  # ... through the nodule's centre
        # ... where its axial slice is the nodule's: the same peak and radius, measured
        (p_vessel, r_vessel), (p_nodule, r_nodule) = _disc(stand_in[i, centre[0]]), _disc(nodule_images[i, centre[0]])
        gaps.append((p_vessel - p_nodule, r_vessel - r_nodule))
    gaps = np.abs(np.array(gaps))
    # the nodule's centre voxel slice lies up to half a voxel off its centre: a slightly smaller disc
    assert gaps[:, 0].max() < 0.02 and np.median(gaps[:, 1]) < 0.25 and gaps[:, 1].max() < 0.6, gaps.max(axis=0)
