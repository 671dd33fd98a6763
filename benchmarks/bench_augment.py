"""Augmentation: ``models.data.augment`` on one epoch's training images, against a reused Keras pipeline.

``augment`` builds its Keras layers with their seeds on every call (so a seed
gives one output in any session, and no generator is shared between users);
the baseline is what a script would write: one ``keras.Sequential`` of the same
layers, built once and called again each epoch. The row shows what the
per-call build costs; the MR-like artefacts (NumPy FFTs) are timed on their own.
"""
from __future__ import annotations

__all__ = ["run"]

import numpy as np

from benchmarks.common import Row, best_time


def run(quick: bool) -> list[Row]:
    import keras

    from models.data import make_lesions
    from models.data.augmentation import augment, bias_field, motion_ghosting

    n = 16 if quick else 64  # one epoch of the page's comparison is 48 images
    x = make_lesions(n, 64, seed=0)[0]
    strengths = dict(flip=0.5, rotation=15.0, translation=0.1, noise=0.03)
    pipeline = keras.Sequential([
        keras.layers.RandomFlip("horizontal", seed=1),
        keras.layers.RandomRotation(15.0 / 360.0, seed=2),
        keras.layers.RandomTranslation(0.1, 0.1, seed=3),
        keras.layers.GaussianNoise(0.03, seed=4),
    ])
    seeds = iter(range(10**6))
    repeats = 3 if quick else 20
    ours = best_time(lambda: augment(x, seed=next(seeds), **strengths), repeats=repeats)
    theirs = best_time(lambda: keras.ops.convert_to_numpy(pipeline(x, training=True)), repeats=repeats)
    mr = best_time(lambda: motion_ghosting(bias_field(x, 0.2, seed=0), 0.2, seed=0), repeats=repeats)
    return [
        Row("augment", f"augment {n}×64² (flip, rotation, shift, noise) vs a reused keras.Sequential",
            ours, theirs, "s", theirs / ours, "<= 3x the reused pipeline (layers built per call)",
            theirs / ours >= 1 / 3),
        Row("augment", f"bias field + motion ghosting, {n}×64² (NumPy FFT), per image", mr / n, None, "s", None,
            "<= 5 ms per image", mr / n <= 0.005),
    ]
