"""Pooling and CAM (lectures 001 and 002): max and average pooling, stride 2, global pooling, CAM = Grad-CAM."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import streamlit as st

from app_pages.ui import (
    LiveTraining, cached_figure, history_figure, ready_demo, remember_demo, report, session_model, stop_button,
    train_buttons, url_setting, write_url,
)

# Real scans a student recognises, with short labels for the select box (fits 1024 px).
SCAN_LABELS = {"ct_head": "head CT", "chest_xray": "chest radiograph", "leg_xray": "leg radiograph",
               "shoulder_mr": "shoulder MR", "ct_abdomen": "abdominal CT"}
SIDE = 128  # pixels the scan is fed at: pooling makes it 64 (2×2), 42 (3×3, stride 3), 32 (4×4)
CT_SCANS = ("ct_head", "ct_abdomen")
# The bone window by default: thin bright bone is where max and average pooling part most visibly.
CT_WINDOWS = {"bone": "bone", "the file's": None, "soft tissue": "soft_tissue"}


# ------------------------------------------------------------------ cached computations and drawings
@st.cache_data(show_spinner=False, max_entries=16)
def scan_pixels(name: str, window: str | None) -> np.ndarray:
    """The scan as a network sees it: windowed (CT), grey, SIDE × SIDE pixels, in [0, 1]."""
    from models.data import WINDOWS, scan_input

    return scan_input(name, SIDE, window=WINDOWS[window] if window else None)


@st.cache_data(show_spinner=False, max_entries=64)
def pooled(name: str, window: str | None, size: int, stride: int):
    from explainers.pooling import compute_pooling

    return compute_pooling(scan_pixels(name, window), size=size, stride=stride)


@st.cache_data(show_spinner=False, max_entries=64)
def downsampled(name: str, window: str | None, kernel: str):
    from explainers.pooling import compute_downsampling

    return compute_downsampling(scan_pixels(name, window), kernel=kernel, stride=2)


def draw_pooling(result):
    from explainers.pooling_plots import plot_pooling

    from app_pages.ui import figure

    return plot_pooling(result, figure(10, 3.9))


def draw_downsampling(result):
    from explainers.pooling_plots import plot_downsampling

    from app_pages.ui import figure

    return plot_downsampling(result, figure(11, 3.5))


def draw_global_pooling(result, index):
    from explainers.pooling_plots import plot_global_pooling

    from app_pages.ui import figure

    return plot_global_pooling(result, figure(11, 5.2), index=index, channels=4)


def draw_comparison(result, centre, radius):
    from explainers.pooling_plots import plot_cam_comparison

    from app_pages.ui import figure

    return plot_cam_comparison(result, figure(11, 3.3), centre=centre, radius=radius)


def draw_terms(result):
    from explainers.pooling_plots import plot_cam_terms

    from app_pages.ui import figure

    return plot_cam_terms(result, figure(11, 3.2), terms=3)


@st.cache_data(show_spinner=False)
def cam_refusal() -> str:
    """What compute_cam says about the saliency page's CNN (GMP and a hidden dense layer)."""
    from explainers.pooling import compute_cam
    from models.page_models import saliency_cnn

    model = saliency_cnn()
    try:
        compute_cam(model, np.zeros(model.inputs[0].shape[1:], dtype="float32"))
    except ValueError as err:
        return str(err)
    return "compute_cam accepted it (unexpected: the page's CNN has a GAP head?)"


@st.cache_data(show_spinner=False)
def lesion_data():
    from models.recipes import pooling_data

    return pooling_data(seed=0)


# -------------------------------------------------------------------------------- the page
st.title("Pooling and CAM")
st.markdown(
    "A pooling layer makes a feature map smaller with nothing to learn: it slides a window over the map and "
    "keeps one number per window. Lecture 002's table: **max pooling** \"selects the maximum value of the "
    "current view\" (it \"preserves detected features\" and is \"most commonly used\"); **average pooling** "
    "\"averages the values of the current view\" (it \"downsamples the feature map\" and was \"used in LeNet\")."
)

# ------------------------------------------------------------- 1. max and average pooling
st.header("Max or average pooling on a real scan")
c1, c2, c3, c4 = st.columns([1.3, 1, 1, 1])
scan = c1.selectbox("Scan", list(SCAN_LABELS), format_func=SCAN_LABELS.get,
                    key=url_setting("pool_scan", "ct_head", options=list(SCAN_LABELS)))
ct_window = c2.selectbox("CT window", list(CT_WINDOWS), disabled=scan not in CT_SCANS,
                         key=url_setting("pool_window", "bone", options=list(CT_WINDOWS)))
size = c3.slider("Pool window", 2, 4, key=url_setting("pool_size", 2, bounds=(2, 4)))
stride = c4.slider("Stride", 1, 4, key=url_setting("pool_stride", 2, bounds=(1, 4)))
write_url()
window = CT_WINDOWS[ct_window] if scan in CT_SCANS else None

try:
    result = pooled(scan, window, int(size), int(stride))
