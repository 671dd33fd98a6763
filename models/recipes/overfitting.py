"""Overfitting recipes: train and validation curves as model size, data size and regularisers change.

Lecture 000, section 3: a fully connected net on a 256 × 256 × 3 image with a
hidden layer of 1000 nodes has 196,610,001 parameters, "which is super
complex", and a complex model may lead to overfitting; convolution shares its
weights and "alleviates the overfitting issue by reducing parameters". Every
recipe here trains small nets on the same synthetic lesion images
(:func:`models.data.make_lesions`) and returns an :class:`OverfittingComparison`
of per-epoch training and validation curves, which
``explainers.overfitting_plots`` draws:

* :func:`compare_capacity`: dense nets (or CNNs) of growing width on the same images;
* :func:`compare_data_size`: one dense net, the same initial weights, trained on more and more images;
* :func:`compare_regularisers`: one dense net, the same initial weights, with nothing, L2, dropout,
  early stopping or augmentation;
* :func:`compare_dense_conv`: the lecture's dense net scaled down to the images here against a small CNN.

Every run sees its images in the same seeded order (one ``train`` call per
epoch, ``shuffle=False``), every validation set is the same fixed set of
images, and nothing global is seeded.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.recipes._relay import Relabelled

__all__ = ["REGULARISERS", "DEFAULT_OVERFITTING_AUGMENTATION", "OverfittingComparison", "build_dense_net",
           "overfitting_data", "compare_capacity", "compare_data_size", "compare_regularisers",
           "compare_dense_conv"]

#: the runs of :func:`compare_regularisers`, in order
REGULARISERS = ("none", "L2", "dropout", "early stopping", "augmentation")
#: augmentation used by the "augmentation" run: a left-right flip and small shifts (see models.data.AUGMENTATIONS)
DEFAULT_OVERFITTING_AUGMENTATION: dict[str, float] = {"flip": 0.5, "translation": 0.1}


@dataclass(frozen=True)
class OverfittingComparison:
    """Training and validation curves of several runs on the same lesion images.

    What this shows: training accuracy climbs towards 1 in every run; the
    validation accuracy on images no run trains on is what generalises. The
    gap between the two curves is overfitting, and it changes with the size
    of the model, the number of training images and the regulariser.

    ``curves[run][key]`` is the per-epoch array for ``key`` in ``loss``,
    ``accuracy``, ``val_loss``, ``val_accuracy``; ``parameters[run]`` the
    model's parameter count (Keras' ``count_params``); ``n_train[run]`` its
    training images; ``kept_epoch[run]`` the 1-based epoch whose weights the
    run ends with (its last epoch, or for early stopping the epoch of lowest
    validation loss, restored).
    """

    kind: str                # "capacity", "data size", "regularisers" or "dense vs conv"
    runs: tuple              # run labels, in order
    curves: dict
    parameters: dict
    n_train: dict
    n_val: int
    epochs: int
    seed: int
    status: dict             # run -> how it ended ("finished", "stopped", ...)
    seconds: dict            # run -> wall time
    kept_epoch: dict
    settings: dict = dataclasses.field(default_factory=dict)

    def final(self, run: str, key: str = "val_accuracy") -> float:
        """``key`` at the epoch whose weights ``run`` ends with (NaN if the run has no epochs)."""
        values = np.asarray(self.curves.get(run, {}).get(key, []), dtype=float)
        epoch = self.kept_epoch.get(run, 0)
        return float(values[epoch - 1]) if values.size and 1 <= epoch <= values.size else float("nan")

    def gap(self, run: str) -> float:
        """Training minus validation accuracy at the kept epoch: how much the run overfits."""
        return self.final(run, "accuracy") - self.final(run, "val_accuracy")

    def table(self) -> list[dict]:
        """One row per finished run: parameters, images, kept epoch, final accuracies and the gap."""
        return [{"run": run, "parameters": int(self.parameters[run]), "training images": int(self.n_train[run]),
                 "epoch kept": int(self.kept_epoch[run]), "training accuracy": self.final(run, "accuracy"),
                 "validation accuracy": self.final(run), "validation loss": self.final(run, "val_loss"),
                 "gap": self.gap(run)}
                for run in self.runs if run in self.curves and self.kept_epoch.get(run, 0) > 0]


def build_dense_net(input_shape: tuple[int, ...] = (256, 256, 3), hidden: Sequence[int] = (1000,), *,
                    l2: float = 0.0, dropout: float = 0.0, seed: int | None = None, name: str = "dense"):
    """The lecture's fully connected classifier: flatten the image, hidden ReLU layer(s), one sigmoid output.

    What this shows: every pixel of every channel is wired to every hidden
    node: lecture 000's 256 × 256 × 3 image with 1000 hidden nodes and one
    output has 196,608 × 1000 + 1000 + 1000 × 1 + 1 = 196,610,001 parameters.

    Args:
        input_shape: image shape (height, width, channels).
        hidden: nodes per hidden layer.
        l2: L2 penalty ``l2 · Σ w²`` on every kernel (Keras' ``regularizers.L2``); 0: none.
        dropout: rate of a Dropout layer after each hidden layer (seeded); 0: none. It has no weights, so
            nets with and without dropout start from the same weights.
        seed: seeds the initial weights and the dropout masks.
        name: prefix of every layer name.
    """
    import keras
    from keras import layers

    from models._arguments import check_float, check_int
    from models._checks import Initializers

    input_shape = tuple(check_int("input_shape", s, low=1) for s in input_shape)
    hidden = tuple(check_int("hidden", h, low=1) for h in hidden)
    l2 = check_float("l2", l2, low=0.0)
    dropout = check_float("dropout", dropout, low=0.0, high=0.95)
    init = Initializers(seed)
    reg = keras.regularizers.L2(l2) if l2 > 0 else None
    inputs = keras.Input(input_shape, name=f"{name}_input")
    x = layers.Flatten(name=f"{name}_flatten")(inputs)
    for i, width in enumerate(hidden, start=1):
        x = layers.Dense(width, activation="relu", kernel_initializer=init(), kernel_regularizer=reg,
                         name=f"{name}_hidden{i}")(x)
        if dropout > 0:
            x = layers.Dropout(dropout, seed=init.next_seed(), name=f"{name}_dropout{i}")(x)
    outputs = layers.Dense(1, activation="sigmoid", kernel_initializer=init(), kernel_regularizer=reg,
                           name=f"{name}_output")(x)
    return keras.Model(inputs, outputs, name=name)


def overfitting_data(n_train: int = 64, n_val: int = 256, *, size: int = 32, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lesion images for the recipes: ``(x_train, y_train, x_val, y_val)``, standardised.

    The training images are the first ``n_train`` of one seeded set (so 16
    images are the first 16 of 64), the validation images a separate fixed
    set; both are standardised with the training images' mean and standard
    deviation (one number each), as a practitioner would.
    """
    from models._arguments import check_int
    from models.data import make_lesions

    n_train = check_int("n_train", n_train, low=2, high=4096)
    n_val = check_int("n_val", n_val, low=2, high=4096)
    size = check_int("size", size, low=16, high=128)
    seed = check_int("seed", seed, low=0)
    xt, yt, _, _ = make_lesions(n_train, size, seed=seed)
    xv, yv, _, _ = make_lesions(n_val, size, seed=seed + 1000)
    mean, sd = float(xt.mean()), float(xt.std()) or 1.0
    return (xt - mean) / sd, yt, (xv - mean) / sd, yv


@dataclass
class _Run:
    label: str
    build: Callable[[], Any]
    n_train: int
    start: list | None = None           # initial weights shared with other runs
    augmentation: dict | None = None
    patience: int | None = None         # early stopping on validation loss
    learning_rate: float | None = None  # this run's own Adam step (None: the comparison's)


def _train_runs(kind: str, runs: list[_Run], *, n_val: int, size: int, epochs: int,
                batch_size: int, learning_rate: float, seed: int, observers: Iterable[Any],
                histories: MutableMapping[str, Any] | None, models: MutableMapping[str, Any] | None,
                settings: dict) -> OverfittingComparison:
    from models import training
    from models.data.augmentation import augment

    observers = list(observers)
    histories = {} if histories is None else histories
    curves, parameters, n_trains, status, seconds, kept = {}, {}, {}, {}, {}, {}
    data = {}
    for run in runs:
        if run.n_train not in data:
            data[run.n_train] = overfitting_data(run.n_train, n_val, size=size, seed=seed)
        xt, yt, xv, yv = data[run.n_train]
        model = run.build()
        if run.start is not None:
            model.set_weights(run.start)
        if models is not None:
            models[run.label] = model
        parameters[run.label], n_trains[run.label] = int(model.count_params()), run.n_train
        history = histories[run.label] = training.TrainingHistory()
        relabelled = [Relabelled(o, epochs, run.label) for o in observers]
        order_rng = np.random.default_rng(seed + 2)      # the same order of images in every run
        augment_rng = np.random.default_rng(seed + 3)    # a fresh augmentation seed each epoch
        best_loss, best_epoch, best_weights = np.inf, 0, None
        t0 = time.perf_counter()
        for _ in range(epochs):
            order = order_rng.permutation(run.n_train)
            images = xt[order]
            epoch_seed = int(augment_rng.integers(0, 2**31 - 1))
            if run.augmentation:
                images = augment(images, seed=epoch_seed, **run.augmentation)
            training.train(model, images, yt[order], epochs=1, batch_size=batch_size, shuffle=False,
                           history=history, validation_data=(xv, yv), learning_rate=run.learning_rate or learning_rate,
                           observers=relabelled)
            if history.status != "finished":
                break
            if run.patience is not None:
                val_loss = history.epochs[-1].get("val_loss", np.inf)
                if val_loss < best_loss:
                    best_loss, best_epoch, best_weights = val_loss, len(history), model.get_weights()
                elif len(history) - best_epoch >= run.patience:
                    break
        if run.patience is not None and best_weights is not None:
            model.set_weights(best_weights)  # early stopping keeps the epoch of lowest validation loss
            history.message = (f"Stopped early after epoch {len(history)}: the validation loss had not fallen "
                               f"for {run.patience} epochs; kept the weights of epoch {best_epoch}.")
        seconds[run.label] = time.perf_counter() - t0
        for o in relabelled:
            o.end(history)
        curves[run.label] = {k: np.asarray(v, dtype=float) for k, v in history.history.items()}
        status[run.label] = history.status
        kept[run.label] = best_epoch if run.patience is not None and best_weights is not None else len(history)
        if history.status != "finished":
            break
    return OverfittingComparison(kind, tuple(r.label for r in runs), curves, parameters, n_trains, n_val, epochs,
                                 seed, status, seconds, kept, settings)


def _common(n_val: int, epochs: int, batch_size: int, learning_rate: float, size: int, seed: int):
    from models._arguments import check_float, check_int

    return dict(n_val=check_int("n_val", n_val, low=2, high=4096), epochs=check_int("epochs", epochs, low=1, high=300),
                batch_size=check_int("batch_size", batch_size, low=1),
                learning_rate=check_float("learning_rate", learning_rate, low=0.0, low_open=True),
                size=check_int("size", size, low=16, high=128), seed=check_int("seed", seed, low=0))


def compare_capacity(widths: Sequence[int] = (2, 8, 32, 128), *, model: str = "dense", n_train: int = 64,
                     n_val: int = 256, epochs: int = 40, batch_size: int = 16, learning_rate: float = 3e-4,
                     size: int = 32, seed: int = 0, observers: Iterable[Any] = (),
                     histories: MutableMapping[str, Any] | None = None,
                     models: MutableMapping[str, Any] | None = None) -> OverfittingComparison:
    """Train nets of growing capacity on the same images: the width is the knob.

    What this shows: a wider net fits its training images sooner and more
    completely; whether its validation accuracy follows, or the gap between
    the curves grows, is measured.

    Args:
        widths: hidden nodes of a dense net (``model="dense"``), or the first stage's filters of a CNN
            (``model="cnn"``: filters ``(w, 2w)``, as :func:`models.build_cnn`), one run each.
        model: "dense" or "cnn".
        n_train, n_val: training and validation images.
        epochs, batch_size, learning_rate: the training (Adam), the same for every run.
        size: image side in pixels.
        seed: seeds the images, each net's weights and the order of images (no global state).
        observers: training observers (a page's progress bar); each sees one run at a time.
        histories: a dict the caller keeps; each run's ``TrainingHistory`` is put in it as it trains.
        models: a dict that receives each run's trained model.
    """
    from models import build_cnn
    from models._arguments import check_choice, check_int, fail

    common = _common(n_val, epochs, batch_size, learning_rate, size, seed)
    model = check_choice("model", model, ("dense", "cnn"))
    n_train = check_int("n_train", n_train, low=2, high=4096)
    widths = [check_int("widths", w, low=1, high=4096) for w in widths]
    if not widths or len(set(widths)) != len(widths):
        fail("widths", widths, "distinct widths, at least one")
    shape = (common["size"], common["size"], 1)
    s = common["seed"] + 1

    def builder(w: int) -> Callable[[], Any]:
        if model == "dense":
            return lambda: build_dense_net(shape, (w,), seed=s, name="dense")
        return lambda: build_cnn(shape, 2, filters=(w, 2 * w), seed=s, name="cnn")

    label = "{} hidden" if model == "dense" else "{} filters"
    runs = [_Run(label.format(w), builder(w), n_train) for w in widths]
    return _train_runs("capacity", runs, observers=observers, histories=histories,
                       models=models, settings={"model": model, "widths": tuple(widths)}, **common)


def compare_data_size(n_trains: Sequence[int] = (16, 64, 256), *, hidden: int = 64, n_val: int = 256,
                      epochs: int = 40, batch_size: int = 16, learning_rate: float = 3e-4, size: int = 32,
                      seed: int = 0, observers: Iterable[Any] = (), histories: MutableMapping[str, Any] | None = None,
                      models: MutableMapping[str, Any] | None = None) -> OverfittingComparison:
    """Train one dense net, from the same initial weights, on more and more images.

    What this shows: the same model that learns 16 images by heart
    generalises better when it sees more of them: more data is the first
    cure for overfitting. A run on n images takes n / batch_size steps per
    epoch, so larger sets also train for more steps.

    Args:
        n_trains: training images per run (the first n of one seeded set).
        hidden: hidden nodes of the dense net.
        Others as :func:`compare_capacity`.
    """
    from models._arguments import check_int, fail

    common = _common(n_val, epochs, batch_size, learning_rate, size, seed)
    hidden = check_int("hidden", hidden, low=1, high=4096)
    n_trains = [check_int("n_trains", n, low=2, high=4096) for n in n_trains]
    if not n_trains or len(set(n_trains)) != len(n_trains):
        fail("n_trains", n_trains, "distinct image counts, at least one")
    shape = (common["size"], common["size"], 1)

    def build():
        return build_dense_net(shape, (hidden,), seed=common["seed"] + 1, name="dense")

    start = build().get_weights()
    runs = [_Run(f"{n} images", build, n, start=start) for n in n_trains]
    return _train_runs("data size", runs, observers=observers, histories=histories,
                       models=models, settings={"hidden": hidden}, **common)


def compare_regularisers(runs: Sequence[str] = REGULARISERS, *, hidden: int = 64, n_train: int = 64,
                         n_val: int = 256, epochs: int = 40, batch_size: int = 16, learning_rate: float = 3e-4,
                         l2: float = 1e-2, dropout: float = 0.5, patience: int = 5,
                         augmentation: dict[str, float] | None = None, size: int = 32, seed: int = 0,
                         observers: Iterable[Any] = (), histories: MutableMapping[str, Any] | None = None,
                         models: MutableMapping[str, Any] | None = None) -> OverfittingComparison:
    """Train one dense net on few images with each regulariser in turn, from the same initial weights.

    What this shows: four standard ways to fight overfitting, each changing
    one thing: L2 adds ``l2 · Σ w²`` to the loss (large weights cost),
    dropout switches off a random half of the hidden nodes at every training
    step, early stopping keeps the weights of the epoch with the lowest
    validation loss, augmentation shows each epoch a flipped and shifted copy
    of the images. Everything else (weights, images, their order, the
    optimizer) is the same in every run, so the curves differ only by the
    regulariser.

    Args:
        runs: which of :data:`REGULARISERS` to train, in order.
        hidden: hidden nodes of the dense net.
        l2: the L2 factor of the "L2" run.
        dropout: the dropout rate of the "dropout" run.
        patience: epochs without a lower validation loss before the "early stopping" run stops.
        augmentation: strengths of :func:`models.data.augment` for the "augmentation" run
            (default :data:`DEFAULT_OVERFITTING_AUGMENTATION`).
        Others as :func:`compare_capacity`.
    """
    from models._arguments import ArgumentError, check_float, check_int, fail
    from models.data.augmentation import AUGMENTATIONS, augment

    common = _common(n_val, epochs, batch_size, learning_rate, size, seed)
    hidden = check_int("hidden", hidden, low=1, high=4096)
    n_train = check_int("n_train", n_train, low=2, high=4096)
    l2 = check_float("l2", l2, low=0.0, low_open=True, high=10.0)
    dropout = check_float("dropout", dropout, low=0.0, low_open=True, high=0.95)
    patience = check_int("patience", patience, low=1, high=300)
    runs = list(runs)
    unknown = [r for r in runs if r not in REGULARISERS]
    if unknown or not runs or len(set(runs)) != len(runs):
        fail("runs", runs, f"distinct names from {', '.join(REGULARISERS)}, at least one")
    strengths = dict(DEFAULT_OVERFITTING_AUGMENTATION if augmentation is None else augmentation)
    bad = set(strengths) - set(AUGMENTATIONS)
    if bad:
        raise ArgumentError(f"augmentation has unknown names {sorted(bad)}; use {', '.join(AUGMENTATIONS)}")
    augment(np.zeros((1, 8, 8, 1), np.float32), seed=0, **strengths)  # checks every strength up front
    shape, s = (common["size"], common["size"], 1), common["seed"] + 1

    def builder(**kwargs) -> Callable[[], Any]:
        return lambda: build_dense_net(shape, (hidden,), seed=s, name="dense", **kwargs)

    start = builder()().get_weights()  # dropout and L2 add no weights: one start for every run
    specs = {"none": _Run("none", builder(), n_train, start=start),
             "L2": _Run("L2", builder(l2=l2), n_train, start=start),
             "dropout": _Run("dropout", builder(dropout=dropout), n_train, start=start),
             "early stopping": _Run("early stopping", builder(), n_train, start=start, patience=patience),
             "augmentation": _Run("augmentation", builder(), n_train, start=start, augmentation=strengths)}
    settings = {"hidden": hidden, "l2": l2, "dropout": dropout, "patience": patience, "augmentation": strengths}
    return _train_runs("regularisers", [specs[r] for r in runs], observers=observers,
                       histories=histories, models=models, settings=settings, **common)


def compare_dense_conv(n_train: int = 64, *, hidden: int = 1000, filters: Sequence[int] = (8, 16), n_val: int = 256,
                       epochs: int = 20, batch_size: int = 16, learning_rate: float = 3e-4,
                       conv_learning_rate: float = 3e-3, size: int = 32,
                       seed: int = 0, observers: Iterable[Any] = (), histories: MutableMapping[str, Any] | None = None,
                       models: MutableMapping[str, Any] | None = None) -> OverfittingComparison:
    """The lecture's dense net scaled down to these images, against a small CNN, on the same images.

    What this shows: lecture 000's fully connected net (image → 1000 hidden
    nodes → 1 output) on a 32 × 32 × 1 image still has 1,026,001 parameters;
    a CNN with shared 3 × 3 kernels has a few thousand, and finds a nodule
    anywhere in the image. Parameters and validation accuracy side by side.

    Args:
        n_train: training images (the same for both).
        hidden: hidden nodes of the dense net (the lecture's 1000).
        filters: filters per stage of :func:`models.build_cnn`.
        learning_rate: the dense net's Adam step (3e-4: at 1e-3 its million weights swing from epoch to epoch).
        conv_learning_rate: the CNN's Adam step (3e-3, as on the CNN page: its batch norm takes larger steps).
        Others as :func:`compare_capacity`.
    """
    from models import build_cnn
    from models._arguments import check_float, check_int

    common = _common(n_val, epochs, batch_size, learning_rate, size, seed)
    n_train = check_int("n_train", n_train, low=2, high=4096)
    hidden = check_int("hidden", hidden, low=1, high=4096)
    filters = tuple(check_int("filters", f, low=1, high=256) for f in filters)
    conv_learning_rate = check_float("conv_learning_rate", conv_learning_rate, low=0.0, low_open=True)
    shape, s = (common["size"], common["size"], 1), common["seed"] + 1
    runs = [_Run("dense", lambda: build_dense_net(shape, (hidden,), seed=s, name="dense"), n_train),
            _Run("conv", lambda: build_cnn(shape, 2, filters=filters, seed=s, name="cnn"), n_train,
                 learning_rate=conv_learning_rate)]
    settings = {"hidden": hidden, "filters": filters,
                "learning_rates": {"dense": common["learning_rate"], "conv": conv_learning_rate}}
    return _train_runs("dense vs conv", runs, observers=observers, histories=histories, models=models,
                       settings=settings, **common)
