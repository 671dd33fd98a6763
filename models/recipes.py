"""Recipes: everything in medlens that trains a model for a lesson.

Explainers explain a model they are given; the lessons that need a model
trained a particular way (a segmentation recipe, transfer strategies, the
approximation fits, the batch-size comparison) train it here, through
:func:`models.train`, and return a frozen dataclass the explainers and pages
read. Every recipe takes ``seed=`` and never seeds a global generator: the app
serves many students from one process.
"""
from __future__ import annotations

__all__: list[str] = []

# ---- Basics: the approximation fits and the batch-size comparison
# Universal approximation (lecture 004) and full-batch vs mini-batch vs SGD (lecture 003).
import time as _time  # noqa: E402
from dataclasses import dataclass as _dataclass  # noqa: E402
from typing import Any as _Any  # noqa: E402

import numpy as _np  # noqa: E402

__all__ += ["CurveFit", "CurveFits", "fit_curve", "BatchRun", "BatchSizeComparison", "compare_batch_sizes"]


@_dataclass(frozen=True)
class CurveFit:
    """One network's fit of ``explainers.approximation.target_curve`` on [-π, π].

    Attributes:
        hidden: neurons per hidden layer; params: ``model.count_params()``.
        x, y_true, y_pred: ``(n,)`` evaluation grid, target and prediction.
        mse: mean squared error on the grid (in the target's units²).
        losses: training loss per block of 10 epochs.
    """

    hidden: tuple[int, ...]
    params: int
    x: _np.ndarray
    y_true: _np.ndarray
    y_pred: _np.ndarray
    mse: float
    losses: _np.ndarray


@_dataclass(frozen=True)
class CurveFits:
    """Several :class:`CurveFit` of the same curve, drawn together (``explainers.plot_fits``).

    Attributes:
        fits: the fits, in the order to draw and tabulate them.
        title: what the comparison varies (e.g. "Width N, one hidden layer").
    """

    fits: tuple[CurveFit, ...]
    title: str = ""


