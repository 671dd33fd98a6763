"""Shortcut recipe: the lesion CNN trained where a spurious marker goes with the label, then the data fixed.

Zech et al. (PLOS Medicine, 2018) trained pneumonia classifiers on chest
X-rays from several hospitals and found that the networks could tell which
hospital an image came from (and the hospitals' pneumonia rates differed),
down to its marks on the film: a model can be accurate for the wrong reason.
Here the same thing happens in a minute, measured: :func:`train_shortcut_lesson`
trains :func:`models.build_cnn` on lesion images where a bright corner tag
(``models.data.make_lesions(shortcut=...)``) sits on most images with a nodule
and few without, then scores it on held-out images of the same kind, on
images where the tag is independent of the label and on images where it is
flipped, and trains the same network again on fixed data (the tag randomised,
removed, or its corner masked). :func:`marker_attention` measures how much of
a heatmap (Grad-CAM or occlusion) falls on the tag and how much on the nodule.

Everything is seeded by ``seed=``; nothing global is seeded.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.recipes._relay import Relabelled

__all__ = ["SHORTCUT_FIXES", "SHORTCUT_RECIPE", "SHORTCUT_TEST_SETS", "ShortcutData", "ShortcutLesson",
           "MarkerAttention", "shortcut_data", "marker_region", "mask_marker", "train_shortcut_lesson",
           "marker_attention"]

#: how the data is fixed for the second model: the marker put on a random half of every class
#: ("randomise": independent of the label), left off ("remove"), or its corner covered in every
#: image the model sees, in training and in testing ("mask")
SHORTCUT_FIXES = ("randomise", "remove", "mask")
#: the held-out sets every model is scored on: the training distribution, the marker independent of
#: the label (the rate 0.5), the marker flipped (on most images *without* a nodule)
SHORTCUT_TEST_SETS = ("same", "independent", "flipped")
#: the defaults, measured (2-core CPU shared with other jobs): 512 training images with the tag on 95 % of the
#: positives and 5 % of the negatives, 12 epochs of Adam at 3e-3 decayed to 5 % (cosine). For seeds 0-3 the
#: shortcut model scored 0.953 on held-out images of the same kind, 0.500 with the tag independent of the label
#: and 0.047 with it flipped (it never learnt the nodule: a tag-only rule scores exactly that); the model trained
#: on randomised tags scored 0.941, 0.906, 0.938, 0.984 on the tag-independent images. Seed 0 with the tag masked:
#: 0.980; with the stamp: 0.953 / 0.500 / 0.957; with the tag removed from training: 0.742 (a model that never saw
#: the tag reads it as a nodule: 0.504 when it is flipped). 15-20 s per model when the machine was shared, up to
#: 50 s under heavy load. At a rate of 0.9 a tag-only model scores 0.898 on the same distribution, below 0.9.
SHORTCUT_RECIPE: dict[str, Any] = {"marker": "tag", "rate": 0.95, "n_train": 512, "n_test": 256, "epochs": 12,
                                   "learning_rate": 3e-3, "batch_size": 32, "filters": (16, 32), "fix": "randomise"}


@dataclass(frozen=True)
class ShortcutData:
    """Lesion images with a spurious marker: a training set, its fixed twin and three test sets.

    The training images (``x``, ``y``) carry the marker on a share ``rate`` of the
    positives and ``1 − rate`` of the negatives; ``x_fixed`` are the same images
    fixed as ``fix`` says (their labels are ``y``). ``tests[name]`` for ``name`` in
    :data:`SHORTCUT_TEST_SETS` is ``(images, labels, markers)`` of one set of
    held-out images (the same chests and nodules in all three; only who carries the
    marker differs); ``centres`` and ``radii`` are those images' nodules, ``region``
    the (size, size) box round the marker (with a margin) where a heatmap is scored.
    """

    marker: str
    rate: float
    fix: str
    seed: int
    x: np.ndarray
    y: np.ndarray
    markers: np.ndarray        # (n, size, size) bool: the marker's pixels on each training image
    x_fixed: np.ndarray
    markers_fixed: np.ndarray  # the marker's pixels on each fixed training image
    tests: dict
    centres: np.ndarray
    radii: np.ndarray
    region: np.ndarray

    def counts(self, name: str | None = None) -> dict:
        """Images with and without the marker per class, counted from the arrays: ``{"nodule": (with, of), ...}``.

        ``name`` None counts the training images, "fixed" the fixed ones, else a test set.
        """
        if name is None:
            y, m = self.y, self.markers
        elif name == "fixed":
            y, m = self.y, self.markers_fixed
        else:
            _, y, m = self.tests[name]
        has = m.any(axis=(1, 2))
        return {cls: (int(has[y == k].sum()), int((y == k).sum())) for k, cls in ((1, "nodule"), (0, "clear"))}


def marker_region(markers: np.ndarray, pad: int = 2) -> np.ndarray:
    """The box round every marker pixel of ``markers`` (n, H, W), widened by ``pad`` pixels: (H, W) bool.

    A heatmap at a conv layer's resolution, upsampled, is coarser than the marker's
    strokes; its mass is scored in this box.
    """
    from models._arguments import check_array, check_int

    markers = check_array("markers", markers, ndim=3, dtype=None).astype(bool)
    pad = check_int("pad", pad, low=0)
    union = markers.any(axis=0)
    region = np.zeros(union.shape, bool)
    if not union.any():
        return region
    rows, cols = np.flatnonzero(union.any(axis=1)), np.flatnonzero(union.any(axis=0))
    region[max(rows[0] - pad, 0):rows[-1] + pad + 1, max(cols[0] - pad, 0):cols[-1] + pad + 1] = True
    return region


def mask_marker(images: np.ndarray, region: np.ndarray) -> np.ndarray:
    """``images`` (n, H, W, C) with ``region`` covered by 0 (black) in every image: a copy.

    What a practitioner can do when a marker is known to sit in one place:
    hide that place from the model, in training and in use alike.
    """
    out = np.array(images, dtype=np.float32, copy=True)
    out[:, np.asarray(region, bool)] = 0.0
    return out


def shortcut_data(*, marker: str = SHORTCUT_RECIPE["marker"], rate: float = SHORTCUT_RECIPE["rate"],
                  fix: str = SHORTCUT_RECIPE["fix"], n_train: int = SHORTCUT_RECIPE["n_train"],
                  n_test: int = SHORTCUT_RECIPE["n_test"], seed: int = 0) -> ShortcutData:
    """Shortcut training images, their fixed twin and the three test sets (see :class:`ShortcutData`).

    Args:
        marker: ``"tag"`` or ``"stamp"`` (``models.data.make_lesions``' ``shortcut``).
        rate: P(marker | nodule) in the training images (and 1 − rate = P(marker | clear)).
        fix: one of :data:`SHORTCUT_FIXES`.
        n_train, n_test: training and test images (each set of test images the same chests).
        seed: the training images' seed; the test images use ``seed + 1``.
    """
    from models._arguments import check_choice, check_float, check_int
    from models.data.xray import make_lesions

    fix = check_choice("fix", fix, SHORTCUT_FIXES)
    rate = check_float("rate", rate, low=0.0, high=1.0)
    n_train = check_int("n_train", n_train, low=8, high=4096)
    n_test = check_int("n_test", n_test, low=8, high=4096)
    seed = check_int("seed", seed, low=0)
    x, y, _, _, markers = make_lesions(n_train, 64, seed=seed, shortcut=marker, shortcut_rate=rate)
    tests, centres, radii = {}, None, None
    for name, r in zip(SHORTCUT_TEST_SETS, (rate, 0.5, 1.0 - rate)):
        xt, yt, centres, radii, mt = make_lesions(n_test, 64, seed=seed + 1, shortcut=marker, shortcut_rate=r)
        tests[name] = (xt, yt, mt)
    region = marker_region(np.concatenate([markers, tests["same"][2]]))
    if fix == "randomise":
        x_fixed, _, _, _, markers_fixed = make_lesions(n_train, 64, seed=seed, shortcut=marker, shortcut_rate=0.5)
    elif fix == "remove":
        x_fixed, markers_fixed = make_lesions(n_train, 64, seed=seed)[0], np.zeros_like(markers)
    else:
        x_fixed, markers_fixed = mask_marker(x, region), np.zeros_like(markers)
    return ShortcutData(marker, rate, fix, seed, x, y, markers, x_fixed, markers_fixed, tests, centres, radii,
                        region)


@dataclass(frozen=True)
class ShortcutLesson:
    """Two lesion CNNs, one trained on shortcut data and one on the same images fixed, scored on three test sets.

    What this shows: a model that reads a marker scores high on images like its
    training images (``same_accuracy``) and falls towards chance when the marker
    no longer goes with the label (``free_accuracy``, the marker independent of
    it); the same network trained on fixed data learns the nodule
    (``fixed_accuracy`` on those independent images). Every number is measured
    in the run.

    Attributes:
        same_accuracy: the shortcut model on held-out images of the training distribution.
        free_accuracy: the shortcut model with the marker independent of the label.
        fixed_accuracy: the fixed model with the marker independent of the label (masked too, for "mask").
        accuracy: ``accuracy[run][test set]`` for run "shortcut" or "fixed" and every test set
            (:data:`SHORTCUT_TEST_SETS`), NaN for a run that did not train.
        curves: ``curves[run][key]`` per epoch: ``loss``, ``accuracy`` (training), ``val_accuracy`` (the
            run's own held-out distribution), ``independent_accuracy`` (the marker independent of the label).
        histories: ``TrainingHistory`` per run; models: the trained ``keras.Model`` per run.
        status: how each run ended ("finished", "stopped", ...); seconds: its wall time.
        data: the :class:`ShortcutData` it trained and tested on.
    """

    same_accuracy: float
    free_accuracy: float
    fixed_accuracy: float
    accuracy: dict
    curves: dict
    histories: dict
    models: dict
    status: dict
    seconds: dict
    epochs: int
    data: ShortcutData

    @property
    def drop(self) -> float:
        """Same-distribution minus marker-independent accuracy of the shortcut model."""
        return self.same_accuracy - self.free_accuracy


def _accuracy(model, images: np.ndarray, labels: np.ndarray, batch_size: int = 256) -> float:
    """Share of images whose sigmoid output falls on the right side of 0.5 (the lecture's rule p > τ)."""
    from keras import ops

    p = np.concatenate([np.asarray(ops.convert_to_numpy(model(images[i:i + batch_size], training=False)))[:, 0]
                        for i in range(0, len(images), batch_size)])
    return float(np.mean((p > 0.5) == (np.asarray(labels) == 1)))


class _IndependentScore:
    """An observer that scores the model on the marker-independent images after every epoch.

    It runs before the page's observers and writes ``independent_accuracy`` into the
    epoch's record, so a live curve shows it beside the validation accuracy.
    """

    def __init__(self, history, images: np.ndarray, labels: np.ndarray):
        self.history, self.images, self.labels = history, images, labels

    def on_epoch_end(self, progress, model):
        if self.history.epochs:
            self.history.epochs[-1]["independent_accuracy"] = _accuracy(model, self.images, self.labels)


def train_shortcut_lesson(*, marker: str = SHORTCUT_RECIPE["marker"], rate: float = SHORTCUT_RECIPE["rate"],
                          fix: str = SHORTCUT_RECIPE["fix"], n_train: int = SHORTCUT_RECIPE["n_train"],
                          n_test: int = SHORTCUT_RECIPE["n_test"], epochs: int = SHORTCUT_RECIPE["epochs"],
                          learning_rate: float = SHORTCUT_RECIPE["learning_rate"],
                          batch_size: int = SHORTCUT_RECIPE["batch_size"],
                          filters: tuple[int, ...] = SHORTCUT_RECIPE["filters"], seed: int = 0,
                          observers: Iterable[Any] = (), histories: MutableMapping[str, Any] | None = None,
                          models: MutableMapping[str, Any] | None = None,
                          data: ShortcutData | None = None) -> ShortcutLesson:
    """Train the lesion CNN on shortcut data, then from the same start on fixed data; score both.

    What this shows: shortcut learning, caught in the act. The first model sees a
    bright corner marker on ``rate`` of the images with a nodule and ``1 − rate``
    of those without; reading the marker is far easier than finding a faint nodule,
    so it reads the marker. Its accuracy on held-out images of the same kind looks
    excellent; with the marker independent of the label it falls towards chance.
    The second model (the same initial weights, images, order and optimizer) trains
    on the fixed data and has to find the nodule.

    Args:
        marker, rate, fix, n_train, n_test: the data (see :func:`shortcut_data`).
        epochs: passes over the training images, per model.
        learning_rate: Adam's first step, decayed along a cosine to 5 % of it by the last step (a steady end:
            the batch-normalised net's validation accuracy swings from epoch to epoch at a fixed step).
        batch_size: images per step.
        filters: conv filters per stage of :func:`models.build_cnn`.
        seed: seeds the data, the initial weights and the order of images (no global state).
        observers: training observers (a page's progress bar); each sees the two runs in turn, labelled
            "shortcut" and "fixed".
        histories, models: dicts the caller keeps: each run's ``TrainingHistory`` and model are put in them
            as they train, so a page can draw them live and keeps them if a rerun interrupts.
        data: the images to use (default ``shortcut_data(...)`` from the arguments above).

    Returns:
        A :class:`ShortcutLesson`; a stop (an observer returning True) ends the lesson after that run's last
        finished epoch, and a run not started scores NaN.
    """
    import keras

    from models._arguments import check_float, check_int
    from models.cnn import build_cnn
    from models.training import TrainingHistory, train

    epochs = check_int("epochs", epochs, low=1, high=200)
    batch_size = check_int("batch_size", batch_size, low=1)
    learning_rate = check_float("learning_rate", learning_rate, low=0.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    filters = tuple(check_int("filters", f, low=1, high=256) for f in filters)
    if data is None:
        data = shortcut_data(marker=marker, rate=rate, fix=fix, n_train=n_train, n_test=n_test, seed=seed)
    observers = list(observers)
    histories = {} if histories is None else histories
    models = {} if models is None else models

    def build():
        return build_cnn((64, 64, 1), 2, filters=filters, seed=seed + 1, name="cnn")

    start = build().get_weights()
    masked = data.fix == "mask"
    accuracy = {run: {name: float("nan") for name in SHORTCUT_TEST_SETS} for run in ("shortcut", "fixed")}
    curves, status, seconds = {}, {}, {}
    n = len(data.y)
    steps = epochs * int(np.ceil(n / batch_size))
    for run, x_train in (("shortcut", data.x), ("fixed", data.x_fixed)):
        model = models[run] = build()
        model.set_weights(start)  # one start for both runs (the seeded build gives it too: made explicit)
        sets = {name: (mask_marker(xt, data.region) if masked and run == "fixed" else xt, yt)
                for name, (xt, yt, _) in data.tests.items()}
        # validated on its own kind of images: the shortcut model on the training distribution, the fixed one
        # on images whose marker says nothing about the label
        own = sets["same"] if run == "shortcut" else sets["independent"]
        history = histories[run] = TrainingHistory()
        relabelled = [Relabelled(o, epochs, run) for o in observers]
        scorer = _IndependentScore(history, *sets["independent"])
        optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.05))
        order_rng = np.random.default_rng(seed + 2)  # the same order of images in both runs, epoch by epoch
        t0 = time.perf_counter()
        for epoch in range(epochs):
            order = order_rng.permutation(n)
            # the optimizer is given once: later calls continue its state and its schedule
            train(model, x_train[order], data.y[order], epochs=1, batch_size=batch_size, shuffle=False,
                  optimizer=optimizer if epoch == 0 else None, validation_data=own, history=history,
                  observers=[scorer, *relabelled])
            if history.status != "finished":
                break
        seconds[run] = time.perf_counter() - t0
        for o in relabelled:
            o.end(history)
        curves[run] = {k: np.asarray(v, dtype=float) for k, v in history.history.items()}
        status[run] = history.status
        if len(history):
            accuracy[run] = {name: _accuracy(model, xt, yt) for name, (xt, yt) in sets.items()}
        if history.status != "finished":
            break
    return ShortcutLesson(accuracy["shortcut"]["same"], accuracy["shortcut"]["independent"],
                          accuracy["fixed"]["independent"], accuracy, curves, dict(histories), dict(models), status,
                          seconds, epochs, data)


#: the heatmaps :func:`marker_attention` scores
MARKER_ATTENTION_METHODS = ("gradcam", "occlusion")
__all__ += ["MARKER_ATTENTION_METHODS"]


@dataclass(frozen=True)
class MarkerAttention:
    """How much of a model's heatmaps falls on the marker and how much on the nodule, image by image.

    What this shows: where the model looked. A model that reads the marker puts
    its heatmap on the marker's corner; one that learnt the lesion puts it on the
    nodule. Shares are of the map's positive mass (Σ of the map's positive part
    inside the region / Σ over the image); a map spread evenly over the image
    would put ``marker_area`` and ``nodule_area`` there.

    Attributes:
        method: "gradcam" or "occlusion".
        images: (m, H, W, C) the images explained; heatmaps: (m, H, W) their maps (positive part).
        scores: (m,) the model's P(nodule) on each image.
        region: (H, W) bool, the box round the marker; nodules: (m, H, W) bool, each nodule's disc.
        on_marker, on_nodule: (m,) the share of each map's positive mass in the box and in the disc.
        peak_on_marker, peak_on_nodule: (m,) whether each map's largest value lies in the box / the disc.
        marker_area, nodule_area: the box's and the discs' (mean) share of the image.
    """

    method: str
    images: np.ndarray
    heatmaps: np.ndarray
    scores: np.ndarray
    region: np.ndarray
    nodules: np.ndarray
    on_marker: np.ndarray
    on_nodule: np.ndarray
    peak_on_marker: np.ndarray
    peak_on_nodule: np.ndarray
    marker_area: float
    nodule_area: float

    @property
    def marker_share(self) -> float:
        """Mean share of the maps' mass on the marker (NaN with no image)."""
        return float(np.nanmean(self.on_marker)) if len(self.on_marker) else float("nan")

    @property
    def nodule_share(self) -> float:
        """Mean share of the maps' mass on the nodule (NaN with no image)."""
        return float(np.nanmean(self.on_nodule)) if len(self.on_nodule) else float("nan")


def marker_attention(model, images: np.ndarray, region: np.ndarray, centres: np.ndarray, radii: np.ndarray, *,
                     method: str = "gradcam", nodule_scale: float = 1.5, patch: int = 8,
                     stride: int = 4) -> MarkerAttention:
    """Score each image's heatmap (for the class "nodule") inside the marker's box and inside the nodule.

    What this shows: whether a model that says *nodule* looked at the nodule or at
    the marker: Grad-CAM (``explainers.saliency.compute_gradcam_batch``, class 1)
    or occlusion sensitivity (``explainers.attribution.compute_occlusion``, a black
    patch slid over the image), each image's map scored by where its mass lies.

    Args:
        model: a lesion classifier with one sigmoid output (e.g. a :class:`ShortcutLesson`'s model).
        images: (m, 64, 64, 1) images, best with both a marker and a nodule.
        region: (H, W) bool, the marker's box (:func:`marker_region`).
        centres, radii: (m, 2) and (m,) the images' nodules (``make_lesions``); radius 0: no nodule.
        method: "gradcam" or "occlusion".
        nodule_scale: the disc scored round each nodule, in nodule radii (the nodule's blob fades beyond 1).
        patch, stride: occlusion's patch side and step, in pixels.
    """
    from models._arguments import check_array, check_choice, check_float, fail

    method = check_choice("method", method, MARKER_ATTENTION_METHODS)
    x = check_array("images", images, ndim=4).astype(np.float32)
    region = np.asarray(check_array("region", region, ndim=2, dtype=None), bool)
    centres = np.asarray(centres, dtype=np.float64)
    radii = np.asarray(radii, dtype=np.float64)
    if region.shape != x.shape[1:3] or centres.shape != (len(x), 2) or radii.shape != (len(x),):
        fail("region, centres, radii", (region.shape, centres.shape, radii.shape),
             f"shapes {x.shape[1:3]}, ({len(x)}, 2) and ({len(x)},) to match {len(x)} images of {x.shape[1:3]}")
    nodule_scale = check_float("nodule_scale", nodule_scale, low=0.0, low_open=True)
    if method == "gradcam":
        from explainers.saliency import compute_gradcam_batch

        batch = compute_gradcam_batch(model, x, class_index=1)
        heat, scores = batch.heatmaps, batch.scores
    else:
        from explainers.attribution import compute_occlusion

        results = [compute_occlusion(model, img, patch=patch, stride=stride, baseline=0.0, class_index=1)
                   for img in x]
        heat = np.stack([r.heatmap for r in results]) if results else np.zeros((0, *x.shape[1:3]))
        scores = np.array([r.score for r in results])
    heat = np.maximum(np.asarray(heat, dtype=np.float64), 0.0)
    rr, cc = np.mgrid[:x.shape[1], :x.shape[2]]
    nodules = np.hypot(rr[None] - centres[:, 0, None, None], cc[None] - centres[:, 1, None, None]) \
        <= (nodule_scale * radii)[:, None, None]
    nodules &= (radii > 0)[:, None, None]
    total = heat.sum(axis=(1, 2))
    safe = np.where(total > 0, total, 1.0)
    on_marker = np.where(total > 0, (heat * region).sum(axis=(1, 2)) / safe, np.nan)
    on_nodule = np.where(total > 0, (heat * nodules).sum(axis=(1, 2)) / safe, np.nan)
    flat = heat.reshape(len(heat), -1).argmax(axis=1) if len(heat) else np.zeros(0, np.int64)
    peak_marker = (total > 0) & region.ravel()[flat]
    peak_nodule = (total > 0) & nodules.reshape(len(heat), -1)[np.arange(len(heat)), flat]
    return MarkerAttention(method, x, heat, np.asarray(scores, dtype=np.float64), region, nodules, on_marker,
                           on_nodule, peak_marker, peak_nodule, float(region.mean()),
                           float(nodules.mean(axis=(1, 2)).mean()) if len(nodules) else float("nan"))
