"""What every loss-based explainer needs first: a model with weights, a fixed data sample, a loss.

The loss landscape, the interpolation, the gradient norms and the residual
block gradients all evaluate "the loss of this model on these data" without
training: they check the model and the data up front, take the same seeded
subset of rows, and score predictions with the loss the model was compiled
with (or one chosen from its output layer). Those three steps live here, once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from explainers._layers import check_model
from models._arguments import ArgumentError, check_array, check_int, fail

__all__ = ["DataSample", "LossSpec", "check_weighted_model", "sample_data", "loss_spec"]


@dataclass(frozen=True)
class DataSample:
    """A fixed, seeded subset of a data set: ``x[indices]`` and ``y[indices]``.

    ``indices`` are sorted rows of the full data, so the same seed always picks
    the same samples and a result can say which ones it used.
    """

    x: np.ndarray
    y: np.ndarray
    indices: np.ndarray


@dataclass(frozen=True)
class LossSpec:
    """How to score a model's predictions without ``model.evaluate``.

    ``fn(y_true, y_pred)`` gives one loss per sample (the keras loss function
    behind the model's compiled loss); ``labels`` are ``y`` in the form ``fn``
    expects (integer class ids for a sparse loss, float columns otherwise);
    ``kind`` says how to count accuracy: ``"binary"`` (a sigmoid unit),
    ``"sparse"`` / ``"onehot"`` (softmax with integer or one-hot labels) or
    ``"none"`` (a regression output). ``key`` identifies the loss for caches
    of compiled functions.
    """

    fn: Callable[[Any, Any], Any]
    labels: np.ndarray
    sparse: bool
    kind: str
    key: tuple


def check_weighted_model(model: Any, argument: str = "model") -> keras.Model:
    """``model`` if it is a built Keras model with trainable weights, else an ArgumentError."""
    check_model(model, argument)
    if not model.built or not model.trainable_variables:
        raise ArgumentError(f"{argument} {model.name!r} has no trainable weights yet; build it (call it once) first")
    return model


def _subset(n_total: int, n_samples: int | None, seed: int) -> np.ndarray:
    if n_samples is None or n_samples >= n_total:
        return np.arange(n_total)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_total, size=n_samples, replace=False))


def sample_data(model: keras.Model, x: Any, y: Any, *, n_samples: int | None = 256, seed: int = 0) -> DataSample:
    """Check ``x`` and ``y`` against ``model`` and take a fixed subset of ``n_samples`` rows.

    ``x`` must hold samples of the model's input shape (finite numbers) and
    ``y`` one label per sample; ``n_samples=None`` keeps every row. The subset
    depends on ``seed`` only (``numpy.random.default_rng``), never on a global
    generator.
    """
    x = check_array("x", x, dtype=None)
    y = check_array("y", y, dtype=None, finite=False)
    if x.ndim < 2 or len(x) != len(y):
        raise ArgumentError(f"x and y must hold the same number (>0) of samples, got x {x.shape} and y {y.shape}")
    want = tuple(model.inputs[0].shape[1:]) if getattr(model, "inputs", None) else None
    if want is not None and all(w is not None for w in want) and tuple(x.shape[1:]) != want:
        raise ArgumentError(f"x has sample shape {tuple(x.shape[1:])} but {model.name!r} expects {want}")
    if n_samples is not None:
        check_int("n_samples", n_samples, low=1)
    idx = _subset(len(x), n_samples, seed)
    return DataSample(x[idx], y[idx], idx)


def _labels(y: np.ndarray, out_units: int, sparse: bool) -> np.ndarray:
    if sparse:
        return y.reshape(len(y)).astype(np.int32)
    y = y.astype(np.float32)
    if y.size == len(y) * out_units:
        return y.reshape(len(y), out_units)
    return y


def loss_spec(model: keras.Model, y: np.ndarray, loss: Any = None) -> LossSpec:
    """The per-sample loss, the labels in its form, and how to count accuracy.

    ``loss`` is a loss name, a ``keras.losses.Loss`` or a function
    ``(y_true, y_pred)``; None takes the model's compiled loss, else one chosen
    from the output layer (binary cross-entropy after a sigmoid, categorical
    after a softmax, MSE otherwise).
    """
    y = np.asarray(y)
    out_shape = model.outputs[0].shape if getattr(model, "outputs", None) else None
    activation = getattr(getattr(model.layers[-1], "activation", None), "__name__", "")
    if loss is None:
        loss = getattr(model, "loss", None)
    if loss is None:
        if activation == "sigmoid":
            loss = "binary_crossentropy"
        elif activation == "softmax":
            loss = "sparse_categorical_crossentropy" if (y.ndim == 1 or y.shape[-1] == 1) else \
                "categorical_crossentropy"
        else:
            loss = "mse"
    try:
        obj = keras.losses.get(loss) if isinstance(loss, str) else loss
    except ValueError:
        fail("loss", loss, "a keras loss name, a keras Loss or a function(y_true, y_pred)")
    fn, kwargs = obj, {}
    if isinstance(obj, keras.losses.Loss):
        fn = getattr(obj, "fn", None)
        kwargs = dict(getattr(obj, "_fn_kwargs", {}) or {})
        if fn is None:
            fail("loss", loss, "a loss with a per-sample function",
                 "pass a loss name such as 'binary_crossentropy' or a function(y_true, y_pred)")
    if not callable(fn):
        fail("loss", loss, "a loss name, a keras Loss or a function")
    name = getattr(fn, "__name__", "")
    sparse = "sparse" in name
    kind = "none"
    if out_shape is not None and len(out_shape) == 2:
        if activation == "sigmoid" or ("binary" in name):
            kind = "binary"
        elif activation == "softmax" or "categorical" in name:
            kind = "sparse" if sparse or y.ndim == 1 else "onehot"
    out_units = int(out_shape[-1]) if out_shape is not None else 1
    key = (fn, repr(sorted(kwargs.items())), kind)
    return LossSpec(lambda yt, yp: fn(yt, yp, **kwargs), _labels(y, out_units, sparse), sparse, kind, key)
