"""Layers as matrices (lecture 003): a = σ(Wx + b) with a real Keras network's W, b and x; f = f[2](f[1](x)).

What this shows: a fully connected layer is one matrix–vector product, a bias
and an activation applied to each entry; a network is those layers composed,
and evaluating them one after the other by hand gives exactly ``model(x)``.
Keras stores each layer's ``kernel`` as (inputs × neurons), the transpose of
the lecture's W (neurons × inputs).

Compute only (NumPy); drawing lives in :mod:`explainers.matrices_plots`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers import _layers
from models._arguments import ArgumentError, check_array, check_int

__all__ = ["LayerStep", "LayerComposition", "compute_layer_composition", "layer_equation_latex",
           "augmented_equation_latex"]

_SYMBOL = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{ReLU}", "linear": "",
           "softmax": r"\mathrm{softmax}", "leaky_relu": r"\mathrm{LeakyReLU}"}


def _activate(name: str, z: np.ndarray, layer: Any) -> np.ndarray:
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "linear":
        return z
    if name == "softmax":
        e = np.exp(z - z.max())
        return e / e.sum()
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.2 * z)
    raise ArgumentError(f"layer {layer.name!r} has the activation {name!r}; the matrix view knows "
                        f"{', '.join(_SYMBOL)}")


@dataclass(frozen=True)
class LayerStep:
    """One layer, f[l](a) = g(W a + b), with the numbers of one input.

    Attributes:
        name: the Keras layer's name; activation: g's name ("sigmoid", "tanh", "relu", "linear", …).
        W: ``(m, p)`` the lecture's weight matrix, one row per neuron (Keras' kernel transposed).
        b: ``(m,)`` biases; x: ``(p,)`` this layer's input (x, or the previous layer's a).
        z: ``(m,)`` W x + b; a: ``(m,)`` g(z), this layer's output.
    """

    name: str
    activation: str
    W: np.ndarray
    b: np.ndarray
    x: np.ndarray
    z: np.ndarray
    a: np.ndarray

    @property
    def parameters(self) -> int:
        """m·p weights + m biases (lecture 003: 4 × 2 + 4 = 12 for 2 inputs and 4 neurons)."""
        return int(self.W.size + self.b.size)

    @property
    def augmented(self) -> np.ndarray:
        """``(m, p + 1)`` the matrix [W | b] of lecture 004 (W = weight & bias), acting on x̃ = (x, 1)."""
        return np.hstack([self.W, self.b[:, None]])


@dataclass(frozen=True)
class LayerComposition:
    """A network evaluated layer by layer by hand, f_θ(x) = f[L](…f[2](f[1](x))), against ``model(x)``.

    Attributes:
        x: ``(p,)`` the input; steps: one :class:`LayerStep` per Dense layer, in order.
        composed: the last step's a, computed in NumPy from the weights alone.
        keras_output: ``model(x)`` as Keras computes it.
        max_difference: max |composed − keras_output| (float32 round-off, ~1e-7).
    """

    x: np.ndarray
    steps: tuple[LayerStep, ...]
    composed: np.ndarray
    keras_output: np.ndarray
    max_difference: float

    @property
    def parameters(self) -> int:
        """Σ over the layers of m·p + m: equal to ``model.count_params()``."""
        return sum(s.parameters for s in self.steps)


def compute_layer_composition(model: Any, x: Any) -> LayerComposition:
    """Evaluate a fully connected Keras network by hand, a = g(Wx + b) layer after layer, and compare with Keras.

    What this shows: lecture 003's y = σ(W[2] σ(W[1]x + b[1]) + b[2]) = f[2](f[1](x)):
    each layer multiplies by its W, adds b and applies its activation; the
    composition of those steps, done in NumPy from the layers' weights alone,
    equals ``model(x)``.

    Args:
        model: a Keras model made only of Dense layers in a chain (``models.build_mlp``).
        x: ``(p,)`` one input (or ``(1, p)``).
    """
    import keras

    _layers.check_model(model)
    dense = []
    for _, layer in _layers.walk(model):
        if isinstance(layer, keras.layers.InputLayer) or isinstance(layer, keras.Model):
            continue
        if not isinstance(layer, keras.layers.Dense):
            raise ArgumentError(f"model must hold only Dense layers in a chain; {layer.name!r} is a "
                                f"{type(layer).__name__}")
        dense.append(layer)
    if not dense:
        raise ArgumentError(f"model {model.name!r} has no Dense layer")
    p = int(dense[0].get_weights()[0].shape[0])
    x = check_array("x", x, ndim=(1, 2), dtype="float64").reshape(-1)
    if x.size != p:
        raise ArgumentError(f"x must hold {p} values (the model's inputs), got {x.size}")
    a = x
    steps = []
    for layer in dense:
        weights = layer.get_weights()
        kernel = np.asarray(weights[0], dtype=np.float64)
        bias = np.asarray(weights[1], dtype=np.float64) if layer.use_bias else np.zeros(kernel.shape[1])
        if kernel.shape[0] != a.size:
            raise ArgumentError(f"model must be a chain: layer {layer.name!r} takes {kernel.shape[0]} inputs, "
                                f"the previous layer gives {a.size}")
        name = getattr(layer.activation, "__name__", str(layer.activation))
        W = kernel.T
        z = W @ a + bias
        out = _activate(name, z, layer)
        steps.append(LayerStep(layer.name, name, W, bias, a, z, out))
        a = out
    keras_out = np.asarray(keras.ops.convert_to_numpy(model(x[None].astype(np.float32), training=False)),
                           dtype=np.float64).reshape(-1)
    if keras_out.shape != a.shape:
        raise ArgumentError(f"model's output has shape {keras_out.shape}, not the last Dense layer's "
                            f"{a.shape}: it is not a plain chain of Dense layers")
    return LayerComposition(x, tuple(steps), a, keras_out, float(np.max(np.abs(a - keras_out))))


def _pmatrix(values: np.ndarray, digits: int) -> str:
    rows = np.atleast_2d(values)
    body = r" \\ ".join(" & ".join(f"{v:.{digits}f}" for v in row) for row in rows)
    return r"\begin{pmatrix}" + body + r"\end{pmatrix}"


def layer_equation_latex(step: LayerStep, index: int, *, digits: int = 2) -> str:
    """The layer as a LaTeX equation with its numbers: a[l] = g(W[l] x + b[l]) = g(z) = a.

    What this shows: the lecture's matrix notation filled in with the layer's
    actual weights (rounded to ``digits``).
    """
    index = check_int("index", index, low=1)
    digits = check_int("digits", digits, low=0, high=6)
    g = _SYMBOL.get(step.activation, r"\mathrm{" + step.activation.replace("_", r"\_") + "}")
    column = lambda v: _pmatrix(np.asarray(v)[:, None], digits)  # noqa: E731
    wx = _pmatrix(step.W, digits) + column(step.x) + " + " + column(step.b)
    inner = rf"{g}\left({wx}\right)" if g else wx
    zpart = rf"{g}\left({column(step.z)}\right) = " if g else ""
    # two lines, so a layer of a few neurons fits a 1024 px projector
    return (rf"\begin{{aligned}} a^{{[{index}]}} &= {inner} \\ &= {zpart}{column(step.a)}"
            r"\end{aligned}")


def augmented_equation_latex(step: LayerStep, index: int, *, digits: int = 2) -> str:
    """Lecture 004's form of the same layer, bias folded into the matrix: W̃ x̃ = [W | b] (x, 1) = Wx + b = z.

    What this shows: "x = (x, 1), W = (weight & bias)": appending a 1 to the
    input turns the bias into one more column of weights.
    """
    index = check_int("index", index, low=1)
    digits = check_int("digits", digits, low=0, high=6)
    x1 = np.append(step.x, 1.0)
    z = step.augmented @ x1
    return (rf"\tilde W^{{[{index}]}}\tilde x = {_pmatrix(step.augmented, digits)}{_pmatrix(x1[:, None], digits)}"
            rf" = {_pmatrix(z[:, None], digits)} = z^{{[{index}]}}")
