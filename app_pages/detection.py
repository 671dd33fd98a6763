"""Object detection: IoU against Dice, NMS step by step, grid cells and stride, a detector trained live,
AP at low IoU and FROC, and the four tasks of lecture 002 on one image."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.ui import (
    LiveTraining, cached_figure, figure, ready_demo, remember_demo, report, session_model, stop_button, train_buttons,
    url_setting, write_url,
)
from explainers.detection import (
    COCO_IOU_THRESHOLDS, FROC_RATES, HIT_CRITERION, MEDICAL_IOU_THRESHOLDS, DetectionMonitor, box_iou,
    compute_box_overlap, compute_candidate_boxes, compute_detection_metrics, compute_detection_view,
    compute_four_tasks, compute_grid_cells, compute_nms_steps,
)
from explainers.detection_plots import (
    plot_box_overlap, plot_detection_history, plot_detection_snapshot, plot_detection_view, plot_four_tasks,
    plot_froc, plot_grid_cells, plot_nms_steps, plot_pr_curves,
)
from models.recipes import DEFAULT_DETECTION_RECIPE, DetectionRecipe, build_detection_model, detection_data, \
    train_detection

R = DEFAULT_DETECTION_RECIPE
LEARNING_RATES = [0.001, 0.003, 0.005, 0.01]
STRIDES = [2, 4, 8, 16, 32]
# The page's default run is the recipe's 5 epochs. Measured (seed 0, the same in every run): validation AP at
# IoU 0.5 after epochs 1-5 of 0.011, 0.523, 0.703, 0.832, 0.758, at IoU 0.1 0.466, 0.852, 0.917, 0.954, 0.971,
# FROC score 0.973 after 5; 17.5-17.9 s of CPU time. Four epochs would save about 2.5 s of a click, but the
# scores have not settled by then: boxes scoring >= 0.3 (the drawn boxes, the default operating point) find 54 %
# of the nodules after epoch 4 and 87 % after epoch 5, so half the boxes would be missing from the pictures.
EPOCHS = R.epochs


# ------------------------------------------------------------------ drawings (pure: cached by their inputs)
def draw_overlap(result):
    return plot_box_overlap(result, figure(4.2, 4.4).subplots()).figure


def draw_nms(result, step):
    return plot_nms_steps(result, figure(4.6, 4.8).subplots(), step=step).figure


def draw_grid(result):
    return plot_grid_cells(result, figure(4.6, 4.8).subplots()).figure


def draw_snapshot(snapshot, score):
    return plot_detection_snapshot(replace(snapshot, score_threshold=score), figure(8.4, 3.3))


def draw_history(history):
    return plot_detection_history(history, figure(8.4, 3.4))


def draw_pr(metrics, score):
    return plot_pr_curves(metrics, figure(5, 4).subplots(), score_threshold=score).figure


def draw_froc(metrics, score):
    return plot_froc(metrics, figure(5, 4).subplots(), score_threshold=score).figure


def draw_views(views):
    fig = figure(8.4, 3.0)
    for view, ax in zip(views, fig.subplots(1, len(views))):
        plot_detection_view(view, ax)
    return fig


def draw_four(result):
    return plot_four_tasks(result, figure(7, 7.4))


# ------------------------------------------------------------------ a ready demo's AP curve
class RecordAP:
    """Observer (after the monitor): writes each epoch's validation AP into the run's history.

    The history is what a ready-trained demo keeps on disk (models/demo_cache.py), so a loaded demo can draw
    the AP curve of the run that trained it, not only its last epoch.
    """

    def __init__(self, monitor, history):
        self.monitor, self.history = monitor, history

    def on_epoch_end(self, progress, model):
        if self.history.epochs and self.monitor.ap10:
            self.history.epochs[-1].update(val_ap10=self.monitor.ap10[-1], val_ap50=self.monitor.ap50[-1])


def restore_monitor(monitor, history, model) -> None:
    """A loaded demo's monitor: AP and loss terms per epoch from its saved history, its detections measured now."""
    epochs = history.epochs
    monitor.epochs = list(range(1, len(epochs) + 1))
    monitor.ap10 = [float(e.get("val_ap10", np.nan)) for e in epochs]
    monitor.ap50 = [float(e.get("val_ap50", np.nan)) for e in epochs]
    monitor.losses = {k: [float(e.get(k, np.nan)) for e in epochs] for k in epochs[-1] if "loss" in k}
    monitor.evaluate(model, epoch=len(epochs))  # the trained weights' boxes, AP and FROC on the validation images


