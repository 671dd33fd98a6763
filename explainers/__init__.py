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
    # --- Convolutions (issue 4)
    "PRESETS": "explainers.kernels",
    "convolve2d": "explainers.kernels",
    "conv_output_size": "explainers.kernels",
    "padding_amounts": "explainers.kernels",
    "explain_output_value": "explainers.kernels",
    "conv_parameter_count": "explainers.kernels",
    "dense_parameter_count": "explainers.kernels",
    "compute_feature_maps": "explainers.kernels",
    "filters": "explainers.kernels",
    "compute_receptive_field": "explainers.receptive_field",
    "stacked_receptive_field": "explainers.receptive_field",
    "effective_receptive_field": "explainers.receptive_field",
    "compute_transfer": "explainers.transfer",
    # --- end Convolutions
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
