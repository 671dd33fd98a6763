"""Receptive fields: which input pixels can change one unit of a conv layer.

What this shows: stacking small kernels lets deep units "see" large regions:
``R_k = 1 + Σ_j (F_j − 1) Π_{i<j} S_i`` (lecture 002; F1 = F2 = 3, S = 1 gives 5).
The analytic field follows Araujo, Norris & Sim, "Computing Receptive Fields of
Convolutional Neural Networks" (Distill, 2019), including multi-path nets; the
*effective* field (Luo et al., 2016) measures, with gradients, how much each
pixel actually matters — a Gaussian-like blob much smaller than the square.

Compute only; drawing lives in :mod:`explainers.receptive_field_plots`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers import _layers

# Layers that keep every pixel where it is (elementwise or per-pixel).
PASS_THROUGH = (
    "InputLayer", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "BatchNormalization",
    "LayerNormalization", "GroupNormalization", "UnitNormalization", "Dropout", "SpatialDropout2D",
    "GaussianNoise", "GaussianDropout", "AlphaDropout", "Identity", "Rescaling", "Normalization",
    "ActivityRegularization",
)
MERGES = ("Add", "Concatenate", "Average", "Maximum", "Minimum", "Multiply", "Subtract")
POOLS = ("MaxPooling2D", "AveragePooling2D")


@dataclass(frozen=True)
class LayerField:
    """One row of the table: a layer and the field of its output units."""

    name: str
    kind: str            # class name
    kernel: int          # F (rows axis; 1 for pass-through)
    stride: int          # S
    dilation: int        # D
    pad: int             # zeros added before (rows axis)
    size: int            # R_k: receptive field side after this layer
    jump: int            # effective stride: product of strides so far
    padding: float       # effective padding P_k


@dataclass(frozen=True)
class ReceptiveField:
    """Analytic receptive field of ``layer_name`` (rows axis; ``*_hw`` give both axes)."""

    layer_name: str
    size: int
    stride: int
    padding: float
    size_hw: tuple[int, int]
    stride_hw: tuple[int, int]
    padding_hw: tuple[float, float]
    layers: tuple[LayerField, ...]
    misaligned: tuple[str, ...] = ()   # merges whose input fields are not centred alike

    @property
    def aligned(self) -> bool:
        """True when every merge on the way combines fields centred on the same pixel."""
        return not self.misaligned

    def box(self, row: int, col: int) -> tuple[float, float, float, float]:
        """Input rows/cols ``(top, left, bottom, right)`` (inclusive) seen by output unit (row, col)."""
        top = row * self.stride_hw[0] - self.padding_hw[0]
        left = col * self.stride_hw[1] - self.padding_hw[1]
        return top, left, top + self.size_hw[0] - 1, left + self.size_hw[1] - 1


def stacked_receptive_field(kernel_sizes, strides=None) -> int:
    """The lecture's formula ``R = 1 + Σ_j (F_j − 1) Π_{i<j} S_i`` for one chain of layers."""
    f = [int(k) for k in kernel_sizes]
    s = [1] * len(f) if strides is None else [int(v) for v in strides]
    if len(s) != len(f) or any(v < 1 for v in f + s):
        raise ValueError(f"kernel_sizes and strides must be positive and of equal length, got {f}, {s}")
    r, jump = 1, 1
    for fj, sj in zip(f, s):
        r += (fj - 1) * jump
        jump *= sj
    return r


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