# ------------------------------------------------------------------ cached computations
@st.cache_data(show_spinner=False, max_entries=4)
def cached_data(n_train: int, n_val: int, size: int, seed: int):
    """The synthetic training and validation sets and their targets, made once per process."""
    return detection_data(DetectionRecipe(n_train=n_train, n_val=n_val, size=size, seed=seed))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_nms(image, gt_boxes, candidates: str, boxes, scores, iou_threshold: float):
    if candidates == "synthetic":
        c = compute_candidate_boxes(gt_boxes, per_box=6, jitter=0.15, n_false=2, size=image.shape[0], seed=0)
        boxes, scores = c.boxes, c.scores
    return compute_nms_steps(boxes, scores, iou_threshold=iou_threshold, image=image)


@st.cache_data(show_spinner=False, max_entries=8)
def cached_collisions(boxes_val, size: int):
    """For each stride: share of validation nodules whose centre shares a cell with another's."""
    rows = []
    for s in STRIDES:
        shared = np.concatenate([compute_grid_cells(np.zeros((size, size)), b, stride=s).shared for b in boxes_val])
        rows.append({"stride": s, "grid": f"{size // s}×{size // s}",
                     "nodules sharing a cell": f"{shared.mean():.1%}"})
    return pd.DataFrame(rows)


@st.cache_data(show_spinner=False, max_entries=8)
def cached_coco_map(gt, boxes, scores):
    return compute_detection_metrics(gt, boxes, scores, iou_thresholds=COCO_IOU_THRESHOLDS)


# ------------------------------------------------------------------ the page
st.title("Object detection")
st.markdown(
    "Lecture 002's *Beyond image classification* names three tasks after classification: **object detection**, "
    "**semantic segmentation** and **instance segmentation**; lecture 004 lists **lymph node detection** and "
    "**lung nodule detection** among the uses of deep learning in CT. A detector answers *where* and *how many*: a "
    "box and a score per nodule. Lecture 001's reading list asks for *non-max suppression* and for *Jaccard's index "
    "and the Dice coefficient in object detection*: both are below, measured the way medical detection is measured."
)

tab_train, tab_iou, tab_nms, tab_grid, tab_curves, tab_four = st.tabs(
    ["Train", "IoU", "NMS", "Grid cells", "PR and FROC", "Four tasks"])

data = cached_data(R.n_train, R.n_val, R.size, R.seed)
val = data.val


@st.cache_data(show_spinner=False, max_entries=4)
def cached_demo_index(boxes_val) -> int:
    """The validation image whose two closest nodules' boxes overlap most (touching nodules)."""
    best, index = -1.0, 0
    for i, b in enumerate(boxes_val):
        if len(b) >= 2:
            m = box_iou(b, b)
            np.fill_diagonal(m, 0.0)
            if m.max() > best:
                best, index = float(m.max()), i
    return index


touching_idx = cached_demo_index(tuple(val.boxes))  # the image the NMS, grid and four-task demos start on

