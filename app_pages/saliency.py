"""Where did the model look? Grad-CAM and saliency over a lesion classifier (lecture 002)."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import streamlit as st

from app_pages.ui import (
    LiveTraining, cached_figure, dicom_frame_picker, figure, history_figure, ready_demo, remember_demo, report,
    session_model, stop_button, train_buttons, url_setting, write_url,
)


def draw_explanations(cam, sal, label, centre, radius):
    """The image, its Grad-CAM and its saliency map side by side."""
    from explainers.saliency_plots import plot_heatmap

    fig = figure(10, 3.5)
    a0, a1, a2 = fig.subplots(1, 3)
    a0.imshow(cam.image[..., 0], cmap="gray")
    a0.set_title("image" + ("" if label is None else f" (label {label})"), fontsize=9)
    a0.set_axis_off()
    plot_heatmap(cam, a1, centre=centre, radius=radius)
    plot_heatmap(sal, a2, centre=centre, radius=radius)
    return fig


def draw_hit_rate(hits):
    from explainers.saliency_plots import plot_hit_rate

    return plot_hit_rate(hits, figure(10, 1.9), n=8)


st.title("Where did the model look?")
st.markdown(
    "A classifier that says *nodule* should say it because of the nodule. **Grad-CAM** (Selvaraju et al., "
    "2017) weights each feature map A^k of the last conv layer by how much it raises the score y, averaged "
    "over its Z pixels, and keeps the positive part of the weighted sum:"
)
st.latex(r"\alpha_k = \frac{1}{Z} \sum_{i,j} \frac{\partial y}{\partial A^k_{ij}}, \qquad "
         r"L_{\text{Grad-CAM}} = \mathrm{ReLU}\Big(\sum_k \alpha_k A^k\Big)")
st.markdown(
    "CheXNet (lecture 002's \"121-layer CNN\", chest X-ray in, \"Pneumonia Positive (85%)\" out) drew its "
    "heatmaps with **CAM** (Zhou et al., 2016), not Grad-CAM. CAM needs global average pooling straight into "
    "the output layer, and on such a head with sigmoid outputs (CheXNet's) Grad-CAM gives the very same map. "
    "This CNN has global **max** pooling and a hidden dense layer before its output, so it has no CAM: "
    "Grad-CAM is what explains it, with weights α_k that change from image to image. A **saliency map** shows "
    "|∂y/∂x|, the pixels that would change the score most."
)
st.page_link("app_pages/pooling.py", label="CAM on a GAP head, equal to Grad-CAM: Pooling and CAM",
             icon=":material/grid_view:")

c1, c2, c3 = st.columns(3)
epochs = c1.number_input("Epochs", 1, 30, key=url_setting("sal_epochs", 6, bounds=(1, 30)))
lr = c2.select_slider("Learning rate", [1e-3, 3e-3, 1e-2], key=url_setting("sal_lr", 3e-3, options=[1e-3, 3e-3, 1e-2]))
smooth = c3.select_slider("SmoothGrad copies (0 = plain gradient)", [0, 8, 16, 32],
                          key=url_setting("sal_smooth", 16, options=[0, 8, 16, 32]))
write_url()


@st.cache_data(show_spinner=False)
def lesion_data():
    from models.data import make_lesions

    return make_lesions(384, seed=0), make_lesions(96, seed=1)


(x, y, _, _), (xv, yv, cv, rv) = lesion_data()
from models.page_models import saliency_cnn  # noqa: E402

entry = session_model("sal_cnn", ("cnn", 64), saliency_cnn)
st.caption(f"CNN (conv→BN→ReLU→pool ×2, global max pooling, sigmoid) · {entry.model.count_params():,} parameters · "
           f"{len(y)} training and {len(yv)} test images (half with a nodule)")
# Train sits above the figures, so they appear below it without moving the buttons.
go = train_buttons("sal_cnn", key="sal")
demo_settings = (entry.signature, int(epochs), float(lr))
ready_demo("saliency", demo_settings, entry, go)
plot_col, _ = st.columns([3, 2])
curves = plot_col.empty()


def redraw(progress=None, model=None):
    cached_figure(history_figure, entry.history.history, ("accuracy", "val_accuracy"), 6, 2.4, "Accuracy",
                  slot=curves)


if go:
    from models.training import train

    with stop_button(beside=go):
        train(entry.model, x, y, epochs=int(epochs), batch_size=32, learning_rate=float(lr),
              validation_data=(xv, yv), history=entry.history, observers=[LiveTraining(redraw)])
    remember_demo("saliency", demo_settings, entry, int(epochs))
if len(entry.history):
    redraw()
    report(entry.history)
else:
    st.info("The model is untrained: its heatmaps are noise. Click **Train** (about 20 s), then look again.")

# ------------------------------------------------------------ pick an image
st.header("Explain one image")
SOURCES = ["Test image", "Upload"]
source = st.segmented_control("Image", SOURCES, key=url_setting("sal_source", "Test image", options=SOURCES))
image, centre, radius, label = None, None, None, None
if source == "Upload":
    up = st.file_uploader("A PNG, JPEG, TIFF, BMP or DICOM image; it is turned grey and resized to 64×64",
                          type=["png", "jpg", "jpeg", "tif", "tiff", "bmp", "dcm"])
    if up is not None:
        from models.data import load_image_bytes

        try:
            frame = dicom_frame_picker(up.getvalue(), up.name, key="sal_frame")
            image = load_image_bytes(up.getvalue(), up.name, size=(64, 64), frame=frame)[..., None].astype(np.float32)
        except (ValueError, TypeError) as err:
            st.error(f"Could not use {up.name!r}: {err}. Upload a PNG, JPEG, TIFF, BMP or DICOM image.")
else:
    # Open on an image the model gets right; the student can pick its mistakes to discuss.
    key_p = ("val_p", len(entry.history), entry.history.status)
    if entry.extra.get("val_p_key") != key_p:  # once per trained state
        entry.extra["val_p"] = np.asarray(entry.model.predict(xv, verbose=0)).ravel()
        entry.extra["val_p_key"] = key_p
    predicted = entry.extra["val_p"] > 0.5  # the lecture's rule: positive when p > τ
    kinds = {"a nodule it finds": (yv == 1) & predicted, "a nodule it misses": (yv == 1) & ~predicted,
             "a false alarm": (yv == 0) & predicted, "a clear scan it gets right": (yv == 0) & ~predicted}
    k1 = st.container()  # the four choices need the whole row at 1024 px
    kind = k1.segmented_control("Test image: show", list(kinds), key=url_setting(
        "sal_kind", "a nodule it finds", options=list(kinds)))
    kind = kind or "a nodule it finds"
    pool = np.flatnonzero(kinds[kind])
    if len(pool) == 0:
        k1.info(f"No test image is {kind} for this model; showing all {len(yv)} test images instead.")
        pool = np.arange(len(yv))
    k2, k3 = st.columns([1, 2], vertical_alignment="bottom")
    pick_key = url_setting("sal_pick", 1, bounds=(1, len(yv)))
    if int(st.session_state.get(pick_key, 1)) > len(pool):  # a smaller group than the last one: start at 1
        st.session_state[pick_key] = 1
    pick = k2.number_input(f"Which one ({len(pool)} of this kind)", 1, len(pool), key=pick_key) \
        if len(pool) > 1 else 1
    index = int(pool[min(int(pick), len(pool)) - 1])
    image, centre, radius, label = xv[index], cv[index], rv[index], int(yv[index])
    k3.caption(f"test image {index} of {len(yv)}")
write_url()

if image is not None:
    import hashlib

    from explainers.saliency import compute_gradcam, compute_saliency

    # The maps change only with the weights, the image or SmoothGrad: keep the last ones.
    key = (len(entry.history), entry.history.status, int(smooth), hashlib.sha1(image.tobytes()).hexdigest())
    if entry.extra.get("maps_key") != key:
        entry.extra["maps"] = (compute_gradcam(entry.model, image),
                               compute_saliency(entry.model, image, smoothgrad=int(smooth)))
        entry.extra["maps_key"] = key
    cam, sal = entry.extra["maps"]
    p = cam.score
    truth = "" if label is None else f" · truth: **{'nodule' if label else 'no nodule'}**"
    st.markdown(f"Prediction: **{'nodule' if p > 0.5 else 'no nodule'}** (p = {p:.2f}){truth} · "
                f"Grad-CAM layer `{cam.layer_name}` ({cam.cam.shape[0]}×{cam.cam.shape[1]}, upsampled).")
    cached_figure(draw_explanations, cam, sal, label, centre, radius)
    if centre is not None and label == 1:
        r, c = np.unravel_index(cam.heatmap.argmax(), cam.heatmap.shape)
        inside = np.hypot(r - centre[0], c - centre[1]) <= radius
        st.markdown(f"Grad-CAM's peak (+) is **{'inside' if inside else 'outside'}** the nodule (green circle).")

# ------------------------------------------------------------ hit rate
st.header("How often does Grad-CAM find the nodule?")


def hit_rate_section():
    from explainers.saliency import compute_nodule_hit_rate

    cached = entry.extra.get("hits")
    if cached is None or cached[0] != len(entry.history):  # once per trained state, not every rerun
        entry.extra["hits"] = (len(entry.history), compute_nodule_hit_rate(entry.model, xv, yv, cv, rv))
    hits = entry.extra["hits"][1]
    if hits.true_positives == 0:
        st.warning("No true positives yet (the model finds no nodule in the test images): train it first.")
        return
    st.metric("Grad-CAM peak inside the nodule, on true positives", f"{hits.rate:.0%}",
              help=f"{hits.hits} of {hits.true_positives} test images with a nodule that the model called positive")
    cached_figure(draw_hit_rate, hits)


if len(entry.history):
    hit_rate_section()
else:
    st.caption("Appears once the model is trained.")

# ------------------------------------------------------------ a real scan
st.header("On a real scan: the radiologist's marker")
st.markdown(
    "pydicom's liver MR carries an overlay: a radiologist's outline round a liver lesion. Windowed with the "
    "file's own window and resized to the classifier's 64×64 input, it is **out of distribution**: the "
    "network learnt from synthetic nodules, never from an MR or a liver. Does its heatmap fall on the marker? "
    "The number is the share of the map's mass inside the marker against the marker's share of the image: a "
    "map that ignores the marker scores about its area share (1×), one on the lesion alone scores 100%."
)


@st.cache_data(show_spinner=False, max_entries=4)
def real_scan(side: int):
    """The liver MR as the network's input, its display at full size and its lesion marker (shared)."""
    from explainers.out_of_distribution import compute_lesion_marker
    from models.data import load_scan, scan_input

    scan = load_scan("liver_mr")
    return scan_input(scan, side), scan.display(), compute_lesion_marker(scan.overlay, side)


