"""Sanity checks for saliency maps (Adebayo et al., "Sanity checks for saliency maps", NeurIPS 2018).

What this shows: a heatmap explains a classifier only if it depends on what
the classifier learnt. Re-initialise the weights, layer by layer from the
output down (*cascading randomisation*), one layer at a time (*independent
randomisation*), or train the same network on shuffled labels (*data
randomisation*): a map that barely changes cannot be telling you about the
trained weights. Similarity is measured per image between the trained
model's map and the randomised one, with Spearman's rank correlation (of the
signed map and of its absolute value) and SSIM, then averaged over the images.

Randomisation happens on a clone: the model passed in is never changed. A
layer is re-initialised from its own initialisers (Glorot for the kernels of
``models.build_cnn``, zeros for biases), seeded, and a normalisation layer
that directly follows it (BatchNormalization) goes back to its starting
values with it, as in a freshly built net.

Guided Backprop (Springenberg et al., 2015), the method the paper found
fails, is here too: the gradient of the score through ReLUs whose backward
pass lets only positive gradients through (``keras.ops.custom_gradient``,
any backend).
"""
from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers import _backend
from explainers._layers import walk
from models._arguments import check_float, check_int, fail

__all__ = ["SANITY_METHODS", "SanityChecks", "compute_sanity_checks", "compute_guided_backprop",
           "GuidedBackprop", "randomised_copy", "randomisation_blocks", "HeadIndependence",
           "compute_head_independence"]

#: the paper's threshold the page states: a method "passes" a randomisation when its maps' mean rank
#: correlation (of absolute values) with the trained maps falls below this
DEFAULT_THRESHOLD = 0.5
_NORMALISERS = ("BatchNormalization", "LayerNormalization", "GroupNormalization")


# ------------------------------------------------------------------ the methods, as signed maps
def _images(model, images) -> np.ndarray:
    from explainers.saliency import _check_images

    return _check_images(model, images)


def _gradients(model, x: np.ndarray, class_index: int) -> np.ndarray:
    """∂y/∂x for a batch, (N, H, W, C), through the saliency module's compiled function."""
    from explainers.saliency import _input_function, _to_numpy, _weights

    fn = _backend.per_model(model, ("saliency", class_index), lambda: _input_function(model, class_index))
    grads, _, _ = fn(*_weights(model), x)
    return _to_numpy(grads)[0]


def _gradcam(model, x, class_index, seed):
    from explainers.saliency import compute_gradcam_batch

    return compute_gradcam_batch(model, x, class_index=class_index).heatmaps


def _saliency(model, x, class_index, seed):
    return _gradients(model, x, class_index).sum(axis=-1)


SMOOTHGRAD_COPIES = 16
SMOOTHGRAD_NOISE = 0.15


def _smoothgrad(model, x, class_index, seed):
    rng = np.random.default_rng(seed)
    span = float(x.max() - x.min()) or 1.0
    noisy = (x[:, None] + rng.normal(0.0, SMOOTHGRAD_NOISE * span, (len(x), SMOOTHGRAD_COPIES, *x.shape[1:]))
             ).astype(np.float32)
    grads = _gradients(model, noisy.reshape(-1, *x.shape[1:]), class_index)
    return grads.reshape(len(x), SMOOTHGRAD_COPIES, *x.shape[1:]).mean(axis=1).sum(axis=-1)


def _guided(model, x, class_index, seed):
    return _guided_gradients(model, x, class_index).sum(axis=-1)


def _occlusion(model, x, class_index, seed):
    from explainers.attribution import compute_occlusion

    return np.stack([compute_occlusion(model, im, class_index=class_index).heatmap for im in x])


def _integrated_gradients(model, x, class_index, seed):
    from explainers.attribution import compute_integrated_gradients

    # Even steps: the maps are compared, not summed, so the adaptive rule's completeness is not needed here.
    return np.stack([compute_integrated_gradients(model, im, class_index=class_index, method="trapezoid").heatmap
                     for im in x])


def _gradcam_plus_plus(model, x, class_index, seed):
    from explainers.attribution import compute_gradcam_plus_plus

    return np.stack([compute_gradcam_plus_plus(model, im, class_index=class_index).heatmap for im in x])


