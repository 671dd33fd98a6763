"""Drawing for :mod:`explainers.residual`: the gradient at each block, skip and branch parts."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from explainers._figure import axes_or_new
from explainers.residual import BlockGradients

__all__ = ["plot_block_gradients"]


def plot_block_gradients(result: BlockGradients, ax: Axes | None = None, *, title: str | None = None) -> Axes:
    """‖∂E/∂x‖ at each block input, split into the skip (∂E/∂y) and branch (∂E/∂y·F′) parts."""
    ax = axes_or_new(ax, size=(6.0, 3.0))
    k = np.arange(1, len(result.blocks) + 1)
    values = np.concatenate([result.grad_in, result.grad_out, result.grad_branch])
    positive = values[values > 0]
    # exact zeros (dead ReLUs) are drawn on a floor below the smallest measured value
    floor = positive.min() / 100 if positive.size else 1e-12
    ax.semilogy(k, np.maximum(result.grad_in, floor), "o-", label="‖∂E/∂x‖ at the block input")
    ax.semilogy(k, np.maximum(result.grad_out, floor), "s--", label="‖∂E/∂y‖ at the block output")
    ax.semilogy(k, np.maximum(result.grad_branch, floor), "^:", label="‖∂E/∂y·F′(x)‖ through the convs")
    zero = result.grad_in == 0
    if zero.any():
        ax.axhline(floor, color="grey", lw=0.8, ls=":")
        ax.text(k[0], floor * 1.5, "exactly 0 (dead ReLUs)", fontsize=7, color="grey", va="bottom")
    ax.set_xlabel("block (input → output)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    ax.set_title(title or "Gradients per block")
    return ax
