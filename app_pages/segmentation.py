"""Segmentation with a U-Net: live training, Dice vs cross-entropy, the decoder, skips, feature maps."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.ui import (
    LiveTraining, SessionModel, cached_figure, demo_cache, dicom_frame_picker, figure, ready_demo, remember_demo,
    report, session_model, stop_button, train_buttons, url_setting, write_url,
)
from explainers.feature_maps import compute_feature_maps
from explainers.feature_maps_plots import plot_feature_maps
from explainers.segmentation import (
    LECTURE_PREDICTION, LECTURE_TARGET, STAGE_PATTERN, SegmentationMonitor, compute_dice_table,
    compute_imbalance_trap, compute_mask_prediction, compute_skip_comparison, validate_pair,
)
from explainers.segmentation_plots import (
    plot_dice_table, plot_imbalance, plot_overlay, plot_scores, plot_segmentation_panels, plot_skip_comparison,
)
from explainers.upsampling import UPSAMPLING_METHODS, compute_upsampling
from explainers.upsampling_plots import plot_upsampling
from models.recipes import (
    DEFAULT_SEGMENTATION_RECIPE, SEGMENTATION_LOSSES, SegmentationRecipe, build_segmentation_model, segmentation_data,
    train_segmentation,
)
from models.training import TrainingHistory

LOSS_LABELS = {"bce_dice": "BCE + Dice", "dice": "soft Dice", "bce": "binary cross-entropy"}
METHOD_LABELS = {"transposed": "transposed convolution", "upsample_conv": "upsampling + convolution",
                 "dilated": "dilated convolution"}
R = DEFAULT_SEGMENTATION_RECIPE


def draw_panels(snapshot):
    return plot_segmentation_panels(snapshot, figure(7.5, 5.6))


def draw_scores(history):
    return plot_scores(history, figure(5, 3.2).subplots()).figure


def draw_dice_table(table):
    return plot_dice_table(table, figure(8, 2.8))


def draw_overlay(shown, size, title):
    return plot_overlay(shown, figure(size, size).subplots(), title=title).figure


def draw_imbalance(trap):
    return plot_imbalance(trap, figure(6, 3).subplots()).figure


def draw_upsampling(demo):
    return plot_upsampling(demo, figure(10, 2.9))


def draw_skip_comparison(comp):
    return plot_skip_comparison(comp, figure(8, 2.9))


def draw_feature_maps(fm):
    return plot_feature_maps(fm, figure(7.5, 1.55 * len(fm.layer_names)), max_maps=4)


st.title("Segmentation with a U-Net")
st.markdown(
    "A segmentation network labels **every pixel**: lesion or background. The U-Net's encoder shrinks the "
    "image to see context, its decoder grows it back, and skip connections carry the fine detail across. "
    "Train it live on synthetic lesions and judge it the way the lecture does: with **Dice**, not accuracy."
)

tab_train, tab_dice, tab_decoder, tab_skips, tab_maps, tab_own, tab_real = st.tabs(
    ["Train", "Dice", "Decoder layers", "Skip connections", "Feature maps",
     "Your image + mask", "Real scans"])  # short labels: all seven in one row at 1024 px

# ------------------------------------------------------------------ controls
with tab_train:
    # two rows of three: six controls in one row truncate the loss name and the toggle at 1024 px
    c1, c2, c5 = st.columns(3)
    c3, c4, c6 = st.columns(3, vertical_alignment="bottom")
    loss_name = c1.selectbox("Loss", SEGMENTATION_LOSSES, format_func=LOSS_LABELS.get,
                             key=url_setting("seg_loss", R.loss, options=SEGMENTATION_LOSSES))
    lr = c2.select_slider("Learning rate", [0.001, 0.003, 0.005, 0.01, 0.03],
                          key=url_setting("seg_lr", R.learning_rate, options=[0.001, 0.003, 0.005, 0.01, 0.03]))
    filters = c3.select_slider("Base filters", [4, 8, 16], key=url_setting("seg_filters", R.base_filters,
                                                                          options=[4, 8, 16]))
    depth = c4.select_slider("Depth", [1, 2, 3], key=url_setting("seg_depth", R.depth, options=[1, 2, 3]))
    epochs = c5.number_input("Epochs", 1, 40, key=url_setting("seg_epochs", R.epochs, bounds=(1, 40)))
    skips = c6.toggle("Skip connections", key=url_setting("seg_skips", True))
with tab_decoder:
    d1, d2, _ = st.columns([2, 1, 2])
    method = d1.radio("Layer", UPSAMPLING_METHODS, format_func=METHOD_LABELS.get, horizontal=True,
                      key=url_setting("seg_up", "transposed", options=UPSAMPLING_METHODS))
    ksize = d2.select_slider("Kernel size", [2, 3], key=url_setting("seg_kernel", 3, options=[2, 3]))
write_url()

recipe = SegmentationRecipe(depth=int(depth), base_filters=int(filters), loss=loss_name, learning_rate=float(lr),
                            epochs=int(epochs), skip_connections=bool(skips))


@st.cache_data(show_spinner=False, max_entries=4)
def cached_data(n_train: int, n_val: int, size: int, seed: int):
    """The synthetic training and validation sets, made once per process."""
    return segmentation_data(SegmentationRecipe(n_train=n_train, n_val=n_val, size=size, seed=seed))


data = cached_data(R.n_train, R.n_val, R.size, R.seed)
xv, yv = data.x_val, data.y_val
entry = session_model("seg_model", (recipe.depth, recipe.base_filters, recipe.skip_connections, loss_name),
                      lambda: build_segmentation_model(recipe))
monitor = entry.extra.setdefault("monitor", SegmentationMonitor(xv, yv, n_show=3))

# The monitor's per-epoch validation scores ride in the run's history (under these names), so a ready-trained
# demo loaded from the cache draws the same curves as the run that saved it.
MASK_SCORES = ("val_mask_dice", "val_mask_iou")


def keep_scores(history, monitor) -> None:
    """Write the monitor's hard validation Dice and IoU into the history's epochs (when they line up)."""
    if len(monitor.dice) == len(history):
        for logs, dice, iou in zip(history.epochs, monitor.dice, monitor.iou):
            logs[MASK_SCORES[0]], logs[MASK_SCORES[1]] = dice, iou


def restore_monitor(model, history, monitor) -> None:
    """A loaded demo's monitor: its curves from the history, its panels from the loaded model."""
    if monitor.epochs or not len(history):
        return
    h = history.history
    n = len(history)
    monitor.epochs[:] = range(1, n + 1)
    monitor.dice[:] = h.get(MASK_SCORES[0], [float("nan")] * n)
    monitor.iou[:] = h.get(MASK_SCORES[1], [float("nan")] * n)
    monitor.train_dice[:] = h.get("dice_coefficient", [float("nan")] * n)
    monitor.evaluate(model, epoch=n)


