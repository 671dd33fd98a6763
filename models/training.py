"""``models.train``: fit a Keras model while observers follow every batch and epoch.

The same run can drive a Streamlit page, a terminal progress bar and a test.
A NaN/inf loss, a Stop request or an interruption (a Streamlit rerun, Ctrl-C)
ends training with the weights and history of the last finished epoch kept.

Terminal::

    python -m models.training cnn --epochs 5 --save cnn.keras
"""
from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import keras
import numpy as np

from models._arguments import check_float, check_int
from models.batches import epoch_orders_seed, evaluation_batches, training_batches
from models.device import device_name
from models.single_replica import skip_single_replica_all_reduce
from models.distribution import data_parallel
from models.onednn import check_trainable_on_cpu


__all__ = ["EpochProgress", "Observer", "TrainingHistory", "DivergenceCheck", "train", "TerminalProgress", "main"]


@dataclass(frozen=True)
class EpochProgress:
    """What an observer sees after a batch or an epoch.

    ``batch`` is None for epoch events. ``logs`` holds the loss and metrics
    (``val_*`` too at the end of an epoch); ``samples_per_s`` is the
    throughput so far in this epoch.
    """

    epoch: int
    epochs: int
    batch: int | None
    batches: int
    logs: dict[str, float]
    samples_per_s: float
    elapsed_s: float
    device: str


class Observer(Protocol):
    """Follows a training run. Every method is optional; return True to ask for a stop."""

    def on_train_begin(self, info: dict[str, Any]) -> Any: ...
    def on_batch_end(self, progress: EpochProgress) -> Any: ...
    def on_epoch_end(self, progress: EpochProgress, model: keras.Model) -> Any: ...
    def on_train_end(self, history: "TrainingHistory") -> Any: ...


@dataclass
class TrainingHistory:
    """Per-epoch logs of one or several consecutive ``train`` calls.

    ``status`` is "finished", "stopped" (asked to), "diverged" (NaN/inf loss)
    or "interrupted" (an exception or a rerun cut the run short); ``message``
    says why in words a learner can act on.
    """

    epochs: list[dict[str, float]] = field(default_factory=list)
    samples_per_s: list[float] = field(default_factory=list)
    device: str = ""
    status: str = "new"
    message: str = ""
    #: the run finished but the model is no better than guessing from class frequencies
    at_chance: bool = False

    def __len__(self) -> int:
        return len(self.epochs)

    @property
    def history(self) -> dict[str, list[float]]:
        """Keras-style dict of lists: ``{"loss": [...], "val_loss": [...]}``."""
        keys = [k for e in self.epochs for k in e]
        return {k: [e.get(k, math.nan) for e in self.epochs] for k in dict.fromkeys(keys)}

    def metric(self, name: str) -> np.ndarray:
        return np.asarray(self.history.get(name, []), dtype=float)


@dataclass(frozen=True)
class DivergenceCheck:
    """When ``train`` calls a run diverged, besides a NaN or infinite loss.

    Saturating outputs (a sigmoid with clipped cross-entropy) never reach NaN:
    their loss climbs to a plateau instead, and their weights can grow without
    bound. By default a loss above 1 that grew tenfold over the run's first
    batch counts as diverged; a page that teaches with small nets can be
    stricter (the playground: five times the first loss, at most ln 2, the loss
    of guessing 0.5, or any weight beyond 1e3).

    Attributes:
        loss_factor: the loss diverged above ``loss_factor`` × the reference loss.
        reference_cap: the reference is the first batch's loss, or this if lower.
        min_loss: a loss at or below this never counts as exploded.
        max_weight: a weight beyond this (in absolute value) counts as overflowing; None: not checked.
    """

    loss_factor: float = 10.0
    reference_cap: float | None = None
    min_loss: float = 1.0
    max_weight: float | None = None

    def loss_exploded(self, loss: float, first_loss: float | None) -> bool:
        """Whether ``loss`` has exploded, given the run's first finite batch loss."""
        if first_loss is None:
            return False
        reference = first_loss if self.reference_cap is None else min(first_loss, self.reference_cap)
        return loss > self.min_loss and loss > self.loss_factor * reference

    def overflowing_weight(self, weights: Sequence[np.ndarray]) -> float | None:
        """The largest |weight| if it is beyond ``max_weight`` or not finite, else None."""
        if self.max_weight is None or not weights:
            return None
        big = max(float(np.abs(w).max()) if np.size(w) else 0.0 for w in weights)
        return big if not math.isfinite(big) or big > self.max_weight else None


