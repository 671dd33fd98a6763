"""More ways to ask "where did the model look?": occlusion, integrated gradients, Grad-CAM++.

What this shows: three attribution methods that answer the question
differently, each checked against an independent reference in the tests.

- Occlusion (Zeiler & Fergus, 2014; MONAI's ``OcclusionSensitivity``): cover
  one patch at a time and watch the class score drop. No gradients, no
  assumptions: the slowest method and the easiest to believe.
- Integrated gradients (Sundararajan et al., 2017): average the gradient along
  the straight path from a baseline image (black by default) to the image,
  times the difference. The attributions add up to f(x) − f(baseline)
  (*completeness*): every bit of the score is accounted for, and the result
  keeps that check; by default more path points go where the score bends
  until it holds within 1 %.
- Grad-CAM++ (Chattopadhay et al., 2018): Grad-CAM with per-position weights
  α from second and third derivatives, so several objects of one class all
  show up, not only the strongest.

Every method works on any fitting Keras model (Sequential, functional,
nested) and, where it can, on any number of spatial dimensions: 2-D images
(H, W, C) and 3-D volumes (D, H, W, C). Forward passes and gradients are
compiled once per model (``explainers._backend``, TensorFlow or JAX) and run
through ``model.stateless_call`` with the current weights, so training between
two explanations is always seen. The score explained is the model's output
for the class, as in :mod:`explainers.saliency` (a probability; ``1 − p`` for
class 0 of one sigmoid unit); Grad-CAM++ explains the pre-activation score
(the logit), as the paper does; integrated gradients either
(``explain="logit"``).
"""
from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers import _backend
from explainers._layers import check_model, walk
from explainers.saliency import _replace_output, find_gradcam_layer  # one way to patch a layer's output
from models._arguments import check_array, check_choice, check_float, check_int, fail

__all__ = [
    "Occlusion", "IntegratedGradients", "GradCamPlusPlus",
    "compute_occlusion", "compute_integrated_gradients", "compute_gradcam_plus_plus",
]


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class Occlusion:
    """Occlusion sensitivity of one image: how much the class score drops when each region is covered.

    What this shows: the regions the model cannot do without. A patch of the
    baseline is slid over the image; each pixel's value is the score drop
    f(x) − f(x with the patch covered), averaged over every patch position
    that covered it. Positive: covering it lowers the score (evidence *for*
    the class); negative: covering it raises the score (evidence against).

    Attributes:
        image: (*S, C) the image explained (S: the spatial shape, 2-D or 3-D).
        heatmap: (*S) the mean score drop per pixel, at the input's resolution (signed, not scaled).
        drops: the score drop of each patch position, on the grid of positions (one axis per spatial axis).
        starts: (n_positions, len(S)) the first pixel of each patch position, row-major as ``drops.ravel()``.
        score: f(x), the model's score for the class on the untouched image.
        class_index: the class explained.
        patch, stride: per spatial axis, in pixels.
        baseline: what covered a patch: ``"0.0"`` (a number), ``"mean"`` or ``"blur"``.
    """

    image: np.ndarray
    heatmap: np.ndarray
    drops: np.ndarray
    starts: np.ndarray
    score: float
    class_index: int
    patch: tuple[int, ...]
    stride: tuple[int, ...]
    baseline: str


