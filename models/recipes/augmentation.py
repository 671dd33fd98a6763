"""Augmentation recipe: the lesion CNN trained on few images with and without data augmentation.

Both runs start from the same weights, see the same images in the same order
and differ only in that one of them sees each epoch's images through
:func:`models.data.augmentation.augment` with a fresh seed; the gap between
their validation curves is the lesson. explainers.preprocessing_plots draws it.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.recipes._relay import Relabelled

__all__ = ["AUGMENTATION_RUNS", "DEFAULT_AUGMENTATION", "AugmentationComparison", "compare_augmentation"]

AUGMENTATION_RUNS = ("without", "with")
#: the strengths the comparison uses by default (see models.data.augmentation.AUGMENTATIONS): a common
#: recipe (a left-right flip, small turns and shifts, a little noise). Measured on the lesion images (2-core
#: CPU, seeds 0-5), no setting tried made the validation accuracy reliably better within 30-40 epochs; this
#: one made it worse (README and the preprocessing page give the numbers).
DEFAULT_AUGMENTATION: dict[str, float] = {"flip": 0.5, "rotation": 15.0, "translation": 0.1, "noise": 0.03}


@dataclass(frozen=True)
class AugmentationComparison:
    """Validation curves of the lesion CNN trained on few images without and with augmentation.

    What this shows: with only a few dozen training images a CNN soon fits
    them (training accuracy near 1) while its validation accuracy stalls;
    augmented copies of the same images (flipped, turned, shifted, noisier)
    are new examples of the same labels, and how much they lift the
    validation curve is measured here, not assumed.

    ``curves[run][key]`` is the per-epoch array for run ``"without"`` or
    ``"with"`` and key ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``.
    """

    curves: dict
    strengths: dict
    n_train: int
    n_val: int
    epochs: int
    seed: int
    status: dict          # run -> how it ended ("finished", "stopped", ...)
    seconds: dict         # run -> wall time of the run
    validation_shift: dict = dataclasses.field(default_factory=dict)  # what made the validation images differ

    def final(self, run: str, key: str = "val_accuracy", last: int = 5) -> float:
        """The mean of ``key`` over the last ``last`` epochs of ``run`` (NaN if it has none)."""
        values = np.asarray(self.curves.get(run, {}).get(key, []), dtype=float)
        return float(values[-last:].mean()) if values.size else float("nan")

    @property
    def gap(self) -> float:
        """Validation accuracy with minus without augmentation, each the mean of its last 5 epochs."""
        return self.final("with") - self.final("without")


def compare_augmentation(n_train: int = 32, *, n_val: int = 256, epochs: int = 40, batch_size: int = 8,
                         strengths: dict[str, float] | None = None, filters: tuple[int, ...] = (16, 32),
                         learning_rate: float = 3e-3, seed: int = 0, observers: Iterable[Any] = (),
                         histories: MutableMapping[str, Any] | None = None,
                         validation_shift: dict[str, float] | None = None) -> AugmentationComparison:
    """Train the lesion CNN on ``n_train`` images twice, without and with augmentation, from one start.

    What this shows: whether augmenting a small training set helps the CNN on
    images it has not seen: the same network (the same initial weights), the
    same images in the same order each epoch, the same number of steps; the
    only difference is that the second run sees each epoch's images through
    :func:`models.data.augmentation.augment` with a fresh seed per epoch.

    Args:
        n_train: labelled lesion images to train on (few: 8 to 512).
        n_val: lesion images for the validation curves (not augmented).
        epochs: passes over the training images, per run.
        batch_size: images per step.
        strengths: keyword arguments of ``augment`` (default :data:`DEFAULT_AUGMENTATION`).
        filters: conv filters per stage of :func:`models.build_cnn`.
        learning_rate: Adam's step.
        seed: seeds the images, the initial weights, the order and the augmentation (no global state).
        observers: training observers (e.g. a page's progress bar); each sees one run as ``epochs`` epochs.
        histories: a dict the caller keeps; the two runs' ``TrainingHistory`` objects are put in it
            under ``"without"`` and ``"with"`` as they train, so a page can draw them live and keeps
            them if a rerun interrupts the training.
        validation_shift: strengths of ``augment`` applied once (a fixed seed) to the validation images:
            images from "another scanner" (e.g. ``{"contrast": 0.4, "bias_field": 0.3}``), which the
            training images do not show. None: validation images from the same generator.

    Returns:
        Both runs' curves; a stop (an observer returning True) ends the comparison after that run's
        last finished epoch, and the other run is not started.
    """
    import time

    from models import build_cnn
    from models._arguments import ArgumentError, check_float, check_int
    from models.data import make_lesions
    from models.data.augmentation import AUGMENTATIONS, augment
    from models.training import TrainingHistory, train

    n_train = check_int("n_train", n_train, low=8, high=512)
    n_val = check_int("n_val", n_val, low=8, high=2048)
    epochs = check_int("epochs", epochs, low=1, high=200)
    batch_size = check_int("batch_size", batch_size, low=1)
    learning_rate = check_float("learning_rate", learning_rate, low=0.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    strengths = dict(DEFAULT_AUGMENTATION if strengths is None else strengths)
    unknown = set(strengths) - set(AUGMENTATIONS)
    if unknown:
        raise ArgumentError(f"strengths has unknown names {sorted(unknown)}; use {', '.join(AUGMENTATIONS)}")
    augment(np.zeros((1, 8, 8, 1), np.float32), seed=0, **strengths)  # checks every strength up front
    shift = dict(validation_shift or {})
    unknown = set(shift) - set(AUGMENTATIONS)
    if unknown:
        raise ArgumentError(f"validation_shift has unknown names {sorted(unknown)}; use {', '.join(AUGMENTATIONS)}")
    augment(np.zeros((1, 8, 8, 1), np.float32), seed=0, **shift)
    observers = list(observers)
    histories = {} if histories is None else histories

    x, y, _, _ = make_lesions(n_train + n_val, 64, seed=seed)
    xt, yt, xv, yv = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    if shift:
        xv = augment(xv, seed=seed + 4, **shift)
    start = build_cnn((64, 64, 1), 2, filters=tuple(filters), seed=seed + 1, name="cnn").get_weights()
    curves, status, seconds = {}, {}, {}
    for run in AUGMENTATION_RUNS:
        model = build_cnn((64, 64, 1), 2, filters=tuple(filters), seed=seed + 1, name="cnn")
        model.set_weights(start)  # one start for both runs (the seeded build gives it too: made explicit)
        history = histories[run] = TrainingHistory()
        relabelled = [Relabelled(o, epochs) for o in observers]
        order_rng = np.random.default_rng(seed + 2)      # the same order of images in both runs
        augment_rng = np.random.default_rng(seed + 3)    # a fresh augmentation seed each epoch
        t0 = time.perf_counter()
        for _ in range(epochs):
            order = order_rng.permutation(n_train)
            images = xt[order]
            epoch_seed = int(augment_rng.integers(0, 2**31 - 1))
            if run == "with":
                images = augment(images, seed=epoch_seed, **strengths)
            train(model, images, yt[order], epochs=1, batch_size=batch_size, shuffle=False, history=history,
                  validation_data=(xv, yv), learning_rate=learning_rate, observers=relabelled)
            if history.status != "finished":
                break
        seconds[run] = time.perf_counter() - t0
        for o in relabelled:
            o.end(history)
        curves[run] = {k: np.asarray(v, dtype=float) for k, v in history.history.items()}
        status[run] = history.status
        if history.status != "finished":
            break
    return AugmentationComparison(curves, strengths, n_train, n_val, epochs, seed, status, seconds, shift)