# ------------------------------------------------------------------ train
with tab_train:
    c0, c1, c2 = st.columns([2, 2, 1])
    shown_score = c0.slider("Boxes drawn from score", 0.1, 0.9, step=0.05,
                            key=url_setting("det_shown", 0.3, bounds=(0.1, 0.9)))
    lr = c1.select_slider("Learning rate", LEARNING_RATES,
                          key=url_setting("det_lr", R.learning_rate, options=LEARNING_RATES))
    epochs = c2.number_input("Epochs", 1, 20, key=url_setting("det_epochs", EPOCHS, bounds=(1, 20)))
    write_url()
    recipe = DetectionRecipe(learning_rate=float(lr), epochs=int(epochs))
    entry = session_model("det_model", (recipe.filters, recipe.head_filters, recipe.seed),
                          lambda: build_detection_model(recipe))
    if "monitor" not in entry.extra:  # one per model: it keeps the run's AP and loss terms
        shown = [touching_idx] + [i for i in range(len(val)) if val.counts[i] and i != touching_idx][:2]
        entry.extra["monitor"] = DetectionMonitor(data.x_val, data.boxes_val, show=shown,
                                                  decode={"stride": recipe.stride})
    monitor = entry.extra["monitor"]
    trained = len(entry.history) > 0
    st.caption(
        f"A CenterNet-style detector with {entry.model.count_params():,} parameters: three convolution stages "
        f"(16, 32, 48 filters, stride {recipe.stride}: a {R.size // recipe.stride}×{R.size // recipe.stride} grid "
        f"of cells), then three heads per cell: *is a nodule centred here?* (a heatmap, focal loss), its width and "
        f"height (L1) and its centre within the cell (L1). {len(data.x)} training and {len(data.x_val)} validation "
        f"images of {R.size}×{R.size} with 0 to 3 nodules · batch {R.batch_size} · Adam. The default "
        f"({R.learning_rate}, {EPOCHS} epochs) reaches a validation AP of 0.76 at IoU 0.5 and 0.97 at IoU 0.1 "
        f"(FROC score 0.97) in about 18 s of CPU time.")
    go = train_buttons("det_model")
    # Everything that decides the run: the model, its learning rate and epochs (the data is the recipe's).
    demo_settings = (entry.signature, float(lr), int(epochs), R.n_train, R.n_val, R.size)
    if ready_demo("detection", demo_settings, entry, go) and not monitor.epochs and len(entry.history):
        restore_monitor(monitor, entry.history, entry.model)
    trained = len(entry.history) > 0
    panels, curves, numbers = st.empty(), st.empty(), st.empty()
    drawn = {}  # the epoch whose pictures the slots show (drawn live during this run's training)

    def redraw(progress=None, model=None):
        """The shown validation images' boxes and the loss terms and AP so far (every epoch)."""
        if monitor.snapshot is not None:
            drawn["epoch"] = len(monitor.epochs)
            cached_figure(draw_snapshot, monitor.snapshot, float(shown_score), slot=panels)
            cached_figure(draw_history, monitor.history, slot=curves)
            m = monitor.metrics
            numbers.markdown(f"After epoch **{len(monitor.epochs)}**, on the {len(data.x_val)} validation images: "
                             f"AP at IoU 0.1 **{monitor.ap10[-1]:.3f}** · at IoU 0.5 **{monitor.ap50[-1]:.3f}** · "
                             f"FROC score **{m.froc_score:.3f}**")

    if go:
        with stop_button(beside=go):
            train_detection(recipe, model=entry.model, data=data, history=entry.history, monitor=monitor,
                            observers=[RecordAP(monitor, entry.history), LiveTraining(redraw)])
        remember_demo("detection", demo_settings, entry, int(epochs))
        trained = len(entry.history) > 0
    if trained and monitor.snapshot is not None:
        if drawn.get("epoch") != len(monitor.epochs):  # the last epoch was drawn live: not twice in one run
            redraw()
        report(entry.history)
    else:
        panels.info("Press **Train**: after every epoch three validation images show their true boxes (green, "
                    "dotted) and the detector's boxes scoring at least the score above (blue), then the loss terms "
                    "and the validation AP. Then open **PR and FROC** and **Four tasks**.")

detections = monitor.detections if trained and monitor.detections is not None else None

