"""Kernels and convolution (lectures 000, 002, 003): slide a kernel, count parameters."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import streamlit as st

from app_pages.ui import cached_figure, dicom_frame_picker, figure, url_setting, write_url
from explainers import kernels as K
from explainers import kernels_plots as KP
from models.data import IMAGE_NAMES, SCANS, WINDOWS, default_window, load_image, load_image_bytes, load_scan, scan_input


def draw_worked_example(step):
    return KP.plot_worked_example(step, figure(11, 3.2))


def draw_convolution(result, name):
    return KP.plot_convolution(result, figure(11, 4), title=name)


def draw_padding_stride(result):
    return KP.plot_padding_stride(result, figure(5, 5).subplots()).figure


st.title("Kernels and convolution")
st.markdown(
    "A convolution slides one small kernel over the image; every output value is the sum of a "
    "window times the kernel, plus a bias. The same few weights work everywhere, which is why CNNs "
    "need so few parameters."
)

# ------------------------------------------------------------ worked examples
st.subheader("The lecture's worked examples")
EXAMPLES = {
    "3×3 input ⋆ 2×2 kernel (lecture 000)": (K.LECTURE_SMALL_INPUT, K.LECTURE_SMALL_KERNEL),
    "6×6 input ⋆ vertical edge (lecture 003)": (K.LECTURE_6X6_INPUT, K.LECTURE_EDGE_KERNEL),
}
names = list(EXAMPLES)
c1, c2, c3 = st.columns([2, 1, 1])
example = c1.selectbox("Example", names, key=url_setting("kern_example", names[1], options=names))
x_ex, k_ex = EXAMPLES[example]
z_ex = K.convolve2d(x_ex, k_ex)
row = c2.number_input("Output row", 0, z_ex.shape[0] - 1, key=url_setting("kern_row", 0, bounds=(0, 5)))
col = c3.number_input("Output column", 0, z_ex.shape[1] - 1, key=url_setting("kern_col", 0, bounds=(0, 5)))
row, col = min(int(row), z_ex.shape[0] - 1), min(int(col), z_ex.shape[1] - 1)
step = K.compute_output_step(x_ex, k_ex, row, col)
cached_figure(draw_worked_example, step)
terms = " + ".join(f"{w:g}·({k:g})" if k < 0 else f"{w:g}·{k:g}" for w, k in zip(step.window.ravel(), step.kernel.ravel()))
st.markdown(f"z[{row}, {col}] = {terms} = **{step.total:g}** (bias 0)")
st.code(np.array2string(z_ex.astype(int)), language=None)

# ------------------------------------------------------------ a real image
st.subheader("A kernel on a medical image")
st.markdown(
    "A real scan is windowed first, as a radiologist reads it and as a network would receive it: the kernel "
    "sees grey levels, not Hounsfield units, so the window decides what it can find."
)
# Real scans first (windowed from their DICOM values), then the teaching images, then an upload.
REAL_SCANS = {"ct_head": "head CT", "chest_xray": "chest radiograph", "shoulder_mr": "shoulder MR",
              "leg_xray": "lower-leg radiograph"}
SOURCES = list(REAL_SCANS) + [n for n in IMAGE_NAMES if n not in REAL_SCANS] + ["upload"]
CT_WINDOWS = {"bone": "bone", "brain": "brain", "soft tissue": "soft_tissue"}
CT_SCANS = ("ct_head", "ct")
EDGE_KERNELS = ("sobel left-to-right", "sobel superior-to-inferior", "outline", "custom")
PRESET_NAMES = list(K.PRESETS) + ["custom"]
c1, c2, c3 = st.columns([1, 1, 2])
source = c1.selectbox("Image", SOURCES, key=url_setting("kern_image", "ct_head", options=SOURCES))
preset = c2.selectbox("Kernel", PRESET_NAMES, key=url_setting("kern_preset", "sobel left-to-right",
                                                              options=PRESET_NAMES))
custom = c3.text_input("Custom kernel (rows separated by ';', 3×3 to 7×7)",
                       key=url_setting("kern_custom", "1 0 -1; 2 0 -2; 1 0 -1"))  # = the preset
c0, c1, c2, c3, c4 = st.columns(5)
window_key = url_setting("kern_window", "bone", options=list(CT_WINDOWS))
if source in CT_SCANS:
    window_name = c0.selectbox("CT window", list(CT_WINDOWS), key=window_key)
else:
    window_name = None
    c0.selectbox("Window", ["the file's"] if source in SCANS else ["none"], disabled=True,
                 help="Only a CT has Hounsfield units and standard windows; other scans use their file's window.")
padding = c1.selectbox("Padding", list(K.PADDINGS), key=url_setting("kern_padding", "same", options=list(K.PADDINGS)))
stride = c2.number_input("Stride S", 1, 8, key=url_setting("kern_stride", 1, bounds=(1, 8)))
dilation = c3.number_input("Dilation D", 1, 8, key=url_setting("kern_dilation", 1, bounds=(1, 8)))
bias = c4.number_input("Bias b", -10.0, 10.0, key=url_setting("kern_bias", 0.0, bounds=(-10.0, 10.0)))
upload = st.file_uploader("PNG, JPEG or DICOM", type=["png", "jpg", "jpeg", "dcm", "tif", "tiff", "bmp"]) \
    if source == "upload" else None
write_url()


@st.cache_data(show_spinner=False, max_entries=16)
def cached_image(name: str):
    """A built-in image at most 256 px on a side (shared, read-only)."""
    return load_image(name, max_side=256)


@st.cache_data(show_spinner="Reading the scan…", max_entries=16)
def cached_scan_image(name: str, window: str | None):
    """A real scan windowed (a preset for CT, else the file's) and resized to at most 256 px a side.

    Returns (image, (level, width), modality, photometric, (H, W) of the scan, spacing in mm or None).
    """
    scan = load_scan(name)
    h, w = scan.pixels.shape[-2:]
    scale = min(1.0, 256 / max(h, w))
    level_width = WINDOWS[window] if window else default_window(scan)
    image = scan_input(scan, (max(round(h * scale), 1), max(round(w * scale), 1)), window=level_width)
    return image, level_width, scan.modality, scan.photometric, (h, w), scan.spacing_mm


def window_caption(name: str, window: str | None, level: float, width: float, modality: str, photometric: str,
                   shape: tuple[int, int], spacing, image_shape: tuple[int, int], edges: bool) -> str:
    """Which window the kernel's input went through, and why it matters for this kernel."""
    low, high = level - width / 2, level + width / 2
    if modality == "CT":
        head = name == "ct_head"
        what, bone = ("head CT", "the skull") if head else ("CT slice (a vertebra)", "the vertebra")
        text = f"Windowed first: the {what} in the **{window.replace('_', ' ')} window** ({level:g}/{width:g} HU: " \
               f"{low:g} to {high:g} HU spread from black to white). "
        text += {
            "brain": "Tissues a few HU apart become different greys" + (" (grey and white matter)" if head else "")
                     + ", so an edge detector finds their borders, and the noise this narrow window magnifies too; "
                     f"{bone} is one flat white with only its border left. Pick the bone window to see edges of bone.",
            "bone": "Soft tissue becomes one flat grey, so an edge detector outlines " + bone + " and finds nothing "
                    "inside the soft tissue" + (" (the brain)" if head else "") + ". Pick the brain window to see "
                    + ("grey and white matter." if head else "soft tissue."),
            "soft_tissue": "Fat, muscle, organs and blood are told apart and bone is white, so an edge detector finds "
                           "the skin, the borders of fat and muscle, and bone" + (", but hardly grey from white matter."
                                                                                 if head else "."),
        }[window]
    elif modality in ("CR", "DX"):
        part = {"chest_xray": "the ribs, the heart border and the diaphragm",
                "leg_xray": "the cortex of the tibia and fibula, the edges of bone"}.get(name, "bone cortex")
        text = (f"Windowed first with the file's window ({level:g}/{width:g} in the detector's units): a "
                "radiograph has no Hounsfield units, so the window comes from the file"
                + (", and its MONOCHROME1 values are flipped so bone is bright" if photometric == "MONOCHROME1"
                   else "") + f". An edge detector finds {part}.")
    else:
        text = (f"Windowed first with the file's window ({level:g}/{width:g}): {modality} signal has no fixed units "
                "like HU, so the window comes from the file (else from the image's percentiles).")
    if not edges:
        text += " (The window matters most for edge detectors: Sobel and outline.)"
    h, w = shape
    size = f"Resized from {h}×{w} to {image_shape[0]}×{image_shape[1]} pixels" if (h, w) != tuple(image_shape[:2]) \
        else f"Shown at its {h}×{w} pixels"
    if spacing is not None:
        size += f" ({spacing[1] * w / image_shape[1]:.2f} mm per pixel)"
    return f"{text} {size}."


@st.cache_data(show_spinner=False, max_entries=8)
def cached_upload(data: bytes, filename: str, frame: int | None = None):
    return load_image_bytes(data, filename, max_side=256, frame=frame)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_convolve(image, kernel, padding, stride, dilation, bias):
    return K.compute_convolution(image, kernel, padding=padding, stride=stride, dilation=dilation, bias=bias)


def parse_kernel(text: str) -> np.ndarray:
    """'a b c; d e f; g h i' -> a square float array of side 3 to 7."""
    rows = [r.replace(",", " ").split() for r in text.strip().split(";") if r.strip()]
    if not rows or len({len(r) for r in rows}) != 1 or len(rows) != len(rows[0]) or not 3 <= len(rows) <= 7:
        raise ValueError(f"the custom kernel must be square, 3×3 to 7×7, with the same number of values in "
                         f"each row; got rows of lengths {[len(r) for r in rows]}")
    try:
        k = np.array([[float(v) for v in r] for r in rows], dtype="float32")
    except ValueError as err:
        raise ValueError(f"the custom kernel has a value that is not a number ({err})") from None
    if k.ndim != 2 or k.shape[0] != k.shape[1] or not 3 <= k.shape[0] <= 7:
        raise ValueError(f"the custom kernel must be square, 3×3 to 7×7, with the same number of values in "
                         f"each row; got rows of lengths {[len(r) for r in rows]}")
    return k


image = None
if source == "upload":
    if upload is None:
        st.info("Upload an image to convolve it, or pick a built-in one.")
    else:
        try:
            frame = dicom_frame_picker(upload.getvalue(), upload.name, key="kern_frame")
            image = cached_upload(upload.getvalue(), upload.name, frame)
        except ValueError as err:
            st.error(f"Could not read {upload.name!r}: {err}")
elif source in SCANS:
    image, (level, width), modality, photometric, scan_shape, spacing = cached_scan_image(
        source, CT_WINDOWS[window_name] if window_name else None)
else:
    image = cached_image(source)
try:
    kernel = parse_kernel(custom) if preset == "custom" else K.PRESETS[preset]
except ValueError as err:
    st.error(f"{err}. Example: 1 0 -1; 2 0 -2; 1 0 -1")
    kernel = None

if image is not None and kernel is not None:
    f = kernel.shape[0]
    try:
        result = cached_convolve(image, kernel, padding, int(stride), int(dilation), float(bias))
    except ValueError as err:
        st.error(f"{err}.")
    else:
        out = result.output
        cached_figure(draw_convolution, result, preset)
        if source in SCANS:
            st.caption(window_caption(source, CT_WINDOWS.get(window_name), level, width, modality, photometric,
                                      scan_shape, spacing, image.shape, preset in EDGE_KERNELS))
        if preset.startswith("sobel") or preset == "custom":
            st.caption(K.SOBEL_CONVENTION)
        if preset == "box blur":
            ones = kernel * K.BOX_BLUR_DIVISOR  # the kernel as the lecture prints it
            brightness = (f" With bias 0 the image's mean grey level is {image.mean():.3f} and its blur's "
                          f"{out.mean():.3f}." if float(bias) == 0.0 else "")
            st.caption(
                f"The lecture prints the box blur as nine ones; here each weight is 1/{K.BOX_BLUR_DIVISOR} ≈ "
                f"{kernel[0, 0]:.2f}. Divided by {K.BOX_BLUR_DIVISOR}, the weights sum to {kernel.sum():g}, so each "
                f"output is the average of the nine pixels the lecture describes and the image keeps its "
                f"brightness.{brightness} With the ones as printed (sum {ones.sum():g}) each output would be the "
                f"sum: {ones.sum():g} times brighter, a flat grey of 0.5 becoming {0.5 * ones.sum():g}.")
        h, w = image.shape
        span = int(dilation) * (f - 1) + 1
        st.markdown(
            f"Output size: ⌊(n + P − D·(F − 1) − 1) / S⌋ + 1 = "
            f"⌊({h} + {result.pad_rows.total} − {span - 1} − 1) / {int(stride)}⌋ "
            f"+ 1 = **{out.shape[0]}** rows × **{out.shape[1]}** columns · output range "
            f"[{out.min():.2f}, {out.max():.2f}]"
        )

# ------------------------------------------------------------ the window decides
@st.cache_data(show_spinner="Convolving the CT in three windows…", max_entries=16)
def cached_windowed(name: str, kernel: np.ndarray):
    return K.compute_windowed_convolutions(name, kernel, windows=("brain", "soft_tissue", "bone"), size=256)


def draw_windowed(result):
    return KP.plot_windowed_convolutions(result, figure(10, 6.6))


if kernel is not None:
    ct_name = source if source in CT_SCANS else "ct_head"
    st.subheader("The window decides what a kernel sees")
    st.markdown(f"The same kernel on the same {'head CT' if ct_name == 'ct_head' else 'CT slice'} in three "
                "windows (top), and the size of its response (bottom, one colour scale for all three).")
    try:
        windowed = cached_windowed(ct_name, kernel)
    except ValueError as err:
        st.error(f"{err}.")
    else:
        cached_figure(draw_windowed, windowed)
        share = {w: (100 * b, 100 * t) for w, b, t in zip(windowed.windows, windowed.bone_share,
                                                           windowed.soft_tissue_share)}
        if preset in EDGE_KERNELS:
            where = "−100 to 100 HU: here the brain" if ct_name == "ct_head" else "−100 to 100 HU"
            st.markdown(
                f"Share of the |response| on bone (≥ {windowed.bone_hu:g} HU, within a pixel or two): "
                f"**{share['brain'][0]:.0f} %** in the brain window, **{share['bone'][0]:.0f} %** in the bone "
                f"window; in soft tissue away from bone ({where}): "
                f"**{share['brain'][1]:.0f} %** vs **{share['bone'][1]:.0f} %**."
            )
        st.caption(("On the head CT the scanner's head rest (the two arcs) is as dense as bone and counts as bone. "
                    if ct_name == "ct_head" else "")
                   + "A network trained on one window sees another window as different data: the window is part of "
                   "the input, chosen before training.")

# ------------------------------------------------------------ what moves
st.subheader("Padding, stride and dilation: what moves")
c1, c2 = st.columns([2, 3])
with c1:
    n_small = st.slider("Input side n", 3, 9, key=url_setting("kern_n", 6, bounds=(3, 9)))
    f_small = st.slider("Kernel side F", 1, 5, key=url_setting("kern_f", 3, bounds=(1, 5)))
    try:
        geometry = K.compute_padding_stride(int(n_small), int(f_small), padding=padding, stride=int(stride),
                                            dilation=int(dilation))
        st.metric("Output side", geometry.output_size)
    except ValueError as err:
        geometry = None
        st.error(f"{err}.")
if geometry is not None:
    cached_figure(draw_padding_stride, geometry, slot=c2)

rule = K.compute_padding_rule(8, (3, 5, 7))
st.markdown(
    "Lecture 000 names three paddings: valid (padding = 0), same (padding = 1) and full (padding = 2). Those "
    "numbers are for a **3×3 kernel**. For an odd kernel side F (stride 1), *same* pads **P = (F − 1)/2** on each "
    "side, so the output keeps the input's size, and *full* pads **F − 1**, so every overlap of kernel and image "
    f"counts and the output grows to n + F − 1. For a {rule.n}×{rule.n} input:")
st.dataframe(
    {"kernel F": [f"{f}×{f}" for f in rule.kernel_sizes],
     "valid: P": list(rule.valid), "same: P = (F − 1)/2": list(rule.same), "full: P = F − 1": list(rule.full),
     "output side (valid, same, full)": [", ".join(map(str, o)) for o in rule.outputs]},
    hide_index=True)

# ------------------------------------------------------------ parameters
st.subheader("Why convolution: parameters")
c1, c2, c3, c4 = st.columns(4)
side = c1.number_input("Image side", 8, 1024, key=url_setting("kern_side", 256, bounds=(8, 1024)))
channels = c2.number_input("Channels C", 1, 4, key=url_setting("kern_c", 3, bounds=(1, 4)))
hidden = c3.number_input("Dense hidden units", 1, 4096, key=url_setting("kern_hidden", 1000, bounds=(1, 4096)))
k_filters = c4.number_input("Conv filters K", 1, 512, key=url_setting("kern_k", 64, bounds=(1, 512)))
write_url()
dense = K.dense_parameter_count([int(side) ** 2 * int(channels), int(hidden), 1])
conv = K.conv_parameter_count(3, int(channels), int(k_filters))
c1, c2 = st.columns(2)
c1.metric(f"Dense {int(side)}·{int(side)}·{int(channels)} → {int(hidden)} → 1", f"{dense:,}")
c2.metric(f"Conv 3×3, C={int(channels)}, K={int(k_filters)}: (F·F·C + 1)·K", f"{conv:,}")
st.caption(f"The conv layer needs {dense / conv:,.0f}× fewer weights, and its count does not grow with the "
           "image: the same kernel is reused at every position.")
