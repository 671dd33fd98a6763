"""Activation functions and their derivatives (lecture 002).

What this shows: sigmoid and tanh flatten out for large |z| (their derivative
goes to 0: they *saturate and kill gradients*); ReLU passes gradient 1 for z > 0
and 0 for z < 0 (a dead neuron); leaky ReLU keeps a small slope there.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models._arguments import check_choice, check_float, check_int, fail

__all__ = ["ACTIVATIONS", "activation", "activation_derivative", "ActivationCurves", "compute_activation_curves"]

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # stable for any z


def activation(name: str, z: Any, negative_slope: float = 0.2) -> np.ndarray:
    """g(z) for one activation, in float64.

    Args:
        name: one of :data:`ACTIVATIONS`.
        z: numbers.
        negative_slope: slope of leaky ReLU for z < 0 (0.2, as keras.activations.leaky_relu).
    """
    check_choice("name", name, ACTIVATIONS)
    z = np.asarray(z, dtype=np.float64)
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    return np.where(z > 0, z, negative_slope * z)


def activation_derivative(name: str, z: Any, negative_slope: float = 0.2) -> np.ndarray:
    """g'(z) for one activation, in float64 (ReLU's kink at 0 gets slope 0, as Keras)."""
    check_choice("name", name, ACTIVATIONS)
    z = np.asarray(z, dtype=np.float64)
    if name == "sigmoid":
        g = _sigmoid(z)
        return g * (1.0 - g)  # g'(z) = g(z)(1 - g(z)) > 0, at most 0.25
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0).astype(np.float64)
    return np.where(z > 0, 1.0, negative_slope)


@dataclass(frozen=True)
class ActivationCurves:
    """Values and derivatives of several activations on a grid of z.

    Attributes:
        z: ``(n,)`` grid.
        names: the activations, in order.
        values, derivatives: ``(len(names), n)``.
        saturated: ``(len(names), n)`` bool, where the derivative is below ``saturation``.
        saturation: the threshold used for ``saturated``.
    """

    z: np.ndarray
    names: tuple[str, ...]
    values: np.ndarray
    derivatives: np.ndarray
    saturated: np.ndarray
    saturation: float


def compute_activation_curves(names: tuple[str, ...] = ACTIVATIONS, *, z_range: float = 6.0, n: int = 401,
                              saturation: float = 0.05, negative_slope: float = 0.2) -> ActivationCurves:
    """Tabulate activations and derivatives on ``[-z_range, z_range]``.

    What this shows: where each derivative is ~0 learning stops for that neuron.

    Args:
        names: activations from :data:`ACTIVATIONS`.
        z_range: the grid spans ``[-z_range, z_range]``.
        n: grid points.
        saturation: a derivative below this counts as saturated.
        negative_slope: leaky ReLU's slope for z < 0.
    """
    names = tuple(names)
    if not names:
        fail("names", names, "at least one activation name", f"choose from {ACTIVATIONS}")
    for name in names:
        check_choice("names", name, ACTIVATIONS)
    z_range = check_float("z_range", z_range, low=0.0, low_open=True)
    n = check_int("n", n, low=2)
    z = np.linspace(-z_range, z_range, n)
    values = np.stack([activation(name, z, negative_slope) for name in names])
    derivs = np.stack([activation_derivative(name, z, negative_slope) for name in names])
    return ActivationCurves(z, names, values, derivs, derivs < saturation, float(saturation))
