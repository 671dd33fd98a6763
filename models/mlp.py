"""The sigmoid neuron and the multilayer perceptron of lectures 000 and 003."""
from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from models._arguments import check_float, check_int
from models._checks import Initializers

__all__ = ["build_logistic_neuron", "build_mlp"]


def build_logistic_neuron(n_features: int, *, seed: int | None = None, name: str = "neuron") -> keras.Model:
    """One sigmoid neuron: z = b + w·x, ŷ = σ(z) (logistic regression).

    What this shows: the building block of every network; with the lecture's
    weights it turns a patient's measurements into a stroke probability.

    Args:
        n_features: number of inputs p.
        seed: seeds the initial weights (``None``: Keras' unseeded default).
        name: prefix of every layer name.

    Returns:
        An uncompiled model with one Dense layer named ``f"{name}_dense"``.
    """
    check_int("n_features", n_features, low=1)
    init = Initializers(seed)
    inputs = keras.Input((n_features,), name=f"{name}_input")
    outputs = layers.Dense(1, activation="sigmoid", kernel_initializer=init(), name=f"{name}_dense")(inputs)
    return keras.Model(inputs, outputs, name=name)


def build_mlp(
    n_features: int,
    hidden: Sequence[int] = (4,),
    activation: str = "relu",
    n_outputs: int = 1,
    output_activation: str | None = "sigmoid",
    *,
    l2: float = 0.0,
    seed: int | None = None,
    name: str = "mlp",
) -> keras.Model:
    """A fully connected network: a = σ(Wx + b), layer after layer.

    What this shows: each hidden layer has previous × current + bias parameters
    (2-4-1: 17, 2-10-1: 41, 2-4-2-1: 25); ``hidden=()`` is the sigmoid model.

    Args:
        n_features: number of inputs.
        hidden: neurons per hidden layer, e.g. ``(4, 2)``.
        activation: activation of the hidden layers ("relu", "tanh", "sigmoid", ...).
        n_outputs: output neurons.
        output_activation: "sigmoid", "softmax" or None (linear, for regression).
        l2: L2 weight penalty on every kernel.
        seed: seeds the initial weights: the same arguments and seed give the
            same starting net in any session (``None``: Keras' unseeded default).
        name: prefix of every layer name.
    """
    check_int("n_features", n_features, low=1)
    check_int("n_outputs", n_outputs, low=1)
    hidden = tuple(hidden)
    for width in hidden:
        check_int("hidden", width, low=1)
    l2 = check_float("l2", l2, low=0.0)
    init = Initializers(seed)
    reg = keras.regularizers.L2(l2) if l2 > 0 else None
    inputs = keras.Input((n_features,), name=f"{name}_input")
    x = inputs
    for i, width in enumerate(hidden, start=1):
        x = layers.Dense(width, activation=activation, kernel_initializer=init(), kernel_regularizer=reg,
                         name=f"{name}_hidden{i}")(x)
    outputs = layers.Dense(n_outputs, activation=output_activation, kernel_initializer=init(),
                           kernel_regularizer=reg, name=f"{name}_output")(x)
    return keras.Model(inputs, outputs, name=name)