# ------------------------------------------------------------------ IoU by hand
with tab_iou:
    st.subheader("IoU (Jaccard's index) against Dice")
    st.markdown("Box **A** is fixed; move box **B**. IoU = |A∩B| / |A∪B| (Jaccard's index); Dice = 2|A∩B| / "
                "(|A| + |B|), the formula of lecture 002's *Dice loss in segmentation*, here on two boxes.")
    i1, i2, i3 = st.columns(3)
    bx = i1.slider("B: left edge", 0, 26, key=url_setting("det_bx", 12, bounds=(0, 26)))
    by = i2.slider("B: top edge", 0, 26, key=url_setting("det_by", 10, bounds=(0, 26)))
    side = i3.slider("B: side", 2, 16, key=url_setting("det_side", 10, bounds=(2, 16)))
    write_url()
    box_a = (6, 6, 18, 18)
    overlap = compute_box_overlap(box_a, (bx, by, min(bx + side, 32), min(by + side, 32)), size=32)
    o1, o2 = st.columns([1, 1])
    cached_figure(draw_overlap, overlap, slot=o1)
    o2.markdown(
        f"|A| = {overlap.area_a:.0f} px², |B| = {overlap.area_b:.0f} px², "
        f"|A∩B| = **{overlap.area_intersection:.0f}**,"
        f" |A∪B| = |A| + |B| − |A∩B| = **{overlap.area_union:.0f}**.\n\n"
        f"IoU = {overlap.area_intersection:.0f} / {overlap.area_union:.0f} = **{overlap.iou:.3f}**  \n"
        f"Dice = 2·{overlap.area_intersection:.0f} / ({overlap.area_a:.0f} + {overlap.area_b:.0f}) = "
        f"**{overlap.dice:.3f}**")
    half = compute_box_overlap((0, 0, 10, 10), (5, 0, 15, 10))
    o2.markdown(
        f"The same overlap on two scales: Dice = 2·IoU / (1 + IoU), never below IoU. Two equal boxes shifted by "
        f"half their width have IoU **{half.iou:.3f}** but Dice **{half.dice:.3f}**: \"IoU ≥ 0.5\", the usual "
        f"rule for a correct box, is stricter than it sounds (Dice ≥ {2 * 0.5 / 1.5:.3f}).")

# ------------------------------------------------------------------ NMS
with tab_nms:
    st.subheader("Non-max suppression, step by step")
    st.markdown("A detector fires at every position near a nodule, so each nodule gets a cluster of overlapping "
                "boxes. Greedy NMS: take the best-scoring box left and **keep** it; **remove** every remaining box "
                "whose IoU with it is above the threshold; repeat until no box is left.")
    sources = ["synthetic", "detector"] if detections is not None else ["synthetic"]
    n1, n2 = st.columns([1, 1])
    nms_iou = n1.slider("IoU threshold", 0.0, 0.95, step=0.05, key=url_setting("det_nms", 0.5, bounds=(0.0, 0.95)))
    source = n2.radio("Candidates", sources, horizontal=True, key="det_nms_source",
                      format_func={"synthetic": "drawn round each nodule", "detector": "the detector's cells"}.get)
    image, gt = val.images[touching_idx, ..., 0], val.boxes[touching_idx]
    if source == "detector":
        from models.detector import decode_detections

        dense = entry.model.predict(val.images[touching_idx:touching_idx + 1], verbose=0)
        cand_boxes, cand_scores = (a[0] for a in decode_detections(dense, stride=recipe.stride, score_threshold=0.2,
                                                                   max_detections=40, peaks_only=False))
    else:
        cand_boxes, cand_scores = np.zeros((0, 4)), np.zeros(0)
    steps = cached_nms(image, gt, source, cand_boxes, cand_scores, float(nms_iou))
    if steps.n_steps == 0:
        st.info("No candidate box scores above 0.2 on this image: train the detector longer, or use the drawn "
                "candidates.")
    else:
        step = st.slider("Step", 1, steps.n_steps, value=steps.n_steps, key=f"det_step_{steps.n_steps}")
        s1, s2 = st.columns([1, 1])
        cached_figure(draw_nms, steps, int(step), slot=s1)
        rows = []
        for k, i in enumerate(steps.kept):
            gone = np.flatnonzero((steps.suppressed_by == i))
            rows.append({"step": k + 1, "keeps (score)": f"{steps.scores[i]:.2f}",
                         "removes (IoU)": ", ".join(f"{steps.suppressed_iou[j]:.2f}" for j in gone) or "-"})
        s2.dataframe(pd.DataFrame(rows), hide_index=True, height=min(38 + 35 * len(rows), 300))
        pair = box_iou(gt, gt)
        np.fill_diagonal(pair, 0.0)
        s2.markdown(f"{len(steps.boxes)} candidates → **{steps.n_steps} kept** for **{len(gt)} nodules** "
                    f"(the closest two touch: their true boxes overlap with IoU {pair.max():.2f}).")
        counts = {f"{t:.2f}": len(cached_nms(image, gt, source, cand_boxes, cand_scores, t).kept)
                  for t in (0.0, 0.1, 0.3, 0.5, 0.7, 0.9)}
        s2.dataframe(pd.DataFrame([counts], index=["boxes kept"]), hide_index=False)
        s2.caption("Too **low** a threshold also removes a touching neighbour's box (its IoU with the kept box is "
                   "small but above the threshold): two nodules merged into one finding. Too **high** a threshold "
                   "keeps duplicates of one nodule, each a false positive. NMS never removes a lone false alarm: "
                   "that is the score threshold's job (PR and FROC tab).")


