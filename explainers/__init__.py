"""medlens.explainers: compute what a Keras model does, then draw it.

The contract, everywhere in this package:

- ``compute_<thing>(model_or_data, ..., *, <options>) -> <Thing>``: the numbers,
  as a frozen dataclass of NumPy arrays and plain values, whose docstring says
  what it shows a learner. Arguments are checked up front and a wrong one
  raises ``models._arguments.ArgumentError`` (a ``ValueError`` and a
  ``TypeError``) naming the argument and the value received. No public function
  returns a bare tuple. Compute modules never import matplotlib or streamlit.
- ``plot_<thing>(result, ax=None) -> Axes`` draws one panel,
  ``plot_<thing>(result, fig=None) -> Figure`` several; each takes the result
  dataclass, never raw arrays, and lives in ``<module>_plots.py`` beside the
  compute module.
- Works on any fitting Keras model (Sequential, functional, nested,
  ``keras.applications``): layers are found by name or type through one
  private core (``_layers``), compiled functions come from one cache that
  forgets a discarded model (``_backend``), plots go through ``_figure``.
- Explainers explain the model they are given; anything that trains is a
  recipe in ``models.recipes``. Nothing here seeds a global generator: pass
  ``seed=``.

Names are imported lazily (TensorFlow loads only when a function needs it)::

    from explainers import compute_roc, plot_roc
    plot_roc(compute_roc(y_true, scores))
"""
from __future__ import annotations

import importlib
from typing import Any

# name -> module, one block per topic. A name appears once in the package;
# the contract test checks this table against every module's ``__all__``.
_LAZY: dict[str, str] = {
    # ---- Basics: neuron, thresholds and ROC, MLP playground, backprop, gradient descent
    "threshold_metrics": "explainers.metrics",
    "roc": "explainers.metrics",
    "ThresholdMetrics": "explainers.metrics",
    "RocCurve": "explainers.metrics",
    "activation": "explainers.activations",
    "activation_curves": "explainers.activations",
    "decision_boundary": "explainers.boundary",
    "neuron_maps": "explainers.boundary",
    "parameter_table": "explainers.boundary",
    "backprop_221": "explainers.backprop",
    "tape_gradients": "explainers.backprop",
    "optimizer_path": "explainers.optim",
    "adam_written_out": "explainers.optim",
    "line_descent": "explainers.optim",
    "compare_batch_sizes": "explainers.optim",
    "SURFACES": "explainers.optim",
    "fit_curve": "explainers.approximation",
    "plot_activations": "explainers.basics_plots",
    "plot_confusion": "explainers.basics_plots",
    "plot_roc": "explainers.basics_plots",
    "plot_score_histogram": "explainers.basics_plots",
    "plot_decision_boundary": "explainers.basics_plots",
    "plot_neuron_maps": "explainers.basics_plots",
    "plot_backprop": "explainers.basics_plots",
    "plot_line_descent": "explainers.basics_plots",
    "plot_line_fit": "explainers.basics_plots",
    "plot_surface_paths": "explainers.basics_plots",
    "plot_path_losses": "explainers.basics_plots",
    "plot_batch_runs": "explainers.basics_plots",
    "plot_fits": "explainers.basics_plots",
    # ---- Convolutions: kernels, feature maps, receptive fields, transfer
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
    "plot_feature_maps": "explainers.kernels_plots",
    "plot_filters": "explainers.kernels_plots",
    "plot_kernel": "explainers.kernels_plots",
    # ---- Loss landscapes, trajectories, gradient norms, residual gradients
    "Landscape": "explainers.landscape",
    "random_directions": "explainers.landscape",
    "compute_landscape": "explainers.landscape",
    "compute_interpolation": "explainers.landscape",
    "plot_contour": "explainers.landscape_plots",
    "plot_surface": "explainers.landscape_plots",
    "plot_landscape_1d": "explainers.landscape_plots",
    "Trajectory": "explainers.trajectory",
    "TrajectoryRecorder": "explainers.trajectory",
    "compute_trajectory": "explainers.trajectory",
    "plot_trajectory": "explainers.trajectory_plots",
    "GradientNorms": "explainers.gradient_norms",
    "compute_gradient_norms": "explainers.gradient_norms",
    "plot_gradient_norms": "explainers.gradient_norms_plots",
    "BlockGradients": "explainers.residual",
    "compute_block_gradients": "explainers.residual",
    "plot_block_gradients": "explainers.residual_plots",
    # ---- Segmentation: Dice and IoU, the Dice table, the imbalance trap, decoder layers
    "dice_score": "explainers.segmentation",
    "iou_score": "explainers.segmentation",
    "boundary_sharpness": "explainers.segmentation",
    "SegmentationScores": "explainers.segmentation",
    "compute_segmentation_scores": "explainers.segmentation",
    "DiceTable": "explainers.segmentation",
    "compute_dice_table": "explainers.segmentation",
    "ImbalanceTrap": "explainers.segmentation",
    "compute_imbalance_trap": "explainers.segmentation",
    "MaskPrediction": "explainers.segmentation",
    "compute_mask_prediction": "explainers.segmentation",
    "SkipComparison": "explainers.segmentation",
    "compute_skip_comparison": "explainers.segmentation",
    "SegmentationSnapshot": "explainers.segmentation",
    "ScoreHistory": "explainers.segmentation",
    "SegmentationMonitor": "explainers.segmentation",
    "ImageMaskPair": "explainers.segmentation",
    "validate_pair": "explainers.segmentation",
    "plot_overlay": "explainers.segmentation_plots",
    "plot_segmentation_panels": "explainers.segmentation_plots",
    "plot_scores": "explainers.segmentation_plots",
    "plot_dice_table": "explainers.segmentation_plots",
    "plot_imbalance": "explainers.segmentation_plots",
    "plot_skip_comparison": "explainers.segmentation_plots",
    "Upsampling": "explainers.upsampling",
    "compute_upsampling": "explainers.upsampling",
    "plot_upsampling": "explainers.upsampling_plots",
    # ---- Attention and saliency
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
    "SaliencyMap": "explainers.saliency",
    "GradCamBatch": "explainers.saliency",
    "NoduleHitRate": "explainers.saliency",
    "compute_gradcam": "explainers.saliency",
    "compute_gradcam_batch": "explainers.saliency",
    "compute_saliency": "explainers.saliency",
    "compute_nodule_hit_rate": "explainers.saliency",
    "find_gradcam_layer": "explainers.saliency",
    "plot_heatmap": "explainers.saliency_plots",
    "plot_hit_rate": "explainers.saliency_plots",
    # ---- Training histories
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
