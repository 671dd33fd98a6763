"""Medical images (issue 17): real scans in their units, through a window, in millimetres, with frames and masks."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import dataclasses

import numpy as np
import streamlit as st
from matplotlib.figure import Figure

from app_pages.ui import cached_figure, figure, url_setting, write_url
from explainers import scan_views as V
from explainers import scan_views_plots as P
from models.data import SCANS, WINDOWS, default_window, load_scan, load_upload

# Grey scans for the windowing section (colour ultrasound and the SEG's 0/1 masks have no window).
WINDOW_SCANS = [n for n in SCANS if n not in ("ultrasound", "liver_seg")]
# The frames section: short labels (they fit a 1024-px projector) -> built-in scan.
FRAME_SCANS = {"MR, 10 frames": "mr_head_frames", "CT, 2 frames": "ct_enhanced", "Liver SEG": "liver_seg",
               "MR + marker": "liver_mr"}
PRESET_LABELS = {name.replace("_", " "): name for name in WINDOWS}  # "soft tissue" -> "soft_tissue"
BRAIN_HU = (0.0, 80.0)  # the brain window's span: the HU a head CT's brain lies in


# ------------------------------------------------------------------ cached loads and computations
@st.cache_resource(show_spinner=False, max_entries=16)
def builtin_scan(name: str):
    """A built-in scan, loaded once for every session (read-only)."""
    return load_scan(name)


@st.cache_resource(show_spinner=False, max_entries=4)
def uploaded_scan(data: bytes, filename: str):
    return load_upload(data, filename)


def scan_of(name: str, data: bytes | None, filename: str):
    return builtin_scan(name) if data is None else uploaded_scan(data, filename)


@st.cache_data(show_spinner=False, max_entries=8)
def gallery():
    return V.compute_scan_gallery(size=128)


@st.cache_data(show_spinner=False, max_entries=32)
def histogram(name: str, data: bytes | None, filename: str, frame: int | None):
    return V.compute_hu_histogram(scan_of(name, data, filename), frame=frame)


@st.cache_data(show_spinner=False, max_entries=64)
def scan_view(name: str, data: bytes | None, filename: str, level: float | None, width: float | None,
              frame: int | None):
    window = None if level is None else (level, width)
    return V.compute_scan_view(scan_of(name, data, filename), window=window, frame=frame,
                               title=filename if data is not None else name)


@st.cache_data(show_spinner=False, max_entries=32)
def window_views(name: str, data: bytes | None, filename: str, frame: int | None, presets: tuple[str, ...]):
    scan = scan_of(name, data, filename)
    if presets:
        windows = presets
    else:  # not CT: the file's window (or the default) and a narrower and a wider one around it
        level, width = default_window(scan)
        windows = {"narrow": (level, width / 2), "default": (level, width), "wide": (level, width * 2)}
    return V.compute_window_views(scan, windows, frame=frame)  # min-max over scan.stored_range: padding included


@st.cache_data(show_spinner=False, max_entries=16)
def metadata(data: bytes):
    return V.compute_dicom_metadata(data)


def draw_gallery(result):
    return P.plot_scan_gallery(result, figure(10.0, 8.4), columns=5)


# The two figures a slider move redraws are laid out by hand (fixed axes; savefig's tight box crops the
# margin): constrained layout's extra pass was a quarter of a warm rerun.
def draw_scan(view):
    h, w = view.image.shape[:2]
    aspect = 1.0 if view.spacing_mm is None else view.spacing_mm[0] / view.spacing_mm[1]
    height = float(np.clip(4.0 * h * aspect / w, 2.0, 6.0))
    fig = Figure(figsize=(4.0, height + 0.5))
    P.plot_scan(view, fig.add_axes((0.01, 0.01, 0.98, height / (height + 0.5) - 0.01)))
    return fig


def draw_histogram(result):
    fig = Figure(figsize=(4.8, 4.0))
    P.plot_hu_histogram(result, fig.add_axes((0.17, 0.36, 0.79, 0.61)))
    return fig


def draw_window_views(result, spacing):
    return P.plot_window_views(result, figure(2.4 * (len(result.names) + 1), 3.0), spacing_mm=spacing)


# ------------------------------------------------------------------ the views of one scan
def _bounds(pixels, padding, modality: str) -> tuple[float, float, float, float, float]:
    """(level low, level high, width low, width high, step) for the sliders."""
    real = pixels[~padding] if padding.any() else pixels
    lo, hi = float(real.min()), float(real.max())
    if modality == "CT":  # room for every preset (lung -600/1500, bone 400/1800)
        lo, hi = min(lo, -1100.0), max(hi, 2000.0)
    span = max(hi - lo, 1e-3)
    step = 1.0 if span >= 50 else span / 200
    return lo, hi, step, (4000.0 if modality == "CT" else 2 * span), step


def _apply_preset(prefix: str) -> None:
    choice = st.session_state.get(f"{prefix}_preset")
    if choice in PRESET_LABELS:
        st.session_state[f"{prefix}_level"], st.session_state[f"{prefix}_width"] = WINDOWS[PRESET_LABELS[choice]]


def _clear_preset(prefix: str) -> None:
    choice = st.session_state.get(f"{prefix}_preset")
    if choice in PRESET_LABELS and WINDOWS[PRESET_LABELS[choice]] != (
            st.session_state.get(f"{prefix}_level"), st.session_state.get(f"{prefix}_width")):
        st.session_state[f"{prefix}_preset"] = None


def show_views(prefix: str, name: str, data: bytes | None = None, filename: str = "") -> None:
    """Window sliders and presets, the scan with its scale bar, the HU histogram and the window views."""
    scan = scan_of(name, data, filename)
    grey = scan.pixels.shape[-1:] != (3,) or scan.photometric.startswith("MONOCHROME")
    frames = scan.pixels.shape[0] if scan.pixels.ndim == (3 if grey else 4) else 1
    frame = None
    if frames > 1:
        frame = st.slider("Frame", 1, frames, value=frames // 2 + 1, key=f"{prefix}_frame") - 1
    if not grey:
        view = scan_view(name, data, filename, None, None, frame)
        cached_figure(draw_scan, view)
        st.caption(f"A colour image ({scan.photometric}): shown in its own colours; a window applies to grey "
                   "values only.")
        return
    pixels = scan.pixels if frame is None else scan.pixels[frame]
    padding = scan.padding if frame is None else scan.padding[frame]
    level_lo, level_hi, width_lo, width_hi, step = _bounds(pixels, padding, scan.modality)
    source = f"{name}:{filename}:{len(data) if data is not None else 0}"
    default = default_window(scan)
    level_key = url_setting(f"{prefix}_level", float(default[0])) if data is None else f"{prefix}_level"
    width_key = url_setting(f"{prefix}_width", float(default[1])) if data is None else f"{prefix}_width"
    if st.session_state.get(f"{prefix}_for") != source:  # a new scan: open it with its own window
        if f"{prefix}_for" in st.session_state or level_key not in st.session_state:
            st.session_state[level_key], st.session_state[width_key] = float(default[0]), float(default[1])
            st.session_state[f"{prefix}_preset"] = None
        st.session_state[f"{prefix}_for"] = source
    st.session_state[level_key] = float(np.clip(st.session_state[level_key], level_lo, level_hi))
    st.session_state[width_key] = float(np.clip(st.session_state[width_key], width_lo, width_hi))
    ct = scan.modality == "CT"
    if ct:
        st.pills("Preset window", list(PRESET_LABELS), key=f"{prefix}_preset", on_change=_apply_preset,
                 args=(prefix,))
    c1, c2 = st.columns(2)
    units = "HU" if ct else "stored value"
    values = "HU" if ct else "stored values"
    fmt = "%.0f" if step >= 1 else "%.3g"
    level = c1.slider(f"Level ({units})", level_lo, level_hi, step=step, format=fmt, key=level_key,
                      on_change=_clear_preset, args=(prefix,))
    width = c2.slider(f"Width ({units})", width_lo, width_hi, step=step, format=fmt, key=width_key,
                      on_change=_clear_preset, args=(prefix,))
    view = scan_view(name, data, filename, float(level), float(width), frame)
    hist = dataclasses.replace(histogram(name, data, filename, frame), window=(float(level), float(width)))
    left, right = st.columns([1, 1.25])
    with left:
        cached_figure(draw_scan, view)
    with right:
        cached_figure(draw_histogram, hist)
        real = pixels[~padding] if hist.n_padding else pixels
        inside = float(((real >= level - width / 2) & (real <= level + width / 2)).mean())
        text = (f"{hist.n_pixels:,} real pixels, {hist.n_padding:,} padding (outside the field of view, left out). "
                f"The window {level:g}/{width:g} shows {level - width / 2:g} to {level + width / 2:g} {values} in "
                f"256 greys; {inside:.0%} of the pixels lie inside it, the rest are clipped to black or white.")
        if view.scale_bar is not None:
            h, w = view.image.shape[:2]
            text += (f" The scale bar is {view.scale_bar.label} = {view.scale_bar.pixels:.0f} pixels at "
                     f"{view.spacing_mm[1]:.3f} mm per pixel: the image is {w * view.spacing_mm[1]:.0f} × "
                     f"{h * view.spacing_mm[0]:.0f} mm.")
        else:
            text += " The file has no pixel spacing, so no millimetre scale bar."
        st.caption(text)
    views = window_views(name, data, filename, frame, ("brain", "subdural", "bone") if ct else ())
    cached_figure(draw_window_views, views, view.spacing_mm if view.image.shape == views.minmax.shape else None)
    lo, hi = views.minmax_range
    if ct:
        brain_minmax = (BRAIN_HU[1] - BRAIN_HU[0]) / max(hi - lo, 1e-6)
        a, b = views.contrast_values
        st.markdown(
            f"**What min–max scaling does wrong.** Min–max of the stored values maps **{lo:g} to {hi:g} HU** onto "
            f"black to white. The lowest value is "
            + ("the padding written outside the scanner's field of view" if lo < -1024 else "air")
            + f", the highest the densest bone or metal: a few pixels set the range. The brain's "
            f"{BRAIN_HU[0]:g}–{BRAIN_HU[1]:g} HU then get **{brain_minmax:.1%}** of the grey range "
            f"({brain_minmax * 256:.0f} of 256 greys), against **100%** in the brain window. White matter "
            f"(~{a:g} HU) and grey matter (~{b:g} HU) lie **{views.minmax_grey_steps:.1f}** grey levels apart "
            f"under min–max, **{views.grey_steps[0]:.0f}** in the brain window: min–max makes them one grey.")
    else:
        st.markdown(
            f"**No Hounsfield units here.** {scan.modality or 'This image'} values have no fixed physical "
            f"meaning (they depend on the scanner, the sequence and the exposure), so there are no standard "
            f"presets: the default window comes from the file, else from the 0.5th–99.5th percentile. "
            f"Min–max maps {lo:g} to {hi:g} onto black to white; one extreme pixel moves it.")


# ------------------------------------------------------------------ the page
st.title("Medical images")
st.markdown(
    "A scan is not a photograph: it is a grid of **measurements in physical units**, laid out in "
    "**millimetres**. A CT pixel is a Hounsfield unit (HU): air −1000, water 0, bone several hundred and up. "
    "A screen shows 256 greys, so clinicians read CT through a **window** (a level and a width) that spends "
    "those greys on the tissue they are looking at. Everything below is a real, anonymised study from "
    "pydicom's own test files and the pydicom-data corpus, read from disk."
)

st.subheader("The built-in scans")
cached_figure(draw_gallery, gallery())
with st.expander("What each scan is and where it comes from"):
    st.table({"name": list(SCANS), "what": [s.what for s in SCANS.values()],
              "file": [f"{s.file} ({s.source.split(',')[0]})" for s in SCANS.values()]})

st.subheader("Hounsfield units and the window")
st.markdown(
    "Pick a scan, then a preset or your own level and width. The histogram shows which HU the slice holds, "
    "the tissue ranges (after Radiopaedia's *Hounsfield unit* table) and the window you chose: everything "
    "left of the window is black, everything right of it white."
)
name = st.selectbox("Scan", WINDOW_SCANS, key=url_setting("mi_scan", "ct_head", options=WINDOW_SCANS))
show_views("mi", name)
st.markdown(
    "**Input normalisation is a modelling decision.** A network does not see the scan, it sees the numbers "
    "you feed it. Brain-windowed HU, bone-windowed HU, min–max of raw values and a z-score are four "
    "different inputs; a model trained on one and tested on another is tested out of distribution. The "
    "window (or the normalisation) belongs to the model's input definition: choose it for the task, write "
    "it down with the model, and apply exactly the same one at training and at test time. "
    "`models.data.scan_input` does this for medlens' models (windowed, MONOCHROME1 inverted, anti-aliased)."
)

st.subheader("Frames, masks and overlays")
labels = list(FRAME_SCANS)
picked = st.segmented_control("Series", labels, key=url_setting("mi_series", labels[0], options=labels))
series = FRAME_SCANS.get(picked or labels[0], "mr_head_frames")
scan = builtin_scan(series)
frames = scan.n_frames if scan.pixels.ndim == 3 else 1
frame = None
if frames > 1:
    frame = st.slider("Frame", 1, frames, value=frames // 2 + 1, key=f"mi_frame_{series}") - 1
view = scan_view(series, None, "", None, None, frame)
left, right = st.columns([1, 1.25])
with left:
    cached_figure(draw_scan, view)
with right:
    st.markdown(f"**{series}**: {SCANS[series].what}.")
    if series == "liver_seg":
        area = float(view.mask.sum()) * view.spacing_mm[0] * view.spacing_mm[1] / 100.0
        st.markdown(
            f"A DICOM SEG stores masks, one per frame, labelled **{scan.segments[frame or 0]}**. This frame's "
            f"mask covers **{int(view.mask.sum()):,} pixels = {area:.0f} cm²** at {view.spacing_mm[1]:.2f} mm "
            "per pixel. The SEG references CT images that are not in the corpus, so the masks are shown on their "
            "own, over a plain grey background.")
    elif series == "liver_mr":
        marked = int(view.overlay.sum()) if view.overlay is not None else 0
        st.markdown(
            "The yellow contour is the file's **overlay plane** (DICOM group 6000): the radiologist's marker "
            f"around the liver lesion, stored beside the pixels, not burnt into them. It covers {marked:,} pixels "
            f"({marked * view.spacing_mm[0] * view.spacing_mm[1]:.0f} mm²).")
    else:
        shown = f"frame {frame + 1} of {frames}" if frame is not None else "its only frame"
        st.markdown(
            f"A multi-frame object holds a cine loop, a volume or several phases in one file; this is {shown}, "
            "drawn through the file's own window. A 2-D network sees one frame at a time.")

write_url()

st.subheader("Your own scan")
st.markdown(
    "Upload a DICOM (compressed ones too: JPEG, JPEG-LS, JPEG 2000, RLE) or a PNG/JPEG to get the same views. "
    "Only an allow-list of technical tags is shown: nothing that identifies a patient, a physician or an "
    "institution, whatever the file holds."
)
upload = st.file_uploader("DICOM, PNG or JPEG", type=["dcm", "dicom", "png", "jpg", "jpeg"], key="mi_upload")
if upload is not None:
    data, filename = upload.getvalue(), upload.name
    try:
        uploaded_scan(data, filename)
    except ValueError as err:
        st.error(f"Could not read {filename!r}: {err}")
    else:
        is_dicom = data[128:132] == b"DICM" or filename.lower().endswith((".dcm", ".dicom"))
        if is_dicom:
            try:
                meta = metadata(data)
            except ValueError as err:
                st.error(f"Could not read the header of {filename!r}: {err}")
            else:
                with st.expander(f"Header: {len(meta.rows)} technical tags ({meta.n_hidden} others not shown)"):
                    st.table({"tag": [r[0] for r in meta.rows], "value": [r[1] for r in meta.rows]})
        else:
            st.caption("A PNG or JPEG holds grey levels 0–255 only: no units, no spacing, no window.")
        try:
            show_views("mi_up", "upload", data, filename)
        except ValueError as err:
            st.error(f"Could not show {filename!r}: {err}")
