"""Pooling (lecture 002's table), stride-2 convolution against pooling, global pooling, and CAM.

What this shows: max pooling keeps the strongest response in each window
("preserves detected features", lecture 002), average pooling keeps the mean
("downsamples the feature map"); a stride-2 convolution also halves the size,
but with weights it learns; global average and global max pooling squeeze a
whole feature map to one number; and with global average pooling straight
into the output layer (CheXNet's head) the output layer's weights laid over
the last feature maps give a class activation map (CAM, Zhou et al., 2016)
whose mean plus the bias *is* the class score. Grad-CAM equals CAM there.

Compute only: the drawings are in :mod:`explainers.pooling_plots`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers._layers import check_model, output_model, walk
from models._arguments import ArgumentError, check_array, check_int, fail

__all__ = [
    "Pooling", "compute_pooling", "Downsampling", "compute_downsampling", "GlobalPooling",
    "compute_global_pooling", "ClassActivationMap", "compute_cam", "CamComparison", "compute_cam_comparison",
]


# ------------------------------------------------------------------ max and average pooling
@dataclass(frozen=True)
class Pooling:
    """One image max-pooled and average-pooled with the same window and stride.

    What this shows: max pooling keeps each window's brightest value, so a
    small bright detail (bone, a calcification, a contrast-filled vessel)
    survives at full strength; average pooling keeps each window's mean, so
    the overall brightness survives and small details fade into their
    surroundings. Neither has a weight to learn.

    Attributes:
        image: (H, W) the input.
        maximum: (h, w) max pooling; ``h = ⌊(H − size) / stride⌋ + 1`` (Keras' "valid" padding).
        average: (h, w) average pooling.
        size: the pooling window's side.
        stride: the step between windows.
    """

    image: np.ndarray
    maximum: np.ndarray
    average: np.ndarray
    size: int
    stride: int

    @property
    def output_shape(self) -> tuple[int, int]:
        return tuple(self.maximum.shape)


def _windows(image: np.ndarray, size: int, stride: int) -> np.ndarray:
    """(h, w, size, size): every pooling window, as a view (no copy)."""
    return np.lib.stride_tricks.sliding_window_view(image, (size, size))[::stride, ::stride]


def compute_pooling(image: Any, *, size: int = 2, stride: int | None = None) -> Pooling:
    """Max and average pooling of one 2-D image (no padding, as Keras' default).

    What this shows: the two columns of lecture 002's pooling table on one
    picture: which details each keeps when the image gets ``stride`` times
    smaller.

    Args:
        image: (H, W) or (H, W, 1) grey image.
        size: the window's side (2 to 8).
        stride: the step between windows (default ``size``: windows tile the image).
    """
    a = check_array("image", image, ndim=(2, 3), dtype="float64")
    if a.ndim == 3:
        if a.shape[2] != 1:
            fail("image", image, "one grey image (H, W) or (H, W, 1)", f"got {a.shape[2]} channels")
        a = a[..., 0]
    size = check_int("size", size, low=1, high=8)
    stride = size if stride is None else check_int("stride", stride, low=1, high=8)
    if min(a.shape) < size:
        fail("image", image, f"at least {size}×{size} pixels for a {size}×{size} pooling window",
             f"got {a.shape[0]}×{a.shape[1]}")
    windows = _windows(a, size, stride)
    return Pooling(a, windows.max(axis=(2, 3)), windows.mean(axis=(2, 3)), size, stride)


# --------------------------------------------------------- stride-2 convolution against pooling
@dataclass(frozen=True)
class Downsampling:
    """Four ways to halve an image: drop pixels, a strided convolution, max pooling, average pooling.

    What this shows: a stride-2 convolution and 2×2 pooling both make the
    image half as wide, but they keep different things. Dropping every second
    pixel (a stride-2 convolution with the identity kernel) keeps one pixel in
    four and ignores the rest; a stride-2 convolution with a kernel keeps what
    that kernel computes, and in a CNN the kernel's F·F·C + 1 weights per
    filter are learned; pooling keeps the max or the mean of every window with
    no weights at all.

    Attributes:
        image: (H, W) the input.
        kernel: (F, F) the convolution's kernel.
        subsampled: (⌈H/S⌉, ⌈W/S⌉) every S-th pixel: the stride-S convolution with the 3×3 identity
            kernel. TensorFlow's "same" padding puts an odd extra zero at the end, so on an even side it
            keeps pixels 1, 3, 5, ... (``image[1::2]``), on an odd side 0, 2, 4, ...
        convolved: the stride-S convolution with "same" padding, ``⌈H/S⌉ × ⌈W/S⌉``.
        maximum, average: S×S max and average pooling with stride S, ``⌊H/S⌋ × ⌊W/S⌋``.
        stride: S.
        conv_parameters: the layer's weights for one filter on one channel, (F·F·1 + 1)·1.
    """

    image: np.ndarray
    kernel: np.ndarray
    subsampled: np.ndarray
    convolved: np.ndarray
    maximum: np.ndarray
    average: np.ndarray
    stride: int
    conv_parameters: int
    kernel_name: str = ""

    @property
    def pool_parameters(self) -> int:
        """Pooling has nothing to learn."""
        return 0


def compute_downsampling(image: Any, *, kernel: Any = "box blur", stride: int = 2) -> Downsampling:
    """A stride-S convolution beside S×S max and average pooling and plain subsampling.

    What this shows: lecture 002's "3x3 conv kernel, same padding, stride = 2"
    beside its pooling table: the same output size, different content, and
    only the convolution has weights to learn.

    Args:
        image: (H, W) or (H, W, 1) grey image.
        kernel: a name of ``explainers.kernels.PRESETS`` or an (F, F) array.
        stride: S, the factor each side shrinks by (2 to 4).
    """
    from explainers.kernels import PRESETS, conv_parameter_count, convolve2d

    stride = check_int("stride", stride, low=2, high=4)
    pooled = compute_pooling(image, size=stride, stride=stride)
    name = ""
    if isinstance(kernel, str):
        if kernel not in PRESETS:
            fail("kernel", kernel, "one of " + ", ".join(repr(k) for k in PRESETS) + " or an (F, F) array")
        name, kernel = kernel, PRESETS[kernel]
    k = check_array("kernel", kernel, ndim=2, dtype="float64")
    if k.shape[0] != k.shape[1]:
        fail("kernel", kernel, "a square (F, F) array", f"got shape {k.shape}")
    a = pooled.image
    convolved = convolve2d(a, k, padding="same", stride=stride)
    subsampled = convolve2d(a, PRESETS["identity"], padding="same", stride=stride)
    return Downsampling(a, k, subsampled, convolved, pooled.maximum, pooled.average, stride,
                        int(conv_parameter_count(k.shape[0], 1, 1)), name)


# ----------------------------------------------------------------- global pooling
@dataclass(frozen=True)
class GlobalPooling:
    """The feature maps of a conv layer for a few images, each squeezed to one number two ways.

    What this shows: global average pooling asks "how much of this feature is
    in the image?" (a wide faint response and a small strong one can give the
    same average); global max pooling asks "is it anywhere?" (one strong
    pixel is enough). Either turns a (h, w, k) stack of maps into k numbers,
    whatever the image size, with nothing to learn.

    Attributes:
        images: (N, H, W, C) the images.
        maps: (N, h, w, k) the layer's feature maps.
        average: (N, k) each map's mean (global average pooling).
        maximum: (N, k) each map's maximum (global max pooling).
        labels: (N,) the images' labels, or empty.
        layer_name: the layer whose maps are pooled.
    """

    images: np.ndarray
    maps: np.ndarray
    average: np.ndarray
    maximum: np.ndarray
    labels: np.ndarray
    layer_name: str


_GLOBAL_POOLS = ("GlobalAveragePooling2D", "GlobalMaxPooling2D")


def _is_a(layer: Any, names: tuple[str, ...]) -> bool:
    return any(c.__name__ in names for c in type(layer).__mro__)


def _producer(tensor: Any) -> Any:
    """The layer that made a (symbolic) Keras tensor, or None."""
    history = getattr(tensor, "_keras_history", None)
    return getattr(history, "operation", None)


def _layer_by_name(model: Any, name: str) -> Any:
    if not isinstance(name, str):
        fail("layer", name, "a layer name (str) or None")
    for _, layer in walk(model):
        if layer.name == name:
            return layer
    fail("layer", name, f"the name of a layer of model {model.name!r}")


def _feeding(model: Any, pool: Any) -> Any:
    """The layer whose output a global pooling layer pools."""
    source = _producer(pool.input)
    if source is None:
        raise ArgumentError(f"could not find the layer that feeds {pool.name!r} in model {model.name!r}")
    return source


def compute_global_pooling(model: Any, images: Any, *, layer: str | None = None,
                           labels: Any = None) -> GlobalPooling:
    """Global average and global max pooling of a conv layer's feature maps, for a batch of images.

    What this shows: the k numbers each pooling hands to the classifier:
    the mean and the maximum of every feature map of ``layer``.

    Args:
        model: a Keras image model.
        images: (N, H, W, C), (H, W, C) or (H, W), fitting the model.
        layer: the layer whose maps are pooled (default: the layer feeding the
            model's global pooling layer, else its last conv layer's activated output).
        labels: optional (N,) labels kept with the result.
    """
    from explainers.saliency import _check_images, find_gradcam_layer

    x = _check_images(model, images)
    if layer is not None:
        chosen = _layer_by_name(model, layer)
    else:
        pools = [lay for _, lay in walk(model) if _is_a(lay, _GLOBAL_POOLS)]
        chosen = _feeding(model, pools[-1]) if pools else find_gradcam_layer(model)
    shape = tuple(chosen.output.shape)
    if len(shape) != 4:
        fail("layer", chosen.name, "a layer with (batch, height, width, channels) feature maps", f"it gives {shape}")
    from keras import ops

    maps = ops.convert_to_numpy(output_model(model, [chosen])(x)[0]).astype(np.float64)
    y = np.zeros(0) if labels is None else check_array("labels", labels, ndim=1, dtype=None)
    if y.size and len(y) != len(x):
        fail("labels", labels, f"one label per image ({len(x)})", f"got {len(y)}")
    return GlobalPooling(x, maps, maps.mean(axis=(1, 2)), maps.max(axis=(1, 2)), np.asarray(y), chosen.name)


# ------------------------------------------------------------------------------ CAM
@dataclass(frozen=True)
class ClassActivationMap:
    """A class activation map (Zhou et al., 2016) of one image under a GAP → Dense head.

    What this shows: with global average pooling straight into the output
    layer, the class score is z = Σ_k w_k · mean(A_k) + b = mean(Σ_k w_k A_k) + b.
    So the map M = Σ_k w_k A_k says how much each place adds to the score:
    its mean plus the bias is exactly z. This is how CheXNet drew its heatmaps.

    Attributes:
        image: (H, W, C) the image explained.
        heatmap: (H, W) in [0, 1]: the positive part of M, scaled to its maximum and upsampled
            bilinearly to the input (as ``compute_gradcam`` does, so the two compare directly).
        cam: (h, w) M = Σ_k w_k A_k at the feature maps' resolution, signed, unscaled.
        maps: (h, w, k) the feature maps A_k that feed the global average pooling.
        weights: (k,) w_k, the output layer's weights for the class (for class 0 of one sigmoid
            unit, minus the unit's weights: the score of "negative" is −z).
        bias: b for the class (likewise negated for class 0 of a sigmoid unit).
        logit: mean(M) + b, the class's pre-activation score z.
        score: the model's output for the class (a probability for sigmoid and softmax heads).
        class_index: the class explained.
        layer_name: the layer whose maps are A_k.
        activation: the output layer's activation ("sigmoid", "softmax", "linear", ...).
    """

    image: np.ndarray
    heatmap: np.ndarray
    cam: np.ndarray
    maps: np.ndarray
    weights: np.ndarray
    bias: float
    logit: float
    score: float
    class_index: int
    layer_name: str
    activation: str


def _use_gradcam(model: Any, why: str) -> ArgumentError:
    return ArgumentError(
        f"compute_cam needs global average pooling straight into one Dense output layer (the head of CheXNet "
        f"and of Zhou et al.); model {model.name!r} {why}. Use explainers.compute_gradcam (Grad-CAM), which "
        f"works on any head and equals CAM on a GAP → Dense head.")


def _cam_head(model: Any, layer: str | None) -> tuple[Any, Any, Any]:
    """(feature layer, GAP layer, Dense output layer) of a GAP → Dense model, else an ArgumentError."""
    import keras

    check_model(model)
    if len(model.outputs) != 1:
        raise _use_gradcam(model, f"has {len(model.outputs)} outputs")
    dense = _producer(model.outputs[0])
    while isinstance(dense, keras.Model):  # the output of a nested model: its own last layer
        dense = _producer(dense.outputs[0])
    if not isinstance(dense, keras.layers.Dense):
        raise _use_gradcam(model, f"ends in {type(dense).__name__} {getattr(dense, 'name', '')!r}, not a Dense layer")
    pool = _producer(dense.input)
    while isinstance(pool, keras.Model):  # e.g. keras.applications.DenseNet121(pooling="avg") as a layer
        pool = _producer(pool.outputs[0])
    if not _is_a(pool, ("GlobalAveragePooling2D",)):
        what = type(pool).__name__ if pool is not None else "nothing"
        raise _use_gradcam(model, f"feeds its output layer {dense.name!r} from {what} "
                                  f"{getattr(pool, 'name', '')!r}, not from global average pooling")
    feature = _feeding(model, pool)
    if layer is not None and layer != feature.name:
        _layer_by_name(model, layer)  # a name the model does not have fails here, with the model's name
        fail("layer", layer, f"None or {feature.name!r}, the layer whose maps the global average pooling "
                             f"averages", "CAM is defined on those maps only (Grad-CAM takes any conv layer)")
    return feature, pool, dense


def _activation_name(dense: Any) -> str:
    fn = getattr(dense, "activation", None)
    return getattr(fn, "__name__", str(fn)) if fn is not None else "linear"


def compute_cam(model: Any, image: Any, *, class_index: int | None = None,
                layer: str | None = None) -> ClassActivationMap:
    """The class activation map (CAM, Zhou et al., 2016) of one image, for a GAP → Dense model.

    What this shows: where the evidence for the class is, read straight from
    the output layer's weights: M = Σ_k w_k A_k over the last feature maps,
    with mean(M) + b equal to the class score z. No gradient is needed.

    Args:
        model: a Keras model whose output layer is one Dense layer fed directly
            by ``GlobalAveragePooling2D`` (e.g. :func:`models.gap_cnn.build_gap_cnn`).
            Any other head raises an ``ArgumentError`` that says to use Grad-CAM.
        image: (H, W), (H, W, C) or (1, H, W, C), matching the model's input.
        class_index: the class to explain (default: 1, "positive", for one sigmoid
            unit; the predicted class for a softmax); 0 of one sigmoid unit explains
            "negative" with the weights negated.
        layer: None, or the name of the layer feeding the global average pooling
            (the only layer CAM is defined on).

    Returns:
        :class:`ClassActivationMap`.
    """
    from keras import ops

    from explainers.saliency import _check_class_index, _check_images, _normalise, _upsample

    feature, _, dense = _cam_head(model, layer)
    x = _check_images(model, image)
    if len(x) != 1:
        fail("image", image, "one image", f"got a batch of {len(x)}")
    class_index = _check_class_index(model, class_index)
    maps, out = (ops.convert_to_numpy(t).astype(np.float64) for t in output_model(model, [feature, dense])(x))
    maps, out = maps[0], out[0]
    kernel, bias = (np.asarray(ops.convert_to_numpy(v), dtype=np.float64) for v in (dense.kernel, dense.bias)) \
        if dense.use_bias else (np.asarray(ops.convert_to_numpy(dense.kernel), dtype=np.float64), None)
    if bias is None:
        bias = np.zeros(kernel.shape[1])
    if kernel.shape[1] == 1:
        ci = 1 if class_index is None else class_index
        sign = 1.0 if ci == 1 else -1.0
        w, b = sign * kernel[:, 0], sign * float(bias[0])
        score = float(out[0]) if ci == 1 else 1.0 - float(out[0])
    else:
        ci = int(np.argmax(out)) if class_index is None else class_index
        w, b, score = kernel[:, ci], float(bias[ci]), float(out[ci])
    cam = maps @ w                                                   # M = Σ_k w_k A_k
    heat = _normalise(_upsample(_normalise(np.maximum(cam, 0.0)[None]), x.shape[1:3]))[0]
    return ClassActivationMap(image=x[0], heatmap=heat, cam=cam, maps=maps, weights=w, bias=b,
                              logit=float(cam.mean() + b), score=score, class_index=int(ci),
                              layer_name=feature.name, activation=_activation_name(dense))


# ------------------------------------------------------------------ CAM against Grad-CAM
@dataclass(frozen=True)
class CamComparison:
    """CAM and Grad-CAM of one image under a GAP → Dense head, and how far apart they are.

    What this shows: Grad-CAM weighs map k by α_k, the mean of ∂y/∂A_k. Under
    global average pooling into a sigmoid unit, ∂y/∂A_k(i, j) = p(1 − p)·w_k / Z
    at every pixel, so α_k = w_k · p(1 − p)/Z: the output layer's weights times
    one positive number, and after scaling the two heatmaps are the same map
    (``max_abs_difference`` is float rounding). Under a softmax, Grad-CAM of the
    probability p_c weighs by p_c(w_c − Σ_j p_j w_j)/Z instead, so it equals
    CAM only for a sigmoid unit or a linear (pre-softmax) output.

    Attributes:
        cam: the :class:`ClassActivationMap`.
        gradcam: the ``SaliencyMap`` of ``explainers.compute_gradcam`` (same image, class, layer).
        max_abs_difference: max |CAM heatmap − Grad-CAM heatmap| over the pixels, both in [0, 1].
        alpha_scale: s in α_k ≈ s · w_k (least squares); p(1 − p)/Z for a sigmoid unit.
        alpha_misfit: max_k |α_k − s·w_k| / max_k |α_k|: 0 when Grad-CAM's weights are CAM's, scaled.
    """

    cam: ClassActivationMap
    gradcam: Any
    max_abs_difference: float
    alpha_scale: float
    alpha_misfit: float


def compute_cam_comparison(model: Any, image: Any, *, class_index: int | None = None) -> CamComparison:
    """CAM (from the output layer's weights) beside Grad-CAM (from gradients) on the same GAP → Dense model.

    What this shows: on CheXNet's kind of head, the two methods give one map:
    Grad-CAM's channel weights α_k are CAM's w_k times one positive number.

    Args:
        model: a GAP → Dense Keras model (see :func:`compute_cam`).
        image: one image matching the model's input.
        class_index: as in :func:`compute_cam`.
    """
    from explainers.saliency import compute_gradcam

    cam = compute_cam(model, image, class_index=class_index)
    grad = compute_gradcam(model, cam.image, layer_name=cam.layer_name, class_index=cam.class_index)
    alpha, w = np.asarray(grad.channel_weights, dtype=np.float64), cam.weights
    scale = float(alpha @ w / (w @ w)) if np.any(w) else 0.0
    top = float(np.abs(alpha).max())
    misfit = float(np.abs(alpha - scale * w).max() / top) if top > 0 else 0.0
    return CamComparison(cam, grad, float(np.abs(cam.heatmap - grad.heatmap).max()), scale, misfit)
