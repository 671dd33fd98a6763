"""What the builders share: the image-shape check, seeded initialisers, the classification head."""
from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers

from models._arguments import ArgumentError, check_int, fail

__all__ = ["check_image_shape", "Initializers", "seed_attention", "head"]


def check_image_shape(input_shape: Any, min_side: int = 1) -> tuple[int, int, int]:
    """Validate (height, width, channels) up front, with a message that says what to do."""
    try:
        h, w, c = (int(v) for v in input_shape)
    except (TypeError, ValueError):
        fail("input_shape", input_shape, "(height, width, channels)")
    if min(h, w) < min_side or c < 1:
        raise ArgumentError(
            f"input_shape {input_shape!r} is too small: each side must be >= {min_side} "
            f"and channels >= 1 for this architecture"
        )
    return h, w, c


_KINDS = {
    "glorot_uniform": keras.initializers.GlorotUniform,
    "random_normal": keras.initializers.RandomNormal,
    "uniform": keras.initializers.RandomUniform,
}


class Initializers:
    """The random initialisers of one model, seeded by its builder's ``seed=``.

    Each call gives the next layer an initialiser with a seed of its own, drawn
    in layer order from ``np.random.default_rng(seed)``: the same builder
    arguments and seed give the same starting weights in any process, at the
    same time as other sessions, without touching Keras' global seed. With
    ``seed=None`` each call returns Keras' default (unseeded) initialiser name,
    so the builder behaves exactly as Keras would.
    """

    def __init__(self, seed: int | None):
        self.seed = None if seed is None else check_int("seed", seed, low=0)
        self._rng = None if seed is None else np.random.default_rng(self.seed)

    def __call__(self, kind: str = "glorot_uniform") -> Any:
        """An initialiser of ``kind`` ("glorot_uniform", "random_normal" or "uniform")."""
        if self._rng is None:
            return kind
        return _KINDS[kind](seed=self.next_seed())

    def next_seed(self) -> int | None:
        """The next layer's own seed (``None`` when the builder was not seeded)."""
        return None if self._rng is None else int(self._rng.integers(2**31 - 1))


def seed_attention(layer: layers.MultiHeadAttention, init: Initializers) -> None:
    """Give a built ``MultiHeadAttention``'s query, key, value and output kernels seeds of their own.

    The layer clones one kernel initialiser for its four projections; a seeded
    one would start query, key and value equal, so they are drawn here instead.
    """
    if init.seed is None:
        return
    for dense in (layer.query_dense, layer.key_dense, layer.value_dense, layer.output_dense):
        kernel = dense.kernel
        kernel.assign(keras.initializers.GlorotUniform(seed=init.next_seed())(kernel.shape, dtype=kernel.dtype))


def head(x: Any, n_classes: int, name: str, init: Initializers | None = None) -> Any:
    """One sigmoid unit for two classes, a softmax over n_classes otherwise."""
    check_int("n_classes", n_classes, low=2)
    kernel = (init or Initializers(None))()
    if n_classes == 2:
        return layers.Dense(1, activation="sigmoid", kernel_initializer=kernel, name=f"{name}_output")(x)
    return layers.Dense(n_classes, activation="softmax", kernel_initializer=kernel, name=f"{name}_output")(x)