# ------------------------------------------------------------------ grid cells and stride
with tab_grid:
    st.subheader("Where the detector predicts from: grid cells and stride")
    stride = st.select_slider("Stride (input pixels per cell)", STRIDES,
                              key=url_setting("det_stride", recipe.stride, options=STRIDES))
    write_url()
    g1, g2 = st.columns([1, 1])
    cells = compute_grid_cells(image, gt, stride=int(stride))
    cached_figure(draw_grid, cells, slot=g1)
    sizes = np.concatenate([np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) for b in val.boxes])
    g2.markdown(
        f"Each output cell answers for the nodules **centred in it**: one heatmap value, one size, one offset. "
        f"The detector on the Train tab has stride {recipe.stride}: a {R.size // recipe.stride}×"
        f"{R.size // recipe.stride} grid. Two nodules whose centres fall in one cell (red) collide: only one can "
        f"be reported. The validation nodules are {sizes.min():.0f} to {sizes.max():.0f} px across: "
        f"{sizes.min() / int(stride):.2g} to {sizes.max() / int(stride):.2g} cells at stride {int(stride)}."
        + (f" The smallest fills only {(sizes.min() / int(stride)) ** 2:.0%} of its cell, so what that cell's "
           "features describe is mostly background: a coarse stride also blurs small nodules away."
           if sizes.min() < int(stride) else ""))
    g2.dataframe(cached_collisions(val.boxes, R.size), hide_index=True)
    g2.caption("Counted over the validation images: a coarser grid loses more of the nodules that lie close "
               "together. Anchor-based detectors (YOLO, RetinaNet) share the limit: their anchors sit on the same "
               "kind of grid.")

