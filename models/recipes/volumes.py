"""Volumes recipe: a 3-D CNN trained on synthetic nodule volumes, and the same task as 2-D slices.

The Volumes page trains :func:`models.cnn3d.build_cnn3d` here, live, on
:func:`models.data.nodules3d.make_nodules3d`, then explains it with 3-D
Grad-CAM and receptive fields (``explainers``). :func:`compare_2d_3d` trains a
2-D CNN on the same volumes' axial slices (a slice is positive when the nodule's
mask touches it; a volume's score is the largest of its slices' scores) beside
the 3-D CNN, and measures parameters, accuracy per test volume and training time.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from models.recipes._relay import Relabelled

if TYPE_CHECKING:
    import keras

    from models.training import TrainingHistory

__all__ = ["VOLUME_RUN_LABELS", "VolumeRecipe", "DEFAULT_VOLUME_RECIPE", "NoduleVolumes", "VolumeRun", "SliceVolumeComparison",
           "nodule_volumes", "build_volume_cnn", "build_slice_cnn", "axial_slices", "slice_scores", "ranking_auc",
           "train_volume_cnn", "compare_2d_3d"]

#: the run labels of :func:`compare_2d_3d` (what a page's observer sees as ``info["run"]``)
VOLUME_RUN_LABELS = ("3-D volumes", "2-D slices")


@dataclass(frozen=True)
class VolumeRecipe:
    """Everything that decides the volumes lesson's runs (the page's defaults).

    Both CNNs of :func:`compare_2d_3d` use the same filters, dense units,
    epochs and learning rate; by default a step of the 2-D CNN sees the slices
    of ``batch_size`` volumes, so both see the same voxels per step and take
    the same number of steps.
    """

    size: int = 32                     # side of the cubes (voxels)
    n_train: int = 256                 # training volumes
    n_test: int = 128                  # held-out volumes (another seed)
    filters: tuple[int, ...] = (8, 16, 32)
    dense_units: int = 16
    epochs: int = 12
    batch_size: int = 8
    slice_batch_size: int | None = None  # slices per step of the 2-D CNN; None: batch_size × size (the same voxels)
    learning_rate: float = 1e-3
    seed: int = 0                      # the data's and the weights' seed (the volumes come in a random order,
    #                                    kept every epoch: a run repeats exactly)


#: the page's defaults, measured on a 2-core CPU shared with other jobs (load 3-4) on the volumes with vessels (a
#: negative holds a vessel where a positive holds its nodule, so one axial slice cannot tell them apart):
#: compare_2d_3d with seeds 0, 1, 2 reached held-out accuracy per volume 0.984, 0.953, 0.961 (AUC 0.985, 0.970,
#: 0.994; 3-D, 18,265 weights) and 0.508, 0.523, 0.453 (AUC 0.590, 0.515, 0.438; 2-D slices, 6,601 weights),
#: training 16-20 s (3-D) and 17-29 s (2-D). The 2-D CNN learns that a disc is as often a
#: vessel as a nodule's slice: it calls (almost) every slice negative, so every volume too. Adam 3e-3 for 8 epochs
#: (the defaults before the vessels) left the 3-D CNN at 0.98, 0.95 and 0.52 (seed 2 fell from 0.85 at its last
#: epoch); 1e-3 for 10 epochs at 0.90-0.96, for 12 at 0.95-0.98. Two stages (8, 16; a 10-voxel receptive field,
#: less than the largest nodule's diameter) left the 3-D CNN at chance (0.5) for all 6-10 epochs with some seeds
#: (without vessels); three stages (22 voxels) see a sphere's top and bottom and the tube beyond them.
DEFAULT_VOLUME_RECIPE = VolumeRecipe()


@dataclass(frozen=True)
class NoduleVolumes:
    """Training and held-out volumes: ``x`` (n, D, H, W, 1) in [0, 1], ``y`` (n,) 1 = nodule, ``masks`` like x."""

    x: np.ndarray
    y: np.ndarray
    masks: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    masks_test: np.ndarray


@dataclass(frozen=True)
class VolumeRun:
    """The 3-D CNN after a run: the model, its history, the data, and its score on each held-out volume.

    What this shows: how well a CNN that sees the whole volume at once finds
    the nodule in volumes it has never seen (``test_accuracy`` at threshold 0.5).
    """

    model: keras.Model
    history: TrainingHistory
    data: NoduleVolumes
    test_scores: np.ndarray   # (n_test,) sigmoid output per held-out volume
    test_accuracy: float
    seconds: float            # wall time of this call's training


@dataclass(frozen=True)
class SliceVolumeComparison:
    """The same nodule task learnt from 2-D axial slices and from whole 3-D volumes.

    What this shows: the 2-D CNN sees one slice at a time, so a vessel cut
    across looks like a nodule and the volume's score is the largest of its
    slices' scores; the 3-D CNN sees the nodule as a sphere across slices, at
    the price of kernels with F times the weights and F times the work per
    voxel. Parameters are ``model.count_params()``; accuracy is per held-out
    volume at threshold 0.5; AUC is the area under the ROC curve of the
    per-volume scores (the chance that a held-out volume with a nodule scores
    above one without, ties counting half: 0.5 for a model that cannot rank
    them at all, whatever its threshold); seconds are the wall time of each
    training run.

    ``slice_scores_2d`` (n_test, D) holds the 2-D CNN's score of every axial
    slice; ``scores_2d`` (n_test,) their maximum per volume; ``scores_3d``
    (n_test,) the 3-D CNN's output. ``data`` holds the volumes (the held-out
    ones for Grad-CAM), ``recipe`` the settings.
    """

    model_2d: keras.Model
    model_3d: keras.Model
    history_2d: TrainingHistory
    history_3d: TrainingHistory
    parameters_2d: int
    parameters_3d: int
    accuracy_2d: float
    accuracy_3d: float
    auc_2d: float
    auc_3d: float
    seconds_2d: float
    seconds_3d: float
    slice_scores_2d: np.ndarray
    scores_2d: np.ndarray
    scores_3d: np.ndarray
    data: NoduleVolumes
    recipe: VolumeRecipe

    def disc_scores(self) -> tuple[np.ndarray, np.ndarray]:
        """The 2-D CNN's score of the axial slice through each held-out nodule's centre (the mask's mean z,
        rounded), and of the highest slice of each held-out volume without a nodule (a vessel's disc stands
        there where the others have the nodule): (n_positives,), (n_negatives,)."""
        y, masks = self.data.y_test, self.data.masks_test
        positives = np.flatnonzero(y == 1)
        centres = [int(round(float(np.nonzero(masks[i, ..., 0])[0].mean()))) for i in positives]
        return self.slice_scores_2d[positives, centres], self.scores_2d[y == 0]

    def rows(self) -> list[dict[str, Any]]:
        """One row per model (2-D first): name, parameters, accuracy, seconds, how the run ended."""
        return [{"model": "2-D CNN on axial slices", "parameters": self.parameters_2d, "accuracy": self.accuracy_2d,
                 "auc": self.auc_2d, "seconds": self.seconds_2d, "status": self.history_2d.status},
                {"model": "3-D CNN on volumes", "parameters": self.parameters_3d, "accuracy": self.accuracy_3d,
                 "auc": self.auc_3d, "seconds": self.seconds_3d, "status": self.history_3d.status}]


def _check_recipe(recipe: VolumeRecipe) -> VolumeRecipe:
    from models._arguments import ArgumentError, check_float, check_int

    if not isinstance(recipe, VolumeRecipe):
        raise ArgumentError(f"recipe must be a VolumeRecipe, got {type(recipe).__name__}")
    check_int("size", recipe.size, low=16, high=128)
    check_int("n_train", recipe.n_train, low=4, high=4096)
    check_int("n_test", recipe.n_test, low=2, high=4096)
    check_int("epochs", recipe.epochs, low=0, high=200)
    check_int("batch_size", recipe.batch_size, low=1)
    if recipe.slice_batch_size is not None:
        check_int("slice_batch_size", recipe.slice_batch_size, low=1)
    check_int("dense_units", recipe.dense_units, low=1)
    check_float("learning_rate", recipe.learning_rate, low=0.0, low_open=True)
    check_int("seed", recipe.seed, low=0)
    if recipe.size % 2 ** len(recipe.filters):
        raise ArgumentError(f"size {recipe.size} must be a multiple of 2**{len(recipe.filters)} (one halving per "
                            f"stage of filters {recipe.filters!r}); e.g. 32")
    return recipe


def nodule_volumes(recipe: VolumeRecipe = DEFAULT_VOLUME_RECIPE) -> NoduleVolumes:
    """The recipe's volumes from :func:`models.data.nodules3d.make_nodules3d` (held-out ones with seed + 1000)."""
    from models.data.nodules3d import make_nodules3d

    recipe = _check_recipe(recipe)
    return NoduleVolumes(*make_nodules3d(recipe.n_train, recipe.size, seed=recipe.seed),
                         *make_nodules3d(recipe.n_test, recipe.size, seed=recipe.seed + 1000))


