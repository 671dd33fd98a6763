"""When to trust a heatmap: sanity checks for saliency maps (Adebayo et al., 2018) on the lesion CNN."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import streamlit as st

from app_pages.ui import (
    LiveTraining, cached_figure, details, figure, report, secondary, session_model, stop_button, train_buttons,
    url_setting, write_url,
)

THRESHOLD = 0.5  # the pass mark the page states: mean Spearman ρ of |maps| below it = the map changed


def draw_maps(checks, image):
    from explainers.sanity_plots import plot_sanity_maps

    return plot_sanity_maps(checks, figure(11, 2.2), image=image)


def draw_cascade(checks, image):
    from explainers.sanity_plots import plot_sanity_cascade

    return plot_sanity_cascade(checks, figure(10, 1.5 * len(checks.methods) + 0.8), image=image)


def draw_curves(checks):
    from explainers.sanity_plots import plot_sanity_curves

    fig = figure(11, 3.8)
    a0, a1 = fig.subplots(1, 2)
    plot_sanity_curves(checks, a0, kind="cascade")
    plot_sanity_curves(checks, a1, kind="independent")
    return fig


BAND = 4  # pixels: the border band whose share of a map's mass the page measures


def border_share(maps) -> float:
    """Mean over maps (N, H, W) of the share of |map|'s mass in the outer BAND pixels."""
    m = np.abs(np.asarray(maps, dtype=np.float64))
    total = m.sum(axis=(1, 2))
    inner = m[:, BAND:-BAND, BAND:-BAND].sum(axis=(1, 2))
    return float(np.mean(1.0 - inner[total > 0] / total[total > 0])) if (total > 0).any() else float("nan")


def band_area(shape) -> float:
    h, w = shape
    return 1.0 - (h - 2 * BAND) * (w - 2 * BAND) / (h * w)


def draw_ig(result):
    from explainers.attribution_plots import plot_integrated_gradients

    return plot_integrated_gradients(result, figure(9, 3.3))


st.title("When to trust a heatmap")
st.markdown(
    "A heatmap over a chest X-ray looks like an explanation, and doctors and students read it as one. "
    "Adebayo et al. (\"Sanity checks for saliency maps\", NeurIPS 2018) asked a simple question of each method: "
    "**if the classifier's weights are replaced by random ones, does the map change?** A map that stays the "
    "same cannot be telling you what the network learnt: it shows the image, or the architecture. "
    "**A map that does not depend on the classifier cannot explain the classifier.**"
)

with secondary("Training settings"):
    c1, c2 = st.columns(2)
    epochs = c1.number_input("Epochs", 1, 10, key=url_setting("trust_epochs", 5, bounds=(1, 10)))
    n_images = c2.select_slider("Images checked", [2, 4, 8], key=url_setting("trust_n", 4, options=[2, 4, 8]))
write_url()


@st.cache_data(show_spinner=False)
def lesion_data():
    from models.recipes.sanity import sanity_data

    return sanity_data(seed=0)


def build(pooling):
    from models.recipes.sanity import build_sanity_cnn

    return lambda: build_sanity_cnn(pooling, seed=1)


data = lesion_data()
entry = session_model("trust_cnn", ("max", 1), build("max"))
shuffled = session_model("trust_shuffled", ("max", 1), build("max"))
# The average-pooling twin answers one question further down; it is built and trained only when the student
# asks for it there (its training was a fifth of Train's wait, and most students read the checks first).
TWIN = "trust_gap"
st.caption(f"The lesion CNN (conv→BN→ReLU→pool ×2, global max pooling, dense 32, sigmoid) · "
           f"{entry.model.count_params():,} parameters · {len(data.y)} training images. Train trains it twice: "
           f"on the true labels and on **shuffled** labels. A twin with global **average** pooling trains "
           f"further down, when you ask for it.")

go = train_buttons("trust_cnn", "trust_shuffled", TWIN, key="trust")
if go:
    from models.recipes.sanity import train_sanity_cnn

    now = st.empty()
    with stop_button(beside=go):
        for i, (label, e, kwargs) in enumerate((("the true labels", entry, {}),
                                                ("shuffled labels", shuffled, {"shuffle_labels": True})), start=1):
            now.caption(f"Training {i} of 2: {label}…")
            train_sanity_cnn(e.model, data, epochs=int(epochs), history=e.history, observers=[LiveTraining()],
                             **kwargs)
    now.empty()
if not len(entry.history):
    st.info("The model is untrained: click **Train** (about 15 s for both), then the checks run on it.")
    st.stop()
