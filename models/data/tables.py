"""The lecture's tables and scikit-learn's small medical sets.

The stroke neuron of lecture 003 (two patients, a synthetic cohort), lecture
000's height/weight table, the Wisconsin breast-cancer table and the digits.
Only NumPy is imported here; scikit-learn loads inside the functions that use it.

Example:
    >>> from models.data import stroke_patients
    >>> [round(float(v), 3) for v in stroke_patients().probability()]
    [0.87, 0.037]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from models._arguments import ArgumentError, check_int, fail
from models.data._common import check_seed, frozen

__all__ = [
    "sigmoid",
    "StrokePatients",
    "stroke_patients",
    "make_stroke",
    "HeightWeightTable",
    "height_weight_table",
    "load_breast_cancer",
    "load_digits",
]


def sigmoid(z: Any) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, numerically stable.

    What this shows: how a neuron turns its weighted sum ``z`` into a probability.

    Args:
        z: a number or array.

    Returns:
        ``float64`` array of the same shape, values in ``(0, 1)``.
    """
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out



_STROKE_FEATURES = ("blood_pressure", "cholesterol", "bmi", "age")
_STROKE_UNITS = ("mmHg", "mmol/L", "kg/m^2", "years")
_STROKE_BIAS = -71.2
_STROKE_WEIGHTS = (0.1, 0.3, 1.1, 0.5)


@dataclass(frozen=True)
class StrokePatients:
    """The lecture's two patients and its stroke neuron ``p = sigmoid(b + w . x)``.

    Attributes:
        names: ``("Patient 1", "Patient 2")``.
        feature_names: ``("blood_pressure", "cholesterol", "bmi", "age")``.
        units: unit of each feature (cholesterol in mmol/L).
        x: ``(2, 4)`` float64 feature rows, read-only.
        bias: the neuron's bias ``b = -71.2``.
        weights: the neuron's weights ``w = (0.1, 0.3, 1.1, 0.5)``.
    """

    names: tuple[str, ...]
    feature_names: tuple[str, ...]
    units: tuple[str, ...]
    x: np.ndarray
    bias: float
    weights: tuple[float, ...]

    def z(self, x: Any = None) -> np.ndarray:
        """Weighted sum ``b + w . x`` (float64) for ``x`` (default: the two patients)."""
        x = self.x if x is None else np.asarray(x, dtype=np.float64)
        if x.shape[-1] != len(self.weights):
            raise ArgumentError(f"x must have {len(self.weights)} features in its last axis "
                             f"({', '.join(self.feature_names)}), got shape {x.shape}")
        return self.bias + x @ np.asarray(self.weights, dtype=np.float64)

    def probability(self, x: Any = None) -> np.ndarray:
        """Stroke probability ``sigmoid(b + w . x)`` (default: the two patients)."""
        return sigmoid(self.z(x))


def stroke_patients() -> StrokePatients:
    """The two patients of the lecture and the neuron that scores them.

    What this shows: one neuron is a weighted sum plus a bias, squashed by a
    sigmoid: patient 1 gets ``z = 1.9`` (p = 0.870), patient 2 ``z = -3.25`` (p = 0.037).

    Returns:
        A frozen :class:`StrokePatients`.
    """
    x = np.array([[130.0, 6.0, 28.0, 55.0], [130.0, 5.5, 23.0, 56.0]], dtype=np.float64)
    return StrokePatients(names=("Patient 1", "Patient 2"), feature_names=_STROKE_FEATURES,
                          units=_STROKE_UNITS, x=frozen(x), bias=_STROKE_BIAS,
                          weights=_STROKE_WEIGHTS)