# ------------------------------------------------------------------ PR and FROC
with tab_curves:
    st.subheader("Measuring a detector: precision-recall, AP and FROC")
    if detections is None:
        st.info("Train the detector on the **Train** tab first: the curves are computed on its detections of the "
                f"{len(data.x_val)} validation images.")
    else:
        metrics = monitor.metrics
        score = st.slider("Score threshold (operating point)", 0.05, 0.95, step=0.05,
                          key=url_setting("det_score", 0.3, bounds=(0.05, 0.95)))
        write_url()
        p = metrics.at_score(float(score))
        f1, f2 = st.columns(2)
        cached_figure(draw_pr, metrics, float(score), slot=f1)
        cached_figure(draw_froc, metrics, float(score), slot=f2)
        t10, t50 = 0, len(metrics.iou_thresholds) - 1
        fmt = lambda v: "–" if np.isnan(v) else f"{v:.2f}"  # noqa: E731  (no box kept: precision undefined)
        st.markdown(
            f"Keeping boxes scoring ≥ **{score:.2f}**: {p.detections} boxes on {metrics.n_images} images with "
            f"{metrics.n_gt} nodules. At IoU 0.1: **{p.tp[t10]}** right, **{p.fp[t10]}** false alarms, "
            f"**{p.fn[t10]}** missed (precision {fmt(p.precision[t10])}, recall {fmt(p.recall[t10])}); at IoU 0.5: "
            f"{p.tp[t50]} right, {p.fp[t50]} false, {p.fn[t50]} missed. FROC: sensitivity **{p.sensitivity:.2f}** "
            f"at **{p.fps_per_image:.2f}** false positives per image.")
        coco = cached_coco_map(tuple(data.boxes_val), tuple(detections[0]), tuple(detections[1]))
        st.dataframe(pd.DataFrame([{**{f"AP@{t:.1f}": f"{a:.3f}" for t, a in zip(MEDICAL_IOU_THRESHOLDS, metrics.ap)},
                                    "COCO mAP@[.5:.95]": f"{coco.map:.3f}"}]), hide_index=True)
        shift = box_iou(np.array([[0, 0, 5, 5]]), np.array([[2, 0, 7, 5]]))[0, 0]
        st.markdown(
            f"**Why a low IoU?** A nodule's box is small and its edge vague: shifting a 5-pixel box by 2 pixels "
            f"leaves IoU **{shift:.2f}**, below 0.5, though a radiologist would call it found. Medical detection "
            f"reports AP at IoU 0.1 to 0.5, or drops boxes altogether: **FROC** (the LUNA16 lung-nodule "
            f"challenge) plots sensitivity against false positives per image (per CT scan in LUNA16) and averages "
            f"the sensitivity at "
            f"{', '.join('1/' + str(int(1 / r)) if r < 1 else str(int(r)) for r in FROC_RATES)} of them: here "
            f"**{metrics.froc_score:.3f}**. Hit criterion: {HIT_CRITERION}.")
        st.caption("AP follows COCO's rules (pycocotools' COCOeval gives the same numbers: tested): each image's "
                   "boxes by score, each matched to the unmatched nodule of highest IoU above the threshold; "
                   "precision made monotone and averaged at 101 recall points.")
        shown = [i for i in range(len(val)) if val.counts[i] >= 2][:3]
        views = [compute_detection_view(val.images[i], val.boxes[i], detections[0][i], detections[1][i],
                                        score_threshold=float(score), iou_threshold=0.3,
                                        title=f"validation image {i}") for i in shown]
        cached_figure(draw_views, views)
        st.caption("At this operating point, IoU 0.3: green = right, red = false alarm, yellow = nodule missed.")

# ------------------------------------------------------------------ the four tasks
with tab_four:
    st.subheader("Four tasks on one image (lecture 002, *Beyond image classification*)")
    pick = st.columns([1, 3])[0].number_input("Validation image", 0, len(val) - 1,
                                              key=url_setting("det_image", touching_idx, bounds=(0, len(val) - 1)))
    write_url()
    i = int(pick)
    if detections is not None:
        keep = detections[1][i] >= 0.3
        boxes, scores = detections[0][i][keep], detections[1][i][keep]
        prob = float(detections[1][i].max()) if len(detections[1][i]) else 0.0
        how = "the detector's boxes scoring ≥ 0.3"
    else:
        boxes, scores, prob = val.boxes[i], np.ones(len(val.boxes[i])), float(val.counts[i] > 0)
        how = "the true boxes (train the detector to see its own)"
    four = compute_four_tasks(val.images[i], boxes=boxes, scores=scores, mask=val.masks[i], class_probability=prob,
                              true_count=int(val.counts[i]), mask_source="the data set's true mask",
                              class_threshold=0.3)
    q1, q2 = st.columns([3, 2])
    cached_figure(draw_four, four, slot=q1)
    q2.markdown(
        f"**Classification** gives the image one label (here the highest box score stands in for a classifier's "
        f"probability: {prob:.2f}; \"nodule\" from 0.3 on, the boxes' threshold). **Detection** gives a box per "
        f"nodule ({how}: {len(boxes)}). **Semantic "
        f"segmentation** labels every pixel; the mask shown is the data set's **true mask**, what the U-Net of the "
        f"Segmentation page learns to draw (no U-Net is trained here). **Instance segmentation** splits that mask "
        f"into objects: here by connected components (`skimage.measure.label`), which finds "
        f"**{four.n_instances}** object{'s' if four.n_instances != 1 else ''} where there are "
        f"**{val.counts[i]}** nodule{'s' if val.counts[i] != 1 else ''}"
        + (": touching nodules merge into one component, where detection gives each nodule a box of its own."
           if four.n_instances <
           val.counts[i] else "."))
