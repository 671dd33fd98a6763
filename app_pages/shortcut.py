"""Shortcut learning, caught in the act (issue 21): a CNN that reads a marker instead of the lung."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import time

import numpy as np
import streamlit as st

from app_pages.ui import (
    LiveTraining, SessionModel, cached_figure, demo_cache, figure, predict_then_see, ready_demo, remember_demo,
    report, secondary, session_model, stop_button, train_buttons, url_setting, write_url,
)
from models.recipes.shortcut import SHORTCUT_FIXES, SHORTCUT_RECIPE

MARKERS = {"tag": "an L tag", "stamp": "a stamp"}
RATES = [0.8, 0.9, 0.95, 1.0]
FIX_WORDS = {"randomise": "the marker put on a random half of each class",
             "remove": "the marker left off every image",
             "mask": "the marker's corner blacked out, in training and in testing"}
RUN_WORDS = {"shortcut": "shortcut model", "fixed": "fixed model"}
N_SHOWN = 4  # test images explained per model
SEED = 0  # the lesson's data, starting weights and order of images
# An epoch of one model takes about half a second on 2 cores and a redraw of the curves a tenth to a fifth of
# one: drawing every other second keeps the curves live and the drawing a small part of the run.
REDRAW_EVERY_S = 1.5


def example_picks(y, markers) -> list[int]:
    """Four training images with a nodule and four without: three of the usual kind and one of the other."""
    picks = []
    for cls in (1, 0):
        members = np.flatnonzero(y == cls)
        has = markers[members].any(axis=(1, 2))
        usual, other = (members[has], members[~has]) if cls == 1 else (members[~has], members[has])
        picks += list(usual[:3]) + list(other[:4 - len(usual[:3])])
    return picks


def draw_examples(images, labels, marked, region):
    """The picked images in two rows, the marker's box outlined where an image carries it."""
    from matplotlib.patches import Rectangle

    fig = figure(10, 2.9)
    axes = fig.subplots(2, 4)
    rows, cols = np.flatnonzero(region.any(1)), np.flatnonzero(region.any(0))
    for ax, image, label, has in zip(axes.flat, images, labels, marked):
        ax.imshow(image[:, :, 0], cmap="gray", vmin=0, vmax=1)
        if has:
            ax.add_patch(Rectangle((cols[0] - 0.5, rows[0] - 0.5), len(cols), len(rows), fill=False,
                                   edgecolor="orange", lw=1.5))
        ax.set_title(f"{'nodule' if label else 'clear'} · {'marker' if has else 'no marker'}", fontsize=10)
    for ax in axes.flat:
        ax.set_axis_off()
    return fig


def draw_curves(curves, runs):
    """Validation accuracy on the run's own images and on marker-independent images, per run."""
    fig = figure(10, 2.9)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, run in zip(axes, ("shortcut", "fixed")):
        c = curves.get(run, {})
        for key, label, style in (("val_accuracy", "own kind of images", "-"),
                                  ("independent_accuracy", "marker independent", "--")):
            values = c.get(key, [])
            if len(values):
                ax.plot(np.arange(1, len(values) + 1), values, style, marker="o", ms=3, label=label)
        ax.axhline(0.5, color="grey", lw=0.8, ls=":")
        ax.set_ylim(0.3, 1.02)
        ax.set_xlabel("epoch")
        ax.set_title(RUN_WORDS[run] + ("" if run in runs else " (not trained yet)"), fontsize=12)
        if any(len(v) for v in c.values()):
            ax.legend(loc="lower right")
    axes[0].set_ylabel("accuracy")
    return fig


def draw_attention(rows, region):
    """Rows of heatmaps (model × method) over the same test images: the marker's box and the nodule outlined."""
    from matplotlib.patches import Circle, Rectangle

    n = len(rows[0][1].images)
    fig = figure(10, 2.35 * len(rows) + 0.2)
    axes = np.atleast_2d(fig.subplots(len(rows), n))
    r0, c0 = np.flatnonzero(region.any(1))[0], np.flatnonzero(region.any(0))[0]
    h, w = int(region.any(1).sum()), int(region.any(0).sum())
    for (label, att, centres, radii), row in zip(rows, axes):
        for j, ax in enumerate(row):
            ax.imshow(att.images[j, :, :, 0], cmap="gray", vmin=0, vmax=1)
            top = att.heatmaps[j].max()
            ax.imshow(att.heatmaps[j] / top if top > 0 else att.heatmaps[j], cmap="jet", alpha=0.5, vmin=0, vmax=1)
            ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), w, h, fill=False, edgecolor="white", lw=1.5))
            ax.add_patch(Circle((centres[j, 1], centres[j, 0]), 1.5 * radii[j], fill=False, edgecolor="lime", lw=1.5))
            ax.set_axis_off()
            ax.set_title(f"{att.on_marker[j]:.0%} on marker" if j else f"{label}\n{att.on_marker[j]:.0%} on marker",
                         fontsize=10)
    return fig