def one_run_of(entry, r) -> bool:
    """Whether the session's U-Net is one finished run of recipe ``r`` from fresh weights (or that run's demo)."""
    h = entry.history
    return entry.extra.get("run_of") == r and h.status == "finished" and len(h) == r.epochs


def load_demo(saved, model) -> tuple[object, str]:
    """A ready-trained demo's weights copied into ``model``: its history and when it was trained."""
    import time

    return demo_cache().load_into(saved, model), time.strftime("%H:%M on %d %b", time.localtime(saved.saved_at))


def train_session_unet(observers) -> None:
    """One click of Train: the session's U-Net, followed by its monitor; a fresh model's full run is the demo."""
    # A click on a trained model continues its run: it is no longer one run of these settings.
    entry.extra["run_of"] = None if len(entry.history) else recipe
    train_segmentation(recipe, model=entry.model, data=data, history=entry.history, monitor=monitor,
                       observers=observers)
    keep_scores(entry.history, monitor)
    remember_demo("segmentation", (recipe,), entry, recipe.epochs)


trained = len(entry.history) > 0

# ------------------------------------------------------------------ training
with tab_train:
    st.caption(f"U-Net with {entry.model.count_params():,} parameters · {len(data.x)} training and {len(xv)} "
               f"validation images of {R.size}×{R.size} · batch {R.batch_size} · Adam. "
               f"The default (BCE + Dice, 0.005, 8 filters, depth 2, 5 epochs) reaches a validation Dice "
               f"of about 0.95 in about 7 s of CPU time.")
    go = train_buttons("seg_model")
    # The recipe (loss, learning rate, filters, depth, epochs, skips) decides the run: its ready demo is keyed by it.
    if ready_demo("segmentation", (recipe,), entry, go):
        entry.extra.setdefault("run_of", recipe)  # loaded just now (a rerun follows the click): one run of these
        restore_monitor(entry.model, entry.history, monitor)
    left, right = st.columns([3, 2])
    panels, curves = left.empty(), right.empty()
    numbers = right.empty()

    def redraw(progress=None, model=None):
        """Validation panels and Dice/IoU curves from the monitor (called every epoch)."""
        if monitor.snapshot is not None:
            cached_figure(draw_panels, monitor.snapshot, slot=panels)
        cached_figure(draw_scores, monitor.history, slot=curves)
        if monitor.dice:
            # one line of text, not three metric tiles: at 1024 px the tiles cut "0.955" to "0.…"
            numbers.markdown(f"After epoch **{len(monitor.epochs)}**: validation Dice "
                             f"**{monitor.dice[-1]:.3f}** · IoU **{monitor.iou[-1]:.3f}**")

    if go:
        with stop_button(beside=go):
            # Panels and curves every 2 s, not every epoch: drawing them took a third of a 5-epoch run.
            train_session_unet([LiveTraining(redraw, redraw_every_s=2.0)])
        trained = True
    if trained:
        redraw()
        report(entry.history)
    else:
        panels.info("Press **Train**: after every epoch the panels show the input, the true mask, the "
                    "predicted probability and the thresholded mask for three validation images.")


