"""Loss landscapes and linear interpolation (lecture 003; Li et al. 2018).

Li et al., "Visualizing the Loss Landscape of Neural Nets" (2018): pick random
directions δ, η in weight space, rescale each filter of a direction to the norm
of the same filter of the weights, and draw the loss on the plane
θ* + αδ + βη. The directions may also come from a training run
(:func:`explainers.trajectory.compute_trajectory`, the PCA plane of its path).

Speed: the grid is evaluated in compiled, batched calls of
``model.stateless_call`` (mapped over the grid points by
:func:`explainers._backend.map_leading` inside one
:func:`~explainers._backend.compile_function` per model and loss, cached
weakly per model), never one ``model.evaluate`` per point. For a chain of
Dense layers (an MLP, logistic regression) the first layer is linear in its
weights, x(W + αD₁ + βD₂) = xW + αxD₁ + βxD₂, so xW, xD₁, xD₂ are computed
once and the remaining layers run for a whole chunk of grid points in one
batched ``einsum``.

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

from explainers import _backend
from explainers.loss_inputs import DataSample, check_weighted_model, loss_spec, sample_data
from models._arguments import ArgumentError, check_choice, check_float, check_int

__all__ = ["Direction", "Landscape", "random_directions", "compute_landscape", "compute_interpolation"]

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
    loss at α = β = 0 (the trained model). An interpolation between two models
    is a 1-D landscape with ``label == "t"`` (``alphas`` are the t values).
    """

    alphas: np.ndarray
    betas: np.ndarray
    losses: np.ndarray
    accuracies: np.ndarray | None
    center_loss: float
    indices: np.ndarray
    method: str  # "linear-first-layer" or "stateless_call"
    label: str = "loss"


