"""Receptive fields (lecture 002): how far one unit sees, analytically and effectively."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import streamlit as st

from app_pages.ui import (
    LiveTraining, cached_figure, figure, report, session_model, stop_button, url_setting, write_url,
)
from models.data import IMAGE_NAMES, SCANS, load_image, load_scan, make_lesions, scan_input

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
# Real scans first (they have a pixel spacing, so the field gets a size in mm), then the built-in images.
REAL_SCANS = {"ct_head": "this head CT", "ct_abdomen": "this abdominal CT", "chest_xray": "this chest radiograph",
              "shoulder_mr": "this shoulder MR", "liver_mr": "this abdominal MR", "ct": "this small CT slice",
              "mr": "this small MR slice"}
IMAGES = list(REAL_SCANS) + [n for n in IMAGE_NAMES if n not in REAL_SCANS]
c1, c2 = st.columns([1, 3])
image_name = c1.selectbox("Scan or image", IMAGES, key=url_setting("rf_image", "ct_head", options=IMAGES))
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
    """What the net sees: a real scan windowed (the file's window) and resized, or a built-in image."""
    return scan_input(name, side) if name in SCANS else load_image(name, size=side)


@st.cache_data(show_spinner="Reading the scan…", max_entries=8)
def cached_scan_view(name: str, side: int):
    """(display image at most 512 px, the net's input, the scan's (H, W), its spacing in mm or None)."""
    if name not in SCANS:  # a built-in teaching image: no spacing
        image = load_image(name)
        grey = image if image.ndim == 2 else image.mean(axis=-1)
        return grey, cached_image(name, side), tuple(grey.shape[:2]), None
    scan = load_scan(name)
    shape = tuple(scan.pixels.shape[-2:]) if scan.pixels.shape[-1:] != (3,) else tuple(scan.pixels.shape[-3:-1])
    scale = min(1.0, 512 / max(shape))
    display = scan_input(scan, (max(round(shape[0] * scale), 1), max(round(shape[1] * scale), 1)))
    return display, cached_image(name, side), shape, scan.spacing_mm


@st.cache_data(show_spinner=False, max_entries=64)
def cached_field_mm(name: str, layer: str, image_name: str, side: int):
    from explainers.receptive_field import compute_receptive_field_mm

    _, _, shape, spacing = cached_scan_view(image_name, side)
    return compute_receptive_field_mm(cached_field(name, layer), spacing, (side, side), shape)


def draw_field_mm(result, display, net_input):
    """The field's square on the scan as it is and on what the net sees, both over the same millimetres."""
    from explainers.receptive_field_plots import plot_receptive_field_mm

    fig = figure(9, 4.6)
    a1, a2 = fig.subplots(1, 2)
    h, w = result.image_shape
    spacing = result.spacing_mm
    plot_receptive_field_mm(result, a1, image=display,
                            title=f"the scan: {h}×{w} px" + (f" of {spacing[1]:.2f} mm" if spacing else ""))
    n, m = result.input_shape
    eff = result.input_spacing_mm
    plot_receptive_field_mm(result, a2, image=net_input,
                            title=f"what the net sees: {n}×{m} px" + (f" of {eff[1]:.2f} mm" if eff else ""))
    return fig


st.subheader("In millimetres on a real scan")
st.markdown(
    "A field of R pixels is only a size once the pixels have one. The scan is resized to the net's input, "
    "so each input pixel covers several scan pixels: the spacing the net works at is the scan's pixel "
    "spacing times the resize factor, and R times that spacing is how much anatomy one unit sees."
)
try:
    view = cached_scan_view(image_name, int(size))
    field_mm = cached_field_mm(model_name, layer, image_name, int(size))
except ValueError as err:
    st.error(f"Could not place the field on {image_name!r}: {err}. Pick another scan or layer.")
else:
    display, net_input, _, _ = view
    cached_figure(draw_field_mm, field_mm, display, net_input)
    words = REAL_SCANS.get(image_name, f"the {image_name} image")
    st.markdown(f"**{field_mm.describe(words)}**")
    (h, w), (n, m) = field_mm.image_shape, field_mm.input_shape
    fr, fc = field_mm.resize_factor
    factor = f"{fr:.2f}" if abs(fr - fc) < 1e-9 else f"{fr:.2f} down the rows and {fc:.2f} across"
    if field_mm.spacing_mm is None:
        why = "its PixelSpacing is 0\\0" if image_name == "chest_xray" else "it is a teaching image, not a DICOM"
        st.info(f"{image_name!r} carries no pixel spacing ({why}): the field is shown in pixels. Pick a CT or an "
                "MR to see it in millimetres.")
        st.caption(f"Resize {h}×{w} → {n}×{m}: factor {factor}; one unit sees {field_mm.size_scan_px[0]:.0f} × "
                   f"{field_mm.size_scan_px[1]:.0f} pixels of the original.")
    else:
        (sr, sc), (er, ec) = field_mm.spacing_mm, field_mm.input_spacing_mm
        resized = (f"resized {h}×{w} → {n}×{m} (factor {factor}), so one input pixel is {er:.2f} mm"
                   + ("" if abs(er - ec) < 1e-6 else f" × {ec:.2f} mm (the scan is squeezed to a square)")
                   if (h, w) != (n, m) else f"fed at its own {h}×{w} pixels (no resize)")
        st.caption(
            f"Spacing {sr:.3f} mm per pixel in the file; {resized}. R = {field_mm.size_px[0]} × {er:.2f} mm = "
            f"{field_mm.size_mm[0]:.1f} mm; neighbouring units are {field_mm.jump_mm[0]:.1f} mm apart (the jump "
            f"{field_mm.jump_px[0]} × {er:.2f} mm). The square is the field of unit {field_mm.unit} of {layer}, the "
            "one centred nearest the middle; windowed with the file's window.")
        fov = max(field_mm.field_of_view_mm)
        if max(field_mm.size_mm) >= fov:
            st.info(f"The field ({max(field_mm.size_mm):.0f} mm) is wider than the whole scan ({fov:.0f} mm "
                    "across): every unit of this layer can see all of it, and the zero padding around it.")

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
