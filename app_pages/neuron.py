"""The sigmoid neuron: the lecture's stroke example, activation functions, thresholds and ROC."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.ui import (
    LiveTraining, cached_figure, figure, history_figure, predict_then_see, ready_demo, remember_demo, report,
    session_model, stop_button, train_buttons, url_setting, write_url,
)
from explainers.activations import ACTIVATIONS, compute_activation_curves
from explainers.activations_plots import plot_activations
from explainers.metrics import compute_roc, compute_threshold_metrics
from explainers.metrics_plots import plot_confusion, plot_roc, plot_score_histogram
from models.data import load_breast_cancer, make_stroke, sigmoid, stroke_patients, train_test_split_arrays

st.title("The sigmoid neuron")
st.markdown(
    "One neuron is a weighted sum plus a bias, squashed into a probability: "
    "$z = b + \\sum_i w_i x_i$, $\\hat y = \\sigma(z) = 1/(1 + e^{-z})$. Everything else in the course is built from it."
)


def draw_patients(z, p, names):
    """σ(z) with the lecture's two patients on it."""
    ax = figure(6, 2.6).subplots()
    zz = np.linspace(min(-8.0, z.min() - 1), max(8.0, z.max() + 1), 400)
    ax.plot(zz, sigmoid(zz), color="k", lw=1.5, label="σ(z)")
    ax.axhline(0.5, color="0.6", ls=":", lw=1)
    for k, name in enumerate(names):
        ax.plot(z[k], p[k], "o", ms=9, label=f"{name}: σ({z[k]:.2f}) = {p[k]:.3f}")
    ax.set_xlabel("z")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax.figure


def draw_activations(curves):
    fig = figure(10, 3.3)
    a1, a2 = fig.subplots(1, 2)
    plot_activations(curves, a1)
    plot_activations(curves, a2, derivative=True)
    return fig


def draw_threshold(curve, metrics):
    """ROC with the operating point at τ, the confusion matrix, and the score histogram."""
    fig = figure(12, 3.6)
    a1, a2, a3 = fig.subplots(1, 3, width_ratios=[1.1, 1, 1.3])
    plot_roc(curve, a1, point=metrics)
    plot_confusion(metrics, a2)
    plot_score_histogram(metrics, a3)
    return fig


tab_stroke, tab_act, tab_roc = st.tabs(["Stroke neuron", "Activation functions", "Threshold and ROC"])
patients = stroke_patients()

# ------------------------------------------------------------------ stroke neuron
with tab_stroke:
    st.markdown("The lecture's toy example: predict a stroke from blood pressure, cholesterol, BMI and age. "
                "Change the weights, the bias or a patient's values and follow the sum term by term.")
    cols = st.columns(5)
    bias = cols[0].number_input("bias b", -200.0, 200.0, step=0.1, format="%.2f",
                                key=url_setting("neuron_b", patients.bias, bounds=(-200.0, 200.0)))
    weights = []
    for i, (name, col) in enumerate(zip(patients.feature_names, cols[1:])):
        weights.append(col.number_input(f"w{i + 1} ({name.replace('_', ' ')})", -10.0, 10.0, step=0.1,
                                        format="%.2f",
                                        key=url_setting(f"neuron_w{i + 1}", patients.weights[i], bounds=(-10.0, 10.0))))
    table = pd.DataFrame(patients.x, columns=[f"{n} ({u})" for n, u in zip(patients.feature_names, patients.units)],
                         index=list(patients.names))
    edited = st.data_editor(table, key="neuron_patients", width="stretch")
    x = edited.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(x)):
        st.error("Every patient value must be a number: fill in the empty cells.")
        x = np.nan_to_num(x)
    w = np.array(weights, dtype=np.float64)
    z = bias + x @ w
    p = sigmoid(z)
    for k, name in enumerate(patients.names):
        terms = " + ".join(f"{wi:g}·{xi:g}" for wi, xi in zip(w, x[k]))
        values = " + ".join(f"{wi * xi:.2f}" for wi, xi in zip(w, x[k]))
        c1, c2, c3 = st.columns([4, 1, 1])
        c1.markdown(f"**{name}**: z = {bias:g} + {terms}  \n= {bias:g} + {values} = **{z[k]:.2f}**  \n"
                    f"σ(z) = {p[k]:.3f} {'>' if p[k] > 0.5 else '≤'} 0.5 ⇒ **{'positive' if p[k] > 0.5 else 'negative'}**")
        c2.metric("z", f"{z[k]:.2f}")
        c3.metric("σ(z) = P(stroke)", f"{p[k]:.3f}")
    z_lecture = patients.bias + patients.x @ np.asarray(patients.weights, dtype=np.float64)
    p_lecture = sigmoid(z_lecture)
    slide_formula = 1.0 / (1.0 - np.exp(-z_lecture))  # the slide's 1/(1 − e^−z), minus sign and all
    def num(value: float, spec: str) -> str:
        """A number as the lecture prints it, with a real minus sign."""
        return format(float(value), spec).replace("-", "−")

    st.caption(
        f"With the lecture's weights patient 1 gets z = {num(z_lecture[0], 'g')}, σ(z) = {p_lecture[0]:.3f} and "
        f"patient 2 z = {num(z_lecture[1], 'g')}, σ(z) = {p_lecture[1]:.3f}. The slide's 0.04 for patient 2 is "
        f"{p_lecture[1]:.3f} rounded: right. Two things on the slide are slips: it prints **0.71** for patient 1 "
        f"(0.71 is σ(0.9) = {sigmoid(0.9):.3f}, not σ({num(z_lecture[0], 'g')}) = {p_lecture[0]:.3f}), and it writes "
        f"σ(z) = 1/(**1 − e^−z**). That formula would give 1/(1 − e^−({num(z_lecture[0], 'g')})) = "
        f"**{num(slide_formula[0], '.2f')}** and 1/(1 − e^−({num(z_lecture[1], 'g')})) = "
        f"**{num(slide_formula[1], '.2f')}**: above 1 and below 0, not probabilities. The sigmoid is "
        "1/(1 + e^−z), always between 0 and 1.")
    cached_figure(draw_patients, np.asarray(z), np.asarray(p), tuple(patients.names), slot=st.columns([2, 1])[0])

