"""Basics: ROC in NumPy vs scikit-learn, and the playground's per-epoch redraw vs model.predict.

The playground redraws the decision boundary and every hidden neuron while it
trains, so one redraw must cost far less than an epoch. ``compute_decision_boundary``
calls the model once directly; ``model.predict`` builds a data pipeline each call.
"""
from __future__ import annotations

__all__ = ["run"]

import numpy as np

from benchmarks.common import Row, best_time


def run(quick: bool) -> list[Row]:
    from sklearn.metrics import roc_auc_score, roc_curve

    from explainers.boundary import compute_decision_boundary, compute_neuron_maps
    from explainers.boundary_plots import neuron_mosaic
    from explainers.metrics import compute_roc
    from models.data import make_points
    from models.mlp import build_mlp

    rows = []
    rng = np.random.default_rng(0)
    n = 20_000 if quick else 200_000
    y = rng.integers(0, 2, n)
    s = rng.random(n) + 0.3 * y
    ours = best_time(lambda: compute_roc(y, s))
    theirs = best_time(lambda: (roc_curve(y, s, drop_intermediate=False), roc_auc_score(y, s)))
    rows.append(Row("basics", f"compute_roc() vs sklearn roc_curve + roc_auc_score, n={n}", ours, theirs, "s",
                    theirs / ours, "within 2x of scikit-learn", theirs / ours >= 0.5))

    x, _ = make_points("circle", 200, 0.1, seed=0)
    model = build_mlp(2, (8, 8), "tanh", seed=0)
    redraw = best_time(lambda: (compute_decision_boundary(model, x, resolution=60),
                                neuron_mosaic(compute_neuron_maps(model, x, resolution=30))),
                       repeats=3 if quick else 10)
    grid = compute_decision_boundary(model, x, resolution=60).grid
    predict = best_time(lambda: model.predict(grid, verbose=0), repeats=3 if quick else 10)
    rows.append(Row("basics", "playground redraw (boundary 60² + neuron maps) vs one model.predict on the grid",
                    redraw, predict, "s", predict / redraw, "redraw < 0.1 s", redraw < 0.1))
    return rows
