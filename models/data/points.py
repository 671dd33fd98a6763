"""Two-class 2-D points in the style of the TensorFlow Playground."""
from __future__ import annotations

import numpy as np

from models._arguments import check_float, check_int, fail
from models.data._common import check_seed

__all__ = ["POINT_KINDS", "make_points"]

POINT_KINDS = ("circle", "xor", "gauss", "spiral", "moons")


def make_points(kind: str, n: int = 200, noise: float = 0.1,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two-class 2-D toy data in the style of the TensorFlow Playground.

    What this shows: which decision boundaries a neuron (a line) can draw and
    which need hidden layers (circle, xor, spiral).

    Args:
        kind: one of :data:`POINT_KINDS` ("circle", "xor", "gauss", "spiral", "moons").
        n: number of points (>= 2); the classes get ``n // 2`` and ``n - n // 2``.
        noise: standard deviation of Gaussian jitter added to every point (>= 0, <= 1).
        seed: random seed.

    Returns:
        ``(x, y)``: ``x`` is ``(n, 2)`` float32 within ``[-1.5, 1.5]``,
        ``y`` is ``(n,)`` int64 in {0, 1}, shuffled.
    """
    if not isinstance(kind, str) or kind.lower() not in POINT_KINDS:
        fail("kind", kind, "one of " + ", ".join(map(repr, POINT_KINDS)))
    kind = kind.lower()
    n = check_int("n", n, low=2)
    noise = check_float("noise", noise, low=0.0, high=1.0)
    rng = np.random.default_rng(check_seed(seed))
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n // 2, n - n // 2])
    m = len(y)
    if kind == "circle":  # class 1 inside, class 0 on a ring around it
        r = np.where(y == 1, 0.5 * np.sqrt(rng.random(m)), rng.uniform(0.7, 1.0, m))
        a = rng.uniform(0, 2 * np.pi, m)
        x = np.stack([r * np.cos(a), r * np.sin(a)], 1)
    elif kind == "xor":  # class 1 in quadrants where x0 * x1 > 0
        x = rng.uniform(0.05, 1.0, (m, 2)) * rng.choice([-1.0, 1.0], (m, 2))
        same = np.sign(x[:, 0]) == np.sign(x[:, 1])
        flip = same != (y == 1)
        x[flip, 1] *= -1
    elif kind == "gauss":
        centre = np.where(y[:, None] == 1, 0.5, -0.5)
        x = centre + 0.25 * rng.standard_normal((m, 2))
    elif kind == "spiral":
        t = rng.random(m)
        a = 1.75 * 2 * np.pi * t + np.pi * y
        x = np.stack([t * np.cos(a), t * np.sin(a)], 1)
    else:  # moons
        from sklearn.datasets import make_moons

        xm, ym = make_moons(n_samples=(n - n // 2, n // 2), noise=0.0,
                            random_state=int(rng.integers(2**31 - 1)))
        x = (xm - [0.5, 0.25]) / 1.5
        y = 1 - ym.astype(np.int64)  # class sizes n // 2 (0) and n - n // 2 (1)
        y = np.asarray(y, dtype=np.int64)
    x = x + noise * rng.standard_normal(x.shape)
    x = np.clip(x, -1.5, 1.5)
    order = rng.permutation(m)
    return x[order].astype(np.float32), y[order].astype(np.int64)