def _call(observer: Any, method: str, *args: Any) -> bool:
    fn = getattr(observer, method, None)
    return bool(fn(*args)) if fn is not None else False


class _Bridge(keras.callbacks.Callback):
    """Turns Keras callbacks into observer events, watches for NaN, keeps snapshots."""

    def __init__(self, observers, history: TrainingHistory, epochs: int, batches: int,
                 batch_size: int, n_samples: int, epoch_offset: int, divergence: DivergenceCheck | None = None):
        super().__init__()
        self.divergence = divergence if divergence is not None else DivergenceCheck()
        self.overflow: float | None = None  # the weight that overflowed, when that ended the run
        self.observers = list(observers)
        self.record = history
        self.epochs, self.batches, self.batch_size = epochs, batches, batch_size
        self.n_samples, self.epoch_offset = n_samples, epoch_offset
        self.good_weights: list[np.ndarray] | None = None
        self.diverged_at: tuple[int, int] | None = None
        self.stop_asked = False
        self.last_batch = 0
        self.first_loss: float | None = None

    def on_train_begin(self, logs=None):
        self.good_weights = self.model.get_weights()

    def _progress(self, epoch: int, batch: int | None, logs) -> EpochProgress:
        elapsed = time.perf_counter() - self.t_epoch
        done = self.n_samples if batch is None else min(batch * self.batch_size, self.n_samples)
        return EpochProgress(
            epoch=self.epoch_offset + epoch + 1, epochs=self.epoch_offset + self.epochs,
            batch=batch, batches=self.batches,
            logs={k: float(v) for k, v in (logs or {}).items()},
            samples_per_s=done / elapsed if elapsed > 0 else math.nan,
            elapsed_s=elapsed, device=self.record.device,
        )

    def on_train_batch_end(self, batch, logs=None):
        loss = float((logs or {}).get("loss", 0.0))
        self.last_batch = batch + 1
        if self.first_loss is None and math.isfinite(loss):
            self.first_loss = loss
        if not math.isfinite(loss):
            self.diverged_at = (self.epoch_offset + self._current_epoch + 1, batch + 1)
            self.model.stop_training = True
            return
        if any(hasattr(o, "on_batch_end") for o in self.observers):
            progress = self._progress(self._current_epoch, batch + 1, logs)
            if any(_call(o, "on_batch_end", progress) for o in self.observers):
                self.stop_asked = True
                self.model.stop_training = True

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        self.t_epoch = time.perf_counter()

    def _exploded(self, logs: dict[str, float]) -> bool:
        """A loss that grew tenfold over the run's first batch has diverged, even if finite.

        Saturating outputs (a sigmoid with clipped cross-entropy) never reach
        NaN; their loss climbs to a large plateau instead.
        """
        return self.divergence.loss_exploded(logs.get("loss", math.nan), self.first_loss)

    def on_epoch_end(self, epoch, logs=None):
        if self.diverged_at is not None:
            return
        logs = {k: float(v) for k, v in (logs or {}).items()}
        if not all(math.isfinite(v) for k, v in logs.items() if "loss" in k) or self._exploded(logs):
            self.diverged_at = (self.epoch_offset + epoch + 1, self.last_batch)
            self.model.stop_training = True
            return
        if self.stop_asked:
            return  # a stop mid-epoch: this epoch did not finish
        weights = self.model.get_weights()
        self.overflow = self.divergence.overflowing_weight(weights)
        if self.overflow is not None:
            self.diverged_at = (self.epoch_offset + epoch + 1, self.last_batch)
            self.model.stop_training = True
            return
        progress = self._progress(epoch, None, logs)
        self.record.epochs.append(logs)
        self.record.samples_per_s.append(progress.samples_per_s)
        self.good_weights = weights
        if any(_call(o, "on_epoch_end", progress, self.model) for o in self.observers):
            self.stop_asked = True
            self.model.stop_training = True


def _default_loss(model: keras.Model, y: np.ndarray) -> tuple[Any, list]:
    """Loss and metrics that fit the model's output layer and the labels."""
    out_shape = model.outputs[0].shape
    activation = getattr(getattr(model.layers[-1], "activation", None), "__name__", "")
    if len(out_shape) >= 4:  # a mask per pixel (4-D) or per voxel (5-D)
        from models.losses import bce_dice_loss, dice_coefficient

        return bce_dice_loss, [dice_coefficient]
    if activation == "sigmoid":
        return "binary_crossentropy", ["accuracy"]
    if activation == "softmax":
        if y.ndim == 1 or y.shape[-1] == 1:
            return "sparse_categorical_crossentropy", ["accuracy"]
        return "categorical_crossentropy", ["accuracy"]
    return "mse", []