def build_volume_cnn(recipe: VolumeRecipe = DEFAULT_VOLUME_RECIPE) -> keras.Model:
    """The recipe's 3-D CNN (:func:`models.cnn3d.build_cnn3d`), its starting weights fixed by ``recipe.seed``."""
    from models.cnn3d import build_cnn3d

    recipe = _check_recipe(recipe)
    return build_cnn3d((recipe.size,) * 3 + (1,), 2, filters=recipe.filters, dense_units=recipe.dense_units,
                       seed=recipe.seed, name="cnn3d")


def build_slice_cnn(recipe: VolumeRecipe = DEFAULT_VOLUME_RECIPE) -> keras.Model:
    """The recipe's 2-D CNN for axial slices (:func:`models.cnn.build_cnn`, the same filters and head)."""
    from models.cnn import build_cnn

    recipe = _check_recipe(recipe)
    return build_cnn((recipe.size, recipe.size, 1), 2, filters=recipe.filters, dense_units=recipe.dense_units,
                     seed=recipe.seed, name="slice_cnn")


def axial_slices(volumes: np.ndarray, masks: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Every axial slice of every volume, and whether the nodule's mask touches it.

    Args:
        volumes: (n, D, H, W, 1), axes z, y, x.
        masks: (n, D, H, W, 1) nodule masks, or None.

    Returns:
        ``(slices, labels)``: (n·D, H, W, 1) with volume 0's slices first, and
        (n·D,) int64, 1 where the slice holds a voxel of the mask (None without masks).
    """
    from models._arguments import ArgumentError, check_array

    volumes = check_array("volumes", volumes, ndim=5)
    n, d, h, w, c = volumes.shape
    slices = volumes.reshape(n * d, h, w, c)
    if masks is None:
        return slices, None
    masks = np.asarray(masks)
    if masks.shape != volumes.shape:
        raise ArgumentError(f"masks must have the volumes' shape {volumes.shape}, got {masks.shape}")
    return slices, masks.reshape(n, d, -1).any(axis=-1).reshape(n * d).astype(np.int64)


def slice_scores(model: keras.Model, volumes: np.ndarray, *, batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D CNN's score of every axial slice, and each volume's score: the largest of its slices' scores.

    Returns:
        ``(per_volume, per_slice)``: (n,) and (n, D) sigmoid outputs.
    """
    slices, _ = axial_slices(volumes)
    n, d = np.shape(volumes)[:2]
    per_slice = np.asarray(model.predict(slices, batch_size=batch_size, verbose=0), dtype=np.float32)
    per_slice = per_slice.reshape(n, d)
    return per_slice.max(axis=1), per_slice


def _accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean((scores >= 0.5).astype(np.int64) == np.asarray(labels)))