#: name -> (label, signed map (N, H, W) of a batch). Grad-CAM's and Grad-CAM++'s maps are their own (ReLU'd,
#: >= 0); the gradient methods' are signed (summed over channels); occlusion's is the signed score drop. The
#: "abs" similarity takes |map|. Occlusion, integrated gradients and Grad-CAM++ come from explainers.attribution.
SANITY_METHODS: dict[str, tuple[str, Callable[..., np.ndarray]]] = {
    "gradcam": ("Grad-CAM", _gradcam),
    "saliency": ("Gradient", _saliency),
    "smoothgrad": ("SmoothGrad", _smoothgrad),
    "guided_backprop": ("Guided Backprop", _guided),
    "occlusion": ("Occlusion", _occlusion),
    "integrated_gradients": ("Integrated gradients", _integrated_gradients),
    "gradcam_plus_plus": ("Grad-CAM++", _gradcam_plus_plus),
}


# ------------------------------------------------------------------ Guided Backprop
@dataclass(frozen=True)
class GuidedBackprop:
    """Guided Backprop of a batch of images (Springenberg et al., 2015).

    Attributes:
        images: (N, H, W, C) the images explained.
        gradients: (N, H, W, C) the guided gradients (signed).
        heatmaps: (N, H, W) in [0, 1]: the largest |guided gradient| over channels, scaled by its maximum.
        class_index: the class explained.
        relus: names of the ReLUs whose backward pass was guided.
    """

    images: np.ndarray
    gradients: np.ndarray
    heatmaps: np.ndarray
    class_index: int
    relus: tuple[str, ...]


def _is_relu(fn: Any) -> bool:
    return callable(fn) and getattr(fn, "__name__", "") == "relu"


def _relu_layers(model) -> list[Any]:
    """Layers whose activation is a plain ReLU (``activation="relu"`` or ``Activation("relu")``), or ReLU layers."""
    found = []
    for _, layer in walk(model):
        if _is_relu(getattr(layer, "activation", None)):
            found.append(layer)
        elif type(layer).__name__ == "ReLU" and not getattr(layer, "negative_slope", 0) \
                and getattr(layer, "max_value", None) is None and not getattr(layer, "threshold", 0):
            found.append(layer)
    return found


def _guided_relu():
    from keras import ops

    @ops.custom_gradient
    def guided_relu(x):
        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            # Backward: only where the input was positive (ReLU's own rule) AND the gradient is positive.
            return upstream * ops.cast(x > 0, upstream.dtype) * ops.cast(upstream > 0, upstream.dtype)

        return ops.relu(x), grad

    return guided_relu


@contextlib.contextmanager
def _guided_relus(model) -> Iterator[list[str]]:
    """While active, every ReLU of ``model`` uses the guided backward pass (forward unchanged)."""
    relu = _guided_relu()
    patched = []
    try:
        for layer in _relu_layers(model):
            if type(layer).__name__ == "ReLU":
                layer.call = lambda inputs, *a, **k: relu(inputs)
                patched.append((layer, "call", None))
            else:
                patched.append((layer, "activation", layer.activation))
                layer.activation = relu
        yield [layer.name for layer, _, _ in patched]
    finally:
        for layer, attr, old in reversed(patched):
            if attr == "call":
                del layer.call
            else:
                layer.activation = old


def _guided_function(model, class_index: int) -> Callable:
    """Compiled ``(weights, non-trainable weights, x) -> ∂Σy/∂x`` with guided ReLUs (traced inside the patch)."""
    from explainers.saliency import _class_score
    from keras import ops

    model_ref = weakref.ref(model)

    def run(trainable, non_trainable, x):
        m = model_ref()

        def total(v):
            with _guided_relus(m):
                out, _ = m.stateless_call(trainable, non_trainable, v, training=False)
            scores, _ = _class_score(out, class_index)
            return ops.sum(scores)

        _, grads = _backend.value_and_grad(total, x)
        return grads

    return _backend.compile_function(run)


def _guided_gradients(model, x: np.ndarray, class_index: int) -> np.ndarray:
    from explainers.saliency import _to_numpy, _weights

    fn = _backend.per_model(model, ("guided_backprop", class_index), lambda: _guided_function(model, class_index))
    return _to_numpy(fn(*_weights(model), x))[0]


def _resolve_class(model, x: np.ndarray, class_index: int | None) -> int:
    from explainers.saliency import _check_class_index

    class_index = _check_class_index(model, class_index)
    if class_index is not None:
        return class_index
    out = np.asarray(model(x[:1], training=False))
    return 1 if out.shape[-1] == 1 else int(out[0].argmax())


