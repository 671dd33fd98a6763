"""Drawing for :mod:`explainers.kernels`: kernels, a convolution, one output step, padding/stride, filters."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle

from explainers._figure import axes_or_new, figure_or_new
from explainers.kernels import Convolution, Filters, OutputStep, PaddingStride, WindowedConvolutions

__all__ = ["plot_kernel", "plot_convolution", "plot_output_step", "plot_worked_example", "plot_padding_stride",
           "plot_filters", "plot_windowed_convolutions"]


def _text_colour(im: AxesImage, v: float) -> str:
    # White on dark cells, black on light ones: readable whatever the colour map.
    r, g, b, _ = im.cmap(im.norm(v))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"


def _fmt(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}"


def _matrix(ax: Axes, values: np.ndarray, title: str = "", cmap: str = "RdBu_r", annotate: bool = True) -> Axes:
    """A small matrix (a kernel, a window, a worked example) with its numbers written in."""
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


def _image(ax: Axes, image: np.ndarray, title: str) -> None:
    a = np.asarray(image)
    ax.imshow(a if a.ndim == 2 else a[..., 0] if a.shape[-1] == 1 else a.mean(axis=-1), cmap="gray")
    ax.set_title(f"{title} {a.shape[0]}×{a.shape[1]}")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_kernel(result: Convolution, ax: Axes | None = None, *, title: str = "kernel") -> Axes:
    """The convolution's kernel with its weights written in (red positive, blue negative)."""
    k = result.kernel
    return _matrix(axes_or_new(ax, (4.0, 4.0)), k if k.ndim == 2 else k.reshape(k.shape[0], k.shape[1], -1)[..., 0],
                   title)


def plot_convolution(result: Convolution, fig: Figure | None = None, *, title: str = "kernel") -> Figure:
    """Input, kernel and convolved output side by side (the kernel panel narrower)."""
    fig = figure_or_new(fig, (11.0, 4.0))
    a_in, a_k, a_out = fig.subplots(1, 3, width_ratios=[1, 0.45, 1])
    _image(a_in, result.image, "input")
    plot_kernel(result, a_k, title=title)
    _image(a_out, result.output, "output")
    return fig


def plot_output_step(result: OutputStep, ax: Axes | None = None) -> Axes:
    """The window under the kernel with each product ``x·w`` written in, and the sum."""
    ax = axes_or_new(ax, (4.0, 4.0))
    f = result.products.shape
    lim = max(float(np.abs(result.products).max()), 1e-9)
    im = ax.imshow(result.products, cmap="RdBu_r", vmin=-lim, vmax=lim)
    for (i, j), p in np.ndenumerate(result.products):
        w = result.kernel[i, j]
        ax.text(j, i, f"{_fmt(result.window[i, j])}·{'(' + _fmt(w) + ')' if w < 0 else _fmt(w)}\n= {_fmt(p)}",
                ha="center", va="center", fontsize=9 if max(f) <= 4 else 6, color=_text_colour(im, p))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"output[{result.row}, {result.col}] = {_fmt(result.total)} + bias {_fmt(result.bias)} = "
                 f"{_fmt(result.value)}", fontsize=10)
    return ax


def plot_worked_example(result: OutputStep, fig: Figure | None = None) -> Figure:
    """The lecture's worked step in four panels: the input with the window outlined, the kernel,
    the products, and the whole output with the value computed outlined."""
    fig = figure_or_new(fig, (11.0, 3.2))
    axes = fig.subplots(1, 4)
    _matrix(axes[0], result.image, "input x", cmap="Greys")
    top, left = int(result.input_rows[0]), int(result.input_cols[0])
    span = (int(result.input_rows[-1]) - top + 1, int(result.input_cols[-1]) - left + 1)
    axes[0].add_patch(Rectangle((left - 0.5, top - 0.5), span[1], span[0], fill=False, ec="red", lw=2.5))
    _matrix(axes[1], result.kernel, "kernel W")
    plot_output_step(result, axes[2])
    _matrix(axes[3], result.output, "output z = W ⋆ x")
    axes[3].add_patch(Rectangle((result.col - 0.5, result.row - 0.5), 1, 1, fill=False, ec="red", lw=2.5))
    return fig


