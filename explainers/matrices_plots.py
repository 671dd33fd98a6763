"""Drawing for :mod:`explainers.matrices` and the interaction fits of :mod:`models.recipes`."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from explainers._figure import axes_or_new, figure_or_new
from explainers.matrices import LayerComposition
from models.recipes.basics_extra import InteractionComparison

__all__ = ["plot_layer_composition", "plot_interactions"]


def plot_layer_composition(result: LayerComposition, ax: Axes | None = None) -> Axes:
    """The network as a diagram: each neuron with its value, each weight an edge (red −, blue +, width |w|)."""
    ax = axes_or_new(ax, (6.0, 3.6))
    columns = [result.x] + [s.a for s in result.steps]
    names = ["x"] + [f"a[{i}]" for i in range(1, len(result.steps) + 1)]
    names[-1] = "ŷ = " + names[-1] if len(result.steps[-1].a) == 1 else names[-1]
    height = max(len(c) for c in columns)
    # top to bottom: the first neuron of each layer at the top
    pos = [np.linspace(height - 1, 0, len(c)) if len(c) > 1 else np.array([(height - 1) / 2]) for c in columns]
    wmax = max(float(np.abs(s.W).max()) for s in result.steps) or 1.0
    for k, step in enumerate(result.steps):
        for i in range(step.W.shape[0]):
            for j in range(step.W.shape[1]):
                w = step.W[i, j]
                ax.plot([k, k + 1], [pos[k][j], pos[k + 1][i]], color="C3" if w < 0 else "C0",
                        lw=0.4 + 3.0 * abs(w) / wmax, alpha=0.7, zorder=1)
    for k, (values, ys) in enumerate(zip(columns, pos)):
        for v, yy in zip(values, ys):
            ax.scatter([k], [yy], s=900, color="white", edgecolors="k", zorder=2)
            ax.text(k, yy, f"{v:.2f}", ha="center", va="center", fontsize=10, zorder=3)
        ax.text(k, height - 0.45, names[k], ha="center", va="bottom", fontsize=11)
    for k, step in enumerate(result.steps):
        ax.text(k + 0.5, -0.55, f"W[{k + 1}]: {step.W.shape[0]}×{step.W.shape[1]}, {step.activation}",
                ha="center", va="top", fontsize=10)
    ax.set_xlim(-0.5, len(columns) - 0.5)
    ax.set_ylim(-1.2, height + 0.1)
    ax.axis("off")
    ax.set_title(f"f(x) = {result.composed.round(4).tolist()} · model(x) = {result.keras_output.round(4).tolist()}",
                 fontsize=11)
    return ax


def plot_interactions(result: InteractionComparison, fig: Figure | None = None) -> Figure:
    """Each task's fitted output over the plane, no hidden layer beside one hidden layer, training points on top."""
    tasks = list(dict.fromkeys(f.task for f in result.fits))
    fig = figure_or_new(fig, (8.0, 3.6 * len(tasks)))
    axes = np.atleast_2d(fig.subplots(len(tasks), 2))
    for row, task in zip(axes, tasks):
        for ax, fit in zip(row, [f for f in result.fits if f.task == task]):
            g = fit.grid
            extent = (g[0], g[-1], g[0], g[-1])
            if task == "xor":
                ax.imshow(fit.surface, origin="lower", extent=extent, cmap="RdBu", vmin=0, vmax=1, alpha=0.8)
                ax.contour(g, g, fit.surface, levels=[0.5], colors="k", linewidths=1.2)
                ax.scatter(fit.x_train[:, 0], fit.x_train[:, 1], c=fit.y_train, cmap="RdBu", vmin=-0.3, vmax=1.3,
                           s=10, edgecolors="k", linewidths=0.3)
            else:
                norm = TwoSlopeNorm(0.0, -1.0, 1.0)
                ax.imshow(fit.surface, origin="lower", extent=extent, cmap="RdBu", norm=norm, alpha=0.9)
                ax.contour(g, g, fit.surface, levels=np.linspace(-0.8, 0.8, 9), colors="k", linewidths=0.5)
            ax.set_title(f"{task}, {fit.label}\n{fit.score_name} {fit.score:.2f}", fontsize=11)
            ax.set_xlabel("x1")
            ax.set_ylabel("x2")
            ax.set_aspect("equal")
    return fig
