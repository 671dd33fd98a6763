"""Data augmentation for image sets: Keras' own preprocessing layers plus two MR-like artefacts.

``augment(images, seed=..., rotation=15, noise=0.03, ...)`` returns a randomly
transformed copy of an ``(n, H, W, C)`` float32 image set, the way a training
loop augments each epoch's images. The geometric and intensity changes are
Keras' layers (``RandomFlip``, ``RandomRotation``, ``RandomZoom``,
``RandomContrast``, ``RandomTranslation``, ``GaussianNoise``), each built with
its own ``seed=`` on every call, so the same seed gives the same output in any
session and nothing global is seeded. Two artefacts of MR scanners are small
NumPy functions of our own: :func:`bias_field` (a smooth multiplicative
intensity shading from the receive coils) and :func:`motion_ghosting` (a
patient moving between phase-encoding lines: faint shifted copies of the
anatomy along one axis).

Only NumPy is imported when this module loads; Keras is imported by
:func:`augment` when a Keras layer is needed.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from models._arguments import ArgumentError, check_array, check_float, check_int

__all__ = ["AUGMENTATIONS", "augment", "bias_field", "motion_ghosting"]

#: every strength :func:`augment` takes, with its valid range and what it means
AUGMENTATIONS: dict[str, tuple[float, float, str]] = {
    "flip": (0.0, 1.0, "probability of a left-right flip"),
    "rotation": (0.0, 180.0, "largest rotation, degrees (uniform in ±rotation)"),
    "zoom": (0.0, 0.9, "largest zoom in or out, as a fraction of the image size"),
    "contrast": (0.0, 0.99, "largest contrast change, as a fraction (Keras' RandomContrast factor)"),
    "translation": (0.0, 0.5, "largest shift, as a fraction of the image size"),
    "noise": (0.0, 1.0, "standard deviation of added Gaussian noise (images in [0, 1])"),
    "bias_field": (0.0, 0.9, "largest deviation of the multiplicative shading from 1"),
    "ghosting": (0.0, 0.5, "fraction of phase-encoding lines acquired after the patient moved"),
}


def _check_images(images: Any) -> np.ndarray:
    x = check_array("images", images, ndim=4)
    if x.shape[1] < 2 or x.shape[2] < 2:
        raise ArgumentError(f"images must be (n, height, width, channels) with height and width >= 2, "
                            f"got shape {x.shape}")
    return x


def _check_seed(seed: Any) -> int:
    return check_int("seed", seed, low=0)


def _strength(name: str, value: Any) -> float:
    low, high, _ = AUGMENTATIONS[name]
    return check_float(name, value, low=low, high=high)


# ------------------------------------------------------------------ MR-like artefacts
def _bias_fields(rng: np.random.Generator, n: int, height: int, width: int, strength: float,
                 degree: int = 3) -> np.ndarray:
    """(n, H, W) smooth fields 1 + strength·g, g a random polynomial of ``degree`` with max |g| = 1."""
    yy, xx = np.meshgrid(np.linspace(-1.0, 1.0, height), np.linspace(-1.0, 1.0, width), indexing="ij")
    powers = [(i, j) for i in range(degree + 1) for j in range(degree + 1 - i) if i + j > 0]  # no constant
    terms = np.stack([yy ** i * xx ** j for i, j in powers])
    order = np.array([i + j for i, j in powers], dtype=float)
    coefficients = rng.normal(size=(n, len(powers))) / order  # higher orders weaker: smoother fields
    g = np.tensordot(coefficients, terms, axes=1)  # (n, H, W)
    g -= g.mean(axis=(1, 2), keepdims=True)
    g /= np.maximum(np.abs(g).max(axis=(1, 2), keepdims=True), 1e-12)
    return 1.0 + strength * g


def bias_field(images: Any, strength: float, *, seed: int) -> np.ndarray:
    """Multiply each image by a smooth random shading whose largest deviation from 1 is ``strength``.

    What this shows: MR images are brighter near the receive coils; the same
    tissue reads 20 % brighter on one side than on the other. A network that
    must not learn "bright = lesion" is trained on shaded copies.

    The field is ``1 + strength · g``, where ``g`` is a random cubic polynomial
    in the image coordinates scaled so that ``max |g| = 1`` (one field per
    image, shared by its channels): smooth by construction, and the output
    deviates from the input by at most ``strength`` times its value.

    Args:
        images: (n, H, W, C) float32.
        strength: largest deviation of the field from 1, in [0, 0.9].
        seed: seeds the fields (the same seed gives the same fields).
    """
    return _shade(_check_images(images), _strength("bias_field", strength), _check_seed(seed))


def _shade(x: np.ndarray, strength: float, seed: int) -> np.ndarray:
    if strength == 0.0:
        return x.copy()
    fields = _bias_fields(np.random.default_rng(seed), len(x), x.shape[1], x.shape[2], strength)
    return (x * fields[..., None]).astype(np.float32)


def motion_ghosting(images: Any, strength: float, *, seed: int) -> np.ndarray:
    """Motion ghosts: a fraction ``strength`` of the phase-encoding lines see the patient shifted.

    What this shows: an MR image is acquired line by line in k-space (its 2-D
    Fourier transform). If the patient moves (breathing, a heartbeat) while
    some lines are recorded, those lines carry the phase of a shifted image,
    and faint shifted copies of the anatomy, *ghosts*, appear along the
    phase-encoding axis (here the rows, axis 1), never along the other.

    Every ``period``-th group of lines (``period`` drawn from 4 to 8 per image,
    so the ghosts repeat at ``H / period`` pixels) is multiplied by
    ``exp(-2πi·k·d/H)``, the phase of a shift by ``d`` pixels (3 to H/8, either
    way). Only phases change, so the k-space magnitude, and by Parseval the
    image's total energy Σ|pixel|², are unchanged; the result is the magnitude
    image a scanner shows (non-negative).

    Args:
        images: (n, H, W, C) float32 (magnitude images: non-negative values).
        strength: fraction of phase-encoding lines affected, in [0, 0.5].
        seed: seeds the period, the shift and which lines move.
    """
    x = _check_images(images)
    strength = _strength("ghosting", strength)
    seed = _check_seed(seed)
    if strength == 0.0:
        return x.copy()
    rng = np.random.default_rng(seed)
    n, height = x.shape[0], x.shape[1]
    k = np.fft.fftfreq(height) * height  # phase-encoding line numbers: 0, 1, ..., -1
    acquired = np.arange(height)         # acquisition order: line index in k-space order
    out = np.empty_like(x)
    for i in range(n):
        period = int(rng.integers(4, 9))
        moved_lines = max(1, int(round(strength * period)))
        offset = int(rng.integers(0, period))
        moved = ((acquired + offset) % period) < moved_lines
        shift = float(rng.uniform(3.0, max(3.0, height / 8))) * rng.choice((-1.0, 1.0))
        phase = np.where(moved, np.exp(-2j * np.pi * k * shift / height), 1.0)
        spectrum = np.fft.fft(x[i].astype(np.float64), axis=0)  # along the phase-encoding axis
        out[i] = np.abs(np.fft.ifft(spectrum * phase[:, None, None], axis=0)).astype(np.float32)
    return out


# ------------------------------------------------------------------ Keras layers
# Pixels a rotation, zoom or shift uncovers are filled by mirroring the image at its border (Keras'
# default): a zero fill adds black corners with sharp edges that no real scan has.
FILL_MODE = "reflect"


def _rotation_layer(low_degrees: float, high_degrees: float, seed: int) -> Any:
    """Keras' RandomRotation for angles in [low, high] degrees (counter-clockwise positive), mirrored fill."""
    import keras

    return keras.layers.RandomRotation((low_degrees / 360.0, high_degrees / 360.0), fill_mode=FILL_MODE,
                                       interpolation="bilinear", seed=seed)


