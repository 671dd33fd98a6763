"""A CNN learns its filters (lectures 001-003): live filters, feature maps, predictions, transfer."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import streamlit as st

from app_pages.ui import (
    LiveTraining, cached_figure, figure, history_figure, predict_then_see, ready_demo, remember_demo, report, secondary,
    session_model, stop_button, train_buttons, url_setting, write_url,
)
from models.data import load_medmnist_choice, make_lesions, medmnist_choices
from models.page_models import CNN_FILTERS


def draw_filters(result):
    from explainers.kernels_plots import plot_filters

    return plot_filters(result)


def draw_feature_maps(maps, title):
    from explainers.feature_maps_plots import plot_feature_maps

    fig = plot_feature_maps(maps, figure(11, 1.6 * len(maps.maps) + 0.4), max_maps=8)
    fig.suptitle(title, fontsize=9)
    return fig


def draw_predictions(images, labels, guess, prob, class_names):
    fig = figure(8, 2.4)
    axes = fig.subplots(2, 8)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= len(labels):
            continue
        ax.imshow(images[i, :, :, 0] if images.shape[-1] == 1 else images[i], cmap="gray")
        ax.set_title(f"{class_names[guess[i]]} {prob[i, guess[i]]:.0%}", fontsize=7,
                     color="green" if guess[i] == labels[i] else "red")
    return fig


def draw_binary_confusion(metrics, class_names, acc):
    """Two classes: lecture 002's layout (actual + / − rows, predicted + / − columns, TP top left)."""
    from explainers.metrics_plots import plot_confusion

    ax = plot_confusion(metrics, figure(3.6, 3.4).subplots())
    ax.set_title(f"+ = {class_names[1]}, − = {class_names[0]} · accuracy {acc:.1%}", fontsize=9)
    return ax.figure


def draw_confusion(cm, class_names, acc):
    n_classes = len(class_names)
    fig = figure(3.2 + 0.2 * n_classes, 3 + 0.2 * n_classes)
    ax = fig.subplots()
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=12 if n_classes <= 4 else 7,
                color="white" if v > cm.max() / 2 else "black")
    ax.set_xticks(range(n_classes), class_names, rotation=45 if n_classes > 2 else 0)
    ax.set_yticks(range(n_classes), class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("actual class")
    ax.set_title(f"Confusion matrix · accuracy {acc:.1%}", fontsize=9)
    return fig


st.title("A CNN learns its filters")
st.markdown(
    "A small CNN (conv → batch norm → ReLU → pooling, twice, then global max pooling) learns to spot a "
    "nodule on chest-X-ray-like images. Watch its first-layer kernels turn into edge and blob detectors "
    "and its feature maps light up on the nodule, epoch by epoch."
)

SOURCES = ["lesions"] + medmnist_choices(max_size=64)  # each MedMNIST file found locally (never downloads)
c0, c4 = st.columns(2)
data_name = c0.selectbox("Data", SOURCES, key=url_setting("cnn_data", "lesions", options=SOURCES))
index = c4.number_input("Test image to inspect", 0, 255, key=url_setting("cnn_image", 1, bounds=(0, 255)))
with secondary("Training settings"):  # folded away in presenter mode
    c1, c2, c3 = st.columns(3)
    epochs = c1.number_input("Epochs", 1, 30, key=url_setting("cnn_epochs", 6, bounds=(1, 30)))
    lr = c2.number_input("Learning rate", 1e-4, 1e-1, format="%.4f",
                         key=url_setting("cnn_lr", 3e-3, bounds=(1e-4, 1e-1)))
    n_filters = c3.selectbox("Filters per stage", CNN_FILTERS,
                             key=url_setting("cnn_filters", "16,32", options=CNN_FILTERS))
write_url()


@st.cache_data(show_spinner=False, max_entries=4)
def cached_data(name: str):
    """Training and test images with class names (shared, read-only)."""
    if name == "lesions":
        x, y, _, _ = make_lesions(512, 64, seed=0)
        return (x[:384], y[:384]), (x[384:], y[384:]), ("clear", "nodule")
    x, y = load_medmnist_choice(name, "train")
    xt, yt = load_medmnist_choice(name, "test")
    if y.ndim != 1:
        raise ValueError(f"{name.split()[0]} is multi-label; pick a single-label data set")
    n_classes = int(max(y.max(), yt.max())) + 1
    # A few thousand images keep a live epoch short on a CPU.
    return (x[:2000], y[:2000]), (xt[:256], yt[:256]), tuple(f"class {i}" for i in range(n_classes))


try:
    (x, y), (xt, yt), class_names = cached_data(data_name)
except (ValueError, FileNotFoundError) as err:
    st.error(f"Could not load {data_name}: {err}. Pick the lesion images instead.")
    st.stop()
index = min(int(index), len(xt) - 1)
filters_tuple = tuple(int(v) for v in n_filters.split(","))


def build():
    from models.page_models import lesion_cnn

    return lesion_cnn(filters_tuple, x.shape[1:], len(class_names))


entry = session_model("cnn_model", (filters_tuple, data_name), build)
st.caption(f"{entry.model.count_params():,} parameters · {len(y)} training and {len(yt)} test images · "
           f"test image {index} is {class_names[int(yt[index])]}")

# Train sits above the figures, so they appear below it without moving the buttons.
go = train_buttons("cnn_model")
demo_settings = (entry.signature, int(epochs), float(lr))
ready_demo("cnn", demo_settings, entry, go)
curves_col, filt_col = st.columns([2, 3])
curves = curves_col.empty()
filt_slot = filt_col.empty()
maps_slot = st.empty()


def probabilities(model, images) -> np.ndarray:
    """(n, classes) class probabilities; a single sigmoid unit gives [1 − p, p]."""
    p = np.asarray(model.predict(images, verbose=0) if len(images) > 1 else model(images, training=False))
    return np.concatenate([1 - p, p], axis=1) if p.shape[1] == 1 else p


def redraw(progress, model):
    from explainers.feature_maps import compute_feature_maps
    from explainers.kernels import compute_filters

    if len(entry.history):
        cached_figure(history_figure, entry.history.history, ("accuracy", "val_accuracy"), 5, 3, "Accuracy",
                      slot=curves)
    else:
        curves.info("The accuracy curves appear here after the first epoch: press **Train**.")
    cached_figure(draw_filters, compute_filters(model, layer_name="cnn_conv1"), slot=filt_slot)
    # The same channels every epoch (the 8 most active, chosen once per model and image), so a student
    # can follow one filter.
    shown = entry.extra.setdefault("map_channels", {})
    if index in shown:
        maps = compute_feature_maps(model, xt[index], channels=shown[index])
    else:
        maps = compute_feature_maps(model, xt[index], max_channels=8)
        shown[index] = maps.channels
    prob = probabilities(model, xt[index][None])[0]
    cached_figure(draw_feature_maps, maps, f"Feature maps of test image {index} · predicted "
                  f"{class_names[int(prob.argmax())]} ({prob.max():.0%}) · the same channels every epoch",
                  slot=maps_slot)


if go:
    from models.training import train

    with stop_button(beside=go):
        train(entry.model, x, y, epochs=int(epochs), batch_size=32, validation_data=(xt, yt),
              learning_rate=float(lr), history=entry.history, observers=[LiveTraining(redraw)])
    remember_demo("cnn", demo_settings, entry, int(epochs))
redraw(None, entry.model)
report(entry.history)

conv1 = entry.model.get_layer("cnn_conv1")
side_h, side_w, in_channels = (int(v) for v in x.shape[1:])
positions = side_h * side_w  # "same" padding, stride 1: one output per pixel
unshared = positions * conv1.count_params()
dense_same_outputs = (positions * in_channels + 1) * positions * conv1.filters
predict_then_see(
    "kernels", "Do convolutional neural networks reduce the number of parameters by sharing the same filter "
    "across different parts of the image?", ["Yes", "No", "Only with pooling"], 0,
    f"The first layer above has {conv1.filters} filters of {conv1.kernel_size[0]}×{conv1.kernel_size[1]}: "
    f"{conv1.count_params():,} parameters, the same kernels slid over all {positions:,} positions of the "
    f"{side_h}×{side_w} image (the filter panels are those kernels; each feature-map row is one of them applied "
    f"everywhere). A separate kernel at every position would need {positions:,} × {conv1.count_params():,} = "
    f"{unshared:,}; a dense layer giving the same {side_h}×{side_w}×{conv1.filters} outputs would need "
    f"{dense_same_outputs:,}.",
    lecture="Lecture 003, question 6")


if len(entry.history):
    from sklearn.metrics import confusion_matrix

    st.subheader("Predictions on the test split")
    prob = probabilities(entry.model, xt)
    guess = prob.argmax(axis=1)
    n_classes = len(class_names)
    cm = confusion_matrix(yt, guess, labels=list(range(n_classes)))
    acc = float(np.trace(cm) / cm.sum())
    c1, c2 = st.columns([3, 2])
    n = min(16, len(yt))
    cached_figure(draw_predictions, xt[:n], yt[:n], guess[:n], prob[:n], tuple(class_names), slot=c1)
    c1.caption("Prediction and its confidence for the first 16 test images (green: right, red: wrong).")
    if n_classes == 2:
        from explainers.metrics import compute_threshold_metrics

        binary = compute_threshold_metrics(yt, prob[:, 1], 0.5)
        cached_figure(draw_binary_confusion, binary, tuple(class_names), acc, slot=c2)
        tp, fn, fp, tn = (int(v) for v in binary.lecture_table.ravel())
        c2.caption(f"As lecture 002 lays it out: {tp} TP, {fn} FN (Type II error: a {class_names[1]} missed), "
                   f"{fp} FP (Type I error: a false alarm), {tn} TN; positive if P({class_names[1]}) > 0.5.")
    else:
        cached_figure(draw_confusion, cm, tuple(class_names), acc, slot=c2)

# ------------------------------------------------------------ a real scan
REAL_SCANS = {"chest_xray": "chest X-ray", "ct_head": "head CT", "ct_abdomen": "abdominal CT",
              "liver_mr": "liver MR", "mr": "small MR", "leg_xray": "leg X-ray", "ultrasound": "ultrasound"}


@st.cache_data(show_spinner=False, max_entries=32)
def cached_scan(name: str, side: int, data: str):
    """A built-in real scan as this network's input (windowed, resized) and how far its grey levels lie
    from the training images' (shared, read-only)."""
    from explainers.out_of_distribution import compute_intensity_shift
    from models.data import scan_input

    image = scan_input(name, side)
    (train_x, _), _, _ = cached_data(data)
    return image, compute_intensity_shift(image, train_x, max_train=256)


def draw_real_scan(image, prob, class_names, shift, label):
    from explainers.out_of_distribution_plots import plot_intensity_shift

    fig = figure(11, 3.0)
    a0, a1, a2 = fig.subplots(1, 3, width_ratios=[1, 1.2, 1.8])
    a0.imshow(image, cmap="gray", vmin=0, vmax=1)
    a0.set_title(f"{label}, {image.shape[0]}×{image.shape[1]}", fontsize=10)
    a0.set_axis_off()
    a1.barh(range(len(class_names)), prob, color="#1f77b4")
    a1.set_yticks(range(len(class_names)), class_names)
    a1.set_xlim(0, 1)
    a1.invert_yaxis()
    for i, p in enumerate(prob):
        a1.text(min(p + 0.02, 0.8), i, f"{p:.0%}", va="center", fontsize=10)
    a1.set_xlabel("probability")
    a1.set_title("the network's answer", fontsize=10)
    plot_intensity_shift(shift, a2, title=f"grey levels: {shift.ratio:.0f}× farther from training than a "
                                           f"typical training image")
    return fig


st.subheader("On a real scan")
trained_on = "synthetic chest-X-ray-like images with and without a nodule" if data_name == "lesions" else data_name
st.markdown(
    f"The network learnt from {trained_on}. A real scan, windowed (the file's window, else soft tissue for "
    "CT), made grey and resized to the network's input, is **out of distribution**: nothing like it was in "
    "the training set. The network answers anyway, with a probability that looks as sure as any other."
)
scan_name = st.columns([1, 2])[0].selectbox("Real scan", list(REAL_SCANS), format_func=REAL_SCANS.get,
                                           key=url_setting("cnn_scan", "chest_xray", options=list(REAL_SCANS)))
write_url()
if not len(entry.history):
    st.info("The CNN is untrained: press **Train** above, then see what it says about a real scan.")
else:
    from explainers.feature_maps import compute_feature_maps

    try:
        scan_image, shift = cached_scan(scan_name, int(x.shape[1]), data_name)
    except ValueError as err:
        st.error(f"Could not load the built-in scan {scan_name!r}: {err}")
    else:
        model_input = np.repeat(scan_image[..., None], x.shape[-1], axis=-1)  # grey to the model's channels
        scan_key = (scan_name, len(entry.history), entry.history.status)
        if entry.extra.get("scan_key") != scan_key:  # once per scan and trained state, not every rerun
            entry.extra["scan_result"] = (probabilities(entry.model, model_input[None])[0], compute_feature_maps(
                entry.model, model_input, layers="cnn_conv1", max_channels=8))
            entry.extra["scan_key"] = scan_key
        scan_prob, scan_maps = entry.extra["scan_result"]
        top = int(scan_prob.argmax())
        cached_figure(draw_real_scan, scan_image, scan_prob, tuple(class_names), shift, REAL_SCANS[scan_name])
        st.caption(
            f"It says **{class_names[top]}** with {scan_prob[top]:.0%}. That number means nothing: the net was "
            f"trained on {trained_on}, and this {REAL_SCANS[scan_name]} is out of distribution. Its grey levels "
            f"alone lie {shift.ratio:.0f}× farther from the training images' than a typical training image "
            f"does (Wasserstein distance of the histograms, {shift.distance:.3f} against "
            f"{shift.typical_distance:.3f}), farther than {shift.farther_than:.0%} of them. A softmax or "
            "sigmoid always sums to one: it has no way to say *I have never seen this*.")
        cached_figure(draw_feature_maps, scan_maps, f"First conv layer on the {REAL_SCANS[scan_name]}: its 8 "
                      "most active channels")
        st.caption("The first layer's filters still respond, each to its own local pattern (an edge, a bright "
                   "or a dark region): a 3×3 filter applies to any image. What the later layers and the head "
                   "learnt to make of these maps holds only for images like the training set.")

# ------------------------------------------------------------ transfer learning
st.subheader("Transfer learning with few images")
st.markdown(
    "Pretrain the same CNN on a different image task, then fine-tune it on only a few lesion images the three "
    "ways of lecture 002's table, against training from scratch. Frozen layers keep their source weights; only "
    "the trainable parameters learn. **spots** (find a small bright spot on cluttered non-chest backgrounds) "
    "is a related task: its filters are what a nodule detector needs. **shapes** and **digits** are less "
    "related: compare how much each one helps. The pretrained models' new output layer starts from a logistic "
    "regression on the frozen features of the labelled images (a *linear probe*), so every strategy starts "
    "from the best linear read-out of what the source task taught."
)
from models.recipes import TRANSFER_RULE  # noqa: E402  (no TensorFlow: cheap to import)
from models.recipes import TRANSFER_SOURCES as TL_SOURCES  # noqa: E402

c1, c2 = st.columns([2, 3])
n_target = c1.select_slider("Labelled lesion images", [16, 32, 48, 96, 192],
                            key=url_setting("cnn_tl_n", 48, options=[16, 32, 48, 96, 192]))
ft_epochs = c1.number_input("Fine-tuning epochs", 2, 20, key=url_setting("cnn_tl_epochs", 8, bounds=(2, 20)))
source = c1.selectbox("Source task", list(TL_SOURCES),
                      key=url_setting("cnn_tl_source", TL_SOURCES[0], options=list(TL_SOURCES)))
c2.markdown("**Lecture 002's rule** (*Parameter tuning and transfer learning*), by training-set size:\n\n"
            + "\n".join(f"- **{size}**: {rule.lower()[0] + rule[1:]} → **{name}**"
                         for name, (size, rule) in TRANSFER_RULE.items()))
c2.caption("Here the softmax is the output layer (one sigmoid unit for two classes): *head only* trains it "
           "alone; *freeze most* also trains the dense layer before it and keeps every convolution fixed; "
           "*fine-tune all* trains everything at a tenth of the step. The lecture gives no numbers for small, "
           "medium and large: slide from 16 to 192 images and see where, on this task, the rule holds.")
write_url()


if st.button("Compare transfer strategies", icon=":material/compare_arrows:"):
    from models.recipes import compare_transfer_strategies

    # Five short runs (pretraining, scratch, then the lecture's three strategies); only curves and counts are kept.
    with st.spinner(f"Pretraining on {source}, then training from scratch and fine-tuning three ways…"), stop_button(key="stop_tl"):
        st.session_state["cnn_tl_result"] = compare_transfer_strategies(
            int(n_target), finetune_epochs=int(ft_epochs), source=source, observer=LiveTraining(None))
result = st.session_state.get("cnn_tl_result")
if result is not None:
    from explainers.transfer_plots import plot_transfer

    c1, c2 = st.columns([3, 2])
    c1.pyplot(plot_transfer(result, figure(6, 3.2).subplots()).figure)
    c2.dataframe({"strategy": list(result.strategies),
                  "trainable parameters": [result.trainable[s] for s in result.strategies],
                  "final val accuracy": [f"{result.val_accuracy[s][-1]:.2f}" for s in result.strategies]},
                 hide_index=True)
    c2.caption(f"{result.total:,} parameters in all; fine-tuned on {result.n_target} images; the {result.source} model "
               f"reached {result.source_accuracy:.0%} on its own training data.")