@dataclass(frozen=True)
class IntegratedGradients:
    """Integrated gradients of one image, with its completeness check.

    What this shows: each pixel's share of the score, measured against a
    baseline image: (x − x') times the gradient averaged along the straight
    path from x' to x. The shares add up to f(x) − f(x') (completeness,
    Sundararajan et al. 2017); ``relative_error`` says how close the numerical
    integral came. A trained ReLU network's score bends at every point of the
    path where a unit switches on or off or a max-pooling winner changes; the
    ``"adaptive"`` method adds gradient points inside the intervals where the
    bends cost accuracy until completeness holds within ``tolerance``.

    Attributes:
        image: (*S, C) the image explained; baseline: (*S, C) the baseline x'.
        attributions: (*S, C) per pixel and channel.
        heatmap: (*S) attributions summed over channels (signed).
        alphas: the points 0 .. 1 on the path where the gradient was taken (both ends included; for
            ``"adaptive"`` the uniform grid plus the points added, in increasing order).
        path_scores: the class score at each of those points.
        score: f(x); baseline_score: f(x').
        total: Σ attributions; expected: f(x) − f(x');
        relative_error: |total − expected| / |expected| (NaN when expected is 0).
        steps: the uniform intervals the path started with; method: ``"adaptive"``, ``"trapezoid"``,
            ``"riemann"`` (the paper's right sum) or ``"midpoint"``.
        class_index: the class explained.
        explained: what f is: ``"probability"`` (the model's output for the class) or ``"logit"`` (the
            pre-activation score under the head's sigmoid or softmax).
        intervals: the intervals of the path at the end (``steps`` unless ``"adaptive"`` added points).
        uniform_error: the relative error of the trapezoid rule on the ``steps`` uniform intervals
            (before any point was added; ``relative_error`` for the other methods).
        tolerance: the relative error ``"adaptive"`` aimed for (NaN for the other methods).
    """

    image: np.ndarray
    baseline: np.ndarray
    attributions: np.ndarray
    heatmap: np.ndarray
    alphas: np.ndarray
    path_scores: np.ndarray
    score: float
    baseline_score: float
    total: float
    expected: float
    relative_error: float
    steps: int
    method: str
    class_index: int
    explained: str
    intervals: int
    uniform_error: float
    tolerance: float


@dataclass(frozen=True)
class GradCamPlusPlus:
    """Grad-CAM++ of one image (Chattopadhay et al., 2018).

    What this shows: like Grad-CAM, the regions whose features raise the class
    score, but each feature map's weight sums its *positive* gradients with
    per-position weights α (from 2nd and 3rd derivatives of exp(score)), so
    several separate pieces of evidence all light up.

    Attributes:
        image: (*S, C) the image explained.
        heatmap: (*S) in [0, 1] at the input's resolution.
        cam: ReLU(Σ_k w_k A_k) at the layer's resolution, before scaling.
        alphas: (*s, k) the per-position weights α at the layer's resolution (each channel sums to 1).
        channel_weights: (k,) w_k = Σ_positions α · ReLU(∂exp(S)/∂A_k).
        logit: S, the pre-activation score explained (the output itself when the head has no sigmoid/softmax).
        score: the model's output for the class (a probability for a sigmoid/softmax head).
        class_index: the class explained.
        layer_name: the layer whose feature maps A_k were used.
    """

    image: np.ndarray
    heatmap: np.ndarray
    cam: np.ndarray
    alphas: np.ndarray
    channel_weights: np.ndarray
    logit: float
    score: float
    class_index: int
    layer_name: str


# ------------------------------------------------------------ shared checks
def _spatial_shape(model) -> tuple[tuple[int, ...], int]:
    """The model's input as (spatial shape, channels); every size must be known."""
    check_model(model)
    shape = tuple(model.inputs[0].shape[1:])
    if len(shape) < 2 or any(s is None for s in shape):
        fail("model", model.name, "an image model with a fixed input (*spatial, channels)",
             f"it takes inputs of shape {shape}")
    return tuple(int(s) for s in shape[:-1]), int(shape[-1])


def _one_image(model, image) -> np.ndarray:
    """One image as a float32 batch of one: (1, *S, C). Accepts (*S, C), (*S) for one channel, (1, *S, C)."""
    spatial, channels = _spatial_shape(model)
    full = (*spatial, channels)
    x = check_array("image", image, ndim=(len(full) - 1, len(full), len(full) + 1))
    if x.ndim == len(full) - 1 and channels == 1:
        x = x[..., None]
    if x.ndim == len(full):
        x = x[None]
    if x.shape != (1, *full):
        fail("image", image, f"one image of shape {full} as model {model.name!r} expects",
             f"got shape {np.shape(image)}; resize it first (models.data.load_image(..., size=...))")
    return np.ascontiguousarray(x, dtype=np.float32)


def _per_axis(argument: str, value, spatial: tuple[int, ...]) -> tuple[int, ...]:
    """An int, or one int per spatial axis, each >= 1 (a patch larger than the image is clipped to it)."""
    values = (value,) * len(spatial) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) \
        else tuple(value) if isinstance(value, (tuple, list)) else None
    if values is None or len(values) != len(spatial):
        fail(argument, value, f"a positive integer or {len(spatial)} of them (one per spatial axis)")
    return tuple(check_int(argument, v, low=1) for v in values)