def _keras_layers(strengths: dict[str, float], seeds: dict[str, int]) -> list[Any]:
    """The Keras layers for the non-zero strengths, in the order they apply (geometry, then intensity)."""
    import keras

    made = []
    if strengths["rotation"]:
        made.append(_rotation_layer(-strengths["rotation"], strengths["rotation"], seeds["rotation"]))
    if strengths["zoom"]:
        z = strengths["zoom"]
        made.append(keras.layers.RandomZoom((-z, z), fill_mode=FILL_MODE, seed=seeds["zoom"]))
    if strengths["translation"]:
        t = strengths["translation"]
        made.append(keras.layers.RandomTranslation(t, t, fill_mode=FILL_MODE, seed=seeds["translation"]))
    if strengths["contrast"]:
        made.append(keras.layers.RandomContrast(strengths["contrast"], value_range=(0.0, 1.0),
                                                seed=seeds["contrast"]))
    if strengths["noise"]:
        made.append(keras.layers.GaussianNoise(strengths["noise"], seed=seeds["noise"]))
    return made


def _flip(x: np.ndarray, probability: float, seed: int) -> np.ndarray:
    """Keras' RandomFlip("horizontal") applied to each image with ``probability`` (its own draw is 0.5)."""
    import keras

    layer = keras.layers.RandomFlip("horizontal", seed=seed)
    draw = keras.random.uniform((len(x), 1, 1, 1), seed=keras.random.SeedGenerator(seed))
    flips = keras.ops.less(draw, probability)
    out = layer.transform_images(keras.ops.convert_to_tensor(x), {"flips": flips, "input_shape": x.shape},
                                 training=True)
    return np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float32)


