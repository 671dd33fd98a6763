"""AppTest drives the Volumes page: each built-in volume, the crosshair, uploads in three formats, broken files."""
from __future__ import annotations

import io
import re

import numpy as np
import pytest

from models.data import load_volume
from conftest import COURSE


def _text(at) -> str:
    """Every piece of text the page shows (markdown, captions, errors, widget labels)."""
    parts = [e.value for e in (*at.markdown, *at.caption, *at.error, *at.info, *at.title, *at.subheader)]
    parts += [t.value.to_string() for t in at.table]
    parts += [w.label for w in (*at.slider, *at.selectbox, *at.number_input)]
    return "\n".join(parts)


def _point(at) -> tuple[int, int, int]:
    return tuple(int(v) for v in re.search(r"crosshair is on voxel \((\d+), (\d+), (\d+)\)", _text(at)).groups())


def _value(at) -> str:
    return re.search(r"its value is \*\*([-0-9.,]+)\*\*", _text(at)).group(1)


def _num(v: float) -> str:  # the page's formatting, written again
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}"


@pytest.mark.parametrize("label, name", [("Brain MR", "brain_mr"), ("fMRI, 4-D", "fmri_4d"),
                                         ("Head MR, 10 frames", "mr_head_frames")])
def test_each_built_in_volume_opens_at_its_centre_with_the_voxel_value_numpy_reads(app_page, label, name):
    at = app_page("volumes.py", vol_source=label)
    assert not at.exception and not at.error
    vol = load_volume(name)
    voxels = vol.voxels[0] if vol.voxels.ndim == 4 else vol.voxels
    centre = tuple(n // 2 for n in voxels.shape)
    assert _point(at) == centre
    assert _value(at) == _num(float(voxels[centre]))
    text = _text(at)
    if vol.spacing_mm is not None:
        sz, sy, sx = vol.spacing_mm
        assert f"**{sz:.3g} × {sy:.3g} × {sx:.3g} mm**" in text
        assert f"drawn {sy / sx:.2f} (axial), {sz / sx:.2f} (coronal) and {sz / sy:.2f} (sagittal)" in text
    else:
        assert "gives no voxel spacing" in text


def test_the_two_slice_ct_is_drawn_26_times_taller_per_row_and_gets_ct_windows(app_page):
    from models.data import scan_file

    at = app_page("volumes.py", vol_source="CT, 2 slices of 10 mm")
    assert not at.exception and not at.error
    vol = load_volume(scan_file("ct_enhanced"))
    sz, sy, sx = vol.spacing_mm  # 10 mm slices, 0.39 mm pixels
    text = _text(at)
    assert f"drawn {sy / sx:.2f} (axial), {sz / sx:.2f} (coronal) and {sz / sy:.2f} (sagittal)" in text
    assert _point(at) == (1, 256, 256) and _value(at) == _num(float(vol.voxels[1, 256, 256]))
    assert at.pills(key="vol_preset").value == "soft tissue" and "Window 50/400 HU." in text
    at.pills(key="vol_preset").set_value("brain").run()
    assert (at.slider(key="vol_level").value, at.slider(key="vol_width").value) == (40.0, 80.0)
    at.slider(key="vol_level").set_value(60.0).run()
    assert not at.exception and at.pills(key="vol_preset").value is None  # a slider move clears the preset
    assert "Window 60/80 HU." in _text(at)


def test_moving_the_crosshair_and_the_time_point_shows_that_voxel(app_page):
    at = app_page("volumes.py", vol_source="fMRI, 4-D")
    vol = load_volume("fmri_4d").voxels
    at.slider(key="vol_z_builtin_fmri_4d_0").set_value(3).run()
    at.slider(key="vol_x_builtin_fmri_4d_0").set_value(100).run()
    at.slider(key="vol_t_builtin_fmri_4d_0").set_value(2).run()
    assert not at.exception
    assert _point(at) == (3, 48, 100)
    assert _value(at) == _num(float(vol[1, 3, 48, 100]))
    assert "time point 2 of 2" in _text(at)


def test_the_projection_caption_names_the_slice_numpy_finds(app_page):
    at = app_page("volumes.py")
    voxels = load_volume("brain_mr").voxels
    mip = voxels.max(axis=0)
    r, c = np.unravel_index(np.argmax(mip), mip.shape)
    assert f"comes from slice {int(np.argmax(voxels[:, r, c]))} along z" in _text(at)
    at.segmented_control(key="vol_axis").set_value("x").run()
    assert not at.exception and "along x" in _text(at)


def test_the_synthetic_nodule_opens_on_its_centre_with_its_mask(app_page):
    from models.data import make_nodules3d

    at = app_page("volumes.py", vol_source="Synthetic nodule")
    assert not at.exception and not at.error
    x, y, masks = make_nodules3d(16, seed=0)
    i = int(np.flatnonzero(y)[0])
    centre = tuple(int(round(float(c.mean()))) for c in np.nonzero(masks[i, ..., 0]))
    assert _point(at) == centre
    assert f"nodule of {int(masks[i].sum())} voxels" in _text(at)
    at.number_input(key="vol_nodule_index").set_value(int(np.flatnonzero(y == 0)[0])).run()
    assert not at.exception and "holds no nodule" in _text(at)


def _nifti_bytes(data: np.ndarray, zooms) -> bytes:
    import nibabel

    img = nibabel.Nifti1Image(data, np.diag([*zooms, 1.0]))
    return img.to_bytes()


def test_an_uploaded_ct_nifti_with_3_mm_slices_gets_its_aspects_and_ct_windows(app_page):
    rng = np.random.default_rng(0)
    data = rng.integers(-1000, 400, size=(12, 10, 6)).astype(np.int16)  # (i, j, k) = (x, y, z), HU
    at = app_page("volumes.py", vol_source="Your file")
    at.file_uploader(key="vol_upload").set_value(("ct.nii", _nifti_bytes(data, (0.5, 0.7, 3.0)),
                                                  "application/octet-stream")).run()
    assert not at.exception and not at.error
    text = _text(at)
    assert "**3 × 0.7 × 0.5 mm**" in text
    assert "drawn 1.40 (axial), 6.00 (coronal) and 4.29 (sagittal)" in text  # 0.7/0.5, 3/0.5, 3/0.7
    assert _point(at) == (3, 5, 6) and _value(at) == _num(float(data[6, 5, 3]))
    assert at.toggle(key="vol_ct_upload_ct.nii_0").value  # HU values: treated as CT
    at.pills(key="vol_preset").set_value("lung").run()
    assert not at.exception
    assert (at.slider(key="vol_level").value, at.slider(key="vol_width").value) == (-600.0, 1500.0)
    assert "Window -600/1500 HU" in _text(at)


def test_an_uploaded_multi_frame_dicom_is_a_ct_volume(app_page):
    import pydicom

    from test_scan_views import small_dicom  # tests/ is on the path (a site-packages "tests" shadows the folder)

    ds = pydicom.dcmread(io.BytesIO(small_dicom(frames=4, identifying=False)))
    ds.SpacingBetweenSlices = 3.0
    buf = io.BytesIO()
    ds.save_as(buf)
    at = app_page("volumes.py", vol_source="Your file")
    at.file_uploader(key="vol_upload").set_value(("frames.dcm", buf.getvalue(), "application/dicom")).run()
    assert not at.exception and not at.error
    hu = ds.pixel_array.astype(np.float32) - 1024
    assert _point(at) == (2, 8, 10) and _value(at) == _num(float(hu[2, 8, 10]))
    assert "**3 × 0.5 × 0.25 mm**" in _text(at)
    assert at.pills(key="vol_preset").value == "soft tissue"


def test_an_uploaded_medmnist_3d_file_shows_the_volume_picked(app_page):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(3, 28, 28, 28), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, test_images=images, test_labels=np.array([[0], [1], [0]]))
    at = app_page("volumes.py", vol_source="Your file")
    at.file_uploader(key="vol_upload").set_value(("nodulemnist3d.npz", buf.getvalue(),
                                                  "application/octet-stream")).run()
    assert not at.exception and not at.error
    at.number_input(key="vol_up_index").set_value(2).run()
    assert not at.exception
    assert _value(at) == _num(images[2, 14, 14, 14] / 255.0)
    assert "gives no voxel spacing" in _text(at)


