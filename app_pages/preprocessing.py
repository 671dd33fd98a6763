"""Preprocessing and augmentation: what happens to a scan before a network sees it, and what augmentation buys."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import streamlit as st

from app_pages.ui import (
    LiveTraining, cached_figure, figure, history_figure, report, stop_button, train_buttons, url_setting, write_url,
)
from models.data import SCANS, WINDOWS, load_scan, make_lesions, scan_input
from models.recipes import AUGMENTATION_RUNS, DEFAULT_AUGMENTATION


# ------------------------------------------------------------------ cached calls (shared, read-only)
@st.cache_data(show_spinner=False, max_entries=8)
def cached_scan(name: str):
    scan = load_scan(name)
    return scan.pixels, scan.padding


@st.cache_data(show_spinner=False, max_entries=32)
def cached_windowing(name: str, level: float, width: float):
    from explainers.preprocessing import compute_windowing

    pixels, padding = cached_scan(name)
    return compute_windowing(pixels, level, width, padding=padding)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_normalisation(name: str, factor: float):
    from explainers.preprocessing import compute_normalisation

    pixels, _ = cached_scan(name)
    return compute_normalisation(pixels, outlier_factor=factor)


RESIZE_IMAGES = {"zone plate": None, "head CT": "ct_head", "chest X-ray": "chest_xray"}


@st.cache_data(show_spinner=False, max_entries=16)
def cached_resizing(name: str, size: int):
    from explainers.preprocessing import compute_resizing, zone_plate

    key = RESIZE_IMAGES[name]
    image = zone_plate(256) if key is None else scan_input(key, size=512)
    return compute_resizing(image, size)


GALLERY_IMAGES = {"head CT": "ct_head", "liver MR": "liver_mr", "chest X-ray": "chest_xray",
                  "lesion image": None}


@st.cache_data(show_spinner=False, max_entries=32)
def cached_gallery(name: str, strengths: tuple, seed: int):
    from explainers.preprocessing import compute_augmentation_gallery

    key = GALLERY_IMAGES[name]
    if key is None:  # a training image of the comparison below, with its nodule
        images, labels, _, _ = make_lesions(8, 64, seed=0)
        image = images[int(np.argmax(labels)), :, :, 0]
    else:
        image = scan_input(key, size=96)
    return compute_augmentation_gallery(image, 9, seed=seed, **dict(strengths))


def draw_panels(plot_name: str, result, width: float, height: float):
    """A figure of ``explainers.<plot_name>(result, fig)`` (a pure function of its arguments, for cached_figure)."""
    import explainers

    return getattr(explainers, plot_name)(result, figure(width, height))


def draw_comparison(result):
    from explainers import plot_augmentation_comparison

    return plot_augmentation_comparison(result, figure(9.0, 3.2).subplots()).figure


# ------------------------------------------------------------------ the page
st.title("Preprocessing and augmentation")
st.markdown(
    "A network never sees a scan as the scanner stored it. Hounsfield units are windowed or clipped, "
    "intensities normalised, the image shrunk to the input size, and during training each image is "
    "flipped, turned and shaded into new copies. Each of these steps is a modelling decision: here you "
    "see what each one does to a real scan, and measure what augmentation does for a CNN trained on few images."
)

# ---- windowing and clipping
st.subheader("1 · Windowing and clipping Hounsfield units")
st.markdown(
    "A CT stores Hounsfield units (HU): air −1000, water 0, brain 20–45, bone up to +2000. A screen "
    "(and a network input) has 256 grey levels. **Min-max** scaling spreads them over every HU in the "
    "file, **clipping** to −1000…1000 HU over a fixed range, a **window** (level/width) over the tissue "
    "you ask for: everything below is black, everything above white."
)
CT_SCANS = {"head CT": "ct_head", "abdominal CT": "ct_abdomen"}


def apply_preset():
    preset = st.session_state.get("prep_preset")
    if preset in WINDOWS:
        st.session_state["prep_level"], st.session_state["prep_width"] = (int(v) for v in WINDOWS[preset])


c1, c2, c3, c4 = st.columns([1.2, 1.2, 1.5, 1.5])
ct_name = c1.selectbox("CT slice", list(CT_SCANS), key=url_setting("prep_ct", "head CT", options=list(CT_SCANS)))
c2.selectbox("Preset", list(WINDOWS), key=url_setting("prep_preset", "brain", options=list(WINDOWS)),
             on_change=apply_preset)
level = c3.slider("Level (HU)", -1000, 1000, step=5, key=url_setting("prep_level", 40, bounds=(-1000, 1000)))
width = c4.slider("Width (HU)", 10, 2500, step=5, key=url_setting("prep_width", 80, bounds=(10, 2500)))
write_url()
windowing = cached_windowing(CT_SCANS[ct_name], float(level), float(width))
cached_figure(draw_panels, "plot_windowing", windowing, 11.0, 5.6)
g = windowing.grey_levels
st.caption(
    f"Brain tissue ({windowing.tissue[0]:g} to {windowing.tissue[1]:g} HU) gets "
    f"**{g['min-max of raw values']:.0f}** of 256 grey levels with min-max scaling, "
    f"**{g['clipped HU']:.0f}** after clipping to −1000…1000 HU and **{g['window']:.0f}** in this window. "
    "Pixels outside the scanner's field of view (padding) are left out of the histogram."
)

# ---- normalisation
st.subheader("2 · Normalisation: min-max, z-score or percentiles")
st.markdown(
    "MR intensities have no units: the same tissue reads differently on every scanner, so inputs are "
    "normalised per image. Add one hot pixel (a spike artefact) and compare: **min-max** divides by the "
    "range and squeezes all other pixels into a sliver; the **z-score** divides by the standard deviation, "
    "which one pixel moves a little, and the outlier stays an extreme value; scaling by the **1st and 99th "
    "percentiles** hardly notices it."
)
MR_SCANS = {"small MR": "mr", "liver MR": "liver_mr", "shoulder MR": "shoulder_mr"}
c1, c2 = st.columns(2)
mr_name = c1.selectbox("MR image", list(MR_SCANS), key=url_setting("prep_mr", "small MR", options=list(MR_SCANS)))
factor = c2.slider("Outlier (× the maximum)", 1, 50, key=url_setting("prep_outlier", 10, bounds=(1, 50)))
write_url()
norm = cached_normalisation(MR_SCANS[mr_name], float(factor))
cached_figure(draw_panels, "plot_normalisation", norm, 11.0, 5.4)
st.caption("Spread of the other pixels with the outlier, relative to without it (1 = untouched): " + " · ".join(
    f"{m} ×{norm.spread[m]:.2f}" for m in norm.methods) + ". Each image is shown on the grey scale of its clean "
    "version, so a darker image is what the outlier did.")

# ---- resizing
st.subheader("3 · Resizing with and without anti-aliasing")
st.markdown(
    "Networks take small inputs (64×64 here). Shrinking keeps only every few pixels: detail finer than the "
    "new pixels does not disappear but comes back as false coarse patterns (**aliasing**: the false rings "
    "of a zone plate, jagged skull edges). Blurring first (**anti-aliasing**, a Gaussian matched to the "
    "shrink factor) avoids it. The error is measured against an ideal low-pass resampling."
)
c1, c2 = st.columns(2)
resize_name = c1.selectbox("Image", list(RESIZE_IMAGES),
                           key=url_setting("prep_resize", "zone plate", options=list(RESIZE_IMAGES)))
new_size = c2.select_slider("New size (pixels)", [32, 48, 64, 96, 128],
                            key=url_setting("prep_size", 64, options=[32, 48, 64, 96, 128]))
write_url()
resizing = cached_resizing(resize_name, int(new_size))
cached_figure(draw_panels, "plot_resizing", resizing, 11.0, 3.4)
st.caption(f"Shrunk {resizing.factor:.1f}× · error against the ideal low-pass: "
           f"{resizing.rmse['anti-aliased']:.3f} anti-aliased, {resizing.rmse['no anti-aliasing']:.3f} without "
           f"({resizing.rmse['no anti-aliasing'] / max(resizing.rmse['anti-aliased'], 1e-9):.1f}× larger). "
           "`models.data.scan_input` always resizes with anti-aliasing.")

# ---- augmentation gallery
st.subheader("4 · Augmentation: new training images from old ones")
st.markdown(
    "Keras' own preprocessing layers (`RandomFlip`, `RandomRotation`, `RandomZoom`, `RandomTranslation`, "
    "`RandomContrast`, `GaussianNoise`) and two MR artefacts of our own: a smooth **bias field** (coil "
    "shading) and **motion ghosting** (the patient moved during some k-space lines). A nodule flipped, "
    "turned or shaded is still a nodule: the label stays. In a script: `models.data.augment(images, seed=0, "
    "flip=0.5, rotation=15)`."
)
SLIDERS = {  # name -> (label, low, high, step); defaults: the recipe's DEFAULT_AUGMENTATION, else 0
    "flip": ("Flip probability", 0.0, 1.0, 0.1),
    "rotation": ("Rotation (°)", 0.0, 45.0, 1.0),
    "translation": ("Shift", 0.0, 0.3, 0.05),
    "zoom": ("Zoom", 0.0, 0.3, 0.05),
    "contrast": ("Contrast", 0.0, 0.6, 0.05),
    "noise": ("Noise (SD)", 0.0, 0.1, 0.01),
    "bias_field": ("Bias field", 0.0, 0.5, 0.05),
    "ghosting": ("Ghosting", 0.0, 0.3, 0.05),
}
strengths: dict[str, float] = {}
columns = st.columns(4)
for i, (name, (label, low, high, step)) in enumerate(SLIDERS.items()):
    default = float(DEFAULT_AUGMENTATION.get(name, 0.0))
    strengths[name] = float(columns[i % 4].slider(
        label, low, high, step=step, format="%.0f" if name == "rotation" else "%.2f",
        key=url_setting(f"prep_aug_{name}", default, bounds=(low, high))))
c1, c2 = st.columns(2)
gallery_name = c1.selectbox("Image to augment", list(GALLERY_IMAGES),
                            key=url_setting("prep_gallery", "head CT", options=list(GALLERY_IMAGES)))
gallery_seed = c2.number_input("Seed (another draw)", 0, 999, key=url_setting("prep_seed", 0, bounds=(0, 999)))
write_url()
gallery = cached_gallery(gallery_name, tuple(sorted(strengths.items())), int(gallery_seed))
cached_figure(draw_panels, "plot_augmentation_gallery", gallery, 10.0, 4.4)

# ---- training with and without augmentation
st.subheader("5 · Train with and without augmentation")
st.markdown(
    "The lesion CNN of the CNN page, trained twice on the **same few** synthetic chest images from the "
    "**same initial weights**, in the same order: once on the images as they are, once on a fresh augmented "
    "copy of them every epoch (a left-right flip, or the sliders above). Both are scored on the same few hundred validation "
    "images that neither run trains on. With few images a CNN soon knows its training set by heart; whether "
    "augmentation lifts the validation curve is measured here, not promised."
)
TRAIN_AUGMENTATIONS = {"Sliders above": None, "Flip only": {"flip": 0.5}}
#: "another scanner": the validation images once through other contrast and coil shading, fixed
OTHER_SCANNER = {"contrast": 0.4, "bias_field": 0.3}
VALIDATION = {"Same scanner": None, "Other scanner": OTHER_SCANNER}
c1, c2 = st.columns(2)
n_train = c1.select_slider("Training images", [16, 32, 48, 64, 96],
                           key=url_setting("prep_n", 32, options=[16, 32, 48, 64, 96]))
# 20 epochs: both runs in ~8 CPU s (40 took ~17 s, over a workshop's 15 s); what 20 and 40 show differs
# and the measured text below says how
epochs = c2.slider("Epochs per run", 5, 60, step=5, key=url_setting("prep_epochs", 20, bounds=(5, 60)))
c1, c2 = st.columns(2)
train_aug = c1.selectbox("Augmentation", list(TRAIN_AUGMENTATIONS),
                         key=url_setting("prep_train_aug", "Sliders above", options=list(TRAIN_AUGMENTATIONS)))
validation = c2.selectbox("Validation images", list(VALIDATION),
                          key=url_setting("prep_val", "Same scanner", options=list(VALIDATION)))
write_url()
chosen = TRAIN_AUGMENTATIONS[train_aug] or {k: v for k, v in strengths.items() if v}
with st.expander("What we measured (2-core CPU, seeds 0-5)", expanded=False):
    st.markdown(  # tests/test_preprocessing_page.py checks seed 0 of the first line against the page's own run
        "Validation accuracy, mean of the last 5 epochs, without → with augmentation, 32 images, 16/32 "
        "filters, seeds 0-5 of `models.recipes.compare_augmentation` (seed 0 is the run Train makes):\n\n"
        "- the sliders' defaults (flip, 15° turns, 10 % shifts, noise 0.03), 20 epochs: **0.838 → 0.711** "
        "(seeds 0-5: −27.0, −6.8, −13.7, −2.9, −25.2, −1.1 points), worse on every seed. The augmented run is "
        "still learning: training accuracy 0.47-0.89, against 0.94-1.00 without. With 40 epochs: "
        "**0.939 → 0.833** (+1.6, −6.8, +1.6, −10.9, −45.8, −3.4 points): it fits its training images too "
        "(0.95-0.99), except on seed 4, where it never leaves chance;\n"
        "- a flip only, 20 epochs: **0.838 → 0.867**, better on every seed (+6.3, +3.0, +1.9, +1.0, +3.1, "
        "+1.7 points), and it slows the run little (training accuracy 0.81-1.00). With 40 epochs, by when the "
        "plain run has caught up: **0.939 → 0.936** (+1.5, +1.3, +2.4, −3.8, −4.5, +1.6 points);\n"
        "- validation from another scanner (contrast 0.4, bias field 0.3), augmenting with flip, contrast "
        "0.4 and bias field 0.3, 20 epochs: **0.716 → 0.714**, from −14.7 to +25.5 points between seeds.\n\n"
        "So augmentation is not free: every epoch shows the network images it has not seen, so it fits them "
        "more slowly, and with few epochs that cost can outweigh what it teaches. The sliders' recipe helped "
        "on no seed within 20 epochs and on 2 of 6 within 40; a flip alone, one part of that recipe, helped "
        "on every seed within 20 and on 4 of 6 within 40. The gap varies a lot between seeds (from −45.8 to "
        "+1.6 points for the sliders' recipe at 40 epochs): one run is one sample."
    )

RUNS_KEY, RESULT_KEY = "prep_aug_runs", "prep_aug_result"
LEARNING_GAP = 0.1  # training accuracy this far below the plain run's: the augmented run has not caught up yet
go = train_buttons(RUNS_KEY, RESULT_KEY, key="prep_aug", reset_label="Clear runs")
slots = dict(zip(AUGMENTATION_RUNS, st.columns(2)))
slots = {run: col.empty() for run, col in slots.items()}


def redraw(progress, model):
    runs = st.session_state.get(RUNS_KEY) or {}
    for run, slot in slots.items():
        history = runs.get(run)
        if history is not None and len(history):
            cached_figure(history_figure, history.history, ("accuracy", "val_accuracy"), 5, 3,
                          f"{run.capitalize()} augmentation", slot=slot)
        else:
            slot.info(f"**{run.capitalize()} augmentation**: its curves appear here while it trains.")


if go:
    from models.recipes import compare_augmentation

    st.session_state[RUNS_KEY] = {}
    st.session_state.pop(RESULT_KEY, None)
    try:
        with stop_button(beside=go):
            st.session_state[RESULT_KEY] = compare_augmentation(
                int(n_train), epochs=int(epochs), strengths=chosen, validation_shift=VALIDATION[validation],
                observers=[LiveTraining(redraw)], histories=st.session_state[RUNS_KEY])
    except ValueError as err:  # a strength the recipe refuses: say so, keep the page
        st.error(f"Could not train: {err}. Change the strengths above and press Train again.")
redraw(None, None)
for run, history in (st.session_state.get(RUNS_KEY) or {}).items():
    if history.status not in ("finished", "running") or (history.status == "finished" and history.at_chance):
        st.caption(f"{run.capitalize()} augmentation:")
        report(history)  # a stop, a divergence, or a run that ended no better than guessing

result = st.session_state.get(RESULT_KEY)
if result is not None:
    cached_figure(draw_comparison, result)
    numbers = " · ".join(
        f"{run}: validation {result.final(run):.3f}, training {result.final(run, 'accuracy'):.3f} "
        f"({result.seconds[run]:.0f} s)" for run in result.curves)
    if len(result.curves) == 2:
        better = "helped" if result.gap > 0.02 else "hurt" if result.gap < -0.02 else "made no clear difference"
        st.markdown(f"**Gap: {result.gap:+.1%}** validation accuracy (mean of the last 5 epochs): augmentation "
                    f"{better} in this run (validation: {'other' if result.validation_shift else 'same'} scanner). One run is one sample: "
                    "the measurements above show how much the gap varies between seeds.")
        fit = {run: result.final(run, "accuracy") for run in result.curves}
        if fit["with"] < fit["without"] - LEARNING_GAP:
            st.markdown(f"The augmented run is **still learning**: training accuracy **{fit['with']:.2f}** against "
                        f"**{fit['without']:.2f}** without augmentation. Each epoch shows it images it has not seen "
                        f"before, so it needs more epochs than the plain run to fit them: this gap mixes what "
                        f"augmentation teaches with how far each run got in {result.epochs} epochs. Try "
                        f"{min(2 * result.epochs, 60)} epochs per run.")
    st.caption(f"Accuracy, mean of the last 5 epochs · {numbers}.")
