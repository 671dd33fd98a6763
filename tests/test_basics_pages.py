"""AppTest drives the Basics pages: change a control, run a short training, read the numbers."""
import pytest


def _metrics(at):
    return {m.label: m.value for m in at.metric}


@pytest.mark.slow
def test_neuron_page_shows_the_lecture_numbers_and_trains_with_a_threshold(app_page):
    at = app_page("neuron.py", timeout=240, neuron_epochs="2", neuron_tau="0.3")
    assert not at.exception
    values = [m.value for m in at.metric if m.label.startswith("σ(z)")]
    assert values == ["0.870", "0.037"]
    at.button(key="neuron_train").click().run()
    assert not at.exception
    assert any("Trained 2 epoch(s)" in s.value for s in at.success)
    tpr_low = float(_metrics(at)["TPR (sensitivity)"])
    at.slider(key="neuron_tau").set_value(0.9).run()
    assert not at.exception
    assert float(_metrics(at)["TPR (sensitivity)"]) <= tpr_low  # a higher τ never finds more positives
    at.number_input(key="neuron_b").set_value(-70.0).run()
    assert [m.value for m in at.metric if m.label == "z"][0] == "3.10"


@pytest.mark.slow
def test_playground_trains_live_reports_bad_settings_and_counts_parameters(app_page):
    at = app_page("mlp_playground.py", timeout=240, mlp_epochs="2", mlp_data="xor")
    assert not at.exception
    at.button(key="mlp_train").click().run()
    assert not at.exception
    assert _metrics(at)["epochs"] == "2"
    entry = at.session_state["mlp_model"]
    assert entry.model.count_params() == 2 * 4 + 4 + 4 * 2 + 2 + 2 * 1 + 1
    assert any("Trained 2 epoch(s)" in s.value for s in at.success)
    at.text_input(key="mlp_hidden").set_value("4,x").run()
    assert not at.exception and any("not valid" in e.value for e in at.error)
    at.text_input(key="mlp_hidden").set_value("10").run()
    assert at.session_state["mlp_model"].model.count_params() == 41


@pytest.mark.slow
def test_playground_starts_from_the_same_net_for_the_same_settings_and_resets_to_it(app_page):
    first = app_page("mlp_playground.py", timeout=240, mlp_data="xor", mlp_hidden="3")
    second = app_page("mlp_playground.py", timeout=240, mlp_data="xor", mlp_hidden="3")
    weights = first.session_state["mlp_model"].model.get_weights()
    for a, b in zip(weights, second.session_state["mlp_model"].model.get_weights()):
        assert (a == b).all()
    first.button(key="mlp_train").click().run()
    first.button(key="mlp_reset").click().run()
    assert not first.exception and len(first.session_state["mlp_model"].history) == 0
    for a, b in zip(weights, first.session_state["mlp_model"].model.get_weights()):
        assert (a == b).all()


@pytest.mark.slow
def test_playground_reports_a_diverging_run(app_page):
    at = app_page("mlp_playground.py", timeout=240, mlp_epochs="3", mlp_lr="10.0", mlp_opt="sgd",
                  mlp_hidden="8,8", mlp_act="tanh", mlp_batch="16", mlp_data="spiral")
    at.button(key="mlp_train").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "diverged and was stopped" in errors and "exploded" in errors
    assert len(at.session_state["mlp_model"].history) < 3  # stopped early, not drawn as if it trained


@pytest.mark.slow
def test_backprop_page_matches_the_tape_for_the_linked_settings(app_page):
    at = app_page("backprop.py", bp_act="tanh", bp_seed="3", bp_x0="1.5")
    assert not at.exception
    assert at.selectbox(key="bp_act").value == "tanh" and at.number_input(key="bp_x0").value == 1.5
    table = at.dataframe[0].value
    assert len(table) == 12 and table["difference"].max() < 1e-6
    assert any("Largest difference" in c.value for c in at.caption)


@pytest.mark.slow
def test_universal_approximation_page_fits_each_width_and_tabulates_its_error(app_page):
    at = app_page("universal_approximation.py", ua_n="1,4", ua_epochs="50")
    assert not at.exception
    at.button(key="ua_fit").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["hidden"].tolist() == ["1", "4"] and table["parameters"].tolist() == [4, 13]


@pytest.mark.slow
def test_an_old_playground_link_offers_the_backprop_settings_on_their_page(app_page):
    at = app_page("mlp_playground.py", mlp_data="xor", bp_act="relu")
    assert not at.exception
    links = at.get("page_link")
    assert len(links) == 1 and "Backpropagation by hand" in links[0].proto.label


@pytest.mark.slow
def test_gradient_descent_page_steps_and_reports_divergence(app_page):
    at = app_page("gradient_descent.py", timeout=240, gd_steps2="10", gd_opts="sgd,adam")
    assert not at.exception
    at.select_slider(key="gd_alpha").set_value(0.03).run()
    at.slider(key="gd_steps").set_value(30).run()
    assert not at.exception
    assert any("too large" in e.value for e in at.error)
    at.selectbox(key="gd_surface").set_value("rosenbrock").run()
    assert not at.exception
