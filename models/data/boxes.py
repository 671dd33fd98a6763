"""Synthetic chest-like images with 0 to 3 nodules each, their boxes, labels and masks: a detection set.

The chest backgrounds are :mod:`models.data.xray`'s (bright body, dark lungs,
faint ribs, low-frequency shading); the nodules are soft-edged ellipses of
different sizes inside the lungs, some faint, some touching a neighbour (two
touching nodules are one connected blob in the semantic mask but two boxes and
two instances: what instance segmentation must split). NumPy only,
deterministic given ``seed``.

Example:
    >>> from models.data.boxes import make_nodule_boxes
    >>> data = make_nodule_boxes(4, seed=0)
    >>> data.images.shape, data.instances.shape, [len(b) for b in data.boxes]
    ((4, 128, 128, 1), (4, 128, 128), [1, 1, 1, 3])
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models._arguments import check_int
from models.data._common import check_seed, frozen
from models.data.xray import _chest

__all__ = ["NoduleBoxes", "make_nodule_boxes"]


@dataclass(frozen=True)
class NoduleBoxes:
    """A detection set: images, one box per nodule, its label, and the nodules' masks.

    Attributes:
        images: ``(n, size, size, 1)`` float32 in [0, 1].
        boxes: one ``(k_i, 4)`` float32 array per image, ``(x0, y0, x1, y1)`` in
            pixels: the nodule's mask spans columns ``x0 .. x1 - 1`` and rows
            ``y0 .. y1 - 1`` (pixel edges, so ``x1 - x0`` is the width in pixels).
        labels: one ``(k_i,)`` int64 array per image, the class of each box
            (1 = nodule: one class, as in lung-nodule detection).
        instances: ``(n, size, size)`` int32, 0 = background, ``j + 1`` = the
            image's ``j``-th nodule (the instance-segmentation answer).
        faint: one ``(k_i,)`` bool array per image: the nodule is faint (low contrast).
        touching: one ``(k_i,)`` bool array per image: the nodule touches another one.
    """

    images: np.ndarray
    boxes: tuple[np.ndarray, ...]
    labels: tuple[np.ndarray, ...]
    instances: np.ndarray
    faint: tuple[np.ndarray, ...]
    touching: tuple[np.ndarray, ...]

    @property
    def masks(self) -> np.ndarray:
        """``(n, size, size, 1)`` float32 in {0, 1}: every nodule's pixels (the semantic mask)."""
        return (self.instances > 0).astype(np.float32)[..., None]

    @property
    def counts(self) -> np.ndarray:
        """``(n,)`` int64: nodules per image."""
        return np.array([len(b) for b in self.boxes], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.images)


def _upsample(a: np.ndarray, size: int) -> np.ndarray:
    """``(n, m, m)`` -> ``(n, size, size)`` by separable linear interpolation, corners aligned."""
    m = a.shape[-1]
    t = np.arange(size) * ((m - 1) / (size - 1))
    i0 = np.minimum(t.astype(int), m - 2)
    w = (t - i0).astype(a.dtype)
    a = a[:, i0] * (1 - w)[:, None] + a[:, i0 + 1] * w[:, None]
    return a[:, :, i0] * (1 - w) + a[:, :, i0 + 1] * w


def _background(rng: np.random.Generator, n: int, size: int) -> tuple[np.ndarray, dict]:
    """:mod:`models.data.xray`'s chest backgrounds, drawn at half the side and enlarged when ``size >= 64``.

    The backgrounds are smooth (the pixel noise is added later), so drawing them
    at half resolution loses nothing visible and takes a quarter of the time.
    """
    if size < 64:
        return _chest(rng, n, size)
    m = size // 2
    small, geo = _chest(rng, n, m)
    scale = (size - 1) / (m - 1)
    return _upsample(small, size), {k: v * scale for k, v in geo.items()}