# ------------------------------------------------------------------ Dice table + imbalance trap
with tab_dice:
    st.subheader("The lecture's Dice example")
    st.markdown("Dice = 2|A∩B| / (|A| + |B|) (lecture 002, *Dice loss in segmentation*). Edit any cell of the "
                "prediction (or the target) and watch the numbers change. The lecture marks the squares on |A| "
                "and |B| *optional*: the table below the heatmaps shows what they do.")
    e1, e2 = st.columns(2)
    cols = [f"c{j}" for j in range(4)]
    pred_df = e1.data_editor(pd.DataFrame(LECTURE_PREDICTION, columns=cols), key="seg_table_pred",
                             column_config={c: st.column_config.NumberColumn(c, min_value=0.0, max_value=1.0,
                                                                             step=0.01, format="%.2f")
                                            for c in cols})
    e1.caption("prediction (A): probabilities")
    target_df = e2.data_editor(pd.DataFrame(LECTURE_TARGET, columns=cols), key="seg_table_target",
                               column_config={c: st.column_config.NumberColumn(c, min_value=0.0, max_value=1.0,
                                                                               step=1.0, format="%.0f")
                                              for c in cols})
    e2.caption("target (B): the true mask")
    try:
        table = compute_dice_table(pred_df.to_numpy(dtype=float), target_df.to_numpy(dtype=float))
    except (ValueError, TypeError) as err:
        st.error(f"{err}")
    else:
        m = st.columns(5)
        m[0].metric("|A∩B| = Σ A·B", f"{table.intersection:.2f}")
        m[1].metric("|A| = Σ A", f"{table.sum_prediction:.2f}")
        m[2].metric("|B| = Σ B", f"{table.sum_target:.2f}")
        m[3].metric("Dice", f"{table.dice:.4f}")
        m[4].metric("Squared Dice", f"{table.dice_squared:.4f}",
                    help=f"2·{table.intersection:.2f} / (Σp² {table.sum_prediction_sq:.2f} + "
                         f"Σt² {table.sum_target_sq:.2f})")
        cached_figure(draw_dice_table, table)
        st.markdown("**What the optional squares do.** The numerator 2|A∩B| is not squared; each term of the "
                    "denominator is.")
        st.dataframe(pd.DataFrame({
            "term of the denominator": ["background cells (B = 0): Σ p", "lesion cells (B = 1): Σ p",
                                        "|B| = Σ t", "|A| + |B|", "Dice = 2|A∩B| / (|A| + |B|)"],
            "as printed": [f"{table.sum_background:.4f}", f"{table.sum_lesion:.4f}", f"{table.sum_target:.4f}",
                           f"{table.sum_prediction + table.sum_target:.4f}", f"{table.dice:.4f}"],
            "squared (p², t²)": [f"{table.sum_background_sq:.4f}", f"{table.sum_lesion_sq:.4f}",
                                 f"{table.sum_target_sq:.4f}",
                                 f"{table.sum_prediction_sq + table.sum_target_sq:.4f}", f"{table.dice_squared:.4f}"],
        }), hide_index=True)
        b = table.largest_background
        st.markdown(
            f"Squaring shrinks every soft probability: the largest background value {b:.2f} becomes "
            f"{b * b:.4f}, so the background's soft false positives fall from {table.sum_background:.4f} to "
            f"{table.sum_background_sq:.4f}, and the lesion's under-confident values fall too "
            f"({table.sum_lesion:.4f} → {table.sum_lesion_sq:.4f}). The denominator falls from "
            f"{table.sum_prediction + table.sum_target:.4f} to {table.sum_prediction_sq + table.sum_target_sq:.4f} "
            f"while 2|A∩B| = {2 * table.intersection:.4f} stays, so Dice rises from **{table.dice:.4f}** to "
            f"**{table.dice_squared:.4f}**: the squared form **forgives** soft predictions; it does not reward "
            "confident ones more (a 0 or 1 is the same squared).")

    st.subheader("The class-imbalance trap")
    areas = yv.sum((1, 2, 3))
    small = int(np.argmin(np.where(areas > 0, areas, np.inf)))
    shown = compute_mask_prediction(entry.model if trained else None, xv[small], yv[small])
    trap = compute_imbalance_trap(yv[small], {} if shown.prob is None else {"U-Net": shown.prob})
    st.markdown(f"The smallest lesion of the validation set covers **{trap.lesion_fraction:.1%}** of the image. "
                f"Predicting *no lesion anywhere* gets **{trap.pixel_accuracy[0]:.1%}** of the pixels right, "
                f"yet its Dice is **{trap.dice[0]:.0f}**: it found nothing. Pixel-wise cross-entropy of that "
                f"useless answer is only {trap.bce[0]:.3f}, which is why small lesions are trained with a "
                f"Dice term." + ("" if trained else " Train the U-Net to add its row."))
    t1, t2 = st.columns([1, 2])
    cached_figure(draw_overlay, shown, 3, "smallest validation lesion", slot=t1)
    cached_figure(draw_imbalance, trap, slot=t2)


