"""One replica needs no gradient all-reduce: skip the one that pins every traced graph in memory.

Keras' TensorFlow optimizer sums the gradients over the replicas of the current
``tf.distribute`` strategy before each update, also under the default strategy,
where there is one replica and the sum is the gradients themselves. That sum is
wrapped in ``tf.custom_gradient``, and in graph mode ``tf.custom_gradient``
registers a gradient function in TensorFlow's process-wide gradient registry
that is never removed and that holds the traced tensors, so the whole traced
training step (~1,600 graph operations for the CNN page) stays alive after the
model is gone: ~10 MB per training, for as long as the server runs
(tensorflow/tensorflow#97697, open in TensorFlow 2.21; the fix, #109334, is
not in a release yet). A class of 30 students, each training a few times, grew
the server by hundreds of MB.

:func:`skip_single_replica_all_reduce` replaces the sum on one optimizer, and
only when it runs under the default (one-replica) strategy; a data-parallel
strategy keeps the real all-reduce. The weights trained are bit-identical.
"""
from __future__ import annotations

from typing import Any

__all__ = ["skip_single_replica_all_reduce"]


def _no_all_reduce(grads_and_vars):
    # Keras' own method returns the (gradient, variable) pairs as a list, Nones kept in place.
    return list(grads_and_vars)


def skip_single_replica_all_reduce(optimizer: Any) -> bool:
    """On this optimizer only, skip the one-replica gradient all-reduce; returns whether it did.

    It does nothing (returns False) under another backend, an optimizer without
    that step, or a distribution strategy with replicas to sum over.
    """
    import keras

    if keras.backend.backend() != "tensorflow" or not hasattr(optimizer, "_all_reduce_sum_gradients"):
        return False
    import tensorflow as tf

    strategy = getattr(optimizer, "_distribution_strategy", None)
    default = tf.distribute.get_strategy() if not tf.distribute.has_strategy() else None
    if strategy is None or strategy is not default or strategy.num_replicas_in_sync != 1:
        return False
    optimizer._all_reduce_sum_gradients = _no_all_reduce
    return True
