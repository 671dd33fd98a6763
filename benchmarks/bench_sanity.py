"""The sanity-check table (Adebayo et al. 2018): cascading randomisation of the lesion CNN for every method on
8 images, as the page runs it (each model's maps for all images in one batched pass, one clone whose weights are
reassigned per step), against the same checks run one image at a time and averaged. Both must give the same
table for the deterministic methods (SmoothGrad's noise is drawn per call, so it is left out of the check).
"""
from __future__ import annotations

__all__ = ["run"]

import time

import numpy as np

from benchmarks.common import Row


def run(quick: bool = False) -> list[Row]:
    from explainers.sanity import SANITY_METHODS, compute_sanity_checks
    from models.recipes.sanity import build_sanity_cnn, sanity_data, train_sanity_cnn

    data = sanity_data(n_train=64 if quick else 384, n_val=32, seed=0)
    model = build_sanity_cnn("max", seed=1)
    train_sanity_cnn(model, data, epochs=1)  # trained weights, so no method's map is all zero
    images = data.x_val[np.flatnonzero(data.y_val == 1)[:8]]
    methods = tuple(SANITY_METHODS)

    def batched():
        return compute_sanity_checks(model, images, methods=methods, seed=0, independent=False)

    def one_at_a_time():
        return [compute_sanity_checks(model, im[None], methods=methods, seed=0, independent=False) for im in images]

    batched()  # warm-up: compiles every method's function once
    one_at_a_time()
    repeats = 1 if quick else 3
    t_ours, t_base = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        ours = batched()
        t_ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        singles = one_at_a_time()
        t_base.append(time.perf_counter() - t)
    keep = [i for i, m in enumerate(methods) if m != "smoothgrad"]
    mean_single = np.mean([s.cascade_spearman_abs for s in singles], axis=0)
    agree = bool(np.allclose(ours.cascade_spearman_abs[keep], mean_single[keep], atol=1e-3))
    best_ours, best_base = min(t_ours), min(t_base)
    return [Row("sanity", f"sanity-check table: cascading randomisation, {len(methods)} methods x 8 images "
                          f"({len(ours.layers)} steps), batched vs one image at a time",
                best_ours, best_base, "s", best_base / best_ours, "<= 30 s, faster than one at a time",
                best_ours <= 30.0 and best_base / best_ours >= 1.0,
                f"tables agree (all but SmoothGrad): {agree}; best of {repeats}")]


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
