"""Receptive fields: which input pixels can change one unit of a conv layer.

What this shows: stacking small kernels lets deep units "see" large regions:
``R_k = 1 + Σ_j (F_j − 1) Π_{i<j} S_i`` (lecture 002; F1 = F2 = 3, S = 1 gives 5).
The analytic field follows Araujo, Norris & Sim, "Computing Receptive Fields of
Convolutional Neural Networks" (Distill, 2019), including multi-path nets; the
*effective* field (Luo et al., 2016) measures, with gradients, how much each
pixel actually matters — a Gaussian-like blob much smaller than the square.

A merge with a globally pooled branch (the squeeze-and-excitation gates of
EfficientNet and MobileNetV3) makes every unit after it depend on the whole
image: the table says so at that merge and carries the local field on.

Volumes: a Conv3D model (input ``(D, H, W, C)``) is followed per axis (z, y, x)
through Conv3D, MaxPooling3D/AveragePooling3D, ZeroPadding3D, Cropping3D,
merges and global 3-D pooling; each result keeps its 2-D attributes for the
in-plane (rows, columns) axes and adds the per-axis ``*_zyx`` ones.
Transposed convolutions (2-D or 3-D) upsample and are refused, as in 2-D.

Compute only; drawing lives in :mod:`explainers.receptive_field_plots`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers import _backend, _layers
from models._arguments import ArgumentError, check_array, check_float, check_int, fail

__all__ = [
    "PASS_THROUGH", "MERGES", "POOLS", "WHOLE_IMAGE", "LayerField", "ReceptiveField", "spatial_layer_names",
    "compute_receptive_field",
    "StackedReceptiveField", "compute_stacked_receptive_field", "EffectiveReceptiveField",
    "compute_effective_receptive_field", "SIZE_REFERENCES_MM", "ReceptiveFieldMM", "compute_receptive_field_mm",
]

# Layers that keep every pixel where it is (elementwise or per-pixel).
PASS_THROUGH = (
    "InputLayer", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "BatchNormalization",
    "LayerNormalization", "GroupNormalization", "UnitNormalization", "Dropout", "SpatialDropout2D", "SpatialDropout3D",
    "GaussianNoise", "GaussianDropout", "AlphaDropout", "Identity", "Rescaling", "Normalization",
    "ActivityRegularization", "LayerScale", "StochasticDepth",
)
MERGES = ("Add", "Concatenate", "Average", "Maximum", "Minimum", "Multiply", "Subtract")
POOLS = ("MaxPooling2D", "AveragePooling2D", "MaxPooling3D", "AveragePooling3D")
WHOLE_IMAGE = "merges a globally pooled branch: every unit from here on also depends on the whole image"


@dataclass(frozen=True)
class LayerField:
    """One row of the table: a layer and the field of its output units.

    The scalar columns are the rows axis; a volume model's rows also carry every
    column per axis (z, y, x) in the ``*_zyx`` tuples (``None`` for a 2-D model).
    """

    name: str
    kind: str            # class name
    kernel: int          # F (rows axis; 1 for pass-through)
    stride: int          # S
    dilation: int        # D
    pad: int             # zeros added before (rows axis)
    size: int            # R_k: receptive field side after this layer
    jump: int            # effective stride: product of strides so far
    padding: float       # effective padding P_k
    note: str = ""       # e.g. a merge with a globally pooled branch (WHOLE_IMAGE)
    kernel_zyx: tuple[int, int, int] | None = None
    stride_zyx: tuple[int, int, int] | None = None
    dilation_zyx: tuple[int, int, int] | None = None
    pad_zyx: tuple[int, int, int] | None = None
    size_zyx: tuple[int, int, int] | None = None
    jump_zyx: tuple[int, int, int] | None = None
    padding_zyx: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class ReceptiveField:
    """Analytic receptive field of ``layer_name`` (rows axis; ``*_hw`` give both axes).

    ``misaligned`` lists merges whose input fields are not centred alike;
    ``whole_image`` lists merges on the way that mix in a globally pooled
    branch (a squeeze-and-excitation gate), after which every unit also
    depends on the whole image while ``size`` stays the local window.

    A volume model (Conv3D, input ``(D, H, W, C)``) also fills ``size_zyx``,
    ``stride_zyx`` and ``padding_zyx`` per axis (z, y, x); ``size``/``*_hw``
    are then its in-plane (y, x) axes. They are ``None`` for a 2-D model.

    What this shows: how far one unit of a layer can "see" in the input.
    """

    layer_name: str
    size: int
    stride: int
    padding: float
    size_hw: tuple[int, int]
    stride_hw: tuple[int, int]
    padding_hw: tuple[float, float]
    layers: tuple[LayerField, ...]
    misaligned: tuple[str, ...] = ()
    whole_image: tuple[str, ...] = ()
    size_zyx: tuple[int, int, int] | None = None
    stride_zyx: tuple[int, int, int] | None = None
    padding_zyx: tuple[float, float, float] | None = None

    @property
    def volume(self) -> bool:
        """True for the field of a volume (Conv3D) model, with per-axis ``*_zyx`` values."""
        return self.size_zyx is not None

    def box_zyx(self, z: int, y: int, x: int) -> tuple[float, float, float, float, float, float]:
        """Input voxels ``(z0, y0, x0, z1, y1, x1)`` (inclusive) seen by output unit (z, y, x) of a volume model."""
        if self.size_zyx is None or self.stride_zyx is None or self.padding_zyx is None:
            raise ArgumentError(f"the field of {self.layer_name!r} is 2-D; use box(row, col)")
        start = tuple(u * j - p for u, j, p in zip((z, y, x), self.stride_zyx, self.padding_zyx))
        return (*start, *(a + r - 1 for a, r in zip(start, self.size_zyx)))

    @property
    def aligned(self) -> bool:
        """True when every merge on the way combines fields centred on the same pixel."""
        return not self.misaligned

    def box(self, row: int, col: int) -> tuple[float, float, float, float]:
        """Input rows/cols ``(top, left, bottom, right)`` (inclusive) seen by output unit (row, col)."""
        top = row * self.stride_hw[0] - self.padding_hw[0]
        left = col * self.stride_hw[1] - self.padding_hw[1]
        return top, left, top + self.size_hw[0] - 1, left + self.size_hw[1] - 1


@dataclass(frozen=True)
class StackedReceptiveField:
    """The lecture's formula layer by layer: ``sizes[k]`` is ``R_k``, ``jumps[k]`` the product of
    the strides up to and including layer ``k``; ``size`` is the last ``R_k``."""

    kernel_sizes: tuple[int, ...]
    strides: tuple[int, ...]
    sizes: tuple[int, ...]
    jumps: tuple[int, ...]
    size: int


def compute_stacked_receptive_field(kernel_sizes: Sequence[int], strides: Sequence[int] | None = None
                                    ) -> StackedReceptiveField:
    """The lecture's formula ``R = 1 + Σ_j (F_j − 1) Π_{i<j} S_i`` for one chain of layers.

    What this shows: each layer widens the field by ``F − 1`` times the product
    of the strides before it, so two 3×3 layers see 5×5 and layers after a
    stride-2 step add twice as much.
    """
    f = [check_int("kernel_sizes", k, low=1) for k in kernel_sizes]
    s = [1] * len(f) if strides is None else [check_int("strides", v, low=1) for v in strides]
    if len(s) != len(f):
        fail("strides", strides, f"one stride per kernel size ({len(f)})")
    sizes, jumps, r, jump = [], [], 1, 1
    for fj, sj in zip(f, s):
        r += (fj - 1) * jump
        jump *= sj
        sizes.append(r)
        jumps.append(jump)
    return StackedReceptiveField(tuple(f), tuple(s), tuple(sizes), tuple(jumps), r)


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


def _axes(v, n: int) -> tuple[int, ...]:
    """One value or ``n`` values as ``n`` ints."""
    return (int(v),) * n if np.isscalar(v) else tuple(int(a) for a in tuple(v)[:n])


def _same_pad(n, k, s, d) -> int:
    span = d * (k - 1) + 1
    if n is None:  # unknown size: assume n divisible by the stride, as google-research does
        total = max(span - s, 0)
    else:
        total = max((-(-n // s) - 1) * s + span - n, 0)
    return total // 2


class _Unhandled(str):
    """The state of a tensor after a layer the method cannot handle: why (raised if the target needs it)."""


_GLOBAL = "global"   # the state of a tensor that depends on the whole image (after global pooling)


def _ones(n: int) -> tuple[tuple[int, ...], ...]:
    """(kernel, stride, dilation, pad) of a per-pixel layer over ``n`` axes."""
    return (1,) * n, (1,) * n, (1,) * n, (0,) * n


def _layer_params(layer, input_shape, output_shape, n: int = 2) -> tuple[tuple[int, ...], ...]:
    """(kernel, stride, dilation, pad-before) per axis for one single-input layer (``n`` = 2 or 3 axes)."""
    import keras

    kind = type(layer).__name__
    mro = {c.__name__ for c in type(layer).__mro__}
    if kind in PASS_THROUGH or (kind in ("Dense", "EinsumDense") and len(input_shape) == n + 2):
        return _ones(n)  # per pixel (a Dense on a 4-D tensor mixes channels only, like a 1×1 conv)
    if not isinstance(layer, keras.layers.Layer) and tuple(input_shape[1:1 + n]) == tuple(output_shape[1:1 + n]):
        return _ones(n)  # a keras.ops call on a tensor (x + 3.0, x * 0.5): elementwise
    if kind in ("ZeroPadding2D", "ZeroPadding3D"):
        before = tuple(int(p[0]) for p in layer.padding)
        return (1,) * n, (1,) * n, (1,) * n, before
    if kind in ("Cropping2D", "Cropping3D"):
        before = tuple(-int(c[0]) for c in layer.cropping)
        return (1,) * n, (1,) * n, (1,) * n, before
    if "Conv2DTranspose" in mro or "BaseConvTranspose" in mro:
        raise ArgumentError(f"layer {layer.name!r} ({kind}) upsamples; its receptive field is not a "
                            "fixed window per unit, and compute_receptive_field does not handle it. "
                            "Pick a layer before it (layer_name=)")
    if kind in POOLS or "BasePooling" in mro:
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            raise ArgumentError(f"layer {layer.name!r}: only channels_last is supported")
        k, s, d, padding = _axes(layer.pool_size, n), _axes(layer.strides, n), (1,) * n, layer.padding
    elif "BaseConv" in mro or kind in _layers.CONV_TYPES:
        if len(layer.kernel_size) != n:
            raise ArgumentError(f"layer {layer.name!r} ({kind}) is not a {n}-D convolution")
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            raise ArgumentError(f"layer {layer.name!r}: only channels_last is supported")
        k, s, d, padding = (_axes(layer.kernel_size, n), _axes(layer.strides, n), _axes(layer.dilation_rate, n),
                            layer.padding)
    elif n == 3:
        raise ArgumentError(f"compute_receptive_field cannot handle layer {layer.name!r} ({kind}); on volumes it "
                            "handles Conv3D (dilated too), MaxPooling3D, AveragePooling3D, ZeroPadding3D, "
                            "Cropping3D, merges (Add, Concatenate, Multiply, ...), global pooling and per-voxel "
                            "layers. Pick a layer before it (layer_name=)")
    else:
        raise ArgumentError(f"compute_receptive_field cannot handle layer {layer.name!r} ({kind}); it handles "
                            "Conv2D (dilated too), DepthwiseConv2D, SeparableConv2D, pooling, ZeroPadding2D, "
                            "Cropping2D, merges (Add, Concatenate, Multiply, ...), global pooling and per-pixel "
                            "layers. Pick a layer before it (layer_name=)")
    if len(k) != n or len(s) != n:
        raise ArgumentError(f"layer {layer.name!r} ({kind}) does not act on {n} spatial axes")
    if padding == "valid":
        pad = (0,) * n
    elif padding == "same":
        pad = tuple(_same_pad(input_shape[1 + a], k[a], s[a], d[a]) for a in range(n))
    else:
        raise ArgumentError(f"layer {layer.name!r} has padding={padding!r}; only 'valid' and 'same' are supported")
    return k, s, d, pad


def _is_spatial(tensor, n: int = 2) -> bool:
    """A tensor (batch, *n spatial axes, channels)."""
    return len(tensor.shape) == n + 2


def _rank(model) -> int:
    """Spatial axes of the model's (first) input: 2 for images, 3 for volumes."""
    return len(_layers.graph(model).inputs[0].shape) - 2


