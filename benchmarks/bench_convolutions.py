"""Convolution explainers on a large multi-path net: keras.applications.InceptionV3(weights=None).

Each row times ours against a naive way of getting the same numbers, side by side in one run:
- feature maps of every conv layer for one image: one probe model, one forward pass, vs one
  model and one forward pass per layer;
- the analytic receptive-field table of every conv layer: one pass over the graph vs one
  call per layer;
- the effective receptive field from 64 random 64×64 inputs: batched gradients vs one input
  at a time (the course CNN, and VGG16 at block4_conv3).
"""
from __future__ import annotations

__all__ = ["run"]

import keras
import numpy as np

from benchmarks.common import Row, best_time


def _feature_maps(model, image, quick):
    from explainers import _layers
    from explainers.feature_maps import compute_feature_maps

    convs = _layers.conv_layers(model)
    if quick:
        convs = convs[:12]
    names = [c.name for c in convs]

    def ours():
        compute_feature_maps(model, image, layers=names)

    def naive():
        for c in convs:
            np.asarray(keras.Model(model.inputs[0], c.output)(image[None], training=False))

    t_ours, t_naive = best_time(ours, repeats=2), best_time(naive, repeats=1)
    return Row("convolutions", f"InceptionV3 feature maps of {len(convs)} conv layers (one image {image.shape[0]}²)",
               t_ours, t_naive, "s", t_naive / t_ours, "faster than one model per layer", t_ours < t_naive)


def _analytic(model, quick):
    from explainers import _layers
    from explainers.receptive_field import compute_receptive_field

    convs = _layers.conv_layers(model)
    if quick:
        convs = convs[:20]
    # mixed10 (the last concatenation) sees every conv layer; the last conv layer created
    # sits in one branch of the last block and does not see its sibling branches.
    last = "mixed10" if not quick else convs[-1].name

    def ours():
        rf = compute_receptive_field(model, layer_name=last)
        assert len({r.name for r in rf.layers} & {c.name for c in convs}) == len(convs)

    def naive():
        for c in convs:
            compute_receptive_field(model, layer_name=c.name)

    t_ours, t_naive = best_time(ours, repeats=2), best_time(naive, repeats=1, warmup=0)
    rf = compute_receptive_field(model, layer_name="mixed10")
    return Row("convolutions", f"InceptionV3 analytic receptive-field table, {len(convs)} conv layers",
               t_ours, t_naive, "s", t_naive / t_ours, "<= 1 s, and beats a call per layer",
               t_ours <= 1.0 and t_ours < t_naive,
               f"mixed10: size {rf.size}, stride {rf.stride}, padding {rf.padding:g} (published 1311, 32, 618)")


def _erf(name, model, layer, n, limit=None):
    from explainers.receptive_field import compute_effective_receptive_field

    def ours():
        return compute_effective_receptive_field(model, layer_name=layer, n_samples=n, input_size=64, batch_size=n)

    def naive():
        return compute_effective_receptive_field(model, layer_name=layer, n_samples=n, input_size=64, batch_size=1)

    a, b = ours(), naive()
    assert np.allclose(a.heatmap, b.heatmap, atol=1e-4)
    t_ours, t_naive = best_time(ours, repeats=2), best_time(naive, repeats=1, warmup=0)
    return Row("convolutions", f"{name} effective receptive field, {n} inputs 64×64: batched vs one at a time",
               t_ours, t_naive, "s", t_naive / t_ours,
               "batched gradients faster" + ("" if limit is None else f", <= {limit * 1000:.0f} ms"),
               t_ours < t_naive and (limit is None or t_ours <= limit), f"non-zero extent {a.extent}")


def _cnn_feature_maps(model, image):
    """The CNN page's per-epoch snapshot: feature maps of every conv layer of one 64×64 image."""
    from explainers import _layers
    from explainers.feature_maps import compute_feature_maps

    convs = _layers.conv_layers(model)

    def ours():
        compute_feature_maps(model, image)

    def naive():
        for c in convs:
            np.asarray(keras.Model(model.inputs[0], c.output)(image[None], training=False))

    t_ours, t_naive = best_time(ours, repeats=5), best_time(naive, repeats=2)
    return Row("convolutions", f"course CNN feature maps of {len(convs)} conv layers, one 64×64 image",
               t_ours, t_naive, "s", t_naive / t_ours, "<= 50 ms, and beats one model per layer",
               t_ours <= 0.05 and t_ours < t_naive)


def run(quick: bool = False) -> list[Row]:
    from models import build_cnn

    keras.utils.set_random_seed(0)
    inception = keras.applications.InceptionV3(weights=None, include_top=False)
    image = np.random.default_rng(0).random((160 if quick else 299,) * 2 + (3,)).astype("float32")
    n = 16 if quick else 64
    cnn = build_cnn()
    lesion = np.random.default_rng(1).random((64, 64, 1)).astype("float32")
    rows = [_cnn_feature_maps(cnn, lesion), _feature_maps(inception, image, quick), _analytic(inception, quick),
            _erf("course CNN", cnn, "cnn_conv2", n, limit=0.2)]
    if not quick:
        rows.append(_erf("VGG16", keras.applications.VGG16(weights=None, include_top=False), "block4_conv3", n))
    return rows
