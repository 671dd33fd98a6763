"""Synthetic lung-like volumes with or without a spherical nodule, and vessels: the 3-D lesion task.

Each volume is a chest cross-section extruded along z with a soft body, two dark
lungs that narrow towards the ends, coarse and fine noise, bright tubes (vessels)
running along z inside the lungs, and, in a share of the volumes, a bright sphere
(the nodule) inside one lung. A vessel's axial cross-section is a disc with the
nodule's radius range and brightness profile, so one axial slice cannot tell a
vessel from a nodule; the volume can (a tube through 14-26 slices against a
sphere through at most 11). Vectorised over the whole batch: 256 volumes of 32³
take a fraction of a second.
"""
from __future__ import annotations

import numpy as np

from models._arguments import check_float, check_int
from models.data._common import check_seed

__all__ = ["make_nodules3d"]

# Radii of nodules and vessels: 2-5 voxels at 32³, in [-1, 1] units (one voxel is 2/size; scaled with size).
_RADIUS = (2.0 / 16, 5.0 / 16)
_BRIGHTNESS = 0.45           # added at the centre of a nodule or vessel (the lung is about 0.45, so ~0.9 there)
_LENGTH = (0.9, 1.6)         # a vessel's straight part along z in [-1, 1] units (14-26 voxels at 32³)
_TILT = 0.15                 # |dy/dz|, |dx/dz| of a vessel at most: a little oblique
_VESSEL_REACH = 1.25          # radii within which a vessel's profile is over 0.1 of its peak: kept off other objects
_CANDIDATES = 16             # placements tried per vessel; the first that keeps clear of the nodule is kept


def _blob(d2: np.ndarray) -> np.ndarray:
    """The brightness profile of nodules and vessels against the squared distance over the radius squared:
    flat out to 0.77 radii, then falling (0.30 of the peak at one radius, 0.007 at 1.5 radii)."""
    return _BRIGHTNESS * np.exp(-3 * np.maximum(d2 - 0.6, 0.0))