def _row(layer, kind: str, k, s, d, pad, state, note: str) -> LayerField:
    """A table row: the rows axis in the scalar columns (axis n − 2), every axis too for a volume."""
    r, j, p = state
    n = len(r)
    a = n - 2
    if n != 3:
        return LayerField(layer.name, kind, int(k[a]), int(s[a]), int(d[a]), int(pad[a]), int(r[a]), int(j[a]),
                          float(p[a]), note)
    ints = (lambda v: tuple(int(x) for x in v))
    return LayerField(layer.name, kind, int(k[a]), int(s[a]), int(d[a]), int(pad[a]), int(r[a]), int(j[a]),
                      float(p[a]), note, ints(k), ints(s), ints(d), ints(pad), ints(r), ints(j),
                      tuple(float(x) for x in p))


def _field_step(rows: list, misaligned: list, whole: list, n: int = 2):
    """The receptive-field maths of one graph node, for :func:`explainers._layers.propagate`.

    A state is ``(R, jump, P)`` (arrays over the ``n`` spatial axes), ``_GLOBAL`` after global
    pooling, or an ``_Unhandled`` reason that reaches only what depends on it.
    """
    def step(layer, node, in_states):
        kind = type(layer).__name__
        known = [st for st in in_states if st is not None]
        if not known:
            return None
        failed = [st for st in known if isinstance(st, _Unhandled)]
        if failed:
            return failed[0]
        outs = list(node.output_tensors)
        fields = [st for st in known if not isinstance(st, str)]
        # Global pooling, flatten, dense on vectors, and anything computed from them alone
        # (the squeeze-and-excitation branch: pool -> reshape -> 1x1 convs): the whole image.
        if not fields or kind.startswith("Global") or not all(_is_spatial(o, n) for o in outs):
            return _GLOBAL
        ins = list(node.input_tensors)
        note = ""
        try:
            if len(ins) > 1 or kind in MERGES or len(known) > 1:
                rs = np.array([st[0] for st in fields])
                js = np.array([st[1] for st in fields])
                ps = np.array([st[2] for st in fields])
                centres = (rs - 1) / 2 - ps
                if not np.all(js == js[0]):
                    raise ArgumentError(f"layer {layer.name!r} ({kind}) merges inputs with different effective "
                                        f"strides {js[:, 0].tolist()}; their fields cannot be aligned")
                # Union of the input fields (Araujo et al.): from the left-most start to the
                # right-most end. Equal to the largest field when the paths are centred alike.
                starts, ends = -ps, -ps + rs - 1
                u, v = starts.min(axis=0), ends.max(axis=0)
                state = (v - u + 1, js[0], -u)
                if not np.allclose(centres, centres[0]):
                    misaligned.append(layer.name)
                if len(fields) < len(known):  # a gate computed from the whole image
                    whole.append(layer.name)
                    note = WHOLE_IMAGE
                k, s, d, pad = _ones(n)
            else:
                r_in, j_in, p_in = fields[0]
                k, s, d, pad = _layer_params(layer, tuple(ins[0].shape), tuple(outs[0].shape), n)
                k_, s_, d_, pad_ = (np.array(v, dtype=float) for v in (k, s, d, pad))
                span = d_ * (k_ - 1) + 1
                state = (r_in + (span - 1) * j_in, j_in * s_, p_in + pad_ * j_in)
        except ArgumentError as err:
            return _Unhandled(str(err))
        rows.append((layer, _row(layer, kind, k, s, d, pad, state, note)))
        return state

    return step