def ranking_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """The area under the ROC curve: the share of (positive, negative) pairs whose positive scores higher, a tie
    counting half (the Mann-Whitney statistic; 0.5 when one class is missing)."""
    scores, labels = np.asarray(scores, np.float64).ravel(), np.asarray(labels).ravel()
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return 0.5
    diff = pos[:, None] - neg[None, :]
    return float(np.mean(diff > 0) + 0.5 * np.mean(diff == 0))


def train_volume_cnn(recipe: VolumeRecipe = DEFAULT_VOLUME_RECIPE, *, model: keras.Model | None = None,
                     data: NoduleVolumes | None = None, observers: Iterable[Any] = (),
                     history: TrainingHistory | None = None) -> VolumeRun:
    """Train the recipe's 3-D CNN (or ``model``) on nodule volumes through :func:`models.train`.

    What this shows: a 3-D CNN learns to find a nodule of 2-5 voxels' radius in
    a lung-like volume among vessels of the same radius (a sphere, not a tube)
    from a few hundred examples; the page's observers see every batch and
    epoch (validation on the held-out volumes).

    The default recipe (filters 8, 16, 32; Adam 1e-3; batch 8; 12 epochs on 256
    volumes of 32³; an epoch about 1.5 s on a 2-core CPU) took 16-20 s and
    reached held-out accuracy 0.95-0.98 for seeds 0-2; the first epochs can sit
    near chance (0.5) before the net tells spheres from tubes.

    Args:
        recipe: the settings.
        model: a model to train instead of a new one (a compiled model continues its run).
        data: the volumes (default: :func:`nodule_volumes` of the recipe).
        observers: observers for :func:`models.train` (a page's progress bar).
        history: a :class:`models.training.TrainingHistory` to extend.
    """
    from models.training import train

    recipe = _check_recipe(recipe)
    data = nodule_volumes(recipe) if data is None else data
    model = build_volume_cnn(recipe) if model is None else model
    t0 = time.perf_counter()
    history = train(model, data.x, data.y, epochs=recipe.epochs, batch_size=recipe.batch_size,
                    learning_rate=recipe.learning_rate, validation_data=(data.x_test, data.y_test),
                    observers=list(observers), history=history, shuffle=False)
    seconds = time.perf_counter() - t0
    scores = np.asarray(model.predict(data.x_test, batch_size=64, verbose=0), dtype=np.float32).reshape(-1)
    return VolumeRun(model, history, data, scores, _accuracy(scores, data.y_test), seconds)


