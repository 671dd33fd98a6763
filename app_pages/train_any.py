"""Train any course model on its built-in data, live: the shell every page builds on."""
import streamlit as st

from app_pages.ui import (
    LiveTraining, figure, ready_demo, remember_demo, report, session_model, stop_button, train_buttons, url_setting,
    write_url,
)
from explainers.history_plots import plot_history
from models.zoo import MODEL_NAMES, build_model, demo_data

__all__: list[str] = []  # a page: widgets and text, nothing to import

st.title("Train a course model")
st.markdown(
    "Pick one of the course's models and train it on its built-in data. The learning "
    "curves redraw after every epoch; **Stop** keeps the weights of the last finished epoch."
)

c1, c2, c3, c4 = st.columns(4)
name = c1.selectbox("Model", MODEL_NAMES, key=url_setting("train_model", "cnn", options=MODEL_NAMES))
epochs = c2.number_input("Epochs", 0, 50, key=url_setting("train_epochs", 3, bounds=(0, 50)))
batch = c3.select_slider("Batch size", [8, 16, 32, 64, 128], key=url_setting("train_batch", 32, options=[8, 16, 32, 64, 128]))
lr = c4.number_input("Learning rate", 1e-5, 10.0, format="%.4f", key=url_setting("train_lr", 3e-3, bounds=(1e-5, 10.0)))
write_url()


@st.cache_data(show_spinner=False, max_entries=16)
def cached_data(model_name: str):
    """Built-in data, made once per process and shared read-only."""
    return demo_data(model_name, seed=0)


(x, y), (xv, yv), spec = cached_data(name)
entry = session_model("train_any_model", (name,), lambda: build_model(name, seed=0))
st.caption(f"{entry.model.count_params():,} parameters · {len(y)} training and {len(yv)} validation samples")

# Train sits above the figures, so they appear below it without moving the buttons.
go = train_buttons("train_any_model")
demo_settings = (entry.signature, int(epochs), int(batch), float(lr))
ready_demo("train", demo_settings, entry, go)
plot_col, _ = st.columns([3, 2])
curves = plot_col.empty()


def redraw(progress, model):
    ax = plot_history(entry.history, figure(6, 3).subplots(), metric="loss")
    curves.pyplot(ax.figure, clear_figure=False)


if go:
    from models.training import train

    with stop_button(beside=go):
        train(entry.model, x, y, epochs=int(epochs), batch_size=int(batch), validation_data=(xv, yv),
              learning_rate=float(lr), loss=spec.loss, metrics=spec.metrics, history=entry.history,
              observers=[LiveTraining(redraw)])
    remember_demo("train", demo_settings, entry, int(epochs))
if len(entry.history):
    redraw(None, entry.model)
if entry.history.status != "new":
    report(entry.history)
