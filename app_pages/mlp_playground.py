"""MLP playground: train a small network live on 2-D data, see every neuron, backprop by hand."""
import time
import zlib

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.ui import (
    cached_figure, figure, plot_history, report, session_model, stop_button, url_setting, write_url,
)
from explainers.basics_plots import neuron_mosaic, plot_backprop, plot_decision_boundary, plot_fits, plot_points
from models.data import POINT_KINDS, height_weight_table, load_breast_cancer, make_points, train_test_split_arrays

st.title("MLP playground")
st.markdown(
    "A network with hidden layers can draw curved decision boundaries that a single neuron (a line) cannot. "
    "Train one live and watch the boundary, the train/test loss and **every hidden neuron** change."
)



def glorot_weights(weights, seed: int):
    """Glorot-uniform kernels and zero biases from a NumPy generator (thread-safe, unlike a global seed)."""
    rng = np.random.default_rng(seed)
    out = []
    for w in weights:
        if w.ndim == 2:
            limit = np.sqrt(6.0 / (w.shape[0] + w.shape[1]))
            out.append(rng.uniform(-limit, limit, size=w.shape).astype(w.dtype))
        else:
            out.append(np.zeros_like(w))
    return out


def draw_board(db, xtr, ytr, xte, yte, x_unknown, p5, history):
    """The decision boundary with the points, and the loss curves."""
    fig = figure(9, 3.8)
    a1, a2 = fig.subplots(1, 2)
    epochs = len(history.get("loss", []))
    plot_decision_boundary(db, a1, title=f"Decision boundary after {epochs} epochs")
    plot_points(xtr, ytr, a1)
    if xte is not None:
        plot_points(xte, yte, a1, edge="black")
    if x_unknown is not None:
        a1.scatter(x_unknown[:, 0], x_unknown[:, 1], marker="*", s=250, facecolors="none", edgecolors="k")
        a1.annotate(f"P5: p(M) = {p5:.2f}", x_unknown[0], textcoords="offset points", xytext=(8, -12))
    plot_history(history, ("loss", "val_loss"), a2, title="Train (loss) and test (val_loss) loss")
    if not epochs:
        a2.text(0.5, 0.5, "press Train", transform=a2.transAxes, ha="center")
    return fig


def draw_backprop(bp):
    return plot_backprop(bp).figure


def draw_fits(fits, title):
    ax = plot_fits(fits, figure(6, 3.6).subplots())
    ax.set_title(title)
    return ax.figure


tab_play, tab_bp, tab_ua = st.tabs(["Playground", "Backpropagation by hand", "Universal approximation"])

DATASETS = POINT_KINDS + ("height/weight table", "breast cancer (2 features)")
ACTS = ("relu", "tanh", "sigmoid", "leaky_relu")
LRS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
OPTS = ("adam", "sgd", "rmsprop")
L2S = [0.0, 0.0001, 0.001, 0.01, 0.1]


def parse_hidden(text: str) -> tuple[int, ...]:
    """'4, 2' -> (4, 2); '' or '0' -> () (the sigmoid model)."""
    text = text.strip()
    if text in ("", "0"):
        return ()
    widths = tuple(int(t) for t in text.replace(" ", "").split(","))
    if any(w < 1 or w > 64 for w in widths) or len(widths) > 6:
        raise ValueError(text)
    return widths


@st.cache_data(show_spinner=False)
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


class Guard:
    """Stops a run whose loss explodes or whose weights overflow.

    With sigmoid + cross-entropy the loss saturates (~15) instead of becoming
    NaN, so models.train's NaN check alone would draw garbage as if it trained.
    """

    def __init__(self, model):
        self.first = None
        self.message = ""
        self.good = model.get_weights()  # restored if the very first epoch explodes

    def on_epoch_end(self, p, model):
        loss = float(p.logs.get("loss", np.nan))
        self.first = loss if self.first is None else self.first
        big = max(float(np.abs(w).max()) for w in model.get_weights())
        if not np.isfinite(loss) or not np.isfinite(big):
            self.message = f"Epoch {p.epoch}: the loss or the weights became NaN/inf."
        elif big > 1e3:
            self.message = f"Epoch {p.epoch}: a weight reached {big:.3g} — the weights are overflowing."
        elif loss > 5 * min(self.first, np.log(2)):
            # An untrained net guesses p ≈ 0.5 (loss ln 2 ≈ 0.69); a loss 5× that means confident, wrong outputs.
            self.message = (f"Epoch {p.epoch}: the loss exploded to {loss:.3f} (guessing 0.5 everywhere "
                            f"scores {np.log(2):.3f}).")
        if self.message:
            model.set_weights(self.good)  # show the last sane weights, not the exploded ones
            return True
        self.good = model.get_weights()
        return False


