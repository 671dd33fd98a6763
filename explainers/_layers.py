"""Find layers of any Keras model (Sequential, functional, nested) and read their outputs.

The one private core every explainer reaches layers through: check a model,
walk its layers (nested models included, depth first), find a layer by name or
type (never by position), build probe models of inner outputs, and walk the
graph node by node (:func:`propagate`) carrying a state along every tensor,
as the receptive field does over any ``keras.applications`` graph.

Volumes: a model whose input is ``(D, H, W, C)`` (Conv3D) has spatial rank 3
(:func:`spatial_rank`); :func:`as_batch` accepts one volume for it and
``conv_layers(model, dims=3)`` lists its 3-D convolutions. Every 2-D behaviour
is unchanged.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from models._arguments import ArgumentError, fail

__all__ = ["CONV_TYPES", "CONV3D_TYPES", "check_model", "walk", "is_conv", "is_conv3d", "spatial_rank", "find",
           "find_all", "conv_layers", "output_model", "as_batch", "graph", "propagate"]

CONV_TYPES = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose")
CONV3D_TYPES = ("Conv3D", "Conv3DTranspose")


def check_model(model: Any, argument: str = "model") -> None:
    """Raise a TypeError/ValueError unless ``model`` is a built Keras model with inputs."""
    import keras

    if not isinstance(model, keras.Model):
        raise ArgumentError(f"{argument} must be a keras.Model, got {type(model).__name__}")
    try:
        model.inputs  # noqa: B018 (an unbuilt Sequential raises here)
    except (AttributeError, ValueError) as err:
        raise ArgumentError(f"{argument} {model.name!r} has no defined input; build it with "
                            "keras.Input(shape) as its first layer") from err
    if not model.inputs:
        raise ArgumentError(f"{argument} {model.name!r} has no defined input; build it with keras.Input(shape)")


def walk(model: Any, chain: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Yield ``(chain of enclosing models, layer)`` for every layer, depth first."""
    import keras

    chain = chain + (model,)
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from walk(layer, chain)
        else:
            yield chain, layer


def is_conv(layer: Any) -> bool:
    """A 2-D convolution layer (plain, depthwise, separable or transposed)."""
    return any(c.__name__ in CONV_TYPES for c in type(layer).__mro__)


def is_conv3d(layer: Any) -> bool:
    """A 3-D convolution layer (plain or transposed)."""
    return any(c.__name__ in CONV3D_TYPES for c in type(layer).__mro__)


def spatial_rank(model: Any) -> int:
    """Spatial axes of the model's first input: 2 for images (H, W, C), 3 for volumes (D, H, W, C)."""
    check_model(model)
    return len(model.inputs[0].shape) - 2


def find(model: Any, name_or_type: str | type | None, *, default: str = "first_conv",
         argument: str = "layer_name") -> tuple[tuple, Any]:
    """Find one layer by name, by class (``keras.layers.Conv2D``) or class name.

    ``None`` gives the first conv layer (``default="first_conv"``).
    """
    found = list(walk(model))
    if name_or_type is None:
        for chain, layer in found:
            if is_conv(layer):
                return chain, layer
        raise ArgumentError(f"model {model.name!r} has no Conv2D-like layer; pass {argument}= explicitly")
    if isinstance(name_or_type, type):
        for chain, layer in found:
            if isinstance(layer, name_or_type):
                return chain, layer
        raise ArgumentError(f"{argument}={name_or_type.__name__} matches no layer of model {model.name!r}")
    if not isinstance(name_or_type, str):
        fail(argument, name_or_type, "a layer name, a layer class or None")
    for chain, layer in found:
        if layer.name == name_or_type:
            return chain, layer
    for chain, layer in found:
        if type(layer).__name__ == name_or_type:
            return chain, layer
    names = [layer.name for _, layer in found]
    raise ArgumentError(f"{argument}={name_or_type!r} is not a layer of model {model.name!r}; "
                        f"its layers are {names}")


def find_all(model: Any, name_or_type: str | type, *, argument: str = "layers") -> list[Any]:
    """Every layer a selector names: a layer name gives that layer; a layer class
    (``keras.layers.Conv2D``) or class name (``"MaxPooling2D"``) gives every layer of
    that type, subclasses included, in graph order (nested models too)."""
    found = [layer for _, layer in walk(model)]
    if isinstance(name_or_type, type):
        hits = [layer for layer in found if isinstance(layer, name_or_type)]
        label = name_or_type.__name__
    elif isinstance(name_or_type, str):
        hits = [layer for layer in found if layer.name == name_or_type] or [
            layer for layer in found if any(c.__name__ == name_or_type for c in type(layer).__mro__)]
        label = repr(name_or_type)
    else:
        fail(argument, name_or_type, "a layer name, a layer class or a class name")
    if not hits:
        fail(argument, name_or_type, f"a layer of model {model.name!r} (a name, class or class name)",
             f"{label} matches none of its layers {[layer.name for layer in found]}")
    return hits


def conv_layers(model: Any, *, dims: int = 2) -> list[Any]:
    """Every conv layer of the model (nested ones too), in graph order: 2-D ones, or 3-D ones with ``dims=3``."""
    test = is_conv3d if dims == 3 else is_conv
    return [layer for _, layer in walk(model) if test(layer)]


