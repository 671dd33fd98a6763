"""Universal approximation: one hidden layer of N neurons fits a curve.

The theorem is lecture 003's; the curve 5 cos x + 7 cos 2x + cos 4x is lecture 004's Fourier-basis example.

What this shows: with more hidden neurons the network can bend its output more
often, so f(x) = 5 cos x + 7 cos 2x + cos 4x is fitted better as N grows; at the
same parameter count a deeper, narrower net can do as well or better.

The curve and the parameter budgets live here; training the fits is a recipe,
``models.recipes.fit_curve``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from models._arguments import check_int

__all__ = ["target_curve", "width_for_params"]


def target_curve(x: Any) -> np.ndarray:
    """The lecture's curve 5 cos x + 7 cos 2x + cos 4x."""
    x = np.asarray(x, dtype=np.float64)
    return 5 * np.cos(x) + 7 * np.cos(2 * x) + np.cos(4 * x)


def width_for_params(params: int, depth: int) -> int:
    """The width w of a 1-(w×depth)-1 net whose parameter count is closest to ``params``.

    What this shows: the same budget of weights spent on one wide or several
    narrow layers (the fits themselves are trained by ``models.recipes.fit_curve``).
    """
    params = check_int("params", params, low=1)
    depth = check_int("depth", depth, low=1)

    def count(w: int) -> int:
        return (2 * w) + (depth - 1) * (w * w + w) + (w + 1)

    return min(range(1, 500), key=lambda w: abs(count(w) - params))