def _same_pad(n, k, s, d) -> int:
    span = d * (k - 1) + 1
    if n is None:  # unknown size: assume n divisible by the stride, as google-research does
        total = max(span - s, 0)
    else:
        total = max((-(-n // s) - 1) * s + span - n, 0)
    return total // 2


def _layer_params(layer, input_shape) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    """(kernel, stride, dilation, pad-before) per axis for one single-input layer."""
    kind = type(layer).__name__
    mro = {c.__name__ for c in type(layer).__mro__}
    if kind in PASS_THROUGH:
        return (1, 1), (1, 1), (1, 1), (0, 0)
    if kind == "ZeroPadding2D":
        (top, _), (left, _) = layer.padding
        return (1, 1), (1, 1), (1, 1), (int(top), int(left))
    if kind == "Cropping2D":
        (top, _), (left, _) = layer.cropping
        return (1, 1), (1, 1), (1, 1), (-int(top), -int(left))
    if "Conv2DTranspose" in mro or "BaseConvTranspose" in mro:
        raise ValueError(f"layer {layer.name!r} ({kind}) upsamples; its receptive field is not a "
                         "fixed window per unit, and compute_receptive_field does not handle it. "
                         "Pick a layer before it (layer_name=)")
    if kind in POOLS or "BasePooling" in mro:
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            raise ValueError(f"layer {layer.name!r}: only channels_last is supported")
        k, s, d, padding = _pair(layer.pool_size), _pair(layer.strides), (1, 1), layer.padding
    elif "BaseConv" in mro or kind in _layers.CONV_TYPES:
        if len(layer.kernel_size) != 2:
            raise ValueError(f"layer {layer.name!r} ({kind}) is not a 2-D convolution")
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            raise ValueError(f"layer {layer.name!r}: only channels_last is supported")
        k, s, d, padding = _pair(layer.kernel_size), _pair(layer.strides), _pair(layer.dilation_rate), layer.padding
    else:
        raise ValueError(f"compute_receptive_field cannot handle layer {layer.name!r} ({kind}); it handles "
                         "Conv2D (dilated too), DepthwiseConv2D, SeparableConv2D, pooling, ZeroPadding2D, "
                         "Cropping2D, merges (Add, Concatenate, ...) and per-pixel layers. Pick a layer "
                         "before it (layer_name=)")
    if padding == "valid":
        pad = (0, 0)
    elif padding == "same":
        pad = tuple(_same_pad(input_shape[1 + a], k[a], s[a], d[a]) for a in range(2))
    else:
        raise ValueError(f"layer {layer.name!r} has padding={padding!r}; only 'valid' and 'same' are supported")
    return k, s, d, pad


def _graph(model):
    f = getattr(model, "_functional", None) or model
    if not hasattr(f, "_nodes_by_depth"):
        raise ValueError(f"model {model.name!r} is a subclassed model without a layer graph; build it "
                         "with the functional API or keras.Sequential")
    return f


def _is_spatial(tensor) -> bool:
    return len(tensor.shape) == 4


def _propagate(model, seeds: dict, rows: list, misaligned: list | None = None) -> dict:
    """States ``(r, j, p)`` (arrays over the two axes) of every tensor of ``model``'s graph."""
    f = _graph(model)
    misaligned = [] if misaligned is None else misaligned
    states = dict(seeds)
    for depth in sorted(f._nodes_by_depth, reverse=True):
        for node in f._nodes_by_depth[depth]:
            layer = node.operation
            ins = [t for t in node.input_tensors]
            outs = list(node.output_tensors)
            if type(layer).__name__ == "InputLayer" or not ins:
                continue
            if any(id(t) not in states for t in ins):
                continue  # fed by a non-spatial branch (e.g. after global pooling): not a field
            if not all(_is_spatial(t) for t in outs):
                continue  # global pooling, flatten, dense: units see everything
            import keras

            if isinstance(layer, keras.Model):
                inner = _graph(layer)
                sub_seeds = {id(t): states[id(o)] for t, o in zip(inner.inputs, ins)}
                inner_states = _propagate(layer, sub_seeds, rows, misaligned)
                for t, o in zip(inner.outputs, outs):
                    if id(t) in inner_states:
                        states[id(o)] = inner_states[id(t)]
                states.update({k: v for k, v in inner_states.items() if k not in states})
                continue
            kind = type(layer).__name__
            if len(ins) > 1 or kind in MERGES:
                rs = np.array([states[id(t)][0] for t in ins])
                js = np.array([states[id(t)][1] for t in ins])
                ps = np.array([states[id(t)][2] for t in ins])
                centres = (rs - 1) / 2 - ps
                if not np.all(js == js[0]):
                    raise ValueError(f"layer {layer.name!r} ({kind}) merges inputs with different effective "
                                     f"strides {js[:, 0].tolist()}; their fields cannot be aligned")
                # Union of the input fields (Araujo et al.): from the left-most start to the
                # right-most end. Equal to the largest field when the paths are centred alike.
                starts, ends = -ps, -ps + rs - 1
                u, v = starts.min(axis=0), ends.max(axis=0)
                state = (v - u + 1, js[0], -u)
                if not np.allclose(centres, centres[0]):
                    misaligned.append(layer.name)
                k = s = d = pad = (1, 1)
                pad = (0, 0)
            else:
                r_in, j_in, p_in = states[id(ins[0])]
                k, s, d, pad = _layer_params(layer, tuple(ins[0].shape))
                k_, s_, d_, pad_ = (np.array(v, dtype=float) for v in (k, s, d, pad))
                span = d_ * (k_ - 1) + 1
                state = (r_in + (span - 1) * j_in, j_in * s_, p_in + pad_ * j_in)
            for o in outs:
                states[id(o)] = state
            rows.append((layer, LayerField(layer.name, kind, int(k[0]), int(s[0]), int(d[0]), int(pad[0]),
                                           int(state[0][0]), int(state[1][0]), float(state[2][0]))))
    return states


def compute_receptive_field(model: Any, layer_name: str | None = None) -> ReceptiveField:
    """Analytic receptive field size, effective stride and padding of a layer's units.

    What this shows: how far one unit of a deep layer can "see" in the input;
    the table shows ``R_k`` and the jump ``Π S_i`` growing layer by layer.

    Args:
        model: a built Keras model (Sequential, functional, nested; single- or multi-path).
        layer_name: a layer name (or class name); ``None``: the last layer with a spatial output.

    Returns:
        :class:`ReceptiveField` with the field of unit (0, 0) starting at input
        pixel ``−padding``; VGG16's ``block5_pool`` gives size 212, stride 32, padding 90.

    Merges (residual adds, concatenations) take the union of their inputs' fields
    (the largest one when they are centred alike) and list misaligned merges in
    ``misaligned``, e.g. a stride-2 "same" conv on an even-sized input next to a
    1×1 stride-2 shortcut: TensorFlow pads only after, so the two fields' centres
    differ by one pixel.

    Raises:
        ValueError: a layer it cannot handle (e.g. Conv2DTranspose) on the way, a
            non-spatial target layer, or a merge of inputs with different strides.
    """
    _layers.check_model(model)
    if len(model.inputs) != 1 or not _is_spatial(model.inputs[0]):
        raise ValueError(f"model {model.name!r} needs one image input (batch, H, W, C), got "
                         f"{[tuple(t.shape) for t in model.inputs]}")
    if layer_name is None:
        target = None
        for _, layer in _layers.walk(model):
            try:
                out = layer.output
            except (AttributeError, ValueError):
                continue
            if type(layer).__name__ != "InputLayer" and _is_spatial(out):
                target = layer
        if target is None:
            raise ValueError(f"model {model.name!r} has no layer with a spatial (H, W, C) output")
    else:
        target = _layers.find(model, layer_name)[1]
    import keras

    chain = _layers.find(model, target.name)[0]
    # A top-level target: propagate only through the layers that feed it, so a
    # layer the method cannot handle after it (e.g. an upsampling decoder) does not matter.
    graph = keras.Model(model.inputs, target.output) if len(chain) == 1 else model
    one = np.ones(2)
    seeds = {id(t): (one, one, np.zeros(2)) for t in _graph(graph).inputs}
    rows: list = []
    misaligned: list = []
    states = _propagate(graph, seeds, rows, misaligned)
    if id(target.output) not in states:
        raise ValueError(f"layer {target.name!r} has no spatial receptive field (its output is "
                         f"{tuple(target.output.shape)}); choose a conv or pooling layer")
    r, j, p = states[id(target.output)]
    index = max(i for i, (layer, _) in enumerate(rows) if layer is target) if any(
        layer is target for layer, _ in rows) else -1
    table = tuple(row for _, row in rows[: index + 1])
    names = {row.name for row in table}
    return ReceptiveField(target.name, int(r[0]), int(j[0]), float(p[0]), (int(r[0]), int(r[1])),
                          (int(j[0]), int(j[1])), (float(p[0]), float(p[1])), table,
                          tuple(n for n in misaligned if n in names))


# ----------------------------------------------------- effective receptive field
@dataclass(frozen=True)
class EffectiveReceptiveField:
    """Mean |∂ centre unit / ∂ input| over random inputs (Luo et al., 2016)."""

    layer_name: str
    heatmap: np.ndarray          # (H, W), max 1
    unit: tuple[int, int]        # output unit (row, col) whose gradient this is
    extent: tuple[int, int]      # rows, cols of the smallest box holding every non-zero gradient
    box: tuple[int, int, int, int]  # (top, left, bottom, right) of that box (inclusive)
    n_samples: int


def _gradients(probe, x, unit):
    import keras

    backend = keras.backend.backend()

    def centre(inp):
        out = probe(inp)[0]
        return keras.ops.sum(out[:, unit[0], unit[1], :])

    if backend == "tensorflow":
        import tensorflow as tf

        xt = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = centre(xt)
        return np.asarray(tape.gradient(y, xt))
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda v: centre(v))(x))
    if backend == "torch":
        import torch

        xt = torch.tensor(x, requires_grad=True)
        centre(xt).backward()
        return xt.grad.detach().cpu().numpy()
    raise NotImplementedError(f"effective_receptive_field needs the tensorflow, jax or torch backend, not {backend}")


def effective_receptive_field(model: Any, layer_name: str | None = None, n_samples: int = 16, *,
                              images: Any = None, input_size: int | tuple[int, int] | None = None,
                              seed: int = 0, batch_size: int = 16) -> EffectiveReceptiveField:
    """The gradient-based effective receptive field of the centre unit of a layer.

    What this shows: not every pixel inside the analytic square matters alike;
    the centre dominates (Luo et al., "Understanding the Effective Receptive
    Field in Deep CNNs", 2016). On a linear net with constant positive weights
    the non-zero region equals the analytic square exactly.

    Args:
        model: a built Keras model.
        layer_name: the layer (default: the last spatial one).
        n_samples: random inputs (standard normal) to average over.
        images: optional real images ``(N, H, W, C)`` to use instead of noise.
        input_size: side(s) of the noise inputs when the model accepts any size (default 64).
        seed: random seed of the noise.
        batch_size: inputs per gradient computation.
    """
    _layers.check_model(model)
    if layer_name is None:
        layer_name = compute_receptive_field(model).layer_name
    _, layer = _layers.find(model, layer_name)
    shape = list(model.inputs[0].shape[1:])
    if images is not None:
        x = np.asarray(images, dtype="float32")
        if x.ndim == 3:
            x = x[..., None]
        if x.ndim != 4 or len(x) == 0:
            raise ValueError(f"images must be (N, H, W, C), got shape {np.shape(images)}")
        n_samples = len(x)
    else:
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        hw = _pair(input_size) if input_size is not None else (64, 64)
        h = shape[0] if shape[0] is not None else hw[0]
        w = shape[1] if shape[1] is not None else hw[1]
        c = shape[2] if shape[2] is not None else 3
        x = np.random.default_rng(seed).standard_normal((n_samples, h, w, c)).astype("float32")
    probe = _layers.output_model(model, [layer])
    out_shape = np.asarray(probe(x[:1])[0]).shape
    if len(out_shape) != 4:
        raise ValueError(f"layer {layer.name!r} outputs {out_shape}, not a spatial map; choose a conv layer")
    unit = (out_shape[1] // 2, out_shape[2] // 2)
    total = np.zeros(x.shape[1:3])
    for start in range(0, len(x), max(int(batch_size), 1)):
        g = _gradients(probe, x[start: start + batch_size], unit)
        total += np.abs(g).sum(axis=(0, 3))
    heat = total / n_samples
    peak = heat.max()
    rows, cols = np.nonzero(heat > peak * 1e-6) if peak > 0 else (np.array([0]), np.array([0]))
    box = (int(rows.min()), int(cols.min()), int(rows.max()), int(cols.max()))
    return EffectiveReceptiveField(layer.name, heat / peak if peak > 0 else heat, unit,
                                   (box[2] - box[0] + 1, box[3] - box[1] + 1), box, int(n_samples))