def plot_padding_stride(result: PaddingStride, ax: Axes | None = None, *, show: int = 3) -> Axes:
    """The padded input grid (zeros light) and the first windows the kernel visits along a row.

    What this shows: where the kernel lands for outputs 0, 1, 2... — padding adds
    zeros around, stride moves the window by S, dilation spreads its taps.
    """
    ax = axes_or_new(ax, (5.0, 5.0))
    n, before, after, out = result.n, result.pad.before, result.pad.after, result.output_size
    total = n + before + after
    grid = np.zeros((total, total))
    grid[before: before + n, before: before + n] = 1
    # Image pixels mid grey, padding zeros light; axis labels count input pixels (padding negative).
    ax.imshow(grid, cmap="Greys", vmin=-0.5, vmax=2.5, extent=(-before - 0.5, n + after - 0.5, n + after - 0.5,
                                                                -before - 0.5))
    colours = ("tab:red", "tab:blue", "tab:green", "tab:orange")
    for o in range(min(show, out)):
        colour, inset = colours[o % len(colours)], 0.08 * o
        left, top = o * result.stride - before, -before  # in input pixels: padding is negative
        # The window's outline, then a dot on each tap (dilation spreads them out).
        ax.add_patch(Rectangle((left - 0.5 + inset, top - 0.5 + inset), result.span - 2 * inset,
                               result.span - 2 * inset, fill=False, ec=colour, lw=2.5, label=f"output 0,{o}"))
        taps = np.arange(result.kernel_size) * result.dilation
        rr, cc = np.meshgrid(top + taps, left + taps, indexing="ij")
        ax.scatter(cc.ravel() + 0.15 * (o - 1), rr.ravel(), s=25, color=colour, zorder=3)
    ax.legend(loc="lower right", fontsize=7)
    ax.set_xlim(-before - 0.7, n + after - 0.3)
    ax.set_ylim(n + after - 0.3, -before - 0.7)
    ax.set_xticks(range(-before, n + after))
    ax.set_yticks(range(-before, n + after))
    ax.tick_params(labelsize=7)
    ax.set_title(f"n={n}, F={result.kernel_size}, {result.padding}, S={result.stride}, D={result.dilation} → "
                 f"{out}×{out}\npadding {before}+{after}; windows of outputs 0..{min(show, out) - 1}", fontsize=9)
    return ax


def plot_filters(result: Filters, fig: Figure | None = None, *, max_filters: int = 16) -> Figure:
    """Each kernel of a conv layer (first input channel) as a small image."""
    k = result.kernels
    n = min(k.shape[-1], max_filters)
    cols = min(n, 8)
    rows = -(-n // cols)
    fig = figure_or_new(fig, (1.1 * cols, 1.2 * rows + 0.3))
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


_WINDOW_LABELS = {"soft_tissue": "soft tissue"}


def plot_windowed_convolutions(result: WindowedConvolutions, fig: Figure | None = None, *,
                               show_inputs: bool = True) -> Figure:
    """Each window's input (top row) and the kernel's |response| (bottom), with the share on bone."""
    n = len(result.windows)
    fig = figure_or_new(fig, (3.3 * n, 6.4 if show_inputs else 3.4))
    axes = np.asarray(fig.subplots(2 if show_inputs else 1, n, squeeze=False))
    top = float(np.percentile(np.abs(result.outputs), 99.5)) or 1.0  # one scale: the windows compare fairly
    for i, name in enumerate(result.windows):
        level, width = result.level_width[i]
        label = f"{_WINDOW_LABELS.get(name, name)} {level:g}/{width:g}"
        if show_inputs:
            axes[0, i].imshow(result.images[i], cmap="gray", vmin=0, vmax=1)
            axes[0, i].set_title(f"{label} HU", fontsize=11)
        ax = axes[-1, i]
        ax.imshow(np.abs(result.outputs[i]), cmap="magma", vmin=0, vmax=top)
        ax.set_title(f"|response|: {100 * result.bone_share[i]:.0f} % on bone,\n"
                     f"{100 * result.soft_tissue_share[i]:.0f} % in soft tissue", fontsize=10)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig
