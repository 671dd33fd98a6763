"""MLP playground: train a small network live on 2-D data and watch the boundary and every hidden neuron."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import math
import zlib

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.ui import (
    LiveTraining, cached_figure, figure, ready_demo, remember_demo, report, secondary, session_model, stop_button,
    train_buttons, url_setting, write_url,
)
from explainers.boundary import compute_decision_boundary, compute_neuron_maps, compute_parameter_table
from explainers.boundary_plots import neuron_mosaic, plot_decision_boundary
from explainers.history_plots import plot_history
from models.data import POINT_KINDS, height_weight_table, load_breast_cancer, make_points, train_test_split_arrays
from models.training import DivergenceCheck

st.title("MLP playground")
st.markdown(
    "A network with hidden layers can draw curved decision boundaries that a single neuron (a line) cannot. "
    "Train one live and watch the boundary, the train/test loss and **every hidden neuron** change."
)

# Backpropagation by hand and universal approximation were tabs of this page: a link shared
# then carries their settings too, so offer them on their own pages.
MOVED = {"bp_": ("app_pages/backprop.py", "Backpropagation by hand"),
         "ua_": ("app_pages/universal_approximation.py", "Universal approximation")}
for prefix, (moved_page, moved_title) in MOVED.items():
    moved = {k: v for k, v in st.query_params.to_dict().items() if k.startswith(prefix)}
    if moved:
        st.page_link(moved_page, label=f"This link also holds settings for {moved_title}: open it there",
                     icon=":material/arrow_forward:", query_params=moved)

DATASETS = POINT_KINDS + ("height/weight table", "breast cancer (2 features)")
ACTS = ("relu", "tanh", "sigmoid", "leaky_relu")
LRS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
OPTS = ("adam", "sgd", "rmsprop")
L2S = [0.0, 0.0001, 0.001, 0.01, 0.1]
BATCHES = [1, 4, 8, 16, 32, 64]
# Stricter than models.train's default: an untrained net guesses p ≈ 0.5 (loss ln 2 ≈ 0.69), so a loss five
# times that means confident, wrong outputs; a sigmoid's saturated loss plateaus instead of becoming NaN.
DIVERGENCE = DivergenceCheck(loss_factor=5.0, reference_cap=math.log(2), min_loss=0.0, max_weight=1e3)


def parse_hidden(text: str) -> tuple[int, ...]:
    """'4, 2' -> (4, 2); '' or '0' -> () (the sigmoid model)."""
    text = text.strip()
    if text in ("", "0"):
        return ()
    widths = tuple(int(t) for t in text.replace(" ", "").split(","))
    if any(w < 1 or w > 64 for w in widths) or len(widths) > 6:
        raise ValueError(text)
    return widths


@st.cache_data(show_spinner=False, max_entries=32)
def playground_data(name: str, noise: float, test_fraction: float):
    """(x_train, y_train, x_test, y_test, x_unknown, note), shared read-only."""
    if name == "height/weight table":
        t = height_weight_table()
        lab, unl = t.labelled(), t.unlabelled()
        x = lab.x.astype(np.float32)
        return x, lab.labels, None, None, unl.x.astype(np.float32), \
            "Lecture 000's table: P1–P4 (1 = M, 0 = F) to train on; the open star is P5, whose sex is the question."
    if name.startswith("breast"):
        x, y, names = load_breast_cancer(["mean radius", "mean texture"])
        note = "Breast cancer (569 tumours): mean radius and mean texture, standardised; 1 = malignant."
    else:
        x, y = make_points(name, 200, noise, seed=0)
        note = f"{name}: 200 points, noise {noise:g}."
    xtr, xte, ytr, yte = train_test_split_arrays(x, y, test_fraction, seed=0)
    return xtr.astype(np.float32), ytr, xte.astype(np.float32), yte, None, note


def draw_board(boundary, x_unknown, p5, history):
    """The decision boundary with the points (test points with black rims), and the loss curves."""
    fig = figure(9, 3.8)
    a1, a2 = fig.subplots(1, 2)
    plot_decision_boundary(boundary, a1, title=f"Decision boundary after {len(history)} epochs")
    if x_unknown is not None:
        a1.scatter(x_unknown[:, 0], x_unknown[:, 1], marker="*", s=250, facecolors="none", edgecolors="k")
        a1.annotate(f"P5: p(M) = {p5:.2f}", x_unknown[0], textcoords="offset points", xytext=(8, -12))
    plot_history(history, a2, metric=("loss", "val_loss"), title="Train (loss) and test (val_loss) loss")
    if not len(history):
        a2.text(0.5, 0.5, "press Train", transform=a2.transAxes, ha="center")
    return fig


c = st.columns(3)
data_name = c[0].selectbox("Data", DATASETS, key=url_setting("mlp_data", "circle", options=DATASETS))
hidden_text = c[1].text_input("Hidden layers (neurons, comma-separated; 0 = none)", key=url_setting("mlp_hidden", "4,2"))
act = c[2].selectbox("Activation", ACTS, key=url_setting("mlp_act", "tanh", options=ACTS))
with secondary("Data and training settings"):  # folded away in presenter mode
    c = st.columns(4)
    noise = c[0].slider("Noise", 0.0, 0.5, step=0.05, key=url_setting("mlp_noise", 0.1, bounds=(0.0, 0.5)))
    test_fraction = c[1].slider("Test fraction", 0.1, 0.5, step=0.05,
                                key=url_setting("mlp_test", 0.3, bounds=(0.1, 0.5)))
    lr = c[2].select_slider("Learning rate", LRS, key=url_setting("mlp_lr", 0.03, options=LRS))
    batch = c[3].select_slider("Batch size", BATCHES, key=url_setting("mlp_batch", 16, options=BATCHES))
    c = st.columns(4)
    opt = c[0].selectbox("Optimiser", OPTS, key=url_setting("mlp_opt", "adam", options=OPTS))
    l2 = c[1].select_slider("L2", L2S, key=url_setting("mlp_l2", 0.0, options=L2S))
    epochs = c[2].number_input("Epochs per click", 1, 500, key=url_setting("mlp_epochs", 30, bounds=(1, 500)))
write_url()
try:
    hidden = parse_hidden(hidden_text)
except ValueError:
    st.error(f"Hidden layers {hidden_text!r} is not valid: write up to 6 widths from 1 to 64 separated by "
             "commas, e.g. `4,2`, or 0 for no hidden layer. Using 4,2.")
    hidden = (4, 2)
xtr, ytr, xte, yte, x_unknown, note = playground_data(data_name, noise, test_fraction)
signature = (data_name, noise, test_fraction, hidden, act, opt, float(l2))


def build():
    from models.mlp import build_mlp

    # Same settings, same starting network, in any session: a shared link reproduces the demo, and going
    # back to earlier settings redraws from cache instead of from a new random net.
    return build_mlp(2, hidden, activation=act, l2=float(l2), name="mlp", seed=zlib.crc32(repr(signature).encode()))


entry = session_model("mlp_model", signature, build)
n_test = 0 if yte is None else len(yte)
st.caption(f"{note} {len(ytr)} training, {n_test} test points (test points have black rims). "
           f"Network 2-{'-'.join(map(str, hidden)) + '-' if hidden else ''}1, {act}.")
go = train_buttons("mlp_model", key="mlp", reset_label="Reset")
demo_settings = (entry.signature, int(epochs), int(batch), float(lr), opt)
ready_demo("playground", demo_settings, entry, go)
left, right = st.columns([1, 1])
board_slot, neurons_slot = left.empty(), right.empty()
numbers_slot = st.empty()


def draw(model):
    boundary = compute_decision_boundary(model, xtr, resolution=60, y=ytr, x_test=xte, y_test=yte)
    p5 = None if x_unknown is None else float(np.asarray(model(x_unknown, training=False)).ravel()[0])
    cached_figure(draw_board, boundary, x_unknown, p5, entry.history, slot=board_slot)
    xall = xtr if xte is None else np.concatenate([xtr, xte])
    maps = compute_neuron_maps(model, xall, resolution=30)
    with neurons_slot.container():
        st.markdown("**What each hidden neuron computes** over the same plane (one row per hidden layer; "
                    "red/blue = negative/positive output, white = 0)")
        if maps.maps:
            st.image(neuron_mosaic(maps, scale=3),
                     caption=" · ".join(f"row {i + 1}: {name} ({m.shape[0]} neurons)"
                                        for i, (name, m) in enumerate(zip(maps.layers, maps.maps))))
        else:
            st.info("No hidden layer: this is the sigmoid model, one neuron, one straight boundary.")
    h = entry.history.history
    with numbers_slot.container():
        k = st.columns(4)
        k[0].metric("epochs", len(entry.history))
        k[1].metric("train loss", f"{h['loss'][-1]:.4f}" if h.get("loss") else "–")
        k[2].metric("test loss", f"{h['val_loss'][-1]:.4f}" if h.get("val_loss") else "–")
        k[3].metric("test accuracy", f"{h['val_accuracy'][-1]:.3f}" if h.get("val_accuracy") else "–")


if go:
    from models.training import train

    with stop_button(key="mlp_stop", beside=go):
        train(entry.model, xtr, ytr, epochs=int(epochs), batch_size=int(batch),
              validation_data=None if xte is None else (xte, yte),
              optimizer=None if entry.model.compiled else opt, learning_rate=float(lr),
              history=entry.history, steps_per_execution=1, divergence=DIVERGENCE,
              observers=[LiveTraining(lambda progress, model: draw(model), redraw_every_s=0.2)])
    remember_demo("playground", demo_settings, entry, int(epochs))
draw(entry.model)  # always the last epoch
if entry.history.status == "diverged":
    st.error(f"The run diverged and was stopped. {entry.history.message} The picture shows the weights "
             "before the explosion: press Reset, then Train.", icon=":material/warning:")
elif len(entry.history):
    report(entry.history)
table = compute_parameter_table(entry.model)
st.markdown(f"**Parameters, per layer** — the course's previous × current + bias beside Keras' own count "
            f"(total {table.total} = `model.count_params()` {table.keras_total}):")
st.dataframe(pd.DataFrame(table.records()), hide_index=True)
