"""Synthetic lung-like volumes with or without a spherical nodule: the 3-D lesion task.

Each volume is a chest cross-section extruded along z with a soft body, two dark
lungs that narrow towards the ends, vessel-like blobs, noise, and, in half of
the volumes, a bright sphere inside one lung. Vectorised over the whole batch, so
256 volumes of 32³ take a fraction of a second.
"""
from __future__ import annotations

import numpy as np

from models._arguments import check_float, check_int
from models.data._common import check_seed

__all__ = ["make_nodules3d"]


def make_nodules3d(n: int = 256, size: int = 32, *, seed: int = 0, positive_fraction: float = 0.5
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lung-like volumes, about half with a spherical nodule, and the nodules' masks.

    What this shows: a 3-D CNN sees a nodule as a sphere across slices, where a
    2-D CNN sees one slice of it, and a vessel crossing a slice looks like a
    nodule in 2-D but is a tube in 3-D.

    Args:
        n: number of volumes (>= 1).
        size: side of the cube in voxels (>= 16).
        seed: random seed.
        positive_fraction: share of volumes with a nodule (exactly ``round(n * positive_fraction)``).

    Returns:
        ``(volumes, labels, masks)``: ``(n, size, size, size, 1)`` float32 in [0, 1]
        (axes z, y, x); ``(n,)`` int64 (1 = nodule); ``(n, size, size, size, 1)``
        float32 masks, 1 inside the nodule (all 0 without one).
    """
    n = check_int("n", n, low=1)
    size = check_int("size", size, low=16)
    positive_fraction = check_float("positive_fraction", positive_fraction, low=0.0, high=1.0)
    rng = np.random.default_rng(check_seed(seed))
    c = (np.arange(size, dtype=np.float32) + 0.5) / size * 2 - 1  # voxel centres in [-1, 1]
    z, y, x = c[:, None, None], c[None, :, None], c[None, None, :]
    body = ((y / 0.85) ** 2 + (x / 0.95) ** 2 < 1).astype(np.float32)
    taper = np.sqrt(np.clip(1 - (z / 1.05) ** 2, 0.0, 1.0))  # lungs narrow towards the ends
    side = np.array([-0.45, 0.45], np.float32)
    lungs = [((y / (0.6 * taper)) ** 2 + ((x - s) / (0.32 * taper)) ** 2 < 1) for s in side]
    lung = np.maximum(*lungs).astype(np.float32)
    vol = np.broadcast_to(0.55 * body - 0.4 * lung, (n, size, size, size)).copy()
    # vessels and texture: coarse noise, upsampled by repetition, then fine noise
    k = max(size // 8, 1)
    coarse = rng.standard_normal((n, size // k + 1, size // k + 1, size // k + 1), dtype=np.float32)
    coarse = coarse.repeat(k, 1).repeat(k, 2).repeat(k, 3)[:, :size, :size, :size]
    vol += 0.05 * coarse * lung
    vol += 0.03 * rng.standard_normal((n, size, size, size), dtype=np.float32)
    labels = np.zeros(n, dtype=np.int64)
    labels[rng.permutation(n)[: int(round(n * positive_fraction))]] = 1
    # a nodule inside one lung: centre at the lung's middle third, radius 2-5 voxels (scaled by size/32)
    radius = (rng.uniform(2.0, 5.0, n) / 16).astype(np.float32)  # in [-1, 1] units: 2-5 voxels at 32³
    which = rng.integers(0, 2, n)
    cz = rng.uniform(-0.4, 0.4, n).astype(np.float32)
    cy = rng.uniform(-0.3, 0.3, n).astype(np.float32)
    cx = side[which] + rng.uniform(-0.1, 0.1, n).astype(np.float32)
    masks = np.zeros((n, size, size, size), np.float32)
    pos = np.flatnonzero(labels == 1)  # only the volumes that get a nodule
    d2 = ((z[None] - cz[pos, None, None, None]) ** 2 + (y[None] - cy[pos, None, None, None]) ** 2
          + (x[None] - cx[pos, None, None, None]) ** 2) / radius[pos, None, None, None] ** 2
    masks[pos] = d2 < 1
    vol[pos] += 0.45 * np.exp(-3 * np.maximum(d2 - 0.6, 0.0))
    vol = np.clip(vol + 0.3, 0.0, 1.0).astype(np.float32)
    return vol[..., None], labels, masks[..., None]
