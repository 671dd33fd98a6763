"""Drawing for :mod:`explainers.kernels`: kernels, one output step, padding/stride, feature maps, filters."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from explainers.kernels import Filters, OutputStep, conv_output_size, padding_amounts


def _ax(ax, w=4.0, h=4.0):
    if ax is None:
        ax = Figure(figsize=(w, h), layout="constrained").subplots()
    return ax


def _text_colour(im, v: float) -> str:
    # White on dark cells, black on light ones: readable whatever the colour map.
    r, g, b, _ = im.cmap(im.norm(v))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"


def _fmt(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}"


def plot_matrix(values: Any, ax=None, title: str = "", cmap: str = "RdBu_r", annotate: bool = True):
    """A small matrix (a kernel, a window, a worked example) with its numbers written in."""
    ax = _ax(ax)
    a = np.asarray(values, dtype=float)
    lim = max(float(np.abs(a).max()), 1e-9)
    im = ax.imshow(a, cmap=cmap, vmin=-lim, vmax=lim)
    if annotate and a.size <= 100:
        for (i, j), v in np.ndenumerate(a):
            ax.text(j, i, _fmt(v), ha="center", va="center", fontsize=9 if a.size <= 49 else 7,
                    color=_text_colour(im, v))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    return ax


def plot_kernel(kernel: Any, ax=None, title: str = "kernel"):
    """A kernel with its weights written in (red positive, blue negative)."""
    return plot_matrix(kernel, ax, title)


def plot_images(image: Any, output: Any, ax=None, titles=("input", "output")):
    """Input and convolved output side by side on two Axes (``ax`` a pair or None)."""
    if ax is None:
        ax = Figure(figsize=(8, 4), layout="constrained").subplots(1, 2)
    ax[0].imshow(image, cmap="gray")
    ax[1].imshow(output, cmap="gray")
    for a, t, arr in zip(ax, titles, (image, output)):
        a.set_title(f"{t} {np.shape(arr)[0]}×{np.shape(arr)[1]}")
        a.set_xticks([])
        a.set_yticks([])
    return ax


def plot_output_step(step: OutputStep, ax=None):
    """The window under the kernel with each product ``x·w`` written in, and the sum."""
    ax = _ax(ax, 4, 4)
    f = step.products.shape
    lim = max(float(np.abs(step.products).max()), 1e-9)
    im = ax.imshow(step.products, cmap="RdBu_r", vmin=-lim, vmax=lim)
    for (i, j), p in np.ndenumerate(step.products):
        w = step.kernel[i, j]
        ax.text(j, i, f"{_fmt(step.window[i, j])}·{'(' + _fmt(w) + ')' if w < 0 else _fmt(w)}\n= {_fmt(p)}",
                ha="center", va="center", fontsize=9 if max(f) <= 4 else 6, color=_text_colour(im, p))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"output[{step.row}, {step.col}] = {_fmt(step.total)} + bias {_fmt(step.bias)} = "
                 f"{_fmt(step.value)}", fontsize=10)
    return ax


def plot_padding_stride(n: int, kernel_size: int, padding: str = "valid", stride: int = 1, dilation: int = 1,
                        ax=None, show: int = 3):
    """The padded input grid (zeros grey) and the first windows the kernel visits along a row.

    What this shows: where the kernel lands for outputs 0, 1, 2... — padding adds
    zeros around, stride moves the window by S, dilation spreads its taps.
    """
    ax = _ax(ax, 5, 5)
    before, after = padding_amounts(n, kernel_size, padding, stride, dilation)
    out = conv_output_size(n, kernel_size, padding, stride, dilation)
    total = n + before + after
    grid = np.zeros((total, total))
    grid[before: before + n, before: before + n] = 1
    # Image pixels mid grey, padding zeros light; axis labels count input pixels (padding negative).
    ax.imshow(grid, cmap="Greys", vmin=-0.5, vmax=2.5, extent=(-before - 0.5, n + after - 0.5, n + after - 0.5,
                                                                -before - 0.5))
    colours = ("tab:red", "tab:blue", "tab:green", "tab:orange")
    span = dilation * (kernel_size - 1) + 1
    for o in range(min(show, out)):
        colour, inset = colours[o % len(colours)], 0.08 * o
        left, top = o * stride - before, -before  # in input pixels: padding is negative
        # The window's outline, then a dot on each tap (dilation spreads them out).
        ax.add_patch(Rectangle((left - 0.5 + inset, top - 0.5 + inset), span - 2 * inset, span - 2 * inset,
                               fill=False, ec=colour, lw=2.5, label=f"output 0,{o}"))
        taps = np.arange(kernel_size) * dilation
        rr, cc = np.meshgrid(top + taps, left + taps, indexing="ij")
        ax.scatter(cc.ravel() + 0.15 * (o - 1), rr.ravel(), s=25, color=colour, zorder=3)
    ax.legend(loc="lower right", fontsize=7)
    ax.set_xlim(-before - 0.7, n + after - 0.3)
    ax.set_ylim(n + after - 0.3, -before - 0.7)
    ax.set_xticks(range(-before, n + after))
    ax.set_yticks(range(-before, n + after))
    ax.tick_params(labelsize=7)
    ax.set_title(f"n={n}, F={kernel_size}, {padding}, S={stride}, D={dilation} → {out}×{out}\n"
                 f"padding {before}+{after}; windows of outputs 0..{min(show, out) - 1}", fontsize=9)
    return ax


def plot_filters(result: Filters, fig: Figure | None = None, max_filters: int = 16) -> Figure:
    """Each kernel of a conv layer (first input channel) as a small image."""
    k = result.kernels
    n = min(k.shape[-1], max_filters)
    cols = min(n, 8)
    rows = -(-n // cols)
    if fig is None:
        fig = Figure(figsize=(1.1 * cols, 1.2 * rows + 0.3), layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    lim = max(float(np.abs(k).max()), 1e-9)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i < n:
            ax.imshow(k[:, :, 0, i] if k.ndim == 4 else k[:, :, i], cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(f"#{i}", fontsize=7)
        else:
            ax.axis("off")
    fig.suptitle(f"{result.layer_name}: {k.shape[0]}×{k.shape[1]} kernels", fontsize=9)
    return fig
