"""Gradient descent: one weight, two-parameter surfaces with Keras optimizers, batch sizes."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.ui import cached_figure, figure, url_setting, write_url
from explainers.optim import (
    OPTIMIZERS, SURFACES, compute_adam_steps, compute_line_descent, compute_optimizer_path, compute_optimizer_paths,
    line_cost,
)
from explainers.optim_plots import plot_batch_runs, plot_line_descent, plot_line_fit, plot_path_losses, plot_surface_paths
from models.data import make_stroke
from models.recipes import compare_batch_sizes

st.title("Gradient descent")
st.markdown("Training means walking downhill on the loss: compute the slope, step against it, "
            "$\\theta \\leftarrow \\theta - \\alpha \\nabla C(\\theta)$. The learning rate α decides how far.")


def draw_line_descent(ld):
    fig = figure(10, 3.6)
    a1, a2 = fig.subplots(1, 2, width_ratios=[1.4, 1])
    plot_line_descent(ld, a1)
    plot_line_fit(ld, a2)
    return fig


def draw_surface_paths(result):
    fig = figure(11, 4.2)
    a1, a2 = fig.subplots(1, 2, width_ratios=[1.4, 1])
    plot_surface_paths(result, a1)
    if result.paths:
        plot_path_losses(result, a2)
    return fig


def draw_batch_runs(result):
    return plot_batch_runs(result, figure(9, 3.4).subplots()).figure


tab_1d, tab_2d, tab_batch = st.tabs(["One weight: y = w·x", "Optimisers on loss surfaces", "Batch size"])

with tab_1d:
    st.markdown("The lecture's model y = w·x with one weight, fitted to five points by minimising "
                "$C(w) = \\sum_{i=1}^5 (w x_i - y_i)^2$. Step through gradient descent; try a tiny α (it crawls) "
                "and a large one (it overshoots and diverges: here for α > 1/Σx² ≈ 0.018).")
    c = st.columns(3)
    w0 = c[0].slider("start w", -1.0, 3.0, step=0.05, key=url_setting("gd_w0", 0.2, bounds=(-1.0, 3.0)))
    alpha = c[1].select_slider("learning rate α", [0.001, 0.003, 0.006, 0.01, 0.015, 0.018, 0.019, 0.02, 0.03],
                               key=url_setting("gd_alpha", 0.006, options=[0.001, 0.003, 0.006, 0.01, 0.015, 0.018,
                                                                           0.019, 0.02, 0.03]))
    n_steps = c[2].slider("steps", 0, 40, key=url_setting("gd_steps", 3, bounds=(0, 40)))
    ld = compute_line_descent(w0=w0, learning_rate=alpha, steps=n_steps)
    cached_figure(draw_line_descent, ld)
    if ld.diverged:
        st.error(f"α = {alpha} is too large: w blew up after {len(ld.ws) - 1} steps. Lower α.")
    steps_df = pd.DataFrame({"step": np.arange(len(ld.ws)), "w": ld.ws, "C(w)": ld.costs, "slope C'(w)": ld.slopes,
                             "next w = w − α·C'(w)": ld.ws - alpha * ld.slopes})
    st.dataframe(steps_df.head(12), hide_index=True)
    st.caption("The five points are illustrative: the slides draw them but do not list their values, so the "
               f"losses differ from the slide's (C(0.85) = 5.4, C(0.65) = 12.3). Here C(0.65) = {line_cost(0.65):.2f}, "
               f"C(0.85) = {line_cost(0.85):.2f}, C(0.95) = {line_cost(0.95):.2f}; the best w is {ld.w_best:.3f}.")

DEFAULT_LR = {"bowl": 0.1, "ravine": 0.15, "saddle": 0.05, "rosenbrock": 0.002}

with tab_2d:
    st.markdown("Two parameters, four landscapes. Each path is a real Keras optimizer (`keras.optimizers.SGD`, "
                "SGD with momentum 0.9, `RMSprop`, `Adam`) updating two `keras.Variable`s from the same start. "
                "In the ravine plain SGD zig-zags across the steep direction; momentum and Adam run along it. "
                "On the saddle a start almost on the ridge escapes slowly.")
    c = st.columns([1, 2, 1, 1])  # the multiselect's four chips need room at 1024 px
    surf = c[0].selectbox("Surface", tuple(SURFACES), key=url_setting("gd_surface", "ravine", options=tuple(SURFACES)))
    chosen = c[1].multiselect("Optimisers", OPTIMIZERS, key=url_setting("gd_opts", list(OPTIMIZERS), options=OPTIMIZERS))
    lr2 = c[2].number_input("learning rate", 1e-4, 5.0, format="%.4f",
                            key=url_setting("gd_lr", 0.15, bounds=(1e-4, 5.0)))
    steps2 = c[3].slider("steps", 1, 200, key=url_setting("gd_steps2", 60, bounds=(1, 200)))
    s = SURFACES[surf]
    c = st.columns(4)
    sx = c[0].number_input("start θ₀", s.box[0], s.box[1], value=float(s.start[0]), step=0.1, key=f"gd_sx_{surf}")
    sy = c[1].number_input("start θ₁", s.box[2], s.box[3], value=float(s.start[1]), step=0.1, key=f"gd_sy_{surf}")
    c[2].caption(f"Suggested learning rate here: {DEFAULT_LR[surf]}")

    @st.cache_data(show_spinner=False, max_entries=128)
    def cached_paths(surface, optimizers, start, lr, steps):
        return compute_optimizer_paths(surface, optimizers, start=start, learning_rate=lr, steps=steps)

    @st.cache_data(show_spinner=False, max_entries=128)
    def cached_path(surface, optimizer, start, lr, steps):
        return compute_optimizer_path(surface, optimizer, start=start, learning_rate=lr, steps=steps)

    with st.spinner("Running the optimisers…"):
        result = cached_paths(surf, tuple(chosen), (sx, sy), float(lr2), int(steps2))
    cached_figure(draw_surface_paths, result)
    for p in result.paths:
        if p.diverged:
            st.error(f"{p.optimizer} diverged after {len(p.path) - 1} steps at learning rate {p.learning_rate}: "
                     f"lower it (try {DEFAULT_LR[surf]}).")
    with st.expander("Adam written out (lecture 002) vs keras.optimizers.Adam"):
        st.markdown("$m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t$, $v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2$, "
                    "$\\hat m_t = m_t/(1-\\beta_1^t)$, $\\hat v_t = v_t/(1-\\beta_2^t)$, "
                    "$\\theta_{t+1} = \\theta_t - \\eta\\,\\hat m_t/(\\sqrt{\\hat v_t} + \\hat\\epsilon)$")
        mine = compute_adam_steps(surf, start=(sx, sy), learning_rate=float(lr2), steps=int(steps2))
        lecture = compute_adam_steps(surf, start=(sx, sy), learning_rate=float(lr2), steps=int(steps2), form="lecture")
        keras_path = next((p for p in result.paths if p.optimizer == "adam"), None) \
            or cached_path(surf, "adam", (sx, sy), float(lr2), int(steps2))
        k = min(len(mine.path), len(keras_path.path), 6)
        st.dataframe(pd.DataFrame({
            "step": np.arange(k),
            "written out θ₀": mine.path[:k, 0], "Keras Adam θ₀": keras_path.path[:k, 0],
            "written out θ₁": mine.path[:k, 1], "Keras Adam θ₁": keras_path.path[:k, 1]}), hide_index=True)
        n = min(len(mine.path), len(keras_path.path))
        st.caption(f"Largest difference over {n - 1} steps: "
                   f"{np.abs(mine.path[:n] - keras_path.path[:n]).max():.1e} (Keras works in float32). Keras puts ε "
                   "outside the root (ε̂ = ε√(1−β₂ᵗ)); the slide writes √(v̂ + ε): with ε = 1e-7 that path differs by "
                   f"{np.abs(lecture.path[:n] - mine.path[:n]).max():.1e}.")

with tab_batch:
    st.markdown("The same logistic neuron trained on the stroke cohort with the same α and epochs, updating after "
                "**all** samples (full batch), after **32** (mini-batch) or after **each one** (stochastic). "
                "Full batch: one smooth step per epoch. SGD: many noisy steps — more progress per epoch, but each "
                "update costs a round-trip, which is why Keras is slow at batch size 1.")
    c = st.columns(3)
    b_epochs = c[0].slider("epochs", 1, 20, key=url_setting("gd_bepochs", 5, bounds=(1, 20)))
    b_lr = c[1].select_slider("α", [0.01, 0.03, 0.1, 0.3, 1.0], key=url_setting("gd_blr", 0.1, options=[0.01, 0.03, 0.1, 0.3, 1.0]))
    timing = c[2].toggle("Also time one Keras epoch each", key=url_setting("gd_btime", False))
    write_url()

    @st.cache_data(show_spinner=False)
    def cached_batches(epochs, lr, timing):
        x, y = make_stroke(400, seed=0)
        x = (x - x.mean(0)) / x.std(0)
        return compare_batch_sizes(x, y, (0, 32, 1), epochs=epochs, learning_rate=lr, keras_timing=timing)

    with st.spinner("Training three ways…"):
        comparison = cached_batches(int(b_epochs), float(b_lr), bool(timing))
    runs = comparison.runs
    cached_figure(draw_batch_runs, comparison)
    table = {
        "method": [r.label for r in runs], "batch size": [r.batch_size for r in runs],
        "updates": [len(r.losses) for r in runs], "final loss": [r.losses[-1] for r in runs],
        "NumPy time (s)": [r.seconds for r in runs]}
    if timing:  # the column only when it was measured, not a column of "None"
        table["one Keras fit() epoch (s)"] = [r.keras_seconds_per_epoch for r in runs]
    st.dataframe(pd.DataFrame(table), hide_index=True)
