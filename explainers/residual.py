"""Why residual connections help: gradients measured block by block (lecture 002).

A residual block computes y = F(x) + x, so by the chain rule

    ∂E/∂x = ∂E/∂y · (1 + F′(x)) = ∂E/∂y + ∂E/∂y · F′(x).

The first term passes the gradient back unchanged, however small F′ is; a
plain block (y = F(x)) only has the second term, which shrinks layer after
layer when F′ is small: the gradient vanishes in the first layers.

:func:`compute_block_gradients` measures, for every block of a
:func:`models.build_resnet` model (residual or plain), ‖∂E/∂y‖ at the block's
output, the part through the branch ‖∂E/∂y · F′(x)‖ and ‖∂E/∂x‖ at its input,
and checks the identity above on the measured numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from explainers import _backend
from explainers.loss_inputs import check_weighted_model, loss_spec, sample_data
from models._arguments import ArgumentError

__all__ = ["BlockGradients", "compute_block_gradients", "skip_ratio_sentence"]


@dataclass(frozen=True)
class BlockGradients:
    """Gradient norms per block, from the input side (block 1) to the output side.

    ``grad_out[b]`` = ‖∂E/∂y‖ at block b's sum (or its last BN for a plain
    block), ``grad_branch[b]`` = ‖∂E/∂y · F′(x)‖ (back through the
    convolutions), ``grad_in[b]`` = ‖∂E/∂x‖ at the block input.
    ``identity_error[b]`` = ‖∂E/∂x − (∂E/∂y + ∂E/∂y·F′(x))‖ / ‖∂E/∂x‖ for
    identity-shortcut residual blocks (≈ 1e-7: the chain rule holds), NaN
    where the shortcut is a projection or there is none.
    ``skip_projection[b]`` = ⟨∂E/∂y, ∂E/∂x⟩ / ‖∂E/∂x‖²: the part of ∂E/∂x the
    skip term supplies along ∂E/∂x itself (the branch supplies 1 − it), for
    identity-shortcut blocks; NaN elsewhere.
    """

    blocks: tuple[str, ...]
    residual: tuple[bool, ...]
    grad_in: np.ndarray
    grad_out: np.ndarray
    grad_branch: np.ndarray
    identity_error: np.ndarray
    loss: float
    skip_projection: np.ndarray | None = None

    @property
    def skip_ratio(self) -> np.ndarray:
        """‖∂E/∂y‖ / ‖∂E/∂x‖ per identity-shortcut block (NaN elsewhere).

        A ratio of norms, not a share: ∂E/∂x = ∂E/∂y + ∂E/∂y·F′(x) is a sum of
        vectors, and where the branch's part points partly against ∂E/∂y the
        sum is shorter than ∂E/∂y alone, so the ratio can exceed 1.
        """
        identity = np.isfinite(self.identity_error)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = self.grad_out / np.maximum(self.grad_in, 1e-30)
        return np.where(identity, ratio, np.nan)


def _find_blocks(model: keras.Model) -> list[tuple[str, Any, Any, Any, bool, bool]]:
    """(prefix, x_in, F(x), y, has_skip, identity_skip) per block, found by layer names."""
    names = {layer.name: layer for layer in model.layers}
    out = []
    for layer in model.layers:
        if not layer.name.endswith("_conv1"):
            continue
        prefix = layer.name[: -len("_conv1")]
        last = names.get(f"{prefix}_bn2") or names.get(f"{prefix}_conv2")
        if last is None:
            continue
        add = names.get(f"{prefix}_add")
        identity = add is not None and f"{prefix}_proj" not in names
        y = add.output if add is not None else last.output
        out.append((prefix, layer.input, last.output, y, add is not None, identity))
    return out


def compute_block_gradients(model: keras.Model, x: Any, y: Any, *, loss: Any = None,
                            n_samples: int | None = 128, seed: int = 0) -> BlockGradients:
    """Measure ∂E/∂x, ∂E/∂y and ∂E/∂y·F′(x) at every block (inference mode).

    What this shows: in a residual net the gradient at a block's input is the
    gradient at its output *plus* the branch's part, so it cannot vanish; in
    a plain net of the same depth it is the branch's part alone.

    Args:
        model: a model from :func:`models.build_resnet` (layers named
            ``<block>_conv1``, ``<block>_bn2`` or ``<block>_conv2``, ``<block>_add``).
        x, y: data; a fixed seeded subset of ``n_samples`` rows is used.
        loss: as in :func:`explainers.landscape.compute_landscape`.
        n_samples, seed: the size of the fixed subset and the seed that picks it.
    """
    check_weighted_model(model)
    sample = sample_data(model, x, y, n_samples=n_samples, seed=seed)
    blocks = _find_blocks(model)
    if not blocks:
        raise ArgumentError(f"model {model.name!r} has no residual/plain blocks (layers named '<block>_conv1'); "
                         "build it with models.build_resnet")
    if _backend.name() != "tensorflow":
        raise NotImplementedError("compute_block_gradients needs the tensorflow backend "
                                  "(gradients at intermediate tensors)")
    import tensorflow as tf  # lazily: only this measurement needs a tape on intermediate tensors

    spec = loss_spec(model, sample.y, loss)
    yt = tf.convert_to_tensor(spec.labels)
    tensors = [t for b in blocks for t in b[1:4]]
    probe = keras.Model(model.inputs, tensors + list(model.outputs))
    with tf.GradientTape(persistent=True) as tape:
        outs = probe(tf.convert_to_tensor(sample.x.astype(np.float32)), training=False)
        value = tf.reduce_mean(spec.fn(yt, tf.cast(outs[-1], tf.float32)))
    g_in, g_out, g_branch, err, proj = [], [], [], [], []
    for k, (_, _, _, _, has_skip, identity) in enumerate(blocks):
        x_in, f_out, y_out = outs[3 * k: 3 * k + 3]
        dx = tape.gradient(value, x_in)
        dy = tape.gradient(value, y_out)
        # ∂E/∂y · F′(x): the vector-Jacobian product back through the branch only
        branch = tape.gradient(f_out, x_in, output_gradients=dy)
        dx, dy, branch = (np.asarray(t, np.float64) for t in (dx, dy, branch))
        g_in.append(np.linalg.norm(dx))
        g_out.append(np.linalg.norm(dy))
        g_branch.append(np.linalg.norm(branch))
        err.append(np.linalg.norm(dx - (dy + branch)) / max(np.linalg.norm(dx), 1e-30) if identity else np.nan)
        proj.append(float(np.vdot(dy, dx)) / max(float(np.vdot(dx, dx)), 1e-60) if identity else np.nan)
    del tape
    return BlockGradients(tuple(b[0] for b in blocks), tuple(b[4] for b in blocks), np.asarray(g_in),
                          np.asarray(g_out), np.asarray(g_branch), np.asarray(err), float(value),
                          np.asarray(proj, dtype=np.float64))


def skip_ratio_sentence(result: BlockGradients) -> str:
    """One true sentence about how big the skip term is next to the whole gradient.

    What this shows: ‖∂E/∂y‖ / ‖∂E/∂x‖ compares two lengths; it is not the
    share of ∂E/∂x that the skip carries and can be above 100 %. The share
    along ∂E/∂x is ``skip_projection`` (skip and branch add up to 100 %).
    """
    ratio = result.skip_ratio
    ok = np.isfinite(ratio)
    if not ok.any():
        return "This net has no identity-shortcut blocks, so there is no skip term to compare."
    mean, low, high = float(np.mean(ratio[ok])), float(np.min(ratio[ok])), float(np.max(ratio[ok]))
    text = (f"The skip term's length ‖∂E/∂y‖ is on average **{mean:.0%}** of ‖∂E/∂x‖'s ({low:.0%} to "
            f"{high:.0%} over the {int(ok.sum())} identity-shortcut blocks). That is a ratio of two lengths, "
            "not a share: ∂E/∂x = ∂E/∂y + ∂E/∂y·F′(x) adds two vectors, and where the branch's part points "
            "partly against ∂E/∂y the sum is shorter than ∂E/∂y alone, so the ratio can exceed 100%")
    text += f" (here it does in {int((ratio[ok] > 1).sum())} of them)." if high > 1 else "."
    proj = result.skip_projection
    if proj is not None and np.isfinite(proj).any():
        share = float(np.nanmean(proj))
        text += (f" Measured along ∂E/∂x itself, the skip term supplies **{share:.0%}** of it on average and the "
                 f"branch the other {1 - share:.0%}: those two do add up to 100%.")
    return text
