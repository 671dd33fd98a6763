"""AppTest drives the Pooling and CAM page: the numbers it prints against NumPy, training, URL settings."""
import re

import numpy as np
import pytest

PAGE = "pooling.py"


def _text(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_untrained_page_shows_pooling_numbers_numpy_agrees_with_and_cam_equal_to_gradcam(app_page):
    from models.data import WINDOWS, scan_input

    at = app_page(PAGE, timeout=180)
    assert not at.exception
    text = _text(at)
    image = scan_input("ct_head", 128, window=WINDOWS["bone"]).astype(np.float64)
    blocks = image.reshape(64, 2, 64, 2)
    assert "128×128 → **64×64**" in text
    assert (f"Brightest pixel: input {image.max():.2f}, max pool **{blocks.max(axis=(1, 3)).max():.2f}**, "
            f"average pool **{blocks.mean(axis=(1, 3)).max():.2f}**") in text
    assert any("untrained" in i.value for i in at.info)
    difference = float(re.search(r"max \|difference\| = \*\*([0-9.e+-]+)\*\*", text).group(1))
    assert difference < 1e-5
    assert "compute_cam needs global average pooling" in "\n".join(c.value for c in at.code)


def test_url_settings_choose_the_scan_and_the_window_and_a_bad_one_is_ignored(app_page):
    at = app_page(PAGE, timeout=180, pool_scan="chest_xray", pool_size="4", pool_stride="4", pool_kernel="outline")
    assert not at.exception
    text = _text(at)
    assert "128×128 → **32×32**" in text and "⌊(128 − 4) / 4⌋ + 1 = 32" in text
    assert at.selectbox(key="pool_window").disabled          # no CT window for a radiograph
    bad = app_page(PAGE, timeout=180, pool_size="9")
    assert not bad.exception
    assert bad.slider(key="pool_size").value == 2


@pytest.mark.slow
def test_training_the_gap_cnn_keeps_cam_equal_to_gradcam_and_its_mean_is_the_models_logit(app_page):
    at = app_page(PAGE, timeout=300)
    at.button(key="pool_train").click().run()
    assert not at.exception
    entry = at.session_state["pool_cnn"]
    assert len(entry.history) == 12 and entry.history.status == "finished"
    text = _text(at)
    # The page's "mean of M + b" against the trained model's own probability for the image it shows.
    from models.recipes import pooling_data

    data = pooling_data(seed=0)
    index = int(np.flatnonzero(data.y_val == 1)[0])
    p = float(entry.model.predict(data.x_val[index:index + 1], verbose=0)[0, 0])
    assert f"log(p / (1 − p)) = **{np.log(p / (1 - p)):+.4f}**" in text
    logit = float(re.search(r"= \*\*([+-][0-9.]+)\*\*; the model's own score", text).group(1))
    assert logit == pytest.approx(np.log(p / (1 - p)), abs=2e-4)
    difference = float(re.search(r"max \|difference\| = \*\*([0-9.e+-]+)\*\*", text).group(1))
    assert difference < 1e-5


def test_saliency_page_says_chexnet_used_cam_and_links_to_the_pooling_page(app_page):
    at = app_page("saliency.py", timeout=180, sal_smooth="0")
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "drew its heatmaps with **CAM** (Zhou et al., 2016), not Grad-CAM" in text
    assert "global **max** pooling and a hidden dense layer" in text
    assert [e.proto.page for e in at.get("page_link")] == ["pooling"]   # the Pooling and CAM page's url
