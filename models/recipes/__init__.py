"""Recipes: everything in medlens that trains a model for a lesson.

Explainers explain a model they are given; the lessons that need a model
trained a particular way (a segmentation recipe, transfer strategies, the
approximation fits, the batch-size comparison) train it here, through
:func:`models.train`, and return a frozen dataclass the explainers and pages
read. Every recipe takes ``seed=`` and never seeds a global generator: the app
serves many students from one process.

One module per lesson: ``basics`` (the approximation fits, the batch-size
comparison), ``transfer`` (the four fine-tuning strategies), ``segmentation``
(the U-Net recipe, the skip-connection comparison). ``from models.recipes
import X`` reaches them all.
"""
from __future__ import annotations

from models.recipes import augmentation, basics, overfitting, segmentation, transfer
from models.recipes.augmentation import (AUGMENTATION_RUNS, DEFAULT_AUGMENTATION, AugmentationComparison,
                                         compare_augmentation)
from models.recipes.overfitting import (DEFAULT_OVERFITTING_AUGMENTATION, REGULARISERS, OverfittingComparison,
                                        build_dense_net, compare_capacity, compare_data_size, compare_dense_conv,
                                        compare_regularisers, overfitting_data)
from models.recipes.basics import (BatchRun, BatchSizeComparison, CurveFit, CurveFits, compare_batch_sizes,
                                   fit_curve)
from models.recipes.segmentation import (DEFAULT_SEGMENTATION_RECIPE, SEGMENTATION_LOSSES, SegmentationData,
                                         SegmentationRecipe, SegmentationRun, build_segmentation_model,
                                         compare_skip_connections, segmentation_data, segmentation_loss,
                                         train_segmentation)
from models.recipes.transfer import (TRANSFER_RULE, TRANSFER_SOURCES, TRANSFER_STRATEGIES, TransferResult,
                                     compare_transfer_strategies, freeze_for_strategy)

__all__ = [*basics.__all__, *transfer.__all__, *segmentation.__all__, *augmentation.__all__, *overfitting.__all__]
from models.recipes import basics_extra  # noqa: E402  cross-entropy and layers as matrices (issue 20)
from models.recipes.basics_extra import *  # noqa: E402,F401,F403
__all__ += basics_extra.__all__
from models.recipes import pooling  # noqa: E402  pooling and CAM (issue 20)
from models.recipes.pooling import *  # noqa: E402,F401,F403
__all__ += pooling.__all__
from models.recipes import detection  # noqa: E402  the nodule detector (issue 19)
from models.recipes.detection import *  # noqa: E402,F401,F403
__all__ += detection.__all__
from models.recipes import sanity  # noqa: E402  sanity checks for saliency maps (issue 21)
from models.recipes.sanity import *  # noqa: E402,F401,F403
__all__ += sanity.__all__
from models.recipes import shortcut  # noqa: E402  shortcut learning caught in the act (issue 21)
from models.recipes.shortcut import *  # noqa: E402,F401,F403
__all__ += shortcut.__all__
from models.recipes import volumes  # noqa: E402  the 3-D CNN and 2-D slices vs 3-D (issue 18)
from models.recipes.volumes import *  # noqa: E402,F401,F403
__all__ += volumes.__all__