def _inbound_inputs(sub: Any) -> Any:
    # The tensors a nested model was called on in its parent graph.
    nodes = getattr(sub, "_inbound_nodes", [])
    if not nodes:
        raise ArgumentError(f"nested model {sub.name!r} is not connected to its parent's graph")
    tensors = nodes[0].input_tensors
    return tensors[0] if len(tensors) == 1 else list(tensors)


def _single(tensors):
    # One input as a tensor, not a list: keras warns when the structure differs from the call's.
    return tensors[0] if len(tensors) == 1 else list(tensors)


def output_model(model: Any, layers: Sequence[Any]) -> Any:
    """A callable ``x -> list of outputs`` of ``layers`` (nested models too)."""
    import keras

    check_model(model)
    wanted = {id(layer) for layer in layers}
    index = {id(layer): chain for chain, layer in walk(model) if id(layer) in wanted}
    for layer in layers:
        if id(layer) not in index:
            raise ArgumentError(f"layer {layer.name!r} is not part of model {model.name!r}")

    def tensor(layer):
        return layer.output

    # Group layers by the chain of models that encloses them.
    groups: dict[tuple, list] = {}
    for layer in layers:
        groups.setdefault(tuple(id(m) for m in index[id(layer)]), []).append(layer)
    plans = []
    for key, group in groups.items():
        chain = index[id(group[0])]
        prefixes = []
        for parent, sub in zip(chain[:-1], chain[1:]):
            prefixes.append(keras.Model(_single(parent.inputs), _inbound_inputs(sub)))
        probe = keras.Model(_single(chain[-1].inputs), [tensor(layer) for layer in group])
        plans.append((group, prefixes, probe))

    def run(x):
        out = {}
        for group, prefixes, probe in plans:
            h = x
            for prefix in prefixes:
                h = prefix(h, training=False)
            values = probe(h, training=False)
            if not isinstance(values, (list, tuple)):
                values = [values]
            for layer, v in zip(group, values):
                out[id(layer)] = v
        return [out[id(layer)] for layer in layers]

    return run


def as_batch(model: Any, image: Any, argument: str = "image") -> np.ndarray:
    """One image (H, W), (H, W, C) or (1, H, W, C) as a float32 batch fitting the model.

    For a volume model (input ``(D, H, W, C)``): one volume (D, H, W), (D, H, W, C) or (1, D, H, W, C).
    """
    a = np.asarray(image, dtype="float32")
    shape = tuple(model.inputs[0].shape[1:])
    volume = len(shape) == 4
    rank = 5 if volume else 4  # the batch's dimensions
    if a.ndim == rank - 2:
        a = a[..., None]
    if a.ndim == rank - 1:
        a = a[None]
    if a.ndim != rank or a.shape[0] != 1:
        what = ("one volume (D, H, W), (D, H, W, C) or (1, D, H, W, C)" if volume
                else "one image (H, W), (H, W, C) or (1, H, W, C)")
        raise ArgumentError(f"{argument} must be {what}, got shape {np.shape(image)}")
    if a.shape[-1] == 1 and shape[-1] not in (None, 1):
        a = np.repeat(a, shape[-1], axis=-1)
    for got, want in zip(a.shape[1:], shape):
        if want is not None and got != want:
            how = ("resample the volume to the model's input" if volume
                   else "resize the image (models.data.load_image(..., size=))")
            raise ArgumentError(f"{argument} has shape {a.shape[1:]} but model {model.name!r} expects "
                                f"{shape}; {how}")
    if not np.all(np.isfinite(a)):
        raise ArgumentError(f"{argument} contains NaN or infinite values")
    return a


def graph(model: Any) -> Any:
    """The functional graph of a Sequential or functional model (nodes by depth, inputs, outputs)."""
    f = getattr(model, "_functional", None) or model
    if not hasattr(f, "_nodes_by_depth"):
        raise ArgumentError(f"model {model.name!r} is a subclassed model without a layer graph; build it "
                            "with the functional API or keras.Sequential")
    return f


def propagate(model: Any, seeds: dict[int, Any], step: Callable[[Any, Any, list[Any]], Any]) -> dict[int, Any]:
    """Carry a state along every tensor of ``model``'s graph, inputs to outputs.

    ``seeds`` maps ``id(input tensor)`` to its state. Each node is visited once,
    after every node it depends on: ``step(operation, node, input_states)`` gives
    the state of the node's outputs (``None`` for none); an input no seed reaches
    has state ``None``. Nested models are entered: their inner tensors get states
    too (found by ``id(layer.output)``), and their outputs carry the inner states
    on. Plain ``keras.ops`` calls on symbolic tensors (``x + 3.0`` in MobileNetV3)
    are nodes like layers. Returns ``id(tensor) -> state``.
    """
    import keras

    f = graph(model)
    states = dict(seeds)
    for depth in sorted(f._nodes_by_depth, reverse=True):
        for node in f._nodes_by_depth[depth]:
            op = node.operation
            ins = list(node.input_tensors)
            if not ins or type(op).__name__ == "InputLayer":
                continue
            in_states = [states.get(id(t)) for t in ins]
            if isinstance(op, keras.Model):
                inner = graph(op)
                sub = {id(t): s for t, s in zip(inner.inputs, in_states) if s is not None}
                inner_states = propagate(op, sub, step)
                for t, o in zip(inner.outputs, node.output_tensors):
                    if id(t) in inner_states:
                        states[id(o)] = inner_states[id(t)]
                states.update({k: v for k, v in inner_states.items() if k not in states})
                continue
            out = step(op, node, in_states)
            if out is not None:
                for o in node.output_tensors:
                    states[id(o)] = out
    return states