@pytest.mark.parametrize("name, data", [("broken.nii", b"not a nifti" * 40), ("broken.npz", b"PK\x03\x04 nope"),
                                        ("broken.dcm", b"\0" * 128 + b"DICM" + b"\1" * 50),
                                        ("flat.npz", None)])
def test_a_broken_file_is_an_error_message_and_the_page_keeps_running(app_page, name, data):
    if data is None:  # a 2-D MedMNIST file: not volumes
        buf = io.BytesIO()
        np.savez(buf, test_images=np.zeros((2, 28, 28), np.uint8), test_labels=np.zeros((2, 1)))
        data = buf.getvalue()
    at = app_page("volumes.py", vol_source="Your file")
    at.file_uploader(key="vol_upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception
    assert at.error and at.error[0].value.startswith(f"Could not read '{name}'")
    at.selectbox(key="vol_source").set_value("Brain MR").run()
    assert not at.exception and not at.error  # the rest of the page still works


def test_every_quote_from_lecture_004_on_the_page_is_in_the_lecture(app_page):
    lecture = " ".join(next(COURSE.glob("004_*.txt")).read_text().split())
    why = app_page("volumes.py").markdown[0].value
    quotes = re.findall(r'"([^"]+)"', why)
    assert "Lecture 004" in why and len(quotes) >= 5
    for quote in quotes:
        assert quote in lecture, quote


@pytest.mark.slow
def test_training_the_3d_cnn_reports_its_held_out_accuracy_and_a_grad_cam_at_the_nodule(app_page):
    from sklearn.metrics import accuracy_score

    at = app_page("volumes.py", timeout=300)
    at.slider(key="vol_epochs").set_value(2).run()
    at.button(key="vol_train").click().run()
    assert not at.exception and at.success
    entry = at.session_state["vol_cnn3d"]
    assert len(entry.history) == 2
    from models.recipes.volumes import DEFAULT_VOLUME_RECIPE, nodule_volumes

    data = nodule_volumes(DEFAULT_VOLUME_RECIPE)
    p = entry.model.predict(data.x_test, verbose=0).ravel()
    text = _text(at)
    assert f"held-out accuracy **{accuracy_score(data.y_test, p >= 0.5):.0%}**" in text
    index = int(np.flatnonzero(data.y_test == 1)[0])
    assert f"held-out volume {index} · p(nodule) = **{p[index]:.2f}**" in text
    heat, mask = entry.extra["cam"].heatmap, data.masks_test[index, ..., 0]
    assert heat.shape == mask.shape == (32, 32, 32)
    share = heat[mask > 0].sum() / heat.sum()
    assert f"holds **{share:.0%}** of the map's total" in text
    centre = tuple(int(round(float(c.mean()))) for c in np.nonzero(mask))
    assert f"cut through the nodule's centre {centre}" in text


@pytest.mark.slow
def test_the_2d_against_3d_table_counts_parameters_and_receptive_fields_by_hand(app_page):
    at = app_page("volumes.py", timeout=300)
    at.slider(key="vol_epochs").set_value(1).run()
    at.button(key="vol_compare").click().run()
    assert not at.exception
    comparison = at.session_state["vol_comparison"]
    table = at.table[-1].value
    assert list(table["parameters"]) == [f"{comparison.model_2d.count_params():,}",
                                         f"{comparison.model_3d.count_params():,}"]
    # by hand, per stage: a 3-wide conv adds 2 jumps (R += 2J), a 2-wide pool one (R += J) and doubles the jump;
    # two stages give 1 + 2 + 1 + 4 + 2 = 10, three 10 + 8 + 4 = 22. The 2-D CNN's field is one slice deep.
    r, jump = 1, 1
    for _ in comparison.recipe.filters:
        r, jump = r + 2 * jump + jump, jump * 2
    assert list(table["receptive field (z × y × x voxels)"]) == [f"1 × {r} × {r}", f"{r} × {r} × {r}"]
    assert list(table["in mm at 2.5 × 0.7 × 0.7 mm voxels"]) == [f"2.5 × {r * 0.7:.1f} × {r * 0.7:.1f}",
                                                                f"{r * 2.5:.1f} × {r * 0.7:.1f} × {r * 0.7:.1f}"]
    data = comparison.data
    p3 = comparison.model_3d.predict(data.x_test, verbose=0).ravel()
    n, d = data.x_test.shape[:2]
    p2 = comparison.model_2d.predict(data.x_test.reshape(n * d, 32, 32, 1), verbose=0).reshape(n, d).max(axis=1)
    assert list(table["held-out accuracy"]) == [f"{np.mean((p2 >= 0.5) == data.y_test):.1%}",
                                                f"{np.mean((p3 >= 0.5) == data.y_test):.1%}"]
    # the AUC column and the "What the numbers show" paragraph, recomputed by scikit-learn and NumPy
    from sklearn.metrics import roc_auc_score

    assert list(table["AUC"]) == [f"{roc_auc_score(data.y_test, p2):.2f}", f"{roc_auc_score(data.y_test, p3):.2f}"]
    per_slice = comparison.model_2d.predict(data.x_test.reshape(n * d, 32, 32, 1), verbose=0).reshape(n, d)
    pos = np.flatnonzero(data.y_test == 1)
    centres = [int(round(float(np.argwhere(data.masks_test[i, ..., 0] > 0)[:, 0].mean()))) for i in pos]
    at_nodules = per_slice[pos, centres].mean()
    at_vessels = per_slice[data.y_test == 0].max(axis=1).mean()
    shows = next(m.value for m in at.markdown if m.value.startswith("**What the numbers show.**"))
    assert f"centre a score of **{at_nodules:.2f}**" in shows and f"stands in) **{at_vessels:.2f}**" in shows
    assert f"accuracy is **{np.mean((p2 >= 0.5) == data.y_test):.0%}**" in shows
    assert f"**{np.mean((p3 >= 0.5) == data.y_test):.0%}**, AUC **{roc_auc_score(data.y_test, p3):.2f}**" in shows
