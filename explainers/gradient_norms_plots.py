"""Drawing for :mod:`explainers.gradient_norms`: the gradient norm per layer on a log scale."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from explainers._figure import axes_or_new
from explainers.gradient_norms import GradientNorms

__all__ = ["plot_gradient_norms"]


def plot_gradient_norms(result: GradientNorms, ax: Axes | None = None, *, label: str | None = None,
                        title: str | None = None) -> Axes:
    """‖∂E/∂W‖ per layer (log scale), input side on the left.

    Draw two results on one ``ax`` (each with its ``label``) to compare nets.
    """
    ax = axes_or_new(ax, size=(6.0, 3.0))
    g = np.maximum(np.asarray(result.norms, float), 1e-30)
    ax.semilogy(range(1, len(g) + 1), g, marker="o", label=label)
    ax.set_xlabel("layer (input → output)")
    ax.set_ylabel("‖∂E/∂W‖")
    ax.grid(alpha=0.3, which="both")
    ax.set_title(title or "Gradient norm per layer")
    if label:
        ax.legend()
    return ax
