"""Overfitting and model size (lecture 000 §3): 196,610,001 parameters, train vs validation curves, regularisers."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import streamlit as st

from app_pages.ui import (
    LiveTraining, cached_figure, figure, history_figure, report, stop_button, train_buttons, url_setting, write_url,
)
from models.recipes import DEFAULT_OVERFITTING_AUGMENTATION, REGULARISERS

IMAGE_SIDE = 32  # the lesion images every training below uses (32 × 32 × 1)


# ------------------------------------------------------------------ cached calls (shared, read-only)
@st.cache_data(show_spinner=False, max_entries=64)
def cached_count(side: int, channels: int, hidden: int):
    from explainers import compute_parameter_count

    return compute_parameter_count((side, side, channels), (hidden,), 1)


@st.cache_data(show_spinner=False, max_entries=16)
def keras_count(side: int, channels: int, hidden: int) -> int:
    """Keras' own count of the dense net (built, never trained): only for sizes that fit in memory."""
    from models.recipes import build_dense_net

    return int(build_dense_net((side, side, channels), (hidden,), seed=0).count_params())


def draw_count(result):
    from explainers import plot_parameter_count

    return plot_parameter_count(result, figure(7.0, 2.6).subplots()).figure


def draw_curves(result, metric: str = "accuracy"):
    from explainers import plot_overfitting_curves

    columns = 2 if len(result.runs) in (2, 4) else min(len(result.runs), 3)
    rows = -(-len(result.runs) // columns)
    fig = figure(3.0 * columns + 0.6, 2.7 * rows)
    return plot_overfitting_curves(result, fig, metric=metric, columns=columns)


def draw_summary(result):
    from explainers import plot_overfitting_summary

    return plot_overfitting_summary(result, figure(7.0, 2.8).subplots()).figure


def results_table(result) -> str:
    """The final numbers as a markdown table (HTML: nothing cut off at 1024 px)."""
    lines = ["| run | parameters | images | epoch kept | training acc. | validation acc. | gap |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in result.table():
        lines.append(f"| {r['run']} | {r['parameters']:,} | {r['training images']} | {r['epoch kept']} | "
                     f"{r['training accuracy']:.3f} | {r['validation accuracy']:.3f} | {r['gap']:+.3f} |")
    return "\n".join(lines)


def live_training(key: str, go, call, run_names) -> None:
    """Run ``call(observers, histories)`` on Train, drawing the run in progress live; keep the result."""
    runs_key, result_key = f"{key}_runs", f"{key}_result"
    slot = st.empty()

    def redraw(progress, model):
        histories = st.session_state.get(runs_key) or {}
        if not histories:
            slot.info(f"Runs: {', '.join(run_names)}. Their curves appear here while they train.")
            return
        run, history = list(histories.items())[-1]
        if len(history):
            cached_figure(history_figure, history.history, ("accuracy", "val_accuracy"), 6.0, 2.6,
                          f"Run {len(histories)} of {len(run_names)}: {run}", slot=slot)

    if go:
        st.session_state[runs_key] = {}
        st.session_state.pop(result_key, None)
        try:
            with stop_button(key=f"{key}_stop", beside=go):
                st.session_state[result_key] = call([LiveTraining(redraw)], st.session_state[runs_key])
        except ValueError as err:  # a setting the recipe refuses: say so, keep the page
            st.error(f"Could not train: {err}. Change the settings above and press Train again.")
    if st.session_state.get(result_key) is None:
        redraw(None, None)
    else:
        slot.empty()
    for run, history in (st.session_state.get(runs_key) or {}).items():
        if history.status not in ("finished", "running") or (history.status == "finished" and history.at_chance):
            st.caption(f"**{run}**:")
            report(history)  # a stop, a divergence, or a run that ended no better than guessing


# ------------------------------------------------------------------ the page
st.title("Overfitting and model size")
st.markdown(
    "Lecture 000, section 3: fully connected layers can compute any function, but on an image they need "
    "a weight from every pixel to every node. *\"Complex model may leads to overfitting\"*: it learns its "
    "training images by heart, noise included, and does worse on images it has not seen. Lecture 003 says it "
    "in one line: **fewer parameters ⇒ better generalization**. Below: count the parameters, then watch "
    "training and validation curves part as the model, the data and the regulariser change."
)

# ---- 1 · the count
st.subheader("1 · 196,610,001 parameters")
st.markdown(
    "Lecture 000: *\"Suppose we have an image (256 × 256 × 3) and three layers for binary classification. "
    "The internal layer has 1000 nodes. We can have 196,610,001 parameters.\"* Each layer has **previous "
    "layer × current layer + bias** parameters (lecture 000's formula). Change the image or the hidden layer."
)
SIDES = [32, 64, 128, 256, 512]
c1, c2, c3 = st.columns(3)
side = c1.select_slider("Image side (pixels)", SIDES, key=url_setting("of_side", 256, options=SIDES))
channels = c2.radio("Channels", [1, 3], horizontal=True, key=url_setting("of_channels", 3, options=[1, 3]))
hidden = c3.number_input("Hidden nodes", 1, 5000, step=100, key=url_setting("of_hidden", 1000, bounds=(1, 5000)))
count = cached_count(int(side), int(channels), int(hidden))
cached_figure(draw_count, count)
rows = "\n".join(f"| {name} | {count.formula(i)} | **{n:,}** |" for i, (name, n) in enumerate(zip(count.layers,
                                                                                                  count.counts)))
st.markdown(
    f"| layer | previous × current + bias | parameters |\n|---|---|---:|\n{rows}\n"
    f"| dense net, total | | **{count.total:,}** |\n"
    f"| one conv layer, {count.conv_filters:,} filters of {count.kernel_size}×{count.kernel_size}×{channels} "
    f"| {count.conv_formula} | **{count.conv_count:,}** |"
)
small = cached_count(IMAGE_SIDE, 1, int(hidden))
st.caption(
    f"Stored as 32-bit floats the dense net's weights take {count.bytes / 1e6:,.0f} MB, before any training "
    f"(Adam keeps two more numbers per weight). The conv layer's count is lecture 002's (F × F × C + 1) · K: "
    f"its filters are shared over every position, so it does not grow with the image. Keras agrees with the "
    f"formula: the {IMAGE_SIDE} × {IMAGE_SIDE} × 1 version trained below, built in Keras, has "
    f"{keras_count(IMAGE_SIDE, 1, int(hidden)):,} parameters (formula: {small.total:,})."
)

# ---- 2 · dense vs conv
st.subheader("2 · A dense net against a conv net, on the same images")
st.markdown(
    f"The lecture's dense net (image → {int(hidden):,} hidden nodes → 1 output) scaled down to the "
    f"{IMAGE_SIDE} × {IMAGE_SIDE} synthetic chest images of the CNN page, against a small CNN (8 and 16 filters "
    "of 3 × 3, batch norm, global max pooling). Both train on the same images and are scored on the same "
    "256 validation images that neither trains on. Each trains at the learning rate that suits it: the dense "
    "net at 0.0003 (its million weights swing at 0.001), the CNN at 0.003 as on the CNN page."
)
N_IMAGES = [32, 64, 128]
c1, c2 = st.columns(2)
dc_n = c1.select_slider("Training images", N_IMAGES, key=url_setting("of_dc_n", 64, options=N_IMAGES))
dc_epochs = c2.slider("Epochs", 5, 40, step=5, key=url_setting("of_dc_epochs", 20, bounds=(5, 40)))
go = train_buttons("of_dc_runs", "of_dc_result", key="of_dc", reset_label="Clear runs")


def train_dense_conv(observers, histories):
    from models.recipes import compare_dense_conv

    return compare_dense_conv(int(dc_n), hidden=int(hidden), epochs=int(dc_epochs), size=IMAGE_SIDE,
                              observers=observers, histories=histories)


live_training("of_dc", go, train_dense_conv, ["dense", "conv"])
dc = st.session_state.get("of_dc_result")
if dc is not None:
    cached_figure(draw_curves, dc)
    st.markdown(results_table(dc))
    if len(dc.table()) == 2:
        ratio = dc.parameters["dense"] / dc.parameters["conv"]
        conv_wins = dc.final("conv") > dc.final("dense")
        why = ("The conv net's shared kernels find a nodule wherever it is; the dense net must learn every "
               "position from the few images that had a nodule there." if conv_wins else
               "The conv net had not caught up in this run: it starts slowly (its validation accuracy stays near "
               "0.5 for the first 5-10 epochs) and overtook the dense net after about 15 epochs when we measured.")
        st.markdown(
            f"The dense net has **{ratio:,.0f}×** the conv net's parameters; validation accuracy "
            f"{dc.final('dense'):.3f} (dense) vs {dc.final('conv'):.3f} (conv): the "
            f"**{'conv' if conv_wins else 'dense'}** net generalised better in this run. {why}")
    st.caption("Measured (2-core CPU, 64 images, 20 epochs, seed 0): dense 1,026,001 parameters, validation "
               "accuracy 0.934; conv 1,897 parameters, 0.980.")

# ---- 3 · capacity and data
st.subheader("3 · Capacity and data: when do the curves part?")
st.markdown(
    "One knob at a time. **Hidden nodes**: dense nets of 2, 8, 32 and 128 hidden nodes on the same 64 images. "
    "**Training images**: one dense net of 64 hidden nodes, from the same initial weights, on 16, 64 and 256 "
    "images. The training curve (dashed) is what the net has memorised; the validation curve is what it "
    "has learned."
)
VARY = ["Hidden nodes", "Training images"]
c1, c2 = st.columns(2)
vary = c1.radio("Vary", VARY, horizontal=True, key=url_setting("of_vary", VARY[0], options=VARY))
cap_epochs = c2.slider("Epochs per run", 5, 60, step=5, key=url_setting("of_cap_epochs", 30, bounds=(5, 60)))
WIDTHS, SIZES = (2, 8, 32, 128), (16, 64, 256)
cap_go = train_buttons("of_cap_runs", "of_cap_result", key="of_cap", reset_label="Clear runs")


def train_capacity(observers, histories):
    from models.recipes import compare_capacity, compare_data_size

    if vary == VARY[0]:
        return compare_capacity(WIDTHS, epochs=int(cap_epochs), size=IMAGE_SIDE, observers=observers,
                                histories=histories)
    return compare_data_size(SIZES, epochs=int(cap_epochs), size=IMAGE_SIDE, observers=observers,
                             histories=histories)


live_training("of_cap", cap_go, train_capacity,
              [f"{w} hidden" for w in WIDTHS] if vary == VARY[0] else [f"{n} images" for n in SIZES])
cap = st.session_state.get("of_cap_result")
if cap is not None:
    cached_figure(draw_curves, cap)
    cached_figure(draw_summary, cap)
    st.markdown(results_table(cap))
    rows = cap.table()
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        st.markdown(
            f"From **{first['run']}** to **{last['run']}**: validation accuracy {first['validation accuracy']:.3f} → "
            f"{last['validation accuracy']:.3f}, gap between the curves {first['gap']:+.3f} → {last['gap']:+.3f}.")
    if cap.kind == "data size":
        st.caption("Each epoch is one pass over the run's images: 256 images take 16 steps per epoch, 16 images "
                   "take 1. More data means more distinct examples and more steps.")
with st.expander("What we measured (2-core CPU, 40 epochs, seed 0)", expanded=False):
    st.markdown(
        "| hidden nodes (64 images) | 2 | 8 | 32 | 128 |\n|---|---:|---:|---:|---:|\n"
        "| training accuracy | 0.500 | 0.953 | 0.984 | 1.000 |\n"
        "| validation accuracy | 0.500 | 0.879 | 0.891 | 0.910 |\n\n"
        "| training images (64 hidden) | 16 | 64 | 256 |\n|---|---:|---:|---:|\n"
        "| training accuracy | 1.000 | 1.000 | 1.000 |\n| validation accuracy | 0.777 | 0.891 | 0.945 |\n\n"
        "Two hidden nodes were too few to learn at all (both curves at chance: underfitting). Above that, "
        "wider nets fitted their 64 images completely and still did a little better on new images: the width "
        "alone did not make this net overfit more. The number of images did: 16 images were learned by heart "
        "(training 1.000, validation 0.777), 256 images closed most of the gap."
    )

# ---- 4 · regularisers
st.subheader("4 · Regularisers: L2, dropout, early stopping, augmentation")
st.markdown(
    "One dense net (64 hidden nodes), the **same initial weights** and the same images in the same order in "
    "every run; only the regulariser differs. **L2** adds λ · Σ w² to the loss, so large weights cost; "
    "**dropout** switches off a random share of the hidden nodes at every training step; **early stopping** "
    "watches the validation loss and keeps the weights of its lowest epoch; **augmentation** shows each epoch "
    "a new flipped and shifted copy of the images."
)
c1, c2, c3, c4 = st.columns(4)
reg_n = c1.select_slider("Images", [16, 32, 64, 128], key=url_setting("of_reg_n", 32, options=[16, 32, 64, 128]))
L2S = [0.001, 0.003, 0.01, 0.03, 0.1]
l2 = c2.select_slider("L2 λ", L2S, key=url_setting("of_l2", 0.01, options=L2S))
DROPS = [0.2, 0.3, 0.5, 0.7]
dropout = c3.select_slider("Dropout", DROPS, key=url_setting("of_dropout", 0.5, options=DROPS))
patience = c4.select_slider("Patience", [2, 3, 5, 10], key=url_setting("of_patience", 5, options=[2, 3, 5, 10]))
c1, c2 = st.columns(2)
reg_epochs = c1.slider("Epochs per run", 5, 60, step=5, key=url_setting("of_reg_epochs", 30, bounds=(5, 60)))
reg_seed = c2.number_input("Seed (images, weights, order)", 0, 99, key=url_setting("of_reg_seed", 0, bounds=(0, 99)))
write_url()
with st.expander("What we measured (2-core CPU, 32 images, 30 epochs, seeds 0 and 1)", expanded=False):
    st.markdown(
        "Validation accuracy at the kept epoch (training accuracy 0.94-1.00 in every run):\n\n"
        "| run | seed 0 | seed 1 |\n|---|---:|---:|\n"
        "| none | 0.789 | 0.789 |\n| L2 λ = 0.01 | 0.797 | 0.773 |\n| dropout 0.5 | 0.781 | 0.785 |\n"
        "| early stopping, patience 5 | 0.801 | 0.777 |\n| augmentation (flip, shifts) | **0.840** | **0.812** |\n\n"
        "Only augmentation helped on both seeds: a dense net has no idea that a nodule on the left is the same "
        "thing as one on the right, and flipped, shifted copies teach it. L2 at λ = 0.01, dropout and early "
        "stopping moved the validation accuracy by a point or two either way: within what another seed changes. "
        "Try λ = 0.1, or 16 images, and measure."
    )
reg_go = train_buttons("of_reg_runs", "of_reg_result", key="of_reg", reset_label="Clear runs")


def train_regularisers(observers, histories):
    from models.recipes import compare_regularisers

    return compare_regularisers(REGULARISERS, n_train=int(reg_n), epochs=int(reg_epochs), l2=float(l2),
                                dropout=float(dropout), patience=int(patience), size=IMAGE_SIDE, seed=int(reg_seed),
                                observers=observers, histories=histories)


live_training("of_reg", reg_go, train_regularisers, list(REGULARISERS))
reg = st.session_state.get("of_reg_result")
if reg is not None:
    cached_figure(draw_curves, reg)
    st.markdown(results_table(reg))
    finished = [r["run"] for r in reg.table()]
    if "none" in finished:
        base = reg.final("none")
        changes = " · ".join(f"{run} {reg.final(run) - base:+.3f}" for run in finished if run != "none")
        st.markdown(f"Validation accuracy against no regulariser ({base:.3f}): {changes}. One run is one "
                    "sample: change the seed and train again to see how much these differences vary.")
    aug = ", ".join(f"{k} {v:g}" for k, v in DEFAULT_OVERFITTING_AUGMENTATION.items())
    st.caption(f"Augmentation: {aug} (models.data.augment). The L2 run's losses include the penalty λ · Σ w², "
               "so compare accuracies, not losses, across runs. Dropout is off when the net is scored: its "
               "training accuracy is measured with nodes dropped, its validation accuracy without.")