st.title("Shortcut learning")
st.markdown(
    "A model can be right for the wrong reason. **Zech et al.** (PLOS Medicine, 2018) trained pneumonia "
    "classifiers on 158,323 chest X-rays from three hospital systems (NIH, Mount Sinai, Indiana). Pneumonia "
    "was far more common in the Mount Sinai images (34.2 %) than in the NIH or Indiana ones (1.2 % and 1.0 %), "
    "so much so that sorting the images by hospital alone reached an AUC of 0.861 on the joint Mount Sinai and "
    "NIH data. The CNNs learnt to tell which hospital system, and which department within a hospital, an X-ray "
    "came from. The model trained on both scored an AUC of 0.931 on new images from those hospitals and only "
    "0.815 at Indiana."
)
st.markdown(
    "Here the same thing happens in a minute, on the synthetic chest images of the other pages. A bright "
    "marker in a corner (a laterality letter **L** or a hospital's stamp), far from the lungs, sits on most "
    "images with a nodule and on few without. Does the CNN learn the nodule, or the marker?"
)

c1, c2 = st.columns([3, 2])
rate = c1.select_slider("Images with a nodule that carry the marker", RATES, format_func=lambda r: f"{r:.0%}",
                        key=url_setting("sc_rate", SHORTCUT_RECIPE["rate"], options=RATES))
marker = c2.segmented_control("Marker", list(MARKERS), format_func=MARKERS.get,
                              key=url_setting("sc_marker", SHORTCUT_RECIPE["marker"], options=list(MARKERS)))
with secondary("How the data is fixed"):
    fix = st.radio("The fixed model trains on the same images with", SHORTCUT_FIXES, format_func=FIX_WORDS.get,
                   key=url_setting("sc_fix", SHORTCUT_RECIPE["fix"], options=list(SHORTCUT_FIXES)))
write_url()
marker = marker or SHORTCUT_RECIPE["marker"]  # a segmented control can be cleared


def fresh_cnn():
    """The lesson's network (``train_shortcut_lesson``'s ``build_cnn``), for a ready demo's weights to load into."""
    from models.cnn import build_cnn

    return build_cnn((64, 64, 1), 2, filters=SHORTCUT_RECIPE["filters"], seed=SEED + 1, name="cnn")


def lesson_from_demo(models: dict, histories: dict, data):
    """A ShortcutLesson from two ready-trained models: every accuracy measured again on this session's data."""
    from keras import ops

    from models.recipes.shortcut import SHORTCUT_TEST_SETS, ShortcutLesson, mask_marker

    accuracy = {}
    for run, model in models.items():
        accuracy[run] = {}
        for name in SHORTCUT_TEST_SETS:
            xt, yt, _ = data.tests[name]
            if run == "fixed" and data.fix == "mask":  # the fixed model never sees the corner
                xt = mask_marker(xt, data.region)
            p = np.asarray(ops.convert_to_numpy(model(xt, training=False)))[:, 0]
            accuracy[run][name] = float(np.mean((p > 0.5) == (yt == 1)))  # the lecture's rule: nodule when p > 0.5
    curves = {run: {k: np.asarray(v, dtype=float) for k, v in h.history.items()} for run, h in histories.items()}
    return ShortcutLesson(accuracy["shortcut"]["same"], accuracy["shortcut"]["independent"],
                          accuracy["fixed"]["independent"], accuracy, curves, dict(histories), dict(models),
                          {run: h.status for run, h in histories.items()}, {}, len(histories["shortcut"]), data)


@st.cache_resource(show_spinner=False, max_entries=16)
def cached_data(marker: str, rate: float, fix: str):
    """The training images, their fixed twin and the test sets (shared, read-only)."""
    from models.recipes.shortcut import shortcut_data

    return shortcut_data(marker=marker, rate=rate, fix=fix, seed=SEED)


data = cached_data(marker, float(rate), fix)

