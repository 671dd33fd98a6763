"""Loss landscapes, linear interpolation and optimiser trajectories (lecture 003).

Li et al., "Visualizing the Loss Landscape of Neural Nets" (2018): pick random
directions δ, η in weight space, rescale each filter of a direction to the norm
of the same filter of the weights, and draw the loss on the plane
θ* + αδ + βη. A trajectory recorded during training is projected on the PCA
directions of the weight changes (Li et al. §7).

Speed: the grid is evaluated in compiled, batched calls of
``model.stateless_call`` (``tf.map_fn`` inside one ``tf.function`` per model
and chunk shape under TensorFlow, ``jax.lax.map`` inside ``jax.jit`` under JAX),
never one ``model.evaluate`` per point. For a chain of Dense layers (an MLP,
logistic regression) the first layer is linear in its weights,
x(W + αD₁ + βD₂) = xW + αxD₁ + βxD₂, so xW, xD₁, xD₂ are computed once and
the remaining layers run for a whole chunk of grid points in one batched
``einsum``.

The model's own variables are never assigned: weights are the same object
values before and after, and BatchNorm moving statistics (non-trainable) are
never perturbed; every evaluation uses ``training=False``.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

__all__ = [
    "Landscape", "Trajectory", "GradientNorms", "TrajectoryRecorder",
    "random_directions", "compute_landscape", "interpolate", "project_trajectory",
    "compute_gradient_norms", "flatten_weights", "unflatten_weights",
]

Direction = list[np.ndarray]  # one array per trainable variable, same shapes


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class Landscape:
    """Loss on a line (1-D) or a plane (2-D) through the weights θ*.

    ``losses[j, i]`` is the loss at θ* + alphas[i]·δ + betas[j]·η (so it can be
    passed to ``contourf(alphas, betas, losses)``); for a 1-D landscape
    ``betas`` is empty and ``losses`` has shape (steps,). ``accuracies`` has the
    same shape, or is None for a regression output. ``indices`` are the rows of
    the data that were used (a fixed, seeded subset); ``center_loss`` is the
    loss at α = β = 0 (the trained model).
    """

    alphas: np.ndarray
    betas: np.ndarray
    losses: np.ndarray
    accuracies: np.ndarray | None
    center_loss: float
    indices: np.ndarray
    method: str  # "linear-first-layer" or "stateless_call"
    label: str = "loss"


@dataclass(frozen=True)
class Trajectory:
    """A training run's weights projected on the PCA plane of its weight changes.

    ``coords[k]`` is (α, β) of snapshot k relative to the final weights;
    ``explained_variance`` is the share of the variance of the weight changes
    along each PCA direction; ``directions`` are the (unit) directions, ready
    for :func:`compute_landscape`; ``labels`` name the snapshots (epochs/steps).
    """

    coords: np.ndarray
    explained_variance: np.ndarray
    directions: list[Direction]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class GradientNorms:
    """‖∂E/∂W‖ of each layer's kernel, in the model's layer order."""

    layer_names: tuple[str, ...]
    norms: np.ndarray
    weight_norms: np.ndarray
    loss: float


# --------------------------------------------------------------- validation
def _check_model(model: Any, name: str = "model") -> keras.Model:
    if not isinstance(model, keras.Model):
        raise TypeError(f"{name} must be a keras.Model, got {type(model).__name__}")
    if not model.built or not model.trainable_variables:
        raise ValueError(f"{name} {model.name!r} has no trainable weights yet; build it (call it once) first")
    return model


def _check_int(value: Any, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low or (
            high is not None and value > high):
        rng = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an integer {rng}, got {value!r}")
    return int(value)


def _check_xy(model: keras.Model, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim < 2 or len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must hold the same number (>0) of samples, got x {x.shape} and y {y.shape}")
    want = tuple(model.inputs[0].shape[1:]) if getattr(model, "inputs", None) else None
    if want is not None and all(w is not None for w in want) and tuple(x.shape[1:]) != want:
        raise ValueError(f"x has sample shape {tuple(x.shape[1:])} but {model.name!r} expects {want}")
    if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or inf values; clean or impute them first")
    return x, y


# -------------------------------------------------------------- directions
def _is_kernel(v) -> bool:
    return len(v.shape) >= 2


def random_directions(model: keras.Model, n: int = 2, seed: int = 0, normalization: str | None = "filter",
                      include_biases: bool = False) -> list[Direction]:
    """Gaussian directions shaped like the trainable weights, filter-normalised.

    What this shows: a random direction is only meaningful relative to the
    scale of the weights it moves; filter normalisation (Li et al. 2018) makes
    landscapes of different nets comparable.

    Args:
        model: a built Keras model.
        n: number of directions (1 for a line, 2 for a plane).
        seed: random seed (same seed, same directions).
        normalization: "filter" (each filter, the LAST axis of Dense (in, out)
            and Conv (kh, kw, in, out) kernels, rescaled to the norm of the same
            filter of the weights), "layer" (each whole kernel) or None (raw).
        include_biases: if False, biases and BatchNorm γ/β (1-D variables) get
            a zero direction; if True their direction is the weights themselves
            (as in Li et al.'s code).

    Returns:
        ``n`` directions, each a list of arrays matching ``model.trainable_variables``.
    """
    _check_model(model)
    n = _check_int(n, "n", 1, 2)
    if normalization not in ("filter", "layer", None, "none"):
        raise ValueError(f"normalization must be 'filter', 'layer' or None, got {normalization!r}")
    rng = np.random.default_rng(seed)
    weights = [np.asarray(keras.ops.convert_to_numpy(v.value), dtype=np.float32) for v in model.trainable_variables]
    dirs = []
    for _ in range(n):
        d_list = []
        for w in weights:
            d = rng.standard_normal(w.shape).astype(np.float32)
            if w.ndim < 2:
                d = w.copy() if include_biases else np.zeros_like(w)
            elif normalization == "filter":
                axes = tuple(range(w.ndim - 1))
                wn = np.sqrt((w.astype(np.float64) ** 2).sum(axis=axes, keepdims=True))
                dn = np.sqrt((d.astype(np.float64) ** 2).sum(axis=axes, keepdims=True))
                d = (d * (wn / np.maximum(dn, 1e-12))).astype(np.float32)
            elif normalization == "layer":
                d = (d * (np.linalg.norm(w) / max(np.linalg.norm(d), 1e-12))).astype(np.float32)
            d_list.append(d)
        dirs.append(d_list)
    return dirs


def _check_directions(model: keras.Model, directions: Any) -> list[Direction]:
    tv = model.trainable_variables
    if not isinstance(directions, (list, tuple)) or not 1 <= len(directions) <= 2:
        raise ValueError("directions must be a list of 1 or 2 directions, e.g. random_directions(model, n=2); "
                         f"got {type(directions).__name__}")
    out = []
    for k, d in enumerate(directions):
        if len(d) != len(tv) or any(tuple(np.shape(a)) != tuple(v.shape) for a, v in zip(d, tv)):
            raise ValueError(f"direction {k} does not match the trainable weights of {model.name!r}; "
                             "make it with random_directions(model) for this model")
        out.append([np.asarray(a, dtype=np.float32) for a in d])
    return out


# -------------------------------------------------------------- loss helpers
def _loss_spec(model: keras.Model, loss: Any, y: np.ndarray) -> tuple[Callable, bool, str]:
    """(per-sample loss fn(y_true, y_pred) -> (..., N), sparse labels?, kind for accuracy)."""
    out_shape = model.outputs[0].shape if getattr(model, "outputs", None) else None
    activation = getattr(getattr(model.layers[-1], "activation", None), "__name__", "")
    if loss is None:
        loss = getattr(model, "loss", None)
    if loss is None:
        if activation == "sigmoid":
            loss = "binary_crossentropy"
        elif activation == "softmax":
            loss = "sparse_categorical_crossentropy" if (y.ndim == 1 or y.shape[-1] == 1) else \
                "categorical_crossentropy"
        else:
            loss = "mse"
    obj = keras.losses.get(loss) if isinstance(loss, str) else loss
    fn, kwargs = obj, {}
    if isinstance(obj, keras.losses.Loss):
        fn = getattr(obj, "fn", None)
        kwargs = dict(getattr(obj, "_fn_kwargs", {}) or {})
        if fn is None:
            raise ValueError(f"loss {obj!r} has no per-sample function; pass a loss name such as "
                             "'binary_crossentropy' or a function(y_true, y_pred)")
    if not callable(fn):
        raise TypeError(f"loss must be a loss name, a keras Loss or a function, got {loss!r}")
    name = getattr(fn, "__name__", "")
    sparse = "sparse" in name
    kind = "none"
    if out_shape is not None and len(out_shape) == 2:
        if activation == "sigmoid" or ("binary" in name):
            kind = "binary"
        elif activation == "softmax" or "categorical" in name:
            kind = "sparse" if sparse or y.ndim == 1 else "onehot"
    return (lambda yt, yp: fn(yt, yp, **kwargs)), sparse, kind


def _prepare_y(y: np.ndarray, out_units: int, sparse: bool) -> np.ndarray:
    if sparse:
        return y.reshape(len(y)).astype(np.int32)
    y = y.astype(np.float32)
    if y.size == len(y) * out_units:
        return y.reshape(len(y), out_units)
    return y


def _accuracy(kind: str, y, pred):
    """Accuracy per leading index of ``pred`` (..., N, units)."""
    if kind == "binary":
        hit = ops.cast(ops.cast(pred > 0.5, "float32") == ops.cast(y, "float32"), "float32")
        return ops.mean(hit, axis=(-2, -1))
    if kind == "sparse":
        hit = ops.cast(ops.argmax(pred, axis=-1), "int32") == ops.cast(y, "int32")
        return ops.mean(ops.cast(hit, "float32"), axis=-1)
    if kind == "onehot":
        hit = ops.cast(ops.argmax(pred, axis=-1), "int32") == ops.cast(ops.argmax(y, axis=-1), "int32")
        return ops.mean(ops.cast(hit, "float32"), axis=-1)
    return ops.zeros(ops.shape(pred)[:-2])


# ------------------------------------------------------------ compilation
_FUNCTIONS: "weakref.WeakKeyDictionary[keras.Model, dict]" = weakref.WeakKeyDictionary()


def _compile(fn: Callable) -> Callable:
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf  # lazily: only under the TensorFlow backend

        return tf.function(fn, reduce_retracing=True)
    if backend == "jax":
        import jax

        return jax.jit(fn)
    return fn


def _map(fn: Callable, xs):
    """fn over the leading axis of xs, compiled as one loop (not unrolled)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.map_fn(fn, xs, fn_output_signature=tf.float32, parallel_iterations=4)
    if backend == "jax":
        import jax

        return jax.lax.map(fn, xs)
    return ops.stack([fn(xs[i]) for i in range(int(xs.shape[0]))])


def _cached(model: keras.Model, key: tuple, build: Callable[[], Callable]) -> Callable:
    table = _FUNCTIONS.setdefault(model, {})
    if key not in table:
        table[key] = build()
    return table[key]


def _dense_chain(model: keras.Model) -> list | None:
    """The Dense layers of a model that is nothing but a chain of Dense layers, else None."""
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if not layers or not all(type(layer) is keras.layers.Dense for layer in layers):
        return None
    if len(getattr(model, "inputs", []) or []) != 1 or len(model.outputs) != 1:
        return None
    prev = model.inputs[0].shape[-1]
    for layer in layers:
        if layer.kernel.shape[0] != prev or layer.lora_enabled or layer.quantization_mode:
            return None
        prev = layer.kernel.shape[1]
    # a true chain: each layer's output feeds the next (functional graphs could branch)
    try:
        probe = model.inputs[0]
        for layer in layers:
            if layer.input is not probe and layer.input.name != probe.name:
                return None
            probe = layer.output
        if probe is not model.outputs[0] and probe.name != model.outputs[0].name:
            return None
    except (AttributeError, ValueError):
        return None
    tv = model.trainable_variables
    order = []
    for layer in layers:
        order += [layer.kernel] + ([layer.bias] if layer.use_bias else [])
    if len(order) != len(tv) or any(a is not b for a, b in zip(order, tv)):
        return None
    return layers


def _reg_l1_l2(layer) -> tuple[float, float]:
    reg = layer.kernel_regularizer
    if reg is None:
        return 0.0, 0.0
    return float(getattr(reg, "l1", 0.0) or 0.0), float(getattr(reg, "l2", 0.0) or 0.0)


def _mlp_fn(model: keras.Model, layers: list, loss_fn: Callable, kind: str) -> Callable:
    """Compiled chunk evaluator for a Dense chain (first layer linear in its weights)."""
    regs = [_reg_l1_l2(layer) for layer in layers]
    if any(layer.kernel_regularizer is not None and not hasattr(layer.kernel_regularizer, "l2")
           for layer in layers):
        raise NotImplementedError("only L1/L2 kernel regularisers are supported by the fast Dense path")

    def chunk(first, params, dparams, coeffs, y):
        # first = (x@W0 + b0 (N,h), x@D0 per direction (nd,N,h), bias dirs (nd,h))
        xw, xd, db = first
        z = xw[None] + ops.einsum("kd,dnh->knh", coeffs, xd) + ops.einsum("kd,dh->kh", coeffs, db)[:, None, :]
        a = layers[0].activation(z)
        reg = ops.zeros(ops.shape(coeffs)[:1])
        for i, layer in enumerate(layers):
            w, b = params[i]
            dw, dbias = dparams[i]
            wk = w[None] + ops.einsum("kd,dij->kij", coeffs, dw)
            l1, l2 = regs[i]
            if l1:
                reg = reg + l1 * ops.sum(ops.abs(wk), axis=(1, 2))
            if l2:
                reg = reg + l2 * ops.sum(ops.square(wk), axis=(1, 2))
            if i == 0:
                continue
            z = ops.einsum("kni,kij->knj", a, wk)
            if b is not None:
                z = z + (b[None] + ops.einsum("kd,dj->kj", coeffs, dbias))[:, None, :]
            a = layer.activation(z)
        yb = ops.broadcast_to(y[None], (ops.shape(a)[0],) + tuple(ops.shape(y)))
        losses = ops.mean(loss_fn(yb, a), axis=-1) + reg
        return ops.stack([losses, _accuracy(kind, y, a)], axis=1)

    return _compile(chunk)


def _generic_fn(model: keras.Model, mask: tuple[bool, ...], loss_fn: Callable, kind: str,
                nt_moves: bool) -> Callable:
    """Compiled chunk evaluator: map over grid points of stateless_call(training=False)."""

    def chunk(tv, ntv, dirs, nt_dirs, coeffs, x, y):
        def one(c):
            vals = []
            for i, w in enumerate(tv):
                if mask[i]:
                    w = w + sum(c[d] * dirs[d][i] for d in range(len(dirs)))
                vals.append(w)
            nvals = [v + c[0] * dv for v, dv in zip(ntv, nt_dirs)] if nt_moves else list(ntv)
            pred, _, reg = model.stateless_call(vals, nvals, x, training=False, return_losses=True)
            pred = ops.cast(pred, "float32")
            loss = ops.mean(loss_fn(y, pred))
            if reg:
                loss = loss + ops.sum(ops.stack([ops.cast(r, "float32") for r in reg]))
            acc = _accuracy(kind, y, pred[None])[0]
            return ops.stack([loss, acc])

        return _map(one, coeffs)

    return _compile(chunk)


def _subset(n_total: int, n_samples: int | None, seed: int) -> np.ndarray:
    if n_samples is None or n_samples >= n_total:
        return np.arange(n_total)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_total, size=n_samples, replace=False))


