"""Drawing for :mod:`explainers.cross_entropy` and the saturated-neuron training of :mod:`models.recipes`."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explainers._figure import axes_or_new, figure_or_new
from explainers.cross_entropy import (
    CLIP_EPSILON, CrossEntropyTerms, PixelCrossEntropy, SaturationGradients, SoftmaxTemperature,
)
from models.recipes.basics_extra import SaturatedComparison

__all__ = ["plot_cross_entropy_terms", "plot_softmax_temperature", "plot_pixel_cross_entropy",
           "plot_saturation_gradients", "plot_saturated_training"]


def plot_cross_entropy_terms(result: CrossEntropyTerms, ax: Axes | None = None) -> Axes:
    """The curve −log p against p, the probability given to the true class, with each example on it."""
    ax = axes_or_new(ax, (5.0, 3.4))
    p = np.linspace(0.005, 1.0, 400)
    ax.plot(p, -np.log(p), color="k", lw=1.5, label="−log p")
    q = np.clip(result.true_probability, CLIP_EPSILON, 1.0)
    for i, (pi, li) in enumerate(zip(q, result.losses), start=1):
        ax.plot(pi, li, "o", ms=8, zorder=3)
        ax.annotate(f"{i}", (pi, li), textcoords="offset points", xytext=(6, 4), fontsize=11)
    ax.set_xlabel("probability given to the true class")
    ax.set_ylabel("loss of the example")
    ax.set_ylim(0, max(5.0, float(result.losses.max()) * 1.1))
    ax.set_title(f"{result.kind.capitalize()} cross-entropy: mean {result.mean:.3f}")
    ax.grid(alpha=0.3)
    return ax


def plot_softmax_temperature(result: SoftmaxTemperature, fig: Figure | None = None) -> Figure:
    """Left: the probabilities at the chosen T (bars). Right: each class's probability as T varies."""
    fig = figure_or_new(fig, (9.0, 3.2))
    a1, a2 = fig.subplots(1, 2, width_ratios=[1, 1.4])
    colours = [f"C{i}" for i in range(len(result.classes))]
    bars = a1.bar(range(len(result.classes)), result.probabilities, color=colours)
    for b, v in zip(bars, result.probabilities):
        a1.text(b.get_x() + b.get_width() / 2, v + 0.02, f"{v:.2f}", ha="center", fontsize=11)
    a1.set_xticks(range(len(result.classes)), result.classes)
    a1.set_ylim(0, 1.12)
    a1.set_ylabel("probability")
    a1.set_title(f"softmax(s / T), T = {result.temperature:g}")
    for i, name in enumerate(result.classes):
        lw = 2.6 if i == result.target else 1.5
        a2.plot(result.grid, result.grid_probabilities[:, i], color=colours[i], lw=lw,
                label=name + (" (true)" if i == result.target else ""))
    a2.axvline(result.temperature, color="k", ls=":", lw=1)
    a2.axhline(1 / len(result.classes), color="0.6", ls="--", lw=1)
    a2.set_xscale("log")
    a2.set_xlabel("temperature T")
    a2.set_ylim(0, 1.02)
    a2.set_title("Probabilities as T changes")
    a2.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    a2.grid(alpha=0.3)
    return fig


def _cells(ax: Axes, values: np.ndarray, title: str, cmap: str, vmax: float) -> None:
    ax.imshow(values, cmap=cmap, vmin=0, vmax=vmax)
    for (r, c), v in np.ndenumerate(values):
        dark = v > 0.6 * vmax
        ax.text(c, r, f"{v:.2f}" if v != round(v) else f"{int(v)}", ha="center", va="center",
                color="w" if dark else "k", fontsize=11)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)


def plot_pixel_cross_entropy(result: PixelCrossEntropy, fig: Figure | None = None) -> Figure:
    """The prediction, the target mask and the loss at every pixel, with its average."""
    fig = figure_or_new(fig, (9.0, 3.2))
    a1, a2, a3 = fig.subplots(1, 3)
    _cells(a1, result.prediction, "prediction p", "Blues", 1.0)
    _cells(a2, result.target, "target y", "Greys", 1.6)
    _cells(a3, result.loss_map, f"pixel loss, mean {result.mean:.4f}", "Reds", max(0.2, result.loss_map.max()))
    r, c = result.worst
    a3.add_patch(_box(r, c))
    return fig


def _box(r: int, c: int):
    from matplotlib.patches import Rectangle

    return Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="k", lw=2.5)


def plot_saturation_gradients(result: SaturationGradients, ax: Axes | None = None) -> Axes:
    """|dL/dz| of cross-entropy and of squared error against z (log scale), the saturated start marked."""
    ax = axes_or_new(ax, (6.0, 3.4))
    ax.plot(result.z, np.abs(result.grad_ce), color="C0", label="cross-entropy: |σ − y|")
    ax.plot(result.z, np.abs(result.grad_se), color="C3", label="squared error: |σ − y|·σ(1 − σ)")
    s, g_ce, g_se = result.at_mark()
    ax.plot([result.z_mark] * 2, [abs(g_ce), abs(g_se)], "ko", ms=6)
    ax.annotate(f"z = {result.z_mark:g}: {abs(g_ce):.4f}", (result.z_mark, abs(g_ce)),
                textcoords="offset points", xytext=(8, -14), fontsize=10)
    ax.annotate(f"{abs(g_se):.4f} ({result.ratio:.0f}× smaller)", (result.z_mark, abs(g_se)),
                textcoords="offset points", xytext=(8, -4), fontsize=10)
    ax.set_yscale("log")
    ax.set_ylim(1e-5, 30)
    ax.set_xlabel("z (the neuron's weighted sum)")
    ax.set_ylabel(f"|dL/dz| for y = {result.target}")
    ax.set_title("How hard each loss pushes a sigmoid neuron")
    ax.legend(loc="upper center", fontsize=10)  # above the curves, which stay below 1
    ax.grid(alpha=0.3, which="both")
    return ax


def plot_saturated_training(result: SaturatedComparison, fig: Figure | None = None) -> Figure:
    """One neuron started saturated and wrong, trained with each loss: loss curves side by side, and accuracy."""
    fig = figure_or_new(fig, (11.0, 3.2))
    axes = fig.subplots(1, 3)
    for ax, run, colour in zip(axes[:2], result.runs, ("C0", "C3")):
        ax.plot(np.arange(len(run.losses)), run.losses, color=colour, marker="o", ms=2)
        ax.set_title(f"trained with {run.loss_name}")
        ax.set_xlabel("gradient step")
        ax.set_ylabel(f"{run.loss_name} loss")
        ax.set_ylim(0, 1.1 * max(float(np.max(run.losses)), 1e-3))
        ax.grid(alpha=0.3)
    for run, colour in zip(result.runs, ("C0", "C3")):
        axes[2].plot(np.arange(len(run.accuracy)), run.accuracy, color=colour, label=run.loss_name)
    axes[2].set_ylim(-0.02, 1.02)
    axes[2].set_xlabel("gradient step")
    axes[2].set_ylabel("accuracy")
    axes[2].set_title("accuracy")
    axes[2].legend(fontsize=10, loc="center right")
    axes[2].grid(alpha=0.3)
    return fig