# ------------------------------------------------------------------ activations
with tab_act:
    st.markdown("Hidden neurons use other squashing functions too. Where a derivative is ~0 (shaded), the "
                "neuron's weights get almost no gradient: **sigmoid and tanh saturate and kill gradients**; "
                "ReLU passes gradient 1 for z > 0 but 0 for z < 0 (a neuron stuck there is *dead*); leaky ReLU "
                "keeps a small slope.")
    chosen = st.multiselect("Activations", ACTIVATIONS, key=url_setting("neuron_act", list(ACTIVATIONS),
                                                                       options=ACTIVATIONS))
    zr = st.slider("z range", 2.0, 12.0, step=1.0, key=url_setting("neuron_zr", 6.0, bounds=(2.0, 12.0)))
    if chosen:
        curves = compute_activation_curves(tuple(chosen), z_range=zr)
        cached_figure(draw_activations, curves)
        at_edge = {n: float(curves.derivatives[i, -1]) for i, n in enumerate(curves.names)}
        st.dataframe(pd.DataFrame({"activation": list(at_edge), f"g'({zr:g})": list(at_edge.values()),
                                   "max g'": curves.derivatives.max(1)}), hide_index=True)
    else:
        st.info("Pick at least one activation.")

# ------------------------------------------------------------------ threshold & ROC
DATASETS = ("stroke cohort (synthetic)", "breast cancer")


@st.cache_data(show_spinner=False, max_entries=4)
def roc_data(name: str):
    """Standardised features and labels, split into train and test (shared read-only)."""
    if name == DATASETS[0]:
        x, y = make_stroke(600, seed=0)
        names = list(stroke_patients().feature_names)
    else:
        x, y, names = load_breast_cancer(standardize=False)
    x = np.asarray(x, dtype=np.float32)
    xtr, xte, ytr, yte = train_test_split_arrays(x, y, 0.3, seed=0)
    mean, std = xtr.mean(0), xtr.std(0) + 1e-8  # standardise with training statistics only
    return ((xtr - mean) / std).astype(np.float32), ((xte - mean) / std).astype(np.float32), ytr, yte, names


