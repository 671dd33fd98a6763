"""medlens.models: Keras 3 builders for the course's six models, offline data and training.

Everything here is imported lazily, so ``import models`` (and ``models.data``)
does not wait for TensorFlow: the app's home page stays instant.

    from models import build_cnn, train
    from models.data import make_lesions
    from models.recipes import train_segmentation   # or: from models import train_segmentation

Builders take ``seed=``: the same arguments and seed give the same starting
net in any session, without a global seed. The recipes' public names
(:mod:`models.recipes`, everything that trains a model for a lesson) are
reachable here too, read from ``models.recipes.__all__`` on first use.
"""
from __future__ import annotations

import importlib
from typing import Any

from models.quiet import quiet_native_logs

quiet_native_logs()  # before anything imports TensorFlow

_LAZY = {
    "build_logistic_neuron": "models.mlp",
    "build_mlp": "models.mlp",
    "build_cnn": "models.cnn",
    "build_gap_cnn": "models.gap_cnn",
    "build_detector": "models.detector",
    "decode_detections": "models.detector",
    "detection_targets": "models.detector",
    "detection_loss": "models.detector",
    "build_resnet": "models.resnet",
    "build_unet": "models.unet",
    "build_cnn3d": "models.cnn3d",
    "build_unet3d": "models.unet3d",
    "build_attention_classifier": "models.attention",
    "build_patch_attention": "models.attention",
    "attention_weights": "models.attention",
    "dice_coefficient": "models.losses",
    "dice_loss": "models.losses",
    "bce_dice_loss": "models.losses",
    "train": "models.training",
    "TrainingHistory": "models.training",
    "Observer": "models.training",
    "EpochProgress": "models.training",
    "DivergenceCheck": "models.training",
    "load_model": "models.io",
    "save_model": "models.io",
    "device_name": "models.device",
    "MODEL_NAMES": "models.zoo",
    "build_model": "models.zoo",
    "demo_data": "models.zoo",
}

_SUBMODULES = ("data", "recipes")

__all__ = sorted(_LAZY) + list(_SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"models.{name}")
    raise AttributeError(f"module 'models' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