def fit_curve(hidden: tuple[int, ...] = (8,), *, activation: str = "tanh", epochs: int = 300,
              n_points: int = 256, learning_rate: float = 0.01, seed: int = 0) -> CurveFit:
    """Train an MLP (``models.build_mlp``, linear output) to fit 5 cos x + 7 cos 2x + cos 4x.

    What this shows: one hidden layer of N neurons bends its output more often
    as N grows (the universal approximation theorem, lecture 003/004).

    Inputs are scaled to [-1, 1] and the target divided by 13 (its largest
    value) for training; predictions and the MSE are in the original units.
    The starting weights and the order of the samples come from ``seed``: the
    same settings give the same fit in any session.
    """
    import keras

    from explainers.approximation import target_curve
    from models._arguments import check_int, fail
    from models.mlp import build_mlp
    from models.training import train

    hidden = tuple(hidden)
    if not hidden:
        fail("hidden", hidden, "one or more positive layer widths, e.g. (8,)")
    hidden = tuple(check_int("hidden", h, low=1) for h in hidden)
    epochs = check_int("epochs", epochs, low=1, high=20_000)
    n_points = check_int("n_points", n_points, low=2)
    seed = check_int("seed", seed, low=0)
    x = _np.linspace(-_np.pi, _np.pi, n_points)
    y = target_curve(x)
    xs = (x / _np.pi).astype(_np.float32)[:, None]
    ys = (y / 13.0).astype(_np.float32)[:, None]
    model = build_mlp(1, hidden, activation=activation, output_activation=None, name="approx", seed=seed)
    # Keras' per-epoch overhead dwarfs an epoch of 256 points, so each fit() epoch
    # holds `reps` passes over the data, each in its own order drawn from `seed`
    # (not Keras' shuffle, which reads the global generator), run as few compiled calls.
    reps = 10 if epochs >= 10 else 1
    rng = _np.random.default_rng(seed)
    order = _np.concatenate([rng.permutation(n_points) for _ in range(reps)])
    hist = train(model, xs[order], ys[order], epochs=max(epochs // reps, 1), batch_size=32,
                 learning_rate=learning_rate, loss="mse", metrics=[], steps_per_execution=16, shuffle=False)
    pred = _np.asarray(keras.ops.convert_to_numpy(model(xs, training=False)), dtype=_np.float64).ravel() * 13.0
    return CurveFit(hidden, int(model.count_params()), x, y, pred, float(_np.mean((pred - y) ** 2)),
                    _np.asarray(hist.history.get("loss", []), dtype=_np.float64))


@_dataclass(frozen=True)
class BatchRun:
    """One batch size: the training-set loss after every update, and timings.

    Attributes:
        label: "full batch", "mini-batch (32)", "SGD (1)".
        batch_size: samples per update.
        epochs_at: ``(k,)`` the epoch (fractional) of each update.
        losses: ``(k,)`` loss on the whole training set after each update.
        epoch_losses: ``(epochs,)`` loss after each epoch.
        seconds: NumPy wall time of the run.
        keras_seconds_per_epoch: wall time of one ``model.fit`` epoch at this batch
            size (NaN when not measured): per-update overhead makes small batches slow.
    """

    label: str
    batch_size: int
    epochs_at: _np.ndarray
    losses: _np.ndarray
    epoch_losses: _np.ndarray
    seconds: float
    keras_seconds_per_epoch: float


@_dataclass(frozen=True)
class BatchSizeComparison:
    """The same logistic neuron trained with several batch sizes (``explainers.plot_batch_runs`` draws it).

    Attributes:
        runs: one :class:`BatchRun` per batch size, in the order asked.
        learning_rate, epochs: the settings shared by every run.
        keras_timed: whether ``keras_seconds_per_epoch`` was measured.
    """

    runs: tuple[BatchRun, ...]
    learning_rate: float
    epochs: int
    keras_timed: bool


def _bce(w: _np.ndarray, b: float, x: _np.ndarray, y: _np.ndarray) -> float:
    z = x @ w + b
    return float(_np.mean(_np.logaddexp(0, z) - y * z))


def compare_batch_sizes(x: _Any, y: _Any, batch_sizes: tuple[int, ...] = (0, 32, 1), *, epochs: int = 5,
                        learning_rate: float = 0.1, seed: int = 0, keras_timing: bool = False) -> BatchSizeComparison:
    """Full-batch vs mini-batch vs stochastic gradient descent on one logistic neuron.

    What this shows: with the same α and epochs, full batch gives a smooth loss
    but one update per epoch; SGD gives n noisy updates per epoch.

    The updates are plain NumPy (so the loss on the whole set can be recorded
    after every single update); with ``keras_timing`` each batch size is also
    timed for one epoch of a real Keras ``fit``.

    Args:
        x: ``(n, p)`` standardised features; y: ``(n,)`` labels in {0, 1}.
        batch_sizes: samples per update; 0 means the full batch.
        epochs: passes over the data.
        learning_rate: α.
        seed: shuffling seed (the same for every batch size).
        keras_timing: also time one ``model.fit`` epoch per batch size.
    """
    from models._arguments import check_array, check_float, check_int, fail

    x = check_array("x", x, ndim=2, dtype="float64", min_size=2)
    y = check_array("y", y, dtype="float64").ravel()
    if len(x) != len(y) or len(x) < 2:
        fail("y", y, f"one label per row of x ({len(x)}, at least 2)", f"got shape {y.shape}")
    epochs = check_int("epochs", epochs, low=1)
    learning_rate = check_float("learning_rate", learning_rate, low=0.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    sizes = [check_int("batch_sizes", bs, low=0) for bs in batch_sizes]  # 0 = full batch
    n = len(x)
    runs = []
    for bs in sizes:
        size = n if bs == 0 or bs >= n else bs
        label = "full batch" if size == n else ("SGD (1)" if size == 1 else f"mini-batch ({size})")
        rng = _np.random.default_rng(seed)
        w, b = _np.zeros(x.shape[1]), 0.0
        at, losses, epoch_losses = [], [], []
        t0 = _time.perf_counter()
        for epoch in range(epochs):
            order = rng.permutation(n)
            starts = range(0, n, size)
            for k, s0 in enumerate(starts):
                idx = order[s0:s0 + size]
                p = 0.5 * (1 + _np.tanh(0.5 * (x[idx] @ w + b)))
                err = p - y[idx]
                w = w - learning_rate * (x[idx].T @ err) / len(idx)
                b = b - learning_rate * float(err.mean())
                at.append(epoch + (k + 1) / len(starts))
                losses.append(_bce(w, b, x, y))
            epoch_losses.append(losses[-1])
        seconds = _time.perf_counter() - t0
        keras_s = _keras_epoch_time(x, y, size, learning_rate) if keras_timing else float("nan")
        runs.append(BatchRun(label, size, _np.array(at), _np.array(losses), _np.array(epoch_losses), seconds, keras_s))
    return BatchSizeComparison(tuple(runs), learning_rate, epochs, bool(keras_timing))


def _keras_epoch_time(x: _np.ndarray, y: _np.ndarray, batch_size: int, learning_rate: float) -> float:
    import keras

    from models.mlp import build_logistic_neuron

    model = build_logistic_neuron(x.shape[1])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="binary_crossentropy")
    xf, yf = x.astype(_np.float32), y.astype(_np.float32)
    model.fit(xf[:batch_size], yf[:batch_size], batch_size=batch_size, epochs=1, verbose=0)  # compile/trace once
    t0 = _time.perf_counter()
    model.fit(xf, yf, batch_size=batch_size, epochs=1, verbose=0, shuffle=True)
    return _time.perf_counter() - t0


# ---- Transfer learning: the four strategies
# Pretrain the course CNN on a source task, fine-tune it on a few lesion images four
# ways (lectures 001 and 002); explainers.transfer_plots.plot_transfer draws the result.
from dataclasses import dataclass as _tl_dataclass  # noqa: E402
from typing import Any as _TlAny  # noqa: E402

import numpy as _tl_np  # noqa: E402

__all__ += ["TRANSFER_STRATEGIES", "TRANSFER_SOURCES", "TransferResult", "compare_transfer_strategies"]

TRANSFER_STRATEGIES = ("scratch", "head only", "freeze first stage", "fine-tune all")
TRANSFER_SOURCES = ("spots", "shapes", "digits")


@_tl_dataclass(frozen=True)
class TransferResult:
    """Learning curves on the target task, one per strategy.

    What this shows: with only a few labelled lesion images, a CNN trained from
    scratch stays near chance, while one whose conv filters were pretrained on
    a related image task (small bright spots on other backgrounds) is accurate
    after an epoch or two; the strategies differ in how many parameters train:
    only the head, all but the first stage, or everything. An unrelated source
    (shapes, digits) helps much less.
    """

    strategies: tuple[str, ...]
    trainable: dict          # strategy -> trainable parameter count
    total: int               # parameters of the target model
    val_accuracy: dict       # strategy -> (epochs,) validation accuracy
    val_loss: dict           # strategy -> (epochs,) validation loss
    source_accuracy: float   # accuracy of the pretrained model on its own task (training data)
    n_target: int
    source: str = "spots"


def _freeze(model: _TlAny, strategy: str, head_names: tuple[str, ...]) -> None:
    import keras

    from explainers._layers import is_conv

    convs = [i for i, layer in enumerate(model.layers) if is_conv(layer)]
    last_conv = convs[-1] if convs else len(model.layers)
    for i, layer in enumerate(model.layers):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if strategy == "head only":
            layer.trainable = layer.name in head_names
        elif strategy == "freeze first stage":
            # Keep the early stages (edge detectors) fixed; adapt the last conv stage and the head.
            layer.trainable = i >= last_conv
        else:
            layer.trainable = True


def _linear_probe(model: _TlAny, head: _TlAny, x: _tl_np.ndarray, y: _tl_np.ndarray) -> list[_tl_np.ndarray]:
    """Weights for a new one-unit sigmoid head: logistic regression on the frozen features of x.

    A zero or random head on large, all-positive pretrained features needs many
    steps to find both the direction and the offset; with a few images and a few
    epochs it often ends predicting one class for everything. Fitting the head
    first (a linear probe, then fine-tuning: "LP-FT", Kumar et al., 2022) starts
    every strategy from the best linear read-out of the pretrained features.
    """
    import keras
    from sklearn.linear_model import LogisticRegression

    features = keras.Model(model.inputs, head.input)
    f = _tl_np.asarray(features.predict(x, verbose=0), dtype=_tl_np.float64)
    kernel, bias = head.get_weights()
    if kernel.shape[1] != 1 or len(_tl_np.unique(y)) < 2:
        return [_tl_np.zeros_like(kernel), _tl_np.zeros_like(bias)]
    scale = f.std(axis=0) + 1e-6  # standardise for the solver, then fold the scale back into the weights
    centre = f.mean(axis=0)
    probe = LogisticRegression(C=1.0, max_iter=1000).fit((f - centre) / scale, y)
    w = probe.coef_[0] / scale
    b = probe.intercept_[0] - float(w @ centre)
    return [w[:, None].astype(kernel.dtype), _tl_np.array([b], dtype=bias.dtype)]


def _train_epochs(model: _TlAny, x: _tl_np.ndarray, y: _tl_np.ndarray, epochs: int, rng: _tl_np.random.Generator,
                  **kwargs: _TlAny) -> _TlAny:
    """``models.train`` one epoch at a time on an order drawn from ``rng``: the same seed gives the
    same run in any session (Keras' own shuffle reads the global generator)."""
    from models.training import train

    history = None
    for _ in range(epochs):
        order = rng.permutation(len(x))
        history = train(model, x[order], y[order], epochs=1, shuffle=False, history=history, **kwargs)
    return history


def compare_transfer_strategies(n_target: int = 48, *, source: str = "spots", pretrain_epochs: int = 4,
                                finetune_epochs: int = 8, n_source: int = 800, n_val: int = 96,
                                filters: tuple[int, ...] = (16, 32), learning_rate: float = 3e-3, seed: int = 0,
                                observer: _TlAny = None) -> TransferResult:
    """Pretrain :func:`models.build_cnn` on a source task, fine-tune on ``n_target`` lesion images four ways.

    What this shows: transfer learning with few images: training from scratch,
    the head only, all but the first conv stage, and everything (at a tenth of
    the step), each from the same start, on the same images.

    Args:
        n_target: labelled lesion images for fine-tuning (few: 16 to 384).
        source: the pretraining task: ``"spots"`` (:func:`models.data.make_spots_task`, related),
            ``"shapes"`` (:func:`models.data.make_shapes_task`) or ``"digits"``
            (:func:`models.data.make_digits_task`), both less related.
        pretrain_epochs, finetune_epochs: epochs on the source and on the target task.
        n_source: source images used for pretraining.
        n_val: lesion images for the validation curves.
        filters: conv filters per stage of the CNN.
        learning_rate: Adam's step for pretraining and the head; fine-tune all uses a tenth.
        seed: seeds the data, the starting weights and the order of the samples (no global state).
        observer: optional training observer (e.g. a progress bar) passed to every run.
    """
    import keras

    from models import build_cnn
    from models._arguments import check_choice, check_int
    from models.data import make_digits_task, make_lesions, make_shapes_task, make_spots_task

    n_target = check_int("n_target", n_target, low=4)
    pretrain_epochs = check_int("pretrain_epochs", pretrain_epochs, low=0)
    finetune_epochs = check_int("finetune_epochs", finetune_epochs, low=1)
    n_source = check_int("n_source", n_source, low=10)
    n_val = check_int("n_val", n_val, low=4)
    seed = check_int("seed", seed, low=0)
    check_choice("source", source, TRANSFER_SOURCES)
    tasks = {"spots": make_spots_task, "shapes": make_shapes_task, "digits": make_digits_task}
    obs = [observer] if observer is not None else []
    rng = _tl_np.random.default_rng(seed)
    xs, ys = tasks[source](n_source, 64, seed=seed)
    pretrained = build_cnn((64, 64, 1), int(ys.max()) + 1, filters=filters, seed=seed, name="cnn")
    hist = _train_epochs(pretrained, xs, ys, pretrain_epochs, rng, learning_rate=learning_rate, observers=obs)
    source_acc = float(hist.history.get("accuracy", [_tl_np.nan])[-1]) if hist is not None and len(hist) \
        else float("nan")
    x, y, _, _ = make_lesions(n_target + n_val, 64, seed=seed + 1)
    xt, yt, xv, yv = x[:n_target], y[:n_target], x[n_target:], y[n_target:]
    head_names = ("cnn_dense", "cnn_output")
    trainable, accs, losses, total = {}, {}, {}, 0
    for strategy in TRANSFER_STRATEGIES:
        model = build_cnn((64, 64, 1), 2, filters=filters, seed=seed + 7, name="cnn")  # one start for all four
        if strategy != "scratch":
            for layer in model.layers:
                if layer.name != "cnn_output" and layer.weights:
                    layer.set_weights(pretrained.get_layer(layer.name).get_weights())
            # The new output layer starts as a linear probe of the pretrained features: random or
            # zero weights on large, all-positive features end, after a few steps on a few images,
            # predicting one class for everything (seeds 1-3: 0.43-0.57), which measures the head's
            # start, not the features (with the probe: head only 0.83-0.93 on seeds 0-3).
            head = model.get_layer("cnn_output")
            head.set_weights(_linear_probe(model, head, xt, yt))
        _freeze(model, strategy, head_names)
        lr = learning_rate / 10 if strategy == "fine-tune all" else learning_rate
        model.compile(optimizer=keras.optimizers.Adam(lr), loss="binary_crossentropy", metrics=["accuracy"])
        trainable[strategy] = int(sum(_tl_np.prod(w.shape) for w in model.trainable_weights))
        total = int(model.count_params())
        h = _train_epochs(model, xt, yt, finetune_epochs, _tl_np.random.default_rng(seed + 7), batch_size=16,
                          validation_data=(xv, yv), observers=obs)
        accs[strategy] = _tl_np.asarray(h.history.get("val_accuracy", []), dtype=float)
        losses[strategy] = _tl_np.asarray(h.history.get("val_loss", []), dtype=float)
    return TransferResult(TRANSFER_STRATEGIES, trainable, total, accs, losses, source_acc, n_target, source)



# ---- Segmentation: the default recipe and the skip-connection comparison
# The U-Net lesson's training run (the page's defaults) and the same U-Net
# trained with and without skips. What the runs show is measured by
# explainers.segmentation (SegmentationMonitor, compute_skip_comparison).
from dataclasses import dataclass as _seg_dataclass  # noqa: E402
from typing import TYPE_CHECKING as _SEG_TYPE_CHECKING  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from typing import Any as _SegAny  # noqa: E402

if _SEG_TYPE_CHECKING:
    import keras
    import numpy as np

    from explainers.segmentation import SegmentationMonitor, SkipComparison
    from models.training import TrainingHistory

SEGMENTATION_LOSSES = ("bce_dice", "dice", "bce")


@_seg_dataclass(frozen=True)
class SegmentationRecipe:
    """Everything that decides the default U-Net run (the segmentation page's defaults)."""

    depth: int = 2
    base_filters: int = 8
    loss: str = "bce_dice"  # "bce", "dice" or "bce_dice"
    learning_rate: float = 0.005
    epochs: int = 5
    batch_size: int = 16
    n_train: int = 256
    n_val: int = 64
    size: int = 64
    skip_connections: bool = True
    seed: int = 0  # the data's and the starting weights' seed


DEFAULT_SEGMENTATION_RECIPE = SegmentationRecipe()


@_seg_dataclass(frozen=True)
class SegmentationData:
    """Synthetic lesion images and masks for a recipe: (N, size, size, 1) each."""

    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


@_seg_dataclass(frozen=True)
class SegmentationRun:
    """A trained segmentation model, its training history and the monitor that followed it."""

    model: keras.Model
    history: TrainingHistory
    monitor: SegmentationMonitor  # validation Dice/IoU per epoch, the last predictions


def segmentation_loss(name: str) -> _SegAny:
    """The Keras loss for a name in :data:`SEGMENTATION_LOSSES`."""
    from models._arguments import check_choice
    from models.losses import bce_dice_loss, dice_loss

    check_choice("loss", name, SEGMENTATION_LOSSES)
    return {"bce_dice": bce_dice_loss, "dice": dice_loss, "bce": "binary_crossentropy"}[name]


def segmentation_data(recipe: SegmentationRecipe = DEFAULT_SEGMENTATION_RECIPE) -> SegmentationData:
    """The recipe's images from ``models.data.make_segmentation`` (validation with another seed)."""
    from models.data import make_segmentation

    x, y = make_segmentation(recipe.n_train, recipe.size, seed=recipe.seed)
    x_val, y_val = make_segmentation(recipe.n_val, recipe.size, seed=recipe.seed + 1000)
    return SegmentationData(x, y, x_val, y_val)


def build_segmentation_model(recipe: SegmentationRecipe = DEFAULT_SEGMENTATION_RECIPE) -> keras.Model:
    """The recipe's U-Net, its starting weights fixed by ``recipe.seed`` (no global seed)."""
    from models import build_unet

    return build_unet((recipe.size, recipe.size, 1), depth=recipe.depth, base_filters=recipe.base_filters,
                      skip_connections=recipe.skip_connections, seed=recipe.seed)


def train_segmentation(recipe: SegmentationRecipe = DEFAULT_SEGMENTATION_RECIPE, *, model: keras.Model | None = None,
                       observers: Sequence[_SegAny] = (), data: SegmentationData | None = None,
                       history: TrainingHistory | None = None,
                       monitor: SegmentationMonitor | None = None) -> SegmentationRun:
    """Train the recipe's U-Net (or ``model``), followed by a :class:`SegmentationMonitor`.

    The default recipe (depth 2, 8 base filters, BCE + Dice, Adam 0.005, batch 16,
    5 epochs on 256 images of 64×64) reaches a validation Dice of 0.94-0.95 for
    seeds 0-3 (≥ 0.9 from epoch 4 or 5) in about 25 s of CPU time.

    Args:
        recipe: the settings.
        model: a model to train instead of a new one (a compiled model continues
            its run: same optimizer state, no recompilation).
        observers: more observers for :func:`models.train`.
        data: the images (default: :func:`segmentation_data` of the recipe).
        history: a :class:`models.training.TrainingHistory` to extend.
        monitor: a :class:`explainers.segmentation.SegmentationMonitor` to extend
            (default: a new one on the recipe's validation images).
    """
    from explainers.segmentation import SegmentationMonitor
    from models.losses import dice_coefficient
    from models.training import train

    data = segmentation_data(recipe) if data is None else data
    model = build_segmentation_model(recipe) if model is None else model
    monitor = SegmentationMonitor(data.x_val, data.y_val) if monitor is None else monitor
    # a compiled model keeps its optimizer state and traced step: continue it, don't recompile
    compiled = getattr(model, "compiled", False)
    history = train(model, data.x, data.y, epochs=recipe.epochs, batch_size=recipe.batch_size,
                    validation_data=(data.x_val, data.y_val), learning_rate=recipe.learning_rate,
                    loss=None if compiled else segmentation_loss(recipe.loss),
                    metrics=None if compiled else [dice_coefficient], observers=[monitor, *observers],
                    history=history)
    return SegmentationRun(model, history, monitor)


def compare_skip_connections(recipe: SegmentationRecipe = DEFAULT_SEGMENTATION_RECIPE, *,
                             show: int = 0) -> SkipComparison:
    """Train the recipe's U-Net with and without skips on the same data; compare them.

    What this shows: without the skips the decoder must rebuild the edges from
    the coarse bottleneck alone, so the mask comes out blurred and blobby.

    Returns:
        An :class:`explainers.segmentation.SkipComparison` (Dice, IoU, boundary
        sharpness, parameters and one image's probability maps of both models).
    """
    from dataclasses import replace

    from explainers.segmentation import compute_skip_comparison

    data = segmentation_data(recipe)
    models = [train_segmentation(replace(recipe, skip_connections=skips), data=data).model
              for skips in (True, False)]
    return compute_skip_comparison(models, data.x_val, data.y_val, names=("with skips", "without skips"),
                                   show=show)


__all__ += [
    "SEGMENTATION_LOSSES", "SegmentationRecipe", "DEFAULT_SEGMENTATION_RECIPE", "SegmentationData",
    "SegmentationRun", "segmentation_loss", "segmentation_data", "build_segmentation_model",
    "train_segmentation", "compare_skip_connections",
]