except (OSError, ValueError) as err:   # a scan that cannot be read: say so, keep the page running
    st.error(f"Could not load the {SCAN_LABELS[scan]}: {err}. Pick another scan.")
    st.stop()
cached_figure(draw_pooling, result)
(oh, ow), peak = result.output_shape, float(result.image.max())
st.markdown(
    f"{SIDE}×{SIDE} → **{oh}×{ow}** (⌊({SIDE} − {size}) / {stride}⌋ + 1 = {oh}: each output is one "
    f"{size}×{size} window). Brightest pixel: input {peak:.2f}, max pool **{result.maximum.max():.2f}**, "
    f"average pool **{result.average.max():.2f}**. Mean grey level: input {result.image.mean():.3f}, max pool "
    f"{result.maximum.mean():.3f}, average pool {result.average.mean():.3f}."
)
st.caption(
    "Max pooling keeps a thin bright structure (the skull's rim, a bone's cortex) at full strength and makes "
    "it thicker; average pooling keeps the overall brightness and lets thin details fade into their "
    "neighbours. A stride smaller than the window makes windows overlap (more outputs, each pixel counted "
    "more than once); a stride larger than the window skips pixels altogether."
)

# ------------------------------------------------------------- 2. stride-2 convolution against pooling
st.header("Stride-2 convolution or pooling")
st.markdown(
    "Lecture 002's third convolution setting is a \"3x3 conv kernel, same padding, **stride = 2**\"; lecture 000: "
    "the stride \"controls output size reduction\". A stride-2 convolution halves the map as 2×2 pooling does, "
    "but what it keeps is decided by its kernel, which a CNN learns: (F·F·C + 1)·K weights per layer "
    "(lecture 002), against none for pooling."
)
from explainers.kernels import PRESETS  # noqa: E402

KERNELS = [k for k in PRESETS if k != "identity"]
kernel = st.columns(2)[0].selectbox("Kernel of the stride-2 convolution", KERNELS,
                      key=url_setting("pool_kernel", "box blur", options=KERNELS))
write_url()
down = downsampled(scan, window, kernel)
cached_figure(draw_downsampling, down)
n = down.image.shape[0]
st.caption(
    f"Output sizes for a {n}-pixel side: convolution with same padding ⌈{n}/2⌉ = {down.convolved.shape[0]}; "
    f"2×2 pooling ⌊({n} − 2)/2⌋ + 1 = {down.maximum.shape[0]}. The first panel is a stride-2 convolution "
    "with the identity kernel: it keeps one pixel in four and ignores the other three, so a thin line can "
    "vanish; pooling looks at every pixel. With the box blur the convolution is average pooling over 3×3 "
    "windows that overlap; with an edge kernel it keeps edges only."
)

# ------------------------------------------------------------- 3. a CNN with a GAP head
st.header("A CNN with global average pooling")
st.markdown(
    "Global pooling squeezes each whole feature map to one number: the mean (**global average pooling**, "
    "GAP; lecture 001's reading list asks \"Can you tell us something about 'Global Average Pooling'?\") or "
    "the maximum (**global max pooling**). This CNN has GAP straight into its output layer and no hidden "
    "dense layer: the head of CheXNet, lecture 002's \"121-layer CNN\" that reads a chest X-ray."
)
from models.recipes import POOLING_RECIPE, build_pooling_cnn  # noqa: E402

data = lesion_data()
entry = session_model("pool_cnn", ("gap", POOLING_RECIPE["filters"]), lambda: build_pooling_cnn(seed=0))
filters = " → ".join(str(f) for f in POOLING_RECIPE["filters"])
st.caption(f"conv→BN→ReLU stages with {filters} filters (2×2 max pooling between them), GAP, one sigmoid "
           f"unit · {entry.model.count_params():,} parameters · {len(data.y)} training and {len(data.y_val)} "
           f"test lesion images (half with a nodule) · {POOLING_RECIPE['epochs']} epochs per click (about 15 s)")
go = train_buttons("pool_cnn", key="pool")
ready_demo("pooling", (entry.signature, POOLING_RECIPE["epochs"]), entry, go)
plot_col, _ = st.columns([3, 2])
curves = plot_col.empty()


def redraw(progress=None, model=None):
    cached_figure(history_figure, entry.history.history, ("accuracy", "val_accuracy"), 6, 2.4, "Accuracy",
                  slot=curves)


if go:
    from models.recipes import train_pooling_cnn

    with stop_button(beside=go):
        train_pooling_cnn(entry.model, data, history=entry.history, observers=[LiveTraining(redraw)])
    remember_demo("pooling", (entry.signature, POOLING_RECIPE["epochs"]), entry, POOLING_RECIPE["epochs"])
if len(entry.history):
    redraw()
    report(entry.history)
else:
    st.info("The model is untrained: its maps and heatmaps are noise. Click **Train** (about 15 s), then look "
            "again. CAM equals Grad-CAM even now: the equality is algebra, not learning.")

# Pick a test image (with a nodule by default); predictions once per trained state.
trained_key = (len(entry.history), entry.history.status)
if entry.extra.get("p_key") != trained_key:
    entry.extra["p"] = np.asarray(entry.model.predict(data.x_val, verbose=0)).ravel()
    entry.extra["p_key"] = trained_key
    entry.extra.pop("cam_key", None)
