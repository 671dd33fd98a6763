"""Loss landscapes: batched, compiled grid evaluation vs its floor and vs a per-point evaluate loop.

Three comparisons, measured side by side in one run:

1. The lesion CNN (64×64 images, 256 of them): the whole steps×steps landscape vs the floor
   steps² × one compiled forward pass of the same images (target: within 1.3× of the floor).
2. A CNN on 28×28 images: per grid point, ours vs ``set_weights`` + ``model.evaluate`` (target ≥ 10×).
3. An MLP: the same comparison, where the linear-first-layer trick applies (target ≥ 50×).
"""
from __future__ import annotations

__all__ = ["run"]

import time

import keras
import numpy as np

from benchmarks.common import Row, best_time


def _landscape_time(model, x, y, steps, repeats=1):
    from explainers.landscape import compute_landscape, random_directions

    dirs = random_directions(model, n=2, seed=0)
    run = lambda: compute_landscape(model, x, y, dirs, steps=steps, span=1.0, n_samples=None)  # noqa: E731
    result = run()  # compile outside the timing
    return best_time(run, repeats=repeats, warmup=0), result


def _forward_time(model, x):
    """Best time of one compiled forward pass of ``x`` (inference mode)."""
    from explainers._backend import compile_function

    fwd = compile_function(lambda t: model(t, training=False))
    xt = keras.ops.convert_to_tensor(x)
    call = lambda: keras.ops.convert_to_numpy(fwd(xt))  # noqa: E731
    return best_time(call, repeats=20, warmup=3)


def _evaluate_loop_per_point(model, x, y, points):
    """Per-point time of the naive way: set_weights(θ* + αδ + βη) then model.evaluate."""
    from explainers.landscape import random_directions

    dirs = random_directions(model, n=2, seed=0)
    base = model.get_weights()
    tv_ids = {id(v) for v in model.trainable_variables}
    where = [i for i, v in enumerate(model.weights) if id(v) in tv_ids]
    grid = np.random.default_rng(0).uniform(-1, 1, size=(points + 1, 2))
    times = []
    for k, (a, b) in enumerate(grid):
        t = time.perf_counter()
        weights = list(base)
        for j, i in enumerate(where):
            weights[i] = base[i] + a * dirs[0][j] + b * dirs[1][j]
        model.set_weights(weights)
        model.evaluate(x, y, batch_size=len(x), verbose=0)
        if k:  # the first call compiles evaluate
            times.append(time.perf_counter() - t)
    model.set_weights(base)
    return float(np.median(times))


def _compiled(model):
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    return model


def run(quick: bool = False) -> list[Row]:
    from models import build_cnn, build_mlp
    from models.data import make_lesions, make_points
    from models.device import device_name

    device = device_name()
    rows = []
    # 1) lesion CNN vs its floor
    steps = 11 if quick else 51
    x, y = make_lesions(256, size=64, seed=0)[:2]
    cnn = _compiled(build_cnn((64, 64, 1), 2, seed=0))
    ours, _ = _landscape_time(cnn, x, y, steps)
    floor = steps * steps * _forward_time(cnn, x)
    rows.append(Row("landscape", f"lesion CNN {steps}×{steps} landscape, 256 images, vs {steps}² forward passes",
                    ours, floor, "s", ours / floor, "<= 1.3× the floor", ours / floor <= 1.3,
                    f"ratio = ours / floor (lower is better) on {device}"))
    # 2) CNN on 28×28 vs per-point evaluate loop
    steps2 = 11 if quick else 21
    x28, y28 = make_lesions(128, size=28, seed=1)[:2]
    cnn28 = _compiled(build_cnn((28, 28, 1), 2, seed=0))
    ours28, _ = _landscape_time(cnn28, x28, y28, steps2, repeats=3)  # best of 3, as the floor is
    ours_pp = ours28 / steps2 ** 2
    loop_pp = _evaluate_loop_per_point(cnn28, x28, y28, 10 if quick else 30)
    rows.append(Row("landscape", "CNN 28×28, 128 images: batched grid vs set_weights + evaluate per point",
                    ours_pp * 1e3, loop_pp * 1e3, "ms/point", loop_pp / ours_pp, ">= 10× faster",
                    loop_pp / ours_pp >= 10, f"{steps2}×{steps2} grid on {device}"))
    # 3) MLP vs per-point evaluate loop (linear-first-layer path)
    steps3 = 21 if quick else 51
    xm, ym = make_points("circle", 512, noise=0.1, seed=0)
    mlp = _compiled(build_mlp(2, (64, 64, 32), "relu", seed=0))
    ours_m, land = _landscape_time(mlp, xm, ym, steps3, repeats=3)
    ours_mpp = ours_m / steps3 ** 2
    loop_mpp = _evaluate_loop_per_point(mlp, xm, ym, 10 if quick else 30)
    rows.append(Row("landscape", "MLP 2-64-64-32-1, 512 points: batched grid vs set_weights + evaluate per point",
                    ours_mpp * 1e3, loop_mpp * 1e3, "ms/point", loop_mpp / ours_mpp, ">= 50× faster",
                    loop_mpp / ours_mpp >= 50, f"{steps3}×{steps3} grid, method {land.method}, on {device}"))
    return rows
