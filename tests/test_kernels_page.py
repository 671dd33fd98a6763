"""AppTest drives the kernels page: worked examples, presets, uploads, parameter counts."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_kernels_page_shows_the_lecture_numbers_and_parameter_counts(app_page):
    at = app_page("kernels.py", kern_example="6×6 input ⋆ vertical edge (lecture 003)", kern_row="0", kern_col="3")
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "= **12**" in text  # z[0, 3] of the lecture's 6×6 example
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Dense 256·256·3 → 1000 → 1"] == "196,610,001"
    assert metrics["Conv 3×3, C=3, K=64: (F·F·C + 1)·K"] == "1,792"
    assert at.query_params["kern_preset"] == "sobel left-to-right"  # settings written back to the URL


@pytest.mark.parametrize("custom, ok", [("1 2 1; 0 0 0; -1 -2 -1", True), ("1 2; 3", False), ("a b c; 1 2 3; 4 5 6", False)])
def test_custom_kernel_is_parsed_or_explained(custom, ok, app_page):
    at = app_page("kernels.py", kern_preset="custom")
    at.text_input(key="kern_custom").set_value(custom).run()
    assert not at.exception
    assert bool(at.error) is not ok
    if not ok:
        assert "custom kernel" in at.error[0].value


def test_absurd_stride_and_dilation_give_an_error_not_a_crash(app_page):
    at = app_page("kernels.py", kern_image="cell", kern_padding="valid", kern_dilation="8", kern_f="5", kern_n="3")
    assert not at.exception
    assert any("does not fit" in e.value for e in at.error)


def test_an_unreadable_upload_is_reported_with_st_error():
    # AppTest cannot upload files; call the page's loader path the way the page does.
    from models.data import load_image_bytes

    with pytest.raises(ValueError) as err:
        load_image_bytes(b"not an image", "scan.png")
    src = (ROOT / "app_pages" / "kernels.py").read_text()
    assert "except ValueError as err:\n            st.error(f\"Could not read" in src
    assert str(err.value)


@pytest.mark.parametrize("query, words", [
    ({}, ["head CT in the **bone window** (400/1800 HU", "outlines the skull", "0.96 mm per pixel"]),
    ({"kern_window": "brain"}, ["**brain window** (40/80 HU: 0 to 80 HU", "grey and white matter"]),
    ({"kern_image": "leg_xray"}, ["file's window (550/1024", "MONOCHROME1", "tibia"]),
    ({"kern_image": "chest_xray"}, ["file's window (15000/30000", "ribs"]),
    ({"kern_image": "shoulder_mr"}, ["file's window (1000/2000)", "no fixed units"]),
])
def test_real_scans_are_windowed_first_and_the_caption_says_which_window(query, words, no_network, app_page):
    at = app_page("kernels.py", **query)
    assert not at.exception and not at.error
    assert at.selectbox(key="kern_image").value == query.get("kern_image", "ct_head")  # a real scan by default
    captions = " ".join(c.value for c in at.caption)
    for w in words:
        assert w in captions, (w, captions)


def test_the_window_comparison_measures_where_an_edge_detector_responds(app_page):
    from explainers.kernels import PRESETS, compute_windowed_convolutions

    at = app_page("kernels.py")
    text = " ".join(m.value for m in at.markdown)
    expected = compute_windowed_convolutions("ct_head", PRESETS["sobel left-to-right"], size=256)
    brain, _, bone = (f"**{100 * v:.0f} %**" for v in expected.bone_share)
    assert f"{brain} in the brain window, {bone} in the bone window" in text
    assert expected.bone_share[2] > 0.6 > expected.bone_share[0]


def test_teaching_images_stay_available_without_a_window(app_page):
    at = app_page("kernels.py", kern_image="phantom")
    assert not at.exception and not at.error
    assert not any("Windowed first" in c.value for c in at.caption)
    assert "phantom" in at.selectbox(key="kern_image").options