def make_stroke(n: int = 500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic cohort whose labels come from the lecture's stroke neuron.

    What this shows: a logistic neuron trained on this cohort recovers (roughly)
    the lecture's ``b = -71.2`` and ``w = (0.1, 0.3, 1.1, 0.5)``.

    Features are drawn around the lecture's patients (blood pressure ~ N(130, 15)
    mmHg, cholesterol ~ N(5.5, 1) mmol/L, BMI ~ N(26, 4), age ~ N(55, 10) years)
    and each label is ``Bernoulli(sigmoid(b + w . x))``; about 45 % are positive.

    Args:
        n: number of patients (>= 2).
        seed: random seed.

    Returns:
        ``(x, y)``: ``x`` is ``(n, 4)`` float32 in the order of
        ``stroke_patients().feature_names``, ``y`` is ``(n,)`` int64 in {0, 1}.
    """
    n = check_int("n", n, low=2)
    rng = np.random.default_rng(check_seed(seed))
    mean = np.array([130.0, 5.5, 26.0, 55.0])
    std = np.array([15.0, 1.0, 4.0, 10.0])
    x = mean + std * rng.standard_normal((n, 4))
    x = np.maximum(x, [70.0, 2.0, 15.0, 18.0])  # physiologically plausible floor
    p = sigmoid(_STROKE_BIAS + x @ np.asarray(_STROKE_WEIGHTS))
    y = (rng.random(n) < p).astype(np.int64)
    return x.astype(np.float32), y


@dataclass(frozen=True)
class HeightWeightTable:
    """Lecture 000's table: normalised height and weight, sex as the label.

    Attributes:
        names: patient names ``P1`` .. ``P5``.
        feature_names: ``("height", "weight")`` (both min-max normalised).
        x: ``(n, 2)`` float64, read-only.
        labels: ``(n,)`` int64: 1 = M, 0 = F, -1 = unknown (to be predicted).
        label_names: ``{1: "M", 0: "F", -1: "?"}``.
    """

    names: tuple[str, ...]
    feature_names: tuple[str, ...]
    x: np.ndarray
    labels: np.ndarray
    label_names: dict = field(default_factory=lambda: {1: "M", 0: "F", -1: "?"})

    def labelled(self) -> "HeightWeightTable":
        """The rows whose label is known (P1-P4), as a new table."""
        return self._rows(self.labels >= 0)

    def unlabelled(self) -> "HeightWeightTable":
        """The rows whose label is unknown (P5), as a new table."""
        return self._rows(self.labels < 0)

    def _rows(self, keep: np.ndarray) -> "HeightWeightTable":
        return HeightWeightTable(
            names=tuple(n for n, k in zip(self.names, keep) if k),
            feature_names=self.feature_names,
            x=frozen(self.x[keep].copy()), labels=frozen(self.labels[keep].copy()),
            label_names=dict(self.label_names))


def height_weight_table() -> HeightWeightTable:
    """The five patients of lecture 000 (P5's sex is the question).

    What this shows: a classifier learns from labelled rows (P1-P4) and
    predicts the unlabelled one (P5).

    Returns:
        A frozen :class:`HeightWeightTable`; ``.labelled()`` gives P1-P4.
    """
    x = np.array([[0.625, 0.875], [0.0, 0.0], [0.25, 0.375], [1.0, 1.0], [0.4583, 0.6667]],
                 dtype=np.float64)
    labels = np.array([1, 0, 1, 1, -1], dtype=np.int64)
    return HeightWeightTable(names=("P1", "P2", "P3", "P4", "P5"),
                             feature_names=("height", "weight"), x=frozen(x),
                             labels=frozen(labels))



def load_breast_cancer(features: Sequence[str | int] | None = None, standardize: bool = True
                       ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The Wisconsin diagnostic breast-cancer table (569 tumours, 30 features).

    What this shows: a real medical table where a few features already
    separate malignant from benign tumours.

    Args:
        features: names (e.g. ``["mean radius", "mean texture"]``) or column
            indices to keep; ``None`` keeps all 30.
        standardize: scale every column to zero mean and unit standard deviation.

    Returns:
        ``(x, y, feature_names)``: ``x`` is ``(569, k)`` float32, ``y`` is int64
        with 1 = malignant, 0 = benign (note: scikit-learn itself uses 0 = malignant).
    """
    from sklearn import datasets

    if not isinstance(standardize, (bool, np.bool_)):
        fail("standardize", standardize, "True or False")
    ds = datasets.load_breast_cancer()
    names = [str(s) for s in ds.feature_names]
    x = np.asarray(ds.data, dtype=np.float64)
    y = (np.asarray(ds.target) == 0).astype(np.int64)  # 1 = malignant
    if features is not None:
        if isinstance(features, (str, int, np.integer)):
            features = [features]
        try:
            features = list(features)
        except TypeError:
            fail("features", features, "a list of names or indices")
        if not features:
            fail("features", features, "a non-empty list of names or indices",
                 "e.g. features=['mean radius', 'mean texture'], or None for all")
        idx = []
        for f in features:
            if isinstance(f, (int, np.integer)) and not isinstance(f, bool):
                if not -len(names) <= f < len(names):
                    fail("features", f, f"an index 0..{len(names) - 1} or a feature name")
                idx.append(int(f) % len(names))
            elif isinstance(f, str) and f in names:
                idx.append(names.index(f))
            else:
                raise ArgumentError(f"features entry {f!r} is not a breast-cancer feature; "
                                    f"use an index 0..{len(names) - 1} or one of: {', '.join(names)}")
        x, names = x[:, idx], [names[i] for i in idx]
    if standardize:
        x = (x - x.mean(0)) / x.std(0)
    return x.astype(np.float32), y, names


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1797 hand-written digits, 8 x 8 pixels.

    What this shows: the smallest image-classification problem: 64 pixels, 10 classes.

    Returns:
        ``(images, labels)``: ``(1797, 8, 8, 1)`` float32 in [0, 1] and ``(1797,)`` int64.
    """
    from sklearn import datasets

    ds = datasets.load_digits()
    images = (np.asarray(ds.images, dtype=np.float32) / 16.0)[..., None]
    return np.clip(images, 0.0, 1.0), np.asarray(ds.target, dtype=np.int64)
