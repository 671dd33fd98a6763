"""AppTest drives the loss-landscape and residual pages: settings from the URL, Train, numbers on the page."""
import numpy as np
import pytest


@pytest.mark.slow
def test_loss_landscape_page_trains_and_draws_trajectory_and_surface(app_page):
    at = app_page("loss_landscape.py", timeout=180, land_model="logistic", land_epochs="3", land_steps_logistic="11",
                  land_lr_logistic="0.05")
    assert not at.exception
    assert at.selectbox(key="land_model").value == "logistic"
    assert at.query_params["land_span"] == "1.0"
    at.button[0].click().run()
    assert not at.exception, at.exception
    entry = at.session_state["land_model_entry"]
    assert len(entry.history) == 3
    land, line = entry.extra["rand"]
    assert land.losses.shape == (11, 11) and line.losses.shape == (45,)
    text = " ".join(m.value for m in at.markdown)
    assert f"{land.center_loss:.4f}" in text and "PCA plane" in text
    # the logistic-regression bowl: the centre region is lower than the rim
    assert land.losses[5, 5] < land.losses[[0, -1]].min()
    path = entry.extra["path"]  # initial -> trained weights: ends at the trained model's loss
    assert abs(path.losses[np.argmin(np.abs(path.alphas - 1))] - land.center_loss) < 1e-5
    # a bad URL value is ignored, not a crash
    at2 = app_page("loss_landscape.py", timeout=180, land_steps_mlp="7")
    assert not at2.exception and at2.select_slider(key="land_steps_mlp").value == 31


def test_image_models_default_to_a_coarser_grid_and_keep_their_own_resolution(app_page):
    """The CNN's grids are forward passes over images: 21×21 by default, the dense models 31×31."""
    at = app_page("loss_landscape.py", land_model="cnn")
    assert not at.exception, at.exception
    assert at.select_slider(key="land_steps_cnn").value == 21
    assert at.query_params["land_steps_cnn"] == "21"
    at.select_slider(key="land_steps_cnn").set_value(11).run()
    at.selectbox(key="land_model").set_value("mlp").run()
    assert not at.exception and at.select_slider(key="land_steps_mlp").value == 31
    at.selectbox(key="land_model").set_value("cnn").run()  # back to the CNN: its own setting again
    assert not at.exception and at.select_slider(key="land_steps_cnn").value == 11


@pytest.mark.slow
def test_residual_page_trains_both_nets_and_reports_gradients(app_page):
    at = app_page("residual.py", timeout=180, res_blocks="2", res_epochs="2", res_steps="11")
    assert not at.exception
    at.button[0].click().run()
    assert not at.exception, at.exception
    plain, res = at.session_state["res_plain"], at.session_state["res_residual"]
    assert len(plain.history) == 2 and len(res.history) == 2
    results = at.session_state["res_results"]
    g = results["residual"][0]
    assert np.nanmax(g.identity_error) < 1e-5
    text = " ".join(m.value for m in at.markdown)
    assert f"{results['plain'][0].grad_in[0]:.2e}" in text and "training error" in text


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cnn", "resnet"])
def test_each_landscape_model_learns_at_the_page_default_learning_rate(name):
    """At 0.05 the CNN stayed at loss ln 2 = 0.693 for 10 epochs and the page called it trained."""
    import models
    from models.page_models import LANDSCAPE_LEARNING_RATES, landscape_model
    from models.zoo import demo_data

    (x, y), _, _ = demo_data(name, n=256 if name == "resnet" else None, seed=0)  # the page's data
    h = models.train(landscape_model(name), x, y, epochs=10, batch_size=32,
                     learning_rate=LANDSCAPE_LEARNING_RATES[name])
    assert h.status == "finished" and not h.at_chance, h.message
    assert h.metric("loss")[-1] < 0.6 and h.metric("accuracy")[-1] > 0.75, h.history
