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

from explainers.activations import activation


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
    a = np.asarray(value, dtype=np.float64)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite, got {a.tolist()}")
    return a


def backprop_221(x: Any = DEFAULT_NET["x"], t: float = DEFAULT_NET["t"], *,
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
    # forward
    z_h = x @ w1 + b1
    y_h, dy_h = activation(activation_name, z_h)
    z_o = float(y_h @ w2 + b2)
    y_o, dy_o = (float(v) for v in activation(activation_name, z_o))
    error = 0.5 * (y_o - t) ** 2
    # backward, the lecture's six equations
    dE_dy_o = y_o - t
    dE_dz_o = dE_dy_o * dy_o
    dE_dy_h = w2 * dE_dz_o
    dE_dz_h = dE_dy_h * dy_h
    return Backprop(x, t, activation_name, w1, b1, w2, b2, z_h, y_h, z_o, y_o, error,
                    dE_dy_o, dE_dz_o, dE_dy_h, dE_dz_h,
                    np.outer(x, dE_dz_h), dE_dz_h.copy(), y_h * dE_dz_o, dE_dz_o)


def build_221(result: Backprop):
    """A Keras 2-2-1 model (``models.build_mlp``) holding the same weights as ``result``."""
    from models.mlp import build_mlp

    model = build_mlp(2, (2,), activation=result.activation, output_activation=result.activation, name="bp")
    model.get_layer("bp_hidden1").set_weights([result.w_hidden.astype(np.float32),
                                              result.b_hidden.astype(np.float32)])
    model.get_layer("bp_output").set_weights([result.w_out.reshape(2, 1).astype(np.float32),
                                             np.array([result.b_out], np.float32)])
    return model


def tape_gradients(result: Backprop) -> dict[str, np.ndarray]:
    """The same derivatives from ``tf.GradientTape`` on a Keras model with the same weights.

    What this shows: automatic differentiation is backpropagation.

    Returns:
        ``{"error", "dE_dy_out", "dE_dy_hidden", "grad_w_hidden", "grad_b_hidden",
        "grad_w_out", "grad_b_out"}`` as float64 arrays. ∂E/∂z equals ∂E/∂b (∂z/∂b = 1).
    """
    import tensorflow as tf  # only here: GradientTape is the reference we compare with

    model = build_221(result)
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
    return {"error": float(error), "grad_w_hidden": g[0], "grad_b_hidden": g[1],
            "grad_w_out": g[2].ravel(), "grad_b_out": float(g[3][0]),
            "dE_dy_hidden": g[4].ravel(), "dE_dy_out": float(g[5].ravel()[0])}
