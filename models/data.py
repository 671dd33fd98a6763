"""Built-in, offline data for the course: tables, 2-D points, images and notes.

Everything here is deterministic given ``seed`` and never touches the network.
Only numpy is imported at module level; scikit-learn, scikit-image, scipy,
pydicom and Pillow are imported inside the functions that need them, so the
app's home page can import this module instantly.

Conventions (what every function returns):

* images are ``float32`` in ``[0, 1]``;
* image *sets* are ``(n, H, W, 1)`` (channels-last, ready for Keras);
* class labels are ``int64``.

Example:
    >>> from models.data import make_lesions, stroke_patients
    >>> p = stroke_patients()
    >>> [round(float(v), 3) for v in p.probability()]
    [0.87, 0.037]
    >>> images, labels, centres, radii = make_lesions(8, seed=0)
    >>> images.shape, images.dtype.name, labels.dtype.name
    ((8, 64, 64, 1), 'float32', 'int64')
"""
from __future__ import annotations

import io
import os
import pathlib
import re
import string
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

__all__ = [
    "sigmoid",
    "StrokePatients",
    "stroke_patients",
    "make_stroke",
    "HeightWeightTable",
    "height_weight_table",
    "POINT_KINDS",
    "make_points",
    "load_breast_cancer",
    "load_digits",
    "IMAGE_NAMES",
    "MAX_PIXELS",
    "load_image",
    "load_image_bytes",
    "make_lesions",
    "make_segmentation",
    "ClinicalNotes",
    "CLASS_NAMES",
    "SYMPTOMS",
    "make_clinical_notes",
    "encode_note",
    "MEDMNIST_SIZES",
    "MEDMNIST_URL",
    "load_medmnist",
    "medmnist_available",
    "train_test_split_arrays",
]

# --------------------------------------------------------------------------- #
# argument checks                                                              #
# --------------------------------------------------------------------------- #


def _check_int(name: str, value: Any, minimum: int = 0, example: int | None = None) -> int:
    """Return ``value`` as an int >= ``minimum`` or raise a message that says what to do."""
    hint = f"; pass e.g. {name}={example if example is not None else max(minimum, 1)}"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r} "
                        f"({type(value).__name__}){hint}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}{hint}")
    return int(value)


def _check_float(name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False,
                 hi_open: bool = False, example: float | None = None) -> float:
    """Return ``value`` as a float in the given interval or raise a helpful error."""
    left, right = ("(" if lo_open else "["), (")" if hi_open else "]")
    interval = f"{left}{lo}, {hi}{right}"
    hint = f"; pass e.g. {name}={example}" if example is not None else ""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number in {interval}, got {value!r} "
                        f"({type(value).__name__}){hint}")
    v = float(value)
    bad = (not np.isfinite(v) or v < lo or v > hi or (lo_open and v == lo)
           or (hi_open and v == hi))
    if bad:
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}{hint}")
    return v


def _check_seed(seed: Any) -> int:
    return _check_int("seed", seed, 0, example=0)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


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


# --------------------------------------------------------------------------- #
# lecture tables                                                               #
# --------------------------------------------------------------------------- #

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
            raise ValueError(f"x must have {len(self.weights)} features in its last axis "
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
                          units=_STROKE_UNITS, x=_frozen(x), bias=_STROKE_BIAS,
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
    n = _check_int("n", n, 2, example=500)
    rng = np.random.default_rng(_check_seed(seed))
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
            x=_frozen(self.x[keep].copy()), labels=_frozen(self.labels[keep].copy()),
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
                             feature_names=("height", "weight"), x=_frozen(x),
                             labels=_frozen(labels))


# --------------------------------------------------------------------------- #
# 2-D points (TensorFlow-Playground style)                                     #
# --------------------------------------------------------------------------- #

POINT_KINDS = ("circle", "xor", "gauss", "spiral", "moons")


