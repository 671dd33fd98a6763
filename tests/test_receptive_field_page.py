"""AppTest drives the receptive-field page: our CNN (trainable) and keras.applications without weights."""
import pytest


def test_vgg16_field_on_the_page_matches_the_published_value(no_network, app_page):
    at = app_page("receptive_fields.py", timeout=180, rf_model="VGG16", rf_layer="block5_pool", rf_size="64",
                  rf_samples="4")
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Receptive field R"] == "212 × 212"
    assert metrics["Effective stride (jump)"] == "32" and metrics["Effective padding"] == "90"


def test_our_cnn_default_layer_and_a_bad_url_layer_falls_back(app_page):
    at = app_page("receptive_fields.py", timeout=180, rf_layer="no-such-layer", rf_samples="4")
    assert not at.exception
    assert at.selectbox(key="rf_layer").value == "cnn_pool2"
    assert {m.label: m.value for m in at.metric}["Receptive field R"] == "10 × 10"


@pytest.mark.slow
def test_training_our_cnn_redraws_the_effective_field(app_page):
    at = app_page("receptive_fields.py", timeout=180, rf_epochs="1", rf_samples="4", rf_layer="cnn_conv2")
    [b for b in at.button if b.label == "Train"][0].click().run()
    assert not at.exception
    history = at.session_state["rf_cnn_model"].history
    assert len(history) == 1
    # one epoch may leave it at chance: then the page warns instead of claiming success
    shown = at.warning if history.at_chance else at.success
    assert any(history.message in s.value for s in shown), history.message


@pytest.mark.parametrize("query, sentence", [
    # 10 px × 0.478516 mm × (512 / 64) = 38.3 mm (our CNN's cnn_pool2 on the head CT)
    ({}, "sees a field 10 input pixels wide = 38 mm of this head CT"),
    # 212 px × 0.195313 mm × (1024 / 224) = 189 mm (VGG16's block5_pool on the shoulder MR at 224)
    ({"rf_model": "VGG16", "rf_layer": "block5_pool", "rf_size": "224", "rf_image": "shoulder_mr"},
     "sees a field 212 input pixels wide = 189 mm of this shoulder MR"),
])
def test_field_is_drawn_in_millimetres_on_a_real_scan(query, sentence, no_network, app_page):
    at = app_page("receptive_fields.py", timeout=180, rf_samples="4", **query)
    assert not at.exception and not at.error
    assert at.selectbox(key="rf_image").value == query.get("rf_image", "ct_head")  # a real scan by default
    assert any(sentence in m.value for m in at.markdown), [m.value for m in at.markdown]
    assert any("Spacing" in c.value and "one input pixel is" in c.value for c in at.caption)


def test_a_scan_without_pixel_spacing_says_so_and_shows_pixels(app_page):
    at = app_page("receptive_fields.py", timeout=180, rf_samples="4", rf_image="chest_xray")
    assert not at.exception and not at.error
    assert any("PixelSpacing is 0" in i.value for i in at.info)
    assert any("305 × 288 pixels of this chest radiograph" in m.value for m in at.markdown)  # 10 × 1955/64, 1841/64


def test_a_field_wider_than_the_scan_is_called_out(app_page):
    # VGG16's block5_pool: 212 input pixels × 0.478516 mm × 512/64 = 812 mm on a 245 mm head CT fed at 64².
    at = app_page("receptive_fields.py", timeout=180, rf_model="VGG16", rf_layer="block5_pool", rf_size="64",
                  rf_samples="4")
    assert not at.exception and not at.error
    assert any("= 812 mm of this head CT" in m.value for m in at.markdown)
    assert any("wider than the whole scan (245 mm across)" in i.value for i in at.info)
