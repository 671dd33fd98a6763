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
    # --- attention and saliency (issue 7)
    "compute_worked_attention": "explainers.attention",
    "compute_attention": "explainers.attention",
    "AttentionRecorder": "explainers.attention",
    "key_word_hit_rate": "explainers.attention",
    "patch_hit_rate": "explainers.attention",
    "plot_token_attention": "explainers.attention_plots",
    "plot_attention_matrix": "explainers.attention_plots",
    "plot_patch_attention": "explainers.attention_plots",
    "plot_attention_sharpening": "explainers.attention_plots",
    "plot_worked_vectors": "explainers.attention_plots",
    "compute_gradcam": "explainers.saliency",
    "compute_saliency": "explainers.saliency",
    "nodule_hit_rate": "explainers.saliency",
    "gradcam_maps": "explainers.saliency",
    "find_gradcam_layer": "explainers.saliency",
    "plot_heatmap": "explainers.saliency_plots",
    "plot_hit_rate": "explainers.saliency_plots",
    # --- end attention and saliency
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
