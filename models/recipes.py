"""Recipes: everything in medlens that trains a model for a lesson.

Explainers explain a model they are given; the lessons that need a model
trained a particular way (a segmentation recipe, transfer strategies, the
approximation fits, the batch-size comparison) train it here, through
:func:`models.train`, and return a frozen dataclass the explainers and pages
read. Every recipe takes ``seed=`` and never seeds a global generator: the app
serves many students from one process.
"""
from __future__ import annotations

__all__: list[str] = []

# ---- Basics: the approximation fits and the batch-size comparison

# ---- Transfer learning: the four strategies

# ---- Segmentation: the default recipe and the skip-connection comparison