report(entry.history)
acc = entry.history.history["val_accuracy"][-1]
acc_shuffled = shuffled.history.history["accuracy"][-1] if len(shuffled.history) else float("nan")

# ------------------------------------------------------------ the checks, once per trained state
positives = np.flatnonzero(data.y_val == 1)[: int(n_images)]
state = (len(entry.history), entry.history.status, len(shuffled.history), int(n_images))
if entry.extra.get("checks_key") != state:
    from explainers.sanity import SANITY_METHODS, compute_sanity_checks

    methods = tuple(SANITY_METHODS)
    with st.spinner("Randomising the weights layer by layer and redrawing every map…"):
        entry.extra["checks"] = compute_sanity_checks(
            entry.model, data.x_val[positives], methods=methods, seed=0, threshold=THRESHOLD,
            shuffled_model=shuffled.model if len(shuffled.history) else None)
    entry.extra["checks_key"] = state
checks = entry.extra["checks"]

# ------------------------------------------------------------ the methods side by side
st.header(f"{len(checks.methods)} ways to draw a heatmap")
pick = st.number_input(f"Test image with a nodule (1-{len(positives)})", 1, len(positives),
                       key=url_setting("trust_image", 1, bounds=(1, 8)))
image = min(int(pick), len(positives)) - 1
score = float(np.asarray(entry.model(data.x_val[positives[image]][None], training=False))[0, 0])
st.markdown(f"Validation accuracy **{acc:.0%}** after {len(entry.history)} epochs · this image: p(nodule) = "
            f"**{score:.2f}**. Each panel is |map| scaled to its maximum.")
cached_figure(draw_maps, checks, image)
if {"gradcam", "gradcam_plus_plus"} <= set(checks.methods):
    share = {name: border_share(checks.original[checks.methods.index(name)])
             for name in ("gradcam", "gradcam_plus_plus")}
    st.markdown(
        f"Grad-CAM++ puts **{share['gradcam_plus_plus']:.0%}** of its map's mass in the outer {BAND}-pixel band "
        f"({band_area(data.x_val.shape[1:3]):.0%} of the image), Grad-CAM **{share['gradcam']:.0%}** (mean over the "
        f"{len(positives)} images): after global max pooling each channel's gradient is non-zero at one position "
        "only, so Grad-CAM++'s α is 1 there and it is Grad-CAM without the negatively weighted channels, which had "
        "cancelled part of the border (the method, not a bug: ours equals tf-keras-vis' Grad-CAM++ on this net)."
    )
if "integrated_gradients" in checks.methods:
    if entry.extra.get("ig_key") != state:
        from explainers.attribution import compute_integrated_gradients

        with st.spinner("Integrating the gradient from a black image to each test image…"):
            entry.extra["ig"] = [compute_integrated_gradients(entry.model, im, steps=64) for im in checks.images]
        entry.extra["ig_key"] = state
    igs = entry.extra["ig"]
    ig = igs[image]
    span = float(np.ptp(ig.path_scores))
    st.subheader("Do integrated gradients add up?")
    cached_figure(draw_ig, ig)
    st.markdown(
        f"Integrated gradients explain **p(nodule)**, the {ig.explained} (not the score before the sigmoid), "
        f"against a **black** image, which this model itself gives p = {ig.baseline_score:.2f}. They must add up "
        f"to the difference (completeness): Σ attributions = **{ig.total:.4f}**, f(x) − f(baseline) = "
        f"{ig.score:.4f} − {ig.baseline_score:.4f} = **{ig.expected:.4f}** ({ig.relative_error:.2%} apart, "
        f"{ig.intervals} path intervals). With {ig.steps} evenly spaced steps the trapezoid rule missed by "
        f"**{ig.uniform_error:.1%}**: along the path (right) the score bends wherever a ReLU or a max-pooling "
        f"winner switches, and it spans {span:.2f}, {span / abs(ig.expected):.1f}× its net change, so the small "
        "error at each bend counts against a small difference; the extra points went where the bends cost most."
    )
    uniform = np.array([r.uniform_error for r in igs])
    st.caption(
        f"Over the {len(igs)} images: {ig.steps} even steps miss by up to {uniform.max():.0%} "
        f"({int((uniform > 0.01).sum())} of {len(igs)} above 1 %); the adaptive rule by at most "
        f"{max(r.relative_error for r in igs):.2%}, with at most {max(r.intervals for r in igs)} intervals."
    )

