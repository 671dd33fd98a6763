"""How large the gradient is at each layer: where it vanishes (lectures 002 and 003).

Backpropagation multiplies the gradient by each layer's derivative on its way
from the loss back to the input; in a deep plain net those factors are small
and the first layers hardly move. :func:`compute_gradient_norms` measures
‖∂E/∂W‖ of every kernel in one gradient evaluation, without training.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from explainers import _backend
from explainers._layers import walk
from explainers.loss_inputs import DataSample, check_weighted_model, loss_spec, sample_data

__all__ = ["GradientNorms", "compute_gradient_norms"]


@dataclass(frozen=True)
class GradientNorms:
    """‖∂E/∂W‖ of each layer's kernel, in the model's layer order (input side first).

    ``norms[i]`` is the gradient norm of ``layer_names[i]``'s kernel,
    ``weight_norms[i]`` the norm of the kernel itself (their ratio is the
    relative step plain gradient descent would take), ``loss`` the loss E at
    which they were measured.
    """

    layer_names: tuple[str, ...]
    norms: np.ndarray
    weight_norms: np.ndarray
    loss: float


def _loss_and_grads(model: keras.Model, sample: DataSample, loss: Any) -> tuple[float, list[np.ndarray]]:
    from models.onednn import check_trainable_on_cpu

    check_trainable_on_cpu(model)  # weight gradients go through the same oneDNN kernel as training
    spec = loss_spec(model, sample.y, loss)
    yt = ops.convert_to_tensor(spec.labels)
    x = sample.x
    xt = ops.convert_to_tensor(x.astype(np.float32) if np.issubdtype(x.dtype, np.floating) else x)
    tv = [ops.convert_to_tensor(v.value) for v in model.trainable_variables]
    ntv = [ops.convert_to_tensor(v.value) for v in model.non_trainable_variables]

    def value(vals):
        pred, _, reg = model.stateless_call(vals, ntv, xt, training=False, return_losses=True)
        out = ops.mean(spec.fn(yt, ops.cast(pred, "float32")))
        return out + sum(reg) if reg else out

    val, grads = _backend.value_and_grad(value, tv)
    return float(ops.convert_to_numpy(val)), [ops.convert_to_numpy(g) for g in grads]


def compute_gradient_norms(model: keras.Model, x: Any, y: Any, *, loss: Any = None,
                           n_samples: int | None = 256, seed: int = 0) -> GradientNorms:
    """‖∂E/∂W‖ for each layer with a kernel (Dense, Conv), in layer order.

    What this shows: in a deep plain net the gradient shrinks on its way back
    to the first layers (it vanishes); skip connections carry it through.
    Evaluated in inference mode (``training=False``), on a fixed subset of
    ``n_samples`` rows chosen by ``seed``; ``loss`` as in
    :func:`explainers.landscape.compute_landscape`.
    """
    check_weighted_model(model)
    sample = sample_data(model, x, y, n_samples=n_samples, seed=seed)
    val, grads = _loss_and_grads(model, sample, loss)
    ids = {id(v): i for i, v in enumerate(model.trainable_variables)}
    names, norms, wnorms = [], [], []
    for _, layer in walk(model):
        kernel = getattr(layer, "kernel", None)
        if kernel is None or id(kernel) not in ids or len(kernel.shape) < 2:
            continue
        names.append(layer.name)
        norms.append(float(np.linalg.norm(grads[ids[id(kernel)]])))
        wnorms.append(float(np.linalg.norm(ops.convert_to_numpy(kernel.value))))
    return GradientNorms(tuple(names), np.asarray(norms), np.asarray(wnorms), val)
