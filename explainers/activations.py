"""Activation functions and their derivatives (lecture 002).

What this shows: sigmoid and tanh flatten out for large |z| (their derivative
goes to 0: they *saturate and kill gradients*); ReLU passes gradient 1 for z > 0
and 0 for z < 0 (a dead neuron); leaky ReLU keeps a small slope there.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # stable for any z


def activation(name: str, z: Any, negative_slope: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """``(g(z), g'(z))`` for one activation, in float64.

    Args:
        name: one of :data:`ACTIVATIONS`.
        z: numbers.
        negative_slope: slope of leaky ReLU for z < 0 (0.2, as keras.activations.leaky_relu).
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"name must be one of {ACTIVATIONS}, got {name!r}")
    z = np.asarray(z, dtype=np.float64)
    if name == "sigmoid":
        g = _sigmoid(z)
        return g, g * (1.0 - g)  # g'(z) = g(z)(1 - g(z)) > 0, at most 0.25
    if name == "tanh":
        g = np.tanh(z)
        return g, 1.0 - g**2
    if name == "relu":
        return np.maximum(z, 0.0), (z > 0).astype(np.float64)
    return np.where(z > 0, z, negative_slope * z), np.where(z > 0, 1.0, negative_slope)


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


def activation_curves(names: tuple[str, ...] = ACTIVATIONS, z_range: float = 6.0, n: int = 401,
                      saturation: float = 0.05, negative_slope: float = 0.2) -> ActivationCurves:
    """Tabulate activations and derivatives on ``[-z_range, z_range]``.

    What this shows: where each derivative is ~0 learning stops for that neuron.
    """
    names = tuple(names)
    if not names:
        raise ValueError("names must name at least one activation")
    if not (isinstance(z_range, (int, float)) and z_range > 0):
        raise ValueError(f"z_range must be a positive number, got {z_range!r}")
    z = np.linspace(-z_range, z_range, int(n))
    pairs = [activation(name, z, negative_slope) for name in names]
    values = np.stack([p[0] for p in pairs])
    derivs = np.stack([p[1] for p in pairs])
    return ActivationCurves(z, names, values, derivs, derivs < saturation, float(saturation))
