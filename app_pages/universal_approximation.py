"""Universal approximation: one hidden layer of N neurons fits a curve; depth against width at one budget."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import pandas as pd
import streamlit as st

from app_pages.ui import cached_figure, url_setting, write_url
from explainers.approximation import width_for_params
from explainers.approximation_plots import plot_fits
from models.recipes import CurveFits, fit_curve

st.title("Universal approximation")
st.markdown("**Universal approximation theorem** (lecture 003). For a continuous f* on a compact set "
            "$\\mathcal{K} \\subset \\mathbb{R}^p$, any non-polynomial activation σ and any ε > 0, there are "
            "N₁ hidden neurons and weights such that")
st.latex(r"f_\theta(x) = W^{[2]}\,\sigma\big(W^{[1]}x + b^{[1]}\big) \quad\text{satisfies}\quad "
         r"\|f_\theta(x) - f^*(x)\| < \varepsilon \ \text{for all } x \in \mathcal{K}.")
st.markdown("In the lecture's words: one hidden layer can, in principle, approximate any smooth function "
            "if it has enough hidden neurons. Try it on lecture 004's Fourier-basis example "
            "$f(x) = 5\\cos x + 7\\cos 2x + \\cos 4x$ on $[-\\pi, \\pi]$ with N tanh neurons: more "
            "neurons, more bends, lower error. Then compare a wide net with a deeper one of the same parameter "
            "count.")

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
    else:
        col.info(f"{title}: press the button above (each network trains for a few seconds).")
