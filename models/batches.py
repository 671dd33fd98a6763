"""The batches ``models.train`` feeds to ``fit``: a seeded order, and no stall at the start of an epoch.

Given NumPy arrays, Keras builds its own tf.data pipeline for every ``fit``: a
fresh shuffle of all indices per epoch through ``tf.random.shuffle`` (unseeded:
the order differs from run to run), an autotuned parallel ``map`` and an
autotuned prefetch. On a busy 2-core server the first batch of an epoch then
waits while tf.data's autotuner and its thread pool start up again: measured
0.13 s median and up to 0.7 s, against 0.03–0.04 s for every later batch, and
epoch times that spread 5×. A class sees that as a progress bar that stops at
every epoch.

Ours is the smallest pipeline that does the job: the arrays become tensors
once, a shuffle of the *indices* with an explicit seed (a different order
each epoch, the same sequence of orders on every run), one ``gather`` per
batch and a fixed prefetch of two batches, with autotuning and tf.data's
graph rewrites off. Under JAX and PyTorch ``fit`` iterates a
:class:`keras.utils.PyDataset` that gathers from the NumPy arrays in the same
seeded order.
"""
from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

__all__ = ["BATCH_PREFETCH", "epoch_orders_seed", "training_batches", "evaluation_batches", "batch_order"]

#: Batches prepared ahead of the one training: enough to hide a gather, few enough to hold little memory.
BATCH_PREFETCH = 2


def epoch_orders_seed(seed: int, epochs_done: int) -> int:
    """The shuffle seed for a ``train`` call that continues after ``epochs_done`` epochs.

    A second ``train`` call on the same model continues the run: it must not replay
    the first call's batch orders, and two runs with the same seed must agree.
    """
    return int(np.random.SeedSequence([int(seed), int(epochs_done)]).generate_state(1)[0])


def _as_structure(x: Any) -> Any:
    """Inputs as Keras expects them in a dataset (tuples, not lists), floats in ``floatx``."""
    def one(a: Any) -> np.ndarray:
        a = np.asarray(a)
        if np.issubdtype(a.dtype, np.floating) and a.dtype != np.dtype(keras.config.floatx()):
            a = a.astype(keras.config.floatx())  # what Keras' own adapter does, once, not per batch
        return a

    if isinstance(x, dict):
        return {k: one(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return tuple(one(v) for v in x)
    return one(x)


def batch_order(n: int, batch_size: int, *, shuffle: bool, seed: int, epoch: int) -> list[np.ndarray]:
    """Index batches of one epoch in the PyDataset path (JAX, PyTorch): seeded per epoch."""
    order = np.random.default_rng([seed, epoch]).permutation(n) if shuffle else np.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


class _ArrayBatches(keras.utils.PyDataset):
    """Batches gathered from NumPy arrays in a seeded order, reshuffled after every epoch."""

    def __init__(self, x: Any, y: Any, batch_size: int, shuffle: bool, seed: int):
        super().__init__(workers=1, use_multiprocessing=False)
        self.x, self.y = _as_structure(x), _as_structure(y)
        self.n = len(keras.tree.flatten(self.y)[0])
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.epoch = 0
        self.order = batch_order(self.n, batch_size, shuffle=shuffle, seed=seed, epoch=0)

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, i: int) -> tuple[Any, Any]:
        idx = self.order[i]
        dist = keras.distribution.distribution()
        if dist is not None and getattr(dist, "num_processes", 1) > 1:  # this process's slice of the global batch
            # every process must feed as many rows: the last batch loses its remainder (< num_processes rows)
            idx = idx[: len(idx) - len(idx) % dist.num_processes][dist.data_shard_id::dist.num_processes]
        take = lambda a: a[idx]  # noqa: E731
        return keras.tree.map_structure(take, self.x), keras.tree.map_structure(take, self.y)

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = batch_order(self.n, self.batch_size, shuffle=self.shuffle, seed=self.seed, epoch=self.epoch)


def _tf_batches(x: Any, y: Any, batch_size: int, shuffle: bool, seed: int) -> Any:
    import tensorflow as tf

    data = (tf.nest.map_structure(tf.constant, _as_structure(x)), tf.nest.map_structure(tf.constant, _as_structure(y)))
    n = int(tf.nest.flatten(data[1])[0].shape[0])
    indices = tf.data.Dataset.range(n)
    if shuffle:
        # A buffer of every index is a full shuffle; the seed makes each epoch's order reproducible.
        indices = indices.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    batches = indices.batch(batch_size).map(lambda i: tf.nest.map_structure(lambda t: tf.gather(t, i), data))
    options = tf.data.Options()
    options.autotune.enabled = False  # the autotuner's start-up is the stall this module removes
    options.experimental_optimization.apply_default_optimizations = False
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return batches.with_options(options).prefetch(BATCH_PREFETCH)


def training_batches(x: Any, y: Any, batch_size: int, *, shuffle: bool = True, seed: int = 0) -> Any:
    """What ``fit`` iterates for (x, y): a tf.data.Dataset under TensorFlow, a PyDataset otherwise.

    Every epoch visits each sample once, in batches of ``batch_size`` (the last one
    smaller); with ``shuffle`` the order is new every epoch and fixed by ``seed``.
    """
    if keras.backend.backend() == "tensorflow":
        return _tf_batches(x, y, batch_size, shuffle, seed)
    return _ArrayBatches(x, y, batch_size, shuffle, seed)


def evaluation_batches(x: Any, y: Any, batch_size: int) -> Any:
    """Validation data in order, batched the same way (no Keras adapter start-up per epoch either)."""
    return training_batches(x, y, batch_size, shuffle=False)