def make_nodules3d(n: int = 256, size: int = 32, *, seed: int = 0, positive_fraction: float = 0.5,
                   vessels: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lung-like volumes with vessels, about half with a spherical nodule, and the nodules' masks.

    What this shows: a 3-D CNN sees a nodule as a sphere across slices, where a
    2-D CNN sees one slice of it; and a vessel, a tube along z, looks exactly
    like a nodule in one axial slice (a bright disc of the same radius and
    brightness) but runs through many slices.

    What is there: a body (an ellipse) with two dark lungs that narrow towards
    both ends of z; coarse and fine noise; in the positives, a sphere (the
    nodule) of radius 2-5 voxels inside one lung, centred within the middle
    40 % of z; and vessels: tubes inside the lungs of radius 2-5 voxels,
    straight along z for 14-26 voxels with rounded ends, tilted by up to 0.15
    voxel sideways per slice (voxel counts for size 32; they scale with size).

    * Every volume draws 1 to ``vessels`` of them, placed clear of the
      nodule's place (their visible edge, 0.1 of the peak, stays a voxel off the
      nodule's mask) and of each other; the lungs are about 10 voxels wide, so
      where no clear place turns up in 16 tries fewer are kept (with 3: one in
      about 90 % of the volumes, two in the rest, three rarely).
    * A negative also gets a stand-in vessel where a positive has its nodule:
      the same centre and radius, at least 3 voxels of tube on either side of
      the centre's slice. A positive holds the nodule and n vessels, a negative
      n + 1 vessels: a slice through the nodule's centre and one through the
      stand-in show the same disc, so neither the count of discs in a slice nor
      their places gives the label away; only the shape across slices does.

    A vessel's axial slice is a disc with exactly the nodule's profile (flat out
    to 0.77 radii, 0.30 of the peak at one radius, under 0.01 beyond 1.5
    radii). Vessels come from their own random stream, so ``vessels=0`` gives
    the same seed's volumes without them (and labels and masks never change).

    Args:
        n: number of volumes (>= 1).
        size: side of the cube in voxels (>= 16).
        seed: random seed.
        positive_fraction: share of volumes with a nodule (exactly ``round(n * positive_fraction)``).
        vessels: the most vessels per volume besides a negative's stand-in (0 to 16; 0: no vessels at all).

    Returns:
        ``(volumes, labels, masks)``: ``(n, size, size, size, 1)`` float32 in [0, 1]
        (axes z, y, x); ``(n,)`` int64 (1 = nodule); ``(n, size, size, size, 1)``
        float32 masks, 1 inside the nodule (all 0 without one; vessels are never masked).
    """
    n = check_int("n", n, low=1)
    size = check_int("size", size, low=16)
    positive_fraction = check_float("positive_fraction", positive_fraction, low=0.0, high=1.0)
    vessels = check_int("vessels", vessels, low=0, high=16)
    seed = check_seed(seed)
    rng = np.random.default_rng(seed)
    c = (np.arange(size, dtype=np.float32) + 0.5) / size * 2 - 1  # voxel centres in [-1, 1]
    z, y, x = c[:, None, None], c[None, :, None], c[None, None, :]
    body = ((y / 0.85) ** 2 + (x / 0.95) ** 2 < 1).astype(np.float32)
    taper = np.sqrt(np.clip(1 - (z / 1.05) ** 2, 0.0, 1.0))  # lungs narrow towards the ends
    side = np.array([-0.45, 0.45], np.float32)
    lungs = [((y / (0.6 * taper)) ** 2 + ((x - s) / (0.32 * taper)) ** 2 < 1) for s in side]
    lung = np.maximum(*lungs).astype(np.float32)
    vol = np.broadcast_to(0.55 * body - 0.4 * lung, (n, size, size, size)).copy()
    # texture: coarse noise, upsampled by repetition, then fine noise
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
    vol[pos] += _blob(d2)
    if vessels:
        # a negative gets a vessel where a positive has its nodule (the place drawn above for every volume); the
        # other vessels keep clear of that place in every volume, so they do not depend on the label
        vol += _vessels(np.random.default_rng([seed, 1]), labels, vessels, z, y, x, side, radius, cz, cy, cx,
                        2.0 / size)
    vol = np.clip(vol + 0.3, 0.0, 1.0).astype(np.float32)
    return vol[..., None], labels, masks[..., None]


def _axis_points(z: np.ndarray, z0: np.ndarray, z1: np.ndarray, y0: np.ndarray, x0: np.ndarray, ty: np.ndarray,
                 tx: np.ndarray) -> np.ndarray:
    """The point of a capsule's axis that the distance of a voxel at height ``z`` is measured to, (..., 3, D)."""
    zc = np.clip(z, z0[..., None], z1[..., None])
    return np.stack([zc, y0[..., None] + ty[..., None] * zc, x0[..., None] + tx[..., None] * zc], axis=-2)


def _vessels(rng: np.random.Generator, labels: np.ndarray, most: int, z: np.ndarray, y: np.ndarray, x: np.ndarray,
             side: np.ndarray, radius: np.ndarray, cz: np.ndarray, cy: np.ndarray, cx: np.ndarray,
             voxel: float) -> np.ndarray:
    """The vessels' brightness (n, D, H, W): a stand-in through the nodule's place in the negatives, and 1 to
    ``most`` more per volume, clear of the nodule's place and of each other.

    A vessel is the segment from (z0, y(z0), x(z0)) to (z1, y(z1), x(z1)), with y(t) = y0 + ty·t and
    x(t) = x0 + tx·t, and a voxel's distance to it is measured to the point a(z) of the segment at the voxel's
    own z (clamped to [z0, z1]): within [z0, z1] that is the in-plane distance, so every axial slice through
    the vessel is a disc of its radius, and beyond the ends it is a hemisphere. The nodule is such a capsule of
    length 0 (a(z) is its centre). Two objects keep clear when |a1(z) - a2(z)| >= k1·r1 + k2·r2 + one voxel at
    every voxel's z (k = _VESSEL_REACH for a vessel, where its profile falls under 0.1 of the peak; 1 for the
    nodule's mask): by the triangle inequality no voxel is then within k1·r1 of one and k2·r2 of the other.
    The other vessels keep clear of both the nodule and the stand-in in every volume, so where they go does
    not depend on the label.
    """
    n = len(labels)
    zs = z.ravel()
    # the stand-in: the nodule's radius, through its centre at z = cz, straight for 14-26 voxels with cz at least
    # 0.2 (3 voxels at 32³) from either end, inside z in [-0.85, 0.85]
    length = rng.uniform(*_LENGTH, n).astype(np.float32)
    low, high = np.maximum(-0.85, cz + 0.2 - length), np.minimum(0.85 - length, cz - 0.2)
    z0_in = (low + rng.uniform(0.0, 1.0, n) * (high - low)).astype(np.float32)
    tx_in = rng.uniform(-_TILT, _TILT, n).astype(np.float32)
    ty_in = rng.uniform(-_TILT, _TILT, n).astype(np.float32)
    stand_in = dict(r=radius, x0=cx - tx_in * cz, y0=cy - ty_in * cz, tx=tx_in, ty=ty_in, z0=z0_in,
                    z1=z0_in + length)
    # the others: `_CANDIDATES` placements drawn per slot, the first clear one kept
    count = rng.integers(1, most + 1, n)
    shape = (n, most, _CANDIDATES)
    r = rng.uniform(*_RADIUS, shape).astype(np.float32)
    lung = rng.integers(0, 2, shape)
    x0 = (side[lung] + rng.uniform(-0.1, 0.1, shape)).astype(np.float32)
    y0 = rng.uniform(-0.3, 0.3, shape).astype(np.float32)
    tx = rng.uniform(-_TILT, _TILT, shape).astype(np.float32)
    ty = rng.uniform(-_TILT, _TILT, shape).astype(np.float32)
    length = rng.uniform(*_LENGTH, shape).astype(np.float32)
    z0 = (-0.85 + rng.uniform(0.0, 1.0, shape) * (1.7 - length)).astype(np.float32)
    others = dict(r=r, x0=x0, y0=y0, tx=tx, ty=ty, z0=z0, z1=z0 + length)

    def axis(p: dict[str, np.ndarray]) -> np.ndarray:
        return _axis_points(zs, p["z0"], p["z1"], p["y0"], p["x0"], p["ty"], p["tx"])

    candidates = axis(others)                                                    # (n, most, K, 3, D)
    nothing = np.zeros_like(cx)
    placed = [(_axis_points(zs, cz, cz, cy, cx, nothing, nothing), radius),     # (axis points (n, 3, D), reach)
              (axis(stand_in), _VESSEL_REACH * radius)]
    chosen = np.zeros((n, most), np.int64)
    keep = np.zeros((n, most), bool)
    rows = np.arange(n)
    for j in range(most):
        clear = np.ones((n, _CANDIDATES), bool)
        for points, reach in placed:
            gap = np.sqrt(((candidates[:, j] - points[:, None]) ** 2).sum(axis=-2)).min(axis=-1)  # (n, K)
            clear &= gap >= reach[:, None] + _VESSEL_REACH * r[:, j] + voxel
        chosen[:, j] = np.argmax(clear, axis=-1)                                 # the first clear candidate
        keep[:, j] = clear.any(axis=-1) & (j < count)
        k = chosen[:, j]
        # a vessel left out (no clear place, or beyond this volume's count) keeps nothing clear: reach -inf
        placed.append((candidates[rows, j, k], np.where(keep[:, j], _VESSEL_REACH * r[rows, j, k], -np.inf)))
    out = np.zeros((n, z.shape[0], y.shape[1], x.shape[2]), np.float32)
    negatives = np.flatnonzero(labels == 0)
    drawn = [(negatives, {name: a[negatives] for name, a in stand_in.items()})]
    for j in range(most):
        idx = np.flatnonzero(keep[:, j])
        drawn.append((idx, {name: a[idx, j, chosen[idx, j]] for name, a in others.items()}))
    for idx, p in drawn:
        if not len(idx):
            continue
        p = {name: a[:, None, None, None] for name, a in p.items()}
        zc = np.clip(z[None], p["z0"], p["z1"])                                  # (m, D, 1, 1)
        d2 = ((z[None] - zc) ** 2 + (y[None] - p["y0"] - p["ty"] * zc) ** 2
              + (x[None] - p["x0"] - p["tx"] * zc) ** 2) / p["r"] ** 2
        out[idx] = np.maximum(out[idx], _blob(d2))
    return out
