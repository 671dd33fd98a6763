"""Where did the model look? Grad-CAM and gradient saliency maps (lecture 002, CheXNet-style).

What this shows: Grad-CAM weights each feature map of a conv layer by how
much the class score grows when that map grows (the spatial mean of
∂y/∂A_k), sums them and keeps the positive part: a coarse map of the regions
that argue *for* the class. A saliency map is the size of ∂y/∂x per pixel:
which pixels, nudged, would change the score most.

How the gradient is taken, on any model (Sequential, functional, or a model
used as a layer inside another): the chosen layer's ``call`` is swapped, for
the duration of one forward pass, for a function that returns a tensor we
hold (and watch). The model then runs as usual, so no sub-model has to be
cut out of its graph and nested models never raise "graph disconnected".
TensorFlow (``GradientTape``) and JAX (``jax.grad``) backends are supported.
"""
from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SaliencyResult:
    """A heatmap over the input image.

    Attributes:
        heatmap: (H, W) in [0, 1] at the input's resolution (1 = most important).
        method: "gradcam", "saliency" or "smoothgrad".
        class_index: the class explained (for one sigmoid unit: 1 = positive, 0 = negative).
        score: the model's output for that class (probability; 1 - p for class 0 of a sigmoid).
        layer_name: the conv layer used (Grad-CAM), else "".
        cam: Grad-CAM at the layer's resolution before normalising and upsampling, (h, w); else empty.
        channel_weights: Grad-CAM's α_k (spatial means of ∂y/∂A_k), (k,); else empty.
    """

    heatmap: np.ndarray
    method: str
    class_index: int
    score: float
    layer_name: str = ""
    cam: np.ndarray = field(default_factory=lambda: np.zeros(0))
    channel_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))


# ----------------------------------------------------------- model walking
def iter_layers(model) -> Iterator[tuple[str, Any]]:
    """Every layer of ``model``, nested models walked into, in graph order, with a path name."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            for path, inner in iter_layers(layer):
                yield f"{layer.name}/{path}", inner
        else:
            yield layer.name, layer


def _is_4d(layer) -> bool:
    try:
        return len(layer.output.shape) == 4
    except (AttributeError, ValueError):
        return False


def find_gradcam_layer(model, layer_name: str | None = None):
    """The layer whose feature maps Grad-CAM uses.

    Default: the last 2-D conv layer, or the BatchNormalization/activation
    that directly follows it (so the maps are the conv's *activated* output,
    e.g. ``cnn_relu2`` in :func:`models.build_cnn`). ``layer_name`` may be a
    plain name or a path "inner_model/layer" inside nested models.
    """
    import keras

    layers_ = list(iter_layers(model))
    if layer_name is not None:
        if not isinstance(layer_name, str):
            raise TypeError(f"layer_name must be a str, got {type(layer_name).__name__}")
        for path, layer in layers_:
            if layer_name in (path, layer.name):
                if not _is_4d(layer):
                    raise ValueError(f"layer {layer_name!r} has output shape {tuple(layer.output.shape)}; "
                                     f"Grad-CAM needs a 4-D (batch, height, width, channels) feature map")
                return layer
        spatial = [p for p, l in layers_ if _is_4d(l)]
        raise ValueError(f"model {model.name!r} has no layer {layer_name!r}; spatial layers: {spatial}")
    convs = [i for i, (_, l) in enumerate(layers_)
             if isinstance(l, keras.layers.Conv2D | keras.layers.DepthwiseConv2D | keras.layers.SeparableConv2D)
             and _is_4d(l)]
    if not convs:
        raise ValueError(f"model {model.name!r} has no 2-D conv layer; Grad-CAM needs one "
                         f"(or name a 4-D layer with layer_name=...)")
    i = convs[-1]
    chosen = layers_[i][1]
    # Walk on through elementwise layers fed directly by the chosen one.
    follow = (keras.layers.BatchNormalization, keras.layers.Activation, keras.layers.ReLU,
              keras.layers.LeakyReLU, keras.layers.ELU)
    while i + 1 < len(layers_):
        nxt = layers_[i + 1][1]
        try:
            fed = nxt.input is chosen.output
        except (AttributeError, ValueError):
            fed = False
        if not (isinstance(nxt, follow) and fed):
            break
        chosen, i = nxt, i + 1
    return chosen


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


def _backend() -> str:
    import keras

    return keras.backend.backend()


def _class_score(outputs, class_index: int | None):
    """Per-example score of the explained class and the index used."""
    from keras import ops

    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    if len(outputs.shape) != 2:
        raise ValueError(f"the model's output must be (batch, classes), got shape {tuple(outputs.shape)}")
    n_units = int(outputs.shape[-1])
    if n_units == 1:
        ci = 1 if class_index is None else class_index
        p = outputs[:, 0]
        return (p if ci == 1 else 1.0 - p), ci
    ci = int(np.argmax(ops.convert_to_numpy(outputs)[0])) if class_index is None else class_index
    return outputs[:, ci], ci


def _check_class_index(model, class_index):
    if class_index is None:
        return
    if isinstance(class_index, bool) or not isinstance(class_index, (int, np.integer)):
        raise TypeError(f"class_index must be an int or None, got {class_index!r}")
    units = int(model.outputs[0].shape[-1]) if hasattr(model, "outputs") and model.outputs else None
    top = 2 if units == 1 else units
    if class_index < 0 or (top is not None and class_index >= top):
        raise ValueError(f"class_index must be in 0..{(top or 1) - 1} for this model, got {class_index}")


def _check_images(model, image) -> np.ndarray:
    """Accept (H, W), (H, W, C) or (N, H, W, C); return (N, H, W, C) float32 that fits the model."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    x = np.asarray(image, dtype=np.float32)
    shape = tuple(model.inputs[0].shape[1:])
    if len(shape) != 3:
        raise ValueError(f"model {model.name!r} takes inputs of shape {shape}; saliency needs an image model "
                         f"(height, width, channels)")
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or any(s is not None and s != v for s, v in zip(shape, x.shape[1:])):
        raise ValueError(f"image has shape {np.shape(image)}, the model expects {shape} (one image) or "
                         f"(batch, *{shape}); resize it first, e.g. models.data.load_image(..., size=...)")
    if not np.all(np.isfinite(x)):
        raise ValueError("image contains NaN or inf values; replace them before explaining")
    return x


def _normalise(maps: np.ndarray) -> np.ndarray:
    """Scale each map to [0, 1] by its maximum (all-zero maps stay zero)."""
    top = maps.reshape(len(maps), -1).max(axis=1).reshape(-1, *([1] * (maps.ndim - 1)))
    return np.where(top > 0, maps / np.where(top > 0, top, 1.0), 0.0)


def _upsample(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from keras import ops

    if maps.shape[1:] == size:
        return maps
    up = ops.image.resize(maps[..., None].astype(np.float32), size, interpolation="bilinear")
    return np.clip(ops.convert_to_numpy(up)[..., 0].astype(np.float64), 0.0, None)


# ---------------------------------------------------------------- Grad-CAM
def _activations_and_grads(model, x: np.ndarray, layer, class_index: int | None):
    """Feature maps A of ``layer``, ∂(Σ scores)/∂A, scores and the class index (NumPy)."""
    from keras import ops

    backend = _backend()
    held: dict[str, Any] = {}
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            def watch(a):
                tape.watch(a)
                held["a"] = a
                return a

            with _replace_output(layer, watch):
                out = model(x, training=False)
            scores, ci = _class_score(out, class_index)
            total = tf.reduce_sum(scores)
        grads = tape.gradient(total, held["a"])
        acts = held["a"]
    elif backend == "jax":
        import jax

        def keep(a):
            held["a"] = a
            return a

        with _replace_output(layer, keep):
            out = model(x, training=False)
        scores, ci = _class_score(out, class_index)
        acts = held["a"]

        def total(a):
            with _replace_output(layer, lambda _: a):
                s, _ = _class_score(model(x, training=False), ci)
            return s.sum()

        grads = jax.grad(total)(acts)
    else:
        raise NotImplementedError(f"Grad-CAM supports the tensorflow and jax backends, not {backend!r}")
    if grads is None:
        raise ValueError(f"the score does not depend on layer {layer.name!r}; choose a layer on the path "
                         f"from the input to the output")
    to_np = ops.convert_to_numpy
    return (to_np(acts).astype(np.float64), to_np(grads).astype(np.float64),
            to_np(scores).astype(np.float64), ci)


def gradcam_maps(model, images, layer_name: str | None = None, class_index: int | None = None):
    """Grad-CAM for a batch: (heatmaps (N, H, W) in [0, 1], cams (N, h, w), α (N, k), scores, class, layer).

    With ``class_index=None`` a softmax model explains the first image's
    top class for every image (pass an index to be explicit).
    """
    x = _check_images(model, images)
    _check_class_index(model, class_index)
    layer = find_gradcam_layer(model, layer_name)
    acts, grads, scores, ci = _activations_and_grads(model, x, layer, class_index)
    alphas = grads.mean(axis=(1, 2))                                   # α_k: (N, k)
    cams = np.maximum(np.einsum("nhwk,nk->nhw", acts, alphas), 0.0)    # ReLU(Σ α_k A_k)
    heat = _normalise(_upsample(_normalise(cams), x.shape[1:3]))
    return heat, cams, alphas, scores, ci, layer.name


def compute_gradcam(model, image, layer_name: str | None = None, class_index: int | None = None
                    ) -> SaliencyResult:
    """Grad-CAM heatmap of one image (Selvaraju et al., 2017).

    What this shows: the regions of the image whose features raise the
    score of the class: for a trained nodule detector, the nodule.

    Args:
        model: any Keras image classifier (sigmoid or softmax head;
            Sequential, functional, or nested).
        image: (H, W), (H, W, C) or (1, H, W, C), matching the model's input.
        layer_name: the conv layer (default: the last 2-D conv layer's activated output).
        class_index: the class to explain (default: the predicted class for
            softmax, the positive class for one sigmoid unit; 0 explains "negative").

    Returns:
        :class:`SaliencyResult`; ``heatmap`` (H, W) in [0, 1].
    """
    x = _check_images(model, image)
    if len(x) != 1:
        raise ValueError(f"image must be one image, got a batch of {len(x)}; use gradcam_maps for batches")
    heat, cams, alphas, scores, ci, name = gradcam_maps(model, x, layer_name, class_index)
    return SaliencyResult(heat[0], "gradcam", ci, float(scores[0]), name, cams[0], alphas[0])


# ---------------------------------------------------------------- saliency
# One compiled gradient function per model and class choice. Held weakly: a model the
# user replaces (Reset, a new architecture) takes its function with it.
_INPUT_GRADS: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _class_score_in_graph(outputs, class_index: int | None):
    """:func:`_class_score` with the softmax class chosen inside the graph (a tensor)."""
    from keras import ops

    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    if int(outputs.shape[-1]) == 1:
        ci = 1 if class_index is None else class_index
        return (outputs[:, 0] if ci == 1 else 1.0 - outputs[:, 0]), ops.convert_to_tensor(ci, "int32")
    ci = ops.cast(ops.argmax(outputs[0]), "int32") if class_index is None else ops.convert_to_tensor(
        class_index, "int32")
    return ops.take(outputs, ci, axis=1), ci


def _tf_input_grads(model, class_index: int | None):
    """A tf.function: images -> (∂score/∂x, scores, class), traced once per model and class choice.

    Eager GradientTape passes re-dispatch every op from Python: on a small CNN
    that is ~3x the compiled pass, and the saliency page pays it on every image.
    """
    table = _INPUT_GRADS.setdefault(model, {})
    if class_index not in table:
        import tensorflow as tf

        ref = weakref.ref(model)  # a strong reference here would keep the model alive forever

        def grads(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                scores, ci = _class_score_in_graph(ref()(x, training=False), class_index)
                total = tf.reduce_sum(scores)
            return tape.gradient(total, x), scores, ci

        # reduce_retracing: a new SmoothGrad batch size generalises to any batch, not a trace per size
        table[class_index] = tf.function(grads, reduce_retracing=True)
    return table[class_index]


def _input_grads(model, x: np.ndarray, class_index: int | None):
    from keras import ops

    backend = _backend()
    if backend == "tensorflow":
        import tensorflow as tf

        grads, scores, ci = _tf_input_grads(model, class_index)(tf.convert_to_tensor(x))
        ci = int(ci)
    elif backend == "jax":
        import jax

        scores, ci = _class_score(model(x, training=False), class_index)
        grads = jax.grad(lambda v: _class_score(model(v, training=False), ci)[0].sum())(x)
    else:
        raise NotImplementedError(f"saliency supports the tensorflow and jax backends, not {backend!r}")
    return ops.convert_to_numpy(grads).astype(np.float64), ops.convert_to_numpy(scores).astype(np.float64), ci


def compute_saliency(model, image, class_index: int | None = None, smoothgrad: int = 0,
                     noise: float = 0.15, seed: int = 0) -> SaliencyResult:
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
        :class:`SaliencyResult`; ``heatmap`` (H, W) in [0, 1]: the largest
        |gradient| over channels, scaled by its maximum.
    """
    x = _check_images(model, image)
    if len(x) != 1:
        raise ValueError(f"image must be one image, got a batch of {len(x)}")
    _check_class_index(model, class_index)
    if isinstance(smoothgrad, bool) or not isinstance(smoothgrad, (int, np.integer)) or not 0 <= smoothgrad <= 256:
        raise ValueError(f"smoothgrad must be an int in 0..256 (number of noisy copies), got {smoothgrad!r}")
    if not isinstance(noise, (int, float)) or not 0 <= noise <= 1:
        raise ValueError(f"noise must be in [0, 1] (fraction of the value range), got {noise!r}")
    if smoothgrad:
        rng = np.random.default_rng(seed)
        span = float(x.max() - x.min()) or 1.0
        noisy = x + rng.normal(0.0, noise * span, (smoothgrad, *x.shape[1:])).astype(np.float32)
        # One forward/backward pass for the clean image (first: it fixes the class and the score)
        # and its noisy copies together; eager passes cost more per call than per image.
        grads, scores, ci = _input_grads(model, np.concatenate([x, noisy]), class_index)
        grads = grads[1:].mean(axis=0, keepdims=True)
    else:
        grads, scores, ci = _input_grads(model, x, class_index)
    sal = np.abs(grads).max(axis=-1)
    return SaliencyResult(_normalise(sal)[0], "smoothgrad" if smoothgrad else "saliency", ci, float(scores[0]))


# ---------------------------------------------------------- nodule hit rate
@dataclass(frozen=True)
class HitRate:
    """How often Grad-CAM's peak falls inside the nodule, on true positives.

    Attributes:
        rate: hits / true positives (NaN if there are none).
        hits: number of true positives whose peak is inside the nodule.
        true_positives: number of images with a nodule that the model called positive.
        indices: (m,) indices of the true positives in the given arrays.
        peaks: (m, 2) (row, col) of each Grad-CAM peak.
        inside: (m,) whether each peak lies within the nodule's radius.
        distances: (m,) distance from peak to nodule centre, in pixels.
    """

    rate: float
    hits: int
    true_positives: int
    indices: np.ndarray
    peaks: np.ndarray
    inside: np.ndarray
    distances: np.ndarray


def nodule_hit_rate(model, images, labels, centres, radii, *, threshold: float = 0.5,
                    layer_name: str | None = None, batch_size: int = 64) -> HitRate:
    """Share of true positives whose Grad-CAM peak is inside the nodule.

    What this shows: whether the detector is right *for the right reason*:
    a model that found the nodule points at it; one that learnt a shortcut
    (e.g. the image border) does not.

    Args:
        model: a sigmoid (one unit) or two-class softmax lesion classifier.
        images, labels, centres, radii: as returned by :func:`models.data.make_lesions`.
        threshold: probability above which the model says "nodule".
        layer_name: Grad-CAM layer (default as in :func:`compute_gradcam`).
    """
    x = _check_images(model, images)
    labels, centres, radii = np.asarray(labels), np.asarray(centres, dtype=np.float64), np.asarray(radii)
    if labels.shape != (len(x),) or centres.shape != (len(x), 2) or radii.shape != (len(x),):
        raise ValueError(f"labels (n,), centres (n, 2) and radii (n,) must match {len(x)} images, got "
                         f"{labels.shape}, {centres.shape}, {radii.shape}")
    out = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    prob = out[:, 0] if out.shape[-1] == 1 else out[:, 1]
    tp = np.flatnonzero((labels == 1) & (prob >= threshold))
    peaks = np.zeros((len(tp), 2), dtype=np.int64)
    for start in range(0, len(tp), batch_size):
        idx = tp[start:start + batch_size]
        heat = gradcam_maps(model, x[idx], layer_name, class_index=1)[0]
        flat = heat.reshape(len(idx), -1).argmax(axis=1)
        peaks[start:start + len(idx)] = np.stack(np.unravel_index(flat, heat.shape[1:]), axis=1)
    dist = np.linalg.norm(peaks - centres[tp], axis=1) if len(tp) else np.zeros(0)
    inside = dist <= radii[tp]
    rate = float(inside.mean()) if len(tp) else float("nan")
    return HitRate(rate, int(inside.sum()), len(tp), tp, peaks, inside, dist)