st.header("The data")
picks = example_picks(data.y, data.markers)
cached_figure(draw_examples, data.x[picks], data.y[picks], data.markers[picks].any(axis=(1, 2)), data.region)
counts = data.counts()
st.dataframe({
    "class": ["nodule", "clear"],
    "images": [counts[k][1] for k in ("nodule", "clear")],
    "with the marker": [counts[k][0] for k in ("nodule", "clear")],
    "share with the marker": [f"{counts[k][0] / counts[k][1]:.1%}" for k in ("nodule", "clear")],
}, hide_index=True)
tag_only = (counts["nodule"][0] + counts["clear"][1] - counts["clear"][0]) / len(data.y)
st.caption(
    f"Counted in the {len(data.y)} training images: P(marker | nodule) = {counts['nodule'][0] / counts['nodule'][1]:.0%}, "
    f"P(marker | clear) = {counts['clear'][0] / counts['clear'][1]:.0%}. A rule that says *nodule* exactly when the "
    f"marker is there would be right on {tag_only:.1%} of them without looking at a lung. The orange box is where "
    "the marker sits; heatmaps below are scored inside it.")

# ------------------------------------------------------------------ train
st.header("Train two CNNs")
st.markdown(
    f"The **shortcut model** trains on these images. The **fixed model** starts from the same weights and sees "
    f"the same images in the same order, with {FIX_WORDS[fix]}. Each: {SHORTCUT_RECIPE['epochs']} epochs of "
    "the lesion CNN (conv → batch norm → ReLU → pooling, twice, global max pooling, sigmoid)."
)
settings = (marker, float(rate), fix)
# Everything that decides the two runs: the data's settings and the recipe's network, epochs and step.
demo_settings = (settings, SHORTCUT_RECIPE["n_train"], SHORTCUT_RECIPE["filters"], SHORTCUT_RECIPE["epochs"],
                 SHORTCUT_RECIPE["learning_rate"], SEED)
# The ready demo keeps both models: the shortcut model in this session's entry (what ready_demo loads and
# shows), the fixed model beside it in the cache under "shortcut_fixed" (saved first, loaded with it).
entry = session_model("sc_model", demo_settings, fresh_cnn)
go = train_buttons("sc_lesson", "sc_runs", "sc_model", key="sc")
if ready_demo("shortcut", demo_settings, entry, go):
    if "lesson" not in entry.extra:  # loaded just now: the fixed model too, then the numbers measured again
        from models.training import TrainingHistory

        fixed = fresh_cnn()
        saved = demo_cache().find("shortcut_fixed", demo_settings)
        try:
            if saved is None:
                raise FileNotFoundError("the fixed model's file is missing")
            fixed_history = demo_cache().load_into(saved, fixed)
        except Exception as err:  # noqa: BLE001 - a missing or damaged file: say so, keep the page
            st.error(f"The saved demo's fixed model could not be loaded ({err}). Press **Train** to train both here.")
            entry.extra.pop("demo", None)
            entry.history = TrainingHistory()
        else:
            histories = {"shortcut": entry.history, "fixed": fixed_history}
            models = {"shortcut": entry.model, "fixed": fixed}
            entry.extra["lesson"] = lesson_from_demo(models, histories, data)
            when = time.strftime("%H:%M on %d %b", time.localtime(saved.saved_at))
            entry.extra["caption"] = (f"Showing the ready-trained demo: both models, {saved.epochs} epochs each, "
                                      f"trained on this server at {when}. Train trains both again from fresh "
                                      "weights.")
            st.session_state["sc_runs"] = {"histories": histories, "models": models, "settings": settings}
            st.session_state["sc_lesson"] = entry.extra["lesson"]
            st.session_state.pop("sc_attention", None)
    if "caption" in entry.extra:  # ready_demo's caption says Train continues; here it starts afresh
        go.row.caption(entry.extra["caption"])
curves_slot = st.empty()


def redraw(progress=None, model=None):
    runs = st.session_state.get("sc_runs", {}).get("histories", {})
    curves = {run: h.history for run, h in runs.items()}
    cached_figure(draw_curves, curves, tuple(runs), slot=curves_slot)


if go:
    from models.recipes.shortcut import train_shortcut_lesson

    st.session_state["sc_runs"] = runs = {"histories": {}, "models": {}, "settings": settings}
    st.session_state.pop("sc_lesson", None)
    st.session_state.pop("sc_attention", None)
    with stop_button(beside=go):
        st.session_state["sc_lesson"] = trained = train_shortcut_lesson(
            data=data, seed=SEED, epochs=SHORTCUT_RECIPE["epochs"], filters=SHORTCUT_RECIPE["filters"],
            learning_rate=SHORTCUT_RECIPE["learning_rate"],
            observers=[LiveTraining(redraw, redraw_every_s=REDRAW_EVERY_S)],
            histories=runs["histories"], models=runs["models"])
    # This session's entry now holds the run just trained (no longer a loaded demo); a first full run from
    # fresh weights becomes the ready demo: the fixed model first, so the offer appears only with both saved.
    entry.model, entry.history, entry.extra = trained.models["shortcut"], trained.histories["shortcut"], {}
    if all(v == "finished" for v in trained.status.values()) and set(trained.models) == {"shortcut", "fixed"}:
        epochs = SHORTCUT_RECIPE["epochs"]
        remember_demo("shortcut_fixed", demo_settings,
                      SessionModel(entry.signature, trained.models["fixed"], trained.histories["fixed"]), epochs)
        remember_demo("shortcut", demo_settings, entry, epochs)

