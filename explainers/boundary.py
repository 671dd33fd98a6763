"""What a small network computes over its 2-D input plane (lecture 003).

What this shows: a single neuron draws a straight line between the classes;
hidden neurons each draw their own line (or ramp), and the next layer combines
them into curved boundaries. ``compute_parameter_table`` counts the weights the
way the course does: previous × current + bias per layer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers import _backend, _layers
from models._arguments import check_array, check_float, check_int, fail

__all__ = ["DecisionBoundary", "NeuronMaps", "ParameterRow", "ParameterTable", "compute_decision_boundary",
           "compute_neuron_maps", "compute_parameter_table"]


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
        x_test, y_test: held-out points drawn apart from ``x`` (None when not given).
    """

    xs: np.ndarray
    ys: np.ndarray
    grid: np.ndarray
    probs: np.ndarray
    classes: np.ndarray
    x: np.ndarray
    y: np.ndarray | None
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None


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


def _check_2d_model(model: Any, x: Any, name: str = "x") -> np.ndarray:
    _layers.check_model(model)
    x = check_array(name, x, ndim=2)
    if x.shape[1] != 2:
        fail(name, x, "(n, 2) points in the input plane", f"got shape {x.shape}")
    shape = tuple(model.inputs[0].shape)
    if shape[-1] != 2:
        fail("model", model.name, "a model with 2 inputs to draw a boundary in the plane",
             f"its input shape is {shape}")
    return x


def _grid(x: np.ndarray, resolution: int, margin: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    resolution = check_int("resolution", resolution, low=2, high=1000)
    margin = check_float("margin", margin, low=0.0)
    lo, hi = x.min(0), x.max(0)
    pad = margin * np.maximum(hi - lo, 1e-6)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution, dtype=np.float32)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32)


def _forward(model: Any, grid: np.ndarray) -> np.ndarray:
    """One direct call (no predict() loop): the grid is small, and this runs every epoch."""
    import keras

    return np.asarray(keras.ops.convert_to_numpy(model(grid, training=False)), dtype=np.float64)


def compute_decision_boundary(model: Any, x: Any, *, resolution: int = 200, y: Any = None, x_test: Any = None,
                              y_test: Any = None, margin: float = 0.1) -> DecisionBoundary:
    """Class probabilities of ``model`` on a grid covering ``x`` (any 2-input Keras model).

    What this shows: the boundary the model has learned, where p crosses 0.5.

    Args:
        model: a Keras model with 2 inputs and a sigmoid (1 unit) or softmax output.
        x: ``(n, 2)`` data; the grid spans it plus ``margin`` of its range.
        resolution: grid points per axis.
        y: optional labels, kept for drawing.
        x_test, y_test: optional held-out ``(m, 2)`` points and labels; the grid covers them too.
        margin: extra border as a fraction of the data range.

    Returns:
        A :class:`DecisionBoundary`.
    """
    x = _check_2d_model(model, x)
    if x_test is not None:
        x_test = _check_2d_model(model, x_test, "x_test")
    xs, ys, grid = _grid(x if x_test is None else np.concatenate([x, x_test]), resolution, margin)
    out = _forward(model, grid)
    r = len(xs)
    if out.ndim == 1 or out.shape[-1] == 1:
        p = out.reshape(r, r)
        classes = (p > 0.5).astype(np.int64)
    elif out.shape[-1] == 2:
        p = out[:, 1].reshape(r, r)
        classes = (p > 0.5).astype(np.int64)
    else:
        p = out.max(-1).reshape(r, r)
        classes = out.argmax(-1).reshape(r, r)
    return DecisionBoundary(xs, ys, grid, p, classes, x, None if y is None else np.asarray(y),
                            x_test, None if y_test is None else np.asarray(y_test))


def _hidden_dense(model: Any) -> list:
    """Dense layers that feed another Dense layer (i.e. not the output), found by type."""
    import keras

    dense = [layer for _, layer in _layers.walk(model) if isinstance(layer, keras.layers.Dense)]
    return dense[:-1]


def compute_neuron_maps(model: Any, x: Any, *, resolution: int = 50, margin: float = 0.1) -> NeuronMaps:
    """Every hidden Dense neuron's activation over the plane, as TensorFlow Playground shows.

    What this shows: the first hidden layer's neurons are lines/ramps; deeper
    neurons combine them into bends and blobs.

    Args:
        model: a 2-input Keras model (Sequential, functional or nested).
        x: ``(n, 2)`` data the grid should cover.
        resolution: grid points per axis.
        margin: extra border as a fraction of the data range.
    """
    import keras

    x = _check_2d_model(model, x)
    xs, ys, grid = _grid(x, resolution, margin)
    hidden = _hidden_dense(model)
    r = len(xs)
    if not hidden:
        return NeuronMaps(xs, ys, (), ())
    # The probe is built once per model and reused every epoch; it forgets a discarded model.
    probe = _backend.per_model(model, ("neuron_maps", tuple(layer.name for layer in hidden)),
                               lambda: _layers.output_model(model, hidden))
    outs = probe(grid)
    maps = tuple(np.asarray(keras.ops.convert_to_numpy(o)).T.reshape(-1, r, r) for o in outs)
    return NeuronMaps(xs, ys, tuple(layer.name for layer in hidden), maps)


def compute_parameter_table(model: Any) -> ParameterTable:
    """Per layer: the course formula (previous × current + bias) beside Keras' count.

    What this shows: a 2-4-1 network has 2×4+4 + 4×1+1 = 17 parameters,
    2-10-1 has 41, 2-4-2-1 has 25; the formula and Keras agree.

    Args:
        model: a built Keras model.

    Returns:
        A :class:`ParameterTable` whose ``total`` equals ``model.count_params()``.
    """
    import keras

    _layers.check_model(model)
    rows = []
    for _, layer in _layers.walk(model):
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
