"""Volume views against NumPy slicing and reductions, aspects from the spacing by hand, NIfTI written by nibabel."""
from __future__ import annotations

import io

import numpy as np
import pytest

from explainers.volume_views import compute_montage, compute_projection, compute_volume_views
from explainers.volume_views_plots import plot_montage, plot_projection, plot_volume_views
from models._arguments import ArgumentError
from models.data import WINDOWS, Volume, load_volume


def _volume(shape=(6, 7, 8), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _nifti(tmp_path, data, zooms):
    import nibabel

    path = tmp_path / "anisotropic.nii.gz"
    nibabel.save(nibabel.Nifti1Image(data, np.diag([*zooms, 1.0])), str(path))
    return load_volume(path)


@pytest.mark.parametrize("point", [(0, 0, 0), (5, 6, 7), (2, 3, 1), None])
def test_the_three_planes_are_numpy_slices_through_the_point(point):
    vol = _volume()
    v = compute_volume_views(vol, point=point)
    z, y, x = point if point is not None else (3, 3, 4)  # the centre by default
    assert v.point == (z, y, x)
    np.testing.assert_array_equal(v.planes[0], vol[z])
    np.testing.assert_array_equal(v.planes[1], vol[:, y, :])
    np.testing.assert_array_equal(v.planes[2], vol[:, :, x])
    assert v.value == float(vol[z, y, x])
    assert v.shape == (6, 7, 8) and not v.spacing_known and v.spacing_mm == (1.0, 1.0, 1.0)


def test_a_nifti_with_3_mm_slices_gets_aspects_and_extents_from_its_zooms(tmp_path):
    # nibabel stores (i, j, k) = (x, y, z); zooms 0.5 mm, 0.7 mm and 3 mm slices
    data = np.random.default_rng(1).integers(0, 1000, size=(8, 10, 4)).astype(np.int16)
    vol = _nifti(tmp_path, data, (0.5, 0.7, 3.0))
    v = compute_volume_views(vol, point=(1, 2, 3))
    assert v.spacing_known and v.spacing_mm == pytest.approx((3.0, 0.7, 0.5))
    # aspect = row spacing / column spacing: axial y/x, coronal z/x, sagittal z/y, worked by hand
    assert v.aspects == pytest.approx((0.7 / 0.5, 3.0 / 0.5, 3.0 / 0.7))
    np.testing.assert_allclose(v.extents_mm, [(8 * 0.5, 10 * 0.7), (8 * 0.5, 4 * 3.0), (10 * 0.7, 4 * 3.0)])
    assert v.value == float(data[3, 2, 1])  # (z, y, x) = (k, j, i)
    np.testing.assert_array_equal(v.planes[0], data[:, :, 1].T)


def test_the_plot_keeps_the_aspect_a_crosshair_at_the_voxel_and_the_patients_right_on_the_left(tmp_path):
    data = np.random.default_rng(2).normal(size=(8, 10, 4)).astype(np.float32)
    vol = _nifti(tmp_path, data, (0.5, 0.7, 3.0))  # a positive diagonal affine: RAS, listed (S, A, R)
    assert vol.orientation == ("S", "A", "R")
    v = compute_volume_views(vol, point=(1, 2, 3))
    assert v.names == ("axial", "coronal", "sagittal")
    assert v.edges[0] == ("A", "P", "R", "L") and v.edges[1] == ("S", "I", "R", "L")
    fig = plot_volume_views(v)
    fig.savefig(io.BytesIO(), format="png")  # lays out and applies each panel's aspect
    axes = fig.axes[:3]
    for ax, (w, h) in zip(axes, v.extents_mm):
        (x0, y0), (x1, y1) = ax.transData.transform([(0.0, 0.0), (w, h)])  # the plane's corners on screen
        assert abs(y1 - y0) / abs(x1 - x0) == pytest.approx(h / w, rel=1e-3)  # mm for mm: 3 mm slices not squashed
    axial = axes[0]
    # x index grows towards the patient's right (R): the last column is drawn left of the first
    first = axial.transData.transform((0.5 * 0.5, 1.0))[0]
    last = axial.transData.transform((7.5 * 0.5, 1.0))[0]
    assert last < first
    # y grows anteriorly (A): the last row is drawn above the first (display y grows upwards)
    assert axial.transData.transform((1.0, 9.5 * 0.7))[1] > axial.transData.transform((1.0, 0.5 * 0.7))[1]
    vertical = [line.get_xdata()[0] for line in axial.get_lines()]
    horizontal = [line.get_ydata()[0] for line in axial.get_lines()]
    assert vertical[0] == pytest.approx((3 + 0.5) * 0.5)  # x = 3 at its voxel's centre, in mm
    assert horizontal[1] == pytest.approx((2 + 0.5) * 0.7)  # y = 2


@pytest.mark.parametrize("kind, reduce", [("max", np.max), ("min", np.min), ("mean", np.mean)])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_projections_are_numpy_reductions_along_the_axis(kind, reduce, axis):
    vol = _volume(seed=3)
    p = compute_projection(vol, axis=axis, kind=kind)
    np.testing.assert_allclose(p.image, reduce(vol, axis=axis), rtol=1e-6, atol=1e-6)
    if kind == "max":
        np.testing.assert_array_equal(p.argmax, np.argmax(vol, axis=axis))
    assert p.slab == (0, vol.shape[axis])


def test_a_slab_mip_projects_only_its_slices():
    vol = _volume(seed=4)
    p = compute_projection(vol, axis=0, kind="max", slab=(2, 5))
    np.testing.assert_array_equal(p.image, vol[2:5].max(axis=0))
    np.testing.assert_array_equal(p.argmax, np.argmax(vol[2:5], axis=0) + 2)


def test_a_mip_finds_a_bright_nodule_on_whichever_slice_it_lies():
    vol = np.zeros((10, 12, 12), np.float32)
    vol[7, 4, 9] = 5.0
    p = compute_projection(vol, axis=0, spacing_mm=(2.5, 0.8, 0.8))
    assert p.image[4, 9] == 5.0 and p.argmax[4, 9] == 7
    assert p.aspect == pytest.approx(1.0) and p.extent_mm == pytest.approx((12 * 0.8, 12 * 0.8))
    assert compute_projection(vol, axis=2, spacing_mm=(2.5, 0.8, 0.8)).aspect == pytest.approx(2.5 / 0.8)


@pytest.mark.parametrize("kwargs, expected", [
    ({}, list(range(12))),                          # all slices up to 16
    ({"n_slices": 4}, [0, 4, 7, 11]),               # np.linspace(0, 11, 4) rounded
    ({"step": 5}, [0, 5, 10]),                      # every 5th, as matshow3d's every_n: frames[::5]
    ({"n_slices": 1}, [0]),
])
def test_a_montage_takes_the_slices_numpy_would(kwargs, expected):
    vol = _volume((12, 5, 6), seed=5)
    m = compute_montage(vol, spacing_mm=(3.0, 1.0, 1.0), **kwargs)
    assert m.indices.tolist() == expected
    np.testing.assert_array_equal(m.slices, vol[expected])
    np.testing.assert_allclose(m.positions_mm, np.array(expected) * 3.0)


def test_a_montage_along_y_takes_coronal_slices():
    vol = _volume((4, 9, 6), seed=6)
    m = compute_montage(vol, axis=1, step=4)
    assert m.indices.tolist() == [0, 4, 8]
    np.testing.assert_array_equal(m.slices, vol[:, ::4, :].transpose(1, 0, 2))


def test_the_default_window_is_soft_tissue_for_ct_and_the_percentiles_otherwise():
    vol = _volume(seed=7) * 100
    ct = Volume(voxels=vol, spacing_mm=(1.0, 1.0, 1.0), orientation=("S", "P", "L"), modality="CT", source="t")
    assert compute_volume_views(ct).window == WINDOWS["soft_tissue"] and compute_volume_views(ct).units == "HU"
    lo, hi = np.percentile(vol, [0.5, 99.5])
    level, width = compute_volume_views(vol).window
    assert level == pytest.approx((lo + hi) / 2, rel=1e-5) and width == pytest.approx(hi - lo, rel=1e-5)
    assert compute_volume_views(ct, window="lung").window == WINDOWS["lung"]
    assert compute_montage(ct, window=(40, 80)).window == (40.0, 80.0)


def test_a_4d_series_shows_the_time_point_asked_for():
    series = _volume((3, 4, 5, 6), seed=8)
    vol = Volume(voxels=series, spacing_mm=(2.2, 2.0, 2.0), orientation=("S", "A", "L"), modality="MR", source="t")
    v = compute_volume_views(vol, time=2, point=(1, 1, 1))
    np.testing.assert_array_equal(v.planes[0], series[2, 1])
    assert v.time == 2 and v.n_times == 3
    np.testing.assert_array_equal(compute_projection(vol, time=1).image, series[1].max(axis=0))


def test_an_overlay_is_cut_through_the_same_point_and_a_binary_map_is_a_mask():
    vol = _volume(seed=9)
    cam = np.random.default_rng(10).uniform(size=vol.shape)
    v = compute_volume_views(vol, point=(1, 2, 3), overlay=cam[..., None])  # (D, H, W, 1) as a model gives it
    np.testing.assert_allclose(v.overlays[1], cam[:, 2, :], rtol=1e-6)
    assert v.overlay_range == pytest.approx((cam.min(), cam.max())) and not v.overlay_is_mask
    mask = (cam > 0.5).astype(np.float32)
    assert compute_volume_views(vol, overlay=mask).overlay_is_mask


@pytest.mark.parametrize("call, message", [
    (lambda v: compute_volume_views(v, point=(6, 0, 0)), "point z"),
    (lambda v: compute_volume_views(v, overlay=np.zeros((2, 2, 2))), "overlay must have"),
    (lambda v: compute_volume_views(v[0]), "3-D"),
    (lambda v: compute_volume_views(v, spacing_mm=(1.0, 0.0, 1.0)), "spacing_mm"),
    (lambda v: compute_projection(v, kind="sum"), "kind"),
    (lambda v: compute_projection(v, slab=(3, 3)), "slab stop"),
    (lambda v: compute_montage(v, n_slices=3, step=2), "not both"),
    (lambda v: compute_volume_views(v, window="nope"), "window"),
])
def test_bad_arguments_are_refused_with_what_is_wrong(call, message):
    with pytest.raises(ArgumentError, match=message):
        call(_volume())


def test_the_plots_draw_each_built_in_volume():
    from models.data import VOLUMES

    for name in VOLUMES:
        vol = load_volume(name)
        fig = plot_volume_views(compute_volume_views(vol))
        assert len(fig.axes) == 3 and [ax.get_title().split("\n")[0] for ax in fig.axes] == [
            "axial", "coronal", "sagittal"]
        ax = plot_projection(compute_projection(vol, axis=1))
        assert ax.get_title().startswith("MIP along y")
        fig = plot_montage(compute_montage(vol, n_slices=6))
        assert "6 axial slices along z" in fig.axes[0].get_title()


def test_a_projection_is_windowed_on_its_own_values_unless_ct():
    vol = _volume(seed=11)
    p = compute_projection(vol, kind="max")
    lo, hi = np.percentile(vol.max(axis=0), [0.5, 99.5])  # a MIP is brighter than the volume's slices
    assert p.window == pytest.approx(((lo + hi) / 2, hi - lo), rel=1e-5)
    ct = Volume(voxels=vol * 500, spacing_mm=(1.0, 1.0, 1.0), orientation=("S", "P", "L"), modality="CT", source="t")
    assert compute_projection(ct).window == WINDOWS["soft_tissue"]
