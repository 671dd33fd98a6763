"""Backpropagation by hand on a 2-2-1 net, beside the numbers tf.GradientTape computes."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import pandas as pd
import streamlit as st

from app_pages.ui import cached_figure, url_setting, write_url
from explainers.activations import ACTIVATIONS
from explainers.backprop import compute_backprop, compute_backprop_comparison, net_parameters
from explainers.backprop_plots import plot_backprop

st.title("Backpropagation by hand")
st.markdown(
    "The forward pass computes $z = \\sum w\\,y + b$ and $y = f(z)$ layer by layer. Backpropagation starts at "
    "the output with $\\partial E/\\partial y_l = y_l - t_l$ and applies $\\partial E/\\partial z = "
    "\\partial E/\\partial y \\cdot f'(z)$ and $\\partial E/\\partial y_k = \\sum_l w_{kl}\\,\\partial E/\\partial z_l$ "
    "going back (lecture 002); each weight's gradient is $y_{in} \\cdot \\partial E/\\partial z_{out}$. "
    "TensorFlow's `GradientTape` computes the same numbers."
)


def draw_backprop(bp):
    return plot_backprop(bp).figure


@st.cache_data(show_spinner=False, max_entries=128)
def cached_comparison(x0: float, x1: float, t: float, act: str, seed: int):
    """The hand computation and the tape's numbers for one setting (the tape builds a Keras model)."""
    bp = compute_backprop((x0, x1), t, activation_name=act, **net_parameters(seed))
    return bp, compute_backprop_comparison(bp)


c = st.columns(5)
x0 = c[0].number_input("x₀", -5.0, 5.0, step=0.1, key=url_setting("bp_x0", 0.5, bounds=(-5.0, 5.0)))
x1 = c[1].number_input("x₁", -5.0, 5.0, step=0.1, key=url_setting("bp_x1", -1.0, bounds=(-5.0, 5.0)))
t = c[2].number_input("target t", -1.0, 1.0, step=0.1, key=url_setting("bp_t", 1.0, bounds=(-1.0, 1.0)))
act = c[3].selectbox("f", ACTIVATIONS, key=url_setting("bp_act", "sigmoid", options=ACTIVATIONS))
seed = c[4].number_input("weights (0 = default, else random seed)", 0, 999,
                         key=url_setting("bp_seed", 0, bounds=(0, 999)))
write_url()
bp, comparison = cached_comparison(float(x0), float(x1), float(t), act, int(seed))
diagram, _ = st.columns([3, 1])
cached_figure(draw_backprop, bp, slot=diagram)
st.dataframe(pd.DataFrame(comparison.records()), hide_index=True,
             column_config={c: st.column_config.NumberColumn(format="%.6f") for c in ("by hand", "tf.GradientTape")})
st.caption(f"Largest difference {comparison.max_difference:.1e}: float32 (TensorFlow) vs float64 (NumPy) rounding. "
           "∂E/∂z is read from the tape as ∂E/∂b, since ∂z/∂b = 1.")
