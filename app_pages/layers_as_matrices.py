"""Layers as matrices: a = σ(Wx + b) with a real network's numbers, f = f[2](f[1](x)), inputs interacting."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import pandas as pd
import streamlit as st

from app_pages.ui import (
    LiveTraining, cached_figure, predict_then_see, session_model, stop_button, train_buttons, url_setting, write_url,
)
from explainers.matrices import augmented_equation_latex, compute_layer_composition, layer_equation_latex
from explainers.matrices_plots import plot_interactions, plot_layer_composition
from models.mlp import build_mlp
from models.recipes import compare_interactions

st.title("Layers as matrices")
st.markdown(
    "Lecture 003 writes the m neurons of a hidden layer, aⱼ = σ(wⱼ,₁x₁ + … + wⱼ,ₚxₚ + bⱼ), as one line: "
    "**a = σ(Wx + b)**, with W an m × p matrix (one row per neuron, one column per input). Lecture 002 says "
    "the same: the forward pass of a fully connected layer is one matrix multiplication, a bias offset and an "
    "activation. Here are the numbers of a real Keras network.")

predict_then_see(
    "q1", "How confident are you with the maths? Check one thing: for 2 inputs and 4 hidden neurons, what "
    "shape is W in a = σ(Wx + b), and how many parameters does the layer have?",
    ["2 × 4, 8 parameters", "4 × 2, 8 parameters", "4 × 2, 12 parameters", "4 × 4, 20 parameters"], 2,
    "W has one row per neuron and one column per input: 4 × 2 = 8 weights, plus 4 biases, 12 parameters "
    "(lecture 003: 4 × 2 + 4). Keras stores the same numbers as a kernel of shape (2, 4), W transposed: "
    "the first equation below shows W itself.",
    lecture="Lecture 003, question 1")

# ------------------------------------------------------------------ the network, as matrices
NETWORKS = ["fresh 2-4-1 (sigmoid)", "the xor net trained below", "your playground net"]
available = [NETWORKS[0]]
trained = st.session_state.get("mx_interactions")
if trained is not None:
    available.append(NETWORKS[1])
playground = st.session_state.get("mlp_model")
if playground is not None and getattr(playground.model, "input_shape", (None, 0))[-1] == 2:
    available.append(NETWORKS[2])
c = st.columns([1.6, 1, 1])
choice = c[0].selectbox("Network", available, key="mx_network")
x1 = c[1].slider("x₁", -2.0, 2.0, step=0.1, key=url_setting("mx_x1", 0.6, bounds=(-2.0, 2.0)))
x2 = c[2].slider("x₂", -2.0, 2.0, step=0.1, key=url_setting("mx_x2", -0.4, bounds=(-2.0, 2.0)))


def fresh_net():
    return build_mlp(2, (4,), activation="sigmoid", seed=3, name="fresh")


if choice == NETWORKS[1]:
    fit = trained.fit("xor", True)
    entry = session_model("mx_xor_net", ("xor", fit.hidden), lambda: build_mlp(2, (fit.hidden,), activation="tanh",
                                                                              seed=0, name="xor_net"))
    entry.model.set_weights(list(fit.weights))
    model, note = entry.model, (f"The 2-{fit.hidden}-1 tanh net trained on xor below (test accuracy "
                                f"{fit.score:.2f}): its output is the probability of class 1.")
elif choice == NETWORKS[2]:
    model, note = playground.model, "This session's MLP playground network, with the weights it has now."
else:
    model = session_model("mx_fresh", ("2-4-1",), fresh_net).model
    note = ("A fresh 2-4-1 sigmoid net, lecture 003's 17 parameters (4 × 2 + 4, then 4 + 1): random W, "
            "and b = 0 because Keras starts every bias at zero. Train the xor net below to see learnt biases.")
st.caption(note)
try:
    comp = compute_layer_composition(model, [x1, x2])
except ValueError as err:
    st.error(f"This network cannot be shown as matrices: {err}. Pick another network.")
    st.stop()

for i, step in enumerate(comp.steps, start=1):
    st.latex(layer_equation_latex(step, i))
    m, p = step.W.shape
    st.caption(f"Layer {i} ({step.name}): W[{i}] is {m} × {p}, b[{i}] has {m} entries: {m} × {p} + {m} = "
               f"{step.parameters} parameters. Keras' kernel has shape {(p, m)}, the transpose of W[{i}].")

out = ", ".join(f"{v:.6f}" for v in comp.composed)
keras_out = ", ".join(f"{v:.6f}" for v in comp.keras_output)
left, right = st.columns([1, 1.1])
with left:
    st.markdown("Composed, as lecture 003 writes it:")
    chain = r"f^{[2]}(f^{[1]}(x))" if len(comp.steps) == 2 else rf"f^{{[{len(comp.steps)}]}}(\cdots f^{{[1]}}(x))"
    st.latex(r"f_\theta(x) = " + chain + " = " + out)
    st.markdown(f"Keras' own `model(x)` gives **{keras_out}**: the difference is {comp.max_difference:.1e} "
                f"(float32 round-off). Parameters: {comp.parameters} = `model.count_params()` "
                f"{model.count_params()}.")
    first = comp.steps[0]
    st.markdown("Lecture 004 folds the bias into W: with x̃ = (x, 1) and W̃ = [W | b] (\"W = weight & bias\"), "
                "Wx + b = W̃x̃, and the network is f(x) = f₀(Φ(x)), Φ(x) = g(Wₖ g(… g(W₁x)…)). For layer 1:")


def draw_network(result):
    return plot_layer_composition(result).figure


cached_figure(draw_network, comp, slot=right)
st.latex(augmented_equation_latex(first, 1))

# ------------------------------------------------------------------ question 3: interactions
st.subheader("Do inputs interact in one hidden layer?")
predict_then_see(
    "q3", "Does a fully connected neural network with one hidden layer allow interactions between input "
    "variables?", ["Yes", "No: each input gets its own weight", "Only with two hidden layers"], 0,
    "Each hidden neuron applies σ to a sum w₁x₁ + w₂x₂ + b, and σ of a sum is not a function of x₁ plus a "
    "function of x₂: the inputs are mixed. Adding a few such neurons can build x₁·x₂ (e.g. "
    "x₁x₂ = ((x₁ + x₂)² − (x₁ − x₂)²) / 4). The demo below measures it: with no hidden layer xor and x₁·x₂ "
    "cannot be fitted, with one hidden layer both are.",
    lecture="Lecture 003, question 3")
st.markdown("Two targets that depend on x₁ and x₂ **together**: **xor** (class 1 where x₁ and x₂ have the same "
            "sign) and the **product** y = x₁·x₂. Each is fitted by a model with no hidden layer "
            "(σ(w₁x₁ + w₂x₂ + b), or linear for the product) and by one hidden layer of tanh neurons, then "
            "scored on 200 fresh points.")
HIDDEN = (2, 4, 8, 16)
EPOCHS = (50, 100, 200)
c = st.columns(2)
hidden = c[0].select_slider("Hidden neurons", HIDDEN, key=url_setting("mx_hidden", 8, options=HIDDEN))
epochs = c[1].select_slider("Passes over the data", EPOCHS, key=url_setting("mx_epochs", 100, options=EPOCHS))
write_url()
go = train_buttons("mx_interactions", key="mx", reset_label="Reset")
if go:
    with stop_button(key="mx_stop", beside=go):
        st.session_state["mx_interactions"] = compare_interactions(hidden=int(hidden), epochs=int(epochs),
                                                                   observers=[LiveTraining()])
        st.rerun()  # the network picker above now offers the trained xor net


def draw_interactions(result):
    return plot_interactions(result)


result = st.session_state.get("mx_interactions")
if result is None:
    st.info("Press **Train**: four small fits (two tasks × two models), about 20 s.")
else:
    left, right = st.columns([1.5, 1])
    cached_figure(draw_interactions, result, slot=left)
    with right:
        xor0, xor1 = result.fit("xor", False), result.fit("xor", True)
        p0, p1 = result.fit("product", False), result.fit("product", True)
        st.markdown(
            f"Without a hidden layer the output depends on one sum w₁x₁ + w₂x₂ + b: its boundary is a straight "
            f"line, so xor stays near chance (accuracy {xor0.score:.2f}), and the best plane through x₁·x₂ is "
            f"flat (R² {p0.score:.2f}: no better than predicting the mean). With {result.hidden} hidden neurons: "
            f"accuracy {xor1.score:.2f} and R² {p1.score:.2f}. One hidden layer lets the inputs interact.")
        st.caption(f"Settings shown: {result.hidden} hidden neurons, {result.epochs} passes of Adam (batch 32). "
                   "R² = 1 − SS_res / SS_tot on the fresh points.")
    st.dataframe(pd.DataFrame({
        "task": [f.task for f in result.fits], "model": [f.label for f in result.fits],
        "parameters": [f.params for f in result.fits], "score": [f.score_name for f in result.fits],
        "value": [round(f.score, 3) for f in result.fits], "seconds": [round(f.seconds, 1) for f in result.fits],
    }), hide_index=True)
