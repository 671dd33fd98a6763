"""AppTest drives the attention page: the lecture's table, edits, live training."""
import pytest

PAGE = "attention.py"


def _weights(at):
    df = at.dataframe[0].value
    df = getattr(df, "data", df)  # a Styler keeps its frame in .data
    return dict(zip(df["word"], df["αᵢ"].round(2)))


def test_page_shows_the_lecture_table_and_reacts_to_the_query(app_page):
    at = app_page(PAGE)
    assert not at.exception
    w = _weights(at)
    assert w["headache"] == 0.75 and w["a"] == 0.01 and w["patient"] == 0.05
    assert any("constructed" in c.value for c in at.caption)
    at.text_input(key="attn_query").set_value("medication").run()
    assert not at.exception
    w = _weights(at)
    assert max(w, key=w.get) == "ibuprofen"
    assert at.query_params["attn_query"] == "medication"


def test_page_reads_temperature_from_the_url_and_refuses_an_empty_note(app_page):
    at = app_page(PAGE, attn_temp="3.0", attn_sqrtd="true")
    assert not at.exception
    assert at.slider(key="attn_temp").value == 3.0
    assert _weights(at)["headache"] < 0.75  # flatter
    at.text_input(key="attn_sentence").set_value("  ").run()
    assert not at.exception
    assert any("no words" in e.value for e in at.error)


def test_lecture_question_7_is_asked_first_and_answered_with_the_tables_weights(app_page):
    at = app_page(PAGE)
    radio = at.radio(key="q_attn_q7")
    assert radio.value is None and not at.success and not at.warning  # nothing given away before the pick
    assert any("Lecture 003, question 7: Do attention mechanisms allow a model to give different importance to "
               "various parts of the input?" in m.value for m in at.markdown)  # the lecture's words
    radio.set_value("No: every word counts the same").run()
    assert not at.exception
    w = _weights(at)  # the answer quotes the live table: the lecture's 0.75 on headache, 0.01 on "a"
    assert w["headache"] == 0.75 and w["a"] == 0.01
    assert '"Yes"' in at.warning[0].value and "“headache” gets α = 0.75" in at.warning[0].value
    assert "“a” only 0.01" in at.warning[0].value


@pytest.mark.slow
def test_training_on_notes_is_recorded_every_epoch_and_reported_on_the_page(app_page):
    # (that training sharpens the weights is proven in test_attention.py; here: the page's wiring)
    import re

    from explainers.attention import compute_key_word_hit_rate

    at = app_page(PAGE, attn_epochs="1", attn_note="3")
    at.button(key="attn_train").click().run()
    assert not at.exception
    entry = at.session_state["attn_notes_model"]
    recorder = entry.extra["recorder"]
    assert len(entry.history) == 1 and recorder.epochs == [0, 1]
    text = " ".join(m.value for m in at.markdown)
    rate = int(re.search(r"symptom word for \*\*(\d+)%", text).group(1))
    from models.data import make_clinical_notes

    expected = compute_key_word_hit_rate(recorder.weights[-1], make_clinical_notes(100, seed=1).key_positions).rate
    assert rate == round(100 * expected)
    at.button(key="attn_train").click().run()  # a second click continues the epoch count
    assert not at.exception and recorder.epochs == [0, 1, 2]


@pytest.mark.slow
def test_patch_part_renders_and_trains_one_epoch(app_page):
    at = app_page(PAGE, attn_part="Image patches", patch_epochs="1")
    assert not at.exception
    at.button(key="patch_train").click().run()
    assert not at.exception
    entry = at.session_state["attn_patch_model"]
    assert len(entry.history) == 1 and entry.extra["recorder"].epochs == [0, 1]
    assert any("Validation accuracy after 1 epoch" in m.value for m in at.markdown)
    assert any("Most-attended patch (blue square) touches the nodule" in m.value for m in at.markdown)
