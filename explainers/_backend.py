"""Compiled forward and gradient functions, per Keras backend, and one cache for them.

Explainers write their maths with ``keras.ops``; only three things differ by
backend and all three live here: compiling a function (``tf.function`` or
``jax.jit``), mapping one over a leading axis without unrolling it
(``tf.map_fn`` or ``jax.lax.map``), and taking a gradient (``GradientTape`` or
``jax.value_and_grad``).

Compiled functions are cached per model in a ``WeakKeyDictionary``: a model a
user discards frees its functions with it. Functions built for the cache must
not hold the model strongly (use ``weakref.ref(model)`` inside), or the entry
would keep its own key alive.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["name", "compile_function", "map_leading", "value_and_grad", "per_model"]

_PER_MODEL: "weakref.WeakKeyDictionary[Any, dict[Hashable, Callable]]" = weakref.WeakKeyDictionary()


def name() -> str:
    """The Keras backend in use: ``"tensorflow"``, ``"jax"``, ..."""
    import keras

    return keras.backend.backend()


def compile_function(fn: Callable) -> Callable:
    """``fn`` compiled for the backend (``reduce_retracing`` under TensorFlow: new batch
    sizes generalise instead of tracing anew); other backends run it eagerly."""
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf  # lazily: only under the TensorFlow backend

        return tf.function(fn, reduce_retracing=True)
    if backend == "jax":
        import jax

        return jax.jit(fn)
    return fn


def map_leading(fn: Callable, xs: Any) -> Any:
    """``fn`` over the leading axis of ``xs`` as one compiled loop (not unrolled)."""
    from keras import ops

    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.map_fn(fn, xs, fn_output_signature=tf.float32, parallel_iterations=4)
    if backend == "jax":
        import jax

        return jax.lax.map(fn, xs)
    return ops.stack([fn(xs[i]) for i in range(int(xs.shape[0]))])


def value_and_grad(fn: Callable, wrt: Any, *, has_aux: bool = False) -> tuple[Any, Any]:
    """``(fn(wrt), ∂fn/∂wrt)`` for a scalar ``fn``; ``wrt`` is a tensor or a list of them.

    With ``has_aux`` ``fn`` returns ``(scalar, aux)`` and the value is that pair.
    Works eagerly and inside :func:`compile_function`.
    """
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(wrt)
            out = fn(wrt)
            scalar = out[0] if has_aux else out
        return out, tape.gradient(scalar, wrt)
    if backend == "jax":
        import jax

        return jax.value_and_grad(fn, has_aux=has_aux)(wrt)
    raise NotImplementedError(f"gradients need the tensorflow or jax backend, not {backend!r}; "
                              "set KERAS_BACKEND=tensorflow")


def per_model(model: Any, key: Hashable, build: Callable[[], Callable]) -> Callable:
    """The function cached for ``(model, key)``, built by ``build()`` the first time.

    Keyed weakly by the model: when a user trains a new model, the old one's
    compiled functions go with it. ``key`` should name what the function does and
    every setting it was traced for (e.g. ``("landscape", loss_name, chunk)``)
    and the backend is added to it, so switching backends never reuses a trace.
    """
    table = _PER_MODEL.setdefault(model, {})
    full = (name(), key)
    if full not in table:
        table[full] = build()
    return table[full]
