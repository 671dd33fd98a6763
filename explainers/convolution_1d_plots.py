"""Drawing for :mod:`explainers.convolution_1d`: a kernel on a trace, and the kernel flip."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explainers._figure import figure_or_new
from explainers.convolution_1d import FlipExample, SignalConvolution

__all__ = ["plot_signal_convolution", "plot_flip"]


def plot_signal_convolution(result: SignalConvolution, fig: Figure | None = None) -> Figure:
    """The signal with the window under the kernel shaded, the kernel, and the output on the same time axis."""
    fig = figure_or_new(fig, (10.0, 4.6))
    grid = fig.add_gridspec(2, 2, width_ratios=(4.2, 1.0))
    ax_x = fig.add_subplot(grid[0, 0])
    ax_z = fig.add_subplot(grid[1, 0], sharex=ax_x)
    ax_k = fig.add_subplot(grid[:, 1])
    r = result
    dt = 1.0 / r.rate
    ax_x.plot(r.time, r.signal, color="0.25", lw=0.8)
    start = (r.output_time[r.position] - (len(r.kernel) - 1) / 2 * dt)
    ax_x.axvspan(start - dt / 2, start + (len(r.kernel) - 0.5) * dt, color="tab:orange", alpha=0.3,
                 label=f"window under the kernel (output {r.position})")
    ax_x.set_ylabel("signal (mV)")
    ax_x.set_title(f"Input: {len(r.signal)} samples at {r.rate} Hz", fontsize=10)
    ax_x.legend(loc="upper right", fontsize=8)
    ax_z.plot(r.output_time, r.output, color="tab:blue", lw=0.9)
    ax_z.plot([r.output_time[r.position]], [r.value], "o", color="tab:orange", ms=6)
    if r.name == "QRS-matched" and len(r.peaks):
        ax_z.plot(r.time[r.peaks], np.interp(r.time[r.peaks], r.output_time, r.output), "v", color="tab:red",
                  ms=7, label=f"{len(r.peaks)} peaks found")
        ax_z.legend(loc="upper right", fontsize=8)
    ax_z.axhline(0, color="0.7", lw=0.6)
    ax_z.set_xlabel("time (s)")
    ax_z.set_ylabel("output z")
    ax_z.set_title(f"Output ({r.padding} padding): {len(r.output)} samples", fontsize=10)
    ax_k.stem(np.arange(len(r.kernel)), r.kernel, basefmt="0.6")
    ax_k.set_title(f"Kernel: {r.name or 'w'}\nF = {len(r.kernel)}", fontsize=10)
    ax_k.set_xlabel("tap j")
    return fig


def _grid(ax: Axes, values: np.ndarray, title: str, cmap: str) -> None:
    ax.imshow(values, cmap=cmap)
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=11,
                color="white" if v > values.min() + 0.6 * (np.ptp(values) or 1) else "black")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)


def plot_flip(result: FlipExample, fig: Figure | None = None) -> Figure:
    """Input, kernel, flipped kernel; cross-correlation with the kernel, convolution (with the flipped one)."""
    fig = figure_or_new(fig, (10.0, 2.6))
    axes = fig.subplots(1, 5, gridspec_kw={"width_ratios": (3, 2, 2, 2, 2)})
    _grid(axes[0], result.x, "input x", "Greys")
    _grid(axes[1], result.kernel, "kernel w", "Oranges")
    _grid(axes[2], result.flipped, "w flipped 180°", "Purples")
    _grid(axes[3], result.correlation, "cross-correlation\n(x with w)", "Blues")
    _grid(axes[4], result.convolution, "convolution\n(x with w flipped)", "Greens")
    return fig