lesson = st.session_state.get("sc_lesson")
runs = st.session_state.get("sc_runs", {})
if runs.get("histories"):
    redraw()
    st.caption("Dashed: images whose marker is independent of the label (on half of each class); solid: held-out "
               "images of the run's own kind (for the fixed model the same as dashed). Dotted: chance.")
    for run, history in runs["histories"].items():
        if history.status != "finished" or history.at_chance:
            st.caption(f"{RUN_WORDS[run]}:")
            report(history)
if lesson is None:
    st.info("Press **Train** (under a minute): the two models train one after the other, and the numbers "
            "and heatmaps below are measured on them.")
    st.stop()
if set(lesson.models) != {"shortcut", "fixed"} or any(v != "finished" for v in lesson.status.values()):
    st.warning("The last training did not finish both models: press **Train** again to see the numbers.")
    st.stop()
if lesson.data is not data:
    st.caption(f"Trained on {MARKERS[lesson.data.marker]}, {lesson.data.rate:.0%} of the nodules marked, fixed by "
               f"{lesson.data.fix}: press **Train** again for the settings above.")

# ------------------------------------------------------------------ the numbers
st.header("Three accuracies")
acc = lesson.accuracy
c1, c2, c3 = st.columns(3)
c1.metric("Shortcut, same kind", f"{lesson.same_accuracy:.1%}",
          help="Held-out images made like the training images: the marker on the same share of each class.")
predicted = st.session_state.get("q_shortcut") is not None


def answer_index(same: float, free: float) -> int:
    """Which option the measurement supports: the drop from the same kind of images to marker-independent ones."""
    if free >= same - 0.05:
        return 0
    return 1 if free > 0.58 else 2  # near chance: within 8 points of 0.5 (about 2.5 sd on 256 images)


with c2:
    if predicted:
        st.metric("Shortcut, independent", f"{lesson.free_accuracy:.1%}",
                  delta=f"{lesson.free_accuracy - lesson.same_accuracy:+.1%}",
                  help="The same chests and nodules; the marker on half of each class, so it says nothing.")
    else:
        st.metric("Shortcut, independent", "?", help="Predict first, below.")
c3.metric("Fixed, independent", f"{lesson.fixed_accuracy:.1%}",
          help=f"The fixed model ({lesson.data.fix}) on the marker-independent images"
               + (", its corner blacked out too." if lesson.data.fix == "mask" else "."))

predict_then_see(
    "shortcut", f"The shortcut model scores {lesson.same_accuracy:.0%} on new images like its training images. "
    "On the same images with the marker on half of each class, it scores…",
    ["About the same", "Lower, still above chance", "Near chance (50 %)"],
    answer_index(lesson.same_accuracy, lesson.free_accuracy),
    f"Measured: {lesson.free_accuracy:.1%} with the marker independent of the label, "
    f"{acc['shortcut']['flipped']:.1%} with it flipped (on {lesson.data.rate:.0%} of the clear images and "
    f"{1 - lesson.data.rate:.0%} of the nodules). The fixed model, trained on the same images with "
    f"{FIX_WORDS[lesson.data.fix]}, scores {lesson.fixed_accuracy:.1%} on the marker-independent images"
    + (": it had to find the nodule." if lesson.fixed_accuracy >= 0.85 else
       f" and {acc['fixed']['same']:.1%} on images of the training kind: the fix did not fully work here (see "
       "below)."))
if lesson.data.fix == "remove" and acc["fixed"]["flipped"] < acc["fixed"]["same"] - 0.1:
    st.warning(
        f"Removing the marker from the training images was not enough: the fixed model never saw it, and on "
        f"test images that carry it it scores {acc['fixed']['independent']:.1%} (marker independent) and "
        f"{acc['fixed']['flipped']:.1%} (flipped), against {acc['fixed']['same']:.1%} where the marker mostly "
        "sits on nodules. A bright mark it has never seen looks to its nodule detector like a nodule. "
        "Randomising the marker in training, or masking its corner, teaches the model to ignore it.")

