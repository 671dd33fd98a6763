"""What a small network computes over its 2-D input plane (lecture 003).

What this shows: a single neuron draws a straight line between the classes;
hidden neurons each draw their own line (or ramp), and the next layer combines
them into curved boundaries. ``parameter_table`` counts the weights the way
the course does: previous × current + bias per layer.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class DecisionBoundary:
    """Class probabilities of a 2-input model on a grid covering the data.

    Attributes:
        xs, ys: ``(r,)`` grid coordinates along input 0 and input 1.
        grid: ``(r*r, 2)`` float32 points fed to the model (row-major over ys, xs).
        probs: ``(r, r)`` probability of class 1 (``probs[i, j]`` at ``(xs[j], ys[i])``);
            for a softmax output with k > 2 classes, the probability of the argmax class.
        classes: ``(r, r)`` predicted class.
        x, y: the data drawn on top (``y`` may be None).
    """

    xs: np.ndarray
    ys: np.ndarray
    grid: np.ndarray
    probs: np.ndarray
    classes: np.ndarray
    x: np.ndarray
    y: np.ndarray | None


@dataclass(frozen=True)
class NeuronMaps:
    """Every hidden neuron's activation over the input plane.

    Attributes:
        xs, ys: ``(r,)`` grid coordinates.
        layers: name of each hidden layer.
        maps: one ``(units, r, r)`` array per hidden layer.
    """

    xs: np.ndarray
    ys: np.ndarray
    layers: tuple[str, ...]
    maps: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class ParameterRow:
    """One layer: its name, the course formula and Keras' own count."""

    layer: str
    kind: str
    formula: str
    count: int
    keras_count: int


@dataclass(frozen=True)
class ParameterTable:
    """Per-layer parameter counts; ``total`` equals ``model.count_params()``."""

    rows: tuple[ParameterRow, ...]
    total: int
    keras_total: int

    def records(self) -> list[dict]:
        """Rows as dicts (for a DataFrame)."""
        return [{"layer": r.layer, "type": r.kind, "previous × current + bias": r.formula,
                 "count": r.count, "Keras count": r.keras_count} for r in self.rows]


def _check_2d_model(model: Any, x: Any) -> np.ndarray:
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != 2 or len(x) == 0:
        raise ValueError(f"x must be (n, 2) points in the input plane, got shape {x.shape}")
    shape = tuple(model.inputs[0].shape) if getattr(model, "inputs", None) else None
    if shape is not None and shape[-1] != 2:
        raise ValueError(f"model must take 2 inputs to draw a boundary in the plane, its input shape is {shape}")
    return x


def _grid(x: np.ndarray, resolution: int, margin: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or not 2 <= resolution <= 1000:
        raise ValueError(f"resolution must be an integer in [2, 1000], got {resolution!r}")
    lo, hi = x.min(0), x.max(0)
    pad = margin * np.maximum(hi - lo, 1e-6)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution, dtype=np.float32)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32)


def _forward(model, grid: np.ndarray) -> np.ndarray:
    """One direct call (no predict() loop): the grid is small, and this runs every epoch."""
    import keras

    return np.asarray(keras.ops.convert_to_numpy(model(grid, training=False)), dtype=np.float64)


def decision_boundary(model: Any, x: Any, resolution: int = 200, *, y: Any = None,
                      margin: float = 0.1) -> DecisionBoundary:
    """Class probabilities of ``model`` on a grid covering ``x`` (any 2-input Keras model).

    What this shows: the boundary the model has learned, where p crosses 0.5.

    Args:
        model: a Keras model with 2 inputs and a sigmoid (1 unit) or softmax output.
        x: ``(n, 2)`` data; the grid spans it plus ``margin`` of its range.
        resolution: grid points per axis.
        y: optional labels, kept for drawing.
        margin: extra border as a fraction of the data range.

    Returns:
        A :class:`DecisionBoundary`.
    """
    x = _check_2d_model(model, x)
    xs, ys, grid = _grid(x, resolution, margin)
    out = _forward(model, grid)
    r = len(xs)
    if out.ndim == 1 or out.shape[-1] == 1:
        p = out.reshape(r, r)
        classes = (p >= 0.5).astype(np.int64)
    elif out.shape[-1] == 2:
        p = out[:, 1].reshape(r, r)
        classes = (p >= 0.5).astype(np.int64)
    else:
        p = out.max(-1).reshape(r, r)
        classes = out.argmax(-1).reshape(r, r)
    return DecisionBoundary(xs, ys, grid, p, classes, x, None if y is None else np.asarray(y))


def _hidden_dense(model) -> list:
    """Dense layers that feed another Dense layer (i.e. not the output), found by type."""
    import keras

    dense = [layer for layer in _walk(model) if isinstance(layer, keras.layers.Dense)]
    return dense[:-1]


def _walk(model) -> list:
    import keras

    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out.extend(_walk(layer))
        else:
            out.append(layer)
    return out


_PROBES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def neuron_maps(model: Any, x: Any, resolution: int = 50, *, margin: float = 0.1) -> NeuronMaps:
    """Every hidden Dense neuron's activation over the plane, as TensorFlow Playground shows.

    What this shows: the first hidden layer's neurons are lines/ramps; deeper
    neurons combine them into bends and blobs.

    Args:
        model: a 2-input Keras model (Sequential or functional, not nested).
        x: ``(n, 2)`` data the grid should cover.
        resolution: grid points per axis.
    """
    import keras

    x = _check_2d_model(model, x)
    xs, ys, grid = _grid(x, resolution, margin)
    hidden = _hidden_dense(model)
    r = len(xs)
    if not hidden:
        return NeuronMaps(xs, ys, (), ())
    probe = _PROBES.get(model)
    if probe is None or probe[0] != tuple(id(layer) for layer in hidden):
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        probe = (tuple(id(layer) for layer in hidden), keras.Model(inputs, [layer.output for layer in hidden]))
        _PROBES[model] = probe  # built once per model, reused every epoch
    probe = probe[1]
    outs = probe(grid, training=False)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    maps = tuple(np.asarray(keras.ops.convert_to_numpy(o)).T.reshape(-1, r, r) for o in outs)
    return NeuronMaps(xs, ys, tuple(layer.name for layer in hidden), maps)


def parameter_table(model: Any) -> ParameterTable:
    """Per layer: the course formula (previous × current + bias) beside Keras' count.

    What this shows: a 2-4-1 network has 2×4+4 + 4×1+1 = 17 parameters,
    2-10-1 has 41, 2-4-2-1 has 25; the formula and Keras agree.

    Args:
        model: a built Keras model.

    Returns:
        A :class:`ParameterTable` whose ``total`` equals ``model.count_params()``.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    rows = []
    for layer in _walk(model):
        keras_count = int(sum(int(np.prod(w.shape)) for w in layer.weights))
        if isinstance(layer, keras.layers.Dense):
            prev = int(layer.kernel.shape[0])
            cur = int(layer.units)
            bias = cur if layer.use_bias else 0
            formula = f"{prev} × {cur} + {bias}"
            count = prev * cur + bias
        elif not layer.weights:
            continue
        else:
            formula, count = "(see Keras)", keras_count
        rows.append(ParameterRow(layer.name, type(layer).__name__, formula, count, keras_count))
    return ParameterTable(tuple(rows), sum(r.count for r in rows), int(model.count_params()))
