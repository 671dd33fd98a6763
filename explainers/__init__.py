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
    "ThresholdMetrics": "explainers.metrics",
    "RocCurve": "explainers.metrics",
    "compute_threshold_metrics": "explainers.metrics",
    "compute_roc": "explainers.metrics",
    "plot_confusion": "explainers.metrics_plots",
    "plot_roc": "explainers.metrics_plots",
    "plot_score_histogram": "explainers.metrics_plots",
    "ACTIVATIONS": "explainers.activations",
    "activation": "explainers.activations",
    "activation_derivative": "explainers.activations",
    "ActivationCurves": "explainers.activations",
    "compute_activation_curves": "explainers.activations",
    "plot_activations": "explainers.activations_plots",
    "DecisionBoundary": "explainers.boundary",
    "NeuronMaps": "explainers.boundary",
    "ParameterTable": "explainers.boundary",
    "ParameterRow": "explainers.boundary",
    "compute_decision_boundary": "explainers.boundary",
    "compute_neuron_maps": "explainers.boundary",
    "compute_parameter_table": "explainers.boundary",
    "plot_decision_boundary": "explainers.boundary_plots",
    "plot_neuron_maps": "explainers.boundary_plots",
    "neuron_mosaic": "explainers.boundary_plots",
    "Backprop": "explainers.backprop",
    "TapeGradients": "explainers.backprop",
    "BackpropComparison": "explainers.backprop",
    "GradientRow": "explainers.backprop",
    "net_parameters": "explainers.backprop",
    "compute_backprop": "explainers.backprop",
    "compute_tape_gradients": "explainers.backprop",
    "compute_backprop_comparison": "explainers.backprop",
    "plot_backprop": "explainers.backprop_plots",
    "Surface": "explainers.optim",
    "SURFACES": "explainers.optim",
    "OPTIMIZERS": "explainers.optim",
    "OptimizerPath": "explainers.optim",
    "OptimizerPaths": "explainers.optim",
    "LineDescent": "explainers.optim",
    "compute_optimizer_path": "explainers.optim",
    "compute_optimizer_paths": "explainers.optim",
    "compute_adam_steps": "explainers.optim",
    "compute_line_descent": "explainers.optim",
    "line_cost": "explainers.optim",
    "line_slope": "explainers.optim",
    "plot_line_descent": "explainers.optim_plots",
    "plot_line_fit": "explainers.optim_plots",
    "plot_surface_paths": "explainers.optim_plots",
    "plot_path_losses": "explainers.optim_plots",
    "plot_batch_runs": "explainers.optim_plots",
    "target_curve": "explainers.approximation",
    "width_for_params": "explainers.approximation",
    "plot_fits": "explainers.approximation_plots",
    # ---- Convolutions: kernels, feature maps, receptive fields, transfer
    "PRESETS": "explainers.kernels",
    "convolve2d": "explainers.kernels",
    "conv_output_size": "explainers.kernels",
    "Padding": "explainers.kernels",
    "padding_amounts": "explainers.kernels",
    "conv_parameter_count": "explainers.kernels",
    "dense_parameter_count": "explainers.kernels",
    "Convolution": "explainers.kernels",
    "compute_convolution": "explainers.kernels",
    "OutputStep": "explainers.kernels",
    "compute_output_step": "explainers.kernels",
    "PaddingStride": "explainers.kernels",
    "compute_padding_stride": "explainers.kernels",
    "Filters": "explainers.kernels",
    "compute_filters": "explainers.kernels",
    "WindowedConvolutions": "explainers.kernels",
    "compute_windowed_convolutions": "explainers.kernels",
    "FeatureMaps": "explainers.feature_maps",
    "compute_feature_maps": "explainers.feature_maps",
    "LayerField": "explainers.receptive_field",
    "ReceptiveField": "explainers.receptive_field",
    "spatial_layer_names": "explainers.receptive_field",
    "compute_receptive_field": "explainers.receptive_field",
    "StackedReceptiveField": "explainers.receptive_field",
    "compute_stacked_receptive_field": "explainers.receptive_field",
    "EffectiveReceptiveField": "explainers.receptive_field",
    "compute_effective_receptive_field": "explainers.receptive_field",
    "SIZE_REFERENCES_MM": "explainers.receptive_field",
    "ReceptiveFieldMM": "explainers.receptive_field",
    "compute_receptive_field_mm": "explainers.receptive_field",
    "plot_kernel": "explainers.kernels_plots",
    "plot_convolution": "explainers.kernels_plots",
    "plot_output_step": "explainers.kernels_plots",
    "plot_worked_example": "explainers.kernels_plots",
    "plot_padding_stride": "explainers.kernels_plots",
    "plot_filters": "explainers.kernels_plots",
    "plot_windowed_convolutions": "explainers.kernels_plots",
    "plot_feature_maps": "explainers.feature_maps_plots",
    "plot_receptive_field_growth": "explainers.receptive_field_plots",
    "plot_effective_field": "explainers.receptive_field_plots",
    "plot_effective_field_profile": "explainers.receptive_field_plots",
    "plot_receptive_field_mm": "explainers.receptive_field_plots",
    "plot_transfer": "explainers.transfer_plots",
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
    "WorkedAttention": "explainers.attention",
    "compute_worked_attention": "explainers.attention",
    "AttentionWeights": "explainers.attention",
    "compute_attention": "explainers.attention",
    "AttentionRecorder": "explainers.attention",
    "AttentionHistory": "explainers.attention",
    "KeyWordHitRate": "explainers.attention",
    "compute_key_word_hit_rate": "explainers.attention",
    "PatchHitRate": "explainers.attention",
    "compute_patch_hit_rate": "explainers.attention",
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
    # ---- Real scans on a model trained on synthetic images: out of distribution, heatmap in the marker
    "IntensityShift": "explainers.out_of_distribution",
    "compute_intensity_shift": "explainers.out_of_distribution",
    "LesionMarker": "explainers.out_of_distribution",
    "compute_lesion_marker": "explainers.out_of_distribution",
    "HeatmapInMarker": "explainers.out_of_distribution",
    "compute_heatmap_in_marker": "explainers.out_of_distribution",
    "plot_intensity_shift": "explainers.out_of_distribution_plots",
    "plot_lesion_marker": "explainers.out_of_distribution_plots",
    "plot_heatmap_in_marker": "explainers.out_of_distribution_plots",
    # ---- scans: HU histogram, windows, scale bar, gallery, safe DICOM metadata (Medical images page)
    "TISSUE_HU": "explainers.scan_views",
    "SAFE_TAGS": "explainers.scan_views",
    "GREY_WHITE_HU": "explainers.scan_views",
    "HUHistogram": "explainers.scan_views",
    "compute_hu_histogram": "explainers.scan_views",
    "WindowViews": "explainers.scan_views",
    "compute_window_views": "explainers.scan_views",
    "ScaleBar": "explainers.scan_views",
    "compute_scale_bar": "explainers.scan_views",
    "ScanView": "explainers.scan_views",
    "compute_scan_view": "explainers.scan_views",
    "ScanGallery": "explainers.scan_views",
    "compute_scan_gallery": "explainers.scan_views",
    "DicomMetadata": "explainers.scan_views",
    "compute_dicom_metadata": "explainers.scan_views",
    "TISSUE_COLOURS": "explainers.scan_views_plots",
    "plot_scan": "explainers.scan_views_plots",
    "plot_hu_histogram": "explainers.scan_views_plots",
    "plot_window_views": "explainers.scan_views_plots",
    "plot_scan_gallery": "explainers.scan_views_plots",
    # ---- preprocessing: windowing and clipping, normalisation, resizing, augmentation
    "Windowing": "explainers.preprocessing",
    "compute_windowing": "explainers.preprocessing",
    "NORMALISATIONS": "explainers.preprocessing",
    "Normalisation": "explainers.preprocessing",
    "compute_normalisation": "explainers.preprocessing",
    "zone_plate": "explainers.preprocessing",
    "Resizing": "explainers.preprocessing",
    "compute_resizing": "explainers.preprocessing",
    "AugmentationGallery": "explainers.preprocessing",
    "compute_augmentation_gallery": "explainers.preprocessing",
    "plot_windowing": "explainers.preprocessing_plots",
    "plot_normalisation": "explainers.preprocessing_plots",
    "plot_resizing": "explainers.preprocessing_plots",
    "plot_augmentation_gallery": "explainers.preprocessing_plots",
    "plot_augmentation_comparison": "explainers.preprocessing_plots",
    # ---- Training histories
    "plot_history": "explainers.history_plots",
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
