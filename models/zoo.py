"""The course's models by name, each with its built-in data and training defaults.

Used by the terminal (``python -m models.training cnn``), the app and the benchmarks.
Two sizes: "small" fits a live demo on a 2-core laptop CPU, "large" is for a GPU.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models._arguments import check_choice

__all__ = ["MODEL_NAMES", "TrainingSpec", "build_model", "demo_data"]

MODEL_NAMES = ("logistic", "mlp", "cnn", "resnet", "plainnet", "unet", "attention", "patch_attention")


@dataclass(frozen=True)
class TrainingSpec:
    """Defaults that make a model learn its demo data quickly."""

    learning_rate: float
    loss: Any = None  # None: chosen from the output layer
    metrics: Any = None
    samples: int = 512


_SPECS = {
    "logistic": TrainingSpec(0.05, samples=1000),
    "mlp": TrainingSpec(0.03, samples=400),
    "cnn": TrainingSpec(3e-3, samples=512),
    "resnet": TrainingSpec(3e-3, samples=512),
    "plainnet": TrainingSpec(3e-3, samples=512),
    "unet": TrainingSpec(3e-3, samples=256),
    "attention": TrainingSpec(1e-2, samples=1000),
    "patch_attention": TrainingSpec(3e-3, samples=512),
}

_LARGE = {
    "mlp": dict(hidden=(64, 64, 32)),
    "cnn": dict(filters=(32, 64, 128)),
    "resnet": dict(blocks=(3, 3, 3), base_filters=32),
    "plainnet": dict(blocks=(3, 3, 3), base_filters=32),
    "unet": dict(depth=4, base_filters=32),
    "attention": dict(d_model=64),
    "patch_attention": dict(d_model=64),
}


def build_model(name: str, size: str = "small", *, seed: int | None = None, **overrides: Any):
    """Build one of the course's models for its demo data.

    Args:
        name: one of :data:`MODEL_NAMES`.
        size: "small" (CPU demo) or "large" (more filters and blocks, for a GPU).
        seed: seeds the initial weights: the same arguments and seed give the
            same starting net in any session (``None``: Keras' unseeded default).
        **overrides: passed to the builder.
    """
    import models as m
    from models.data import make_clinical_notes

    check_choice("name", name, MODEL_NAMES)
    check_choice("size", size, ("small", "large"))
    kw = {**(_LARGE.get(name, {}) if size == "large" else {}), **overrides, "seed": seed}
    if name == "logistic":
        return m.build_logistic_neuron(4, **kw)
    if name == "mlp":
        return m.build_mlp(2, **{"hidden": (8, 8), "activation": "tanh", **kw})
    if name == "cnn":
        return m.build_cnn((64, 64, 1), 2, **kw)
    if name in ("resnet", "plainnet"):
        return m.build_resnet((64, 64, 1), 2, residual=(name == "resnet"), **kw)
    if name == "unet":
        return m.build_unet((64, 64, 1), 1, **kw)
    if name == "attention":
        notes = make_clinical_notes(8, seed=0)
        return m.build_attention_classifier(len(notes.vocabulary), notes.tokens.shape[1],
                                            len(notes.class_names), **kw)
    return m.build_patch_attention((64, 64, 1), 8, 2, **kw)


def demo_data(name: str, n: int | None = None, seed: int = 0, val_fraction: float = 0.25):
    """Training and validation data for a model, made offline in well under a second.

    Returns:
        ``((x_train, y_train), (x_val, y_val), spec)`` where ``spec`` is the
        model's :class:`TrainingSpec`.
    """
    from models import data

    check_choice("name", name, MODEL_NAMES)
    spec = _SPECS[name]
    n = n or spec.samples
    if name == "logistic":
        x, y = data.make_stroke(n, seed=seed)
        x = (x - x.mean(0)) / x.std(0)  # standardised, so one learning rate fits all inputs
    elif name == "mlp":
        x, y = data.make_points("circle", n, noise=0.1, seed=seed)
    elif name in ("cnn", "resnet", "plainnet", "patch_attention"):
        x, y = data.make_lesions(n, size=64, seed=seed)[:2]
    elif name == "unet":
        x, y = data.make_segmentation(n, size=64, seed=seed)
    else:
        notes = data.make_clinical_notes(n, seed=seed)
        x, y = notes.tokens, notes.labels
    n_val = max(1, int(round(len(y) * val_fraction)))
    x, y = np.asarray(x), np.asarray(y)
    return (x[n_val:], y[n_val:]), (x[:n_val], y[:n_val]), spec
