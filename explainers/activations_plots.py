"""Drawing for :mod:`explainers.activations`: the activation functions and their derivatives."""
from __future__ import annotations

from matplotlib.axes import Axes

from explainers._figure import axes_or_new
from explainers.activations import ActivationCurves

__all__ = ["plot_activations"]


def plot_activations(result: ActivationCurves, ax: Axes | None = None, *, derivative: bool = False) -> Axes:
    """Activation curves (or, with ``derivative``, their derivatives with saturated regions shaded)."""
    ax = axes_or_new(ax, (5.0, 4.0))
    data = result.derivatives if derivative else result.values
    for i, name in enumerate(result.names):
        line, = ax.plot(result.z, data[i], label=name, lw=2)
        if derivative:
            ax.fill_between(result.z, 0, data[i], where=result.saturated[i], color=line.get_color(), alpha=0.15)
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel("z")
    ax.set_ylabel("g'(z)" if derivative else "g(z)")
    ax.set_title("Derivatives (shaded: g' < %.2f, gradients die)" % result.saturation if derivative
                 else "Activation functions")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax
