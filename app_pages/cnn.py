"""A CNN learns its filters (lectures 001-003): live filters, feature maps, predictions, transfer."""
import numpy as np
import streamlit as st

from app_pages.ui import LiveTraining, figure, plot_history, report, session_model, stop_button, url_setting, write_url
from models.data import make_lesions

st.title("A CNN learns its filters")
st.markdown(
    "A small CNN (conv → batch norm → ReLU → pooling, twice, then global max pooling) learns to spot a "
    "nodule on chest-X-ray-like images. Watch its first-layer kernels turn into edge and blob detectors "
    "and its feature maps light up on the nodule, epoch by epoch."
)

c1, c2, c3, c4 = st.columns(4)
epochs = c1.number_input("Epochs", 1, 30, key=url_setting("cnn_epochs", 6, bounds=(1, 30)))
lr = c2.number_input("Learning rate", 1e-4, 1e-1, format="%.4f", key=url_setting("cnn_lr", 3e-3, bounds=(1e-4, 1e-1)))
n_filters = c3.selectbox("Filters per stage", ["8,16", "16,32", "32,64"],
                         key=url_setting("cnn_filters", "16,32", options=["8,16", "16,32", "32,64"]))
index = c4.number_input("Test image to inspect", 0, 127, key=url_setting("cnn_image", 1, bounds=(0, 127)))
write_url()


@st.cache_data(show_spinner=False)
def cached_lesions():
    """384 training and 128 test lesion images (shared, read-only)."""
    x, y, centres, _ = make_lesions(512, 64, seed=0)
    return (x[:384], y[:384]), (x[384:], y[384:], centres[384:])


(x, y), (xt, yt, ct) = cached_lesions()
filters_tuple = tuple(int(v) for v in n_filters.split(","))


def build():
    from models import build_cnn

    return build_cnn((64, 64, 1), 2, filters=filters_tuple)


entry = session_model("cnn_model", (filters_tuple,), build)
st.caption(f"{entry.model.count_params():,} parameters · {len(y)} training and {len(yt)} test images · "
           f"test image {int(index)} is {'a nodule' if yt[int(index)] else 'no nodule'}")

curves_col, filt_col = st.columns([2, 3])
curves = curves_col.empty()
filt_slot = filt_col.empty()
maps_slot = st.empty()


def redraw(progress, model):
    from explainers.kernels import compute_feature_maps, filters
    from explainers.kernels_plots import plot_feature_maps, plot_filters

    if len(entry.history):
        ax = plot_history(entry.history, keys=("accuracy", "val_accuracy"), ax=figure(5, 3).subplots(),
                          title="Accuracy")
        curves.pyplot(ax.figure, clear_figure=False)
    filt_slot.pyplot(plot_filters(filters(model, "cnn_conv1")), clear_figure=False)
    maps = compute_feature_maps(model, xt[int(index)])
    p = float(np.asarray(model(xt[int(index)][None], training=False))[0, 0])
    fig = plot_feature_maps(maps, fig=figure(11, 1.6 * len(maps.maps) + 0.4), max_maps=8)
    fig.suptitle(f"Feature maps of test image {int(index)} · P(nodule) = {p:.2f}", fontsize=9)
    maps_slot.pyplot(fig, clear_figure=False)


left, right = st.columns([1, 1])
go = left.button("Train", type="primary", icon=":material/play_arrow:")
if right.button("Reset model", icon=":material/restart_alt:"):
    del st.session_state["cnn_model"]
    st.rerun()
if go:
    from models.train import train

    with stop_button():
        train(entry.model, x, y, epochs=int(epochs), batch_size=32, validation_data=(xt, yt),
              learning_rate=float(lr), history=entry.history, observers=[LiveTraining(redraw)])
redraw(None, entry.model)
report(entry.history)


@st.cache_data(show_spinner=False, max_entries=4)
def confusion(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(labels, (probabilities >= 0.5).astype(int), labels=[0, 1])


if len(entry.history):
    st.subheader("Predictions on the test split")
    prob = np.asarray(entry.model.predict(xt, verbose=0))[:, 0]
    cm = confusion(prob, yt)
    acc = float(np.trace(cm) / cm.sum())
    c1, c2 = st.columns([3, 2])
    fig = figure(8, 2.4)
    axes = fig.subplots(2, 8)
    for i, ax in enumerate(axes.flat):
        ax.imshow(xt[i, :, :, 0], cmap="gray")
        guess = int(prob[i] >= 0.5)
        conf = prob[i] if guess else 1 - prob[i]
        ax.set_title(f"{'nodule' if guess else 'clear'} {conf:.0%}", fontsize=7,
                     color="green" if guess == yt[i] else "red")
        ax.set_xticks([])
        ax.set_yticks([])
    c1.pyplot(fig)
    c1.caption("Prediction and its confidence for the first 16 test images (green: right, red: wrong).")
    fig = figure(3.2, 3)
    ax = fig.subplots()
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=12)
    ax.set_xticks([0, 1], ["clear", "nodule"])
    ax.set_yticks([0, 1], ["clear", "nodule"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"Confusion matrix · accuracy {acc:.1%}", fontsize=9)
    c2.pyplot(fig)

# ------------------------------------------------------------ transfer learning
st.subheader("Transfer learning with few images")
st.markdown(
    "Pretrain the same CNN on a different image task (synthetic shapes, or hand-written digits), then "
    "fine-tune it on only a few lesion images with the lecture's three strategies, against training from "
    "scratch. Frozen layers keep their source weights; only the trainable parameters learn."
)
c1, c2, c3 = st.columns(3)
source = c3.selectbox("Source task", ["shapes", "digits"], key=url_setting("cnn_tl_source", "shapes",
                                                                           options=["shapes", "digits"]))
n_target = c1.select_slider("Labelled lesion images", [16, 32, 48, 96, 192],
                            key=url_setting("cnn_tl_n", 48, options=[16, 32, 48, 96, 192]))
ft_epochs = c2.number_input("Fine-tuning epochs", 2, 20, key=url_setting("cnn_tl_epochs", 8, bounds=(2, 20)))
write_url()


if st.button("Compare transfer strategies", icon=":material/compare_arrows:"):
    from explainers.transfer import compute_transfer

    # Five short runs (pretraining, then four fine-tunings); only curves and counts are kept.
    with st.spinner(f"Pretraining on {source}, then fine-tuning four ways…"), stop_button(key="stop_tl"):
        st.session_state["cnn_tl_result"] = compute_transfer(int(n_target), finetune_epochs=int(ft_epochs),
                                                             source=source, observer=LiveTraining(None))
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
