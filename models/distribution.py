"""Data-parallel training over every local device, or over worker processes, through each backend's own engine.

``models.train(..., distribution="mirrored")`` copies the model onto all local
accelerators (or logical CPU devices), splits every batch between them and
averages the gradients: ``tf.distribute.MirroredStrategy`` under TensorFlow,
``keras.distribution.DataParallel`` under JAX. The user's model stays where it
was built; a copy made inside the engine's scope trains, and its weights are
copied back after every run, stopped or interrupted runs included. The
optimizer of the copy starts fresh from the same settings (its moments are not
carried over from an earlier run of the user's model).

``distribution="multiworker"`` does the same across processes (one machine or
several), each running the same ``train`` call on the same arrays: under
TensorFlow a ``tf.distribute.MultiWorkerMirroredStrategy`` that reads the
cluster from ``TF_CONFIG``; under JAX ``keras.distribution.initialize()``
(``KERAS_DISTRIBUTION_*`` variables) and ``DataParallel`` over every process's
devices. ``python -m models.multiworker`` starts such workers on this machine.
Every worker holds the same arrays and builds the same global batches
(``train``'s seeded order); each computes on its slice of every batch:
TensorFlow's strategy shards the batches itself, under JAX ``train``'s batches
give each process its slice. A worker must call :func:`join_cluster` before its
first model exists (``python -m models.multiworker`` does).
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import keras

from models._arguments import ArgumentError

__all__ = ["DataParallelPlan", "data_parallel", "join_cluster"]

_NAMES = ("mirrored", "all", "multiworker")


@dataclass(frozen=True)
class DataParallelPlan:
    """How a training is spread: the engine, its devices, and the object that does it."""

    engine: str  # "tf.distribute.MirroredStrategy", "keras.distribution.DataParallel", ...
    devices: tuple[str, ...]  # one entry per replica; across workers, one per worker process
    handle: Any

    @property
    def replicas(self) -> int:
        # A tf.distribute strategy knows its count across workers; a Keras mesh lists every device.
        return int(getattr(self.handle, "num_replicas_in_sync", len(self.devices)))

    def describe(self) -> str:
        return f"{self.replicas} replica(s) with {self.engine}: {', '.join(self.devices)}"

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        with self.handle.scope():
            yield

    def copy(self, model: keras.Model, compile_kwargs: dict[str, Any]) -> keras.Model:
        """The model rebuilt inside the engine's scope with the same weights, compiled the same way."""
        with self.scope():
            clone = keras.models.clone_model(model)
            clone.set_weights(model.get_weights())
            optimizer = compile_kwargs["optimizer"]
            if isinstance(optimizer, keras.optimizers.Optimizer):  # a fresh one, its variables made in scope
                optimizer = optimizer.__class__.from_config(optimizer.get_config())
            clone.compile(**{**compile_kwargs, "optimizer": optimizer})
        if _tf_multi_worker(self.handle):
            _fit_across_workers(clone)
        return clone


def _tf_multi_worker(strategy: Any) -> bool:
    """A MultiWorkerMirroredStrategy whose cluster has more than one worker (Keras' own test, in public API)."""
    tf = sys.modules.get("tensorflow")  # no strategy of TensorFlow's exists before it is imported
    if tf is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    spec = strategy.cluster_resolver.cluster_spec().as_dict()
    return len(spec.get("worker", [])) + len(spec.get("chief", [])) > 1


def _fit_across_workers(clone: keras.Model) -> None:
    """Let Keras 3's ``fit`` run under a multi-worker strategy (broken upstream as of Keras 3.15 / TF 2.21).

    Upstream: keras-team/keras#20585 (open), tensorflow/tensorflow#72388. Two
    places in Keras' TensorFlow trainer fail across workers, on the same path:

    1. ``_maybe_symbolic_build`` averages the first batch across workers with
       ``strategy.reduce("MEAN", (x, y), axis=None)``; a multi-worker strategy
       does not take a nested value ("Attempt to convert a value (PerReplica...)
       to a Tensor"). Keras only does this for a model built in a strategy's
       scope; for one built outside it takes the strategy from the enclosing
       scope (``train`` fits inside it) and builds the rest (optimizer slots)
       at the first step. So the copy forgets the strategy it was built in.
    2. Every step's logs are averaged with ``strategy.reduce("MEAN", v, axis=0)``,
       which fails for the scalar loss and metrics ("Invalid reduction dimension
       0 for input with 0 dimensions"). Giving every log a leading axis of 1
       makes that the plain average over the workers: with equal slices of each
       batch, the loss and metrics of the whole batch.
    Both touch only the training copy; the user's model stays a plain Keras model.
    """
    import tensorflow as tf

    clone._distribute_strategy = None  # (1): Keras' own "built outside a scope" path

    def with_replica_axis(step):
        return lambda data: tf.nest.map_structure(lambda v: tf.expand_dims(v, 0), step(data))

    # (2), on the instance: the copy's own steps, so subclasses' custom steps keep working.
    clone.train_step = with_replica_axis(clone.train_step)
    clone.test_step = with_replica_axis(clone.test_step)


def _tf_config_workers() -> list[str]:
    """The worker addresses of ``TF_CONFIG``, or a message saying how to set it."""
    raw = os.environ.get("TF_CONFIG", "")
    how = ("start the workers with `python -m models.multiworker --workers 2 <model> ...`, or set TF_CONFIG "
           "in every worker yourself: {\"cluster\": {\"worker\": [\"host:port\", ...]}, \"task\": {\"type\": "
           "\"worker\", \"index\": i}}")
    if not raw:
        raise ArgumentError(f"distribution='multiworker' reads the cluster from TF_CONFIG, which is not set: {how}")
    try:
        config = json.loads(raw)
        workers = list(config["cluster"].get("chief", [])) + list(config["cluster"]["worker"])
        int(config["task"]["index"])
    except (ValueError, KeyError, TypeError) as err:
        raise ArgumentError(f"TF_CONFIG is not a cluster description ({err!r}): {how}") from None
    return workers