def augment(images: Any, *, seed: int, flip: float = 0.0, rotation: float = 0.0, zoom: float = 0.0,
            contrast: float = 0.0, translation: float = 0.0, noise: float = 0.0, bias_field: float = 0.0,
            ghosting: float = 0.0) -> np.ndarray:
    """A randomly augmented copy of an image set: Keras' preprocessing layers and MR-like artefacts.

    What this shows: augmentation makes new training images from old ones by
    changes that keep the label (a nodule flipped, turned or shaded is still a
    nodule), so a network trained on few images sees more variety than the
    images themselves hold.

    Applied in this order, each only when its strength is above 0 (all zero:
    an exact copy): ``flip`` (Keras' ``RandomFlip``, left-right), ``rotation``
    (``RandomRotation``), ``zoom`` (``RandomZoom``), ``translation``
    (``RandomTranslation``; the three fill uncovered pixels by mirroring),
    ``contrast`` (``RandomContrast`` for values in [0, 1]; it clips to that range), ``bias_field``
    (:func:`bias_field`), ``ghosting`` (:func:`motion_ghosting`), ``noise``
    (``GaussianNoise``). Every layer is built here with its own seed drawn from
    ``seed`` and called with ``training=True``. See :data:`AUGMENTATIONS` for
    each strength's range and meaning.

    Args:
        images: (n, H, W, C) float32, by convention in [0, 1].
        seed: the same seed gives the same output; another seed, another draw.
        flip, rotation, zoom, contrast, translation, noise, bias_field, ghosting: strengths.

    Returns:
        (n, H, W, C) float32, the same shape as ``images``.
    """
    x = _check_images(images)
    seed = _check_seed(seed)
    given = {"flip": flip, "rotation": rotation, "zoom": zoom, "contrast": contrast, "translation": translation,
             "noise": noise, "bias_field": bias_field, "ghosting": ghosting}
    strengths = {name: _strength(name, value) for name, value in given.items()}
    # One independent seed per transformation, drawn from ``seed`` (no global generator).
    drawn = np.random.default_rng(seed).integers(0, 2**31 - 1, size=len(AUGMENTATIONS))
    seeds = {name: int(s) for name, s in zip(AUGMENTATIONS, drawn)}
    out = x.copy()
    if strengths["flip"]:
        out = _flip(out, strengths["flip"], seeds["flip"])
    first = {k: strengths[k] for k in ("rotation", "zoom", "translation", "contrast")}  # Keras, before the artefacts
    if any(first.values()):
        import keras

        for layer in _keras_layers({**first, "noise": 0.0}, seeds):
            out = layer(out, training=True)
        out = np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float32)
    if strengths["bias_field"]:
        out = _shade(out, strengths["bias_field"], seeds["bias_field"])
    if strengths["ghosting"]:
        out = motion_ghosting(out, strengths["ghosting"], seed=seeds["ghosting"])
    if strengths["noise"]:
        import keras

        (layer,) = _keras_layers({**{k: 0.0 for k in first}, "noise": strengths["noise"]}, seeds)
        out = np.asarray(keras.ops.convert_to_numpy(layer(out, training=True)), dtype=np.float32)
    return out
