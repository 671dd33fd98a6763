"""Training and test parts of a data set (NumPy only, deterministic given ``seed``)."""
from __future__ import annotations

from typing import Any

import numpy as np

from models._arguments import ArgumentError, check_float, fail
from models.data._common import check_seed

__all__ = ["train_test_split_arrays"]


def train_test_split_arrays(x: Any, y: Any, test_fraction: float = 0.25, seed: int = 0,
                            stratify: bool = True
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split arrays into training and test parts (numpy only, deterministic).

    What this shows: we always judge a model on examples it never trained on;
    stratifying keeps the class proportions the same in both parts.

    Args:
        x: inputs, first axis = examples.
        y: targets with the same first axis (1-D class labels to stratify).
        test_fraction: share of examples for the test part, in (0, 1).
        seed: random seed.
        stratify: keep each class's share equal in both parts (needs 1-D labels;
            pass ``stratify=False`` for masks or other non-class targets).

    Returns:
        ``(x_train, x_test, y_train, y_test)``.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ArgumentError(f"x and y must have the same number of examples, got shapes "
                         f"{x.shape} and {y.shape}")
    test_fraction = check_float("test_fraction", test_fraction, low=0.0, high=1.0, low_open=True)
    if test_fraction >= 1.0:
        fail("test_fraction", test_fraction, "a number strictly between 0 and 1", "e.g. 0.25")
    rng = np.random.default_rng(check_seed(seed))
    n = len(y)
    if n < 2:
        raise ArgumentError(f"x and y must hold at least 2 examples to split, got {n}")
    if stratify:
        if y.ndim != 1:
            raise ArgumentError(f"stratify=True needs 1-D class labels, got y of shape {y.shape}; "
                             f"pass stratify=False to split masks or other targets")
        test_idx = []
        for c in np.unique(y):
            members = rng.permutation(np.flatnonzero(y == c))
            k = int(round(len(members) * test_fraction))
            k = min(k, len(members) - 1) if len(members) > 1 else 0
            test_idx.append(members[:k])
        test = np.concatenate(test_idx)
        if len(test) == 0 or len(test) == n:
            raise ArgumentError(f"stratified split left an empty part (n={n}, "
                             f"test_fraction={test_fraction}); use more examples, a larger "
                             f"test_fraction, or stratify=False")
    else:
        k = min(max(int(round(n * test_fraction)), 1), n - 1)
        test = rng.permutation(n)[:k]
    is_test = np.zeros(n, dtype=bool)
    is_test[test] = True
    tr, te = rng.permutation(np.flatnonzero(~is_test)), rng.permutation(np.flatnonzero(is_test))
    return x[tr], x[te], y[tr], y[te]
