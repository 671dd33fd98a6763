"""The optimiser's path through weight space, recorded while training and projected on a plane (lecture 003).

Li et al., "Visualizing the Loss Landscape of Neural Nets" (2018), §7: random
directions in a space of thousands of weights are nearly orthogonal to the
path the optimiser took, so a trajectory drawn on them looks like a dot. The
two PCA directions of the weight changes θ_k − θ_final hold most of the path;
:func:`compute_trajectory` finds them, and
:func:`explainers.landscape.compute_landscape` draws the loss on that plane.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from explainers.landscape import Direction
from explainers.loss_inputs import check_weighted_model
from models._arguments import ArgumentError, check_int

__all__ = ["Trajectory", "TrajectoryRecorder", "compute_trajectory", "flatten_weights", "unflatten_weights"]


@dataclass(frozen=True)
class Trajectory:
    """A training run's weights projected on the PCA plane of its weight changes.

    ``coords[k]`` is (α, β) of snapshot k relative to the final weights;
    ``explained_variance`` is the share of the variance of the weight changes
    along each PCA direction; ``directions`` are the (unit) directions, ready
    for :func:`explainers.landscape.compute_landscape`; ``labels`` name the
    snapshots (epochs/steps).
    """

    coords: np.ndarray
    explained_variance: np.ndarray
    directions: list[Direction]
    labels: tuple[str, ...]


def flatten_weights(model_or_weights: Any) -> np.ndarray:
    """All trainable weights of a model (or a list of arrays) as one float64 vector."""
    arrays = model_or_weights
    if isinstance(model_or_weights, keras.Model):
        arrays = [ops.convert_to_numpy(v.value) for v in model_or_weights.trainable_variables]
    return np.concatenate([np.asarray(a, np.float64).ravel() for a in arrays])


def unflatten_weights(vector: np.ndarray, like: keras.Model) -> Direction:
    """Split a flat vector into arrays shaped like ``like.trainable_variables``."""
    total = sum(int(np.prod(v.shape)) for v in like.trainable_variables)
    if len(vector) != total:
        raise ArgumentError(f"vector has {len(vector)} values but {like.name!r} has {total} trainable weights")
    out, i = [], 0
    for v in like.trainable_variables:
        size = int(np.prod(v.shape))
        out.append(np.asarray(vector[i:i + size], np.float32).reshape(tuple(v.shape)))
        i += size
    return out


class TrajectoryRecorder:
    """Training observer that keeps a copy of the trainable weights as training goes.

    Works with :func:`models.train`: records the weights at the start, after
    every epoch and, if ``every_n_batches`` is set, every N batches.

    Args:
        model: the model being trained (``on_batch_end`` does not receive it).
        every_n_batches: also record every N batches (None: epochs only).
        max_snapshots: stop recording after this many (memory guard).
    """

    def __init__(self, model: keras.Model, every_n_batches: int | None = None, max_snapshots: int = 2000):
        check_weighted_model(model)
        if every_n_batches is not None:
            check_int("every_n_batches", every_n_batches, low=1)
        self.model = model
        self.every_n_batches = every_n_batches
        self.max_snapshots = check_int("max_snapshots", max_snapshots, low=2)
        self.weights: list[np.ndarray] = []
        self.labels: list[str] = []
        self.losses: list[float] = []
        self._steps = 0

    def record(self, label: str, loss: float = float("nan")) -> None:
        """Keep the model's current weights under ``label`` (until ``max_snapshots``)."""
        if len(self.weights) < self.max_snapshots:
            self.weights.append(flatten_weights(self.model).astype(np.float32))
            self.labels.append(label)
            self.losses.append(float(loss))

    def snapshot_model(self, index: int = 0) -> keras.Model:
        """A new model of the same architecture holding the weights of snapshot ``index``.

        Non-trainable state (BatchNorm moving statistics) is freshly initialised,
        as it was before training, so ``snapshot_model(0)`` is the model as it
        started; the copy is not compiled (pass ``loss=`` where it is evaluated).
        """
        index = check_int("index", index, low=-len(self.weights), high=len(self.weights) - 1)
        copy = keras.models.clone_model(self.model)
        for v, w in zip(copy.trainable_variables, unflatten_weights(self.weights[index], self.model)):
            v.assign(w)
        return copy

    def on_train_begin(self, info: Any) -> None:
        if not self.weights:
            self.record("start")

    def on_batch_end(self, progress: Any) -> None:
        self._steps += 1
        if self.every_n_batches and self._steps % self.every_n_batches == 0:
            self.record(f"step {self._steps}", progress.logs.get("loss", float("nan")))

    def on_epoch_end(self, progress: Any, model: keras.Model) -> None:
        self.record(f"epoch {progress.epoch}", progress.logs.get("loss", float("nan")))

    def __len__(self) -> int:
        return len(self.weights)


def compute_trajectory(snapshots: Any, model: keras.Model | None = None, *,
                       labels: Sequence[str] | None = None) -> Trajectory:
    """Project weight snapshots on the 2 PCA directions of θ_k − θ_final (Li et al. §7).

    What this shows: the optimiser's path drawn on the loss surface; random
    directions would miss it (in high dimensions they are nearly orthogonal
    to the path), the PCA directions hold most of its movement.

    Args:
        snapshots: a :class:`TrajectoryRecorder` or an array (k, n_weights) of
            flat weight vectors, the last one the centre (final weights).
        model: needed to shape the directions (taken from the recorder if given).
        labels: a name per snapshot.

    Returns:
        A :class:`Trajectory`; its ``directions`` are unit vectors, so the
        coordinates are distances in weight space.
    """
    if isinstance(snapshots, TrajectoryRecorder):
        model = model or snapshots.model
        labels = labels or snapshots.labels
        snapshots = snapshots.weights
    w = np.asarray(snapshots, dtype=np.float64)
    if w.ndim != 2 or len(w) < 3:
        raise ArgumentError(f"snapshots must hold at least 3 weight snapshots as (k, n_weights); got shape "
                            f"{w.shape}. Train for more epochs or record every N batches")
    diffs = w - w[-1]
    centred = diffs - diffs.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    var = s ** 2
    explained = var / var.sum() if var.sum() > 0 else np.zeros_like(var)
    basis = vt[:2]
    # a sign convention, so that reruns draw the same picture: the start has α, β >= 0
    coords = diffs @ basis.T
    signs = np.where(coords[0] < 0, -1.0, 1.0)
    basis, coords = basis * signs[:, None], coords * signs
    dirs = [unflatten_weights(b, model) for b in basis] if model is not None else []
    labels = tuple(labels) if labels is not None else tuple(str(i) for i in range(len(w)))
    return Trajectory(coords, explained[:2].copy(), dirs, labels)
