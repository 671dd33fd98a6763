"""Where did the model look? Grad-CAM and gradient saliency maps (lecture 002).

CheXNet drew CAM, which Grad-CAM equals on a GAP -> Dense head (see explainers.pooling).

What this shows: Grad-CAM weights each feature map of a conv layer by how
much the class score grows when that map grows (the spatial mean of
∂y/∂A_k), sums them and keeps the positive part: a coarse map of the regions
that argue *for* the class. A saliency map is the size of ∂y/∂x per pixel:
which pixels, nudged, would change the score most.

How the gradient is taken, on any model (Sequential, functional, or a model
used as a layer inside another): for the duration of one forward pass the
chosen layer returns its usual output plus a zero tensor ``δ``, and the
gradient is taken with respect to ``δ`` (which equals ∂y/∂A). The model runs
as usual, so no sub-model has to be cut out of its graph and nested models
never raise "graph disconnected".

Both gradients are compiled once per model (``explainers._backend``: a
``tf.function`` or ``jax.jit``), held weakly so a discarded model frees them,
and run through ``model.stateless_call`` with the current weights as
arguments, so training between two explanations is always seen.

Volumes: on a Conv3D model (input ``(D, H, W, C)``) every map is ``(D, H, W)``.
Grad-CAM's α_k is then the mean of ∂y/∂A_k over depth, rows and columns, and
the map is upsampled to the volume trilinearly: ``keras.ops.image.resize``
(bilinear, half-pixel centres, edges clamped) over rows and columns, then
along depth; the same numbers as ``scipy.ndimage.zoom(order=1,
grid_mode=True, mode="nearest")``, and exactly the 2-D map when D = 1.
"""
from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explainers import _backend
from explainers._layers import check_model, walk
from models._arguments import check_array, check_float, check_int, fail

__all__ = [
    "SaliencyMap", "GradCamBatch", "NoduleHitRate",
    "compute_gradcam", "compute_gradcam_batch", "compute_saliency", "compute_nodule_hit_rate",
    "find_gradcam_layer",
]


@dataclass(frozen=True)
class SaliencyMap:
    """A heatmap over one input image: where the model looked to make its call.

    Attributes (a volume model gives (D, H, W, ...) where an image model gives (H, W, ...)):
        image: (H, W, C) the image explained, as the model saw it; (D, H, W, C) for a volume.
        heatmap: (H, W) in [0, 1] at the input's resolution (1 = most important); (D, H, W) for a volume.
        method: "gradcam", "saliency" or "smoothgrad".
        class_index: the class explained (for one sigmoid unit: 1 = positive, 0 = negative).
        score: the model's output for that class (probability; 1 - p for class 0 of a sigmoid).
        layer_name: the conv layer used (Grad-CAM), else "".
        cam: Grad-CAM at the layer's resolution before normalising and upsampling, (h, w) or (d, h, w);
            else empty.
        channel_weights: Grad-CAM's α_k (spatial means of ∂y/∂A_k), (k,); else empty.
    """

    image: np.ndarray
    heatmap: np.ndarray
    method: str
    class_index: int
    score: float
    layer_name: str = ""
    cam: np.ndarray = field(default_factory=lambda: np.zeros(0))
    channel_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class GradCamBatch:
    """Grad-CAM of a batch of images, every step kept.

    What this shows: for every image, the regions whose features raise the class score.

    Attributes (volumes: (N, D, H, W, C), (N, D, H, W) and (N, d, h, w)):
        images: (N, H, W, C) the images explained.
        heatmaps: (N, H, W) in [0, 1], each upsampled to the input and scaled by its maximum.
        cams: (N, h, w) ReLU(Σ_k α_k A_k) at the layer's resolution.
        channel_weights: (N, k) α_k, the spatial means of ∂y/∂A_k (over d, h, w for a volume).
        scores: (N,) the model's output for the explained class.
        class_index: the class explained (one for the whole batch).
        layer_name: the layer whose feature maps A_k were used.
    """

    images: np.ndarray
    heatmaps: np.ndarray
    cams: np.ndarray
    channel_weights: np.ndarray
    scores: np.ndarray
    class_index: int
    layer_name: str


# ----------------------------------------------------------- model walking
_GRADCAM_CONVS = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D")  # not transposed: decoders upsample
_GRADCAM_CONVS_3D = ("Conv3D",)
_FOLLOWERS = ("BatchNormalization", "Activation", "ReLU", "LeakyReLU", "ELU")


def _paths(model) -> list[tuple[str, Any]]:
    """Every layer with its path ("inner_model/layer" inside nested models), in graph order."""
    return [("/".join([m.name for m in chain[1:]] + [layer.name]), layer) for chain, layer in walk(model)]


def _has_rank(layer, rank: int) -> bool:
    try:
        return len(layer.output.shape) == rank
    except (AttributeError, ValueError):
        return False


def _is_volume_model(model) -> bool:
    """The model takes volumes (batch, D, H, W, C)."""
    return len(model.inputs[0].shape) == 5


def _is_a(layer, names: tuple[str, ...]) -> bool:
    """``layer`` is an instance of a class named in ``names`` (subclasses included)."""
    return any(c.__name__ in names for c in type(layer).__mro__)


def find_gradcam_layer(model, layer_name: str | None = None):
    """The layer whose feature maps Grad-CAM uses.

    Default: the last 2-D conv layer, or the BatchNormalization/activation
    that directly follows it (so the maps are the conv's *activated* output,
    e.g. ``cnn_relu2`` in :func:`models.build_cnn`). ``layer_name`` may be a
    plain name or a path "inner_model/layer" inside nested models. For a
    volume model (input ``(D, H, W, C)``): the last Conv3D layer with a 5-D
    output (or its follower), and a named layer must have a 5-D output.
    """
    check_model(model)
    layers_ = _paths(model)
    volume = _is_volume_model(model)
    rank, kinds = (5, _GRADCAM_CONVS_3D) if volume else (4, _GRADCAM_CONVS)
    if layer_name is not None:
        if not isinstance(layer_name, str):
            fail("layer_name", layer_name, "a layer name (str) or None")
        for path, layer in layers_:
            if layer_name in (path, layer.name):
                if not _has_rank(layer, rank):
                    axes = "(batch, depth, height, width, channels)" if volume else "(batch, height, width, channels)"
                    fail("layer_name", layer_name, f"a layer with a {rank}-D {axes} output",
                         f"{layer_name!r} gives {tuple(layer.output.shape)}")
                return layer
        spatial = [p for p, l in layers_ if _has_rank(l, rank)]
        fail("layer_name", layer_name, f"the name or path of a layer of model {model.name!r}",
             f"it has no layer {layer_name!r}; its {'volume' if volume else 'spatial'} layers are {spatial}")
    convs = [i for i, (_, l) in enumerate(layers_) if _is_a(l, kinds) and _has_rank(l, rank)]
    if not convs:
        if volume:
            raise ValueError(f"volume model {model.name!r} has no Conv3D layer; Grad-CAM needs one "
                             f"(or name a 5-D layer with layer_name=...)")
        raise ValueError(f"model {model.name!r} has no 2-D conv layer; Grad-CAM needs one "
                         f"(or name a 4-D layer with layer_name=...)")
    return _with_followers(layers_, convs[-1])


def _with_followers(layers_, i: int):
    """Layer ``i``, or the last of the elementwise layers (BatchNorm, activations) fed directly by it."""
    chosen = layers_[i][1]
    # Walk on through elementwise layers fed directly by the chosen one.
    while i + 1 < len(layers_):
        nxt = layers_[i + 1][1]
        try:
            fed = nxt.input is chosen.output
        except (AttributeError, ValueError):
            fed = False
        if not (_is_a(nxt, _FOLLOWERS) and fed):
            break
        chosen, i = nxt, i + 1
    return chosen


def _layer_path(model, layer) -> str:
    return next(path for path, l in _paths(model) if l is layer)


@contextlib.contextmanager
def _replace_output(layer, fn: Callable[[Any], Any]) -> Iterator[None]:
    """While active, ``layer`` returns ``fn(its usual output)``."""
    original = layer.call

    def call(*args, **kwargs):
        return fn(original(*args, **kwargs))

    layer.call = call
    try:
        yield
    finally:
        del layer.call  # back to the class's method


# ---------------------------------------------------------------- checks
def _check_class_index(model, class_index) -> int | None:
    if class_index is None:
        return None
    units = int(model.outputs[0].shape[-1]) if getattr(model, "outputs", None) else None
    top = 2 if units == 1 else units
    return check_int("class_index", class_index, low=0, high=None if top is None else top - 1)


def _check_images(model, image) -> np.ndarray:
    """Accept (H, W), (H, W, C) or (N, H, W, C); return (N, H, W, C) float32 that fits the model.

    A volume model: (D, H, W), (D, H, W, C) or (N, D, H, W, C), returned as (N, D, H, W, C);
    with one channel also (N, D, H, W).
    """
    check_model(model)
    shape = tuple(model.inputs[0].shape[1:])
    if len(shape) == 4:
        x = check_array("image", image, ndim=(3, 4, 5))
        fits = (lambda got, want: all(w is None or w == g for g, w in zip(got, want)))
        if x.ndim == 3 or (x.ndim == 4 and shape[-1] == 1 and x.shape[-1] != 1 and fits(x.shape[1:], shape[:3])):
            x = x[..., None]   # one volume (D, H, W), or a batch (N, D, H, W), of one channel
        if x.ndim == 4:
            x = x[None]
        if any(s is not None and s != v for s, v in zip(shape, x.shape[1:])):
            fail("image", image, f"one volume {shape} or a batch (n, *{shape}), as the model expects",
                 "resample the volume to the model's input first")
        return x
    if len(shape) != 3:
        fail("model", model.name, "an image model taking (height, width, channels)",
             f"it takes inputs of shape {shape} (volumes (depth, height, width, channels) work too)")
    x = check_array("image", image, ndim=(2, 3, 4))
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim == 3:
        x = x[None]
    if any(s is not None and s != v for s, v in zip(shape, x.shape[1:])):
        fail("image", image, f"one image {shape} or a batch (n, *{shape}), as the model expects",
             "resize it first, e.g. models.data.load_image(..., size=...)")
    return x


def _normalise(maps: np.ndarray) -> np.ndarray:
    """Scale each map to [0, 1] by its maximum (all-zero maps stay zero)."""
    top = maps.reshape(len(maps), -1).max(axis=1).reshape(-1, *([1] * (maps.ndim - 1)))
    return np.where(top > 0, maps / np.where(top > 0, top, 1.0), 0.0)


