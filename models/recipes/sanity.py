"""Sanity-check recipe: the lesion CNN, trained on true labels and on shuffled ones (Adebayo et al., 2018).

The "When to trust a heatmap" page trains both here, live, through
:func:`models.train`, then runs ``explainers.sanity.compute_sanity_checks``:
cascading weight randomisation on the trained net, and the data randomisation
test against the same architecture trained on labels shuffled with ``seed``.

:func:`build_sanity_cnn` also builds the controlled twin of the lesion CNN:
the very same layers and starting weights with global *average* instead of
global *max* pooling, to test why plain gradients ignore a randomised head
on the max-pooled net.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from models.recipes.pooling import PoolingData, pooling_data

__all__ = ["SANITY_RECIPE", "SANITY_POOLINGS", "SanityData", "sanity_data", "build_sanity_cnn",
           "shuffled_labels", "train_sanity_cnn"]

#: the page's defaults: the lesion CNN of models.build_cnn (16, 32 filters) on 384 training images, 5 epochs
#: (the issue's setting), Adam at 3e-3 as on the saliency page. The data arrive in random order from
#: make_lesions and are not reshuffled, so a seed gives one run.
SANITY_RECIPE: dict[str, Any] = {"epochs": 5, "learning_rate": 3e-3, "batch_size": 32, "n_train": 384,
                                 "n_val": 96}

#: the global pooling of :func:`build_sanity_cnn`: "max" is models.build_cnn itself, "average" its twin
SANITY_POOLINGS = ("max", "average")


#: Lesion images for the sanity checks: the pooling lesson's split (training and validation, with the nodules'
#: positions), one dataclass for both lessons.
SanityData = PoolingData


def sanity_data(n_train: int = SANITY_RECIPE["n_train"], n_val: int = SANITY_RECIPE["n_val"], *,
                seed: int = 0) -> SanityData:
    """Synthetic chest images, half with a nodule (``models.data.make_lesions``), training and validation."""
    return pooling_data(n_train, n_val, seed=seed)


def build_sanity_cnn(global_pooling: str = "max", *, seed: int = 0, name: str = "cnn"):
    """The lesion CNN (``models.build_cnn`` with its defaults), or its twin with global average pooling.

    What this shows: with ``"max"`` this *is* ``build_cnn((64, 64, 1), seed=seed)``;
    with ``"average"`` every layer and every starting weight is the same and only
    the global pooling layer differs (``{name}_gap``), so a difference between
    the two nets' explanations is the pooling's doing.
    """
    import keras

    from models import build_cnn
    from models._arguments import check_choice, check_int

    global_pooling = check_choice("global_pooling", global_pooling, SANITY_POOLINGS)
    seed = check_int("seed", seed, low=0)
    model = build_cnn((64, 64, 1), seed=seed, name=name)
    if global_pooling == "max":
        return model

    def swap(layer):
        if isinstance(layer, keras.layers.GlobalMaxPooling2D):
            return keras.layers.GlobalAveragePooling2D(name=f"{name}_gap")
        return layer.__class__.from_config(layer.get_config())

    twin = keras.models.clone_model(model, clone_function=swap)
    twin.set_weights(model.get_weights())
    return twin


def shuffled_labels(y: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """``y`` in an order drawn from ``np.random.default_rng(seed)``: the same labels, no longer the images'."""
    return np.asarray(y)[np.random.default_rng(seed).permutation(len(y))]


def train_sanity_cnn(model, data: SanityData, *, epochs: int = SANITY_RECIPE["epochs"],
                     learning_rate: float = SANITY_RECIPE["learning_rate"],
                     batch_size: int = SANITY_RECIPE["batch_size"], shuffle_labels: bool = False, seed: int = 0,
                     observers: Iterable[Any] = (), history=None):
    """Train the lesion CNN on the lesion images (Adam, binary cross-entropy), validating every epoch.

    What this shows: with ``shuffle_labels=True`` the labels are permuted
    (:func:`shuffled_labels` with ``seed``), training and validation alike, so
    nothing in an image predicts its label: the model Adebayo et al.'s data
    randomisation test compares against. A map that looks the same on both
    models does not show what the model learnt from the labels.

    Args:
        model: e.g. :func:`build_sanity_cnn`; a compiled model continues its run.
        data: from :func:`sanity_data`.
        epochs, learning_rate, batch_size: the run.
        shuffle_labels: train on permuted labels.
        seed: the permutation's seed (``seed + 1`` for the validation labels).
        observers: training observers (a page's progress bar).
        history: a ``TrainingHistory`` to extend (keep it in the caller to survive a rerun).

    Returns:
        The ``TrainingHistory`` (``status`` says how the run ended).
    """
    from models._arguments import check_int
    from models.training import train

    seed = check_int("seed", seed, low=0)
    y, y_val = data.y, data.y_val
    if shuffle_labels:
        y, y_val = shuffled_labels(y, seed=seed), shuffled_labels(y_val, seed=seed + 1)
    return train(model, data.x, y, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                 validation_data=(data.x_val, y_val), observers=list(observers), history=history, shuffle=False)