def _propagate(model, rows: list | None = None, misaligned: list | None = None, whole: list | None = None) -> dict:
    n = _rank(model)
    one = np.ones(n)
    seeds = {id(t): (one, one, np.zeros(n)) for t in _layers.graph(model).inputs}
    return _layers.propagate(model, seeds, _field_step([] if rows is None else rows,
                                                       [] if misaligned is None else misaligned,
                                                       [] if whole is None else whole, n))


def _default_target(model):
    # The last layer (graph order) with a spatial output that is not a global branch.
    states = _propagate(model)
    n = _rank(model)
    target = None
    for _, layer in _layers.walk(model):
        try:
            out = layer.output
        except (AttributeError, ValueError):
            continue
        if type(layer).__name__ != "InputLayer" and _is_spatial(out, n) and id(out) in states \
                and states[id(out)] is not _GLOBAL:
            target = layer
    if target is None:
        raise ArgumentError(f"model {model.name!r} has no layer with a spatial (H, W, C) output")
    return target


def spatial_layer_names(model: Any) -> list[str]:
    """Names of the layers a field can be read at (conv, pooling, merges, activations), in graph order.

    Nested models are searched too; layers of a globally pooled branch (a
    squeeze-and-excitation gate, 1×1 maps of the whole image) are left out.
    """
    _layers.check_model(model)
    keep = ("Conv", "Pooling", "Add", "Concatenate", "Multiply", "Activation", "ReLU")
    states = _propagate(model)
    n = _rank(model)
    names = []
    for _, layer in _layers.walk(model):
        kind = type(layer).__name__
        if not any(k in kind for k in keep) or kind.startswith("Global"):
            continue
        try:
            out = layer.output
        except (AttributeError, ValueError):
            continue
        if _is_spatial(out, n) and states.get(id(out)) is not _GLOBAL:
            names.append(layer.name)
    return names


