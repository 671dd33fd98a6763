"""Gradient descent: one weight, two-parameter surfaces with Keras optimizers, batch sizes."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.ui import cached_figure, figure, predict_then_see, url_setting, write_url
from explainers.optim import (
    OPTIMIZERS, SURFACES, compute_adam_steps, compute_descent_basins, compute_lecture_losses, compute_line_descent,
    compute_optimizer_path, compute_optimizer_paths, compute_slope_estimates,
)
from explainers.optim_plots import (
    plot_batch_runs, plot_descent_basins, plot_lecture_losses, plot_line_descent, plot_line_fit, plot_path_losses,
    plot_secants, plot_slope_estimates, plot_surface_paths,
)
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


def draw_lecture_losses(losses):
    return plot_lecture_losses(losses, figure(4.6, 3.4).subplots()).figure


def draw_slopes(slopes):
    fig = figure(10, 3.4)
    a1, a2 = fig.subplots(1, 2)
    plot_secants(slopes, a1)
    plot_slope_estimates(slopes, a2)
    return fig


def draw_basins(basins):
    return plot_descent_basins(basins, figure(9.5, 4.2).subplots()).figure


def draw_surface_paths(result):
    fig = figure(11, 4.2)
    a1, a2 = fig.subplots(1, 2, width_ratios=[1.4, 1])
    plot_surface_paths(result, a1)
    if result.paths:
        plot_path_losses(result, a2)
    return fig


def draw_batch_runs(result):
    return plot_batch_runs(result, figure(9, 3.4).subplots()).figure


def _numbers(values) -> str:
    return "(" + ", ".join(f"{v:g}" for v in values) + ")"


tab_1d, tab_q5, tab_2d, tab_batch = st.tabs(["One weight: y = w·x", "Global minimum?", "Optimisers", "Batch size"])

ALPHAS = [0.001, 0.002, 0.003, 0.006, 0.008, 0.0095, 0.01, 0.0105, 0.012, 0.02, 0.03]

with tab_1d:
    lecture = compute_lecture_losses()
    sum_xx, sum_xy, sum_yy = lecture.sums
    st.markdown("Lecture 003 fits the one-weight model y = w·x (a neuron with a linear activation, no bias) to "
                "five points, with the loss $C(w) = \\sum_{i=1}^5 C_i(w) = \\sum_{i=1}^5 (w x_i - y_i)^2$, and "
                "tries three weights: w = 0.85, 0.65 and 0.95.")
    left, right = st.columns([3, 2])
    left.dataframe(pd.DataFrame({"try w": lecture.ws, "lecture 003": lecture.slide_losses,
                                 "C(w) here": lecture.losses}).style.format({"try w": "{:.2f}", "lecture 003": "{:.1f}",
                                                                            "C(w) here": "{:.2f}"}),
                   hide_index=True)
    left.markdown(
        f"Here x = {_numbers(lecture.x)}, y = {_numbers(lecture.y)}. C(w) = Σx²·w² − 2Σxy·w + Σy² is a parabola, "
        f"so the slide's three values fix it: the one through them has its minimum at w = "
        f"**{lecture.parabola_best_w:.3f}**. The points enter only through Σx² = {sum_xx:g}, Σxy = {sum_xy:g}, "
        f"Σy² = {sum_yy:g}: these five give C(0.65) = {lecture.losses[0]:.2f}, C(0.85) = {lecture.losses[1]:.2f}, "
        f"C(0.95) = {lecture.losses[2]:.2f} and the best w = Σxy/Σx² = **{lecture.w_best:.3f}**.")
    left.caption(
        "The slides draw the five points but do not list them, so these are one set that reproduces the three "
        "losses; any set with the same three sums would. The slide's rounding to one decimal leaves Σx² between "
        f"{lecture.sum_xx_range[0]:.1f} and {lecture.sum_xx_range[1]:.1f} and the best w between "
        f"{lecture.best_w_range[0]:.3f} and {lecture.best_w_range[1]:.3f}.")
    cached_figure(draw_lecture_losses, lecture, slot=right)

    st.subheader("Step by step")
    st.markdown(f"Step through gradient descent w ← w − α·C'(w); try a tiny α (it crawls) and a large one (it "
                f"overshoots). The bend of C is 2Σx², so the steps shrink only for α < 1/Σx² = "
                f"{1 / sum_xx:g}: at exactly {1 / sum_xx:g} w bounces for ever, above it it diverges.")
    c = st.columns(3)
    w0 = c[0].slider("start w", -1.0, 3.0, step=0.05, key=url_setting("gd_w0", 0.2, bounds=(-1.0, 3.0)))
    alpha = c[1].select_slider("learning rate α", ALPHAS, key=url_setting("gd_alpha", 0.003, options=ALPHAS))
    n_steps = c[2].slider("steps", 0, 40, key=url_setting("gd_steps", 3, bounds=(0, 40)))
    ld = compute_line_descent(w0=w0, learning_rate=alpha, steps=n_steps, x=lecture.x, y=lecture.y)
    cached_figure(draw_line_descent, ld)
    factor = 1 - 2 * alpha * sum_xx  # w − w* is multiplied by this at every step (C is a parabola)
    if ld.diverged:
        st.error(f"α = {alpha} is too large: w blew up after {len(ld.ws) - 1} steps. Lower α.")
    elif abs(factor) > 1 + 1e-12:
        st.warning(f"α = {alpha} is too large (above 1/Σx² = {1 / sum_xx:g}): each step overshoots the best w "
                   f"by more than the last, the distance to it grows ×{abs(factor):.2f} per step. Lower α.")
    elif abs(factor) > 1 - 1e-12:
        st.info(f"α = 1/Σx² = {1 / sum_xx:g} exactly: each step lands as far beyond the best w as it started "
                f"before it, so w jumps between {ld.ws[0]:.3f} and {2 * ld.w_best - ld.ws[0]:.3f} for ever.")
    steps_df = pd.DataFrame({"step": np.arange(len(ld.ws)), "w": ld.ws, "C(w)": ld.costs, "slope C'(w)": ld.slopes,
                             "next w = w − α·C'(w)": ld.ws - alpha * ld.slopes})
    st.dataframe(steps_df.head(12), hide_index=True)

    st.subheader("The slope: rise over run")
    st.markdown("Lecture 003 estimates the slope at a point θ as rise over run, "
                "$\\frac{C(\\theta + \\Delta) - C(\\theta)}{\\Delta} \\approx C'(\\theta)$ for a small positive Δ "
                "(the slide prints the run as (θ + Δ) − Δ, a slip for (θ + Δ) − θ = Δ). Here Δ is h, beside the "
                "exact derivative C'(w) = Σ 2xᵢ(w·xᵢ − yᵢ).")
    w_slope = st.slider("slope at w", 0.0, 2.0, step=0.05, key=url_setting("gd_slope_w", 0.65, bounds=(0.0, 2.0)))
    slopes = compute_slope_estimates(float(w_slope), x=lecture.x, y=lecture.y)
    st.dataframe(pd.DataFrame({"run h": [f"{h:g}" for h in slopes.hs], "rise C(w+h) − C(w)": slopes.rises,
                               "rise / run": slopes.estimates, "C'(w)": slopes.derivative,
                               "error": slopes.errors}).style.format(
        {"rise C(w+h) − C(w)": "{:.6g}", "rise / run": "{:.8f}", "C'(w)": "{:.8f}", "error": "{:.2e}"}),
        hide_index=True)
    cached_figure(draw_slopes, slopes)
    exact = slopes.hs >= 1e-6
    worst_small = float(np.abs(slopes.errors[-1]))
    best = int(np.argmin(np.abs(slopes.errors)))
    st.caption(f"From h = 1 down to 1e-6 the error is Σx²·h = {slopes.curvature:g}·h (largest difference "
               f"{np.abs(slopes.errors[exact] - slopes.curvature * slopes.hs[exact]).max():.1e}), because C is a "
               f"parabola: C(w + h) − C(w) = C'(w)·h + Σx²·h². Shrinking h helps until the two losses agree in "
               f"almost all of float64's ~16 digits: the best estimate here is at h = {slopes.hs[best]:g}, and at "
               f"h = {slopes.hs[-1]:g} it is off by {worst_small:.1e}.")

Q5_RATES = [0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25]


@st.cache_data(show_spinner=False, max_entries=64)
def cached_basins(learning_rate, steps, starts, momentum):
    return compute_descent_basins("two_valleys", starts=starts, learning_rate=learning_rate, steps=steps,
                                  momentum=momentum)


with tab_q5:
    question = st.container()
    st.markdown("A surface with two valleys, a deep one (the global minimum) and a shallower one (a worse local "
                "minimum). Gradient descent runs from every start on a grid; each path is coloured by the "
                "minimum it ends in.")
    c = st.columns(4)
    q_lr = c[0].select_slider("learning rate α", Q5_RATES, key=url_setting("gd_q5_lr", 0.02, options=Q5_RATES))
    q_steps = c[1].slider("steps", 10, 600, step=10, key=url_setting("gd_q5_steps", 300, bounds=(10, 600)))
    q_starts = c[2].slider("starts per side", 3, 12, key=url_setting("gd_q5_starts", 7, bounds=(3, 12)))
    q_momentum = c[3].toggle("momentum 0.9", key=url_setting("gd_q5_momentum", False))
    basins = cached_basins(float(q_lr), int(q_steps), int(q_starts), 0.9 if q_momentum else 0.0)
    worse = 1 - basins.best
    n_runs = len(basins.starts)
    shown = basins if basins.counts[worse] else cached_basins(0.02, 300, 7, 0.0)
    with question:
        predict_then_see(
            "gd_q5", "Does gradient descent guarantee that we find the global minimum of the loss function?",
            ["Yes, always", "No", "Yes, if α is small enough"], 1,
            f"Gradient descent only walks downhill from where it starts. In the demo below "
            f"{shown.counts[1 - shown.best]} of {len(shown.starts)} runs (α = {shown.learning_rate:g}) stop in the "
            f"worse local minimum (f = {shown.minimum_losses[1 - shown.best]:.2f}), not the global one "
            f"(f = {shown.minimum_losses[shown.best]:.2f}); a smaller α only makes them arrive more slowly.",
            lecture="Lecture 003, question 5")
    cached_figure(draw_basins, basins)
    names = ["global" if i == basins.best else "local (worse)" for i in range(len(basins.minima))]
    st.dataframe(pd.DataFrame({"minimum": names + ["neither"],
                               "θ₀": [f"{v:.3f}" for v in basins.minima[:, 0]] + ["–"],
                               "f there": [f"{v:.3f}" for v in basins.minimum_losses] + ["–"],
                               "runs ending there": list(basins.counts) + [basins.unsettled]}), hide_index=True)
    st.markdown(f"**{basins.counts[worse]} of {n_runs}** runs end in the worse minimum, "
                f"**{basins.counts[basins.best]}** in the global one.")
    if basins.unsettled:
        moving = basins.unsettled - basins.diverged
        parts = [f"{basins.diverged} blew up"] if basins.diverged else []
        parts += [f"{moving} still moving"] if moving else []
        st.warning(f"{basins.unsettled} run(s) ended in neither minimum after {basins.steps} steps "
                   f"({', '.join(parts)}). Lower α or give more steps.")
    limits = " and ".join(f"the {name.split(' ')[0]} one for α < {a:.3f}"
                          for name, a in zip(names, basins.stable_below))
    st.caption(f"Plain gradient descent can settle in a minimum only if α is below 2 / (the sharpest bend there, "
               f"the Hessian's largest eigenvalue): {limits} (momentum μ raises each limit by a factor 1 + μ). "
               f"Above it the runs bounce out, so a large step can even favour the flatter, worse minimum "
               f"(try α = 0.25).")
    st.caption("Lecture 003 shows real networks' loss landscapes at losslandscape.com; the Loss landscapes page "
               "draws slices of a trained network's loss.")

DEFAULT_LR = {"bowl": 0.1, "ravine": 0.15, "saddle": 0.05, "rosenbrock": 0.002, "two_valleys": 0.02}

with tab_2d:
    st.markdown("Two parameters, five landscapes. Each path is a real Keras optimizer (`keras.optimizers.SGD`, "
                "SGD with momentum 0.9, `RMSprop`, `Adam`) updating two `keras.Variable`s from the same start. "
                "In the ravine plain SGD zig-zags across the steep direction; momentum and Adam run along it. "
                "On the saddle a start almost on the ridge escapes slowly; on the two valleys (question 5) each "
                "optimiser ends in the valley it starts in unless its steps carry it over the hump.")
    c = st.columns([1, 2, 1, 1])  # the multiselect's four chips need room at 1024 px
    surf = c[0].selectbox("Surface", tuple(SURFACES), key=url_setting("gd_surface", "ravine", options=tuple(SURFACES)))
    chosen = c[1].multiselect("Optimisers", OPTIMIZERS,
                              key=url_setting("gd_opts", list(OPTIMIZERS), options=OPTIMIZERS))
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
    b_lr = c[1].select_slider("α", [0.01, 0.03, 0.1, 0.3, 1.0],
                              key=url_setting("gd_blr", 0.1, options=[0.01, 0.03, 0.1, 0.3, 1.0]))
    timing = c[2].toggle("Also time one Keras epoch each", key=url_setting("gd_btime", False))
    write_url()

    @st.cache_data(show_spinner=False, max_entries=16)
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
