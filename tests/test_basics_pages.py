"""AppTest drives the Basics pages: change a control, run a short training, read the numbers."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _page(file, **params):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=240).run()
    for k, v in params.items():
        at.query_params[k] = v
    return at.switch_page(f"app_pages/{file}").run()


def _metrics(at):
    return {m.label: m.value for m in at.metric}


@pytest.mark.slow
def test_neuron_page_shows_the_lecture_numbers_and_trains_with_a_threshold():
    at = _page("neuron.py", neuron_epochs="2", neuron_tau="0.3")
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
def test_playground_trains_live_reports_bad_settings_and_counts_parameters():
    at = _page("mlp_playground.py", mlp_epochs="2", mlp_data="xor")
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
def test_playground_reports_a_diverging_run():
    at = _page("mlp_playground.py", mlp_epochs="3", mlp_lr="10.0", mlp_opt="sgd", mlp_hidden="8,8",
               mlp_act="tanh", mlp_batch="16", mlp_data="spiral")
    at.button(key="mlp_train").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "diverged and was stopped" in errors and "exploded" in errors
    assert len(at.session_state["mlp_model"].history) < 3  # stopped early, not drawn as if it trained


@pytest.mark.slow
def test_gradient_descent_page_steps_and_reports_divergence():
    at = _page("gradient_descent.py", gd_steps2="10", gd_opts="sgd,adam")
    assert not at.exception
    at.select_slider(key="gd_alpha").set_value(0.03).run()
    at.slider(key="gd_steps").set_value(30).run()
    assert not at.exception
    assert any("too large" in e.value for e in at.error)
    at.selectbox(key="gd_surface").set_value("rosenbrock").run()
    assert not at.exception
