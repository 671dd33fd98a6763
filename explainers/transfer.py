"""Transfer learning (lectures 001 and 002): reuse filters learned on a source task.

What this shows: with only a few labelled lesion images, a CNN trained from
scratch stays at chance, while one whose conv filters were pretrained on a
related image task (finding small bright spots on other backgrounds) is
accurate after an epoch or two; the three strategies differ in how many
parameters are trained: only the head, all but the first layers, or
everything. An unrelated source (shapes, digits) helps much less: transfer
works when the source features are the ones the target needs.

Compute only: returns learning curves and trainable-parameter counts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STRATEGIES = ("scratch", "head only", "freeze first stage", "fine-tune all")


@dataclass(frozen=True)
class TransferResult:
    """Learning curves on the target task, one per strategy."""

    strategies: tuple[str, ...]
    trainable: dict          # strategy -> trainable parameter count
    total: int               # parameters of the target model
    val_accuracy: dict       # strategy -> (epochs,) validation accuracy
    val_loss: dict           # strategy -> (epochs,) validation loss
    source_accuracy: float   # accuracy of the pretrained model on its own task (training data)
    n_target: int
    source: str = "spots"


def digits_task(n: int = 600, size: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Digits (scikit-learn, 8×8) blown up to ``size``×``size`` and shifted: a 10-class source task."""
    from models.data import load_digits

    x, y = load_digits()
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(x))[:n]
    scale = size // 16
    big = np.kron(x[idx, :, :, 0], np.ones((scale, scale), dtype="float32"))  # (n, 8s, 8s)
    out = np.zeros((len(idx), size, size, 1), dtype="float32")
    side = big.shape[1]
    for i, img in enumerate(big):
        r, c = rng.integers(0, size - side + 1, size=2)
        out[i, r: r + side, c: c + side, 0] = img
    return out, y[idx]


SOURCES = ("spots", "shapes", "digits")
SHAPES = ("disc", "square", "horizontal bar", "vertical bar")