def _evaluate_grid(model, x, y, directions, coeffs, loss, chunk_size, method, nt_dirs=None):
    """(losses, accuracies) at every row of ``coeffs`` (K, n_dirs)."""
    loss_fn, sparse, kind = _loss_spec(model, loss, y)
    out_units = int(model.outputs[0].shape[-1]) if getattr(model, "outputs", None) else 1
    yv = _prepare_y(y, out_units, sparse)
    tv = [ops.convert_to_tensor(v.value) for v in model.trainable_variables]
    ntv = [ops.convert_to_tensor(v.value) for v in model.non_trainable_variables]
    nd = len(directions)
    chain = _dense_chain(model) if method in ("auto", "linear-first-layer") and nt_dirs is None else None
    if method == "linear-first-layer" and chain is None:
        raise ValueError("method='linear-first-layer' needs a model that is a chain of Dense layers; use 'auto'")
    k_total = len(coeffs)
    if chain is not None:
        used = "linear-first-layer"
        width = max(int(layer.units) for layer in chain)
        # keep one chunk's activations around 4M floats
        chunk = chunk_size or int(np.clip(4_000_000 // max(len(x) * width, 1), 1, 1024))
        fn = _cached(model, ("mlp", id(loss_fn.__code__), str(loss), kind), lambda: _mlp_fn(model, chain, loss_fn, kind))
        xt = ops.convert_to_tensor(x.reshape(len(x), -1).astype(np.float32))
        d_tensors = [[ops.convert_to_tensor(a) for a in d] for d in directions]
        params, dparams, i = [], [], 0
        for layer in chain:
            w = tv[i]
            dw = ops.stack([d[i] for d in d_tensors])
            if layer.use_bias:
                b, db = tv[i + 1], ops.stack([d[i + 1] for d in d_tensors])
                i += 2
            else:
                b, db = None, None
                i += 1
            params.append((w, b))
            dparams.append((dw, db))
        w0, b0 = params[0]
        xw = ops.matmul(xt, w0) + (b0 if b0 is not None else 0.0)
        xd = ops.einsum("ni,dih->dnh", xt, dparams[0][0])
        db0 = dparams[0][1] if dparams[0][1] is not None else ops.zeros((nd, int(w0.shape[1])))
        call = lambda c: fn((xw, xd, db0), params, dparams, c, ops.convert_to_tensor(yv))  # noqa: E731
    else:
        used = "stateless_call"
        chunk = chunk_size or 64
        mask = tuple(bool(any(np.any(d[i] != 0) for d in directions)) for i in range(len(tv)))
        nt_moves = nt_dirs is not None
        fn = _cached(model, ("generic", mask, id(loss_fn.__code__), str(loss), kind, nt_moves),
                     lambda: _generic_fn(model, mask, loss_fn, kind, nt_moves))
        d_tensors = [[ops.convert_to_tensor(a) for a in d] for d in directions]
        nt_t = [ops.convert_to_tensor(a) for a in (nt_dirs or [])]
        xt, yt = ops.convert_to_tensor(x.astype(np.float32) if np.issubdtype(x.dtype, np.floating) else x), \
            ops.convert_to_tensor(yv)
        call = lambda c: fn(tv, ntv, d_tensors, nt_t, c, xt, yt)  # noqa: E731
    chunk = max(1, min(chunk, k_total))
    out = np.empty((k_total, 2), dtype=np.float32)
    for start in range(0, k_total, chunk):
        part = coeffs[start:start + chunk]
        n = len(part)
        if n < chunk:  # pad: one compiled shape for every chunk, no retrace
            part = np.concatenate([part, np.repeat(part[-1:], chunk - n, axis=0)])
        res = call(ops.convert_to_tensor(part.astype(np.float32)))
        out[start:start + n] = ops.convert_to_numpy(res)[:n]
    acc = None if kind == "none" else out[:, 1]
    return out[:, 0], acc, used


# -------------------------------------------------------------- landscapes
def compute_landscape(model: keras.Model, x: Any, y: Any, directions: Sequence[Direction], steps: int = 51,
                      span: float = 1.0, loss: Any = None, *, n_samples: int | None = 256, seed: int = 0,
                      chunk_size: int | None = None, method: str = "auto") -> Landscape:
    """Loss (and accuracy) on the line θ* + αδ or the plane θ* + αδ + βη.

    What this shows: whether the minimum the optimiser found is a wide, round
    bowl or a narrow, chaotic valley; a convex model gives a perfect bowl.

    Args:
        model: a built (usually trained) Keras model; its weights are not changed.
        x, y: data; a fixed seeded subset of ``n_samples`` rows is used.
        directions: 1 or 2 directions from :func:`random_directions` or
            :func:`project_trajectory`.
        steps: grid points per axis (odd puts a point exactly at the centre).
        span: α and β run over [-span, span].
        loss: loss name, function or keras Loss; default: the model's compiled
            loss, else one chosen from the output layer.
        n_samples: rows used (None: all).
        seed: seed of the subset.
        chunk_size: grid points per compiled call (None: automatic).
        method: "auto" (the linear-first-layer trick for Dense chains),
            "linear-first-layer" or "stateless_call".
    """
    _check_model(model)
    x, y = _check_xy(model, x, y)
    steps = _check_int(steps, "steps", 2, 1001)
    if not isinstance(span, (int, float, np.floating)) or not np.isfinite(span) or span <= 0:
        raise ValueError(f"span must be a positive number, got {span!r}")
    if n_samples is not None:
        _check_int(n_samples, "n_samples", 1)
    if method not in ("auto", "linear-first-layer", "stateless_call"):
        raise ValueError(f"method must be 'auto', 'linear-first-layer' or 'stateless_call', got {method!r}")
    dirs = _check_directions(model, directions)
    idx = _subset(len(x), n_samples, seed)
    grid = np.linspace(-span, span, steps).astype(np.float32)
    if len(dirs) == 1:
        coeffs = grid[:, None]
        betas = np.zeros(0, dtype=np.float32)
    else:
        aa, bb = np.meshgrid(grid, grid)  # rows: beta, cols: alpha
        coeffs = np.stack([aa.ravel(), bb.ravel()], axis=1)
        betas = grid
    losses, accs, used = _evaluate_grid(model, x[idx], y[idx], dirs, coeffs, loss, chunk_size, method)
    shape = (steps,) if len(dirs) == 1 else (steps, steps)
    if steps % 2:  # the grid holds the centre exactly (linspace is symmetric)
        center = losses.reshape(shape)[(steps // 2,) * len(dirs)]
    else:
        center = _evaluate_grid(model, x[idx], y[idx], dirs, np.zeros((1, len(dirs)), np.float32), loss, 1,
                                method)[0][0]
    return Landscape(grid, betas, losses.reshape(shape), None if accs is None else accs.reshape(shape),
                     float(center), idx, used)


def interpolate(model_a: keras.Model, model_b: keras.Model, x: Any, y: Any, steps: int = 51, loss: Any = None,
                *, margin: float = 0.0, n_samples: int | None = 256, seed: int = 0) -> Landscape:
    """Loss along the straight line θ(t) = θ_a + t(θ_b − θ_a), t in [−margin, 1 + margin].

    What this shows: e.g. from the initial weights (t=0) to the trained ones
    (t=1): is the way down a smooth slope or over a ridge?

    Non-trainable state (BatchNorm moving statistics) is interpolated the same
    way, so t=0 is exactly ``model_a`` and t=1 exactly ``model_b``.
    """
    _check_model(model_a, "model_a")
    _check_model(model_b, "model_b")
    ta, tb = model_a.trainable_variables, model_b.trainable_variables
    if len(ta) != len(tb) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(ta, tb)):
        raise ValueError(f"model_a {model_a.name!r} and model_b {model_b.name!r} must have the same architecture")
    x, y = _check_xy(model_a, x, y)
    steps = _check_int(steps, "steps", 2, 1001)
    if not np.isfinite(margin) or margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin!r}")
    direction = [np.asarray(ops.convert_to_numpy(b.value) - ops.convert_to_numpy(a.value), np.float32)
                 for a, b in zip(ta, tb)]
    nt_dirs = [np.asarray(ops.convert_to_numpy(b.value) - ops.convert_to_numpy(a.value), np.float32)
               for a, b in zip(model_a.non_trainable_variables, model_b.non_trainable_variables)]
    idx = _subset(len(x), n_samples, seed)
    ts = np.linspace(-margin, 1 + margin, steps).astype(np.float32)
    losses, accs, used = _evaluate_grid(model_a, x[idx], y[idx], [direction], ts[:, None], loss, None,
                                        "stateless_call", nt_dirs=nt_dirs)
    center = float(losses[np.argmin(np.abs(ts))])
    return Landscape(ts, np.zeros(0, np.float32), losses, accs, center, idx, used, label="t")


# ------------------------------------------------------------- trajectories
def flatten_weights(model_or_weights: Any) -> np.ndarray:
    """All trainable weights of a model (or a list of arrays) as one float64 vector."""
    arrays = model_or_weights
    if isinstance(model_or_weights, keras.Model):
        arrays = [ops.convert_to_numpy(v.value) for v in model_or_weights.trainable_variables]
    return np.concatenate([np.asarray(a, np.float64).ravel() for a in arrays])


def unflatten_weights(vector: np.ndarray, like: keras.Model) -> Direction:
    """Split a flat vector into arrays shaped like ``like.trainable_variables``."""
    total = sum(int(np.prod(v.shape)) for v in like.trainable_variables)
    if len(vector) != total:
        raise ValueError(f"vector has {len(vector)} values but {like.name!r} has {total} trainable weights")
    out, i = [], 0
    for v in like.trainable_variables:
        size = int(np.prod(v.shape))
        out.append(np.asarray(vector[i:i + size], np.float32).reshape(tuple(v.shape)))
        i += size
    return out


class TrajectoryRecorder:
    """Training observer that keeps a copy of the trainable weights as training goes.

    Works with :func:`models.train`: records the weights at the start, after
    every epoch and, if ``every_n_batches`` is set, every N batches.

    Args:
        model: the model being trained (``on_batch_end`` does not receive it).
        every_n_batches: also record every N batches (None: epochs only).
        max_snapshots: stop recording after this many (memory guard).
    """

    def __init__(self, model: keras.Model, every_n_batches: int | None = None, max_snapshots: int = 2000):
        _check_model(model)
        if every_n_batches is not None:
            _check_int(every_n_batches, "every_n_batches", 1)
        self.model = model
        self.every_n_batches = every_n_batches
        self.max_snapshots = _check_int(max_snapshots, "max_snapshots", 2)
        self.weights: list[np.ndarray] = []
        self.labels: list[str] = []
        self.losses: list[float] = []
        self._steps = 0

    def record(self, label: str, loss: float = float("nan")) -> None:
        if len(self.weights) < self.max_snapshots:
            self.weights.append(flatten_weights(self.model).astype(np.float32))
            self.labels.append(label)
            self.losses.append(float(loss))

    def on_train_begin(self, info: Any) -> None:
        if not self.weights:
            self.record("start")

    def on_batch_end(self, progress: Any) -> None:
        self._steps += 1
        if self.every_n_batches and self._steps % self.every_n_batches == 0:
            self.record(f"step {self._steps}", progress.logs.get("loss", float("nan")))

    def on_epoch_end(self, progress: Any, model: keras.Model) -> None:
        self.record(f"epoch {progress.epoch}", progress.logs.get("loss", float("nan")))

    def __len__(self) -> int:
        return len(self.weights)


def project_trajectory(snapshots: Any, model: keras.Model | None = None,
                       labels: Sequence[str] | None = None) -> Trajectory:
    """Project weight snapshots on the 2 PCA directions of θ_k − θ_final (Li et al. §7).

    What this shows: the optimiser's path drawn on the loss surface; random
    directions would miss it (in high dimensions they are nearly orthogonal
    to the path), the PCA directions hold most of its movement.

    Args:
        snapshots: a :class:`TrajectoryRecorder` or an array (k, n_weights) of
            flat weight vectors, the last one the centre (final weights).
        model: needed to shape the directions (taken from the recorder if given).
        labels: a name per snapshot.

    Returns:
        A :class:`Trajectory`; its ``directions`` are unit vectors, so the
        coordinates are distances in weight space.
    """
    if isinstance(snapshots, TrajectoryRecorder):
        model = model or snapshots.model
        labels = labels or snapshots.labels
        snapshots = snapshots.weights
    w = np.asarray(snapshots, dtype=np.float64)
    if w.ndim != 2 or len(w) < 3:
        raise ValueError(f"need at least 3 weight snapshots as (k, n_weights); got shape {w.shape}. "
                         "Train for more epochs or record every N batches")
    diffs = w - w[-1]
    centred = diffs - diffs.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    var = s ** 2
    explained = var / var.sum() if var.sum() > 0 else np.zeros_like(var)
    basis = vt[:2]
    # a sign convention, so that reruns draw the same picture: the start has α, β >= 0
    coords = diffs @ basis.T
    signs = np.where(coords[0] < 0, -1.0, 1.0)
    basis, coords = basis * signs[:, None], coords * signs
    dirs = [unflatten_weights(b, model) for b in basis] if model is not None else []
    labels = tuple(labels) if labels is not None else tuple(str(i) for i in range(len(w)))
    return Trajectory(coords, explained[:2].copy(), dirs, labels)


# --------------------------------------------------------- gradient norms
def _loss_and_grads(model: keras.Model, x: np.ndarray, y: np.ndarray, loss: Any):
    from models.onednn import check_trainable_on_cpu

    check_trainable_on_cpu(model)  # weight gradients go through the same oneDNN kernel as training
    loss_fn, sparse, _ = _loss_spec(model, loss, y)
    out_units = int(model.outputs[0].shape[-1]) if getattr(model, "outputs", None) else 1
    yt = ops.convert_to_tensor(_prepare_y(y, out_units, sparse))
    xt = ops.convert_to_tensor(x.astype(np.float32) if np.issubdtype(x.dtype, np.floating) else x)
    tv = [ops.convert_to_tensor(v.value) for v in model.trainable_variables]
    ntv = [ops.convert_to_tensor(v.value) for v in model.non_trainable_variables]

    def value(vals):
        pred, _, reg = model.stateless_call(vals, ntv, xt, training=False, return_losses=True)
        out = ops.mean(loss_fn(yt, ops.cast(pred, "float32")))
        return out + sum(reg) if reg else out

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(tv)
            val = value(tv)
        grads = tape.gradient(val, tv)
    elif backend == "jax":
        import jax

        val, grads = jax.value_and_grad(value)(tv)
    else:
        raise NotImplementedError(f"gradients need the tensorflow or jax backend, not {backend!r}")
    return float(ops.convert_to_numpy(val)), [ops.convert_to_numpy(g) for g in grads]


def compute_gradient_norms(model: keras.Model, x: Any, y: Any, loss: Any = None, *,
                           n_samples: int | None = 256, seed: int = 0) -> GradientNorms:
    """‖∂E/∂W‖ for each layer with a kernel (Dense, Conv), in layer order.

    What this shows: in a deep plain net the gradient shrinks on its way back
    to the first layers (it vanishes); skip connections carry it through.
    Evaluated in inference mode (``training=False``), on a fixed subset.
    """
    _check_model(model)
    x, y = _check_xy(model, x, y)
    idx = _subset(len(x), n_samples, seed)
    val, grads = _loss_and_grads(model, x[idx], y[idx], loss)
    ids = {id(v): i for i, v in enumerate(model.trainable_variables)}
    names, norms, wnorms = [], [], []
    for layer in _all_layers(model):
        kernel = getattr(layer, "kernel", None)
        if kernel is None or id(kernel) not in ids or not _is_kernel(kernel):
            continue
        names.append(layer.name)
        norms.append(float(np.linalg.norm(grads[ids[id(kernel)]])))
        wnorms.append(float(np.linalg.norm(ops.convert_to_numpy(kernel.value))))
    return GradientNorms(tuple(names), np.asarray(norms), np.asarray(wnorms), val)


def _all_layers(model: keras.Model) -> list:
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out += _all_layers(layer)
        else:
            out.append(layer)
    return out
