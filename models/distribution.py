"""Data-parallel training over every local device, through each backend's own engine.

``models.train(..., distribution="mirrored")`` copies the model onto all local
accelerators (or logical CPU devices), splits every batch between them and
averages the gradients: ``tf.distribute.MirroredStrategy`` under TensorFlow,
``keras.distribution.DataParallel`` under JAX. The user's model stays where it
was built; a copy made inside the engine's scope trains, and its weights are
copied back after every run, stopped or interrupted runs included. The
optimizer of the copy starts fresh from the same settings (its moments are not
carried over from an earlier run of the user's model).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import keras

from models._arguments import ArgumentError

__all__ = ["DataParallelPlan", "data_parallel"]

_NAMES = ("mirrored", "all")


@dataclass(frozen=True)
class DataParallelPlan:
    """How a training is spread: the engine, its devices, and the object that does it."""

    engine: str  # "tf.distribute.MirroredStrategy", "keras.distribution.DataParallel", ...
    devices: tuple[str, ...]
    handle: Any

    @property
    def replicas(self) -> int:
        return len(self.devices)

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
        return clone


def data_parallel(spec: Any) -> DataParallelPlan | None:
    """Resolve ``train``'s ``distribution=``: None, "mirrored" (all local devices), or an engine's own object.

    Accepts a ``tf.distribute.Strategy`` or a ``keras.distribution.Distribution``
    made by the caller (e.g. a ``MultiWorkerMirroredStrategy``).
    """
    if spec is None or spec == "none":
        return None
    backend = keras.backend.backend()
    if isinstance(spec, str):
        if spec not in _NAMES:
            raise ArgumentError(f"distribution must be None, 'mirrored' (every local device) or an engine's "
                                f"strategy object, got {spec!r}")
        if backend == "tensorflow":
            import tensorflow as tf

            spec = tf.distribute.MirroredStrategy()
        elif backend == "jax":
            spec = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
        else:
            raise ArgumentError(f"distribution='mirrored' needs the tensorflow or jax backend, not {backend}")
    if hasattr(spec, "num_replicas_in_sync") and hasattr(spec, "extended"):  # a tf.distribute.Strategy
        # "/job:localhost/replica:0/task:0/device:CPU:1" -> "CPU:1" (the job prefix only matters multi-worker)
        devices = tuple(str(d).split("device:")[-1] if "localhost" in str(d) else str(d)
                        for d in spec.extended.worker_devices)
        return DataParallelPlan(f"tf.distribute.{type(spec).__name__}", devices, spec)
    if hasattr(spec, "device_mesh") and hasattr(spec, "scope"):  # a keras.distribution.Distribution
        mesh = spec.device_mesh
        devices = tuple(str(d) for d in mesh.devices.flatten())
        return DataParallelPlan(f"keras.distribution.{type(spec).__name__}", devices, spec)
    raise ArgumentError(f"distribution must be None, 'mirrored' or a tf.distribute.Strategy / "
                        f"keras.distribution.Distribution, got {type(spec).__name__}")