def compute_guided_backprop(model, images, *, class_index: int | None = None) -> GuidedBackprop:
    """Guided Backprop: the input gradient through ReLUs that pass back only positive gradients.

    What this shows: sharp, edge-like pictures of the image itself. Adebayo et
    al. (2018) found they barely change when the network's weights are
    randomised: the ReLU masks of the forward pass, which depend on the
    image, do most of the drawing; the map reconstructs the input more than
    it explains the decision.

    Args:
        model: any Keras image classifier with ReLUs (sigmoid or softmax head).
        images: (H, W), (H, W, C) or (N, H, W, C), matching the model's input.
        class_index: the class to explain (default: positive for one sigmoid unit, the first image's top
            class for softmax).
    """
    x = _images(model, images)
    ci = _resolve_class(model, x, class_index)
    relus = tuple(layer.name for layer in _relu_layers(model))
    if not relus:
        fail("model", model.name, "a model with ReLU activations (Guided Backprop guides their backward pass)",
             "it has none")
    grads = _guided_gradients(model, x, ci)
    mags = np.abs(grads).max(axis=-1)
    top = mags.reshape(len(x), -1).max(axis=1)[:, None, None]
    heat = np.where(top > 0, mags / np.where(top > 0, top, 1.0), 0.0)
    return GuidedBackprop(x, grads, heat, ci, relus)


# ------------------------------------------------------------------ randomisation
def randomisation_blocks(model) -> list[tuple[str, tuple[Any, ...]]]:
    """The units randomised together, top (output) first: ``(name, layers)``.

    Every layer with weights is one, named after it (its path "inner/layer"
    inside nested models); a normalisation layer fed directly by a layer with
    weights joins that layer's block.
    """
    found = [("/".join([m.name for m in chain[1:]] + [layer.name]), layer) for chain, layer in walk(model)]
    blocks: list[tuple[str, list[Any]]] = []
    for path, layer in found:
        if not layer.weights:
            continue
        is_norm = any(c.__name__ in _NORMALISERS for c in type(layer).__mro__)
        if is_norm and blocks:
            prev = blocks[-1][1][-1]
            try:
                fed = layer.input is prev.output
            except (AttributeError, ValueError):
                fed = False
            if fed:
                blocks[-1][1].append(layer)
                continue
        blocks.append((path, [layer]))
    return [(name, tuple(ls)) for name, ls in reversed(blocks)]


def _initializer(layer, variable) -> Any:
    short = variable.name.split("/")[-1]
    for attr in (f"{short}_initializer", f"{short.replace('_kernel', '')}_initializer",
                 "kernel_initializer" if "kernel" in short else ""):
        init = getattr(layer, attr, None) if attr else None
        if init is not None:
            return init
    return None


def _fresh_value(layer, variable, rng: np.random.Generator) -> np.ndarray:
    """A starting value for ``variable`` from its layer's own initialiser, seeded from ``rng``."""
    import keras

    shape, dtype = tuple(variable.shape), variable.dtype
    init = _initializer(layer, variable)
    if init is not None:
        init = keras.initializers.get(init)
        config = init.get_config()
        seed = int(rng.integers(2**31 - 1))
        if "seed" in config:
            config["seed"] = seed
        value = init.__class__.from_config(config)(shape, dtype=dtype)
        return keras.ops.convert_to_numpy(value)
    # No known initialiser: a normal draw with the trained values' spread.
    current = keras.ops.convert_to_numpy(variable.value)
    return rng.normal(0.0, float(current.std()) or 0.05, shape).astype(current.dtype)


def _clone(model):
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def _block_values(block: tuple[Any, ...], rng: np.random.Generator) -> list[tuple[Any, np.ndarray]]:
    return [(v, _fresh_value(layer, v, rng)) for layer in block for v in layer.weights]


def randomised_copy(model, layers: Sequence[str] | None = None, *, seed: int = 0):
    """A clone of ``model`` with the weights of the named blocks re-initialised (all blocks when ``None``).

    ``model`` itself is never changed. Names are those of :func:`randomisation_blocks`
    (a layer with weights; its BatchNormalization goes with it). Each block's new
    weights are drawn from ``np.random.default_rng([seed, block index])``: the same
    draw in a cascade and alone.
    """
    blocks = randomisation_blocks(model)
    names = [name for name, _ in blocks]
    wanted = names if layers is None else list(layers)
    for name in wanted:
        if name not in names:
            fail("layers", name, f"names of layers with weights of model {model.name!r}",
                 f"it has {names}")
    copy = _clone(model)
    copy_blocks = dict(randomisation_blocks(copy))
    for i, name in enumerate(names):
        if name in wanted:
            for v, value in _block_values(copy_blocks[name], np.random.default_rng([seed, i])):
                v.assign(value)
    return copy