def make_points(kind: str, n: int = 200, noise: float = 0.1,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two-class 2-D toy data in the style of the TensorFlow Playground.

    What this shows: which decision boundaries a neuron (a line) can draw and
    which need hidden layers (circle, xor, spiral).

    Args:
        kind: one of :data:`POINT_KINDS` ("circle", "xor", "gauss", "spiral", "moons").
        n: number of points (>= 2); the classes get ``n // 2`` and ``n - n // 2``.
        noise: standard deviation of Gaussian jitter added to every point (>= 0, <= 1).
        seed: random seed.

    Returns:
        ``(x, y)``: ``x`` is ``(n, 2)`` float32 within ``[-1.5, 1.5]``,
        ``y`` is ``(n,)`` int64 in {0, 1}, shuffled.
    """
    if not isinstance(kind, str) or kind.lower() not in POINT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, POINT_KINDS))}, "
                         f"got {kind!r}")
    kind = kind.lower()
    n = _check_int("n", n, 2, example=200)
    noise = _check_float("noise", noise, 0.0, 1.0, example=0.1)
    rng = np.random.default_rng(_check_seed(seed))
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n // 2, n - n // 2])
    m = len(y)
    if kind == "circle":  # class 1 inside, class 0 on a ring around it
        r = np.where(y == 1, 0.5 * np.sqrt(rng.random(m)), rng.uniform(0.7, 1.0, m))
        a = rng.uniform(0, 2 * np.pi, m)
        x = np.stack([r * np.cos(a), r * np.sin(a)], 1)
    elif kind == "xor":  # class 1 in quadrants where x0 * x1 > 0
        x = rng.uniform(0.05, 1.0, (m, 2)) * rng.choice([-1.0, 1.0], (m, 2))
        same = np.sign(x[:, 0]) == np.sign(x[:, 1])
        flip = same != (y == 1)
        x[flip, 1] *= -1
    elif kind == "gauss":
        centre = np.where(y[:, None] == 1, 0.5, -0.5)
        x = centre + 0.25 * rng.standard_normal((m, 2))
    elif kind == "spiral":
        t = rng.random(m)
        a = 1.75 * 2 * np.pi * t + np.pi * y
        x = np.stack([t * np.cos(a), t * np.sin(a)], 1)
    else:  # moons
        from sklearn.datasets import make_moons

        xm, ym = make_moons(n_samples=(n - n // 2, n // 2), noise=0.0,
                            random_state=int(rng.integers(2**31 - 1)))
        x = (xm - [0.5, 0.25]) / 1.5
        y = 1 - ym.astype(np.int64)  # class sizes n // 2 (0) and n - n // 2 (1)
        y = np.asarray(y, dtype=np.int64)
    x = x + noise * rng.standard_normal(x.shape)
    x = np.clip(x, -1.5, 1.5)
    order = rng.permutation(m)
    return x[order].astype(np.float32), y[order].astype(np.int64)


# --------------------------------------------------------------------------- #
# scikit-learn data sets                                                       #
# --------------------------------------------------------------------------- #


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
        raise TypeError(f"standardize must be True or False, got {standardize!r}")
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
            raise TypeError(f"features must be a list of names or indices, got {features!r}"
                            ) from None
        if not features:
            raise ValueError("features is empty; pass at least one name or index, "
                             "e.g. features=['mean radius', 'mean texture'], or None for all")
        idx = []
        for f in features:
            if isinstance(f, (int, np.integer)) and not isinstance(f, bool):
                if not -len(names) <= f < len(names):
                    raise ValueError(f"features index {f!r} is out of range; use 0..{len(names) - 1}")
                idx.append(int(f) % len(names))
            elif isinstance(f, str) and f in names:
                idx.append(names.index(f))
            else:
                raise ValueError(f"features entry {f!r} is not a breast-cancer feature; "
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


# --------------------------------------------------------------------------- #
# images: built-in and from files                                              #
# --------------------------------------------------------------------------- #

IMAGE_NAMES = ("ct", "mr", "retina", "microaneurysms", "cell", "phantom")
MAX_PIXELS = 100_000_000  # refuse images larger than this (100 megapixels)
_IMAGE_SUFFIXES = ".png, .jpg/.jpeg, .tif, .bmp or .dcm"


def _normalise(a: np.ndarray) -> np.ndarray:
    """Min-max to float32 [0, 1]; a constant image becomes zeros."""
    a = np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(a.min()), float(a.max())
    if hi - lo <= 0:
        return np.zeros(a.shape, dtype=np.float32)
    return ((a - lo) / (hi - lo)).astype(np.float32)


def _to_gray(a: np.ndarray) -> np.ndarray:
    """(H, W, 3|4) -> (H, W) luma (ITU-R 601); alpha is dropped."""
    if a.ndim == 3 and a.shape[-1] in (3, 4):
        return a[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    if a.ndim == 3 and a.shape[-1] in (1, 2):  # gray or gray + alpha
        return a[..., 0]
    return a


@lru_cache(maxsize=None)
def _builtin_raw(name: str) -> np.ndarray:
    if name in ("ct", "mr"):
        from pydicom.data import get_testdata_file

        path = get_testdata_file("CT_small.dcm" if name == "ct" else "MR_small.dcm")
        return _normalise(_dicom_pixels(pathlib.Path(path).read_bytes(), f"{name} test file"))
    import skimage.data

    a = {"retina": skimage.data.retina, "microaneurysms": skimage.data.microaneurysms,
         "cell": skimage.data.cell, "phantom": skimage.data.shepp_logan_phantom}[name]()
    return _normalise(_to_gray(np.asarray(a)))


def _check_size(size: Any) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (size, size)
    try:
        h, w = size
        ok = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1
                 for v in (h, w))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"size must be a positive int or a (height, width) pair of positive "
                         f"ints, got {size!r}; pass e.g. size=128 or size=(128, 96)")
    return int(h), int(w)


def _check_max_side(max_side: Any) -> int | None:
    if max_side is None:
        return None
    return _check_int("max_side", max_side, 1, example=1024)


def _resize(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if a.shape == shape:
        return a
    from skimage.transform import resize

    out = resize(a.astype(np.float32), shape, anti_aliasing=True, preserve_range=True)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _shrink(a: np.ndarray, max_side: int | None) -> np.ndarray:
    """Scale down (keeping the aspect ratio) so that no side exceeds ``max_side``."""
    h, w = a.shape
    if max_side is None or max(h, w) <= max_side:
        return a
    k = max(h, w) // max_side  # cheap integer block mean first, then an exact resize
    if k >= 2:
        a = a[: h // k * k, : w // k * k].reshape(h // k, k, w // k, k).mean(
            axis=(1, 3), dtype=np.float32)
    scale = max_side / max(h, w)
    shape = (max(1, round(h * scale)), max(1, round(w * scale)))
    return _resize(np.clip(a, 0.0, 1.0), shape)


def _finish(a: np.ndarray, size: tuple[int, int] | None, max_side: int | None) -> np.ndarray:
    a = _shrink(a, max_side)
    if size is not None:
        a = _resize(a, size)
    return np.ascontiguousarray(a, dtype=np.float32)


def load_image(name_or_path: Any, size: int | tuple[int, int] | None = None,
               max_side: int | None = 1024) -> np.ndarray:
    """Load a built-in image, an image file or an upload as a 2-D float32 array in [0, 1].

    What this shows: a medical image is just a 2-D grid of numbers; we rescale
    them to [0, 1] so every image looks the same to a network.

    Args:
        name_or_path: one of :data:`IMAGE_NAMES` (``"ct"``, ``"mr"``: pydicom test
            scans; ``"retina"``, ``"microaneurysms"``, ``"cell"``, ``"phantom"``:
            scikit-image), a path (``str`` or ``pathlib.Path``) to a PNG/JPEG/TIFF
            or DICOM file, raw ``bytes``, or a file-like object with ``.read()``
            (e.g. a Streamlit upload).
        size: resize to ``size`` x ``size`` or ``(height, width)`` (anti-aliased).
        max_side: images with a side longer than this are scaled down first,
            keeping the aspect ratio (``None``: never).

    Returns:
        ``(H, W)`` float32, min-max normalised to [0, 1] (a constant image gives zeros).

    Raises:
        ValueError: unknown name, or a file that is empty, not an image, truncated,
            a DICOM without pixel data, or larger than :data:`MAX_PIXELS`.
        FileNotFoundError: a path that does not exist.
    """
    shape = _check_size(size)
    max_side = _check_max_side(max_side)
    if isinstance(name_or_path, (bytes, bytearray, memoryview)):
        return load_image_bytes(bytes(name_or_path), "", size=size, max_side=max_side)
    if hasattr(name_or_path, "read"):
        data = name_or_path.read()
        if isinstance(data, str):
            raise TypeError("load_image needs a file opened in binary mode ('rb'), got a text "
                            "file; open it with open(path, 'rb')")
        return load_image_bytes(data, str(getattr(name_or_path, "name", "") or ""),
                                size=size, max_side=max_side)
    if isinstance(name_or_path, str) and name_or_path.strip().lower() in IMAGE_NAMES:
        return _finish(_builtin_raw(name_or_path.strip().lower()).copy(), shape, max_side)
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"name_or_path must be one of {IMAGE_NAMES}, a file path, bytes or a "
                        f"binary file object, got {type(name_or_path).__name__}")
    path = pathlib.Path(name_or_path).expanduser()
    if not path.exists():
        if isinstance(name_or_path, str) and not path.suffix and os.sep not in name_or_path \
                and "/" not in name_or_path:
            raise ValueError(f"unknown image name {name_or_path!r}; use one of "
                             f"{', '.join(IMAGE_NAMES)} or a path to a {_IMAGE_SUFFIXES} file")
        raise FileNotFoundError(f"image file {str(path)!r} does not exist; check the path, or "
                                f"use a built-in image: {', '.join(IMAGE_NAMES)}")
    if path.is_dir():
        raise ValueError(f"{str(path)!r} is a directory, not an image file; pass the path "
                         f"of a {_IMAGE_SUFFIXES} file")
    return load_image_bytes(path.read_bytes(), str(path), size=size, max_side=max_side)


def dicom_frame_count(data: bytes) -> int:
    """Frames in a DICOM file's bytes (1 for a single image or anything that is not DICOM).

    Reads the header only: cheap enough to ask before decoding, so a page can
    offer a frame picker for a multi-frame scan (cine ultrasound, a dose grid).
    """
    import pydicom

    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True, stop_before_pixels=True)
        return max(1, int(ds.get("NumberOfFrames", 1) or 1))
    except Exception:  # noqa: BLE001 - not DICOM, or a header pydicom cannot read: one image
        return 1


def load_image_bytes(data: bytes, filename: str = "", size: int | tuple[int, int] | None = None,
                     max_side: int | None = 1024, frame: int | None = None) -> np.ndarray:
    """Decode an image file's bytes (PNG, JPEG, TIFF, BMP or DICOM) to 2-D float32 [0, 1].

    What this shows: what happens to an uploaded scan before a network sees it:
    decode, grey-scale, rescale to [0, 1], shrink if huge.

    Args:
        data: the file's content, e.g. ``uploaded_file.getvalue()``.
        filename: the original name, used for messages and to recognise ``.dcm``.
        size: optional output size, ``int`` or ``(height, width)``.
        max_side: scale down (keeping the aspect) so no side exceeds this.
        frame: for a multi-frame DICOM, which frame (0-based; ``None``: the
            middle one). See :func:`dicom_frame_count`.

    Returns:
        ``(H, W)`` float32 in [0, 1]. Colour (RGB/RGBA) becomes grey, alpha is
        dropped; 16-bit images keep their full range.

    Raises:
        ValueError: empty, unreadable, truncated, pixel-less DICOM or > :data:`MAX_PIXELS`.
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"data must be bytes (the file's content), got {type(data).__name__}; "
                        f"read the file with open(path, 'rb').read()")
    if not isinstance(filename, str):
        raise TypeError(f"filename must be a str, got {filename!r}")
    shape = _check_size(size)
    max_side = _check_max_side(max_side)
    label = repr(filename) if filename else "the image"
    if len(data) == 0:
        raise ValueError(f"{label} is empty (0 bytes); upload or choose a non-empty "
                         f"{_IMAGE_SUFFIXES} file")
    is_dicom = data[128:132] == b"DICM" or filename.lower().endswith((".dcm", ".dicom"))
    if is_dicom:
        a = _dicom_pixels(data, label, frame)
    else:
        a = _pil_pixels(data, label)
    return _finish(_normalise(a), shape, max_side)