def _upsample(maps: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    """(N, h, w) bilinearly to (N, *size); (N, d, h, w) trilinearly to (N, D, H, W)."""
    from keras import ops

    size = tuple(int(v) for v in size)
    if maps.shape[1:] == size:
        return maps
    if maps.ndim == 4:
        return _upsample_3d(maps, size)
    up = ops.image.resize(maps[..., None].astype(np.float32), size, interpolation="bilinear")
    return np.clip(ops.convert_to_numpy(up)[..., 0].astype(np.float64), 0.0, None)


def _upsample_3d(maps: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    """Trilinear, separably: bilinear over (rows, columns) slice by slice, then linear along depth
    (a bilinear resize of (depth, rows·columns) whose second axis keeps its size is linear in depth).
    Half-pixel centres, edges clamped: ``scipy.ndimage.zoom(order=1, grid_mode=True, mode="nearest")``."""
    from keras import ops

    n, d, h, w = maps.shape
    depth, rows, cols = size
    a = maps.astype(np.float32)
    if (h, w) != (rows, cols):
        a = ops.image.resize(a.reshape(n * d, h, w, 1), (rows, cols), interpolation="bilinear")
        a = ops.convert_to_numpy(a)
    a = np.asarray(a, dtype=np.float32).reshape(n, d, rows * cols, 1)
    if d != depth:
        a = ops.convert_to_numpy(ops.image.resize(a, (depth, rows * cols), interpolation="bilinear"))
    return np.clip(np.asarray(a).reshape(n, depth, rows, cols).astype(np.float64), 0.0, None)


# ------------------------------------------------------- compiled gradients
def _class_score(outputs, class_index: int | None):
    """Per-example score of the explained class and its index (a tensor), chosen inside the graph.

    One sigmoid unit: class 1 is p, class 0 is 1 - p (default 1). Softmax: the
    default is the first example's top class, for the whole batch.
    """
    from keras import ops

    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    if len(outputs.shape) != 2:
        raise ValueError(f"the model's output must be (batch, classes), got shape {tuple(outputs.shape)}")
    if int(outputs.shape[-1]) == 1:
        ci = 1 if class_index is None else class_index
        return (outputs[:, 0] if ci == 1 else 1.0 - outputs[:, 0]), ops.convert_to_tensor(ci, "int32")
    ci = ops.cast(ops.argmax(outputs[0]), "int32") if class_index is None else ops.convert_to_tensor(
        class_index, "int32")
    return ops.take(outputs, ci, axis=1), ci


def _weights(model) -> tuple[list, list]:
    return [v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables]


def _gradcam_function(model, layer, class_index: int | None) -> Callable:
    """Compiled ``(weights, non-trainable weights, x) -> (A, ∂Σy/∂A, scores, class)``, once per model,
    layer and class choice. Eager GradientTape passes re-dispatch every op from Python (~5x the
    compiled pass on the course CNN)."""
    from keras import ops

    model_ref, layer_ref = weakref.ref(model), weakref.ref(layer)  # strong refs would keep the model alive
    feature_shape = tuple(layer.output.shape[1:])

    def run(trainable, non_trainable, x):
        m, l = model_ref(), layer_ref()

        def total(delta):
            held = {}

            def shifted(a):
                held["a"] = a
                return a + delta

            with _replace_output(l, shifted):
                out, _ = m.stateless_call(trainable, non_trainable, x, training=False)
            scores, ci = _class_score(out, class_index)
            return ops.sum(scores), (held["a"], scores, ci)

        delta = ops.zeros((ops.shape(x)[0], *feature_shape), dtype=l.output.dtype)
        (_, (acts, scores, ci)), grads = _backend.value_and_grad(total, delta, has_aux=True)
        return acts, grads, scores, ci

    return _backend.compile_function(run)


def _input_function(model, class_index: int | None) -> Callable:
    """Compiled ``(weights, non-trainable weights, x) -> (∂Σy/∂x, scores, class)``, once per model
    and class choice (the saliency page pays it on every image and SmoothGrad copy)."""
    from keras import ops

    model_ref = weakref.ref(model)

    def run(trainable, non_trainable, x):
        def total(v):
            out, _ = model_ref().stateless_call(trainable, non_trainable, v, training=False)
            scores, ci = _class_score(out, class_index)
            return ops.sum(scores), (scores, ci)

        (_, (scores, ci)), grads = _backend.value_and_grad(total, x, has_aux=True)
        return grads, scores, ci

    return _backend.compile_function(run)


def _to_numpy(*tensors) -> list[np.ndarray]:
    from keras import ops

    return [ops.convert_to_numpy(t).astype(np.float64) for t in tensors]


# ---------------------------------------------------------------- Grad-CAM
def compute_gradcam_batch(model, images, *, layer_name: str | None = None,
                          class_index: int | None = None) -> GradCamBatch:
    """Grad-CAM for a batch of images (Selvaraju et al., 2017), in one compiled pass.

    What this shows: for every image, the regions whose features raise the
    score of the class, as :func:`compute_gradcam` does for one. A volume
    model takes ``(N, D, H, W, C)`` and gives ``(N, D, H, W)`` heatmaps.

    With ``class_index=None`` a softmax model explains the first image's
    top class for every image (pass an index to be explicit).
    """
    x = _check_images(model, images)
    class_index = _check_class_index(model, class_index)
    layer = find_gradcam_layer(model, layer_name)
    fn = _backend.per_model(model, ("gradcam", _layer_path(model, layer), class_index),
                            lambda: _gradcam_function(model, layer, class_index))
    acts, grads, scores, ci = fn(*_weights(model), x)
    if grads is None:
        raise ValueError(f"the score does not depend on layer {layer.name!r}; choose a layer on the path "
                         f"from the input to the output")
    acts, grads, scores = _to_numpy(acts, grads, scores)
    spatial = tuple(range(1, acts.ndim - 1))                           # (h, w) or (d, h, w)
    alphas = grads.mean(axis=spatial)                                  # α_k: (N, k)
    cams = np.maximum(np.einsum("n...k,nk->n...", acts, alphas), 0.0)  # ReLU(Σ α_k A_k)
    heat = _normalise(_upsample(_normalise(cams), x.shape[1:-1]))
    return GradCamBatch(x, heat, cams, alphas, scores, int(ci), layer.name)


def compute_gradcam(model, image, *, layer_name: str | None = None, class_index: int | None = None
                    ) -> SaliencyMap:
    """Grad-CAM heatmap of one image (Selvaraju et al., 2017).

    What this shows: the regions of the image whose features raise the
    score of the class: for a trained nodule detector, the nodule.

    Args:
        model: any Keras image classifier (sigmoid or softmax head;
            Sequential, functional, or nested).
        image: (H, W), (H, W, C) or (1, H, W, C), matching the model's input; for a
            Conv3D model one volume (D, H, W), (D, H, W, C) or (1, D, H, W, C).
        layer_name: the conv layer (default: the last 2-D conv layer's activated output;
            the last Conv3D layer's for a volume model).
        class_index: the class to explain (default: the predicted class for
            softmax, the positive class for one sigmoid unit; 0 explains "negative").

    Returns:
        :class:`SaliencyMap`; ``heatmap`` (H, W) in [0, 1], (D, H, W) for a volume,
        upsampled trilinearly from the layer's (d, h, w).
    """
    x = _check_images(model, image)
    if len(x) != 1:
        fail("image", image, "one image", f"got a batch of {len(x)}; use compute_gradcam_batch for batches")
    b = compute_gradcam_batch(model, x, layer_name=layer_name, class_index=class_index)
    return SaliencyMap(image=x[0], heatmap=b.heatmaps[0], method="gradcam", class_index=b.class_index,
                       score=float(b.scores[0]), layer_name=b.layer_name, cam=b.cams[0],
                       channel_weights=b.channel_weights[0])


# ---------------------------------------------------------------- saliency
def compute_saliency(model, image, *, class_index: int | None = None, smoothgrad: int = 0,
                     noise: float = 0.15, seed: int | None = 0) -> SaliencyMap:
    """Vanilla gradient saliency |∂y/∂x| (Simonyan et al., 2014), optionally SmoothGrad.

    What this shows: which pixels, if nudged, would change the score most.
    Raw gradients are speckled; SmoothGrad (Smilkov et al., 2017) averages
    them over ``smoothgrad`` noisy copies of the image for a cleaner map.

    Args:
        model, image, class_index: as :func:`compute_gradcam`.
        smoothgrad: number of noisy copies (0 = plain gradient).
        noise: noise standard deviation as a fraction of the image's value range.
        seed: seed of the noise.

    Returns:
        :class:`SaliencyMap`; ``heatmap`` (H, W) in [0, 1] ((D, H, W) for a
        volume): the largest |gradient| over channels, scaled by its maximum.
    """
    x = _check_images(model, image)
    if len(x) != 1:
        fail("image", image, "one image", f"got a batch of {len(x)}")
    class_index = _check_class_index(model, class_index)
    smoothgrad = check_int("smoothgrad", smoothgrad, low=0, high=256)
    noise = check_float("noise", noise, low=0.0, high=1.0)
    batch = x
    if smoothgrad:
        rng = np.random.default_rng(seed)
        span = float(x.max() - x.min()) or 1.0
        noisy = x + rng.normal(0.0, noise * span, (smoothgrad, *x.shape[1:])).astype(np.float32)
        # One forward/backward pass for the clean image (first: it fixes the class and the score)
        # and its noisy copies together; a pass costs more per call than per image.
        batch = np.concatenate([x, noisy])
    fn = _backend.per_model(model, ("saliency", class_index), lambda: _input_function(model, class_index))
    grads, scores, ci = fn(*_weights(model), batch)
    grads, scores = _to_numpy(grads, scores)
    grads = grads[1:].mean(axis=0, keepdims=True) if smoothgrad else grads
    sal = np.abs(grads).max(axis=-1)
    return SaliencyMap(image=x[0], heatmap=_normalise(sal)[0], method="smoothgrad" if smoothgrad else "saliency",
                       class_index=int(ci), score=float(scores[0]))


# ---------------------------------------------------------- nodule hit rate
@dataclass(frozen=True)
class NoduleHitRate:
    """How often Grad-CAM's peak falls inside the nodule, on true positives.

    Per true positive (``m`` of them, in the order of the given arrays):

    Attributes:
        rate: hits / true positives (NaN if there are none).
        hits: number of true positives whose peak is inside the nodule.
        true_positives: number of images with a nodule that the model called positive.
        indices: (m,) indices of the true positives in the given arrays.
        peaks: (m, 2) (row, col) of each Grad-CAM peak.
        inside: (m,) whether each peak lies within the nodule's radius.
        distances: (m,) distance from peak to nodule centre, in pixels.
        images: (m, H, W, C) the true positives; heatmaps (m, H, W) their Grad-CAM (class 1).
        centres: (m, 2) and radii (m,): their nodules.
    """

    rate: float
    hits: int
    true_positives: int
    indices: np.ndarray
    peaks: np.ndarray
    inside: np.ndarray
    distances: np.ndarray
    images: np.ndarray
    heatmaps: np.ndarray
    centres: np.ndarray
    radii: np.ndarray


def compute_nodule_hit_rate(model, images, labels, centres, radii, *, threshold: float = 0.5,
                            layer_name: str | None = None, batch_size: int = 64) -> NoduleHitRate:
    """Share of true positives whose Grad-CAM peak is inside the nodule.

    What this shows: whether the detector is right *for the right reason*:
    a model that found the nodule points at it; one that learnt a shortcut
    (e.g. the image border) does not.

    Args:
        model: a sigmoid (one unit) or two-class softmax lesion classifier.
        images, labels, centres, radii: as returned by :func:`models.data.make_lesions`.
        threshold: probability above which the model says "nodule".
        layer_name: Grad-CAM layer (default as in :func:`compute_gradcam`).
        batch_size: images per compiled pass.
    """
    check_model(model)
    if _is_volume_model(model):
        fail("model", model.name, "a 2-D lesion classifier taking images (height, width, channels)",
             "compute_nodule_hit_rate works on 2-D images; for a volume take compute_gradcam_batch's heatmaps "
             "and compare each peak (np.unravel_index of argmax) with the nodule's mask")
    x = _check_images(model, images)
    labels, centres, radii = np.asarray(labels), np.asarray(centres, dtype=np.float64), np.asarray(radii)
    if labels.shape != (len(x),) or centres.shape != (len(x), 2) or radii.shape != (len(x),):
        fail("labels, centres, radii", (labels.shape, centres.shape, radii.shape),
             f"shapes ({len(x)},), ({len(x)}, 2) and ({len(x)},) to match {len(x)} images")
    threshold = check_float("threshold", threshold, low=0.0, high=1.0)
    batch_size = check_int("batch_size", batch_size, low=1)
    out = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    prob = out[:, 0] if out.shape[-1] == 1 else out[:, 1]
    tp = np.flatnonzero((labels == 1) & (prob > threshold))
    heat = np.zeros((len(tp), *x.shape[1:3]))
    for start in range(0, len(tp), batch_size):
        idx = tp[start:start + batch_size]
        heat[start:start + len(idx)] = compute_gradcam_batch(model, x[idx], layer_name=layer_name,
                                                             class_index=1).heatmaps
    flat = heat.reshape(len(tp), heat[0].size).argmax(axis=1) if len(tp) else np.zeros(0, np.int64)
    peaks = np.stack(np.unravel_index(flat, heat.shape[1:]), axis=1).astype(np.int64).reshape(len(tp), 2)
    dist = np.linalg.norm(peaks - centres[tp], axis=1)
    inside = dist <= radii[tp]
    rate = float(inside.mean()) if len(tp) else float("nan")
    return NoduleHitRate(rate, int(inside.sum()), len(tp), tp, peaks, inside, dist, x[tp], heat, centres[tp],
                         radii[tp])