def compute_receptive_field(model: Any, *, layer_name: str | type | None = None) -> ReceptiveField:
    """Analytic receptive field size, effective stride and padding of a layer's units.

    What this shows: how far one unit of a deep layer can "see" in the input;
    the table shows ``R_k`` and the jump ``Π S_i`` growing layer by layer.

    Args:
        model: a built Keras model (Sequential, functional, nested; single- or
            multi-path; any ``keras.applications`` model; a Conv3D volume model).
        layer_name: a layer name (or class); ``None``: the last layer with a spatial output.

    Returns:
        :class:`ReceptiveField` with the field of unit (0, 0) starting at input
        pixel ``−padding``; VGG16's ``block5_pool`` gives size 212, stride 32, padding 90.

    Merges (residual adds, concatenations) take the union of their inputs' fields
    (the largest one when they are centred alike) and list misaligned merges in
    ``misaligned``, e.g. a stride-2 "same" conv on an even-sized input next to a
    1×1 stride-2 shortcut: TensorFlow pads only after, so the two fields' centres
    differ by one pixel. A merge with a globally pooled branch (squeeze and
    excitation) is listed in ``whole_image`` and noted in its row.

    A volume model (input ``(D, H, W, C)``) is followed per axis: ``size_zyx``,
    ``stride_zyx`` and ``padding_zyx`` give (z, y, x), each growing as
    ``R += (F − 1)·D·Π S`` along its own axis; ``size``/``*_hw`` are (y, x).

    Raises:
        ArgumentError: a layer it cannot handle (e.g. Conv2DTranspose) on the way, a
            non-spatial target layer, or a merge of inputs with different strides.
    """
    import keras

    _layers.check_model(model)
    if len(model.inputs) != 1 or len(model.inputs[0].shape) not in (4, 5):
        raise ArgumentError(f"model {model.name!r} needs one image input (batch, H, W, C) or volume input "
                            f"(batch, D, H, W, C), got {[tuple(t.shape) for t in model.inputs]}")
    target = _default_target(model) if layer_name is None else _layers.find(model, layer_name)[1]
    chain = _layers.find(model, target.name)[0]
    # A top-level target: propagate only through the layers that feed it, so the table
    # holds its ancestors only.
    graph = keras.Model(model.inputs, target.output) if len(chain) == 1 else model
    rows: list = []
    misaligned: list = []
    whole: list = []
    states = _propagate(graph, rows, misaligned, whole)
    state = states.get(id(target.output))
    if isinstance(state, _Unhandled):
        raise ArgumentError(state)
    if state is None or isinstance(state, str):
        raise ArgumentError(f"layer {target.name!r} has no spatial receptive field (its output is "
                            f"{tuple(target.output.shape)}); choose a conv or pooling layer")
    r, j, p = state
    index = max((i for i, (layer, _) in enumerate(rows) if layer is target), default=-1)
    table = tuple(row for _, row in rows[: index + 1])
    names = {row.name for row in table}
    volume = len(r) == 3
    a = len(r) - 2  # the rows axis
    per_axis = ((tuple(int(v) for v in r), tuple(int(v) for v in j), tuple(float(v) for v in p)) if volume
                else (None, None, None))
    return ReceptiveField(target.name, int(r[a]), int(j[a]), float(p[a]), (int(r[a]), int(r[a + 1])),
                          (int(j[a]), int(j[a + 1])), (float(p[a]), float(p[a + 1])), table,
                          tuple(n for n in misaligned if n in names), tuple(n for n in whole if n in names),
                          *per_axis)


