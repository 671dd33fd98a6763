"""medlens.explainers: compute what a Keras model does, then draw it.

Every explainer splits compute from drawing: ``compute_*`` returns NumPy data
in a small frozen dataclass, ``plot_*(result, ax=None)`` draws it on a
matplotlib Axes and returns the Axes. Compute modules never import matplotlib
or streamlit; drawing lives in the ``*_plots`` modules beside them.

Names are imported lazily (TensorFlow loads only when a function needs it)::

    from explainers import roc, decision_boundary
"""
from __future__ import annotations

import importlib
from typing import Any

# name -> module; each topic adds its public names here.
_LAZY: dict[str, str] = {
    # -- issue 5: loss landscapes, trajectories, residual gradients
    "Landscape": "explainers.landscape",
    "Trajectory": "explainers.landscape",
    "GradientNorms": "explainers.landscape",
    "TrajectoryRecorder": "explainers.landscape",
    "random_directions": "explainers.landscape",
    "compute_landscape": "explainers.landscape",
    "interpolate": "explainers.landscape",
    "project_trajectory": "explainers.landscape",
    "compute_gradient_norms": "explainers.landscape",
    "plot_contour": "explainers.landscape_plots",
    "plot_surface": "explainers.landscape_plots",
    "plot_1d": "explainers.landscape_plots",
    "plot_trajectory": "explainers.landscape_plots",
    "plot_gradient_norms": "explainers.landscape_plots",
    "plot_block_gradients": "explainers.landscape_plots",
    "BlockGradients": "explainers.residual",
    "compute_block_gradients": "explainers.residual",
    # -- end issue 5
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'explainers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(_LAZY)