_ACCURACY_KEYS = ("accuracy", "acc", "binary_accuracy", "sparse_categorical_accuracy", "categorical_accuracy")


def _chance_level(logs: dict[str, float], y: np.ndarray) -> str | None:
    """A message when a classifier ended where guessing from class frequencies ends, else None.

    Guessing the training set's class frequencies p_k for every sample has
    cross-entropy H = −Σ p_k ln p_k (ln 2 for two balanced classes) and the
    accuracy of the largest class. A run whose loss is still near H and whose
    accuracy is no better than that has not learned, whatever its epoch count.
    """
    acc_key = next((k for k in _ACCURACY_KEYS if k in logs), None)
    if acc_key is None or "loss" not in logs or y.size == 0:
        return None
    labels = y.argmax(-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    if not np.all(np.equal(np.mod(labels, 1), 0)):
        return None  # not class labels
    _, counts = np.unique(labels.astype(np.int64), return_counts=True)
    p = counts / counts.sum()
    entropy, base_rate = float(-(p * np.log(p)).sum()), float(p.max())
    loss, acc = float(logs["loss"]), float(logs[acc_key])
    if entropy <= 0 or acc > base_rate + 0.02 or loss < 0.95 * entropy:
        return None
    return (f"Finished, but the model has not learned: training loss {loss:.3f} is still the {entropy:.3f} of "
            f"guessing the class frequencies (ln 2 = 0.693 for two balanced classes) and accuracy "
            f"{acc:.2f} is the share of the largest class ({base_rate:.2f}). Lower the learning rate "
            f"(e.g. 10×), train more epochs, or reset the model and train again.")


def _check_arrays(x, y, name: str):
    if x is None or y is None:
        raise ValueError(f"{name}: x and y are both required, got x={type(x).__name__}, y={type(y).__name__}")
    xs = x if isinstance(x, (list, tuple)) else [x]
    n = len(y)
    for a in xs:
        if len(a) != n:
            raise ValueError(f"{name}: x has {len(a)} samples but y has {n}; they must match")
        if np.issubdtype(np.asarray(a).dtype, np.floating) and not np.all(np.isfinite(a)):
            raise ValueError(f"{name}: x contains NaN or inf values; clean or impute them first")
    if n == 0:
        raise ValueError(f"{name}: no samples to train on (got 0)")


def train(
    model: keras.Model,
    x: Any,
    y: Any,
    *,
    epochs: int,
    batch_size: int = 32,
    validation_data: tuple[Any, Any] | None = None,
    observers: Iterable[Any] = (),
    optimizer: str | keras.optimizers.Optimizer | None = None,
    learning_rate: float | None = None,
    loss: Any = None,
    metrics: Sequence[Any] | None = None,
    history: TrainingHistory | None = None,
    steps_per_execution: int = 1,
    shuffle: bool = True,
    divergence: DivergenceCheck | None = None,
    distribution: Any = None,
    seed: int = 0,
) -> TrainingHistory:
    """Train ``model`` on (x, y), reporting progress to ``observers``.

    The model is compiled here if it is not yet (Adam at ``learning_rate``, a
    loss chosen from its output layer), or when ``optimizer`` or ``loss`` is
    given; a compiled model keeps its optimizer state, so calling ``train``
    again continues the same run. Pass the ``history`` of earlier calls to
    extend it.

    Args:
        model: any Keras model.
        x, y: training inputs and targets.
        epochs: passes over the data (0 trains nothing).
        batch_size: samples per gradient step.
        validation_data: (x_val, y_val), evaluated after every epoch.
        observers: objects with any of ``on_train_begin(info)``,
            ``on_batch_end(progress)``, ``on_epoch_end(progress, model)``,
            ``on_train_end(history)``; returning True asks for a stop.
        optimizer: a name ("adam", "sgd", ...) or an optimizer instance.
        learning_rate: the optimizer's step size (default 1e-3 when it is
            built here; given for a compiled model, it replaces the current one).
        loss, metrics: override the defaults.
        history: a history to extend (keep it in the caller to survive interruptions).
        steps_per_execution: batches per compiled call (fewer host round-trips).
        shuffle: shuffle the training data every epoch (a new order each epoch).
        seed: fixes those orders: the same seed gives the same batches on every run;
            a later call that continues the run gets orders of its own.
        divergence: when a finite run counts as diverged (default :class:`DivergenceCheck`()).
        distribution: None (one device), "mirrored" (data-parallel over every local
            device: ``tf.distribute.MirroredStrategy`` under TensorFlow,
            ``keras.distribution.DataParallel`` under JAX), or such an object
            made by the caller, or "multiworker" (worker processes, see ``python -m
            models.multiworker``; a script calls ``models.distribution.join_cluster()``
            before building its model). A copy of the model trains inside the engine's
            scope and its weights are copied back into ``model``; each batch
            of ``batch_size`` is split between the devices.

    Returns:
        The history; ``status`` and ``message`` say how the run ended. On
        divergence, a stop or an interruption the model holds the weights of
        the last finished epoch.
    """
    epochs = check_int("epochs", epochs, low=0)
    batch_size = check_int("batch_size", batch_size, low=1)
    if learning_rate is not None:
        learning_rate = check_float("learning_rate", learning_rate, low=0.0, low_open=True)
    _check_arrays(x, y, "train")
    if not model.built and not isinstance(x, (list, tuple, dict)):
        try:  # a Sequential without an Input: give its layers weights, so the check below sees them
            model.build((None,) + tuple(np.shape(x)[1:]))
        except Exception:  # noqa: BLE001 - a model that cannot build this way is built by fit
            pass
    check_trainable_on_cpu(model)  # a known oneDNN bug would kill the process mid-epoch
    if validation_data is not None:
        _check_arrays(*validation_data, "validation_data")
    observers = list(observers)
    record = history if history is not None else TrainingHistory()
    record.device = device_name()
    y_arr = np.asarray(y)
    plan = data_parallel(distribution)

    compile_kwargs = None
    if not getattr(model, "compiled", False) or optimizer is not None or loss is not None:
        default_loss, default_metrics = _default_loss(model, y_arr)
        if optimizer is None or isinstance(optimizer, str):
            optimizer = keras.optimizers.get({"class_name": optimizer or "adam",
                                              "config": {"learning_rate": learning_rate or 1e-3}})
        compile_kwargs = dict(optimizer=optimizer, loss=loss or default_loss,
                              metrics=default_metrics if metrics is None else list(metrics),
                              steps_per_execution=steps_per_execution)
        model.compile(**compile_kwargs)
    elif learning_rate is not None:
        # Already compiled: keep the optimizer's state, only change its step size.
        model.optimizer.learning_rate.assign(learning_rate)
    # Keras builds the optimizer's slots inside the first traced step; TensorFlow then lifts each slot's
    # initialiser into a tf.cond whose branch graphs outlive the model (~42 graphs per trained CNN, a
    # server's memory growing with every student). Built here, eagerly, nothing is left behind.
    if model.built and getattr(model, "optimizer", None) is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    if plan is None and getattr(model, "optimizer", None) is not None:
        # One replica: no gradient all-reduce, whose tf.custom_gradient pins every traced step in
        # TensorFlow's gradient registry for good (models/single_replica.py).
        skip_single_replica_all_reduce(model.optimizer)
    target = model
    if plan is not None:
        if compile_kwargs is None:  # compiled earlier: the copy is compiled with the same settings
            default_loss, default_metrics = _default_loss(model, y_arr)
            compile_kwargs = dict(optimizer=model.optimizer, loss=model.loss or default_loss,
                                  metrics=default_metrics if metrics is None else list(metrics),
                                  steps_per_execution=steps_per_execution)
        target = plan.copy(model, compile_kwargs)
        record.device = plan.describe()

    n = len(y_arr)
    batches = math.ceil(n / batch_size)
    offset = len(record.epochs)
    seed = check_int("seed", seed)
    info = {"epochs": offset + epochs, "batches": batches, "batch_size": batch_size,
            "samples": n, "device": record.device, "model": model.name}
    for o in observers:
        _call(o, "on_train_begin", info)
    if epochs == 0:
        record.status, record.message = "finished", "0 epochs asked for: nothing was trained."
        for o in observers:
            _call(o, "on_train_end", record)
        return record

    bridge = _Bridge(observers, record, epochs, batches, batch_size, n, offset, divergence)
    record.status, record.message = "running", ""
    try:
        with plan.scope() if plan is not None else contextlib.nullcontext():
            # Our own batches (models.batches): a seeded order and no tf.data start-up stall per epoch.
            data = training_batches(x, y_arr, batch_size, shuffle=shuffle, seed=epoch_orders_seed(seed, offset))
            val = None if validation_data is None else evaluation_batches(*validation_data, batch_size)
            target.fit(data, epochs=epochs, validation_data=val, callbacks=[bridge], verbose=0, shuffle=False)
    except BaseException:
        # A Streamlit rerun, Ctrl-C or an error mid-epoch: keep the last finished epoch.
        if bridge.good_weights is not None:
            model.set_weights(bridge.good_weights)
        record.status = "interrupted"
        record.message = f"Training was interrupted; kept the weights after epoch {len(record.epochs)}."
        raise
    if target is not model:  # the data-parallel copy trained: its weights become the user's
        model.set_weights(target.get_weights())
    if bridge.diverged_at is not None:
        model.set_weights(bridge.good_weights)
        epoch, batch = bridge.diverged_at
        record.status = "diverged"
        what = (f"A weight reached {bridge.overflow:.3g} at epoch {epoch}: the weights overflowed and"
                if bridge.overflow is not None else
                f"The loss became NaN, infinite or exploded at epoch {epoch}, batch {batch}:")
        record.message = (
            f"{what} the run diverged. Kept the weights after epoch {len(record.epochs)}. Lower the "
            f"learning rate (e.g. by 10×) or standardise the inputs, then train again."
        )
    elif bridge.stop_asked:
        model.set_weights(bridge.good_weights)
        record.status = "stopped"
        record.message = f"Stopped on request after epoch {len(record.epochs)}."
    else:
        record.status = "finished"
        record.message = f"Trained {epochs} epoch(s) on {record.device}."
        chance = _chance_level(record.epochs[-1] if record.epochs else {}, y_arr)
        record.at_chance = chance is not None
        if chance is not None:
            record.message = chance
    for o in observers:
        _call(o, "on_train_end", record)
    return record


class TerminalProgress:
    """A one-line progress bar on stderr, per batch, with the epoch's logs."""

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width

    def on_train_begin(self, info):
        print(f"training {info['model']} on {info['device']}: {info['samples']} samples, "
              f"{info['epochs']} epochs", file=self.stream)

    def on_batch_end(self, p: EpochProgress):
        filled = int(self.width * p.batch / max(p.batches, 1))
        bar = "#" * filled + "-" * (self.width - filled)
        print(f"\repoch {p.epoch}/{p.epochs} [{bar}] loss {p.logs.get('loss', math.nan):.4f} "
              f"{p.samples_per_s:7.0f} samples/s", end="", file=self.stream, flush=True)

    def on_epoch_end(self, p: EpochProgress, model):
        logs = " ".join(f"{k} {v:.4f}" for k, v in p.logs.items())
        print(f"\repoch {p.epoch}/{p.epochs} {logs} ({p.samples_per_s:.0f} samples/s)" + " " * 10,
              file=self.stream)

    def on_train_end(self, history: TrainingHistory):
        print(history.message, file=self.stream)


def main(argv: Sequence[str] | None = None) -> int:
    """Train one of the course models on its built-in data from the terminal."""
    from models.zoo import MODEL_NAMES, build_model, demo_data

    parser = argparse.ArgumentParser(prog="python -m models.training", description=main.__doc__)
    parser.add_argument("model", choices=MODEL_NAMES)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--size", choices=("small", "large"), default="small",
                        help="small fits a live demo on a laptop CPU; large is for a GPU")
    parser.add_argument("--samples", type=int, default=None, help="training samples to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default=None, help="path of the .keras file to write")
    parser.add_argument("--distribution", choices=("none", "mirrored", "multiworker"), default="none",
                        help="mirrored: data-parallel over every local GPU (or logical device); multiworker: "
                             "over worker processes (start them with python -m models.multiworker)")
    args = parser.parse_args(argv)

    (x, y), (xv, yv), spec = demo_data(args.model, n=args.samples, seed=args.seed)
    model = build_model(args.model, size=args.size, seed=args.seed)  # seeded weights, no global seed
    record = train(model, x, y, epochs=args.epochs, batch_size=args.batch_size,
                   validation_data=(xv, yv), observers=[TerminalProgress()],
                   learning_rate=args.learning_rate or spec.learning_rate,
                   loss=spec.loss, metrics=spec.metrics, distribution=args.distribution)
    if args.save:
        from models.io import save_model

        path = save_model(model, args.save)
        print(f"saved {path}", file=sys.stderr)
    return 0 if record.status in ("finished", "stopped") else 1


if __name__ == "__main__":
    raise SystemExit(main())