def _reference_image(x: np.ndarray, baseline, blur_sigma: float, argument: str = "baseline") -> tuple[np.ndarray, str]:
    """The image a method puts in place of the original: (1, *S, C) and a short label.

    ``baseline``: a number (every pixel that value), ``"mean"`` (the image's mean per channel),
    ``"blur"`` (the image blurred by a Gaussian of ``blur_sigma`` pixels on the spatial axes)
    or an array shaped like the image.
    """
    if isinstance(baseline, str):
        check_choice(argument, baseline, ("mean", "blur"))
        if baseline == "mean":
            axes = tuple(range(1, x.ndim - 1))
            return np.broadcast_to(x.mean(axis=axes, keepdims=True), x.shape).astype(np.float32), "mean"
        from scipy.ndimage import gaussian_filter

        sigma = (0.0, *([blur_sigma] * (x.ndim - 2)), 0.0)
        return gaussian_filter(x.astype(np.float64), sigma=sigma, mode="nearest").astype(np.float32), "blur"
    if isinstance(baseline, (int, float, np.integer, np.floating)) and not isinstance(baseline, bool):
        value = check_float(argument, baseline)
        return np.full_like(x, value, dtype=np.float32), f"{value:g}"
    a = check_array(argument, baseline)
    if a.shape == x.shape[1:]:
        a = a[None]
    elif a.shape == x.shape[1:-1] and x.shape[-1] == 1:
        a = a[None, ..., None]
    if a.shape != x.shape:
        fail(argument, baseline, f"a number, 'mean', 'blur' or an array shaped like the image {x.shape[1:]}",
             f"got an array of shape {np.shape(baseline)}")
    return a.astype(np.float32), "array"


def _units(model) -> int:
    out = model.outputs[0]
    if len(out.shape) != 2:
        fail("model", model.name, "a classifier whose output is (batch, classes)",
             f"its output has shape {tuple(out.shape)}")
    return int(out.shape[-1])


def _check_class_index(model, class_index) -> int | None:
    if class_index is None:
        return None
    units = _units(model)
    return check_int("class_index", class_index, low=0, high=(2 if units == 1 else units) - 1)


def _select(outputs: np.ndarray, class_index: int) -> np.ndarray:
    """Per-example score of the class: p or 1 − p for one sigmoid unit, else column ``class_index``."""
    if outputs.shape[-1] == 1:
        return outputs[:, 0] if class_index == 1 else 1.0 - outputs[:, 0]
    return outputs[:, class_index]


def _weights(model) -> tuple[list, list]:
    return [v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables]


def _first(outputs):
    return outputs[0] if isinstance(outputs, (list, tuple)) else outputs


# ------------------------------------------------------- compiled functions
def _forward_function(model) -> Callable:
    """Compiled ``(weights, non-trainable weights, x) -> outputs``, once per model."""
    model_ref = weakref.ref(model)

    def run(trainable, non_trainable, x):
        out, _ = model_ref().stateless_call(trainable, non_trainable, x, training=False)
        return _first(out)

    return _backend.compile_function(run)


def _outputs(model, batch: np.ndarray, batch_size: int) -> np.ndarray:
    """The model's outputs for ``batch``, ``batch_size`` images per compiled pass, as float64."""
    from keras import ops

    fn = _backend.per_model(model, ("attribution_forward",), lambda: _forward_function(model))
    weights = _weights(model)
    parts = [ops.convert_to_numpy(fn(*weights, batch[i:i + batch_size])) for i in range(0, len(batch), batch_size)]
    return np.concatenate(parts).astype(np.float64)


def _resolve_class(model, x: np.ndarray, class_index: int | None) -> tuple[int, float]:
    """The class explained (default: positive for one sigmoid unit, the top class for softmax) and f(x)."""
    _units(model)
    out = _outputs(model, x, 1)
    ci = (1 if out.shape[-1] == 1 else int(out[0].argmax())) if class_index is None else class_index
    return ci, float(_select(out, ci)[0])


