"""Cross-entropy (lecture 002): the formulas term by term, softmax with a temperature, pixel-wise, saturation.

What this shows: cross-entropy charges −log of the probability the model gave
the true class, so a confident wrong answer costs much more than an unsure
one; softmax turns scores into probabilities (a temperature sharpens or
flattens them); a segmentation loss is the same per pixel, averaged over the
mask; and with a sigmoid output its gradient dL/dz = σ − y never vanishes where
squared error's (σ − y)·σ(1 − σ) does.

Compute only (NumPy); drawing lives in :mod:`explainers.cross_entropy_plots`.
Probabilities are clipped to [1e-7, 1 − 1e-7] before the log, as Keras does,
so a probability of exactly 0 costs −ln 1e-7 ≈ 16.1, not infinity.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers.segmentation import LECTURE_PREDICTION, LECTURE_TARGET
from models._arguments import ArgumentError, check_array, check_float, check_int, fail

__all__ = [
    "CLIP_EPSILON", "tempered_softmax", "CATEGORICAL_CLASSES", "CATEGORICAL_LOGITS", "CATEGORICAL_TARGETS",
    "BINARY_TARGETS", "BINARY_PROBABILITIES",
    "CrossEntropyTerms", "compute_categorical_cross_entropy", "compute_binary_cross_entropy",
    "SoftmaxTemperature", "compute_softmax_temperature",
    "PixelCrossEntropy", "compute_pixel_cross_entropy",
    "SaturationGradients", "compute_saturation_gradients",
]

#: Keras' clipping of probabilities before the log (``keras.config.epsilon()``).
CLIP_EPSILON = 1e-7

#: A handful of three-class examples (a lesion is normal, benign or malignant), given as scores s (logits).
CATEGORICAL_CLASSES = ("normal", "benign", "malignant")
CATEGORICAL_LOGITS = np.array([
    [4.0, 1.0, 0.0],   # confident and right (truly normal)
    [1.0, 1.5, 0.5],   # unsure and right (truly benign)
    [0.5, 1.0, 3.0],   # confident and right (truly malignant)
    [3.0, 0.5, 0.0],   # confident and wrong (truly malignant, called normal)
    [0.0, 0.0, 0.0],   # no idea: 1/3 each, a loss of ln 3
])
CATEGORICAL_TARGETS = np.array([0, 1, 2, 2, 1])
#: A handful of binary examples (t = 1: lesion present), given as the sigmoid's output f(s) = p.
BINARY_TARGETS = np.array([1, 1, 0, 0, 1])
BINARY_PROBABILITIES = np.array([0.9, 0.3, 0.2, 0.99, 0.5])


def tempered_softmax(logits: Any, temperature: float = 1.0) -> np.ndarray:
    """softmax(s / T) along the last axis, in float64 (stable: the largest score is subtracted first).

    What this shows: scores become probabilities that are positive and sum to 1;
    T < 1 sharpens them towards the largest score, T > 1 flattens them towards uniform.
    """
    s = check_array("logits", logits, dtype="float64", min_size=1)
    t = check_float("temperature", temperature, low=0.0, low_open=True)
    z = s / t
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _clipped_log(p: np.ndarray) -> np.ndarray:
    return np.log(np.clip(p, CLIP_EPSILON, 1.0 - CLIP_EPSILON))


@dataclass(frozen=True)
class CrossEntropyTerms:
    """Cross-entropy of a few examples, every term −t_i log p_i written out.

    Attributes:
        kind: "categorical" (CE = −Σ_i t_i log f(s)_i) or "binary"
            (CE = −t log f(s) − (1 − t) log(1 − f(s))).
        classes: the column names ("normal", …; for binary "t = 1" and "t = 0").
        targets: ``(n, C)`` one-hot targets t (binary: the columns t and 1 − t).
        probabilities: ``(n, C)`` the model's probabilities (binary: p and 1 − p).
        terms: ``(n, C)`` −t_i log p_i (zero wherever t_i = 0: only the true class costs).
        losses: ``(n,)`` each example's loss, the sum of its terms.
        mean: the batch loss, the mean of ``losses`` (what Keras reports).
    """

    kind: str
    classes: tuple[str, ...]
    targets: np.ndarray
    probabilities: np.ndarray
    terms: np.ndarray
    losses: np.ndarray
    mean: float

    @property
    def true_probability(self) -> np.ndarray:
        """``(n,)`` the probability each example gave its true class (binary: p if t = 1, else 1 − p)."""
        return np.sum(self.targets * self.probabilities, axis=1)


def _terms(kind: str, classes: tuple[str, ...], t: np.ndarray, p: np.ndarray) -> CrossEntropyTerms:
    terms = np.where(t > 0, -t * _clipped_log(p), 0.0)
    losses = terms.sum(axis=1)
    return CrossEntropyTerms(kind, classes, t, p, terms, losses, float(losses.mean()))


def compute_categorical_cross_entropy(targets: Any = CATEGORICAL_TARGETS, probabilities: Any = None, *,
                                      logits: Any = None, temperature: float = 1.0,
                                      classes: tuple[str, ...] | None = None) -> CrossEntropyTerms:
    """Categorical cross-entropy CE = −Σ_i t_i log f(s)_i, for each example and term by term (lecture 002).

    What this shows: only the true class's term is non-zero, so each example
    costs −log(probability of its true class): 0.05 for a confident right
    answer, ln 3 = 1.10 for a shrug among three classes, several for a confident
    wrong one. The mean over examples equals ``keras.losses.CategoricalCrossentropy``.

    Args:
        targets: ``(n,)`` class indices or ``(n, C)`` one-hot rows.
        probabilities: ``(n, C)`` rows of probabilities (each summing to 1); or give
        logits: ``(n, C)`` scores s, turned into probabilities by ``softmax(s / temperature)``
            (default: :data:`CATEGORICAL_LOGITS` when neither is given).
        temperature: T > 0 of the softmax (logits only).
        classes: names of the C classes (default :data:`CATEGORICAL_CLASSES` for 3 classes, else "class i").
    """
    if probabilities is not None and logits is not None:
        raise ArgumentError("give probabilities or logits, not both")
    if probabilities is None:
        s = check_array("logits", CATEGORICAL_LOGITS if logits is None else logits, ndim=2, dtype="float64")
        p = tempered_softmax(s, temperature)
    else:
        p = check_array("probabilities", probabilities, ndim=2, dtype="float64")
        if p.min() < 0 or p.max() > 1:
            fail("probabilities", probabilities, "numbers between 0 and 1")
        sums = p.sum(axis=1)
        if np.any(np.abs(sums - 1.0) > 1e-3):
            fail("probabilities", probabilities, "rows that sum to 1", f"row sums are {np.round(sums, 4).tolist()}")
        p = p / sums[:, None]
    n, c = p.shape
    t = check_array("targets", targets, ndim=(1, 2), dtype="float64")
    if t.ndim == 1:
        if len(t) != n or np.any(t != np.round(t)) or t.min() < 0 or t.max() >= c:
            fail("targets", targets, f"{n} class indices between 0 and {c - 1}")
        t = np.eye(c)[t.astype(int)]
    elif t.shape != p.shape or np.any((t != 0) & (t != 1)) or np.any(t.sum(axis=1) != 1):
        fail("targets", targets, f"one-hot rows of shape {p.shape}")
    if classes is None:
        classes = CATEGORICAL_CLASSES if c == 3 else tuple(f"class {i}" for i in range(c))
    classes = tuple(str(k) for k in classes)
    if len(classes) != c:
        fail("classes", classes, f"{c} names, one per column")
    return _terms("categorical", classes, t, p)


def compute_binary_cross_entropy(targets: Any = BINARY_TARGETS,
                                 probabilities: Any = BINARY_PROBABILITIES) -> CrossEntropyTerms:
    """Binary cross-entropy CE = −t log f(s) − (1 − t) log(1 − f(s)), term by term (lecture 002).

    What this shows: the binary case is the categorical formula with two
    classes, p and 1 − p: for t = 1 only −log p counts, for t = 0 only
    −log(1 − p). The mean equals ``keras.losses.BinaryCrossentropy``.

    Args:
        targets: ``(n,)`` labels, 0 or 1.
        probabilities: ``(n,)`` the sigmoid's outputs p = f(s), between 0 and 1.
    """
    p = check_array("probabilities", probabilities, ndim=1, dtype="float64")
    t = check_array("targets", targets, ndim=1, dtype="float64")
    if p.min() < 0 or p.max() > 1:
        fail("probabilities", probabilities, "numbers between 0 and 1")
    if len(t) != len(p) or np.any((t != 0) & (t != 1)):
        fail("targets", targets, f"{len(p)} labels, each 0 or 1 (one per probability)")
    return _terms("binary", ("t = 1", "t = 0"), np.stack([t, 1 - t], 1), np.stack([p, 1 - p], 1))


@dataclass(frozen=True)
class SoftmaxTemperature:
    """softmax(s / T) of one example's scores, at one temperature and over a range of them.

    Attributes:
        logits: ``(C,)`` the scores s; classes: their names.
        temperature: the chosen T; probabilities: ``(C,)`` softmax(s / T).
        target: index of the true class (or -1 if none); loss: −log p_target at T (NaN if none).
        grid: ``(k,)`` temperatures; grid_probabilities: ``(k, C)``; grid_losses: ``(k,)`` −log p_target.
    """

    logits: np.ndarray
    classes: tuple[str, ...]
    temperature: float
    probabilities: np.ndarray
    target: int
    loss: float
    grid: np.ndarray
    grid_probabilities: np.ndarray
    grid_losses: np.ndarray


def compute_softmax_temperature(logits: Any = CATEGORICAL_LOGITS[1], temperature: float = 1.0, *,
                                target: int | None = 1, classes: tuple[str, ...] | None = None,
                                t_min: float = 0.1, t_max: float = 10.0, n: int = 200) -> SoftmaxTemperature:
    """softmax(s / T): how the temperature T sharpens (T < 1) or flattens (T > 1) the probabilities.

    What this shows: T = 1 is the plain softmax; as T → 0 all probability goes
    to the largest score (the loss of a right answer falls to 0, of a wrong one
    grows without bound); as T → ∞ every class gets 1/C (the loss tends to ln C).
    The order of the classes never changes.

    Args:
        logits: ``(C,)`` scores s (default: the "unsure, right" example of :data:`CATEGORICAL_LOGITS`).
        temperature: T > 0.
        target: index of the true class, or None.
        classes: names of the classes.
        t_min, t_max, n: the temperature grid (log-spaced) for the curves.
    """
    s = check_array("logits", logits, ndim=1, dtype="float64")
    temperature = check_float("temperature", temperature, low=0.0, low_open=True)
    t_min = check_float("t_min", t_min, low=0.0, low_open=True)
    t_max = check_float("t_max", t_max, low=t_min, low_open=True)
    n = check_int("n", n, low=2)
    c = len(s)
    if target is not None:
        target = check_int("target", target, low=0, high=c - 1)
    if classes is None:
        classes = CATEGORICAL_CLASSES if c == 3 else tuple(f"class {i}" for i in range(c))
    classes = tuple(str(k) for k in classes)
    if len(classes) != c:
        fail("classes", classes, f"{c} names, one per score")
    p = tempered_softmax(s, temperature)
    grid = np.geomspace(t_min, t_max, n)
    gp = np.stack([tempered_softmax(s, t) for t in grid])
    if target is None:
        return SoftmaxTemperature(s, classes, temperature, p, -1, float("nan"), grid, gp,
                                  np.full(n, np.nan))
    return SoftmaxTemperature(s, classes, temperature, p, target, float(-_clipped_log(p[target])), grid, gp,
                              -_clipped_log(gp[:, target]))


@dataclass(frozen=True)
class PixelCrossEntropy:
    """Binary cross-entropy at every pixel of a soft mask, and its average (lecture 002's segmentation loss).

    Attributes:
        prediction: ``(H, W)`` predicted probability of the class (e.g. lesion) per pixel.
        target: ``(H, W)`` the true mask, 0 or 1.
        loss_map: ``(H, W)`` −[y log p + (1 − y) log(1 − p)] per pixel (the log loss
            summed over the two classes, background and lesion).
        mean: the average over all pixels: the loss (= keras BinaryCrossentropy).
        foreground_mean, background_mean: the average over target pixels and over the rest.
        worst: (row, column) of the costliest pixel.
    """

    prediction: np.ndarray
    target: np.ndarray
    loss_map: np.ndarray
    mean: float
    foreground_mean: float
    background_mean: float
    worst: tuple[int, int]


def compute_pixel_cross_entropy(prediction: Any = LECTURE_PREDICTION,
                                target: Any = LECTURE_TARGET) -> PixelCrossEntropy:
    """Pixel-wise cross-entropy, −Σ_classes y_true log(y_pred) at each pixel, averaged over the mask.

    What this shows: lecture 002's segmentation loss scores every pixel on its
    own and averages; on the lecture's 4×4 Dice example the soft background
    pixel 0.12 costs −ln 0.88 = 0.128 and the 0.85 lesion pixel −ln 0.85 = 0.163,
    while confident pixels cost almost nothing. Equal to
    ``keras.losses.BinaryCrossentropy()(target, prediction)``.

    Args:
        prediction: ``(H, W)`` probabilities in [0, 1] (default: the lecture's Dice example).
        target: ``(H, W)`` mask of 0s and 1s of the same shape.
    """
    p = check_array("prediction", prediction, ndim=2, dtype="float64")
    y = check_array("target", target, ndim=2, dtype="float64")
    if p.min() < 0 or p.max() > 1:
        fail("prediction", prediction, "probabilities between 0 and 1")
    if y.shape != p.shape:
        fail("target", target, f"a mask of the prediction's shape {p.shape}", f"got shape {y.shape}")
    if np.any((y != 0) & (y != 1)):
        fail("target", target, "a mask of 0s and 1s")
    loss = -(y * _clipped_log(p) + (1 - y) * _clipped_log(1 - p))
    fg, bg = loss[y == 1], loss[y == 0]
    worst = np.unravel_index(int(np.argmax(loss)), loss.shape)
    return PixelCrossEntropy(p, y, loss, float(loss.mean()), float(fg.mean()) if fg.size else float("nan"),
                             float(bg.mean()) if bg.size else float("nan"), (int(worst[0]), int(worst[1])))


@dataclass(frozen=True)
class SaturationGradients:
    """Both losses of a sigmoid output and their gradients with respect to z, over a range of z.

    Attributes:
        z: ``(n,)`` the pre-activation; sigma: σ(z); target: y (0 or 1).
        loss_ce: −y log σ − (1 − y) log(1 − σ); loss_se: ½(σ − y)².
        grad_ce: dL/dz of cross-entropy, σ − y.
        grad_se: dL/dz of squared error, (σ − y) σ (1 − σ).
        z_mark: a saturated, wrong starting point; ratio: grad_ce / grad_se there, 1 / (σ(1 − σ)).
    """

    z: np.ndarray
    sigma: np.ndarray
    target: int
    loss_ce: np.ndarray
    loss_se: np.ndarray
    grad_ce: np.ndarray
    grad_se: np.ndarray
    z_mark: float
    ratio: float

    def at_mark(self) -> tuple[float, float, float]:
        """(σ, dCE/dz, dSE/dz) at ``z_mark``."""
        s = 0.5 * (1.0 + np.tanh(0.5 * self.z_mark))
        return float(s), float(s - self.target), float((s - self.target) * s * (1 - s))


def compute_saturation_gradients(target: int = 1, *, z_mark: float = -6.0, z_min: float = -10.0,
                                 z_max: float = 10.0, n: int = 401) -> SaturationGradients:
    """dL/dz of cross-entropy (σ − y) against squared error ((σ − y) σ (1 − σ)) for a sigmoid output.

    What this shows: with y = 1 and z = −6 the neuron says σ = 0.0025, confidently
    wrong. Cross-entropy's gradient is σ − y = −0.9975: a full-size push.
    Squared error ½(σ − y)² multiplies it by σ'(z) = σ(1 − σ) = 0.0025: a push
    400 times smaller, so gradient descent barely moves. The log in
    cross-entropy cancels the sigmoid's flat tail.

    Args:
        target: the label y, 0 or 1.
        z_mark: the saturated point to mark (wrong when its sign disagrees with y).
        z_min, z_max, n: the grid of z.
    """
    target = check_int("target", target, low=0, high=1)
    z_mark = check_float("z_mark", z_mark, low=-30.0, high=30.0)
    z_min = check_float("z_min", z_min)
    z_max = check_float("z_max", z_max, low=z_min, low_open=True)
    n = check_int("n", n, low=2)
    z = np.linspace(z_min, z_max, n)
    s = 0.5 * (1.0 + np.tanh(0.5 * z))
    y = float(target)
    loss_ce = np.logaddexp(0.0, z) - y * z  # −y log σ − (1 − y) log(1 − σ), exact for any z
    loss_se = 0.5 * (s - y) ** 2
    sm = 0.5 * (1.0 + np.tanh(0.5 * z_mark))
    return SaturationGradients(z, s, target, loss_ce, loss_se, s - y, (s - y) * s * (1 - s), z_mark,
                               float(1.0 / (sm * (1 - sm))))
