"""AppTest drives the attention page: the lecture's table, edits, live training."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _page(params=None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
    for k, v in (params or {}).items():
        at.query_params[k] = v
    return at.switch_page("app_pages/attention.py").run()


def _weights(at):
    df = at.dataframe[0].value
    df = getattr(df, "data", df)  # a Styler keeps its frame in .data
    return dict(zip(df["word"], df["αᵢ"].round(2)))


def test_page_shows_the_lecture_table_and_reacts_to_the_query():
    at = _page()
    assert not at.exception
    w = _weights(at)
    assert w["headache"] == 0.75 and w["a"] == 0.01 and w["patient"] == 0.05
    assert any("constructed" in c.value for c in at.caption)
    at.text_input(key="attn_query").set_value("medication").run()
    assert not at.exception
    w = _weights(at)
    assert max(w, key=w.get) == "ibuprofen"
    assert at.query_params["attn_query"] == "medication"


def test_page_reads_temperature_from_the_url_and_refuses_an_empty_note():
    at = _page({"attn_temp": "3.0", "attn_sqrtd": "true"})
    assert not at.exception
    assert at.slider(key="attn_temp").value == 3.0
    assert _weights(at)["headache"] < 0.75  # flatter
    at.text_input(key="attn_sentence").set_value("  ").run()
    assert not at.exception
    assert any("no words" in e.value for e in at.error)


@pytest.mark.slow
def test_training_on_notes_sharpens_attention_on_the_page():
    at = _page({"attn_epochs": "4"})
    at.button(key="attn_train").click().run()
    assert not at.exception
    entry = at.session_state["attn_notes_model"]
    assert len(entry.history) == 4
    recorder = entry.extra["recorder"]
    assert recorder.epochs == [0, 1, 2, 3, 4]
    text = " ".join(m.value for m in at.markdown)
    assert "largest weight sits on the symptom word" in text
    import re

    rate = int(re.search(r"symptom word for \*\*(\d+)%", text).group(1))
    assert rate >= 80


def test_patch_part_renders_and_trains_one_epoch():
    at = _page({"attn_part": "Image patches", "patch_epochs": "1"})
    assert not at.exception
    at.button(key="patch_train").click().run()
    assert not at.exception
    entry = at.session_state["attn_patch_model"]
    assert len(entry.history) == 1 and entry.extra["recorder"].epochs == [0, 1]
    assert any("Validation accuracy after 1 epoch" in m.value for m in at.markdown)