with tab_roc:
    st.markdown("The neuron outputs a probability; a **threshold τ** turns it into a decision, lecture 003's "
                "rule: ŷ = 1 (positive) if σ(z) > τ, ŷ = 0 (negative) if σ(z) ≤ τ. Train the neuron, then move "
                "τ: the confusion matrix (laid out as lecture 002 draws it: actual class in the rows, predicted in "
                "the columns, TP top left), TPR and FPR change and the operating point slides along the ROC curve, "
                "while the curve itself, and its AUC, stay the same.")
    predict_then_see(
        "threshold", "Will changing the threshold after applying the sigmoid function affect the model's "
        "performance?",
        ["Yes: sensitivity, specificity, accuracy change", "No: the weights are the same", "Only the AUC changes"],
        0,
        "The weights and the scores stay the same; τ only moves the cut. The table under the figure scores the "
        "same trained neuron at three thresholds: its TPR, FPR (Type I errors) and accuracy change with τ, "
        "while the ROC curve and its AUC, which sum up every τ at once, do not.",
        lecture="Lecture 003, question 2")
    c1, c2, c3 = st.columns(3)
    data_name = c1.selectbox("Data", DATASETS, key=url_setting("neuron_data", DATASETS[0], options=DATASETS))
    epochs = c2.number_input("Epochs", 1, 200, key=url_setting("neuron_epochs", 30, bounds=(1, 200)))
    lr = c3.select_slider("Learning rate", [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0],
                          key=url_setting("neuron_lr", 0.03, options=[0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]))
    tau = st.slider("Threshold τ", 0.0, 1.0, step=0.01, key=url_setting("neuron_tau", 0.5, bounds=(0.0, 1.0)))
    write_url()
    xtr, xte, ytr, yte, feature_names = roc_data(data_name)

    def build():
        from models.mlp import build_logistic_neuron

        return build_logistic_neuron(xtr.shape[1])

    entry = session_model("neuron_roc_model", (data_name,), build)
    st.caption(f"{len(ytr)} training and {len(yte)} test samples, {xtr.shape[1]} standardised features "
               f"({', '.join(feature_names[:4])}{', …' if len(feature_names) > 4 else ''}). Metrics on the test set.")
    go = train_buttons("neuron_roc_model", key="neuron", reset_label="Reset neuron")
    demo_settings = (entry.signature, int(epochs), float(lr))
    ready_demo("neuron", demo_settings, entry, go)
    roc_slot = st.empty()
    metrics_slot = st.empty()
    curves_slot = st.columns([1, 1])[0].empty()

    def draw(model):
        import keras

        scores = np.asarray(keras.ops.convert_to_numpy(model(xte, training=False))).ravel()
        m = compute_threshold_metrics(yte, scores, float(tau))
        curve = compute_roc(yte, scores)
        cached_figure(draw_threshold, curve, m, slot=roc_slot)
        if len(entry.history):
            cached_figure(history_figure, entry.history.history, ("loss", "val_loss"), 4.5, 3.2, slot=curves_slot)
        with metrics_slot.container():
            k = st.columns(5)
            k[0].metric("TPR (sensitivity)", f"{m.tpr:.3f}")
            k[1].metric("FPR (1 − specificity)", f"{m.fpr:.3f}")
            k[2].metric("accuracy", f"{m.accuracy:.3f}")
            k[3].metric("precision", f"{m.precision:.3f}")
            k[4].metric("AUC (any τ)", f"{curve.auc:.3f}")

    if go:
        from models.training import train

        with stop_button(key="neuron_stop", beside=go):
            train(entry.model, xtr, ytr, epochs=int(epochs), batch_size=32, validation_data=(xte, yte),
                  learning_rate=float(lr), history=entry.history,
                  observers=[LiveTraining(lambda progress, model: draw(model))])
        remember_demo("neuron", demo_settings, entry, int(epochs))
    draw(entry.model)
    report(entry.history)  # also a run that diverged in its first epoch (no epoch recorded)
    if entry.history.status != "new":
        import keras

        test_scores = np.asarray(keras.ops.convert_to_numpy(entry.model(xte, training=False))).ravel()
        rows = [compute_threshold_metrics(yte, test_scores, t) for t in (0.3, 0.5, 0.7)]
        auc = compute_roc(yte, test_scores).auc
        st.dataframe(pd.DataFrame({
            "τ": [f"{m.threshold:.1f}" for m in rows],
            "TP, FN, FP, TN": [", ".join(str(int(v)) for v in m.lecture_table.ravel()) for m in rows],
            "TPR": [f"{m.tpr:.3f}" for m in rows], "FPR": [f"{m.fpr:.3f}" for m in rows],
            "accuracy": [f"{m.accuracy:.3f}" for m in rows], "AUC": [f"{auc:.3f}"] * len(rows)}),
            hide_index=True)
        st.caption("The same trained neuron, the same test scores, three thresholds (lecture 003, question 2): "
                   "the errors move with τ, the AUC does not.")
    if entry.history.status == "new":
        st.info("The neuron is untrained (random weights): press **Train**.")