def _input_gradient_function(model, class_index: int, logit: bool = False) -> Callable:
    """Compiled ``(weights, non-trainable weights, x) -> (∂Σ score/∂x, scores)`` for one class.

    The score is the class's output (a probability; ``1 − p`` for class 0 of one sigmoid unit) or, with
    ``logit``, its pre-activation score under the head's sigmoid or softmax (``−z`` for class 0 of one
    sigmoid unit, the logit of ``1 − p``), as Grad-CAM++ explains."""
    from keras import ops

    model_ref = weakref.ref(model)

    def run(trainable, non_trainable, x):
        def total(v):
            m = model_ref()
            with _linear_head(m) if logit else contextlib.nullcontext():
                out, _ = m.stateless_call(trainable, non_trainable, v, training=False)
            out = _first(out)
            if int(out.shape[-1]) == 1:
                scores = out[:, 0] if class_index == 1 else (-out[:, 0] if logit else 1.0 - out[:, 0])
            else:
                scores = out[:, class_index]
            return ops.sum(scores), scores

        (_, scores), grads = _backend.value_and_grad(total, x, has_aux=True)
        return grads, scores

    return _backend.compile_function(run)


def _output_layer(model):
    """The layer that produces the model's (first) output, inside nested models too."""
    import keras

    tensor = model.outputs[0]
    for _ in range(64):
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            return None
        op = history[0]
        if isinstance(op, keras.Model):
            tensor = op.outputs[history[2]]
            continue
        return op
    return None


@contextlib.contextmanager
def _linear_head(model) -> Iterator[bool]:
    """While active, the output layer's sigmoid or softmax is the identity (as tf-keras-vis'
    ``ReplaceToLinear``): the model returns the pre-activation scores. Yields whether it changed
    (a head of another kind stays as it is: its output is taken as the score)."""
    import keras

    layer = _output_layer(model)
    activation = getattr(layer, "activation", None)
    if getattr(activation, "__name__", "") in ("sigmoid", "softmax"):
        layer.activation = keras.activations.linear
        try:
            yield True
        finally:
            layer.activation = activation
    elif layer is not None and type(layer).__name__ == "Softmax":
        layer.call = lambda inputs, *args, **kwargs: inputs
        try:
            yield True
        finally:
            del layer.call
    else:
        yield False


def _feature_function(model, layer, class_index: int) -> Callable:
    """Compiled ``(weights, non-trainable weights, x) -> (A, ∂S/∂A, S)``: the layer's feature maps and
    the gradient of the class's pre-activation score S with respect to them, once per model, layer and class.
    The gradient is taken with respect to a zero tensor added to the layer's output (as
    :mod:`explainers.saliency` does), so nested models need no sub-model cut out of their graph."""
    from keras import ops

    model_ref, layer_ref = weakref.ref(model), weakref.ref(layer)
    feature_shape = tuple(layer.output.shape[1:])

    def run(trainable, non_trainable, x):
        m, l = model_ref(), layer_ref()

        def total(delta):
            held = {}

            def shifted(a):
                held["a"] = a
                return a + delta

            with _replace_output(l, shifted), _linear_head(m):
                out, _ = m.stateless_call(trainable, non_trainable, x, training=False)
            out = _first(out)
            if int(out.shape[-1]) == 1:  # one unit: S = z for class 1, −z for class 0 (the logit of 1 − p)
                logits = out[:, 0] if class_index == 1 else -out[:, 0]
            else:
                logits = out[:, class_index]
            return ops.sum(logits), (held["a"], logits)

        delta = ops.zeros((ops.shape(x)[0], *feature_shape), dtype=l.output.dtype)
        (_, (acts, logits)), grads = _backend.value_and_grad(total, delta, has_aux=True)
        return acts, grads, logits

    return _backend.compile_function(run)


def _layer_path(model, layer) -> str:
    for chain, candidate in walk(model):
        if candidate is layer:
            return "/".join([m.name for m in chain[1:]] + [layer.name])
    return layer.name


def _to_numpy(*tensors) -> list[np.ndarray]:
    from keras import ops

    return [ops.convert_to_numpy(t).astype(np.float64) for t in tensors]


