"""AppTest drives the app shell: home page, navigation, URL settings, live training."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")


def _app(timeout=60):
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(APP, default_timeout=timeout)


def test_home_page_renders_without_importing_tensorflow():
    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "medlens"
    text = " ".join(m.value for m in at.markdown)
    assert "CT_small.dcm" in text and "MedMNIST" in text
    assert any("Device" in i.value for i in at.info)


def test_home_page_does_not_import_tensorflow_in_a_fresh_process():
    import subprocess

    code = (
        "import sys; from streamlit.testing.v1 import AppTest;"
        f"at = AppTest.from_file({APP!r}, default_timeout=60).run();"
        "assert not at.exception, at.exception;"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False False"


@pytest.mark.slow
def test_train_page_trains_live_and_reads_settings_from_the_url():
    at = _app(timeout=120).run()  # switch_page works only after a first run
    at.query_params["train_model"] = "mlp"
    at.query_params["train_epochs"] = "2"
    at.switch_page("app_pages/train_any.py").run()
    assert not at.exception
    assert at.selectbox(key="train_model").value == "mlp"
    assert at.query_params["train_batch"] == "32"  # settings are written back: a shareable link
    at.button[0].click().run()  # Train
    assert not at.exception
    assert any("Trained 2 epoch(s)" in s.value for s in at.success)
    entry = at.session_state["train_any_model"]
    assert len(entry.history) == 2
    # A bad URL value is ignored, not a crash.
    at2 = _app().run()
    at2.query_params["train_model"] = "no-such-model"
    at2.switch_page("app_pages/train_any.py").run()
    assert not at2.exception and at2.selectbox(key="train_model").value == "cnn"