KINDS = {"with a nodule": 1, "without": 0}
k1, k2, k3 = st.columns([1.3, 1, 1.7], vertical_alignment="bottom")
kind = k1.segmented_control("Test image", list(KINDS), key=url_setting("pool_kind", "with a nodule",
                                                                      options=list(KINDS))) or "with a nodule"
group = np.flatnonzero(data.y_val == KINDS[kind])
pick_key = url_setting("pool_pick", 1, bounds=(1, len(group)))
pick = k2.number_input(f"Which ({len(group)})", 1, len(group), key=pick_key)
write_url()
index = int(group[int(pick) - 1])
p = float(entry.extra["p"][index])
k3.markdown(f"test image {index} · p(nodule) = **{p:.2f}**")
centre, radius = data.centres_val[index], float(data.radii_val[index])

# ------------------------------------------------------------- 4. global average against global max
from explainers.pooling import compute_cam_comparison, compute_global_pooling  # noqa: E402

cam_key = (trained_key, index)
if entry.extra.get("cam_key") != cam_key:
    entry.extra["global"] = compute_global_pooling(entry.model, data.x_val[index][None],
                                                   labels=data.y_val[index:index + 1])
    entry.extra["comparison"] = compute_cam_comparison(entry.model, data.x_val[index])
    entry.extra["cam_key"] = cam_key
glob, comparison = entry.extra["global"], entry.extra["comparison"]
st.subheader("Global average or global max pooling")
cached_figure(draw_global_pooling, glob, 0)
gap, gmp = glob.average[0], glob.maximum[0]
st.caption(
    f"The {gap.size} maps of {glob.layer_name} ({glob.maps.shape[1]}×{glob.maps.shape[2]} each) become "
    f"{gap.size} numbers either way. Here the maps' means range {gap.min():.2f}-{gap.max():.2f} and their "
    f"maxima {gmp.min():.2f}-{gmp.max():.2f}: a small bright spot (a nodule) lifts a map's maximum much more "
    "than its mean. GMP asks \"is it anywhere?\", GAP \"how much of it is there?\" (the course CNN on the "
    "other pages uses GMP)."
)

# ------------------------------------------------------------- 5. CAM, and CAM = Grad-CAM
st.subheader("Class activation maps (CAM)")
st.markdown(
    "With GAP straight into the output layer, the score is z = Σ_k w_k · mean(A_k) + b. Both steps are linear, "
    "so the weights can be laid over the maps before averaging: the **class activation map** "
    "(Zhou et al., 2016) M = Σ_k w_k A_k shows where the evidence for the class is, and its mean plus b "
    "*is* z. The CheXNet paper (Rajpurkar et al., 2017) drew its heatmaps this way."
)
st.latex(r"M(i,j) = \sum_k w_k A_k(i,j), \qquad z = \frac{1}{Z}\sum_{i,j} M(i,j) + b")
st.latex(r"\text{Grad-CAM:}\quad \alpha_k = \frac{1}{Z}\sum_{i,j}\frac{\partial p}{\partial A_k(i,j)} "
         r"= \frac{p(1-p)}{Z}\, w_k")
cached_figure(draw_terms, comparison.cam)
cam = comparison.cam
st.markdown(
    f"Mean of M **{cam.cam.mean():+.4f}** + bias b **{cam.bias:+.4f}** = **{cam.logit:+.4f}**; the model's "
    f"own score: log(p / (1 − p)) = **{np.log(cam.score / (1 - cam.score)):+.4f}** (p = {cam.score:.4f})."
    if 0 < cam.score < 1 else f"Mean of M + b = {cam.logit:+.4f} (p = {cam.score:.4f})."
)
cached_figure(draw_comparison, comparison, tuple(map(float, centre)), radius)
st.markdown(
    f"Grad-CAM (from gradients) and CAM (from the output layer's weights) are one map here: max |difference| "
    f"= **{comparison.max_abs_difference:.1e}** (float rounding). Grad-CAM's weights α_k are CAM's w_k times "
    f"one number, p(1 − p)/Z = {comparison.alpha_scale:.2e} (largest misfit {comparison.alpha_misfit:.0e} of "
    "the largest α). That holds for a GAP head into one sigmoid unit (or a linear output); under a softmax "
    "Grad-CAM of the probability weighs map k by p_c(w_kc − Σ_j p_j w_kj)/Z instead."
)

st.subheader("Why the saliency page uses Grad-CAM")
with st.container(border=True):
    st.markdown(
        "The saliency page's CNN has global **max** pooling and a hidden dense layer before its output: there "
        "is no single weight per map to lay over the maps, so CAM is not defined for it. Asked anyway, "
        "`compute_cam` answers:"
    )
    st.code(cam_refusal(), language=None, wrap_lines=True)
    st.markdown("Grad-CAM works on any head, and there its weights α_k change from image to image.")
    st.page_link("app_pages/saliency.py", label="Where did the model look? (Grad-CAM)", icon=":material/visibility:")