def _resize_linear(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """(Multi)linear resize of an N-D array with half-pixel centres and edge clamping, axis by axis
    (for 2-D: what ``keras.ops.image.resize(..., "bilinear")`` does when upsampling)."""
    out = np.asarray(a, dtype=np.float64)
    for axis, size in enumerate(shape):
        n = out.shape[axis]
        if n == size:
            continue
        src = np.clip((np.arange(size) + 0.5) * n / size - 0.5, 0.0, n - 1)
        lo = np.floor(src).astype(np.int64)
        hi = np.minimum(lo + 1, n - 1)
        w = (src - lo).reshape([-1 if i == axis else 1 for i in range(out.ndim)])
        out = np.take(out, lo, axis=axis) * (1 - w) + np.take(out, hi, axis=axis) * w
    return out


# ---------------------------------------------------------------- occlusion
def _starts(size: int, patch: int, stride: int) -> np.ndarray:
    """Patch starts along one axis: 0, stride, ... and one flush with the end, so every pixel is covered."""
    last = size - patch
    starts = list(range(0, last + 1, stride))
    if starts[-1] != last:
        starts.append(last)
    return np.asarray(starts, dtype=np.int64)


def compute_occlusion(model, image, *, patch: int | Sequence[int] = 8, stride: int | Sequence[int] = 4,
                      baseline: float | str = 0.0, class_index: int | None = None, batch_size: int = 64,
                      blur_sigma: float = 4.0) -> Occlusion:
    """Occlusion sensitivity (Zeiler & Fergus, 2014; as MONAI's ``OcclusionSensitivity``), batched.

    What this shows: how much the class score drops when each region of the
    image is hidden: the regions the model cannot do without, measured by
    forward passes alone (no gradients, so no gradient can mislead).

    Args:
        model: any Keras classifier (sigmoid or softmax head) on images (H, W, C) or volumes (D, H, W, C).
        image: one image (*S, C), (*S) for one channel, or (1, *S, C).
        patch: side of the covering patch, in pixels (an int, or one per spatial axis; clipped to the image).
        stride: step between patch positions (an int or one per axis); a last position flush with the
            far edge is added, so every pixel is covered at least once.
        baseline: what covers the patch: a number, ``"mean"`` (the image's mean) or ``"blur"``
            (the image blurred by a Gaussian of ``blur_sigma`` pixels).
        class_index: the class explained (default: positive for one sigmoid unit, the top class for softmax).
        batch_size: occluded copies per compiled forward pass.
        blur_sigma: the blur of ``baseline="blur"``, in pixels.

    Returns:
        :class:`Occlusion`; ``heatmap`` (*S): per pixel, the mean of f(x) − f(occluded x) over the
        patch positions that covered it.
    """
    x = _one_image(model, image)
    spatial = x.shape[1:-1]
    patch = tuple(min(p, s) for p, s in zip(_per_axis("patch", patch, spatial), spatial))
    stride = _per_axis("stride", stride, spatial)
    class_index = _check_class_index(model, class_index)
    batch_size = check_int("batch_size", batch_size, low=1)
    blur_sigma = check_float("blur_sigma", blur_sigma, low=0.0)
    if isinstance(baseline, np.ndarray):
        fail("baseline", baseline, "a number, 'mean' or 'blur'")
    cover, label = _reference_image(x, baseline, blur_sigma)
    ci, score = _resolve_class(model, x, class_index)

    axes_starts = [_starts(s, p, st) for s, p, st in zip(spatial, patch, stride)]
    grid = tuple(len(a) for a in axes_starts)
    starts = np.stack(np.meshgrid(*axes_starts, indexing="ij"), axis=-1).reshape(-1, len(spatial))
    drops = np.empty(len(starts))
    for begin in range(0, len(starts), batch_size):
        chunk = starts[begin:begin + batch_size]
        batch = np.repeat(x, len(chunk), axis=0)
        for j, s in enumerate(chunk):
            region = (j, *(slice(a, a + p) for a, p in zip(s, patch)))
            batch[region] = cover[(0, *region[1:])]
        drops[begin:begin + len(chunk)] = score - _select(_outputs(model, batch, batch_size), ci)
    total, count = np.zeros(spatial), np.zeros(spatial)
    for s, d in zip(starts, drops):
        region = tuple(slice(a, a + p) for a, p in zip(s, patch))
        total[region] += d
        count[region] += 1
    return Occlusion(image=x[0], heatmap=total / count, drops=drops.reshape(grid), starts=starts, score=score,
                     class_index=ci, patch=patch, stride=stride, baseline=label)


# ----------------------------------------------------- integrated gradients
_IG_METHODS = ("adaptive", "trapezoid", "riemann", "midpoint")
_IG_EXPLAINED = ("probability", "logit")


def _ig_points(steps: int, method: str) -> tuple[np.ndarray, np.ndarray]:
    """The path points α where the gradient is taken (always with both ends, for f(x') and f(x)) and
    each point's weight in the integral."""
    grid = np.linspace(0.0, 1.0, steps + 1)
    if method == "midpoint":
        alphas = np.concatenate([[0.0], (np.arange(steps) + 0.5) / steps, [1.0]])
        weights = np.concatenate([[0.0], np.full(steps, 1.0 / steps), [0.0]])
        return alphas, weights
    weights = np.full(steps + 1, 1.0 / steps)
    if method in ("trapezoid", "adaptive"):
        weights[[0, -1]] = 0.5 / steps
    else:
        weights[0] = 0.0
    return grid, weights


def _trapezoid_weights(alphas: np.ndarray) -> np.ndarray:
    """Each point's weight in the trapezoid rule on the (non-uniform, increasing) grid ``alphas``."""
    h = np.diff(alphas)
    return (np.concatenate([[0.0], h]) + np.concatenate([h, [0.0]])) / 2.0


def _interval_errors(alphas: np.ndarray, scores: np.ndarray, slopes: np.ndarray) -> np.ndarray:
    """Per interval [a, b] of the path: the trapezoid rule's share of Σ attributions, (b − a)·(s_a + s_b)/2,
    minus what the score really changed, f(b) − f(a). ``slopes`` s = Σ (x − x')·∂f/∂x at each point (the
    score's derivative along the path). Their sum is exactly the completeness gap,
    Σ attributions − (f(x) − f(x'))."""
    h = np.diff(alphas)
    return h * (slopes[:-1] + slopes[1:]) / 2.0 - np.diff(scores)


def _to_split(errors: np.ndarray, allowed: float, most: int) -> np.ndarray:
    """Indices (increasing) of the intervals to halve next: the ``most`` largest |errors|, of those above
    ``allowed`` / (number of intervals) (had every interval stayed below that, the miss would be allowed)."""
    order = np.argsort(-np.abs(errors), kind="stable")[:most]
    return np.sort(order[np.abs(errors[order]) > allowed / len(errors)])


def compute_integrated_gradients(model, image, *, baseline=None, steps: int = 64, class_index: int | None = None,
                                 method: str = "adaptive", explain: str = "probability", tolerance: float = 0.01,
                                 max_steps: int = 1024, batch_size: int = 64) -> IntegratedGradients:
    """Integrated gradients (Sundararajan et al., 2017), the path points batched.

    What this shows: each pixel's share of the class score relative to a
    baseline image, such that the shares add up to f(x) − f(baseline)
    (completeness, checked in the result). Unlike a plain gradient it does
    not go blind where the score saturates: it sums the gradient along the
    whole path from the baseline.

    Args:
        model: any Keras classifier (sigmoid or softmax head), 2-D or 3-D inputs.
        image: one image (*S, C), (*S) for one channel, or (1, *S, C).
        baseline: ``None`` (all zeros, a black image), a number, ``"blur"`` (the image blurred by a
            Gaussian of 4 pixels) or an array shaped like the image.
        steps: intervals m of the path (``"adaptive"``: the uniform intervals it starts with).
        class_index: the class explained (default: positive for one sigmoid unit, the top class for softmax).
        method: how the path integral is summed. ``"trapezoid"``: α = 0, 1/m, .., 1, the two ends
            halved; ``"riemann"``: the paper's right Riemann sum, α = 1/m .. 1; ``"midpoint"``:
            α = (k + ½)/m. ``"adaptive"`` (default): the trapezoid rule on m intervals, then, while
            Σ attributions misses f(x) − f(x') by more than ``tolerance`` of it, the intervals whose
            share of the miss is largest (each interval's share of Σ attributions minus the score's
            change across it; the shares add up to the miss exactly) are halved, ``batch_size`` per
            round and one batched gradient pass each, up to ``max_steps`` intervals. Why: a trained
            ReLU network's score bends wherever a unit switches or a max-pooling winner changes along
            the path (about 1,700 bends on the lesion CNN of ``models.recipes.sanity`` trained 5
            epochs), and on an image it scores much like the black baseline the score swings up and
            down by 30-40 times the net change f(x) − f(x'), so a uniform grid's small errors are
            large against that change: on 32 of its validation images the trapezoid rule at 64 steps
            misses by more than 1 % on 24 (median 4 %, at most 111 %), the adaptive rule by at most
            1 % with at most 696 intervals (218 on average). Explaining the logit instead of the
            probability changes these errors by less than a tenth: the bends, not the sigmoid, cost them.
        explain: ``"probability"`` (the model's output for the class, as :mod:`explainers.saliency`)
            or ``"logit"`` (the pre-activation score under the head's sigmoid or softmax, as
            Grad-CAM++ explains; a ReLU/max-pooling/batch-norm network's logit is piecewise linear in
            the input, so along the path the gradient is piecewise constant).
        tolerance: the relative completeness error ``"adaptive"`` aims for (ignored by the others).
        max_steps: the most intervals ``"adaptive"`` may use (``relative_error`` says whether it got there).
        batch_size: path points per compiled gradient pass.

    Returns:
        :class:`IntegratedGradients`; ``attributions`` (*S, C) = (x − x') · ∫ ∂f/∂x along the path.
    """
    x = _one_image(model, image)
    base, _ = _reference_image(x, 0.0 if baseline is None else baseline, 4.0)
    steps = check_int("steps", steps, low=1, high=65536)
    class_index = _check_class_index(model, class_index)
    method = check_choice("method", method, _IG_METHODS)
    explain = check_choice("explain", explain, _IG_EXPLAINED)
    tolerance = check_float("tolerance", tolerance, low=0.0, low_open=True)
    max_steps = check_int("max_steps", max_steps, low=steps if method == "adaptive" else 1, high=65536)
    batch_size = check_int("batch_size", batch_size, low=1)
    ci, _ = _resolve_class(model, x, class_index)

    diff = (x - base).astype(np.float64)
    fn = _backend.per_model(model, ("attribution_input_gradient", ci, explain),
                            lambda: _input_gradient_function(model, ci, explain == "logit"))
    params = _weights(model)

    def gradients(alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(∂f/∂x at each α as float32 (n, *S, C), f at each α)."""
        grads = np.empty((len(alphas), *x.shape[1:]), dtype=np.float32)
        scores = np.empty(len(alphas))
        for begin in range(0, len(alphas), batch_size):
            a = alphas[begin:begin + batch_size].reshape(-1, *([1] * (x.ndim - 1)))
            g, s = _to_numpy(*fn(*params, (base + a * diff).astype(np.float32)))
            grads[begin:begin + len(a)], scores[begin:begin + len(a)] = g, s
        return grads, scores

    alphas, weights = _ig_points(steps, method)
    grads, scores = gradients(alphas)
    axes = tuple(range(1, grads.ndim))
    expected = float(scores[-1] - scores[0])

    def relative(total: float) -> float:
        return abs(total - expected) / abs(expected) if expected != 0 else float("nan")

    integral = np.tensordot(weights, grads.astype(np.float64), axes=1)
    uniform_error = relative(float((diff[0] * integral).sum()))
    if method == "adaptive":
        slopes = (grads.astype(np.float64) * diff).sum(axis=axes)
        allowed = tolerance * abs(expected)
        while True:
            errors = _interval_errors(alphas, scores, slopes)
            budget = max_steps - len(errors)
            if abs(errors.sum()) <= allowed or budget <= 0:
                break
            split = _to_split(errors, allowed, min(budget, batch_size))
            if not len(split):
                break
            new = (alphas[split] + alphas[split + 1]) / 2.0
            g, s = gradients(new)
            order = np.argsort(np.concatenate([alphas, new]), kind="stable")
            alphas = np.concatenate([alphas, new])[order]
            scores = np.concatenate([scores, s])[order]
            slopes = np.concatenate([slopes, (g.astype(np.float64) * diff).sum(axis=axes)])[order]
            grads = np.concatenate([grads, g])[order]
        integral = np.tensordot(_trapezoid_weights(alphas), grads.astype(np.float64), axes=1)
    attributions = diff[0] * integral
    total = float(attributions.sum())
    return IntegratedGradients(image=x[0], baseline=base[0], attributions=attributions,
                               heatmap=attributions.sum(axis=-1), alphas=alphas, path_scores=scores,
                               score=float(scores[-1]), baseline_score=float(scores[0]), total=total,
                               expected=expected, relative_error=relative(total), steps=steps, method=method,
                               class_index=ci, explained=explain, intervals=len(alphas) - 1,
                               uniform_error=uniform_error if method in ("adaptive", "trapezoid")
                               else relative(total),
                               tolerance=tolerance if method == "adaptive" else float("nan"))


# --------------------------------------------------------------- Grad-CAM++
def compute_gradcam_plus_plus(model, image, *, layer_name: str | None = None,
                              class_index: int | None = None) -> GradCamPlusPlus:
    """Grad-CAM++ (Chattopadhay et al., 2018) of one image, as tf-keras-vis' ``GradcamPlusPlus``.

    What this shows: the regions whose features raise the class score, each
    feature map weighted by its positive gradients with per-position weights
    α, so several separate lesions of one class all light up (Grad-CAM's
    averaged gradient favours the strongest).

    With Y = exp(S) (S the class's pre-activation score; the head's sigmoid or
    softmax is bypassed, as tf-keras-vis' ``ReplaceToLinear`` does) and
    g = ∂S/∂A, the paper's closed form gives
    α = g² / (2 g² + Σ_positions A · g³) per position and channel (0 where
    g = 0); α is then scaled to sum to 1 over the positions of each channel
    (as the authors' code and tf-keras-vis do),
    w_k = Σ_positions α · ReLU(exp(S) g) and the map is ReLU(Σ_k w_k A_k).
    After global *max* pooling (``models.build_cnn``) each live channel's g is
    non-zero at one position only, its maximum, so α is 1 there and the map
    is Grad-CAM's with the negatively weighted channels dropped: on the lesion
    CNN those channels had cancelled part of the positive channels' response
    near the image border, so Grad-CAM++ puts more of its map there.

    Args:
        model: any Keras classifier with a conv layer (Sequential, functional or nested).
        image: one image, as the model expects.
        layer_name: the layer (default: as :func:`explainers.saliency.find_gradcam_layer`, the
            last conv layer's activated output); a name or a path "inner_model/layer".
        class_index: the class explained (default: positive for one sigmoid unit, the top class for softmax).

    Returns:
        :class:`GradCamPlusPlus`; ``heatmap`` (*S) in [0, 1].
    """
    x = _one_image(model, image)
    class_index = _check_class_index(model, class_index)
    layer = find_gradcam_layer(model, layer_name)
    ci, score = _resolve_class(model, x, class_index)
    fn = _backend.per_model(model, ("gradcam_plus_plus", _layer_path(model, layer), ci),
                            lambda: _feature_function(model, layer, ci))
    acts, grads, logits = fn(*_weights(model), x)
    if grads is None:
        raise ValueError(f"the score does not depend on layer {layer.name!r}; choose a layer on the path "
                         f"from the input to the output")
    acts, g, logits = (a[0] for a in _to_numpy(acts, grads, logits))
    logit = float(logits)
    space = tuple(range(acts.ndim - 1))
    exp_s = np.exp(logit)
    first, second, third = exp_s * g, exp_s * g ** 2, exp_s * g ** 3
    denominator = 2.0 * second + third * acts.sum(axis=space, keepdims=True)
    alphas = second / np.where(second == 0.0, 1.0, denominator) * (second != 0.0)
    norm = alphas.sum(axis=space, keepdims=True)
    alphas = alphas / np.where(norm == 0.0, 1.0, norm)
    weights = (alphas * np.maximum(first, 0.0)).sum(axis=space)
    cam = np.maximum((acts * weights).sum(axis=-1), 0.0)
    top = cam.max()
    heat = _resize_linear(cam / top if top > 0 else cam, x.shape[1:-1])
    heat = np.clip(heat, 0.0, None)
    top = heat.max()
    heat = heat / top if top > 0 else heat
    return GradCamPlusPlus(image=x[0], heatmap=heat, cam=cam, alphas=alphas, channel_weights=weights,
                           logit=logit, score=score, class_index=ci, layer_name=layer.name)
