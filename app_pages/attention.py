"""Attention over words and over image patches (lecture 003)."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import streamlit as st

from app_pages.ui import (
    LiveTraining, cached_figure, figure, predict_then_see, report, session_model, stop_button, train_buttons,
    url_setting, write_url,
)
from explainers.attention import LECTURE_QUERY, LECTURE_SENTENCE, compute_worked_attention
from explainers.attention_plots import (
    plot_attention_sharpening, plot_patch_attention, plot_token_attention, plot_worked_vectors,
)


def draw_worked_strip(r):
    return plot_token_attention(r, figure(7, 1.9).subplots()).figure


def draw_worked_vectors(r):
    return plot_worked_vectors(r, figure(4.5, 3.8).subplots()).figure


def draw_note_strip(history, note, words, key):
    return plot_token_attention(history, figure(7, 1.7).subplots(), example=note, words=list(words),
                                highlight=key).figure


def draw_sharpening(history, note, words, key):
    rows = min(len(history.epochs), 8)
    return plot_attention_sharpening(history, figure(7, 1.0 + 0.3 * rows).subplots(), example=note,
                                     words=list(words), key_position=key, last=8).figure


def draw_patches(history, centres, radii):
    fig = figure(10, 2.9)
    shown = range(min(4, history.weights.shape[1]))
    top = max(float(history.weights[-1, i].max()) for i in shown)  # one colour scale for the four panels
    epoch = history.epochs[-1]
    for ax, i in zip(fig.subplots(1, 4), shown):
        plot_patch_attention(history, ax, example=i, centre=centres[i], radius=radii[i],
                             title=f"epoch {epoch} · max α {history.weights[-1, i].max():.2f}", vmax=top)
    fig.suptitle(f"One colour scale for all four: brightest = α {top:.2f}", fontsize=10)
    return fig


st.title("Attention: which words (and patches) does the model read?")
st.markdown(
    "A question (the **query**, e.g. *symptom*) is compared with every word (the **keys**) by a dot "
    "product; a softmax turns the scores into weights αᵢ that sum to 1, and the answer is read from the "
    "weighted average of the words, the **context vector** c = Σ αᵢ vᵢ."
)
PARTS = ["Words", "Image patches"]
part = st.segmented_control("Part", PARTS, key=url_setting("attn_part", "Words", options=PARTS))


# ------------------------------------------------------------ worked example
@st.cache_data(show_spinner=False, max_entries=64)
def worked(sentence: str, query: str, temperature: float, sqrt_d: bool):
    return compute_worked_attention(sentence, query, temperature=temperature, scale_by_sqrt_d=sqrt_d)


def _vec(v) -> str:
    return "(" + ", ".join(f"{a:.2f}" for a in v) + ")"


def words_part():
    st.header("The lecture's example")
    c1, c2 = st.columns([3, 1])
    sentence = c1.text_input("Clinical note", key=url_setting("attn_sentence", LECTURE_SENTENCE), max_chars=300)
    query = c2.text_input("Query", key=url_setting("attn_query", LECTURE_QUERY), max_chars=40,
                          help="symptom, medication, condition, or any word")
    c3, c4 = st.columns(2)
    temperature = c3.slider("Temperature (scores are divided by it)", 0.1, 5.0, step=0.1,
                            key=url_setting("attn_temp", 1.0, bounds=(0.1, 5.0)))
    sqrt_d = c4.toggle("Also divide by √d (d = 3), as transformers do", key=url_setting("attn_sqrtd", False))
    write_url()
    try:
        r = worked(sentence, query, float(temperature), bool(sqrt_d))
    except ValueError as err:
        st.error(f"{err}")
        return
    top, low = int(r.weights.argmax()), int(r.weights.argmin())
    predict_then_see(
        "attn_q7", "Do attention mechanisms allow a model to give different importance to various parts of the input?",
        ["Yes", "No: every word counts the same", "Only in image models"], 0,
        f"The softmax gives every word its own weight: in the table below “{r.words[top]}” gets "
        f"α = {r.weights[top]:.2f} and “{r.words[low]}” only {r.weights[low]:.2f}, so the context vector "
        f"c = Σ αᵢ vᵢ is mostly “{r.words[top]}”. Change the query and the weight moves to another word.",
        lecture="Lecture 003, question 7")
    left, right = st.columns([3, 2])
    cached_figure(draw_worked_strip, r, slot=left)
    import pandas as pd

    table = pd.DataFrame({
        "word": r.words, "key kᵢ": [_vec(k) for k in r.keys],
        "q·kᵢ": r.dots, "|q||kᵢ|cos θᵢ": r.query_norm * r.key_norms * r.cosines, "cos θᵢ": r.cosines,
        "score": r.scores, "αᵢ": r.weights,
    })
    left.dataframe(table.style.format(precision=2).background_gradient(subset=["αᵢ"], cmap="Reds"),
                   hide_index=True, width="stretch")
    cached_figure(draw_worked_vectors, r, slot=right)
    top = r.words[int(r.weights.argmax())]
    right.markdown(
        f"Query **{r.query}** q = {_vec(r.query_vector)}; "
        f"scores divided by **{r.scale:.2f}**.  \n"
        f"Context vector c = Σ αᵢ vᵢ = **{_vec(r.context)}** "
        f"(dimensions: {', '.join(r.dimensions)}), mostly **{top}** (α = {r.weights.max():.2f})."
    )
    if not r.known.all():
        unknown = ", ".join(w for w, k in zip(r.words, r.known) if not k)
        st.info(f"Not in the small word list, so given a vector from their spelling: {unknown}.")
    st.caption(
        "The lecture shows its word vectors only partly (first and last entries), and those do not give its "
        "table. So these 3-D vectors (symptom-ness, medication-ness, condition-ness) are **constructed**: the "
        "first entry is log αᵢ + 4.61 (2 dp), so with the query (1, 0, 0) the softmax gives back the lecture's "
        "table exactly to 2 dp: 0.75 on *headache*. Try the queries *medication* and *condition*, or a higher "
        "temperature."
    )
    notes_training()


# ------------------------------------------------------- trained on notes
@st.cache_data(show_spinner=False)
def notes_data():
    from models.data import make_clinical_notes

    return make_clinical_notes(600, seed=0), make_clinical_notes(100, seed=1)


def notes_training():
    st.header("Learning where to look")
    st.markdown(
        "An attention classifier (embedding → one learned query → `MultiHeadAttention` → softmax over 3 "
        "classes) reads synthetic notes in which only the symptom word decides the class "
        "(neurological, respiratory, cardiac). Watch its weights on one held-out note move onto the symptom "
        "as it trains."
    )
    train_notes, test_notes = notes_data()
    c1, c2, c3 = st.columns(3)
    epochs = c1.number_input("Epochs", 1, 30, key=url_setting("attn_epochs", 4, bounds=(1, 30)))
    lr = c2.select_slider("Learning rate", [1e-3, 3e-3, 1e-2, 3e-2], key=url_setting(
        "attn_lr", 1e-2, options=[1e-3, 3e-3, 1e-2, 3e-2]))
    note = c3.number_input("Held-out note", 0, len(test_notes.texts) - 1, key=url_setting("attn_note", 0, bounds=(0, 99)))
    write_url()

    from explainers.attention import AttentionRecorder, compute_key_word_hit_rate
    from models.page_models import notes_attention

    vocab, seq_len = len(train_notes.vocabulary), train_notes.tokens.shape[1]
    entry = session_model("attn_notes_model", ("notes", vocab, seq_len),
                          lambda: notes_attention(vocab, seq_len))
    if "recorder" not in entry.extra:
        entry.extra["recorder"] = AttentionRecorder(test_notes.tokens, history=entry.history)
        entry.extra["recorder"].record(entry.model, 0)
    recorder = entry.extra["recorder"]
    words = test_notes.decode(test_notes.tokens[note]).split()
    key = int(test_notes.key_positions[note])
    st.caption(f"Note {note}: *{test_notes.texts[note]}* (class **{test_notes.class_names[test_notes.labels[note]]}**, "
               f"symptom word outlined)")
    plots, side = st.columns([3, 2])
    strip, grid = plots.empty(), plots.empty()
    stats = side.empty()

    def redraw(progress=None, model=None):
        history = recorder.result()
        cached_figure(draw_note_strip, history, note, tuple(words), key, slot=strip)
        cached_figure(draw_sharpening, history, note, tuple(words), key, slot=grid)
        hits = compute_key_word_hit_rate(history.weights[-1], test_notes.key_positions)
        stats.markdown(f"On the 100 held-out notes the largest weight sits on the symptom word for "
                       f"**{hits.rate:.0%}** of them; mean weight on the symptom **{hits.weight_on_key.mean():.2f}**.")

    go = train_buttons("attn_notes_model", key="attn")
    if go:
        from models.training import train

        with stop_button(beside=go):
            train(entry.model, train_notes.tokens, train_notes.labels, epochs=int(epochs), batch_size=32,
                  learning_rate=float(lr), history=entry.history, observers=[recorder, LiveTraining(redraw)])
    redraw()
    report(entry.history)  # also a run that diverged in its first epoch (no epoch recorded)


# ------------------------------------------------------------ image patches
@st.cache_data(show_spinner=False)
def lesion_data():
    from models.data import make_lesions

    return make_lesions(384, seed=0), make_lesions(64, seed=1)


def patches_part():
    st.header("Attention over image patches")
    st.markdown(
        "The same learned query, now over the 8×8-pixel patches of a synthetic chest image (two convs with "
        "batch normalisation embed each patch). The overlay shows the weight of every patch; green circles the "
        "nodule. As the model learns to spot nodules, its attention moves onto them (after about 10 epochs; "
        "the accuracy follows later)."
    )
    (x, y, _, _), (xv, yv, cv, rv) = lesion_data()
    c1, c2 = st.columns(2)
    epochs = c1.number_input("Epochs", 1, 40, key=url_setting("patch_epochs", 12, bounds=(1, 40)))
    lr = c2.select_slider("Learning rate", [1e-3, 3e-3, 1e-2], key=url_setting(
        "patch_lr", 3e-3, options=[1e-3, 3e-3, 1e-2]))
    write_url()

    from explainers.attention import AttentionRecorder, compute_patch_hit_rate
    from models.page_models import patch_attention

    pos = np.flatnonzero(yv == 1)  # watch every test image with a nodule, draw four
    entry = session_model("attn_patch_model", ("patches", 8, "bn"),
                          patch_attention)
    if "recorder" not in entry.extra:
        entry.extra["recorder"] = AttentionRecorder(xv[pos], history=entry.history)
        entry.extra["recorder"].record(entry.model, 0)
    recorder = entry.extra["recorder"]
    pics, _ = st.columns([4, 1])
    pics, stats = pics.empty(), st.empty()

    def hit_rate():
        return compute_patch_hit_rate(recorder.weights[-1], cv[pos], rv[pos], image_size=64, patch_size=8).rate

    def redraw(progress=None, model=None):
        cached_figure(draw_patches, recorder.result(), cv[pos], rv[pos], slot=pics)
        stats.markdown(f"Most-attended patch (blue square) touches the nodule in **{hit_rate():.0%}** of the "
                       f"{len(pos)} test images with a nodule (a random patch: about 9%).")

    go = train_buttons("attn_patch_model", key="patch")
    if go:
        from models.training import train

        with stop_button(beside=go):
            train(entry.model, x, y, epochs=int(epochs), batch_size=32, learning_rate=float(lr),
                  validation_data=(xv, yv), history=entry.history, observers=[recorder, LiveTraining(redraw)])
    redraw()
    if len(entry.history):
        acc = entry.history.history.get("val_accuracy", [float("nan")])[-1]
        rate = hit_rate()
        st.markdown(f"Validation accuracy after {len(entry.history)} epoch(s): **{acc:.2f}**.")
        if rate < 0.5 or acc < 0.8:
            # Say so rather than let the picture pass for what the heading promises.
            st.warning(f"This run has not (yet) learned what the page describes: its attention peaks on the "
                       f"nodule in {rate:.0%} of the test images with one and validation accuracy is {acc:.2f}. "
                       f"Attention moves onto the nodule only once the model has learned to spot it: train more "
                       f"epochs (press Train again to continue), or Reset and try learning rate 1e-3.",
                       icon=":material/info:")
    report(entry.history)


if part == "Image patches":
    patches_part()
else:
    words_part()