# ----------------------------------------------------- effective receptive field
@dataclass(frozen=True)
class EffectiveReceptiveField:
    """Mean |∂ centre unit / ∂ input| over random inputs (Luo et al., 2016).

    ``analytic`` is the layer's analytic field (``None`` when the analytic
    method cannot follow the layer), so a picture can draw its square on top.
    For a volume model every per-axis value has a leading depth axis:
    ``heatmap`` (D, H, W), ``unit`` and ``extent`` (z, y, x), ``box``
    (z0, y0, x0, z1, y1, x1).

    What this shows: how much each input pixel actually moves one unit.
    """

    layer_name: str
    heatmap: np.ndarray          # (H, W), max 1; (D, H, W) for a volume
    unit: tuple[int, ...]        # output unit (row, col) whose gradient this is; (z, y, x)
    extent: tuple[int, ...]      # rows, cols of the smallest box holding every non-zero gradient; (z, y, x)
    box: tuple[int, ...]         # (top, left, bottom, right) of that box (inclusive); (z0, y0, x0, z1, y1, x1)
    n_samples: int
    analytic: ReceptiveField | None = None


def _centre_gradient(probe, unit: tuple[int, ...], x: np.ndarray) -> np.ndarray:
    """``Σ |∂ unit / ∂ x|`` over the batch and channels, as (H, W) (or (D, H, W)).

    Eager, not compiled: a trace cached per model would keep the weights it was
    traced with under JAX, and the CNN page asks again after every epoch.
    """
    from keras import ops

    def centre(inp):
        return ops.sum(probe(inp)[0][(slice(None), *unit, slice(None))])

    _, g = _backend.value_and_grad(centre, ops.convert_to_tensor(x))
    return np.abs(np.asarray(g)).sum(axis=(0, x.ndim - 1))