# ------------------------------------------------------------------ decoder layers
@st.cache_data(show_spinner=False, max_entries=32)
def cached_upsampling(method: str, k: int):
    return compute_upsampling(method, kernel=np.ones((k, k)))


with tab_decoder:
    demo = cached_upsampling(method, int(ksize))
    st.markdown("A decoder must **grow** the picture back: a transposed convolution and upsampling + "
                "convolution double its size. **Dilated convolution does not upsample**: it keeps the resolution "
                "and spreads its taps apart, so the same few weights see a **wider receptive field at the same "
                "resolution** (more context without pooling). It is shown here as the contrast: in segmentation "
                "nets it sits in the encoder or the bottleneck, not in place of a decoder's upsampling.")
    st.markdown(f"**{METHOD_LABELS[method]}** with a {ksize}×{ksize} kernel of ones (so each output is a plain "
                f"sum), run by the real Keras layer. {demo.description}")
    if method == "dilated":
        st.info(f"Output {demo.output.shape[0]}×{demo.output.shape[1]} from {demo.grid.shape[0]}×"
                f"{demo.grid.shape[1]}: the same size, no upsampling; each output sees a "
                f"{demo.receptive_field}×{demo.receptive_field} patch with {int(ksize) ** 2} weights.")
    cached_figure(draw_upsampling, demo)
    rows = []
    for m_ in UPSAMPLING_METHODS:
        d = cached_upsampling(m_, int(ksize))
        rows.append({"layer": METHOD_LABELS[m_], "output size": f"{d.output.shape[0]}×{d.output.shape[1]} "
                     f"from {d.grid.shape[0]}×{d.grid.shape[1]}",
                     "parameters (1→1 channel)": d.params_demo,
                     **{f"parameters ({k})": v for k, v in d.params_at.items()},
                     "input patch seen": f"{d.receptive_field}×{d.receptive_field}"})
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.caption("Upsampling itself has no weights; the parameters are the convolution's (k·k·in·out + out). "
               "A 3×3 transposed convolution with stride 2 stamps overlapping kernels unevenly (the "
               "'taps per output pixel' panel): the origin of checkerboard artefacts. The U-Net here uses "
               "2×2 kernels with stride 2, which tile exactly.")


