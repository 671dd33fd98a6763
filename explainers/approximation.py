"""Universal approximation: one hidden layer of N neurons fits a curve (lecture 004).

What this shows: with more hidden neurons the network can bend its output more
often, so f(x) = 5 cos x + 7 cos 2x + cos 4x is fitted better as N grows; at the
same parameter count a deeper, narrower net can do as well or better.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def target(x: Any) -> np.ndarray:
    """The lecture's curve 5 cos x + 7 cos 2x + cos 4x."""
    x = np.asarray(x, dtype=np.float64)
    return 5 * np.cos(x) + 7 * np.cos(2 * x) + np.cos(4 * x)


@dataclass(frozen=True)
class Fit:
    """One network's fit of :func:`target` on [-π, π].

    Attributes:
        hidden: neurons per hidden layer; params: ``model.count_params()``.
        x, y_true, y_pred: ``(n,)`` evaluation grid, target and prediction.
        mse: mean squared error on the grid (in the target's units²).
        losses: training loss per block of 10 epochs.
    """

    hidden: tuple[int, ...]
    params: int
    x: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray
    mse: float
    losses: np.ndarray


def fit_curve(hidden: tuple[int, ...] = (8,), *, activation: str = "tanh", epochs: int = 300,
              n_points: int = 256, learning_rate: float = 0.01, seed: int = 0) -> Fit:
    """Train an MLP (``models.build_mlp``, linear output) to fit :func:`target`.

    Inputs are scaled to [-1, 1] and the target divided by 13 (its largest
    value) for training; predictions and the MSE are in the original units.
    """
    import keras

    from models.mlp import build_mlp
    from models.training import train

    hidden = tuple(int(h) for h in hidden)
    if not hidden or min(hidden) < 1:
        raise ValueError(f"hidden must be one or more positive layer widths, got {hidden!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= 20_000:
        raise ValueError(f"epochs must be an integer in [1, 20000], got {epochs!r}")
    keras.utils.set_random_seed(seed)
    x = np.linspace(-np.pi, np.pi, n_points)
    y = target(x)
    xs = (x / np.pi).astype(np.float32)[:, None]
    ys = (y / 13.0).astype(np.float32)[:, None]
    model = build_mlp(1, hidden, activation=activation, output_activation=None, name="approx")
    # Keras' per-epoch overhead dwarfs an epoch of 256 points, so each fit() epoch
    # holds `reps` passes over the (shuffled) data, run as few compiled calls.
    reps = 10 if epochs >= 10 else 1
    hist = train(model, np.tile(xs, (reps, 1)), np.tile(ys, (reps, 1)), epochs=max(epochs // reps, 1),
                 batch_size=32, learning_rate=learning_rate, loss="mse", metrics=[], steps_per_execution=16)
    pred = np.asarray(keras.ops.convert_to_numpy(model(xs, training=False)), dtype=np.float64).ravel() * 13.0
    return Fit(hidden, int(model.count_params()), x, y, pred, float(np.mean((pred - y) ** 2)),
               np.asarray(hist.history.get("loss", []), dtype=np.float64))


def width_for_params(params: int, depth: int) -> int:
    """The width w of a 1-(w×depth)-1 net whose parameter count is closest to ``params``."""
    def count(w):
        return (2 * w) + (depth - 1) * (w * w + w) + (w + 1)

    return min(range(1, 500), key=lambda w: abs(count(w) - params))
