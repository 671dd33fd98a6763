"""Drawing for :mod:`explainers.backprop`: the 2-2-1 net with its forward values and error derivatives."""
from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.patches import Circle

from explainers._figure import axes_or_new
from explainers.backprop import Backprop

__all__ = ["plot_backprop"]


def plot_backprop(result: Backprop, ax: Axes | None = None) -> Axes:
    """The 2-2-1 net as a diagram: forward values in each node, ∂E/∂y and ∂E/∂z below, ∂E/∂w on each edge."""
    ax = axes_or_new(ax, (7.0, 6.2))
    pos = {"x0": (0, 1.5), "x1": (0, 0), "h0": (1, 1.5), "h1": (1, 0), "o": (2, 0.75)}
    for i in range(2):
        for j in range(2):
            # straight edges labelled mid-way, crossing ones near their start so labels never overlap
            _edge(ax, pos[f"x{i}"], pos[f"h{j}"],
                  f"w={result.w_hidden[i, j]:.2f}\n∂E/∂w={result.grad_w_hidden[i, j]:+.4f}", 0.5 if i == j else 0.32)
        _edge(ax, pos[f"h{i}"], pos["o"], f"w={result.w_out[i]:.2f}\n∂E/∂w={result.grad_w_out[i]:+.4f}", 0.5)
    for i in range(2):
        _node(ax, pos[f"x{i}"], f"x{i}\n{result.x[i]:.2f}", "#dddddd")
        _node(ax, pos[f"h{i}"], f"z={result.z_hidden[i]:.3f}\ny={result.y_hidden[i]:.3f}", "#cfe2f3",
              below=f"∂E/∂y={result.dE_dy_hidden[i]:+.4f}\n∂E/∂z={result.dE_dz_hidden[i]:+.4f}")
    _node(ax, pos["o"], f"z={result.z_out:.3f}\ny={result.y_out:.3f}", "#fce5cd",
          below=f"t={result.t:.2f}, E={result.error:.4f}\n∂E/∂y={result.dE_dy_out:+.4f}\n∂E/∂z={result.dE_dz_out:+.4f}")
    ax.set_xlim(-0.3, 2.4)
    ax.set_ylim(-0.8, 1.85)
    ax.set_aspect("equal")  # round nodes
    ax.axis("off")
    ax.set_title(f"2-2-1 net, f = {result.activation}, E = ½(y − t)²")
    return ax


def _node(ax: Axes, xy: tuple[float, float], text: str, colour: str, below: str | None = None) -> None:
    ax.add_patch(Circle(xy, 0.2, color=colour, ec="k", zorder=3))
    ax.text(*xy, text, ha="center", va="center", fontsize=8, zorder=4)
    if below:
        ax.text(xy[0], xy[1] - 0.25, below, ha="center", va="top", fontsize=8, color="crimson", zorder=4)


def _edge(ax: Axes, a: tuple[float, float], b: tuple[float, float], text: str, t: float) -> None:
    ax.plot([a[0], b[0]], [a[1], b[1]], color="0.5", lw=1, zorder=1)
    mx, my = a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])
    ax.text(mx, my, text, fontsize=7, ha="center", va="center", zorder=2,
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
