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
    # --- segmentation (issue 6)
    "dice_score": "explainers.segmentation",
    "iou_score": "explainers.segmentation",
    "segmentation_scores": "explainers.segmentation",
    "boundary_sharpness": "explainers.segmentation",
    "compute_dice_table": "explainers.segmentation",
    "compute_imbalance_trap": "explainers.segmentation",
    "compute_upsampling": "explainers.segmentation",
    "compute_feature_maps": "explainers.segmentation",
    "SegmentationMonitor": "explainers.segmentation",
    "train_recipe": "explainers.segmentation",
    "compare_skip_connections": "explainers.segmentation",
    "validate_pair": "explainers.segmentation",
    "plot_overlay": "explainers.segmentation_plots",
    "plot_segmentation_panels": "explainers.segmentation_plots",
    "plot_scores": "explainers.segmentation_plots",
    "plot_dice_table": "explainers.segmentation_plots",
    "plot_imbalance": "explainers.segmentation_plots",
    "plot_upsampling": "explainers.segmentation_plots",
    "plot_feature_maps": "explainers.segmentation_plots",
    "plot_skip_comparison": "explainers.segmentation_plots",
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