@functools.lru_cache(maxsize=1)  # one per process: each engine sets its cluster up once, at program start
def join_cluster() -> Any:
    """Make this process a worker of the cluster in its environment; call it first, before building a model.

    TensorFlow: returns the process's ``MultiWorkerMirroredStrategy`` (cluster
    from ``TF_CONFIG``). JAX: calls ``keras.distribution.initialize()`` (the
    ``KERAS_DISTRIBUTION_*`` variables) and returns the ``DataParallel`` over
    every process's devices. Both engines must do this before their first
    computation, so ``train(distribution="multiworker")`` cannot do it for a
    model that already exists; ``python -m models.multiworker`` calls it at the
    start of every worker. Later calls return the same object.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        _tf_config_workers()  # a clear message before TensorFlow waits for workers that were never started
        try:
            return tf.distribute.MultiWorkerMirroredStrategy()
        except RuntimeError as err:  # "Collective ops must be configured at program startup"
            raise RuntimeError(
                "distribution='multiworker': TensorFlow has already run in this process, and it joins a "
                "cluster only before its first operation. Call models.distribution.join_cluster() at the "
                "start of the worker, before building a model, or start the workers with "
                "`python -m models.multiworker`.") from err
    if backend == "jax":
        if not os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES"):
            raise ArgumentError("distribution='multiworker' under JAX reads KERAS_DISTRIBUTION_JOB_ADDRESSES, "
                                "_NUM_PROCESSES and _PROCESS_ID, which are not set: start the workers with "
                                "`python -m models.multiworker --workers 2 <model> ...`")
        keras.distribution.initialize()  # jax.distributed.initialize: list_devices() is then every process's
        # Keras shards only tf.data input across processes; train's batches (models.batches) already give
        # each process its slice of every global batch, which JAX joins into the global batch.
        return keras.distribution.DataParallel(devices=keras.distribution.list_devices(), auto_shard_dataset=False)
    raise ArgumentError(f"distribution='multiworker' needs the tensorflow or jax backend, not {backend}")


def _tf_devices(strategy: Any) -> tuple[str, ...]:
    """Short device names; across workers, every worker with its address and this one's own devices."""
    local = tuple(str(d).split("device:")[-1] for d in strategy.extended.worker_devices)
    if not _tf_multi_worker(strategy):
        # "/job:localhost/replica:0/task:0/device:CPU:1" -> "CPU:1" (the job prefix only matters multi-worker)
        return tuple(short if "localhost" in str(d) else str(d)
                     for short, d in zip(local, strategy.extended.worker_devices))
    resolver = strategy.cluster_resolver
    addresses = resolver.cluster_spec().as_dict()
    workers = [("chief", a) for a in addresses.get("chief", [])] + [("worker", a) for a in addresses["worker"]]
    names = []
    for kind, address in workers:
        index = addresses[kind].index(address)
        me = kind == resolver.task_type and index == resolver.task_id
        names.append(f"{kind} {index} at {address}" + (f" ({'+'.join(local)}, this process)" if me else ""))
    return tuple(names)


def data_parallel(spec: Any) -> DataParallelPlan | None:
    """Resolve ``train``'s ``distribution=``: None, "mirrored", "multiworker", or an engine's own object.

    "mirrored" (or "all") spreads over every local device; "multiworker" over the
    worker processes described by ``TF_CONFIG`` (TensorFlow) or the
    ``KERAS_DISTRIBUTION_*`` variables (JAX). Accepts a ``tf.distribute.Strategy``
    or a ``keras.distribution.Distribution`` made by the caller.
    """
    if spec is None or spec == "none":
        return None
    backend = keras.backend.backend()
    if isinstance(spec, str):
        if spec not in _NAMES:
            raise ArgumentError(f"distribution must be None, 'mirrored' (every local device), 'multiworker' "
                                f"(worker processes, see python -m models.multiworker) or an engine's "
                                f"strategy object, got {spec!r}")
        if spec == "multiworker":
            spec = join_cluster()
        elif backend == "tensorflow":
            import tensorflow as tf

            spec = tf.distribute.MirroredStrategy()
        elif backend == "jax":
            spec = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
        else:
            raise ArgumentError(f"distribution={spec!r} needs the tensorflow or jax backend, not {backend}")
    if hasattr(spec, "num_replicas_in_sync") and hasattr(spec, "extended"):  # a tf.distribute.Strategy
        # MultiWorkerMirroredStrategy's class is CollectiveAllReduceStrategy: name it as users write it
        name = "MultiWorkerMirroredStrategy" if _tf_multi_worker(spec) else type(spec).__name__
        return DataParallelPlan(f"tf.distribute.{name}", _tf_devices(spec), spec)
    if hasattr(spec, "device_mesh") and hasattr(spec, "scope"):  # a keras.distribution.Distribution
        mesh = spec.device_mesh
        devices = tuple(str(d) for d in mesh.devices.flatten())
        return DataParallelPlan(f"keras.distribution.{type(spec).__name__}", devices, spec)
    raise ArgumentError(f"distribution must be None, 'mirrored', 'multiworker' or a tf.distribute.Strategy / "
                        f"keras.distribution.Distribution, got {type(spec).__name__}")
