"""AppTest drives the Medical images page: windows and presets, frames, the SEG, the overlay, uploads."""
from __future__ import annotations

import io

import numpy as np
import pytest

from test_scan_views import IDENTIFYING, small_dicom


def _text(at) -> str:
    """Every piece of text the page shows (markdown, captions, tables, errors, widget labels)."""
    parts = [e.value for e in (*at.markdown, *at.caption, *at.error, *at.info, *at.title, *at.subheader)]
    parts += [t.value.to_string() for t in at.table]
    parts += [w.label for w in (*at.slider, *at.selectbox)]
    return "\n".join(parts)


def test_page_opens_on_the_head_ct_in_its_own_window_with_computed_numbers(app_page):
    at = app_page("medical_images.py")
    assert not at.exception and not at.error
    assert at.selectbox(key="mi_scan").value == "ct_head"
    assert (at.slider(key="mi_level").value, at.slider(key="mi_width").value) == (40.0, 100.0)  # the file's window
    text = _text(at)
    # min-max of the stored values: padding -2000 stored = -3024 HU to the densest bone 1468 HU
    assert "-3024 to 1468 HU" in text
    assert f"**{80 / 4492:.1%}** of the grey range" in text
    assert f"**{15 / 4492 * 255:.1f}** grey levels apart" in text
    assert "55,772 padding" in text and "50 mm = 104 pixels" in text  # 50 / 0.478516 = 104.5


@pytest.mark.parametrize("preset, window", [("bone", (400.0, 1800.0)), ("lung", (-600.0, 1500.0)),
                                            ("soft tissue", (50.0, 400.0))])
def test_a_preset_sets_the_window_and_a_slider_move_clears_it(app_page, preset, window):
    at = app_page("medical_images.py")
    at.pills(key="mi_preset").set_value(preset).run()
    assert not at.exception
    assert (at.slider(key="mi_level").value, at.slider(key="mi_width").value) == window
    assert f"The window {window[0]:g}/{window[1]:g} shows" in _text(at)
    at.slider(key="mi_level").set_value(window[0] + 10).run()
    assert not at.exception and at.pills(key="mi_preset").value is None


def test_another_scan_opens_in_its_own_default_window(app_page):
    at = app_page("medical_images.py")
    at.selectbox(key="mi_scan").set_value("ct_abdomen").run()
    assert not at.exception
    assert (at.slider(key="mi_level").value, at.slider(key="mi_width").value) == (50.0, 400.0)  # soft tissue
    at.selectbox(key="mi_scan").set_value("shoulder_mr").run()
    assert not at.exception and "No Hounsfield units here" in _text(at)
    assert (at.slider(key="mi_level").value, at.slider(key="mi_width").value) == (1000.0, 2000.0)


def test_the_frame_slider_scrolls_a_multi_frame_scan(app_page):
    at = app_page("medical_images.py")
    assert "frame 6 of 10" in _text(at)  # the head MR opens on its middle frame
    at.slider(key="mi_frame_mr_head_frames").set_value(2).run()
    assert not at.exception and "frame 2 of 10" in _text(at)
    at.segmented_control(key="mi_series").set_value("CT, 2 frames").run()
    at.slider(key="mi_frame_ct_enhanced").set_value(1).run()
    assert not at.exception and "frame 1 of 2" in _text(at)


def test_the_seg_masks_show_their_area_and_the_mr_its_marker(app_page):
    from models.data import load_scan

    at = app_page("medical_images.py", mi_series="Liver SEG")
    seg = load_scan("liver_seg")
    at.slider(key="mi_frame_liver_seg").set_value(1).run()
    assert not at.exception
    area = seg.pixels[0].sum() * seg.spacing_mm[0] * seg.spacing_mm[1] / 100
    text = _text(at)
    assert f"{int(seg.pixels[0].sum()):,} pixels = {area:.0f} cm²" in text and "shown on their own" in text
    at.segmented_control(key="mi_series").set_value("MR + marker").run()
    assert not at.exception
    assert f"covers {int(load_scan('liver_mr').overlay.sum()):,} pixels" in _text(at)


def test_an_uploaded_dicom_gets_the_same_views_and_no_patient_tag_is_shown(app_page):
    at = app_page("medical_images.py")
    at.file_uploader(key="mi_upload").set_value(("head.dcm", small_dicom(identifying=True),
                                                 "application/dicom")).run()
    assert not at.exception and not at.error
    text = _text(at)
    for keyword, value in IDENTIFYING.items():
        assert value not in text or len(value) < 4, f"{keyword} shown"  # ("F" for PatientSex is in any text)
    header = at.table[-1].value.to_string().lower()  # the header table
    assert "modality" in header
    assert not any(w in header for w in ("patient", "sex", "birth", "institution", "physician", "accession"))
    assert "Explicit VR Little Endian" in text and "0.5, 0.25" in text
    assert (at.slider(key="mi_up_level").value, at.slider(key="mi_up_width").value) == (40.0, 80.0)
    assert "-3024 to" in text  # the upload's padding sets min-max's floor too


def test_an_uploaded_multi_frame_dicom_gets_a_frame_slider(app_page):
    at = app_page("medical_images.py")
    at.file_uploader(key="mi_upload").set_value(("frames.dcm", small_dicom(frames=3), "application/dicom")).run()
    assert not at.exception and not at.error
    at.slider(key="mi_up_frame").set_value(3).run()
    assert not at.exception


def test_an_uploaded_png_gets_the_views_without_units(app_page):
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 50), dtype=np.uint8)).save(buf, "PNG")
    at = app_page("medical_images.py")
    at.file_uploader(key="mi_upload").set_value(("x.png", buf.getvalue(), "image/png")).run()
    assert not at.exception and not at.error
    assert "no units, no spacing, no window" in _text(at)


@pytest.mark.parametrize("name, data", [("bad.dcm", b"not a dicom" * 30), ("bad.png", b"not a png")])
def test_a_bad_upload_is_an_error_message_and_the_page_keeps_running(app_page, name, data):
    at = app_page("medical_images.py")
    at.file_uploader(key="mi_upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception
    assert at.error and at.error[0].value.startswith(f"Could not read '{name}'")
    assert at.slider(key="mi_level").value == 40.0  # the rest of the page still works