def make_nodule_boxes(n: int = 512, size: int = 128, *, max_nodules: int = 3, seed: int = 0) -> NoduleBoxes:
    """Chest-like images with 0 to ``max_nodules`` nodules each, and every nodule's box.

    What this shows: detection answers *where* and *how many*: a box per
    nodule, where classification gives one label per image and segmentation a
    label per pixel.

    Nodules are ellipses (axis ratio 0.75 to 1) whose long axis spans ``size / 25``
    to ``size / 6`` pixels (boxes 4 to 21 pixels wide at 128), sit inside the
    lungs, and never overlap. About a quarter are faint
    (contrast 0.07 to 0.11 against pixel noise 0.03, instead of 0.18 to 0.32)
    and about a quarter of the second and third nodules are placed touching the
    one before (edges 0 to 1 pixel apart).

    Args:
        n: number of images (>= 1).
        size: image side in pixels (>= 32).
        max_nodules: most nodules per image (0 to 6); each image gets a uniform
            draw from 0 to ``max_nodules``.
        seed: random seed (same call, same data).

    Returns:
        A :class:`NoduleBoxes`; ``n = 512`` at 128×128 takes 0.6 to 0.7 s of CPU time.
    """
    n = check_int("n", n, low=1)
    size = check_int("size", size, low=32)
    max_nodules = check_int("max_nodules", max_nodules, low=0, high=6)
    rng = np.random.default_rng(check_seed(seed))
    f32 = np.float32
    img, geo = _background(rng, n, size)
    k_max = max(max_nodules, 1)
    counts = rng.integers(0, max_nodules + 1, n)
    present = np.arange(k_max)[None, :] < counts[:, None]  # (n, k)
    radius = rng.uniform(size / 50, size / 12, (n, k_max))  # semi-major axis, px
    q = rng.uniform(0.75, 1.0, (n, k_max))  # minor / major
    angle = rng.uniform(0, np.pi, (n, k_max))
    faint = rng.random((n, k_max)) < 0.25
    amplitude = np.where(faint, rng.uniform(0.07, 0.11, (n, k_max)), rng.uniform(0.18, 0.32, (n, k_max)))
    wants_touch = (rng.random((n, k_max)) < 0.25) & (np.arange(k_max)[None, :] > 0)
    cy, cx = np.zeros((n, k_max)), np.zeros((n, k_max))
    touching = np.zeros((n, k_max), bool)
    rows = np.arange(n)
    for j in range(k_max):
        r = radius[:, j]
        placed = np.zeros(n, bool)
        for attempt in range(40):  # rejection sampling, vectorised over the images still unplaced
            todo = ~placed
            if not todo.any():
                break
            side = rng.integers(0, 2, n)
            lung_y, lung_x = geo["cy"][rows, side], geo["cx"][rows, side]
            ay, ax = geo["ay"][rows, side], geo["ax"][rows, side]
            rho = 0.8 * np.sqrt(rng.random(n))
            theta = rng.uniform(0, 2 * np.pi, n)
            y = lung_y + rho * np.maximum(ay - r, 1.0) * np.sin(theta)
            x = lung_x + rho * np.maximum(ax - r, 1.0) * np.cos(theta)
            touch = wants_touch[:, j] & (attempt < 20)
            if j > 0:  # beside the previous nodule: centres r_prev + r + gap apart
                gap = rng.uniform(0.0, 1.0, n)
                d = radius[:, j - 1] + r + gap
                y = np.where(touch, cy[:, j - 1] + d * np.sin(theta), y)
                x = np.where(touch, cx[:, j - 1] + d * np.cos(theta), x)
            ok = (y - r >= 1) & (y + r <= size - 2) & (x - r >= 1) & (x + r <= size - 2)
            for i in range(j):  # no overlap with the nodules already placed (touching allowed)
                dist = np.hypot(y - cy[:, i], x - cx[:, i])
                limit = radius[:, i] + r + np.where(touch & (i == j - 1), -0.01, 2.0)
                ok &= ~present[:, i] | (dist >= limit)
            take = todo & ok
            cy[take, j], cx[take, j] = y[take], x[take]
            touching[take, j] = touch[take]
            placed |= take
        present[~placed, j] = False  # nowhere to put it (rare): drop it
    touching[:, :-1] |= touching[:, 1:] & present[:, 1:]  # the neighbour touches back
    touching &= present
    q = np.where(touching, 1.0, q)  # touching pairs are discs: their edges 0 to 1 pixel apart
    # each nodule drawn in a patch around its centre (a whole image per nodule took 3x longer)
    half = int(np.ceil(radius.max())) + 3  # the soft edge reaches ~1 px past the ellipse
    pad, side = half + 1, 2 * half + 1
    canvas = np.zeros((n, size + 2 * pad, size + 2 * pad), f32)
    ids = np.zeros(canvas.shape, np.int32)
    boxes_all = np.zeros((n, k_max, 4), f32)
    number = np.cumsum(present, 1)  # instance id of each present nodule: 1, 2, ...
    offsets = np.arange(-half, half + 1)
    ii = rows[:, None, None]
    for j in range(k_max):
        r0 = np.rint(cy[:, j]).astype(int) + pad - half  # patch corner in canvas pixels
        c0 = np.rint(cx[:, j]).astype(int) + pad - half
        dy = (r0[:, None] + np.arange(side) - pad - cy[:, j, None]).astype(f32)[:, :, None]
        dx = (c0[:, None] + np.arange(side) - pad - cx[:, j, None]).astype(f32)[:, None, :]
        cos, sin = np.cos(angle[:, j]).astype(f32)[:, None, None], np.sin(angle[:, j]).astype(f32)[:, None, None]
        u, v = dx * cos + dy * sin, -dx * sin + dy * cos
        a = radius[:, j].astype(f32)[:, None, None]
        e = (u / a) ** 2 + (v / (q[:, j].astype(f32)[:, None, None] * a)) ** 2
        on = present[:, j, None, None]
        rr, cc = r0[:, None, None] + np.arange(side)[None, :, None], c0[:, None, None] + np.arange(side)[None, None, :]
        rr, cc = np.broadcast_to(rr, e.shape), np.broadcast_to(cc, e.shape)
        inside = (e <= 1.0) & on & (ids[ii, rr, cc] == 0)
        ids[ii, rr, cc] = np.where(inside, number[:, j, None, None], ids[ii, rr, cc])
        canvas[ii, rr, cc] += np.where(on, amplitude[:, j, None, None], 0.0).astype(f32) / (
            1.0 + np.exp(np.clip(-8.0 * (1.0 - e), -30.0, 30.0)))
        # the mask's extent, back in image pixels (pixel edges: x1 - x0 is the width)
        x_any, y_any = inside.any(1), inside.any(2)  # (n, side) each
        x0 = np.where(x_any, offsets, side).min(1) + c0 + half - pad
        x1 = np.where(x_any, offsets + 1, -side).max(1) + c0 + half - pad
        y0 = np.where(y_any, offsets, side).min(1) + r0 + half - pad
        y1 = np.where(y_any, offsets + 1, -side).max(1) + r0 + half - pad
        boxes_all[:, j] = np.where(x_any.any(1)[:, None], np.stack([x0, y0, x1, y1], 1), 0.0)
    img += canvas[:, pad:pad + size, pad:pad + size]
    instances = ids[:, pad:pad + size, pad:pad + size]
    img += f32(0.03) * rng.standard_normal(img.shape, dtype=f32)
    np.clip(img, 0.0, 1.0, out=img)
    boxes, labels, faints, touches = [], [], [], []
    for i in range(n):
        keep = present[i]
        boxes.append(frozen(boxes_all[i, keep].copy()))
        labels.append(frozen(np.ones(int(keep.sum()), np.int64)))
        faints.append(frozen(faint[i, keep].copy()))
        touches.append(frozen(touching[i, keep].copy()))
    return NoduleBoxes(frozen(img[..., None]), tuple(boxes), tuple(labels), frozen(instances), tuple(faints),
                       tuple(touches))