# -------------------------------------------------------------- directions
def random_directions(model: keras.Model, n: int = 2, *, seed: int = 0, normalization: str | None = "filter",
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
        A list of ``n`` directions, each a list of arrays matching
        ``model.trainable_variables``.
    """
    check_weighted_model(model)
    n = check_int("n", n, low=1, high=2)
    if normalization is not None:
        check_choice("normalization", normalization, ("filter", "layer", "none"))
    rng = np.random.default_rng(seed)
    weights = [np.asarray(ops.convert_to_numpy(v.value), dtype=np.float32) for v in model.trainable_variables]
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
        raise ArgumentError("directions must be a list of 1 or 2 directions, e.g. random_directions(model, n=2); "
                            f"got {type(directions).__name__}")
    out = []
    for k, d in enumerate(directions):
        if len(d) != len(tv) or any(tuple(np.shape(a)) != tuple(v.shape) for a, v in zip(d, tv)):
            raise ArgumentError(f"directions[{k}] does not match the trainable weights of {model.name!r}; "
                                "make it with random_directions(model) for this model")
        out.append([np.asarray(a, dtype=np.float32) for a in d])
    return out


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


def _mlp_fn(layers: list, loss_fn: Callable, kind: str) -> Callable:
    """Compiled chunk evaluator for a Dense chain (first layer linear in its weights).

    Holds the activations and regularisation factors, not the layers or the
    model: the per-model cache must not keep its key alive.
    """
    if any(layer.kernel_regularizer is not None and not hasattr(layer.kernel_regularizer, "l2")
           for layer in layers):
        raise NotImplementedError("only L1/L2 kernel regularisers are supported by the fast Dense path")
    regs = [_reg_l1_l2(layer) for layer in layers]
    activations = [layer.activation for layer in layers]

    def chunk(first, params, dparams, coeffs, y):
        # first = (x@W0 + b0 (N,h), x@D0 per direction (nd,N,h), bias dirs (nd,h))
        xw, xd, db = first
        z = xw[None] + ops.einsum("kd,dnh->knh", coeffs, xd) + ops.einsum("kd,dh->kh", coeffs, db)[:, None, :]
        a = activations[0](z)
        reg = ops.zeros(ops.shape(coeffs)[:1])
        for i, activation in enumerate(activations):
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
            a = activation(z)
        yb = ops.broadcast_to(y[None], (ops.shape(a)[0],) + tuple(ops.shape(y)))
        losses = ops.mean(loss_fn(yb, a), axis=-1) + reg
        return ops.stack([losses, _accuracy(kind, y, a)], axis=1)

    return _backend.compile_function(chunk)


def _generic_fn(model: keras.Model, mask: tuple[bool, ...], loss_fn: Callable, kind: str,
                nt_moves: bool) -> Callable:
    """Compiled chunk evaluator: map over grid points of stateless_call(training=False)."""
    model_ref = weakref.ref(model)  # the per-model cache must not keep its key alive

    def chunk(tv, ntv, dirs, nt_dirs, coeffs, x, y):
        model = model_ref()

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

        return _backend.map_leading(one, coeffs)

    return _backend.compile_function(chunk)


def _evaluate_grid(model: keras.Model, sample: DataSample, directions, coeffs, loss, chunk_size, method,
                   nt_dirs=None):
    """(losses, accuracies, method used) at every row of ``coeffs`` (K, n_dirs)."""
    spec = loss_spec(model, sample.y, loss)
    x, yv = sample.x, spec.labels
    tv = [ops.convert_to_tensor(v.value) for v in model.trainable_variables]
    ntv = [ops.convert_to_tensor(v.value) for v in model.non_trainable_variables]
    nd = len(directions)
    chain = _dense_chain(model) if method in ("auto", "linear-first-layer") and nt_dirs is None else None
    if method == "linear-first-layer" and chain is None:
        raise ArgumentError("method='linear-first-layer' needs a model that is a chain of Dense layers; use 'auto'")
    k_total = len(coeffs)
    if chain is not None:
        used = "linear-first-layer"
        width = max(int(layer.units) for layer in chain)
        # keep one chunk's activations around 4M floats
        chunk = chunk_size or int(np.clip(4_000_000 // max(len(x) * width, 1), 1, 1024))
        fn = _backend.per_model(model, ("landscape-dense-chain", spec.key),
                                lambda: _mlp_fn(chain, spec.fn, spec.kind))
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
        fn = _backend.per_model(model, ("landscape-stateless", mask, spec.key, nt_moves),
                                lambda: _generic_fn(model, mask, spec.fn, spec.kind, nt_moves))
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
    acc = None if spec.kind == "none" else out[:, 1]
    return out[:, 0], acc, used



# -------------------------------------------------------------- landscapes
def compute_landscape(model: keras.Model, x: Any, y: Any, directions: Sequence[Direction], *, steps: int = 51,
                      span: float = 1.0, loss: Any = None, n_samples: int | None = 256, seed: int = 0,
                      chunk_size: int | None = None, method: str = "auto") -> Landscape:
    """Loss (and accuracy) on the line θ* + αδ or the plane θ* + αδ + βη.

    What this shows: whether the minimum the optimiser found is a wide, round
    bowl or a narrow, chaotic valley; a convex model gives a perfect bowl.

    Args:
        model: a built (usually trained) Keras model; its weights are not changed.
        x, y: data; a fixed seeded subset of ``n_samples`` rows is used.
        directions: 1 or 2 directions from :func:`random_directions` or
            :func:`explainers.trajectory.compute_trajectory`.
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
    check_weighted_model(model)
    steps = check_int("steps", steps, low=2, high=1001)
    span = check_float("span", span, low=0.0, low_open=True)
    check_choice("method", method, ("auto", "linear-first-layer", "stateless_call"))
    sample = sample_data(model, x, y, n_samples=n_samples, seed=seed)
    dirs = _check_directions(model, directions)
    grid = np.linspace(-span, span, steps).astype(np.float32)
    if len(dirs) == 1:
        coeffs = grid[:, None]
        betas = np.zeros(0, dtype=np.float32)
    else:
        aa, bb = np.meshgrid(grid, grid)  # rows: beta, cols: alpha
        coeffs = np.stack([aa.ravel(), bb.ravel()], axis=1)
        betas = grid
    losses, accs, used = _evaluate_grid(model, sample, dirs, coeffs, loss, chunk_size, method)
    shape = (steps,) if len(dirs) == 1 else (steps, steps)
    if steps % 2:  # the grid holds the centre exactly (linspace is symmetric)
        center = losses.reshape(shape)[(steps // 2,) * len(dirs)]
    else:
        center = _evaluate_grid(model, sample, dirs, np.zeros((1, len(dirs)), np.float32), loss, 1, method)[0][0]
    return Landscape(grid, betas, losses.reshape(shape), None if accs is None else accs.reshape(shape),
                     float(center), sample.indices, used)


def compute_interpolation(model_a: keras.Model, model_b: keras.Model, x: Any, y: Any, *, steps: int = 51,
                          loss: Any = None, margin: float = 0.0, n_samples: int | None = 256,
                          seed: int = 0) -> Landscape:
    """Loss along the straight line θ(t) = θ_a + t(θ_b − θ_a), t in [−margin, 1 + margin].

    What this shows: e.g. from the initial weights (t=0) to the trained ones
    (t=1): is the way down a smooth slope or over a ridge?

    Non-trainable state (BatchNorm moving statistics) is interpolated the same
    way, so t=0 is exactly ``model_a`` and t=1 exactly ``model_b``. The result
    is a 1-D :class:`Landscape` with ``label == "t"``.
    """
    check_weighted_model(model_a, "model_a")
    check_weighted_model(model_b, "model_b")
    ta, tb = model_a.trainable_variables, model_b.trainable_variables
    if len(ta) != len(tb) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(ta, tb)):
        raise ArgumentError(f"model_a {model_a.name!r} and model_b {model_b.name!r} must have the same architecture")
    steps = check_int("steps", steps, low=2, high=1001)
    margin = check_float("margin", margin, low=0.0)
    sample = sample_data(model_a, x, y, n_samples=n_samples, seed=seed)
    direction = [np.asarray(ops.convert_to_numpy(b.value) - ops.convert_to_numpy(a.value), np.float32)
                 for a, b in zip(ta, tb)]
    nt_dirs = [np.asarray(ops.convert_to_numpy(b.value) - ops.convert_to_numpy(a.value), np.float32)
               for a, b in zip(model_a.non_trainable_variables, model_b.non_trainable_variables)]
    ts = np.linspace(-margin, 1 + margin, steps).astype(np.float32)
    losses, accs, used = _evaluate_grid(model_a, sample, [direction], ts[:, None], loss, None,
                                        "stateless_call", nt_dirs=nt_dirs)
    center = float(losses[np.argmin(np.abs(ts))])
    return Landscape(ts, np.zeros(0, np.float32), losses, accs, center, sample.indices, used, label="t")
