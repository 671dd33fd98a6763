"""Feature maps: what the layers of a CNN compute for one image.

What this shows: early conv layers respond to edges, later ones to larger
shapes (a nodule), at a coarser resolution; in a U-Net the encoder's maps
shrink and become abstract and the decoder's grow back into masks. One
function for every page: choose the layers by name, type or a pattern, and how
many channels to keep. A Conv3D model (input ``(D, H, W, C)``) gives
``(d, h, w, k)`` maps per layer, at each layer's own resolution, as in 2-D.

Compute only (NumPy + Keras); drawing lives in :mod:`explainers.feature_maps_plots`.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers import _layers
from models._arguments import check_int, fail

__all__ = ["FeatureMaps", "compute_feature_maps"]


@dataclass(frozen=True)
class FeatureMaps:
    """The outputs of some layers of a model for one image, channel by channel.

    ``maps[i]`` holds the channels kept of layer ``layer_names[i]`` (the most
    active first when ``max_channels`` was given), ``channels[i]`` their indices
    in the layer's output and ``shapes[i]`` that full output's ``(h, w, c)``.
    For a volume model every spatial shape gains a leading depth axis: the
    input is ``(D, H, W, C)``, maps ``(d, h, w, k)`` and shapes ``(d, h, w, c)``.

    What this shows: what each layer computes for this one image or volume.
    """

    image: np.ndarray                          # the (H, W, C) input, as the model saw it; (D, H, W, C)
    layer_names: tuple[str, ...]
    maps: tuple[np.ndarray, ...]               # each (h, w, k): the channels kept; (d, h, w, k)
    channels: tuple[np.ndarray, ...]           # channel indices kept, per layer
    shapes: tuple[tuple[int, ...], ...]        # full (h, w, c) output of each layer; (d, h, w, c)


def _select(model: Any, layers: Any, pattern: str | None) -> list[Any]:
    if layers is not None and pattern is not None:
        fail("pattern", pattern, "None when layers= is given", "choose layers either by name/type or by pattern")
    if pattern is not None:
        if not isinstance(pattern, str):
            fail("pattern", pattern, "a regular expression (str)")
        try:
            rx = re.compile(pattern)
        except re.error as err:
            fail("pattern", pattern, "a valid regular expression", str(err))
        chosen = [layer for _, layer in _layers.walk(model) if rx.search(layer.name)]
        if not chosen:
            names = [layer.name for _, layer in _layers.walk(model)]
            fail("pattern", pattern, f"a regular expression that matches a layer of model {model.name!r}",
                 f"no layer matches pattern {pattern!r}; layer names are e.g. {names[:8]}")
        return chosen
    if layers is None:
        chosen = _layers.conv_layers(model, dims=_layers.spatial_rank(model))
        if not chosen:
            fail("layers", layers, f"the layers to show (model {model.name!r} has no conv layer)")
        return chosen
    if isinstance(layers, (str, type)):
        layers = [layers]
    if not isinstance(layers, Sequence) or not layers:
        fail("layers", layers, "None, a layer name, a layer class, or a non-empty list of them")
    chosen: list[Any] = []
    for selector in layers:
        for layer in _layers.find_all(model, selector, argument="layers"):
            if all(layer is not c for c in chosen):
                chosen.append(layer)
    return chosen


def compute_feature_maps(model: Any, image: Any, *, layers: str | type | Sequence[str | type] | None = None,
                         pattern: str | None = None, max_channels: int | None = None,
                         channels: Sequence[Sequence[int]] | None = None) -> FeatureMaps:
    """The feature maps a model computes for one image at the chosen layers.

    What this shows: what each layer "sees" in this image: edge detectors near
    the input, blobs and then whole structures deeper in, at a coarser
    resolution; the channels that respond most are the ones this image excites.

    Args:
        model: any built Keras model (Sequential, functional, nested,
            ``keras.applications``).
        image: ``(H, W)``, ``(H, W, C)`` or ``(1, H, W, C)`` matching the input; for a
            Conv3D model one volume ``(D, H, W)``, ``(D, H, W, C)`` or ``(1, D, H, W, C)``.
        layers: ``None``: every conv layer (Conv3D ones for a volume model); a layer name, a layer class
            (``keras.layers.MaxPooling2D``) or class name (``"Conv2D"``), or a list of
            them. A name gives that layer; a class every layer of that type. Listed
            layers keep the order given, a class its layers' graph order.
        pattern: instead of ``layers``, a regular expression searched in layer
            names (e.g. ``r"_relu2$"``), graph order.
        max_channels: keep the ``k`` most active channels of each layer (mean
            activation over the map, highest first); ``None``: every channel in order.
        channels: instead of ``max_channels``, the channel indices to keep per
            layer (e.g. ``result.channels`` of an earlier call, to follow the same
            filters while a model trains).

    Raises:
        ArgumentError: a layer no selector finds, a pattern nothing matches, a layer
            whose output is not an ``(h, w, c)`` map, or an image that does not fit.
    """
    _layers.check_model(model)
    if max_channels is not None:
        max_channels = check_int("max_channels", max_channels, low=1)
    if max_channels is not None and channels is not None:
        fail("channels", channels, "None when max_channels= is given")
    batch = _layers.as_batch(model, image)
    chosen = _select(model, layers, pattern)
    rank = batch.ndim - 1  # (h, w, c) or (d, h, w, c)
    if channels is not None and len(channels) != len(chosen):
        fail("channels", channels, f"one sequence of channel indices per layer ({len(chosen)})")
    outputs = _layers.output_model(model, chosen)(batch)
    maps, kept, shapes = [], [], []
    for i, (layer, out) in enumerate(zip(chosen, outputs)):
        a = np.asarray(out)[0]
        if a.ndim != rank:
            fail("layers", layer.name, "layers with an (h, w, c) feature-map output" if rank == 3
                 else "layers with a (d, h, w, c) feature-map output (the model takes volumes)",
                 f"layer {layer.name!r} outputs shape {a.shape}; choose a conv or pooling layer")
        if channels is not None:
            order = np.asarray(channels[i], dtype=int)
            if order.ndim != 1 or np.any(order < 0) or np.any(order >= a.shape[-1]):
                fail("channels", channels[i], f"channel indices of layer {layer.name!r} in [0, {a.shape[-1] - 1}]")
        elif max_channels is not None:
            order = np.argsort(-a.mean(axis=tuple(range(rank - 1))), kind="stable")[:max_channels]
        else:
            order = np.arange(a.shape[-1])
        maps.append(a[..., order])
        kept.append(order)
        shapes.append(tuple(int(s) for s in a.shape))
    return FeatureMaps(batch[0], tuple(layer.name for layer in chosen), tuple(maps), tuple(kept), tuple(shapes))