st.dataframe({
    "model": [RUN_WORDS[r] for r in ("shortcut", "fixed")],
    "same kind": [f"{acc[r]['same']:.1%}" for r in ("shortcut", "fixed")],
    "marker independent": [f"{acc[r]['independent']:.1%}" if predicted else "?" for r in ("shortcut", "fixed")],
    "marker flipped": [f"{acc[r]['flipped']:.1%}" if predicted else "?" for r in ("shortcut", "fixed")],
}, hide_index=True)
st.caption(f"Each on the same {len(lesson.data.tests['same'][1])} held-out images; the lecture's rule: nodule when "
           "p > 0.5. A validation set made like the training set cannot see a shortcut: only data where the "
           "shortcut fails can.")

# ------------------------------------------------------------------ where it looks
st.header("Where does each model look?")
st.markdown(
    "**Grad-CAM** (the last conv layer's maps weighted by their gradients) and **occlusion** (the drop in "
    "P(nodule) when an 8×8 black patch covers each place) on test images that carry both a nodule (green "
    "circle) and the marker (white box). The number over each image is the share of its map inside the box.")


def attention():
    from models.recipes.shortcut import mask_marker, marker_attention

    xt, yt, mt = lesson.data.tests["same"]
    sel = np.flatnonzero((yt == 1) & mt.any(axis=(1, 2)))[:N_SHOWN]
    out = {}
    for run, model in lesson.models.items():
        images = mask_marker(xt[sel], lesson.data.region) if run == "fixed" and lesson.data.fix == "mask" else xt[sel]
        for method in ("gradcam", "occlusion"):
            out[run, method] = marker_attention(model, images, lesson.data.region, lesson.data.centres[sel],
                                                lesson.data.radii[sel], method=method)
    return sel, out


if st.session_state.get("sc_attention", (None,))[0] is not lesson:  # once per trained lesson
    with st.spinner("Grad-CAM and occlusion on both models…"):
        st.session_state["sc_attention"] = (lesson, *attention())
_, sel, shares = st.session_state["sc_attention"]
labels = {"gradcam": "Grad-CAM", "occlusion": "occlusion"}
rows = [(f"{RUN_WORDS[run]}, {labels[method]}", att, lesson.data.centres[sel], lesson.data.radii[sel])
        for (run, method), att in shares.items()]
cached_figure(draw_attention, rows, lesson.data.region)
first = next(iter(shares.values()))
st.dataframe({
    "model": [RUN_WORDS[run] for run, _ in shares],
    "map": [labels[m] for _, m in shares],
    "share on the marker": [f"{a.marker_share:.0%}" for a in shares.values()],
    "share on the nodule": [f"{a.nodule_share:.0%}" for a in shares.values()],
    "peak on the marker": [f"{a.peak_on_marker.mean():.0%}" for a in shares.values()],
    "peak on the nodule": [f"{a.peak_on_nodule.mean():.0%}" for a in shares.values()],
}, hide_index=True)
st.caption(
    f"Means over these {len(sel)} images. Share: the map's positive mass inside the box (or the circle, 1.5 nodule "
    f"radii) over its mass in the whole image; a map spread evenly would put {first.marker_area:.1%} in the box and "
    f"{first.nodule_area:.1%} in the circle. Peak: the map's largest value lies inside."
    + (" The fixed model never sees the corner (it is black), so its maps have nothing there to find."
       if lesson.data.fix == "mask" else ""))
short_cam, fixed_cam = shares["shortcut", "gradcam"], shares["fixed", "gradcam"]
short_occ, fixed_occ = shares["shortcut", "occlusion"], shares["fixed", "occlusion"]
st.markdown(
    f"The shortcut model's Grad-CAM puts **{short_cam.marker_share:.0%}** of its mass on the marker "
    f"({short_cam.marker_share / first.marker_area:.1f}× an even spread) and peaks there on "
    f"{short_cam.peak_on_marker.mean():.0%} of the images; its occlusion map peaks there on "
    f"{short_occ.peak_on_marker.mean():.0%}. The fixed model's maps put **{fixed_cam.marker_share:.0%}** "
    f"(Grad-CAM) and **{fixed_occ.marker_share:.0%}** (occlusion) on the marker; its occlusion map peaks on "
    f"the nodule on {fixed_occ.peak_on_nodule.mean():.0%} of the images, its Grad-CAM on "
    f"{fixed_cam.peak_on_nodule.mean():.0%}. A heatmap on test images is how a shortcut gets caught: the "
    "accuracy on data like the training data never shows it.")
