"""AppTest drives the app shell: home page, navigation, URL settings, live training."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")


def test_home_page_shows_the_title_the_built_in_data_and_the_device(app_page):
    at = app_page("home.py", timeout=60)
    assert not at.exception
    assert at.title[0].value == "medlens"
    text = " ".join(m.value for m in at.markdown)
    assert "CT_small.dcm" in text and "MedMNIST" in text
    assert any("Device" in i.value for i in at.info)


def test_home_page_imports_neither_tensorflow_nor_matplotlib_in_a_fresh_process():
    # Both would add seconds to the cold start a class waits through (matplotlib ~0.8 s).
    import subprocess

    code = (
        "import sys; from streamlit.testing.v1 import AppTest;"
        f"at = AppTest.from_file({APP!r}, default_timeout=60).run();"
        "assert not at.exception, at.exception;"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules, 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False False False"


@pytest.mark.slow
def test_train_page_trains_live_and_reads_settings_from_the_url(app_page):
    at = app_page("train_any.py", train_model="mlp", train_epochs="2")
    assert not at.exception
    assert at.selectbox(key="train_model").value == "mlp"
    assert at.query_params["train_batch"] == "32"  # settings are written back: a shareable link
    at.button[0].click().run()  # Train
    assert not at.exception
    assert any("Trained 2 epoch(s)" in s.value for s in at.success)
    entry = at.session_state["train_any_model"]
    assert len(entry.history) == 2
    # A bad URL value is ignored, not a crash.
    at2 = app_page("train_any.py", train_model="no-such-model")
    assert not at2.exception and at2.selectbox(key="train_model").value == "cnn"


@pytest.mark.slow
def test_train_page_starts_every_session_from_the_same_seeded_net(app_page):
    first = app_page("train_any.py", train_model="mlp", train_epochs="0")
    second = app_page("train_any.py", train_model="mlp", train_epochs="0")
    w1 = first.session_state["train_any_model"].model.get_weights()
    w2 = second.session_state["train_any_model"].model.get_weights()
    assert all(a.tobytes() == b.tobytes() for a, b in zip(w1, w2))


def test_history_figure_draws_a_history_and_its_keras_style_dict_alike():
    from app_pages.ui import history_figure
    from models.training import TrainingHistory

    history = TrainingHistory(epochs=[{"accuracy": 0.6, "val_accuracy": 0.5}, {"accuracy": 0.8, "val_accuracy": 0.7}])
    for given in (history, history.history):
        ax = history_figure(given, ("accuracy", "val_accuracy"), 6, 2.4, "Accuracy").axes[0]
        assert ax.get_title() == "Accuracy"
        assert {l.get_label(): list(l.get_ydata()) for l in ax.get_lines()} == \
            {"accuracy": [0.6, 0.8], "val_accuracy": [0.5, 0.7]}


def test_pages_that_draw_no_history_load_no_tensorflow_through_ui():
    import subprocess

    code = "import sys, app_pages.ui; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"