# ------------------------------------------------------------------ skip connections
def skip_side(r: SegmentationRecipe, step, observers) -> tuple[object, str]:
    """The trained U-Net of recipe ``r`` for the comparison, training it only if this session or server lacks it.

    The session's own U-Net stands in when it is one finished run of ``r``; an untrained one is loaded from the
    ready demo or trained here (so the Train tab shows it too). The twin is loaded from the ready demos, else
    trained and saved as one. Returns the model and a few words on where it came from.
    """
    ours = r == recipe
    name = "with skips" if r.skip_connections else "without skips"
    if ours and one_run_of(entry, r):
        return entry.model, ("the ready-trained demo loaded on the Train tab, reused" if entry.extra.get("demo")
                             else "this session's U-Net from the Train tab, same settings, reused")
    saved = demo_cache().find("segmentation", (r,))
    if ours and not len(entry.history):
        if saved is not None:
            entry.history, when = load_demo(saved, entry.model)
            entry.extra.update(run_of=r, demo=(f"Showing the ready-trained demo: {saved.epochs} epochs trained on "
                                               f"this server at {when}. Train continues from it; Reset starts "
                                               "from scratch."))
            restore_monitor(entry.model, entry.history, monitor)
            return entry.model, f"the ready-trained demo (trained on this server at {when}), loaded on the Train tab"
        step.caption(f"Training the U-Net {name} ({r.epochs} epochs), also the Train tab's model…")
        train_session_unet(observers)
        return entry.model, "trained now, also the Train tab's model"
    twin = SessionModel((r,), build_segmentation_model(r), TrainingHistory())
    if saved is not None:
        twin.history, when = load_demo(saved, twin.model)
        return twin.model, f"the ready-trained demo (trained on this server at {when}), loaded"
    step.caption(f"Training the U-Net {name} ({r.epochs} epochs)…")
    twin_monitor = SegmentationMonitor(xv, yv, n_show=3)
    train_segmentation(r, model=twin.model, data=data, history=twin.history, monitor=twin_monitor,
                       observers=observers)
    keep_scores(twin.history, twin_monitor)
    remember_demo("segmentation", (r,), twin, r.epochs)  # the next student's "Train both" loads it
    return twin.model, "trained now"


with tab_skips:
    st.markdown("Train the current settings twice, with and without the skip connections, and compare the "
                "validation Dice and the **sharpness** of the predicted boundary: the mean gradient "
                "magnitude |∇p| of the probability map on the true mask's edge (a clean 0→1 step reads ≈ 0.5). "
                "A U-Net the Train tab already trained with these settings is reused, not trained again.")
    if st.button("Train both", icon=":material/compare:", key="seg_skip_go"):
        st.session_state.pop("seg_skip_result", None)
        before = (len(entry.history), entry.history.status)
        with stop_button(key="seg_skip_stop"):
            step = st.empty()
            bar = LiveTraining(redraw_every_s=2.0)
            sides = [skip_side(replace(recipe, skip_connections=skips), step, [bar]) for skips in (True, False)]
            step.caption("Scoring both on the validation images…")
            st.session_state["seg_skip_result"] = compute_skip_comparison(
                [model for model, _ in sides], xv, yv, names=("with skips", "without skips"))
            st.session_state["seg_skip_note"] = (f"With skips: {sides[0][1]}. Without skips: {sides[1][1]}.")
            step.empty()
        if (len(entry.history), entry.history.status) != before:
            st.rerun()  # the Train tab's U-Net was trained or loaded for the comparison: show it there too
    comp = st.session_state.get("seg_skip_result")
    if comp is not None:
        st.caption(st.session_state.get("seg_skip_note", ""))
        cached_figure(draw_skip_comparison, comp)
        st.dataframe(pd.DataFrame({"model": comp.names, "val Dice": comp.dice, "val IoU": comp.iou,
                                   "edge sharpness |∇p|": comp.sharpness, "parameters": comp.params}),
                     hide_index=True)


