"""Helpers shared by the data makers (private)."""
from __future__ import annotations

from typing import Any

import numpy as np

from models._arguments import check_int

__all__ = ["check_seed", "frozen"]


def check_seed(seed: Any) -> int:
    """``seed`` as an int >= 0 (the data makers never take ``None``: same call, same data)."""
    return check_int("seed", seed, low=0)


def frozen(a: np.ndarray) -> np.ndarray:
    """``a``, made read-only (the arrays of the frozen dataclasses)."""
    a.setflags(write=False)
    return a