def draw_real_scan(full, marker, cam_in, sal_in):
    from explainers.out_of_distribution_plots import plot_heatmap_in_marker, plot_lesion_marker

    fig = figure(10, 3.7)
    a0, a1, a2 = fig.subplots(1, 3)
    plot_lesion_marker(marker, a0, image=full, title=f"liver MR {full.shape[0]}×{full.shape[1]}, marker in green")
    plot_heatmap_in_marker(cam_in, a1)
    plot_heatmap_in_marker(sal_in, a2)
    return fig


try:
    scan_x, scan_full, marker = real_scan(int(x.shape[1]))
except ValueError as err:
    st.error(f"Could not load the built-in liver MR: {err}")
else:
    from explainers.out_of_distribution import compute_heatmap_in_marker
    from explainers.saliency import compute_gradcam, compute_saliency

    key = (len(entry.history), entry.history.status, int(smooth))
    if entry.extra.get("scan_key") != key:  # once per trained state and SmoothGrad setting
        cam_scan = compute_gradcam(entry.model, scan_x)
        sal_scan = compute_saliency(entry.model, scan_x, smoothgrad=int(smooth))
        entry.extra["scan_maps"] = (compute_heatmap_in_marker(cam_scan, marker),
                                    compute_heatmap_in_marker(sal_scan, marker))
        entry.extra["scan_key"] = key
    cam_in, sal_in = entry.extra["scan_maps"]
    cached_figure(draw_real_scan, scan_full, marker, cam_in, sal_in)
    p = cam_in.score
    words = []
    for name, r in (("Grad-CAM", cam_in), ("Saliency", sal_in)):
        words.append(f"{name} puts **{r.mass_inside:.1%}** of its mass in the marker, which covers "
                     f"{r.area_share:.1%} of the image (**{r.lift:.1f}×** a uniform map); its peak is "
                     f"**{'inside' if r.peak_inside else 'outside'}**.")
    st.markdown(f"The classifier says **{'nodule' if p > 0.5 else 'no nodule'}** (p = {p:.2f}). "
                + " ".join(words))
    better = cam_in.lift > 1 or sal_in.lift > 1
    peaks = cam_in.peak_inside or sal_in.peak_inside
    st.caption(
        ("Above 1× means more of the map lies on the lesion than chance would put there. " if better else
         "Neither map favours the lesion: the network found nothing there it knows. ")
        + ("" if peaks else "Both peaks lie outside the marker: the map's strongest evidence for *nodule* is "
                            "elsewhere in the image. ")
        + "Either way this is one image, out of distribution: the network has only ever seen bright synthetic "
          "nodules, so a hit means a blob detector fired on a lesion that happens to look like one, not that "
          "it recognises liver lesions; the marker covers only a few of the 64×64 input's pixels."
        + ("" if len(entry.history) else " The model is untrained: these maps are noise until you train it."))