# ------------------------------------------------------------------ feature maps
with tab_maps:
    idx = st.slider("Validation image", 0, len(xv) - 1, key=url_setting("seg_image", 0, bounds=(0, len(xv) - 1)))
    write_url()
    if not trained:
        st.info("These are the maps of the untrained U-Net; train it to see them become meaningful.")
    fm = compute_feature_maps(entry.model, xv[idx], pattern=STAGE_PATTERN, max_channels=4)
    cached_figure(draw_feature_maps, fm)
    st.caption("Rows run through the network: encoder stages shrink the picture, the bottleneck is coarsest, "
               "decoder stages grow it back. Each row shows its four most active channels.")


# ------------------------------------------------------------------ user image + mask
with tab_own:
    st.markdown("Upload an image and its mask (white = lesion, black = background) of the same size, e.g. a "
                "MedMNIST-style pair. Both are resized to the U-Net's input; the trained U-Net predicts the "
                "mask and is scored against yours.")
    u1, u2 = st.columns(2)
    up_img = u1.file_uploader("Image", type=["png", "jpg", "jpeg", "tif", "tiff", "bmp", "dcm"], key="seg_up_img")
    up_mask = u2.file_uploader("Mask", type=["png", "jpg", "jpeg", "tif", "tiff", "bmp"], key="seg_up_mask")
    if up_img is not None and up_mask is not None:
        from models.data import load_image_bytes

        pair = None
        try:
            frame = dicom_frame_picker(up_img.getvalue(), up_img.name, key="seg_frame")
            img = load_image_bytes(up_img.getvalue(), up_img.name, frame=frame)
        except (ValueError, TypeError) as err:
            st.error(f"{err}", icon=":material/error:")
        else:
            try:
                msk = load_image_bytes(up_mask.getvalue(), up_mask.name)
            except (ValueError, TypeError):
                # the mask uploader takes images only: its message must not suggest a DICOM
                st.error(f"Could not read the mask {up_mask.name!r}: upload it as a PNG, JPEG, TIFF or BMP image, "
                         "white = lesion, black = background.", icon=":material/error:")
            else:
                try:
                    pair = validate_pair(img, msk, size=R.size)
                except (ValueError, TypeError) as err:
                    st.error(f"{err}", icon=":material/error:")
        if pair is not None:
            if not trained:
                st.warning("The U-Net is untrained: train it on the Train tab first.")
            yours = compute_mask_prediction(entry.model, pair.image, pair.mask)
            o1, o2 = st.columns([1, 1])
            cached_figure(draw_overlay, yours, 3.5, "green: your mask · red: U-Net", slot=o1)
            o2.metric("Dice", f"{yours.dice:.3f}")
            o2.metric("IoU", f"{yours.iou:.3f}")
    elif up_img is not None or up_mask is not None:
        st.info("Upload both the image and its mask.")


# ------------------------------------------------------------------ real scans
REAL_SCANS = {"liver_mr": "liver MR (marked lesion)", "ct_abdomen": "abdominal CT", "ct_head": "head CT",
              "chest_xray": "chest X-ray"}


@st.cache_data(show_spinner=False, max_entries=16)
def cached_real_scan(name: str, size: int):
    """A built-in scan as the U-Net's input and, for the liver MR, the radiologist's marker at that size."""
    from explainers.out_of_distribution import compute_lesion_marker
    from models.data import load_scan, scan_input

    scan = load_scan(name)
    marker = compute_lesion_marker(scan.overlay, size) if scan.overlay is not None else None
    return scan_input(scan, size), marker


@st.cache_data(show_spinner=False)
def cached_liver_seg():
    """The liver SEG's masks, halved for display, with each frame's label, area and neighbour Dice."""
    from explainers.segmentation import dice_score
    from models.data import load_scan

    seg = load_scan("liver_seg")
    masks = seg.pixels >= 0.5
    row, col = seg.spacing_mm or (float("nan"), float("nan"))
    areas = tuple(float(m.sum() * row * col / 100.0) for m in masks)  # cm²
    neighbours = tuple(dice_score(masks[i], masks[i + 1]) for i in range(len(masks) - 1))
    return (masks[:, ::2, ::2], seg.segments, areas, neighbours, tuple(masks.shape[1:]), seg.spacing_mm)