def shapes_task(n: int = 800, size: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic 4-class source task: a bright disc, square or bar at a random place on noise.

    Its useful features (bright-blob and edge detectors that fire anywhere) are
    what a nodule detector needs too, but no lesion image is ever seen.
    """
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[:size, :size]
    x = (0.3 + 0.1 * rng.standard_normal((n, size, size))).astype("float32")
    y = rng.integers(0, len(SHAPES), n)
    for i in range(n):
        r = rng.uniform(3, size / 8)
        cr, cx = rng.uniform(r + 2, size - r - 2, size=2)
        if y[i] == 0:
            mask = (rr - cr) ** 2 + (cc - cx) ** 2 <= r * r
        elif y[i] == 1:
            mask = (np.abs(rr - cr) <= r) & (np.abs(cc - cx) <= r)
        elif y[i] == 2:
            mask = (np.abs(rr - cr) <= max(r / 3, 1)) & (np.abs(cc - cx) <= 2 * r)
        else:
            mask = (np.abs(rr - cr) <= 2 * r) & (np.abs(cc - cx) <= max(r / 3, 1))
        x[i][mask] += rng.uniform(0.3, 0.6)
    return np.clip(x, 0, 1)[..., None], y.astype("int64")


def spots_task(n: int = 800, size: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic 2-class source task: is there a small bright spot on a cluttered background?

    Backgrounds are random large ellipses, brighter or darker than their
    surroundings, with sharp or soft edges (like cells, organs or tissue in
    other kinds of images); half of the images get one small Gaussian spot.
    A CNN that solves it has learned spot detectors that ignore large bright
    structures, which is what a nodule detector needs, without ever seeing a
    chest image.
    """
    rng = np.random.default_rng(seed)
    g = np.arange(size, dtype=np.float32)
    x = np.empty((n, size, size), np.float32)
    y = rng.integers(0, 2, n)
    for i in range(n):
        img = np.full((size, size), rng.uniform(0.05, 0.4), np.float32)
        for _ in range(rng.integers(2, 6)):
            cy, cx = rng.uniform(0, size, 2)
            sy, sx = rng.uniform(size / 10, size / 2, 2)
            e = ((g[:, None] - cy) / sy) ** 2 + ((g[None] - cx) / sx) ** 2
            edge = np.clip(rng.uniform(2, 12) * (1 - e), -30, 30)
            img += rng.uniform(-0.3, 0.4) / (1 + np.exp(-edge))
        if y[i]:
            r = rng.uniform(size / 16, size / 8) * 0.6  # the lesion set's nodule sizes
            cy, cx = rng.uniform(r + 2, size - r - 2, 2)
            img += rng.uniform(0.3, 0.5) * np.exp(-0.5 * ((g[:, None] - cy) ** 2 + (g[None] - cx) ** 2) / r**2)
        x[i] = img + rng.normal(0, 0.03, (size, size))
    return np.clip(x, 0, 1)[..., None], y.astype("int64")


_TASKS = {"spots": spots_task, "shapes": shapes_task, "digits": digits_task}


def _freeze(model, strategy: str, head_names: tuple[str, ...]) -> None:
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


def _linear_probe(model, head, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
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


def compute_transfer(n_target: int = 48, *, source: str = "spots", pretrain_epochs: int = 4,
                     finetune_epochs: int = 8, n_source: int = 800, n_val: int = 96, filters: tuple[int, ...] = (16, 32),
                     learning_rate: float = 3e-3, seed: int = 0, observer=None) -> TransferResult:
    """Pretrain :func:`models.build_cnn` on a source task, fine-tune on ``n_target`` lesion images four ways.

    Args:
        n_target: labelled lesion images for fine-tuning (few: 16 to 384).
        source: the pretraining task: ``"spots"`` (:func:`spots_task`, related), ``"shapes"``
            (:func:`shapes_task`) or ``"digits"`` (:func:`digits_task`), both less related.
        pretrain_epochs, finetune_epochs: epochs on the source and on the target task.
        n_source: source images used for pretraining.
        n_val: lesion images for the validation curves.
        filters: conv filters per stage of the CNN.
        learning_rate: Adam's step for pretraining and the head; fine-tune all uses a tenth.
        seed: seeds data and weights.
        observer: optional training observer (e.g. a progress bar) passed to every run.
    """
    import keras

    from models import build_cnn
    from models.data import make_lesions
    from models.training import train

    for name, v, lo in (("n_target", n_target, 4), ("pretrain_epochs", pretrain_epochs, 0),
                        ("finetune_epochs", finetune_epochs, 1), ("n_source", n_source, 10), ("n_val", n_val, 4)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    obs = [observer] if observer is not None else []
    xs, ys = _TASKS[source](n_source, 64, seed)
    keras.utils.set_random_seed(seed)
    pretrained = build_cnn((64, 64, 1), int(ys.max()) + 1, filters=filters, name="cnn")
    hist = train(pretrained, xs, ys, epochs=int(pretrain_epochs), learning_rate=learning_rate, observers=obs) \
        if pretrain_epochs else None
    source_acc = float(hist.history.get("accuracy", [np.nan])[-1]) if hist is not None and len(hist) else float("nan")
    x, y, _, _ = make_lesions(int(n_target) + int(n_val), 64, seed=seed + 1)
    xt, yt, xv, yv = x[:n_target], y[:n_target], x[n_target:], y[n_target:]
    head_names = ("cnn_dense", "cnn_output")
    trainable, accs, losses, total = {}, {}, {}, 0
    for strategy in STRATEGIES:
        keras.utils.set_random_seed(seed + 7)
        model = build_cnn((64, 64, 1), 2, filters=filters, name="cnn")
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
        trainable[strategy] = int(sum(np.prod(w.shape) for w in model.trainable_weights))
        total = int(model.count_params())
        h = train(model, xt, yt, epochs=int(finetune_epochs), batch_size=16, validation_data=(xv, yv), observers=obs)
        accs[strategy] = np.asarray(h.history.get("val_accuracy", []), dtype=float)
        losses[strategy] = np.asarray(h.history.get("val_loss", []), dtype=float)
    return TransferResult(STRATEGIES, trainable, total, accs, losses, source_acc, int(n_target), source)
