"""Cross-entropy: the formulas term by term, softmax with a temperature, pixel-wise over a mask, saturation."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.ui import LiveTraining, cached_figure, stop_button, train_buttons, url_setting, write_url
from explainers.cross_entropy import (
    BINARY_PROBABILITIES, BINARY_TARGETS, CATEGORICAL_CLASSES, CATEGORICAL_LOGITS, CATEGORICAL_TARGETS,
    compute_binary_cross_entropy, compute_categorical_cross_entropy, compute_pixel_cross_entropy,
    compute_saturation_gradients, compute_softmax_temperature,
)
from explainers.cross_entropy_plots import (
    plot_cross_entropy_terms, plot_pixel_cross_entropy, plot_saturated_training, plot_saturation_gradients,
    plot_softmax_temperature,
)
from models.recipes import compare_saturated_losses

st.title("Cross-entropy")
st.markdown(
    "Lecture 002's classification loss. A network's last layer gives a probability f(s)ᵢ for each class; "
    "the loss is minus the log of the probability it gave the **true** class. With C classes and a one-hot "
    "target t, and for two classes with f(s₁) = p:")
st.latex(r"CE = -\sum_{i}^{C} t_i \log f(s)_i \qquad\qquad "
         r"CE = -t_1 \log f(s_1) - (1 - t_1)\log\big(1 - f(s_1)\big)")

# ------------------------------------------------------------------ the formulas, example by example
st.subheader("The formula, example by example")
T_OPTIONS = (0.25, 0.5, 1.0, 2.0, 4.0)
EXAMPLE_NAMES = ("1 confident, right", "2 unsure, right", "3 confident, right", "4 confident, wrong", "5 no idea")
temperature = st.select_slider("Softmax temperature T (1 = plain softmax)", T_OPTIONS,
                               key=url_setting("ce_t", 1.0, options=T_OPTIONS))


@st.cache_data(show_spinner=False, max_entries=64)
def categorical(temperature: float):
    return compute_categorical_cross_entropy(CATEGORICAL_TARGETS, logits=CATEGORICAL_LOGITS, temperature=temperature)


def draw_terms(result):
    return plot_cross_entropy_terms(result).figure


cat = categorical(float(temperature))
rows = {"example": list(EXAMPLE_NAMES), "true class": [CATEGORICAL_CLASSES[t] for t in CATEGORICAL_TARGETS]}
for i, name in enumerate(CATEGORICAL_CLASSES):
    rows[f"p {name}"] = cat.probabilities[:, i]
rows["−log p(true)"] = cat.losses
st.markdown(f"**Three classes**, five lesions. The scores s become probabilities by softmax(s / T); only the "
            f"true class's term −tᵢ log pᵢ is not zero, so each loss is −log p(true). Mean: **{cat.mean:.4f}**.")
st.dataframe(pd.DataFrame(rows).style.format(precision=3), hide_index=True)
left, right = st.columns([1, 1])
cached_figure(draw_terms, cat, slot=left)
right.markdown(f"Example 5 gives every class 1/3: its loss is ln 3 = {np.log(3):.4f} at any T. Example 4 gave "
               f"the true class {cat.true_probability[3]:.3f}: it costs **{cat.losses[3]:.2f}**, more than all the "
               "others together. A confident wrong answer is what cross-entropy punishes most.")
right.caption("The mean equals keras.losses.CategoricalCrossentropy on the same probabilities (tested).")

st.markdown("**Two classes** (lesion present, t = 1, or not, t = 0). Edit t or p: the loss is −log p where "
            "t = 1 and −log(1 − p) where t = 0.")
b_left, b_right = st.columns([1.35, 1])
edited = b_left.data_editor(pd.DataFrame({"t": BINARY_TARGETS, "p = f(s)": BINARY_PROBABILITIES}),
                            key="ce_binary", width="stretch", num_rows="fixed", hide_index=True)
try:
    binary = compute_binary_cross_entropy(edited["t"].to_numpy(dtype=float), edited["p = f(s)"].to_numpy(dtype=float))
except (ValueError, TypeError) as err:
    b_left.error(f"{err}. Give each row a label t of 0 or 1 and a probability p between 0 and 1; showing the "
                 "lecture-style defaults.")
    binary = compute_binary_cross_entropy()
with b_right:
    st.dataframe(pd.DataFrame({"−t log p": binary.terms[:, 0], "−(1−t) log(1−p)": binary.terms[:, 1],
                               "loss": binary.losses}).style.format(precision=3), hide_index=True)
    st.caption(f"Mean: **{binary.mean:.4f}** (keras.losses.BinaryCrossentropy gives the same; p is clipped to "
               "[1e-7, 1 − 1e-7] first, as Keras does, so p = 0 costs 16.1, not infinity).")

# ------------------------------------------------------------------ softmax and temperature
st.subheader("Softmax and its temperature")
st.markdown("$\\mathrm{softmax}(s)_i = e^{s_i/T} / \\sum_j e^{s_j/T}$ turns any scores into probabilities that "
            "sum to 1. The "
            "temperature T (the slider above) divides the scores first: T < 1 sharpens them towards the largest "
            "score, T > 1 flattens them towards 1/C. The order never changes, so neither does the predicted class; "
            "only how sure it looks, and so the loss.")
example = st.selectbox("Example", EXAMPLE_NAMES, index=1, key=url_setting("ce_example", EXAMPLE_NAMES[1],
                                                                           options=EXAMPLE_NAMES))
write_url()
k = EXAMPLE_NAMES.index(example)


@st.cache_data(show_spinner=False, max_entries=64)
def temperature_curve(k: int, temperature: float):
    return compute_softmax_temperature(CATEGORICAL_LOGITS[k], temperature, target=int(CATEGORICAL_TARGETS[k]))


def draw_softmax(result):
    return plot_softmax_temperature(result)


soft = temperature_curve(k, float(temperature))
cached_figure(draw_softmax, soft)
st.caption(f"Scores s = {CATEGORICAL_LOGITS[k].tolist()}, true class {soft.classes[soft.target]}: at T = "
           f"{temperature:g} it gets p = {soft.probabilities[soft.target]:.3f}, a loss of {soft.loss:.3f}. "
           f"As T grows every p tends to 1/3 and the loss to ln 3 = {np.log(3):.3f}.")

# ------------------------------------------------------------------ pixel-wise
st.subheader("Pixel-wise cross-entropy over a mask")


@st.cache_data(show_spinner=False)
def pixels():
    return compute_pixel_cross_entropy()


def draw_pixels(result):
    return plot_pixel_cross_entropy(result)


px = pixels()
st.markdown("In segmentation (lecture 002) the same log loss is computed at every pixel, summed over the "
            "classes (here lesion and background: −y log p − (1 − y) log(1 − p)), and **averaged over all "
            "pixels**. On the lecture's 4×4 Dice example:")
cached_figure(draw_pixels, px)
r, c = px.worst
st.caption(f"Mean over the 16 pixels: **{px.mean:.4f}** (= keras.losses.BinaryCrossentropy on the same mask, "
           f"tested); lesion pixels average {px.foreground_mean:.4f}, background pixels {px.background_mean:.4f}. "
           f"The costliest pixel (boxed, row {r + 1}, column {c + 1}) predicted {px.prediction[r, c]:.2f} for "
           f"a target of {int(px.target[r, c])}. Every pixel counts the same, so a small lesion among many "
           "background pixels adds little to the mean: the class-imbalance trap of the U-Net page, which Dice avoids.")

# ------------------------------------------------------------------ saturation
st.subheader("Why cross-entropy and not squared error for a sigmoid")
st.markdown("Take one sigmoid neuron, σ(z), and a target y. The chain rule through σ'(z) = σ(1 − σ) gives")
st.latex(r"L_{CE} = -y\log\sigma - (1-y)\log(1-\sigma) \;\Rightarrow\; \frac{\partial L}{\partial z} = \sigma - y"
         r"\qquad L_{SE} = \tfrac12(\sigma - y)^2 \;\Rightarrow\; \frac{\partial L}{\partial z} = "
         r"(\sigma - y)\,\sigma(1-\sigma)")


@st.cache_data(show_spinner=False, max_entries=64)
def gradients(z_mark: float):
    return compute_saturation_gradients(1, z_mark=z_mark)


def draw_gradients(result):
    return plot_saturation_gradients(result).figure


c = st.columns(3)
Z_STARTS = (-8.0, -6.0, -4.0, -2.0)
z_start = c[0].select_slider("Start: w (z = w·x)", Z_STARTS, key=url_setting("ce_z", -6.0, options=Z_STARTS))
LRS = (0.1, 0.3, 1.0, 3.0)
lr = c[1].select_slider("Learning rate α (plain SGD)", LRS, key=url_setting("ce_lr", 1.0, options=LRS))
STEPS = (10, 30, 100, 300)
steps = c[2].select_slider("Gradient steps", STEPS, key=url_setting("ce_steps", 30, options=STEPS))
write_url()
grad = gradients(float(z_start))
s_mark, g_ce, g_se = grad.at_mark()
g_left, g_right = st.columns([1.2, 1])
cached_figure(draw_gradients, grad, slot=g_left)
g_right.markdown(
    f"At z = {z_start:g} with y = 1 the neuron says σ = {s_mark:.4f}: **confidently wrong, and saturated** "
    f"(lecture 002: sigmoids \"saturate and kill gradients\").\n\n"
    f"- cross-entropy pushes with σ − y = **{g_ce:.4f}**\n"
    f"- squared error with (σ − y)σ(1 − σ) = **{g_se:.5f}**, {grad.ratio:.0f} times less\n\n"
    "The log in cross-entropy cancels the sigmoid's flat tail; squared error keeps it. (Keras' "
    "MeanSquaredError has no ½: its gradient is twice this, still hundreds of times too small.)")

st.markdown(f"**Train it.** A neuron ŷ = σ(w·x + b) on 64 points x = ±(0.75…1.25), label 1 where x > 0. It "
            f"starts at w = {z_start:g}, b = 0: saturated and wrong on every point. The same plain gradient "
            f"descent (α = {lr:g}, full batch) runs once with each loss. Plain SGD on purpose: Adam divides each "
            "step by the gradient's size and would hide the difference.")
go = train_buttons("ce_saturated", key="ce", reset_label="Reset")
if go:
    with stop_button(key="ce_stop", beside=go):
        st.session_state["ce_saturated"] = compare_saturated_losses(
            epochs=int(steps), learning_rate=float(lr), z_start=float(z_start), observers=[LiveTraining()])


def draw_training(result):
    return plot_saturated_training(result)


result = st.session_state.get("ce_saturated")
if result is None:
    st.info("Press **Train**: two runs of a one-weight neuron, a few seconds each.")
else:
    cached_figure(draw_training, result)
    table = pd.DataFrame({
        "loss": [run.loss_name for run in result.runs],
        "dL/dw at the start": [run.start_gradient for run in result.runs],
        "w at the end": [run.w[-1] for run in result.runs],
        "accuracy at the end": [run.accuracy[-1] for run in result.runs],
    })
    st.dataframe(table.style.format(precision=4), hide_index=True)
    first = [next((i for i, a in enumerate(run.accuracy) if a == 1.0), None) for run in result.runs]
    said = [f"{run.loss_name}: " + (f"every point right after {i} steps" if i is not None else
                                    f"{run.accuracy[-1]:.0%} right after {len(run.accuracy) - 1} steps")
            for run, i in zip(result.runs, first)]
    st.caption(f"Shown: start w = {result.z_start:g}, α = {result.runs[0].learning_rate:g}, {result.epochs} full-batch "
               f"steps on {result.n} points. " + "; ".join(said) + ".")
