"""Transfer-learning recipe: lecture 002's three strategies against training from scratch.

Pretrain the course CNN on a source task, then fine-tune it on a few lesion images the
three ways of lecture 002's table "Parameter tuning and transfer learning":

    Small   Freezes all layers, trains weights on softmax                 -> "head only"
    Medium  Freezes most layers, trains weights on last layers and softmax -> "freeze most"
    Large   Trains weights on layers and softmax by initializing weights
            on pre-trained ones                                            -> "fine-tune all"

and from scratch (lectures 001 and 002); explainers.transfer_plots.plot_transfer draws the result.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["TRANSFER_STRATEGIES", "TRANSFER_RULE", "TRANSFER_SOURCES", "TransferResult", "compare_transfer_strategies",
           "freeze_for_strategy"]


TRANSFER_STRATEGIES = ("scratch", "head only", "freeze most", "fine-tune all")
# Lecture 002's table, word for word: the training-set size each strategy is for.
TRANSFER_RULE = {
    "head only": ("Small", "Freezes all layers, trains weights on softmax"),
    "freeze most": ("Medium", "Freezes most layers, trains weights on last layers and softmax"),
    "fine-tune all": ("Large", "Trains weights on layers and softmax by initializing weights on pre-trained ones"),
}
OUTPUT_LAYER = "cnn_output"  # the classifier's output layer (the lecture's "softmax"; a sigmoid for 2 classes)
LAST_LAYERS = ("cnn_dense", OUTPUT_LAYER)  # what "freeze most" trains: the dense layer before it and the output
TRANSFER_SOURCES = ("spots", "shapes", "digits")


@dataclass(frozen=True)
class TransferResult:
    """Learning curves on the target task, one per strategy.

    What this shows: with only a few labelled lesion images, a CNN trained from
    scratch stays near chance, while one whose conv filters were pretrained on
    a related image task (small bright spots on other backgrounds) is accurate
    after an epoch or two; the strategies differ in how many parameters train:
    only the output layer (lecture 002's small data), the dense layer and the
    output (medium), or everything (large). An unrelated source (shapes,
    digits) helps much less.
    """

    strategies: tuple[str, ...]
    trainable: dict          # strategy -> trainable parameter count
    total: int               # parameters of the target model
    val_accuracy: dict       # strategy -> (epochs,) validation accuracy
    val_loss: dict           # strategy -> (epochs,) validation loss
    source_accuracy: float   # accuracy of the pretrained model on its own task (training data)
    n_target: int
    source: str = "spots"


def freeze_for_strategy(model: Any, strategy: str) -> None:
    """Set ``layer.trainable`` on a :func:`models.build_cnn` model for one of lecture 002's strategies.

    "head only" trains the output layer only (the lecture's "freezes all layers, trains weights on
    softmax"); "freeze most" also trains the dense layer before it ("trains weights on last layers
    and softmax") and keeps every convolution and batch norm fixed; "fine-tune all" and "scratch"
    train everything.
    """
    import keras

    from models._arguments import check_choice

    check_choice("strategy", strategy, TRANSFER_STRATEGIES)
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if strategy == "head only":
            layer.trainable = layer.name == OUTPUT_LAYER
        elif strategy == "freeze most":
            layer.trainable = layer.name in LAST_LAYERS
        else:
            layer.trainable = True


def _linear_probe(model: Any, head: Any, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
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
    f = np.asarray(features.predict(x, verbose=0), dtype=np.float64)
    kernel, bias = head.get_weights()
    if kernel.shape[1] != 1 or len(np.unique(y)) < 2:
        return [np.zeros_like(kernel), np.zeros_like(bias)]
    scale = f.std(axis=0) + 1e-6  # standardise for the solver, then fold the scale back into the weights
    centre = f.mean(axis=0)
    probe = LogisticRegression(C=1.0, max_iter=1000).fit((f - centre) / scale, y)
    w = probe.coef_[0] / scale
    b = probe.intercept_[0] - float(w @ centre)
    return [w[:, None].astype(kernel.dtype), np.array([b], dtype=bias.dtype)]


def _train_epochs(model: Any, x: np.ndarray, y: np.ndarray, epochs: int, rng: np.random.Generator,
                  **kwargs: Any) -> Any:
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
                                observer: Any = None) -> TransferResult:
    """Pretrain :func:`models.build_cnn` on a source task, fine-tune on ``n_target`` lesion images four ways.

    What this shows: transfer learning with few images, lecture 002's three
    strategies against training from scratch: the output layer only (small
    data), the dense layer and the output (medium), and everything at a tenth
    of the step (large), each from the same start, on the same images.

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
    rng = np.random.default_rng(seed)
    xs, ys = tasks[source](n_source, 64, seed=seed)
    pretrained = build_cnn((64, 64, 1), int(ys.max()) + 1, filters=filters, seed=seed, name="cnn")
    hist = _train_epochs(pretrained, xs, ys, pretrain_epochs, rng, learning_rate=learning_rate, observers=obs)
    source_acc = float(hist.history.get("accuracy", [np.nan])[-1]) if hist is not None and len(hist) \
        else float("nan")
    x, y, _, _ = make_lesions(n_target + n_val, 64, seed=seed + 1)
    xt, yt, xv, yv = x[:n_target], y[:n_target], x[n_target:], y[n_target:]
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
        freeze_for_strategy(model, strategy)
        lr = learning_rate / 10 if strategy == "fine-tune all" else learning_rate
        model.compile(optimizer=keras.optimizers.Adam(lr), loss="binary_crossentropy", metrics=["accuracy"])
        trainable[strategy] = int(sum(np.prod(w.shape) for w in model.trainable_weights))
        total = int(model.count_params())
        h = _train_epochs(model, xt, yt, finetune_epochs, np.random.default_rng(seed + 7), batch_size=16,
                          validation_data=(xv, yv), observers=obs)
        accs[strategy] = np.asarray(h.history.get("val_accuracy", []), dtype=float)
        losses[strategy] = np.asarray(h.history.get("val_loss", []), dtype=float)
    return TransferResult(TRANSFER_STRATEGIES, trainable, total, accs, losses, source_acc, n_target, source)