def compare_2d_3d(recipe: VolumeRecipe = DEFAULT_VOLUME_RECIPE, *, data: NoduleVolumes | None = None,
                  observers: Iterable[Any] = ()) -> SliceVolumeComparison:
    """Train a 3-D CNN on the volumes and a 2-D CNN on their axial slices; compare them on held-out volumes.

    What this shows: the same nodule task, the same training and held-out
    volumes, the same filters and epochs; one model sees a slice at a time
    (each slice labelled by whether the nodule's mask touches it, a volume
    scored by its highest slice), the other the whole volume.

    Each observer sees the two runs one after the other, ``info["run"]`` naming
    each (:data:`VOLUME_RUN_LABELS`: the 3-D run first). If the 3-D run is stopped or
    diverges, the 2-D run is not started (its history stays empty, status "new").

    Args:
        recipe: the settings of both runs.
        data: the volumes (default: :func:`nodule_volumes` of the recipe).
        observers: training observers (a page's progress bar).
    """
    from models.training import TrainingHistory, train

    recipe = _check_recipe(recipe)
    data = nodule_volumes(recipe) if data is None else data
    observers = list(observers)

    relabelled = [Relabelled(o, recipe.epochs, VOLUME_RUN_LABELS[0]) for o in observers]
    run3d = train_volume_cnn(recipe, data=data, observers=relabelled, history=TrainingHistory())
    for o in relabelled:
        o.end(run3d.history)

    model_2d = build_slice_cnn(recipe)
    history_2d = TrainingHistory()
    seconds_2d = 0.0
    if run3d.history.status == "finished":
        slices, labels = axial_slices(data.x, data.masks)
        test_slices, test_labels = axial_slices(data.x_test, data.masks_test)
        relabelled = [Relabelled(o, recipe.epochs, VOLUME_RUN_LABELS[1]) for o in observers]
        t0 = time.perf_counter()
        slice_batch = recipe.slice_batch_size or recipe.batch_size * recipe.size
        train(model_2d, slices, labels, epochs=recipe.epochs, batch_size=slice_batch,
              learning_rate=recipe.learning_rate, validation_data=(test_slices, test_labels),
              observers=relabelled, history=history_2d, shuffle=False)
        seconds_2d = time.perf_counter() - t0
        for o in relabelled:
            o.end(history_2d)
    else:
        history_2d.message = f"Not trained: the 3-D run ended first ({run3d.history.status})."
    scores_2d, per_slice = slice_scores(model_2d, data.x_test)
    return SliceVolumeComparison(
        model_2d=model_2d, model_3d=run3d.model, history_2d=history_2d, history_3d=run3d.history,
        parameters_2d=int(model_2d.count_params()), parameters_3d=int(run3d.model.count_params()),
        accuracy_2d=_accuracy(scores_2d, data.y_test), accuracy_3d=run3d.test_accuracy,
        auc_2d=ranking_auc(scores_2d, data.y_test), auc_3d=ranking_auc(run3d.test_scores, data.y_test),
        seconds_2d=seconds_2d, seconds_3d=run3d.seconds, slice_scores_2d=per_slice, scores_2d=scores_2d,
        scores_3d=run3d.test_scores, data=data, recipe=recipe)