def draw_seg_frames(masks, labels, areas):
    fig = figure(9, 3.2)
    for i, ax in enumerate(np.atleast_1d(fig.subplots(1, len(masks)))):
        grey = np.full(masks[i].shape, 0.35)
        grey[masks[i]] = 1.0
        ax.imshow(grey, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"frame {i + 1}: {labels[i]}, {areas[i]:.0f} cm²", fontsize=10)
        ax.set_axis_off()
    return fig


with tab_real:
    st.subheader("The U-Net on a real scan")
    st.markdown(
        f"The U-Net learnt from synthetic {R.size}×{R.size} images of bright blobs. A real scan, windowed "
        "(the file's window, else soft tissue for CT) and resized to that input, is **out of distribution**. "
        "pydicom's liver MR carries a radiologist's outline round a liver lesion: its filled inside is the "
        "truth the U-Net's mask is scored against.")
    real_name = st.columns([1, 1])[0].selectbox("Real scan", list(REAL_SCANS), format_func=REAL_SCANS.get,
                                                key=url_setting("seg_scan", "liver_mr", options=list(REAL_SCANS)))
    write_url()
    try:
        real_x, real_marker = cached_real_scan(real_name, R.size)
    except ValueError as err:
        st.error(f"Could not load the built-in scan {real_name!r}: {err}")
    else:
        truth = real_marker.mask if real_marker is not None else np.zeros(real_x.shape, bool)
        scan_key = (real_name, len(entry.history), entry.history.status)
        if entry.extra.get("real_scan_key") != scan_key:  # once per scan and trained state, not every rerun
            entry.extra["real_scan"] = compute_mask_prediction(entry.model if trained else None, real_x, truth)
            entry.extra["real_scan_key"] = scan_key
        on_scan = entry.extra["real_scan"]
        r1, r2 = st.columns([1, 1])
        title = "green: marker · red: U-Net" if real_marker is not None else "red: U-Net"
        cached_figure(draw_overlay, on_scan, 3.5, title, slot=r1)
        if not trained:
            r2.info("The U-Net is untrained: train it on the Train tab, then come back to see its mask here.")
        else:
            called = float((on_scan.prob > on_scan.threshold).mean())
            r2.markdown(f"The U-Net calls **{called:.1%}** of the image lesion.")
            if real_marker is not None:
                r2.metric("Dice with the marker", f"{on_scan.dice:.3f}")
                r2.caption(f"Computed here: 2|A∩B| / (|A| + |B|) of the U-Net's mask and the marker, which "
                           f"covers {real_marker.area_share:.1%} of the {R.size}×{R.size} input.")
            r2.caption("Whatever it finds, it was trained on synthetic blobs: on a real scan it marks what looks "
                       "like a blob to it (bright, round, small), not what a radiologist would call a lesion.")

    st.subheader("A real segmentation label: the liver SEG")
    try:
        seg_masks, seg_labels, seg_areas, seg_dice, seg_shape, seg_spacing = cached_liver_seg()
    except ValueError as err:
        st.error(f"Could not load the built-in liver SEG: {err}")
    else:
        cached_figure(draw_seg_frames, seg_masks, seg_labels, seg_areas)
        spacing = f"{seg_spacing[0]:.2f} mm pixels" if seg_spacing else "no pixel spacing"
        st.caption(
            f"pydicom's DICOM SEG: {len(seg_labels)} frames of {seg_shape[0]}×{seg_shape[1]} ({spacing}), "
            "one binary mask per frame, each labelled with its segment (areas "
            + ", ".join(f"{a:.1f}" for a in seg_areas) + " cm²: pixels × spacing²). This is what a real "
            "segmentation label is: a mask object of its own that points to the CT slices it was drawn on; those slices are not "
            "in the corpus, so the masks are shown on grey. Neighbouring frames overlap with Dice "
            + ", ".join(f"{d:.3f}" for d in seg_dice) + " (the file's slices lie 1 mm apart): the liver changes "
            "little from one slice to the next.")
