"""Receptive fields (lecture 002): how far one unit sees, analytically and effectively."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import streamlit as st

from app_pages.ui import (
    LiveTraining, cached_figure, figure, report, session_model, stop_button, url_setting, write_url,
)
from models.data import IMAGE_NAMES, load_image, make_lesions

st.title("Receptive fields")
st.markdown(
    "A unit deep in a CNN depends on a square of input pixels, its receptive field (lecture 002, "
    "with S₀ = 1):"
)
st.latex(r"R_k = 1 + \sum_{j=1}^{k} (F_j - 1) \prod_{i=0}^{j-1} S_i")
st.markdown(
    "Stacking 3×3 kernels and pooling makes it grow fast, but the "
    "*effective* field — where the gradient actually is — stays a much smaller, peaked blob."
)

MODELS = ["our CNN", "our ResNet", "VGG16", "MobileNet", "ResNet50", "InceptionV3"]
APPLICATIONS = {"VGG16", "MobileNet", "ResNet50", "InceptionV3"}

c1, c2, c3 = st.columns([1, 2, 1])
model_name = c1.selectbox("Model", MODELS, key=url_setting("rf_model", "our CNN", options=MODELS))


def _build(name: str):
    import keras

    from models.page_models import receptive_field_model

    if name in ("our CNN", "our ResNet"):
        return receptive_field_model(name)
    # keras.applications without weights: nothing is downloaded.
    return getattr(keras.applications, name)(weights=None, include_top=False)


@st.cache_resource(show_spinner="Building the model (no weights are downloaded)…", max_entries=3)
def shared_model(name: str):
    """Read-only: used for analysis only, never trained (shared across users)."""
    return _build(name)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_spatial_layers(name: str) -> list[str]:
    """The layers the field can be read at: conv, pooling, merges and activations (graph order)."""
    from explainers.receptive_field import spatial_layer_names

    return spatial_layer_names(shared_model(name))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_field(name: str, layer: str):
    """The analytic field depends only on the architecture: one result per (model, layer)."""
    from explainers.receptive_field import compute_receptive_field

    return compute_receptive_field(shared_model(name), layer_name=layer)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_erf(name: str, layer: str, n_samples: int, size: int):
    from explainers.receptive_field import compute_effective_receptive_field

    return compute_effective_receptive_field(shared_model(name), layer_name=layer, n_samples=n_samples,
                                             input_size=size)


layer_names = cached_spatial_layers(model_name)
layer_key = url_setting("rf_layer", "")
if st.session_state[layer_key] not in layer_names:
    st.session_state[layer_key] = layer_names[-1]
layer = c2.selectbox("Layer", layer_names, key=layer_key)
n_samples = c3.select_slider("Random inputs", [4, 8, 16, 32], key=url_setting("rf_samples", 8, options=[4, 8, 16, 32]))
c1, c2 = st.columns([1, 3])
image_name = c1.selectbox("Draw over", list(IMAGE_NAMES), key=url_setting("rf_image", "ct", options=list(IMAGE_NAMES)))
size = 64 if model_name.startswith("our") else c2.select_slider(
    "Input side for the effective field", [64, 128, 224], key=url_setting("rf_size", 128, options=[64, 128, 224]))
write_url()

try:
    rf = cached_field(model_name, layer)
except ValueError as err:
    st.error(f"{err}.")
    st.stop()

c1, c2, c3 = st.columns(3)
c1.metric("Receptive field R", f"{rf.size} × {rf.size_hw[1]}")
c2.metric("Effective stride (jump)", rf.stride)
c3.metric("Effective padding", f"{rf.padding:g}")

from explainers.receptive_field_plots import plot_effective_field, plot_receptive_field_growth  # noqa: E402


def draw_growth(rf):
    return plot_receptive_field_growth(rf, figure(7, 3.6).subplots()).figure


def draw_fields(erf, image, title):
    """The effective field over the image and alone, with the analytic square."""
    fig = figure(9, 4.2)
    a1, a2 = fig.subplots(1, 2)
    where = f"{erf.layer_name}[{erf.unit[0]}, {erf.unit[1]}]"
    plot_effective_field(erf, a1, image=image, title=f"over the image: where {where} looks")
    plot_effective_field(erf, a2, title=f"alone: non-zero extent {erf.extent[0]}×{erf.extent[1]} "
                                        f"from {erf.n_samples} inputs")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


left, right = st.columns([3, 2])
cached_figure(draw_growth, rf, slot=left)
right.markdown("With a dilation D_j (a dilated kernel spans D_j·(F_j − 1) + 1 pixels) the formula becomes")
right.latex(r"R_k = 1 + \sum_{j=1}^{k} D_j\,(F_j - 1) \prod_{i=0}^{j-1} S_i")
right.markdown(
    "Each layer widens the field by D·(F − 1) times the jump (the product of the strides before it), so "
    "layers after pooling add more. Merges (residual adds, concatenations) take the union of their inputs' "
    "fields."
)
if rf.whole_image:
    right.info(f"{len(rf.whole_image)} merge(s) multiply in a globally pooled branch (squeeze and excitation, e.g. "
               f"{rf.whole_image[0]}): from there on every unit also depends on the whole image; R_k is the "
               "local window.")
if rf.misaligned:
    right.warning(f"{len(rf.misaligned)} merge(s) combine fields that are not centred alike (e.g. "
                  f"{rf.misaligned[0]}): 'same' padding with stride 2 on an even input pads only after.")
st.dataframe({"layer": [r.name for r in rf.layers], "type": [r.kind for r in rf.layers],
              "F": [r.kernel for r in rf.layers], "S": [r.stride for r in rf.layers],
              "D": [r.dilation for r in rf.layers], "pad": [r.pad for r in rf.layers],
              "R_k": [r.size for r in rf.layers], "jump": [r.jump for r in rf.layers],
              "effective padding": [r.padding for r in rf.layers]},
             hide_index=True, height=240)


@st.cache_data(show_spinner=False, max_entries=8)
def cached_image(name: str, side: int):
    return load_image(name, size=side)


st.subheader("Analytic square and effective field")
image = cached_image(image_name, size)
if model_name == "our CNN":
    # Our CNN can be trained here; its effective field changes as it learns (per-user model).
    from explainers.receptive_field import compute_effective_receptive_field

    entry = session_model("rf_cnn_model", ("cnn",), lambda: _build("our CNN"))
    erf_slot = st.empty()

    def redraw(progress, model):
        # The field changes only when the weights do: keep it per (layer, samples, epochs trained).
        key = (layer, int(n_samples), len(entry.history))
        if entry.extra.get("erf_key") != key:
            entry.extra["erf"] = compute_effective_receptive_field(model, layer_name=layer, n_samples=int(n_samples),
                                                                   seed=0)
            entry.extra["erf_key"] = key
        cached_figure(draw_fields, entry.extra["erf"], image, f"after {len(entry.history)} training epoch(s)",
                      slot=erf_slot)

    c1, c2 = st.columns([1, 3])
    epochs = c1.number_input("Epochs", 1, 20, key=url_setting("rf_epochs", 3, bounds=(1, 20)))
    write_url()
    if c2.button("Train", type="primary", icon=":material/play_arrow:"):
        from models.training import train

        @st.cache_data(show_spinner=False)
        def lesions():
            x, y, _, _ = make_lesions(384, 64, seed=0)
            return x, y

        x, y = lesions()
        with stop_button():
            train(entry.model, x, y, epochs=int(epochs), learning_rate=3e-3, history=entry.history,
                  observers=[LiveTraining(redraw)])
    redraw(None, entry.model)
    report(entry.history)
else:
    try:
        erf = cached_erf(model_name, layer, int(n_samples), int(size))
    except ValueError as err:
        st.error(f"{err}.")
        st.stop()
    cached_figure(draw_fields, erf, image, None)
    st.caption(f"{model_name} without pretrained weights (random init), from {int(n_samples)} random "
               f"{int(size)}×{int(size)} inputs. The dashed square is the analytic field of the centre unit "
               f"{erf.unit}; it may be larger than the image.")