# ------------------------------------------------------------ cascading randomisation
st.header("Randomise the weights, from the output down")
st.markdown(
    "Each column re-initialises one more layer, output first (a conv layer with its batch norm), as in a "
    "freshly built network; the test image picked above is shown. ρ is Spearman's rank correlation of |map| with "
    f"the trained map, averaged over {len(positives)} test images with a nodule."
)
cached_figure(draw_cascade, checks, image)
cached_figure(draw_curves, checks)

# ------------------------------------------------------------ the table
st.header("Which methods pass?")
head = checks.head_steps - 1
rows = {
    "method": list(checks.labels),
    "ρ, head random": np.round(checks.cascade_spearman_abs[:, head], 2),
    "ρ, all random": np.round(checks.cascade_spearman_abs[:, -1], 2),
    "SSIM, all random": np.round(checks.cascade_ssim[:, -1], 2),
}
if len(checks.data_spearman_abs):
    rows["ρ, shuffled labels"] = np.round(checks.data_spearman_abs, 2)
rows["passes"] = ["yes" if p else "no" for p in checks.passes]
rows["follows the head"] = ["yes" if v < THRESHOLD else "no" for v in checks.cascade_spearman_abs[:, head]]
st.dataframe(rows, hide_index=True, width="stretch")
passed = [lab for lab, p in zip(checks.labels, checks.passes) if p]
follows = [lab for lab, v in zip(checks.labels, checks.cascade_spearman_abs[:, head]) if v < THRESHOLD]
st.markdown(
    f"The pass mark: a method **passes** when its maps' mean ρ (of |map|) with the trained maps falls below "
    f"**{THRESHOLD}** once every layer is random. Here: **{', '.join(passed) or 'none'}**. Stricter, and what "
    f"this page is about: does the map change when only the classifier head ({', '.join(checks.layers[:head + 1])}) "
    f"is random? Here only **{', '.join(follows) or 'none'}** did."
)

st.subheader("What the paper found, and what we measure")
g = checks.methods.index("saliency")
c = checks.methods.index("gradcam")
gb = checks.methods.index("guided_backprop")
st.markdown(
    "**The paper** (Inception v3 on ImageNet, a CNN on MNIST): plain gradients and Grad-CAM **pass** (their "
    "maps change as the layers are randomised); **Guided Backprop fails**: its maps keep the image's edges "
    "whatever the weights, because the ReLU masks of the forward pass, not the weights, do most of the drawing."
)
st.markdown(
    f"**Our CNN:** with every layer random, Grad-CAM reaches ρ = {checks.cascade_spearman_abs[c, -1]:.2f} and "
    f"the gradient {checks.cascade_spearman_abs[g, -1]:.2f}: both pass, as in the paper. Guided Backprop reaches "
    f"ρ = {checks.cascade_spearman_abs[gb, -1]:.2f} but keeps SSIM {checks.cascade_ssim[gb, -1]:.2f} (the "
    f"gradient: {checks.cascade_ssim[g, -1]:.2f}): its picture still looks like the image. But with only the head "
    f"random, the plain gradient keeps **ρ = {checks.cascade_spearman_abs[g, head]:.2f}** while Grad-CAM drops to "
    f"**{checks.cascade_spearman_abs[c, head]:.2f}**: the gradient map here barely depends on the classifier."
)

# ------------------------------------------------------------ why: global max pooling
st.header("Why does the gradient ignore the head?")
from explainers.sanity import compute_head_independence  # noqa: E402

support = compute_head_independence(checks, "saliency")
st.markdown(
    "The network ends in **global max pooling**: each of the last conv layer's channels reports only its "
    "largest value, at one position chosen by the conv layers alone. So ∂y/∂x can be non-zero only inside "
    "those positions' receptive fields; the head merely weighs the channels. "
    f"On this network **{support.zero_share_trained:.0%}** of the pixels have a gradient of exactly 0, and after "
    f"the head is randomised the very same pixels are zero ({support.zero_pattern_agreement:.0%} agree). The "
    f"shared zeros carry the rank correlation: ρ = {support.spearman_abs_all:.2f} over all pixels, "
    f"**{support.spearman_abs_support:.2f}** on the pixels that are left."
)
twin = session_model(TWIN, ("average", 1), build("average")) if TWIN in st.session_state else None
behind = len(entry.history) - (len(twin.history) if twin is not None else 0)  # epochs the twin lacks
if behind > 0:
    offer = st.empty()  # the question and its button, gone once the twin is trained
    with offer.container():
        st.markdown(
            "**The controlled experiment:** the same network, the same starting weights, trained the same way "
            f"({len(entry.history)} epochs), with global **average** pooling instead. Does its gradient follow "
            "the head?")
        clicked = st.button(f"Train the average-pooling twin ({behind} epoch{'s' if behind > 1 else ''})",
                            icon=":material/play_arrow:", key="trust_twin_train")
    if clicked:
        from models.recipes.sanity import train_sanity_cnn

        twin = session_model(TWIN, ("average", 1), build("average"))
        with stop_button(key="trust_twin_stop"):
            train_sanity_cnn(twin.model, data, epochs=behind, history=twin.history, observers=[LiveTraining()])
        behind = len(entry.history) - len(twin.history)
        if behind <= 0:
            offer.empty()