# ------------------------------------------------------------------ playground
with tab_play:
    c = st.columns(4)
    data_name = c[0].selectbox("Data", DATASETS, key=url_setting("mlp_data", "circle", options=DATASETS))
    noise = c[1].slider("Noise", 0.0, 0.5, step=0.05, key=url_setting("mlp_noise", 0.1, bounds=(0.0, 0.5)))
    test_fraction = c[2].slider("Test fraction", 0.1, 0.5, step=0.05, key=url_setting("mlp_test", 0.3, bounds=(0.1, 0.5)))
    hidden_text = c[3].text_input("Hidden layers (neurons, comma-separated; 0 = none)",
                                  key=url_setting("mlp_hidden", "4,2"))
    c = st.columns(6)
    act = c[0].selectbox("Activation", ACTS, key=url_setting("mlp_act", "tanh", options=ACTS))
    lr = c[1].select_slider("Learning rate", LRS, key=url_setting("mlp_lr", 0.03, options=LRS))
    batch = c[2].select_slider("Batch size", [1, 4, 8, 16, 32, 64], key=url_setting("mlp_batch", 16, options=[1, 4, 8, 16, 32, 64]))
    opt = c[3].selectbox("Optimiser", OPTS, key=url_setting("mlp_opt", "adam", options=OPTS))
    l2 = c[4].select_slider("L2", L2S, key=url_setting("mlp_l2", 0.0, options=L2S))
    epochs = c[5].number_input("Epochs per click", 1, 500, key=url_setting("mlp_epochs", 30, bounds=(1, 500)))
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

        model = build_mlp(2, hidden, activation=act, l2=float(l2), name="mlp")
        # Same settings, same starting network: a shared link reproduces the demo, and going back to
        # earlier settings redraws from cache instead of from a new random net.
        model.set_weights(glorot_weights(model.get_weights(), seed=zlib.crc32(repr(signature).encode())))
        return model

    entry = session_model("mlp_model", signature, build)
    from explainers.boundary import decision_boundary, neuron_maps, parameter_table

    n_test = 0 if yte is None else len(yte)
    st.caption(f"{note} {len(ytr)} training, {n_test} test points (test points have black rims). "
               f"Network 2-{'-'.join(map(str, hidden)) + '-' if hidden else ''}1, {act}.")
    b = st.columns([1, 1, 4])
    go = b[0].button("Train", type="primary", icon=":material/play_arrow:", key="mlp_train")
    if b[1].button("Reset", icon=":material/restart_alt:", key="mlp_reset"):
        del st.session_state["mlp_model"]
        st.rerun()
    left, right = st.columns([1, 1])
    board_slot, neurons_slot = left.empty(), right.empty()
    numbers_slot = st.empty()

    def draw(model):
        xall = xtr if xte is None else np.concatenate([xtr, xte])
        db = decision_boundary(model, xall, resolution=60, y=None)
        p5 = None if x_unknown is None else float(np.asarray(model(x_unknown, training=False)).ravel()[0])
        cached_figure(draw_board, db, xtr, ytr, xte, yte, x_unknown, p5, entry.history.history, slot=board_slot)
        maps = neuron_maps(model, xall, resolution=30)
        with neurons_slot.container():
            st.markdown("**What each hidden neuron computes** over the same plane (one row per hidden layer; "
                        "red/blue = negative/positive output, white = 0)")
            if maps.maps:
                st.image(neuron_mosaic(maps, scale=max(2, 90 // 30)),
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

    class Throttled:
        """Redraws after epochs, at most ~5 times a second; the caller always draws the last epoch."""

        def __init__(self):
            self.last, self.cost = 0.0, 0.0
            self.bar = st.progress(0.0, text="Training…")

        def on_epoch_end(self, p, model):
            self.bar.progress(min(p.epoch / max(p.epochs, 1), 1.0), text=f"Epoch {p.epoch}/{p.epochs} · "
                              f"loss {p.logs.get('loss', float('nan')):.4f}")
            now = time.perf_counter()
            # ~5 redraws a second, but never spend more than a third of the time drawing.
            if now - self.last >= max(0.2, 2 * self.cost):
                draw(model)
                self.last = time.perf_counter()
                self.cost = self.last - now

        def on_train_end(self, history):
            self.bar.empty()

    if go:
        from models.training import train

        guard = Guard(entry.model)
        entry.extra.pop("guard", None)
        with stop_button(key="mlp_stop"):
            train(entry.model, xtr, ytr, epochs=int(epochs), batch_size=int(batch),
                  validation_data=None if xte is None else (xte, yte),
                  optimizer=None if entry.model.compiled else opt, learning_rate=float(lr),
                  history=entry.history, observers=[guard, Throttled()], steps_per_execution=1)
        if guard.message:
            entry.extra["guard"] = guard.message
        elif entry.history.status == "diverged":  # models.train caught it first (NaN or a tenfold loss)
            entry.extra["guard"] = entry.history.message
    draw(entry.model)  # always the last epoch
    if entry.extra.get("guard"):
        st.error(f"The run diverged and was stopped. {entry.extra['guard']} The picture shows the weights "
                 "before the explosion. Lower the learning rate (e.g. by 10×), then press Reset and Train.",
                 icon=":material/warning:")
    elif len(entry.history):
        report(entry.history)
    table = parameter_table(entry.model)
    st.markdown(f"**Parameters, per layer** — the course's previous × current + bias beside Keras' own count "
                f"(total {table.total} = `model.count_params()` {table.keras_total}):")
    st.dataframe(pd.DataFrame(table.records()), hide_index=True)

# ------------------------------------------------------------------ backprop
with tab_bp:
    st.markdown(
        "The forward pass computes $z = \\sum w\\,y + b$ and $y = f(z)$ layer by layer. Backpropagation starts at "
        "the output with $\\partial E/\\partial y_l = y_l - t_l$ and applies $\\partial E/\\partial z = "
        "\\partial E/\\partial y \\cdot f'(z)$ and $\\partial E/\\partial y_k = \\sum_l w_{kl}\\,\\partial E/\\partial z_l$ "
        "going back (lecture 002); each weight's gradient is $y_{in} \\cdot \\partial E/\\partial z_{out}$. "
        "TensorFlow's `GradientTape` computes the same numbers."
    )
    c = st.columns(5)
    x0 = c[0].number_input("x₀", -5.0, 5.0, step=0.1, key=url_setting("bp_x0", 0.5, bounds=(-5.0, 5.0)))
    x1 = c[1].number_input("x₁", -5.0, 5.0, step=0.1, key=url_setting("bp_x1", -1.0, bounds=(-5.0, 5.0)))
    t = c[2].number_input("target t", -1.0, 1.0, step=0.1, key=url_setting("bp_t", 1.0, bounds=(-1.0, 1.0)))
    bp_act = c[3].selectbox("f", ("sigmoid", "tanh", "relu", "leaky_relu"),
                            key=url_setting("bp_act", "sigmoid", options=("sigmoid", "tanh", "relu", "leaky_relu")))
    seed = c[4].number_input("weights (0 = default, else random seed)", 0, 999, key=url_setting("bp_seed", 0, bounds=(0, 999)))
    from explainers.backprop import DEFAULT_NET, backprop_221, tape_gradients

    if seed == 0:
        params = {k: DEFAULT_NET[k] for k in ("w_hidden", "b_hidden", "w_out", "b_out")}
    else:
        rng = np.random.default_rng(int(seed))
        params = {"w_hidden": rng.normal(0, 1, (2, 2)), "b_hidden": rng.normal(0, 0.5, 2),
                  "w_out": rng.normal(0, 1, 2), "b_out": float(rng.normal(0, 0.5))}
    bp = backprop_221((x0, x1), t, activation_name=bp_act, **params)

    @st.cache_data(show_spinner=False)
    def cached_tape(x0, x1, t, act, seed):
        return tape_gradients(backprop_221((x0, x1), t, activation_name=act, **params))

    tape = cached_tape(x0, x1, t, bp_act, seed)
    diagram, _ = st.columns([3, 1])
    cached_figure(draw_backprop, bp, slot=diagram)
    rows = [
        ("∂E/∂y (output)", "y − t", bp.dE_dy_out, tape["dE_dy_out"]),
        ("∂E/∂z (output)", "∂E/∂y · f'(z)", bp.dE_dz_out, tape["grad_b_out"]),
        *[(f"∂E/∂y hidden {j}", f"w_{j}·∂E/∂z_out", bp.dE_dy_hidden[j], tape["dE_dy_hidden"][j]) for j in range(2)],
        *[(f"∂E/∂z hidden {j}", "∂E/∂y · f'(z)", bp.dE_dz_hidden[j], tape["grad_b_hidden"][j]) for j in range(2)],
        *[(f"∂E/∂w input {i} → hidden {j}", f"x_{i} · ∂E/∂z_{j}", bp.grad_w_hidden[i, j], tape["grad_w_hidden"][i, j])
          for i in range(2) for j in range(2)],
        *[(f"∂E/∂w hidden {j} → output", f"y_{j} · ∂E/∂z_out", bp.grad_w_out[j], tape["grad_w_out"][j]) for j in range(2)],
    ]
    df = pd.DataFrame(rows, columns=["derivative", "lecture formula", "by hand", "tf.GradientTape"])
    df["difference"] = (df["by hand"] - df["tf.GradientTape"]).abs()
    st.dataframe(df, hide_index=True, column_config={c: st.column_config.NumberColumn(format="%.6f")
                                                     for c in ("by hand", "tf.GradientTape")})
    st.caption(f"Largest difference {df['difference'].max():.1e}: float32 (TensorFlow) vs float64 (NumPy) rounding. "
               "∂E/∂z is read from the tape as ∂E/∂b, since ∂z/∂b = 1.")

# ------------------------------------------------------------------ universal approximation
with tab_ua:
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
    c = st.columns(3)
    ns = c[0].multiselect("Hidden neurons N", [1, 2, 4, 8, 16, 32, 64], key=url_setting("ua_n", [1, 2, 4, 8],
                                                                                     options=[1, 2, 4, 8, 16, 32, 64]))
    ua_epochs = c[1].select_slider("Epochs", [50, 100, 200, 400, 800], key=url_setting("ua_epochs", 200,
                                                                                  options=[50, 100, 200, 400, 800]))
    budget = c[2].select_slider("Depth vs width: parameter budget", [50, 100, 150, 300],
                                key=url_setting("ua_budget", 150, options=[50, 100, 150, 300]))
    write_url()
    from explainers.approximation import fit_curve, width_for_params

    @st.cache_data(show_spinner=False, max_entries=64)
    def cached_fit(hidden, epochs):
        return fit_curve(hidden, epochs=epochs, learning_rate=0.02)

    b = st.columns([1, 1, 3])
    if b[0].button("Fit N neurons", icon=":material/show_chart:", key="ua_fit") and ns:
        with st.spinner("Training one network per N…"):
            st.session_state["ua_fits"] = [cached_fit((int(n),), int(ua_epochs)) for n in sorted(ns)]
    if b[1].button("Depth vs width", icon=":material/stacked_line_chart:", key="ua_depth"):
        nets = [(width_for_params(budget, 1),), (width_for_params(budget, 2),) * 2, (width_for_params(budget, 3),) * 3]
        with st.spinner("Training a wide, a 2-layer and a 3-layer network…"):
            st.session_state["ua_depth_fits"] = [cached_fit(h, int(ua_epochs)) for h in nets]
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
        if fits:
            cached_figure(draw_fits, fits, title, slot=col)
            col.caption(captions[key])
            col.dataframe(pd.DataFrame({"hidden": ["-".join(map(str, f.hidden)) for f in fits],
                                        "parameters": [f.params for f in fits],
                                        "MSE": [f.mse for f in fits]}), hide_index=True)
        else:
            col.info(f"{title}: press the button above (each network trains for a few seconds).")