def compute_effective_receptive_field(model: Any, *, layer_name: str | type | None = None, n_samples: int = 16,
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
        images: optional real images ``(N, H, W, C)`` to use instead of noise
            (volumes ``(N, D, H, W, C)`` for a Conv3D model).
        input_size: side(s) of the noise inputs when the model accepts any size (default 64;
            32 per axis for a volume model).
        seed: seeds the noise (``np.random.default_rng(seed)``; no global state).
        batch_size: inputs per gradient computation.
    """
    _layers.check_model(model)
    if layer_name is None:
        layer_name = compute_receptive_field(model).layer_name
    _, layer = _layers.find(model, layer_name)
    batch_size = check_int("batch_size", batch_size, low=1)
    shape = list(model.inputs[0].shape[1:])
    n = len(shape) - 1  # spatial axes: 2, or 3 for a volume model
    if images is not None:
        x = check_array("images", images, ndim=(n + 1, n + 2))
        if x.ndim == n + 1:
            x = x[..., None]
        n_samples = len(x)
    else:
        n_samples = check_int("n_samples", n_samples, low=1)
        if n == 3:
            sides = _axes(input_size, 3) if input_size is not None else (32, 32, 32)
        else:
            sides = _pair(input_size) if input_size is not None else (64, 64)
        dims = tuple(shape[a] if shape[a] is not None else sides[a] for a in range(n))
        c = shape[n] if shape[n] is not None else 3
        x = np.random.default_rng(seed).standard_normal((n_samples, *dims, c)).astype("float32")
    probe = _layers.output_model(model, [layer])
    out_shape = np.asarray(probe(x[:1])[0]).shape
    if len(out_shape) != n + 2:
        what = "a spatial (D, H, W, C)" if n == 3 else "a spatial (H, W, C)"
        fail("layer_name", layer_name, f"a layer with {what} output",
             f"layer {layer.name!r} outputs {out_shape}; choose a conv layer")
    unit = tuple(int(v) // 2 for v in out_shape[1:1 + n])
    total = np.zeros(x.shape[1:1 + n])
    for start in range(0, len(x), batch_size):
        total += _centre_gradient(probe, unit, x[start: start + batch_size])
    heat = total / n_samples
    peak = heat.max()
    where = np.nonzero(heat > peak * 1e-6) if peak > 0 else tuple(np.array([0]) for _ in range(n))
    box = (*(int(w.min()) for w in where), *(int(w.max()) for w in where))
    try:
        analytic = compute_receptive_field(model, layer_name=layer.name)
    except ArgumentError:
        analytic = None
    return EffectiveReceptiveField(layer.name, heat / peak if peak > 0 else heat, unit,
                                   tuple(box[n + a] - box[a] + 1 for a in range(n)), box, int(n_samples), analytic)


# ------------------------------------------------------ the field in millimetres
#: Sizes a clinician knows, smallest first: (upper size in mm, what it is). A field is
#: compared with the first entry at least as large as it.
SIZE_REFERENCES_MM: tuple[tuple[float, str], ...] = (
    (3.0, "smaller than a lacune (a small deep brain infarct, 3 to 15 mm)"),
    (15.0, "about the size of a lacune (a small deep brain infarct, 3 to 15 mm)"),
    (30.0, "about the size of a lung nodule (at most 30 mm)"),
    (60.0, "about the width of a lumbar vertebral body (40 to 50 mm)"),
    (90.0, "between a lumbar vertebral body (40 to 50 mm) and a kidney (100 to 120 mm long)"),
    (130.0, "about the length of an adult kidney (100 to 120 mm)"),
    (180.0, "about the width of an adult head (about 150 mm)"),
    (float("inf"), "wider than an adult head (about 150 mm)"),
)


@dataclass(frozen=True)
class ReceptiveFieldMM:
    """A layer's receptive field in millimetres of one real scan, as the scan is fed to the net.

    What this shows: ``R`` input pixels are only a size once the pixels have one.
    A scan resized to the net's input keeps its field of view, so each input
    pixel covers ``resize_factor`` scan pixels and the effective spacing is the
    scan's spacing times that factor: the head CT's 0.48 mm pixels become
    3.8 mm when its 512² slice is fed to a 64² net, and a 10-pixel field covers
    38 mm of head.

    A volume model gives every per-axis value as ``(z, y, x)`` instead of a
    ``(rows, cols)`` pair, and boxes as ``(z0, y0, x0, z1, y1, x1)``: a 3 mm
    slice spacing makes the field far longer in z than its voxel count says.

    Attributes (``(rows, cols)`` pairs; sizes in mm are None when the scan has no spacing):
        layer_name: the layer whose units this is.
        size_px, jump_px: the analytic field ``R`` and the jump in input pixels.
        input_shape: ``(H, W)`` of the net's input; image_shape: ``(H, W)`` of the scan.
        spacing_mm: the scan's pixel spacing, or None.
        resize_factor: scan pixels per input pixel, ``image_shape / input_shape``.
        input_spacing_mm: mm per input pixel, ``spacing_mm × resize_factor``.
        size_scan_px: the field in scan pixels, ``size_px × resize_factor``.
        size_mm, jump_mm: the field and the jump in mm.
        field_of_view_mm: the whole scan in mm, ``image_shape × spacing_mm``.
        unit: the output unit drawn (the one whose field is centred nearest the image centre).
        box_input: ``(top, left, bottom, right)`` input pixels (inclusive) its field covers;
            may reach past the image, into the padding.
        box_scan: the same box's edges in scan pixels ``(top, left, bottom, right)``,
            ``box_mm`` in mm from the scan's top-left corner (None without spacing).
        comparison: the field's larger side against a size a clinician knows.
    """

    layer_name: str
    size_px: tuple[int, ...]
    jump_px: tuple[int, ...]
    input_shape: tuple[int, ...]
    image_shape: tuple[int, ...]
    spacing_mm: tuple[float, ...] | None
    resize_factor: tuple[float, ...]
    input_spacing_mm: tuple[float, ...] | None
    size_scan_px: tuple[float, ...]
    size_mm: tuple[float, ...] | None
    jump_mm: tuple[float, ...] | None
    field_of_view_mm: tuple[float, ...] | None
    unit: tuple[int, ...]
    box_input: tuple[float, ...]
    box_scan: tuple[float, ...]
    box_mm: tuple[float, ...] | None
    comparison: str

    @property
    def volume(self) -> bool:
        """True for a volume model's field: every per-axis value is (z, y, x)."""
        return len(self.size_px) == 3

    def describe(self, scan_name: str = "this scan") -> str:
        """One sentence: what one unit of the layer sees of ``scan_name``, in pixels and mm."""
        def pair(v: tuple[float, ...], unit: str) -> str:
            if len({round(a) for a in v}) == 1:
                return f"{v[0]:.0f} {unit}"
            return " × ".join(f"{a:.0f}" for a in v) + f" {unit}" + (" (z × y × x)" if len(v) == 3 else "")

        pixels = "input voxels" if self.volume else "input pixels"
        seen = f"One unit of {self.layer_name} sees a field {pair(self.size_px, pixels)} wide"
        if self.size_mm is None:
            return (f"{seen} = {pair(self.size_scan_px, 'voxels' if self.volume else 'pixels')} of {scan_name}; "
                    "the file gives no pixel "
                    "spacing, so there is no size in millimetres.")
        return f"{seen} = {pair(self.size_mm, 'mm')} of {scan_name}, {self.comparison}."


def _shape_pair(name: str, value: Any, n: int = 2) -> tuple[int, ...]:
    expected = "(height, width) in pixels or one side" if n == 2 else "(depth, height, width) in voxels or one side"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,) * n
    try:
        pair = tuple(value)[:n]
    except TypeError:
        fail(name, value, expected)
    if len(pair) != n:
        fail(name, value, expected)
    return tuple(check_int(name, v, low=1) for v in pair)


