"""AppTest drives the saliency page: training, a test image, an upload, a bad upload."""
import io

import numpy as np
import pytest

PAGE = "saliency.py"


def test_untrained_page_explains_a_test_image_and_says_to_train(app_page):
    at = app_page(PAGE, timeout=180, sal_smooth="0")
    assert not at.exception
    assert any("untrained" in i.value for i in at.info)
    assert any("Prediction:" in m.value and "cnn_relu2" in m.value for m in at.markdown)
    assert at.query_params["sal_smooth"] == "0"


@pytest.mark.slow
def test_trained_page_reports_the_nodule_hit_rate_of_its_model(app_page):
    # (that a trained CNN's hit rate is high is proven in test_saliency.py; here: the page's number)
    from explainers.saliency import compute_nodule_hit_rate
    from models.data import make_lesions

    at = app_page(PAGE, timeout=180, sal_epochs="2", sal_smooth="0")
    at.button(key="sal_train").click().run()
    assert not at.exception
    entry = at.session_state["sal_cnn"]
    assert len(entry.history) == 2
    xv, yv, cv, rv = make_lesions(96, seed=1)
    hits = compute_nodule_hit_rate(entry.model, xv, yv, cv, rv)
    if hits.true_positives:
        assert at.metric[0].value == f"{hits.rate:.0%}"
    else:
        assert any("No true positives" in w.value for w in at.warning)


def test_upload_is_explained_and_a_bad_file_gives_a_clear_error(monkeypatch, app_page):
    """The uploader is fed through load_image_bytes exactly as the page does (AppTest cannot upload)."""
    from PIL import Image
    import streamlit as st

    from models.data import load_image_bytes

    buf = io.BytesIO()
    Image.fromarray((np.random.default_rng(0).random((100, 80)) * 255).astype(np.uint8)).save(buf, "PNG")
    assert load_image_bytes(buf.getvalue(), "x.png", size=(64, 64)).shape == (64, 64)

    class Upload:
        def __init__(self, data, name):
            self.data, self.name = data, name

        def getvalue(self):
            return self.data

    for data, name, ok in ((buf.getvalue(), "scan.png", True), (b"not an image", "scan.png", False)):
        monkeypatch.setattr(st, "file_uploader", lambda *a, _u=Upload(data, name), **k: _u)
        at = app_page(PAGE, timeout=180, sal_source="Upload", sal_smooth="0")
        assert not at.exception
        if ok:
            assert any("Prediction:" in m.value for m in at.markdown) and not at.error
        else:
            assert any("Could not use 'scan.png'" in e.value for e in at.error)


@pytest.mark.parametrize("kind, truth, said", [
    ("a nodule it finds", 1, "nodule"), ("a nodule it misses", 1, "no nodule"),
    ("a false alarm", 0, "nodule"), ("a clear scan it gets right", 0, "no nodule"),
])
def test_the_image_picker_shows_an_image_of_the_kind_asked_for(kind, truth, said, app_page):
    at = app_page(PAGE, timeout=180, sal_smooth="0", sal_kind=kind, sal_pick="3")
    assert not at.exception
    line = next(m.value for m in at.markdown if m.value.startswith("Prediction:"))
    if any("No test image is" in i.value for i in at.info):
        return  # this (untrained) model makes no such case: the page says so and shows all images
    assert line.startswith(f"Prediction: **{said}**") and f"truth: **{'nodule' if truth else 'no nodule'}**" in line


def test_the_liver_mrs_heatmap_share_in_the_radiologists_marker_is_the_pages_models(app_page):
    from scipy import ndimage

    from explainers.out_of_distribution import compute_lesion_marker
    from explainers.saliency import compute_gradcam, compute_saliency
    from models.data import load_scan, scan_input

    at = app_page(PAGE, timeout=180, sal_smooth="0")
    assert not at.exception and not at.error
    model = at.session_state["sal_cnn"].model
    scan = load_scan("liver_mr")
    image = scan_input(scan, 64)
    mask = compute_lesion_marker(scan.overlay, 64).mask
    line = next(m.value for m in at.markdown if "mass in the marker" in m.value)
    for name, result in (("Grad-CAM", compute_gradcam(model, image)), ("Saliency", compute_saliency(model, image))):
        share = ndimage.sum_labels(result.heatmap, mask.astype(int), 1) / result.heatmap.sum()
        assert f"{name} puts **{share:.1%}** of its mass in the marker, which covers {mask.mean():.1%}" in line
    assert f"(p = {compute_gradcam(model, image).score:.2f})" in line
    assert any("out of distribution" in c.value and "untrained" in c.value for c in at.caption)