# ------------------------------------------------------------------ similarity
def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's ρ of two maps' pixels (scipy); a constant map carries no ranking and counts as 0."""
    from scipy.stats import spearmanr

    a, b = a.ravel(), b.ravel()
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def _unit(m: np.ndarray) -> np.ndarray:
    """|map| scaled to [0, 1] by its maximum (all-zero stays zero): what SSIM compares."""
    a = np.abs(m)
    top = a.max()
    return a / top if top > 0 else a


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    return float(structural_similarity(_unit(a), _unit(b), data_range=1.0))


def similarity(reference: np.ndarray, maps: np.ndarray) -> tuple[float, float, float]:
    """Mean over images of (Spearman ρ, Spearman ρ of |maps|, SSIM of |maps| scaled to [0, 1])."""
    rows = [(_spearman(r, m), _spearman(np.abs(r), np.abs(m)), _ssim(r, m)) for r, m in zip(reference, maps)]
    return tuple(float(v) for v in np.mean(rows, axis=0))  # type: ignore[return-value]


# ------------------------------------------------------------------ the checks
@dataclass(frozen=True)
class SanityChecks:
    """Sanity checks of several saliency methods on one model (Adebayo et al., 2018).

    ``M`` methods, ``L`` randomisation blocks (top first), ``N`` images of ``H×W``.

    Attributes:
        methods: (M,) method names, e.g. "gradcam"; labels: (M,) their display names.
        images: (N, H, W, C) the images explained.
        class_index: the class explained (fixed by the trained model, the same at every step).
        layers: (L,) the randomised blocks, output first: cascading step l randomises layers[0..l].
        head_steps: how many of the first blocks are above the last convolution (the classifier head).
        original: (M, N, H, W) the trained model's maps (signed where the method is; Grad-CAM's are ≥ 0).
        cascade: (M, L, N, H, W) the maps after cascading randomisation down to each block.
        independent: (M, L, N, H, W) the maps with only that block randomised.
        cascade_spearman, cascade_spearman_abs, cascade_ssim: (M, L) similarity to ``original``, mean over images.
        independent_spearman, independent_spearman_abs, independent_ssim: (M, L) likewise.
        data: (M, N, H, W) the maps of the model trained on shuffled labels; empty when none was given.
        data_spearman, data_spearman_abs, data_ssim: (M,) its similarity to ``original``; empty when none.
        threshold: the |Spearman| below which a map counts as changed (the page's pass mark).
        passes: (M,) whether the mean Spearman of |maps| after full cascading randomisation is below it.
        seed: seed of the random weights (and of SmoothGrad's noise).
    """

    methods: tuple[str, ...]
    labels: tuple[str, ...]
    images: np.ndarray
    class_index: int
    layers: tuple[str, ...]
    head_steps: int
    original: np.ndarray
    cascade: np.ndarray
    independent: np.ndarray
    cascade_spearman: np.ndarray
    cascade_spearman_abs: np.ndarray
    cascade_ssim: np.ndarray
    independent_spearman: np.ndarray
    independent_spearman_abs: np.ndarray
    independent_ssim: np.ndarray
    data: np.ndarray
    data_spearman: np.ndarray
    data_spearman_abs: np.ndarray
    data_ssim: np.ndarray
    threshold: float
    passes: np.ndarray
    seed: int


def _methods(methods) -> list[tuple[str, str, Callable[..., np.ndarray]]]:
    table = SANITY_METHODS
    if isinstance(methods, str) or not isinstance(methods, Sequence) or not methods:
        fail("methods", methods, f"a non-empty sequence of names from {sorted(table)} or callables")
    chosen = []
    for m in methods:
        if isinstance(m, str):
            if m not in table:
                fail("methods", m, f"one of {sorted(table)} (or a callable (model, images, class_index, seed) "
                                   "-> (N, H, W) maps)")
            chosen.append((m, *table[m]))
        elif callable(m):
            name = getattr(m, "__name__", "method")
            chosen.append((name, name, m))
        else:
            fail("methods", m, "a method name or a callable")
    if len({c[0] for c in chosen}) != len(chosen):
        fail("methods", methods, "each method once")
    return chosen


def _maps(chosen, model, x, class_index, seed) -> np.ndarray:
    out = []
    for name, _, fn in chosen:
        m = np.asarray(fn(model, x, class_index, seed), dtype=np.float64)
        if m.shape != x.shape[:3]:
            raise ValueError(f"method {name!r} returned maps of shape {m.shape}, expected {x.shape[:3]}")
        out.append(m)
    return np.stack(out).astype(np.float32)


def _is_conv_block(block) -> bool:
    from explainers._layers import is_conv

    return any(is_conv(layer) for layer in block)


def compute_sanity_checks(model, images, *, methods: Sequence[str | Callable[..., np.ndarray]] = (
        "gradcam", "saliency", "smoothgrad", "guided_backprop"), seed: int = 0, shuffled_model=None,
        class_index: int | None = None, independent: bool = True,
        threshold: float = DEFAULT_THRESHOLD) -> SanityChecks:
    """Cascading and independent weight randomisation, and the data randomisation test, for each method.

    What this shows: whether a heatmap depends on what the model learnt. For
    each method the trained model's maps are compared with the maps of a
    clone whose layers are re-initialised from the output down (cascading),
    one at a time (independent), and with the maps of ``shuffled_model`` (the
    same architecture trained on shuffled labels). A method whose maps stay
    the same (high rank correlation) is showing the image or the architecture,
    not the classifier.

    Args:
        model: a trained Keras image classifier (sigmoid or softmax head); never changed.
        images: (N, H, W, C) images (or one image), matching the model's input.
        methods: names from ``SANITY_METHODS`` ("gradcam", "saliency", "smoothgrad", "guided_backprop",
            "occlusion", "integrated_gradients", "gradcam_plus_plus"), or callables ``(model, images, class_index, seed) -> (N, H, W)`` maps.
        seed: seed of the re-initialised weights (block i draws from ``default_rng([seed, i])``) and noise.
        shuffled_model: the same architecture trained on shuffled labels (e.g.
            ``models.recipes.sanity.train_sanity_cnn(..., shuffle_labels=True)``), or None.
        class_index: the class explained (default: positive for one sigmoid unit; the trained model's top class
            of the first image for softmax), the same for every randomised model.
        independent: also randomise each block alone (L more sets of maps).
        threshold: the pass mark on the mean Spearman ρ of |maps| after full cascading randomisation.
    """
    x = _images(model, images)
    chosen = _methods(methods)
    seed = check_int("seed", seed, low=0)
    threshold = check_float("threshold", threshold, low=0.0, high=1.0)
    if shuffled_model is not None:
        import keras

        if not isinstance(shuffled_model, keras.Model) or tuple(shuffled_model.inputs[0].shape[1:]) != tuple(
                model.inputs[0].shape[1:]):
            fail("shuffled_model", shuffled_model, "a keras.Model with the same input shape as model")
    ci = _resolve_class(model, x, class_index)
    blocks = randomisation_blocks(model)
    if not blocks:
        fail("model", model.name, "a model with weights to randomise")
    names = tuple(name for name, _ in blocks)
    head_steps = next((i for i, (_, b) in enumerate(blocks) if _is_conv_block(b)), len(blocks))

    import keras

    original = _maps(chosen, model, x, ci, seed)
    # One clone; its weights are reassigned for every step, so each method's function is compiled once for it.
    clone = _clone(model)
    clone_blocks = [b for _, b in randomisation_blocks(clone)]
    trained = [(v, np.array(keras.ops.convert_to_numpy(v.value))) for b in clone_blocks for layer in b for v in layer.weights]
    fresh = [_block_values(b, np.random.default_rng([seed, i])) for i, b in enumerate(clone_blocks)]

    def restore():
        for v, value in trained:
            v.assign(value)

    def assign(i):
        for v, value in fresh[i]:
            v.assign(value)

    cascade = []
    for i in range(len(blocks)):
        assign(i)  # cumulative: blocks 0..i random
        cascade.append(_maps(chosen, clone, x, ci, seed))
    restore()
    indep = []
    if independent:
        for i in range(len(blocks)):
            assign(i)
            indep.append(_maps(chosen, clone, x, ci, seed))
            restore()
    cascade_a = np.stack(cascade, axis=1)
    indep_a = np.stack(indep, axis=1) if indep else np.zeros((len(chosen), 0, *x.shape[:3]), np.float32)

    def table(maps):  # (M, L, N, H, W) -> three (M, L)
        sims = np.array([[similarity(original[m], maps[m, s]) for s in range(maps.shape[1])]
                         for m in range(len(chosen))]).reshape(len(chosen), maps.shape[1], 3)
        return sims[..., 0], sims[..., 1], sims[..., 2]

    c_rho, c_abs, c_ssim = table(cascade_a)
    i_rho, i_abs, i_ssim = table(indep_a)
    if shuffled_model is not None:
        data = _maps(chosen, shuffled_model, x, ci, seed)
        d = np.array([similarity(original[m], data[m]) for m in range(len(chosen))])
        d_rho, d_abs, d_ssim = d[:, 0], d[:, 1], d[:, 2]
    else:
        data = np.zeros(0, np.float32)
        d_rho = d_abs = d_ssim = np.zeros(0)
    return SanityChecks(
        methods=tuple(c[0] for c in chosen), labels=tuple(c[1] for c in chosen), images=x, class_index=ci,
        layers=names, head_steps=int(head_steps), original=original, cascade=cascade_a, independent=indep_a,
        cascade_spearman=c_rho, cascade_spearman_abs=c_abs, cascade_ssim=c_ssim, independent_spearman=i_rho,
        independent_spearman_abs=i_abs, independent_ssim=i_ssim, data=data, data_spearman=d_rho,
        data_spearman_abs=d_abs, data_ssim=d_ssim, threshold=threshold,
        passes=c_abs[:, -1] < threshold, seed=seed)


# ------------------------------------------------------------------ why a map ignores the head
@dataclass(frozen=True)
class HeadIndependence:
    """How much of a method's similarity after the head is randomised comes from pixels that are exactly zero.

    Attributes:
        method: the method looked at; step: the cascade step (the last block of the head).
        zero_share_trained, zero_share_randomised: mean share of pixels whose map value is exactly 0.
        zero_pattern_agreement: mean share of pixels that are zero in both maps or non-zero in both.
        spearman_abs_all: mean Spearman ρ of |maps| over every pixel (the sanity check's number).
        spearman_abs_support: the same over the pixels where either map is non-zero.
    """

    method: str
    step: str
    zero_share_trained: float
    zero_share_randomised: float
    zero_pattern_agreement: float
    spearman_abs_all: float
    spearman_abs_support: float


def compute_head_independence(checks: SanityChecks, method: str = "saliency") -> HeadIndependence:
    """Split a map's similarity after head randomisation into its zero pattern and the rest.

    What this shows: why the plain gradient of a CNN with global *max* pooling
    survives a random classifier head. Each channel's global maximum sits at one
    position, chosen by the conv layers alone, so ∂y/∂x can only be non-zero in
    those positions' receptive fields; the head only reweights the channels. If
    most pixels are exactly zero in both maps, the rank correlation over all
    pixels is high whatever the head, and falls on the pixels that are left.
    """
    if not isinstance(checks, SanityChecks):
        fail("checks", checks, "a SanityChecks from compute_sanity_checks")
    if method not in checks.methods:
        fail("method", method, f"one of the checked methods {list(checks.methods)}")
    if checks.head_steps == 0:
        fail("checks", checks.layers, "a model with a head above its last convolution")
    m, s = checks.methods.index(method), checks.head_steps - 1
    trained, rand = np.abs(checks.original[m]).astype(np.float64), np.abs(checks.cascade[m, s]).astype(np.float64)
    support = [(a != 0) | (b != 0) for a, b in zip(trained, rand)]
    return HeadIndependence(
        method=method, step=checks.layers[s],
        zero_share_trained=float(np.mean([(a == 0).mean() for a in trained])),
        zero_share_randomised=float(np.mean([(b == 0).mean() for b in rand])),
        zero_pattern_agreement=float(np.mean([((a == 0) == (b == 0)).mean() for a, b in zip(trained, rand)])),
        spearman_abs_all=float(np.mean([_spearman(a, b) for a, b in zip(trained, rand)])),
        spearman_abs_support=float(np.mean([_spearman(a[k], b[k]) if k.sum() > 1 else 0.0
                                            for a, b, k in zip(trained, rand, support)])))
