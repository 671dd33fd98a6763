"""Occlusion and integrated gradients on one 64x64 image with the lesion CNN: ours (every occluded copy /
every path point batched through one compiled pass per batch) vs the by-hand loop a tutorial writes
(one model.predict per occluded copy; one GradientTape gradient per path point). Both run side by side
in one run on the same model and image, and their maps must agree.
"""
from __future__ import annotations

__all__ = ["run"]

import time

import numpy as np

from benchmarks.common import Row


def _loop_occlusion(model, image, patch, stride):
    """One model.predict per occluded copy (zeros), the drops averaged over the patches covering each pixel."""
    size = image.shape[0]
    f0 = float(model.predict(image[None], verbose=0)[0, 0])
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    total, count = np.zeros(image.shape[:2]), np.zeros(image.shape[:2])
    for r in starts:
        for c in starts:
            copy = image.copy()
            copy[r:r + patch, c:c + patch] = 0.0
            drop = f0 - float(model.predict(copy[None], verbose=0)[0, 0])
            total[r:r + patch, c:c + patch] += drop
            count[r:r + patch, c:c + patch] += 1
    return total / count


def _loop_integrated_gradients(model, image, steps):
    """One GradientTape per path point (trapezoid rule, zero baseline)."""
    import tensorflow as tf

    total = np.zeros(image.shape, dtype=np.float64)
    for k in range(steps + 1):
        point = tf.constant(image[None] * (k / steps))
        with tf.GradientTape() as tape:
            tape.watch(point)
            score = model(point, training=False)[0, 0]
        weight = (0.5 if k in (0, steps) else 1.0) / steps
        total += weight * tape.gradient(score, point).numpy()[0]
    return image * total


def _timed(fn, repeats):
    fn()  # warm-up (compilation)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def run(quick: bool = False) -> list[Row]:
    import keras

    from explainers.attribution import compute_integrated_gradients, compute_occlusion
    from models import build_cnn
    from models.data import make_lesions

    model = build_cnn(seed=0)
    image = make_lesions(1, seed=0, positive_fraction=1.0)[0][0]
    repeats = 2 if quick else 5
    rows = []
    ours = compute_occlusion(model, image, patch=8, stride=4)
    loop = _loop_occlusion(model, image, 8, 4)
    agree = bool(np.allclose(ours.heatmap, loop, atol=1e-5))
    t_ours = _timed(lambda: compute_occlusion(model, image, patch=8, stride=4), repeats)
    t_loop = _timed(lambda: _loop_occlusion(model, image, 8, 4), 1 if quick else 2)
    rows.append(Row("attribution", f"Occlusion 8x8/4 ({ours.drops.size} copies), batched vs model.predict per copy",
                    t_ours * 1e3, t_loop * 1e3, "ms", t_loop / t_ours, ">= 5x faster, maps agree",
                    agree and t_loop / t_ours >= 5.0, f"maps agree: {agree}"))
    if keras.backend.backend() == "tensorflow":
        steps = 64
        ig = compute_integrated_gradients(model, image, steps=steps, method="trapezoid")
        loop_ig = _loop_integrated_gradients(model, image, steps)
        agree = bool(np.allclose(ig.attributions, loop_ig, rtol=1e-3, atol=1e-7))
        t_ours = _timed(lambda: compute_integrated_gradients(model, image, steps=steps, method="trapezoid"), repeats)
        t_loop = _timed(lambda: _loop_integrated_gradients(model, image, steps), 1 if quick else 2)
        rows.append(Row("attribution", f"Integrated gradients, {steps} steps, batched vs one GradientTape per step",
                        t_ours * 1e3, t_loop * 1e3, "ms", t_loop / t_ours, ">= 5x faster, attributions agree",
                        agree and t_loop / t_ours >= 5.0,
                        f"agree: {agree}; completeness error {ig.relative_error:.2%}"))
    return rows


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