if twin is not None and len(twin.history) and behind <= 0:
    key = (len(twin.history), twin.history.status, int(n_images))
    if twin.extra.get("checks_key") != key:
        from explainers.sanity import compute_sanity_checks

        twin.extra["checks"] = compute_sanity_checks(twin.model, data.x_val[positives],
                                                     methods=("gradcam", "saliency"), seed=0, independent=False)
        twin.extra["checks_key"] = key
    tw = twin.extra["checks"]
    tw_support = compute_head_independence(tw, "saliency")
    tw_acc = twin.history.history["val_accuracy"][-1]
    st.markdown(
        "**The controlled experiment:** the same network, the same starting weights, trained the same way, with "
        f"global **average** pooling instead (validation accuracy {tw_acc:.0%}). Every position now reaches the "
        f"score: {tw_support.zero_share_trained:.0%} of the gradient's pixels are zero, and randomising the head "
        f"moves the gradient map to ρ = **{tw.cascade_spearman_abs[tw.methods.index('saliency'), tw.head_steps - 1]:.2f}** "
        f"(max pooling: {checks.cascade_spearman_abs[g, head]:.2f})."
    )
# ------------------------------------------------------------ faithfulness
st.header("Does the map rank the pixels the model uses?")
st.markdown(
    "Deletion removes pixels in the order a map ranks them (most important first, each replaced by a blurred "
    "copy of the image) and follows the score; insertion adds them to the blurred image. A faithful map makes "
    "the score fall fast (low deletion area) and rise fast (high insertion area); a random ranking is the "
    "row to beat. Gradient-type maps are ranked by |map|, occlusion and integrated gradients by their sign "
    "(positive = evidence for a nodule)."
)
UNSIGNED = ("saliency", "smoothgrad", "guided_backprop")


def ranking_maps(i):
    return {lab: (np.abs(m[i]) if name in UNSIGNED else m[i])
            for name, lab, m in zip(checks.methods, checks.labels, checks.original)}


def draw_faithfulness(result):
    from explainers.faithfulness_plots import plot_deletion_insertion

    return plot_deletion_insertion(result, figure(11, 3.6))


if entry.extra.get("faith_key") != state:
    from explainers.faithfulness import compute_deletion_insertion

    with st.spinner("Deleting and inserting pixels in each map's order…"):
        entry.extra["faith"] = [compute_deletion_insertion(entry.model, checks.images[i], ranking_maps(i), seed=0)
                                for i in range(len(checks.images))]
    entry.extra["faith_key"] = state
faith = entry.extra["faith"]
cached_figure(draw_faithfulness, faith[image])
names = faith[0].methods
st.dataframe({"method": list(names),
              "deletion AUC ↓": np.round(np.mean([f.deletion_auc for f in faith], axis=0), 3),
              "insertion AUC ↑": np.round(np.mean([f.insertion_auc for f in faith], axis=0), 3)},
             hide_index=True, width="stretch")
st.caption(f"Areas under the curves, mean over the {len(faith)} test images checked; the figure shows the one "
           "picked above.")

st.info("The lesson: a map that does not depend on the classifier cannot explain the classifier. Before "
        "trusting a heatmap, randomise the model and look again.", icon=":material/lightbulb:")

with details("Trained on shuffled labels (data randomisation)", "trust_data"):
    if len(checks.data_spearman_abs):
        st.markdown(
            f"The same architecture trained on labels shuffled at random reached training accuracy "
            f"{acc_shuffled:.0%}: nothing in an image predicts its label. Its maps' ρ with the trained model's: "
            + ", ".join(f"{lab} {v:.2f}" for lab, v in zip(checks.labels, checks.data_spearman_abs)) + ".")
    else:
        st.caption("Train to compare with a model trained on shuffled labels.")
