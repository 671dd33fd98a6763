"""Backpropagation by hand on a tiny 2-2-1 network (lecture 002).

What this shows: the forward pass computes z = Σ w·y + b and y = f(z) layer by
layer; the backward pass starts from ∂E/∂y = y - t at the output and applies
∂E/∂z = ∂E/∂y · f'(z) and ∂E/∂y_prev = Σ w · ∂E/∂z going back. The weight
gradients are ∂E/∂w_ij = y_i · ∂E/∂z_j. TensorFlow's automatic differentiation
(GradientTape) gives exactly the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers.activations import ACTIVATIONS, activation, activation_derivative
from models._arguments import ArgumentError, check_choice, check_int

__all__ = ["DEFAULT_NET", "Backprop", "TapeGradients", "GradientRow", "BackpropComparison", "net_parameters",
           "compute_backprop", "compute_tape_gradients", "compute_backprop_comparison"]


@dataclass(frozen=True)
class Backprop:
    """Forward values and error derivatives of a 2-2-1 net for one sample, E = ½ (y - t)².

    Attributes:
        x: ``(2,)`` input; t: target.
        w_hidden: ``(2, 2)`` weights w_ij (input i -> hidden j); b_hidden ``(2,)``.
        w_out: ``(2,)`` weights w_jl (hidden j -> output); b_out: output bias.
        z_hidden, y_hidden: ``(2,)`` hidden weighted sums and activations.
        z_out, y_out: output weighted sum and activation.
        error: E.
        dE_dy_out, dE_dz_out: output derivatives.
        dE_dy_hidden, dE_dz_hidden: ``(2,)`` hidden derivatives.
        grad_w_hidden ``(2, 2)``, grad_b_hidden ``(2,)``, grad_w_out ``(2,)``, grad_b_out: ∂E/∂parameters.
    """

    x: np.ndarray
    t: float
    activation: str
    w_hidden: np.ndarray
    b_hidden: np.ndarray
    w_out: np.ndarray
    b_out: float
    z_hidden: np.ndarray
    y_hidden: np.ndarray
    z_out: float
    y_out: float
    error: float
    dE_dy_out: float
    dE_dz_out: float
    dE_dy_hidden: np.ndarray
    dE_dz_hidden: np.ndarray
    grad_w_hidden: np.ndarray
    grad_b_hidden: np.ndarray
    grad_w_out: np.ndarray
    grad_b_out: float


DEFAULT_NET = {
    "x": (0.5, -1.0), "t": 1.0,
    "w_hidden": ((0.15, -0.25), (0.20, 0.30)), "b_hidden": (0.35, 0.35),
    "w_out": (0.40, -0.45), "b_out": 0.60,
}


def _arr(value: Any, shape: tuple, name: str) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be numbers of shape {shape}, got {value!r}") from None
    if a.shape != shape:
        raise ArgumentError(f"{name} must have shape {shape}, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ArgumentError(f"{name} must be finite, got {a.tolist()}")
    return a


def net_parameters(seed: int = 0) -> dict[str, Any]:
    """The 2-2-1 net's weights: the lecture's (:data:`DEFAULT_NET`) for ``seed=0``, else drawn from it.

    Random weights come from ``np.random.default_rng(seed)``: N(0, 1) weights
    and N(0, 0.5) biases, the same for a seed in every session.
    """
    seed = check_int("seed", seed, low=0)
    if seed == 0:
        return {k: DEFAULT_NET[k] for k in ("w_hidden", "b_hidden", "w_out", "b_out")}
    rng = np.random.default_rng(seed)
    return {"w_hidden": rng.normal(0, 1, (2, 2)), "b_hidden": rng.normal(0, 0.5, 2),
            "w_out": rng.normal(0, 1, 2), "b_out": float(rng.normal(0, 0.5))}


def compute_backprop(x: Any = DEFAULT_NET["x"], t: float = DEFAULT_NET["t"], *,
                     w_hidden: Any = DEFAULT_NET["w_hidden"], b_hidden: Any = DEFAULT_NET["b_hidden"],
                     w_out: Any = DEFAULT_NET["w_out"], b_out: float = DEFAULT_NET["b_out"],
                     activation_name: str = "sigmoid") -> Backprop:
    """Forward and backward pass of a 2-2-1 net, written out as in the lecture.

    What this shows: every gradient is a local derivative times the error
    signal arriving from the layer above.

    Args:
        x: the 2 inputs; t: the target.
        w_hidden: ``(2, 2)``, ``w_hidden[i, j]`` from input i to hidden neuron j.
        b_hidden, w_out, b_out: the other parameters.
        activation_name: f for both layers ("sigmoid", "tanh", "relu", "leaky_relu").

    Returns:
        A :class:`Backprop`.
    """
    x = _arr(x, (2,), "x")
    w1 = _arr(w_hidden, (2, 2), "w_hidden")
    b1 = _arr(b_hidden, (2,), "b_hidden")
    w2 = _arr(w_out, (2,), "w_out")
    b2 = float(_arr(b_out, (), "b_out"))
    t = float(_arr(t, (), "t"))
    check_choice("activation_name", activation_name, ACTIVATIONS)
    # forward
    z_h = x @ w1 + b1
    y_h, dy_h = activation(activation_name, z_h), activation_derivative(activation_name, z_h)
    z_o = float(y_h @ w2 + b2)
    y_o, dy_o = float(activation(activation_name, z_o)), float(activation_derivative(activation_name, z_o))
    error = 0.5 * (y_o - t) ** 2
    # backward, the lecture's six equations
    dE_dy_o = y_o - t
    dE_dz_o = dE_dy_o * dy_o
    dE_dy_h = w2 * dE_dz_o
    dE_dz_h = dE_dy_h * dy_h
    return Backprop(x, t, activation_name, w1, b1, w2, b2, z_h, y_h, z_o, y_o, error,
                    dE_dy_o, dE_dz_o, dE_dy_h, dE_dz_h,
                    np.outer(x, dE_dz_h), dE_dz_h.copy(), y_h * dE_dz_o, dE_dz_o)


def _build_221(result: Backprop) -> Any:
    """A Keras 2-2-1 model (``models.build_mlp``) holding the same weights as ``result``."""
    from models.mlp import build_mlp

    model = build_mlp(2, (2,), activation=result.activation, output_activation=result.activation, name="bp")
    model.get_layer("bp_hidden1").set_weights([result.w_hidden.astype(np.float32),
                                              result.b_hidden.astype(np.float32)])
    model.get_layer("bp_output").set_weights([result.w_out.reshape(2, 1).astype(np.float32),
                                             np.array([result.b_out], np.float32)])
    return model


@dataclass(frozen=True)
class TapeGradients:
    """The derivatives of E = ½(y − t)² that ``tf.GradientTape`` finds on a Keras 2-2-1 model.

    Attributes:
        error: E.
        dE_dy_out: ∂E/∂y at the output; dE_dy_hidden: ``(2,)`` ∂E/∂y of the hidden neurons.
        grad_w_hidden ``(2, 2)``, grad_b_hidden ``(2,)``, grad_w_out ``(2,)``, grad_b_out: ∂E/∂parameters.
            ∂E/∂z equals ∂E/∂b (∂z/∂b = 1), so ``grad_b_*`` are the tape's ∂E/∂z.
    """

    error: float
    dE_dy_out: float
    dE_dy_hidden: np.ndarray
    grad_w_hidden: np.ndarray
    grad_b_hidden: np.ndarray
    grad_w_out: np.ndarray
    grad_b_out: float


def compute_tape_gradients(result: Backprop) -> TapeGradients:
    """The same derivatives from ``tf.GradientTape`` on a Keras model with the same weights.

    What this shows: automatic differentiation is backpropagation.

    Args:
        result: the hand computation (:func:`compute_backprop`) whose net and sample to use.
    """
    import tensorflow as tf  # only here: GradientTape is the reference we compare with

    model = _build_221(result)
    hidden, output = model.get_layer("bp_hidden1"), model.get_layer("bp_output")
    x = tf.constant(result.x.reshape(1, 2), tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        y_h = hidden(x)
        tape.watch(y_h)
        y_o = output(y_h)
        tape.watch(y_o)
        error = 0.5 * tf.reduce_sum((y_o - result.t) ** 2)
    grads = tape.gradient(error, [hidden.kernel, hidden.bias, output.kernel, output.bias, y_h, y_o])
    del tape
    g = [np.asarray(v, dtype=np.float64) for v in grads]
    return TapeGradients(error=float(error), dE_dy_out=float(g[5].ravel()[0]), dE_dy_hidden=g[4].ravel(),
                         grad_w_hidden=g[0], grad_b_hidden=g[1], grad_w_out=g[2].ravel(), grad_b_out=float(g[3][0]))


@dataclass(frozen=True)
class GradientRow:
    """One derivative: its name, the lecture's formula, the hand value and the tape's."""

    derivative: str
    formula: str
    by_hand: float
    tape: float

    @property
    def difference(self) -> float:
        """|by hand − tape|: float64 NumPy against float32 TensorFlow."""
        return abs(self.by_hand - self.tape)


@dataclass(frozen=True)
class BackpropComparison:
    """Every derivative of the 2-2-1 net by hand (the lecture's formulas) beside ``tf.GradientTape``'s.

    Attributes:
        rows: one :class:`GradientRow` per derivative, output first.
        max_difference: the largest |by hand − tape| (float32 rounding, ~1e-8).
    """

    rows: tuple[GradientRow, ...]
    max_difference: float

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts (for a DataFrame)."""
        return [{"derivative": r.derivative, "lecture formula": r.formula, "by hand": r.by_hand,
                 "tf.GradientTape": r.tape, "difference": r.difference} for r in self.rows]


def compute_backprop_comparison(result: Backprop) -> BackpropComparison:
    """The hand derivatives of ``result`` beside those ``tf.GradientTape`` computes, row by row.

    What this shows: the lecture's six equations give, to float32 rounding, the
    numbers automatic differentiation gives; ∂E/∂z is read from the tape as
    ∂E/∂b, since ∂z/∂b = 1.
    """
    tape = compute_tape_gradients(result)
    r = result
    rows = (
        GradientRow("∂E/∂y (output)", "y − t", r.dE_dy_out, tape.dE_dy_out),
        GradientRow("∂E/∂z (output)", "∂E/∂y · f'(z)", r.dE_dz_out, tape.grad_b_out),
        *[GradientRow(f"∂E/∂y hidden {j}", f"w_{j}·∂E/∂z_out", float(r.dE_dy_hidden[j]), float(tape.dE_dy_hidden[j]))
          for j in range(2)],
        *[GradientRow(f"∂E/∂z hidden {j}", "∂E/∂y · f'(z)", float(r.dE_dz_hidden[j]), float(tape.grad_b_hidden[j]))
          for j in range(2)],
        *[GradientRow(f"∂E/∂w input {i} → hidden {j}", f"x_{i} · ∂E/∂z_{j}", float(r.grad_w_hidden[i, j]),
                      float(tape.grad_w_hidden[i, j])) for i in range(2) for j in range(2)],
        *[GradientRow(f"∂E/∂w hidden {j} → output", f"y_{j} · ∂E/∂z_out", float(r.grad_w_out[j]),
                      float(tape.grad_w_out[j])) for j in range(2)],
    )
    return BackpropComparison(rows, max(row.difference for row in rows))