def _too_big(h: int, w: int, label: str) -> ValueError:
    return ValueError(f"{label} is {w} x {h} pixels ({h * w / 1e6:.0f} megapixels), more than "
                      f"the {MAX_PIXELS / 1e6:.0f}-megapixel limit; downscale it first "
                      f"(e.g. to 2048 pixels on the long side) and try again")


def _pil_pixels(data: bytes, label: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:
            raise ValueError(f"{label} is larger than {MAX_PIXELS / 1e6:.0f} megapixels; "
                             f"downscale it first and try again") from None
        except UnidentifiedImageError:
            raise ValueError(f"{label} is not a readable image ({len(data)} bytes in an unknown "
                             f"format); use a {_IMAGE_SUFFIXES} file") from None
        except (OSError, SyntaxError, ValueError) as e:
            raise ValueError(f"{label} is not a readable image ({len(data)} bytes, {e}); "
                             f"use a {_IMAGE_SUFFIXES} file") from None
        w, h = img.size  # read from the header only: no pixels decoded yet
        if w * h > MAX_PIXELS:
            raise _too_big(h, w, label)
        try:
            img.seek(0)
            img.load()
            mode = img.mode
            if mode in ("RGB", "RGBA", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV", "LA", "1"):
                img = img.convert("RGBA" if mode in ("P", "PA") else mode)
                img = img.convert("L")  # luma; alpha dropped
            a = np.array(img)
        except (OSError, SyntaxError, ValueError, EOFError) as e:
            raise ValueError(f"{label} appears truncated or corrupt ({e}); re-export or "
                             f"re-upload the complete file") from None
    return _to_gray(a)


def _dicom_pixels(data: bytes, label: str, frame: int | None = None) -> np.ndarray:
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
    except (InvalidDicomError, Exception) as e:  # pydicom raises many kinds on bad input
        raise ValueError(f"{label} is not a readable DICOM file ({e}); export the scan "
                         f"again as DICOM or as PNG") from None
    has_pixels = any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"))
    if data[128:132] != b"DICM" and not has_pixels and "Rows" not in ds and "SOPClassUID" not in ds:
        raise ValueError(f"{label} is not a DICOM file (no 'DICM' marker and no DICOM header "
                         f"found); choose a DICOM image, or a PNG/JPEG named without .dcm")
    if not has_pixels:
        raise ValueError(f"{label} is a DICOM file without pixel data (no PixelData element: "
                         f"it may be a report or header-only file); choose a DICOM image")
    try:
        h, w = int(ds.Rows), int(ds.Columns)
    except (AttributeError, TypeError, ValueError):
        raise ValueError(f"{label} is a DICOM file without Rows/Columns, so its pixels cannot "
                         f"be decoded; choose a complete DICOM image") from None
    if h * w > MAX_PIXELS:
        raise _too_big(h, w, label)
    try:
        a = np.asarray(ds.pixel_array)
    except Exception as e:  # missing codec, truncated data, inconsistent header
        ts = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "unknown")
        raise ValueError(f"{label}: DICOM pixel data could not be decoded (transfer syntax "
                         f"{getattr(ts, 'name', ts)}: {e}); the file may be truncated or "
                         f"compressed with a codec that is not installed: convert it to "
                         f"uncompressed DICOM or PNG") from None
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if frames > 1 and a.ndim >= 3:
        if frame is None:
            frame = a.shape[0] // 2  # the middle frame/slice
        if not 0 <= int(frame) < a.shape[0]:
            raise ValueError(f"{label} has {a.shape[0]} frames (0 to {a.shape[0] - 1}); frame {frame} does not exist")
        a = a[int(frame)]
    if samples > 1:
        a = _to_gray(a)
    if a.ndim != 2:
        raise ValueError(f"{label}: expected a 2-D DICOM image, got pixel array shape {a.shape}")
    a = a.astype(np.float64)
    if str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1":
        a = a.max() - a  # MONOCHROME1: high values are dark
    return a


# --------------------------------------------------------------------------- #
# synthetic X-ray-like images                                                  #
# --------------------------------------------------------------------------- #


def _step(z: np.ndarray) -> np.ndarray:
    """A smooth 0 -> 1 step (logistic), without overflow warnings."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))


def _chest(rng: np.random.Generator, n: int, size: int) -> tuple[np.ndarray, dict]:
    """Smooth X-ray-like backgrounds: bright body, two dark lungs, faint ribs.

    Returns the ``(n, size, size)`` float32 backgrounds (without pixel noise)
    and the lung ellipses in pixels (centre rows/cols and semi-axes, ``(n, 2)``).
    """
    f32 = np.float32
    t = np.linspace(0.0, 1.0, size, dtype=f32)
    yy, xx = t[None, :, None], t[None, None, :]
    cy = (0.52 + 0.02 * rng.standard_normal(n)).astype(f32)[:, None, None]
    dx = (0.20 + 0.015 * rng.standard_normal(n)).astype(f32)[:, None, None]
    ay = (0.32 + 0.02 * rng.standard_normal(n)).astype(f32)[:, None, None]
    ax = (0.14 + 0.01 * rng.standard_normal(n)).astype(f32)[:, None, None]
    cxs = (0.5 - dx, 0.5 + dx)
    lungs = 0
    for cx in cxs:
        e = ((yy - cy) / ay) ** 2 + ((xx - cx) / ax) ** 2
        lungs = lungs + _step(10.0 * (1.0 - e))
    body_e = ((yy - 0.5) / 0.56) ** 2 + ((xx - 0.5) / 0.47) ** 2
    body = _step(12.0 * (1.0 - body_e))
    # low-frequency shading: three random plane waves, written separably
    k = 3
    fy = rng.uniform(-2.0, 2.0, (n, k, 1, 1)).astype(f32)
    fx = rng.uniform(-2.0, 2.0, (n, k, 1, 1)).astype(f32)
    ph = rng.uniform(0, 2 * np.pi, (n, k, 1, 1)).astype(f32)
    amp = rng.uniform(0.015, 0.035, (n, k, 1, 1)).astype(f32)
    ay_, ax_ = 2 * np.pi * fy * t[:, None] + ph, 2 * np.pi * fx * t[None, :]
    shade = (amp * (np.cos(ay_) * np.cos(ax_) - np.sin(ay_) * np.sin(ax_))).sum(1)
    # ribs: faint bright bands curving down towards the sides, only over the lungs
    rib_phase = rng.uniform(0, 2 * np.pi, n).astype(f32)[:, None, None]
    rib_freq = rng.uniform(6.0, 8.0, n).astype(f32)[:, None, None]
    u = yy - 0.5 * (xx - 0.5) ** 2
    ribs = np.maximum(np.cos(2 * np.pi * rib_freq * u + rib_phase), 0.0) ** 3
    img = (0.08 + 0.52 * body + 0.12 * yy - 0.30 * lungs + 0.07 * ribs * lungs + shade)
    geometry = {
        "cy": np.repeat(cy[:, 0, 0, None] * (size - 1), 2, 1),
        "cx": np.stack([c[:, 0, 0] for c in cxs], 1) * (size - 1),
        "ay": np.repeat(ay[:, 0, 0, None] * (size - 1), 2, 1),
        "ax": np.repeat(ax[:, 0, 0, None] * (size - 1), 2, 1),
    }
    return img.astype(f32), geometry


def make_lesions(n: int = 512, size: int = 64, seed: int = 0, positive_fraction: float = 0.5
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic chest X-ray-like images, half of them with a bright round nodule.

    What this shows: a CNN can learn to spot a small local pattern (a nodule)
    anywhere in the lungs, even though other regions (the body) are brighter.

    Args:
        n: number of images (>= 1).
        size: image side in pixels (>= 16).
        seed: random seed.
        positive_fraction: share of images with a nodule, in [0, 1]
            (exactly ``round(n * positive_fraction)`` are positive).

    Returns:
        ``(images, labels, centres, radii)``: ``(n, size, size, 1)`` float32 in
        [0, 1]; ``(n,)`` int64 (1 = nodule); ``(n, 2)`` float32 (row, col) of the
        nodule centre in pixels, ``(-1, -1)`` if none; ``(n,)`` float32 nodule
        radius in pixels (size/16 .. size/8), 0 if none.
    """
    n = _check_int("n", n, 1, example=512)
    size = _check_int("size", size, 16, example=64)
    positive_fraction = _check_float("positive_fraction", positive_fraction, 0.0, 1.0,
                                     example=0.5)
    rng = np.random.default_rng(_check_seed(seed))
    img, geo = _chest(rng, n, size)
    n_pos = int(round(n * positive_fraction))
    labels = np.zeros(n, dtype=np.int64)
    labels[rng.permutation(n)[:n_pos]] = 1
    pos = labels == 1
    # nodule geometry (drawn for every image, used for positives only: keeps shapes fixed)
    radii = rng.uniform(size / 16, size / 8, n).astype(np.float32)
    side = rng.integers(0, 2, n)
    rows = np.arange(n)
    cy, cx = geo["cy"][rows, side], geo["cx"][rows, side]
    ay, ax = geo["ay"][rows, side], geo["ax"][rows, side]
    rho = 0.75 * np.sqrt(rng.random(n))
    theta = rng.uniform(0, 2 * np.pi, n)
    r_c = cy + rho * np.maximum(ay - radii, 1.0) * np.sin(theta)
    c_c = cx + rho * np.maximum(ax - radii, 1.0) * np.cos(theta)
    centres = np.stack([r_c, c_c], 1).astype(np.float32)
    amplitude = rng.uniform(0.35, 0.50, n).astype(np.float32)
    g = np.arange(size, dtype=np.float32)
    sigma = (0.6 * radii)[:, None, None]
    d2 = (g[None, :, None] - centres[:, 0, None, None]) ** 2 \
        + (g[None, None, :] - centres[:, 1, None, None]) ** 2
    blob = np.exp(-0.5 * d2 / sigma**2)
    img += np.where(pos, amplitude, 0.0).astype(np.float32)[:, None, None] * blob
    img += rng.normal(0.0, 0.03, img.shape).astype(np.float32)
    np.clip(img, 0.0, 1.0, out=img)
    centres[~pos] = -1.0
    radii = np.where(pos, radii, 0.0).astype(np.float32)
    return img[..., None], labels, centres, radii


def make_segmentation(n: int = 256, size: int = 64, seed: int = 0
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic X-ray-like images with one or two bright elliptic lesions and their masks.

    What this shows: segmentation predicts a label per pixel; the mask is the
    answer a U-Net learns to draw.

    Args:
        n: number of images (>= 1).
        size: image side in pixels (>= 16).
        seed: random seed.

    Returns:
        ``(images, masks)``, both ``(n, size, size, 1)`` float32; images in [0, 1],
        masks in {0, 1} (1 = lesion), lesions covering about 3-15 % of each image.
    """
    n = _check_int("n", n, 1, example=256)
    size = _check_int("size", size, 16, example=64)
    rng = np.random.default_rng(_check_seed(seed))
    img, _ = _chest(rng, n, size)
    f32 = np.float32
    two = rng.random(n) < 0.5
    frac = rng.uniform(0.045, 0.12, n)
    share = np.where(two, rng.uniform(0.4, 0.6, n), 1.0)
    fracs = np.stack([frac * share, frac * (1 - share)], 1)  # (n, 2); second is 0 if one lesion
    q = rng.uniform(0.55, 1.0, (n, 2))  # minor / major axis
    a = np.sqrt(np.maximum(fracs, 1e-9) * size * size / (np.pi * q))  # major semi-axis, px
    b = q * a
    angle = rng.uniform(0, np.pi, (n, 2))
    # centres: lesion 0 on a random side, lesion 1 on the other, fully inside the image
    left = rng.random(n) < 0.5
    half = np.stack([np.where(left, 0, 1), np.where(left, 1, 0)], 1)
    lo_c = np.where(half == 0, a + 1, size / 2 + 1)
    hi_c = np.where(half == 0, size / 2 - 1, size - 2 - a)
    cols = lo_c + rng.random((n, 2)) * np.maximum(hi_c - lo_c, 0)
    rows = a + 1 + rng.random((n, 2)) * np.maximum(size - 3 - 2 * a, 0)
    g = np.arange(size, dtype=f32)
    dy = g[None, None, :, None] - rows.astype(f32)[:, :, None, None]
    dx = g[None, None, None, :] - cols.astype(f32)[:, :, None, None]
    cos, sin = np.cos(angle).astype(f32)[..., None, None], np.sin(angle).astype(f32)[..., None, None]
    u, v = dx * cos + dy * sin, -dx * sin + dy * cos
    e = (u / a.astype(f32)[..., None, None]) ** 2 + (v / b.astype(f32)[..., None, None]) ** 2
    present = np.stack([np.ones(n, bool), two], 1)[..., None, None]
    inside = (e <= 1.0) & present
    masks = inside.any(1)
    soft = _step(12.0 * (1.0 - e)) * present  # soft edge for the image
    amplitude = rng.uniform(0.22, 0.35, (n, 2)).astype(f32)[..., None, None]
    img += (amplitude * soft).max(1)
    img += rng.normal(0.0, 0.04, img.shape).astype(f32)
    np.clip(img, 0.0, 1.0, out=img)
    return img[..., None], masks.astype(f32)[..., None]


# --------------------------------------------------------------------------- #
# clinical notes                                                               #
# --------------------------------------------------------------------------- #

CLASS_NAMES = ("neurological", "respiratory", "cardiac")
SYMPTOMS = {
    "neurological": ("headache", "migraine", "dizziness", "numbness", "seizure"),
    "respiratory": ("cough", "wheezing", "breathlessness", "sputum", "dyspnoea"),
    "cardiac": ("palpitations", "angina", "tachycardia", "arrhythmia", "bradycardia"),
}
_DRUGS = ("ibuprofen", "paracetamol", "metformin", "aspirin", "insulin", "omeprazole",
          "levothyroxine", "allopurinol")
_CONDITIONS = ("arthritis", "diabetes", "gout", "eczema", "osteoporosis", "hypothyroidism",
               "glaucoma", "reflux")
_SEVERITY = ("mild", "severe", "recurrent", "new", "sudden", "persistent")
_WHEN = ("today", "yesterday", "overnight", "again", "recently")
# {s} symptom, {d} drug, {c} condition, {a} severity adjective, {t} time word
_TEMPLATES = (
    "the patient reports a {s} and took {d} for {c}",
    "{s} since {t} history of {c} on {d}",
    "patient with {c} presents with {a} {s} after {d}",
    "on {d} for {c} now complains of {s}",
    "known {c} treated with {d} reports {a} {s} {t}",
    "{a} {s} reported {t} by patient taking {d}",
    "history of {c} and {d} use presents with {s}",
    "the patient took {d} for {c} and reports {s}",
)
_FILLERS = ("please", "review", "noted", "follow", "up")
_LECTURE_NOTE = "The patient reports a headache and took ibuprofen for arthritis"


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[str, ...]:
    words: set[str] = set()
    for tpl in _TEMPLATES:
        words.update(w for w in tpl.split() if not w.startswith("{"))
    for group in (*SYMPTOMS.values(), _DRUGS, _CONDITIONS, _SEVERITY, _WHEN, _FILLERS):
        words.update(group)
    words.update(_tokenise(_LECTURE_NOTE))
    return ("<pad>", "<unk>", *sorted(words))


def _tokenise(text: str) -> list[str]:
    table = str.maketrans({c: " " for c in string.punctuation})
    return text.lower().translate(table).split()


@dataclass(frozen=True)
class ClinicalNotes:
    """Short synthetic clinical notes where one word (the symptom) decides the class.

    Attributes:
        tokens: ``(n, seq_len)`` int32 word indices, 0 = padding at the end.
        labels: ``(n,)`` int64 class index into ``class_names``.
        vocabulary: list of words; index 0 = ``"<pad>"``, 1 = ``"<unk>"``.
        texts: the notes as text.
        key_positions: ``(n,)`` int64 position of the symptom word in ``tokens``.
        class_names: ``("neurological", "respiratory", "cardiac")``.
    """

    tokens: np.ndarray
    labels: np.ndarray
    vocabulary: list
    texts: list
    key_positions: np.ndarray
    class_names: tuple[str, ...] = CLASS_NAMES

    def encode(self, text: str) -> np.ndarray:
        """Encode a note with this vocabulary and length (see :func:`encode_note`)."""
        return encode_note(text, self.vocabulary, self.tokens.shape[1])

    def decode(self, tokens: Sequence[int]) -> str:
        """Words of a token row, padding dropped."""
        return " ".join(self.vocabulary[int(t)] for t in tokens if int(t) != 0)


def encode_note(text: str, vocabulary: Sequence[str], seq_len: int = 12) -> np.ndarray:
    """Turn a note into ``seq_len`` word indices.

    What this shows: a network reads text as numbers: one index per word,
    unknown words share index 1, short notes are padded with 0.

    Args:
        text: the note; lower-cased and stripped of punctuation.
        vocabulary: list of words, index 0 = ``"<pad>"``, 1 = ``"<unk>"``.
        seq_len: output length; longer notes are cut.

    Returns:
        ``(seq_len,)`` int32.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    seq_len = _check_int("seq_len", seq_len, 1, example=12)
    index = {w: i for i, w in enumerate(vocabulary)}
    ids = [index.get(w, 1) for w in _tokenise(text)][:seq_len]
    out = np.zeros(seq_len, dtype=np.int32)
    out[: len(ids)] = ids
    return out


def make_clinical_notes(n: int = 1000, seed: int = 0, seq_len: int = 12) -> ClinicalNotes:
    """Short notes like "The patient reports a headache and took ibuprofen for arthritis".

    What this shows: attention can find the one word (the symptom) that decides
    the class, wherever it sits; drugs and past conditions are distractors that
    carry no information about the label.

    Args:
        n: number of notes (>= 1); classes are balanced (counts differ by at most 1).
        seed: random seed.
        seq_len: tokens per note (>= 10); notes are padded with 0 at the end.

    Returns:
        A frozen :class:`ClinicalNotes`.
    """
    n = _check_int("n", n, 1, example=1000)
    seq_len = _check_int("seq_len", seq_len, 10, example=12)
    rng = np.random.default_rng(_check_seed(seed))
    vocab = list(_vocabulary())
    index = {w: i for i, w in enumerate(vocab)}
    labels = rng.permutation(np.arange(n) % len(CLASS_NAMES)).astype(np.int64)
    tokens = np.zeros((n, seq_len), dtype=np.int32)
    keys = np.zeros(n, dtype=np.int64)
    texts = []
    for i, lab in enumerate(labels):
        fill = {"s": SYMPTOMS[CLASS_NAMES[lab]][rng.integers(5)],
                "d": _DRUGS[rng.integers(len(_DRUGS))],
                "c": _CONDITIONS[rng.integers(len(_CONDITIONS))],
                "a": _SEVERITY[rng.integers(len(_SEVERITY))],
                "t": _WHEN[rng.integers(len(_WHEN))]}
        words = _TEMPLATES[rng.integers(len(_TEMPLATES))].format(**fill).split()
        room = seq_len - len(words)
        if room > 0 and rng.random() < 0.5:  # a filler at the start or end shifts positions
            k = int(rng.integers(1, min(room, 2) + 1))
            extra = [_FILLERS[j] for j in rng.integers(len(_FILLERS), size=k)]
            words = extra + words if rng.random() < 0.5 else words + extra
        keys[i] = words.index(fill["s"])
        tokens[i, : len(words)] = [index[w] for w in words]
        texts.append(" ".join(words).capitalize() + ".")
    return ClinicalNotes(tokens=_frozen(tokens), labels=_frozen(labels), vocabulary=vocab,
                         texts=texts, key_positions=_frozen(keys), class_names=CLASS_NAMES)


# --------------------------------------------------------------------------- #
# MedMNIST (local files only)                                                  #
# --------------------------------------------------------------------------- #

MEDMNIST_SIZES = (28, 64, 128, 224)
MEDMNIST_URL = "https://zenodo.org/records/10519652"
_MEDMNIST_KEYS = ("train_images", "train_labels", "val_images", "val_labels",
                  "test_images", "test_labels")
_NPZ_NAME = re.compile(r"^([a-z0-9]+?)(?:_(\d+))?\.npz$")


def _medmnist_dirs(root: Any) -> list[pathlib.Path]:
    dirs = []
    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"root must be a directory path (str or pathlib.Path) or None, "
                            f"got {root!r}")
        dirs.append(pathlib.Path(root).expanduser())
    env = os.environ.get("MEDMNIST_DIR")
    if env:
        dirs.append(pathlib.Path(env).expanduser())
    dirs.append(pathlib.Path.home() / ".medmnist")
    unique: list[pathlib.Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def medmnist_available(root: str | os.PathLike | None = None) -> list[tuple[str, int, pathlib.Path]]:
    """MedMNIST ``.npz`` files found locally (``root``, ``$MEDMNIST_DIR``, ``~/.medmnist``).

    What this shows: which real medical data sets you can train on offline.

    Args:
        root: an extra directory to search first.

    Returns:
        ``[(flag, size, path), ...]`` such as ``("pneumoniamnist", 28, Path(...))``,
        in search order; the files' contents are not checked.
    """
    found, seen = [], set()
    for d in _medmnist_dirs(root):
        if not d.is_dir():
            continue
        for p in sorted(d.glob("*.npz")):
            m = _NPZ_NAME.match(p.name)
            if not m:
                continue
            flag, size = m.group(1), int(m.group(2) or 28)
            if (flag, size) in seen or size not in MEDMNIST_SIZES:
                continue
            seen.add((flag, size))
            found.append((flag, size, p))
    return found


def load_medmnist(flag: str, split: str = "train", size: int = 28,
                  root: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of a MedMNIST data set from a local ``.npz`` file (never downloads).

    What this shows: real, small medical images (chest X-rays, pathology,
    dermatology...) in the same format as the built-in synthetic sets.

    The file ``{flag}.npz`` (size 28) or ``{flag}_{size}.npz`` is searched in
    ``root``, then ``$MEDMNIST_DIR``, then ``~/.medmnist``.

    Args:
        flag: data-set name, e.g. ``"pneumoniamnist"``, ``"pathmnist"``.
        split: ``"train"``, ``"val"`` or ``"test"``.
        size: image side: 28, 64, 128 or 224.
        root: a directory to search first.

    Returns:
        ``(images, labels)``: ``(n, H, W, C)`` float32 in [0, 1] (C = 1 for grey,
        3 for colour) and int64 labels, ``(n,)`` (or ``(n, k)`` for multi-label sets).

    Raises:
        FileNotFoundError: no file found (the message lists names and folders tried).
        ValueError: bad arguments, or a file that is corrupt or not in MedMNIST format.
    """
    if not isinstance(flag, str) or not re.fullmatch(r"[a-z0-9]+", flag or ""):
        raise ValueError(f"flag must be a lower-case MedMNIST name such as 'pneumoniamnist' "
                         f"(letters and digits only), got {flag!r}")
    if split not in ("train", "val", "test"):
        raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}; "
                         f"use split='val' for the validation images")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) \
            or size not in MEDMNIST_SIZES:
        raise ValueError(f"size must be one of {MEDMNIST_SIZES}, got {size!r}")
    names = [f"{flag}.npz", f"{flag}_28.npz"] if size == 28 else [f"{flag}_{size}.npz"]
    dirs = _medmnist_dirs(root)
    path = next((d / nm for d in dirs for nm in names if (d / nm).is_file()), None)
    if path is None:
        raise FileNotFoundError(
            f"MedMNIST file {' or '.join(names)} not found; looked in: "
            f"{', '.join(str(d) for d in dirs)}. This package never downloads: get "
            f"{names[0] if size == 28 else names[-1]} from {MEDMNIST_URL} (or with "
            f"`pip install medmnist` on a machine with internet, e.g. "
            f"`python -m medmnist download`), then copy it to one of those folders "
            f"(or set MEDMNIST_DIR, or pass root=).")
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = list(npz.files)
            want = (f"{split}_images", f"{split}_labels")
            if not all(k in keys for k in want):
                raise ValueError(
                    f"{str(path)!r} is not in MedMNIST format: it has keys {sorted(keys)}, "
                    f"expected {list(_MEDMNIST_KEYS)} (at least {list(want)} for split="
                    f"{split!r}); download a fresh copy from {MEDMNIST_URL}")
            images, labels = npz[want[0]], npz[want[1]]
    except ValueError as e:
        if "MedMNIST format" in str(e):
            raise
        raise ValueError(f"{str(path)!r} is not a readable .npz file ({e}); it may be "
                         f"corrupt or incomplete: download it again from {MEDMNIST_URL}"
                         ) from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as e:
        raise ValueError(f"{str(path)!r} is not a readable .npz file ({e}); it may be "
                         f"corrupt or incomplete: download it again from {MEDMNIST_URL}"
                         ) from None
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or images.shape[0] == 0:
        raise ValueError(f"{str(path)!r}: {split}_images must be (n, H, W) or (n, H, W, 1|3) "
                         f"with n >= 1, got shape {images.shape}; the file is not MedMNIST")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim not in (1, 2) or labels.shape[0] != images.shape[0]:
        raise ValueError(f"{str(path)!r}: {split}_labels has shape {labels.shape} but there "
                         f"are {images.shape[0]} images; the file is inconsistent")
    if images.dtype == np.uint8:
        x = images.astype(np.float32) / 255.0
    elif np.issubdtype(images.dtype, np.integer):
        x = images.astype(np.float32) / float(np.iinfo(images.dtype).max)
    else:
        x = images.astype(np.float32)
        lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
        if lo < 0 or hi > 1:
            x = (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
    return np.clip(x, 0.0, 1.0), labels.astype(np.int64)


# --------------------------------------------------------------------------- #
# splitting                                                                    #
# --------------------------------------------------------------------------- #


def train_test_split_arrays(x: Any, y: Any, test_fraction: float = 0.25, seed: int = 0,
                            stratify: bool = True
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split arrays into training and test parts (numpy only, deterministic).

    What this shows: we always judge a model on examples it never trained on;
    stratifying keeps the class proportions the same in both parts.

    Args:
        x: inputs, first axis = examples.
        y: targets with the same first axis (1-D class labels to stratify).
        test_fraction: share of examples for the test part, in (0, 1).
        seed: random seed.
        stratify: keep each class's share equal in both parts (needs 1-D labels;
            pass ``stratify=False`` for masks or other non-class targets).

    Returns:
        ``(x_train, x_test, y_train, y_test)``.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(f"x and y must have the same number of examples, got shapes "
                         f"{x.shape} and {y.shape}")
    test_fraction = _check_float("test_fraction", test_fraction, 0.0, 1.0, lo_open=True,
                                 hi_open=True, example=0.25)
    rng = np.random.default_rng(_check_seed(seed))
    n = len(y)
    if n < 2:
        raise ValueError(f"need at least 2 examples to split, got {n}")
    if stratify:
        if y.ndim != 1:
            raise ValueError(f"stratify=True needs 1-D class labels, got y of shape {y.shape}; "
                             f"pass stratify=False to split masks or other targets")
        test_idx = []
        for c in np.unique(y):
            members = rng.permutation(np.flatnonzero(y == c))
            k = int(round(len(members) * test_fraction))
            k = min(k, len(members) - 1) if len(members) > 1 else 0
            test_idx.append(members[:k])
        test = np.concatenate(test_idx)
        if len(test) == 0 or len(test) == n:
            raise ValueError(f"stratified split left an empty part (n={n}, "
                             f"test_fraction={test_fraction}); use more examples, a larger "
                             f"test_fraction, or stratify=False")
    else:
        k = min(max(int(round(n * test_fraction)), 1), n - 1)
        test = rng.permutation(n)[:k]
    is_test = np.zeros(n, dtype=bool)
    is_test[test] = True
    tr, te = rng.permutation(np.flatnonzero(~is_test)), rng.permutation(np.flatnonzero(is_test))
    return x[tr], x[te], y[tr], y[te]
