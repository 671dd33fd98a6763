"""Why residual connections help: degradation, vanishing gradients, smoother landscapes (lecture 002)."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import streamlit as st
from matplotlib.ticker import MaxNLocator

from app_pages.ui import LiveTraining, figure, report, session_model, stop_button, train_buttons, url_setting, write_url
from models.page_models import RESIDUAL_DEPTHS

st.title("Residual connections")
st.markdown(
    "A deeper plain network should be at least as good as a shallow one (extra layers could learn the "
    "identity), yet in practice it trains *worse*: the **degradation problem** (He et al., 2016). A residual "
    "block computes y = F(x) + x, so the gradient at its input is ∂E/∂x = ∂E/∂y · (1 + F′(x)): the "
    "skip passes ∂E/∂y back unchanged. Below, a plain net and a residual net of the same depth train "
    "on the same digits, side by side."
)

c1, c2, c3, c4 = st.columns(4)
depth = c1.select_slider("Blocks (2 conv layers each)", RESIDUAL_DEPTHS,
                         key=url_setting("res_blocks", 6, options=list(RESIDUAL_DEPTHS)))
epochs = c2.number_input("Epochs", 1, 30, key=url_setting("res_epochs", 6, bounds=(1, 30)))
lr = c3.number_input("Learning rate", 1e-4, 0.1, format="%.4f", key=url_setting("res_lr", 3e-3, bounds=(1e-4, 0.1)))
steps = c4.select_slider("Landscape resolution", [11, 15, 21, 31], key=url_setting("res_steps", 15, options=[11, 15, 21, 31]))
write_url()
N_TRAIN, N_EVAL = 600, 128


@st.cache_data(show_spinner=False)
def cached_digits():
    """The first 600 scikit-learn digits (8×8), shared read-only."""
    from models.data import load_digits

    x, y = load_digits()
    return x[:N_TRAIN], y[:N_TRAIN]


def build(residual: bool):
    from models.page_models import residual_net

    return residual_net(int(depth), residual)


x, y = cached_digits()
nets = {label: session_model(f"res_{label}", (int(depth),), (lambda r=r: build(r)))
        for label, r in (("plain", False), ("residual", True))}
st.caption(f"Both nets: {2 * int(depth) + 2} weight layers "
           f"({nets['plain'].model.count_params():,} vs {nets['residual'].model.count_params():,} parameters) · "
           f"{len(y)} digit images, 10 classes")



# Train sits above the curves, so they appear below it without moving the buttons.
go = train_buttons(*(f"res_{label}" for label in nets), reset_label="Reset models")
curve_slot = st.empty()


def redraw(progress=None, model=None):
    fig = figure(9, 3)
    ax1, ax2 = fig.subplots(1, 2)
    for label, entry in nets.items():
        h = entry.history.history
        if "loss" in h:
            e = range(1, len(h["loss"]) + 1)
            ax1.plot(e, h["loss"], marker="o", ms=3, label=label)
            ax2.plot(e, 100 * (1 - np.asarray(h["accuracy"])), marker="o", ms=3, label=label)
    ax1.set_title("Training loss")
    ax2.set_title("Training error (%)")
    for ax in (ax1, ax2):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    curve_slot.pyplot(fig, clear_figure=False)


if go:
    from models.training import train

    with stop_button(beside=go):
        live = LiveTraining(None)
        for epoch in range(int(epochs)):  # one epoch each, in turn: the curves grow side by side
            for k, (label, entry) in enumerate(nets.items()):
                # say what runs now: the first epoch also compiles each net (several seconds)
                live.bar.progress((2 * epoch + k) / (2 * int(epochs)),
                                  text=f"Epoch {epoch + 1}/{int(epochs)}: training the {label} net"
                                       + (" (compiling it first)…" if epoch == 0 and not len(entry.history) else "…"))
                train(entry.model, x, y, epochs=1, batch_size=32, learning_rate=float(lr), history=entry.history)
            live.bar.progress((epoch + 1) / int(epochs), text=f"Epoch {epoch + 1}/{int(epochs)} done")
            redraw()

trained = all(len(e.history) for e in nets.values())
if trained:
    redraw()
    for entry in nets.values():
        if entry.history.status != "finished":  # each call trains one epoch: report only what went wrong
            report(entry.history)
    if nets["plain"].history.at_chance:  # the lesson, said as what it is: no learning at all
        st.info("The plain net is still at chance: its loss is about ln 10 = 2.303, what guessing among 10 classes "
                "costs, and its error that of always answering the commonest digit. That is the degradation "
                "problem at this depth; the residual net of the same depth learns.")
    final = {k: e.history.epochs[-1] for k, e in nets.items()}
    st.markdown(" · ".join(f"**{k}** training error {100 * (1 - v['accuracy']):.1f}% (loss {v['loss']:.3f})"
                           for k, v in final.items()))

    from explainers.landscape import compute_landscape, random_directions
    from explainers.landscape_plots import plot_contour
    from explainers.residual import compute_block_gradients, skip_ratio_sentence
    from explainers.residual_plots import plot_block_gradients

    key = tuple(len(e.history) for e in nets.values()) + (int(steps),)
    if st.session_state.get("res_results_key") != key:
        with st.spinner("Measuring gradients and landscapes…"):
            results = {}
            for label, entry in nets.items():
                grads = compute_block_gradients(entry.model, x, y, n_samples=N_EVAL)
                land = compute_landscape(entry.model, x, y, random_directions(entry.model, n=2, seed=0),
                                         steps=int(steps), span=1.0, n_samples=N_EVAL)
                results[label] = (grads, land)
        st.session_state["res_results_key"], st.session_state["res_results"] = key, results
    results = st.session_state["res_results"]

    st.subheader("Where the gradient vanishes")
    cols = st.columns(2)
    for col, (label, (grads, _)) in zip(cols, results.items()):
        ax = plot_block_gradients(grads, ax=figure(5, 3.2).subplots(), title=f"{label} net")
        col.pyplot(ax.figure, clear_figure=False)
    g_res, g_plain = results["residual"][0], results["plain"][0]
    ok = np.isfinite(g_res.identity_error)
    dead = int((g_plain.grad_in == 0).sum())
    st.markdown(
        (f"In {dead} of the plain net's {len(g_plain.grad_in)} blocks the gradient is exactly zero: its ReLUs "
         "are silent for every image, so nothing flows back and those layers cannot learn. " if dead else "")
        + f"At the first block the gradient is **{g_plain.grad_in[0]:.2e}** in the plain net and "
        f"**{g_res.grad_in[0]:.2e}** in the residual net. Measured in the residual net: "
        f"∂E/∂x = ∂E/∂y + ∂E/∂y·F′(x) holds to a relative error of "
        f"**{np.nanmax(g_res.identity_error) if ok.any() else float('nan'):.1e}** "
        f"({int(ok.sum())} identity-shortcut blocks). " + skip_ratio_sentence(g_res)
    )
    st.subheader("Loss landscapes (filter-normalised random directions, same span, same colour scale)")
    lo = min(float(land.losses.min()) for _, land in results.values())
    hi = max(float(land.losses.max()) for _, land in results.values())
    cols = st.columns(2)
    for col, (label, (_, land)) in zip(cols, results.items()):
        ax = plot_contour(land, ax=figure(5, 4).subplots(), title=f"{label} net (centre {land.center_loss:.3f})",
                          vmin=lo, vmax=hi)
        col.pyplot(ax.figure, clear_figure=False)
    st.caption(f"Both panels use one colour scale, loss {lo:.2f} to {hi:.2f} (log), so a colour means the same "
               "loss in each: a flat landscape looks flat, a steep one shows many bands.")
else:
    st.info("Press **Train** to train both nets, one epoch each in turn.")
