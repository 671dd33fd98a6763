"""Universal approximation: one hidden layer of N neurons fits a curve; depth against width at one budget."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import pandas as pd
import streamlit as st

from app_pages.ui import cached_figure, predict_then_see, url_setting, write_url
from explainers.approximation import width_for_params
from explainers.approximation_plots import plot_fits
from models.recipes import CurveFits, fit_curve

st.title("Universal approximation")
st.markdown("**Universal approximation theorem** (lecture 003, *Why single hidden layer is useful?*). Consider a "
            "continuous function $f^* : \\mathcal{K} \\to \\mathbb{R}^q$ where $\\mathcal{K} \\subset "
            "\\mathbb{R}^p$ is a compact set. Then for any non-polynomial activation function σ(·) and any "
            "ε > 0 there exists an $N_1$ and parameters $W^{[1]} \\in \\mathbb{R}^{N_1 \\times p}$, "
            "$b^{[1]} \\in \\mathbb{R}^{N_1}$ and $W^{[2]} \\in \\mathbb{R}^{q \\times N_1}$ such that "
            "the function")
st.latex(r"f_\theta(x) = W^{[2]}\,\sigma\big(W^{[1]}x + b^{[1]}\big) \quad\text{satisfies}\quad "
         r"\|f_\theta(x) - f^*(x)\| < \varepsilon \ \text{for all } x \in \mathcal{K}.")
st.markdown("In the lecture's simple words: *a neural network with just one hidden layer can, in principle, learn "
            "to approximate any smooth function, if it has enough hidden neurons.* Here p = q = 1, "
            "$\\mathcal{K} = [-\\pi, \\pi]$ and σ = tanh (non-polynomial); our networks also have an output bias "
            "$b^{[2]}$, which the theorem does not need. The curve is $f^*(x) = 5\\cos x + 7\\cos 2x + \\cos 4x$, "
            "the example lecture 004 expands in a **Fourier basis** (cos x, cos 2x, cos 4x with coefficients 5, 7 "
            "and 1); here N tanh neurons must find their own basis. More neurons, more bends, lower error. Then "
            "compare a wide net with a deeper one of the same parameter count.")
predict_then_see(
    "trainable", "Does the fact that a neural network can approximate very complex functions guarantee that we "
    "can easily train it?", ["Yes", "No", "Only with one hidden layer"], 1,
    "The theorem says good weights exist; it does not say gradient descent finds them, nor in how many steps "
    "(lecture 003: *representation alone is not enough; we must learn the parameters from data*). Fit N = 64 "
    "at 50 epochs and again at 800: the same network, able to represent the curve, is far from it after 50 "
    "epochs; the table below says by how much, and a smaller net can beat a wider one at the same epochs.",
    lecture="Lecture 003, question 4")

NEURONS = [1, 2, 4, 8, 16, 32, 64]
EPOCHS = [50, 100, 200, 400, 800]
BUDGETS = [50, 100, 150, 300]


def draw_fits(fits):
    return plot_fits(fits).figure


@st.cache_data(show_spinner=False, max_entries=64)
def cached_fit(hidden: tuple[int, ...], epochs: int):
    return fit_curve(hidden, epochs=epochs, learning_rate=0.02)


c = st.columns([1.4, 1, 1])  # room for the chosen Ns at 1024 px
ns = c[0].multiselect("Hidden neurons N", NEURONS, key=url_setting("ua_n", [1, 2, 4, 8], options=NEURONS))
epochs = c[1].select_slider("Epochs", EPOCHS, key=url_setting("ua_epochs", 200, options=EPOCHS))
budget = c[2].select_slider("Depth vs width: parameter budget", BUDGETS, key=url_setting("ua_budget", 150,
                                                                                         options=BUDGETS))
write_url()
b = st.columns(2)  # each button above the result it draws
if b[0].button("Fit N neurons", icon=":material/show_chart:", key="ua_fit") and ns:
    with st.spinner("Training one network per N…"):
        st.session_state["ua_fits_epochs"] = int(epochs)
        st.session_state["ua_fits"] = CurveFits(tuple(cached_fit((int(n),), int(epochs)) for n in sorted(ns)),
                                                "Width N, one hidden layer")
if b[1].button("Depth vs width", icon=":material/stacked_line_chart:", key="ua_depth"):
    nets = [(width_for_params(budget, depth),) * depth for depth in (1, 2, 3)]
    with st.spinner("Training a wide, a 2-layer and a 3-layer network…"):
        st.session_state["ua_depth_fits"] = CurveFits(tuple(cached_fit(h, int(epochs)) for h in nets),
                                                      "Same parameter budget, more layers")
cols = st.columns(2)
captions = {
    "ua_fits": "A wider net can always do at least as well, but only if training finds the weights: "
               "large N may need more epochs before its error drops below a smaller net's.",
    "ua_depth_fits": "The same number of weights spent on one, two or three hidden layers: the MSE column "
                     "says which spends them best on this curve, at this many epochs.",
}
for col, key, title in ((cols[0], "ua_fits", "Width N, one hidden layer"),
                        (cols[1], "ua_depth_fits", "Same parameter budget, more layers")):
    fits = st.session_state.get(key)
    if fits is not None:
        cached_figure(draw_fits, fits, slot=col)
        col.caption(captions[key])
        col.dataframe(pd.DataFrame({"hidden": ["-".join(map(str, f.hidden)) for f in fits.fits],
                                    "parameters": [f.params for f in fits.fits],
                                    "MSE": [f.mse for f in fits.fits]}), hide_index=True)
        if key == "ua_fits" and len(fits.fits) > 1:
            widest = max(fits.fits, key=lambda f: f.params)
            best = min(fits.fits, key=lambda f: f.mse)
            col.caption(
                f"Lecture 003, question 4, measured: N = {widest.hidden[0]} has MSE {widest.mse:.3g} after "
                f"{st.session_state.get('ua_fits_epochs', epochs)} epochs"
                + (f", worse than N = {best.hidden[0]} ({best.mse:.3g}): it could represent the curve better, "
                   "but training has not found those weights." if best is not widest else
                   ", the best here: at this many epochs training found good weights for the widest net.")
                + " The theorem promises the weights exist, not that training finds them.")
    else:
        col.info(f"{title}: press the button above (each network trains for a few seconds).")