def _spacing_pair(value: Any, n: int = 2) -> tuple[float, ...] | None:
    expected = ("None, one spacing in mm or (row, column) spacing in mm" if n == 2
                else "None, one spacing in mm or (z, y, x) spacing in mm for a volume model")
    if value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        value = (value,) * n
    try:
        pair = tuple(value)
    except TypeError:
        fail("spacing_mm", value, expected)
    if len(pair) != n:
        fail("spacing_mm", value, expected)
    return tuple(check_float("spacing_mm", v, low=0.0, low_open=True) for v in pair)


def _compare_size(mm: float) -> str:
    return next(text for upper, text in SIZE_REFERENCES_MM if mm <= upper)


def compute_receptive_field_mm(result_or_model: Any, spacing_mm: Any, input_shape: Any, image_shape: Any, *,
                               layer_name: str | type | None = None,
                               unit: tuple[int, int] | None = None) -> ReceptiveFieldMM:
    """The analytic receptive field of a layer in millimetres of a scan resized to the net's input.

    What this shows: the same layer sees a few millimetres of a fine radiograph
    and several centimetres of a coarse CT; resizing a scan to the input size
    multiplies its spacing by the resize factor, so a small net on a downsized
    scan sees much more anatomy per unit than its pixel count suggests.

    Args:
        result_or_model: a :class:`ReceptiveField`, or a Keras model (then
            ``layer_name`` picks the layer, default the last spatial one).
        spacing_mm: the scan's pixel spacing (row, column) in mm, one number, or
            None when the file has none (sizes in mm are then None).
        input_shape: ``(H, W)`` (or one side) of the image as the net receives it.
        image_shape: ``(H, W)`` of the scan before resizing.
        layer_name: the layer when a model is given.
        unit: the output unit ``(row, col)``; default: the unit whose field is
            centred nearest the input's centre.

    A volume model (its :class:`ReceptiveField` has ``size_zyx``) takes a
    ``(z, y, x)`` spacing (or one number), ``(D, H, W)`` shapes (or one side)
    and a ``(z, y, x)`` unit, and gives every value per axis (z, y, x).

    Returns:
        :class:`ReceptiveFieldMM`. Per axis: ``factor = image / input``,
        ``input_spacing = spacing × factor``, ``size_mm = R × input_spacing``.
    """
    if isinstance(result_or_model, ReceptiveField):
        rf = result_or_model
    else:
        rf = compute_receptive_field(result_or_model, layer_name=layer_name)
    if rf.size_zyx is not None and rf.stride_zyx is not None and rf.padding_zyx is not None:
        n, sizes, strides, paddings = 3, rf.size_zyx, rf.stride_zyx, rf.padding_zyx
        names = "(z, y, x)"
    else:
        n, sizes, strides, paddings = 2, rf.size_hw, rf.stride_hw, rf.padding_hw
        names = "(row, col)"
    spacing = _spacing_pair(spacing_mm, n)
    shape_in = _shape_pair("input_shape", input_shape, n)
    shape_scan = _shape_pair("image_shape", image_shape, n)
    factor = tuple(i / s for i, s in zip(shape_scan, shape_in))
    if unit is None:
        # The unit u whose field centre u·jump − P + (R − 1)/2 lies nearest the input centre (m − 1)/2.
        unit = tuple(max(int(np.floor(((m - 1) / 2 + p - (r - 1) / 2) / j + 0.5)), 0)
                     for m, p, r, j in zip(shape_in, paddings, sizes, strides))
    else:
        try:
            if len(unit) < n:
                raise IndexError
            unit = tuple(check_int("unit", u, low=0) for u in tuple(unit)[:n])
        except (TypeError, IndexError):
            fail("unit", unit, f"an output unit {names}")
    start = tuple(float(u * j - p) for u, j, p in zip(unit, strides, paddings))
    end = tuple(a + r - 1 for a, r in zip(start, sizes))
    # Input pixel i covers scan pixels [i·factor, (i + 1)·factor): the box's edges in scan pixels.
    box_scan = (*(a * f for a, f in zip(start, factor)), *((b + 1) * f for b, f in zip(end, factor)))
    size_scan = tuple(r * f for r, f in zip(sizes, factor))
    if spacing is None:
        input_spacing = size_mm = jump_mm = fov = box_mm = None
        comparison = ""
    else:
        input_spacing = tuple(sp * f for sp, f in zip(spacing, factor))
        size_mm = tuple(r * sp for r, sp in zip(sizes, input_spacing))
        jump_mm = tuple(j * sp for j, sp in zip(strides, input_spacing))
        fov = tuple(m * sp for m, sp in zip(shape_scan, spacing))
        box_mm = tuple(v * sp for v, sp in zip(box_scan, spacing + spacing))
        comparison = _compare_size(max(size_mm))
    return ReceptiveFieldMM(rf.layer_name, tuple(sizes), tuple(strides), shape_in, shape_scan, spacing, factor,
                            input_spacing, size_scan, size_mm, jump_mm, fov, unit, (*start, *end),
                            box_scan, box_mm, comparison)
