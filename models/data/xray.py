"""Synthetic chest X-ray-like images: nodules to classify, lesions and their masks to segment.

Smooth backgrounds (a bright body, two dark lungs, faint ribs, low-frequency
shading), drawn with NumPy only and deterministic given ``seed``.

Example:
    >>> from models.data import make_lesions
    >>> images, labels, centres, radii = make_lesions(8, seed=0)
    >>> images.shape, images.dtype.name, labels.dtype.name
    ((8, 64, 64, 1), 'float32', 'int64')
"""
from __future__ import annotations

import numpy as np

from models._arguments import check_choice, check_float, check_int
from models.data._common import check_seed

__all__ = ["make_lesions", "make_segmentation", "SHORTCUT_MARKERS"]


def _step(z: np.ndarray) -> np.ndarray:
    """A smooth 0 -> 1 step (logistic), without overflow warnings."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))


def _chest(rng: np.random.Generator, n: int, size: int) -> tuple[np.ndarray, dict]:
    """Smooth X-ray-like backgrounds: bright body, two dark lungs, faint ribs.

    Returns the ``(n, size, size)`` float32 backgrounds (without pixel noise)
    and the lung ellipses in pixels (centre rows/cols and semi-axes, ``(n, 2)``).
    """
    f32 = np.float32
    t = np.linspace(0.0, 1.0, size, dtype=f32)
    yy, xx = t[None, :, None], t[None, None, :]
    cy = (0.52 + 0.02 * rng.standard_normal(n)).astype(f32)[:, None, None]
    dx = (0.20 + 0.015 * rng.standard_normal(n)).astype(f32)[:, None, None]
    ay = (0.32 + 0.02 * rng.standard_normal(n)).astype(f32)[:, None, None]
    ax = (0.14 + 0.01 * rng.standard_normal(n)).astype(f32)[:, None, None]
    cxs = (0.5 - dx, 0.5 + dx)
    lungs = 0
    for cx in cxs:
        e = ((yy - cy) / ay) ** 2 + ((xx - cx) / ax) ** 2
        lungs = lungs + _step(10.0 * (1.0 - e))
    body_e = ((yy - 0.5) / 0.56) ** 2 + ((xx - 0.5) / 0.47) ** 2
    body = _step(12.0 * (1.0 - body_e))
    # low-frequency shading: three random plane waves, written separably
    k = 3
    fy = rng.uniform(-2.0, 2.0, (n, k, 1, 1)).astype(f32)
    fx = rng.uniform(-2.0, 2.0, (n, k, 1, 1)).astype(f32)
    ph = rng.uniform(0, 2 * np.pi, (n, k, 1, 1)).astype(f32)
    amp = rng.uniform(0.015, 0.035, (n, k, 1, 1)).astype(f32)
    ay_, ax_ = 2 * np.pi * fy * t[:, None] + ph, 2 * np.pi * fx * t[None, :]
    shade = (amp * (np.cos(ay_) * np.cos(ax_) - np.sin(ay_) * np.sin(ax_))).sum(1)
    # ribs: faint bright bands curving down towards the sides, only over the lungs
    rib_phase = rng.uniform(0, 2 * np.pi, n).astype(f32)[:, None, None]
    rib_freq = rng.uniform(6.0, 8.0, n).astype(f32)[:, None, None]
    u = yy - 0.5 * (xx - 0.5) ** 2
    ribs = np.maximum(np.cos(2 * np.pi * rib_freq * u + rib_phase), 0.0) ** 3
    img = (0.08 + 0.52 * body + 0.12 * yy - 0.30 * lungs + 0.07 * ribs * lungs + shade)
    geometry = {
        "cy": np.repeat(cy[:, 0, 0, None] * (size - 1), 2, 1),
        "cx": np.stack([c[:, 0, 0] for c in cxs], 1) * (size - 1),
        "ay": np.repeat(ay[:, 0, 0, None] * (size - 1), 2, 1),
        "ax": np.repeat(ax[:, 0, 0, None] * (size - 1), 2, 1),
    }
    return img.astype(f32), geometry


#: the spurious markers :func:`make_lesions` can draw (``shortcut=``): a laterality letter "L" in the top left
#: corner, as radiographers put on a film, or a hospital's stamp (a ring round a dot) in the top right corner
SHORTCUT_MARKERS = ("tag", "stamp")


def _marker_glyph(kind: str, size: int) -> tuple[np.ndarray, int, int]:
    """The marker's pixels as a small bool glyph and its top-left corner (row, col) in a ``size`` image.

    Both sit in a top corner, outside the body ellipse's bright part and far from the lungs (the
    lungs start about a fifth of the way down and a sixth of the way in): about 8 × 6 pixels at 64.
    """
    h, w = max(3, round(size / 8)), max(3, round(0.094 * size))
    stroke = max(1, size // 32)
    glyph = np.zeros((h, w), bool)
    margin = max(1, round(0.03 * size))
    if kind == "tag":  # the letter L
        glyph[:, :stroke] = True
        glyph[h - stroke:, :] = True
        return glyph, margin, margin
    w = h  # "stamp": a square ring with a dot in its middle
    glyph = np.zeros((h, w), bool)
    glyph[:stroke, :] = glyph[-stroke:, :] = glyph[:, :stroke] = glyph[:, -stroke:] = True
    c = (h - stroke) // 2
    glyph[c:c + stroke, c:c + stroke] = True
    return glyph, margin, size - margin - w


def make_lesions(n: int = 512, size: int = 64, seed: int = 0, positive_fraction: float = 0.5, *,
                 shortcut: str | None = None, shortcut_rate: float = 0.9
                 ) -> tuple[np.ndarray, ...]:
    """Synthetic chest X-ray-like images, half of them with a bright round nodule.

    What this shows: a CNN can learn to spot a small local pattern (a nodule)
    anywhere in the lungs, even though other regions (the body) are brighter.
    With ``shortcut`` some images also carry a spurious marker that goes with the
    label (Zech et al., PLOS Medicine 2018: pneumonia models that read which
    hospital, and so which marker, an X-ray came from): a model can score well
    by reading the marker instead of the lung.

    Args:
        n: number of images (>= 1).
        size: image side in pixels (>= 16).
        seed: random seed.
        positive_fraction: share of images with a nodule, in [0, 1]
            (exactly ``round(n * positive_fraction)`` are positive).
        shortcut: None (no marker: the images of earlier versions, bit for bit), or one of
            :data:`SHORTCUT_MARKERS`: ``"tag"``, a bright letter "L" in the top left corner
            (a radiograph's laterality marker), or ``"stamp"``, a bright ring round a dot in
            the top right corner (a hospital's stamp). It never touches the lungs or the nodule.
        shortcut_rate: how strongly the marker goes with the label, in [0, 1]:
            P(marker | nodule) = ``shortcut_rate`` and P(marker | no nodule) = 1 − ``shortcut_rate``,
            as exact counts: ``round(shortcut_rate · n_pos)`` of the positives and
            ``round((1 − shortcut_rate) · n_neg)`` of the negatives carry it, chosen at random.
            0.5 makes the marker independent of the label, 1 a perfect proxy, 0 flips it.

    Returns:
        ``(images, labels, centres, radii)``: ``(n, size, size, 1)`` float32 in
        [0, 1]; ``(n,)`` int64 (1 = nodule); ``(n, 2)`` float32 (row, col) of the
        nodule centre in pixels, ``(-1, -1)`` if none; ``(n,)`` float32 nodule
        radius in pixels (size/16 .. size/8), 0 if none.
        With ``shortcut`` a fifth array, ``markers``: ``(n, size, size)`` bool, the
        marker's pixels on each image (all False where an image has none), so
        ``markers.any((1, 2))`` says which images carry it and where. The images are
        those of the same call without ``shortcut`` plus the marker: every pixel off the
        marker is the same.
    """
    n = check_int("n", n, low=1)
    size = check_int("size", size, low=16)
    positive_fraction = check_float("positive_fraction", positive_fraction, low=0.0, high=1.0)
    if shortcut is not None:
        shortcut = check_choice("shortcut", shortcut, SHORTCUT_MARKERS)
        shortcut_rate = check_float("shortcut_rate", shortcut_rate, low=0.0, high=1.0)
    rng = np.random.default_rng(check_seed(seed))
    img, geo = _chest(rng, n, size)
    n_pos = int(round(n * positive_fraction))
    labels = np.zeros(n, dtype=np.int64)
    labels[rng.permutation(n)[:n_pos]] = 1
    pos = labels == 1
    # nodule geometry (drawn for every image, used for positives only: keeps shapes fixed)
    radii = rng.uniform(size / 16, size / 8, n).astype(np.float32)
    side = rng.integers(0, 2, n)
    rows = np.arange(n)
    cy, cx = geo["cy"][rows, side], geo["cx"][rows, side]
    ay, ax = geo["ay"][rows, side], geo["ax"][rows, side]
    rho = 0.75 * np.sqrt(rng.random(n))
    theta = rng.uniform(0, 2 * np.pi, n)
    r_c = cy + rho * np.maximum(ay - radii, 1.0) * np.sin(theta)
    c_c = cx + rho * np.maximum(ax - radii, 1.0) * np.cos(theta)
    centres = np.stack([r_c, c_c], 1).astype(np.float32)
    amplitude = rng.uniform(0.35, 0.50, n).astype(np.float32)
    g = np.arange(size, dtype=np.float32)
    sigma = (0.6 * radii)[:, None, None]
    d2 = (g[None, :, None] - centres[:, 0, None, None]) ** 2 \
        + (g[None, None, :] - centres[:, 1, None, None]) ** 2
    blob = np.exp(-0.5 * d2 / sigma**2)
    img += np.where(pos, amplitude, 0.0).astype(np.float32)[:, None, None] * blob
    markers = None
    if shortcut is not None:
        # A generator of its own, so the images' draws (and without a marker the images) stay as they were.
        marker_rng = np.random.default_rng([check_seed(seed), 21])
        has = np.zeros(n, bool)
        for cls, rate in ((1, shortcut_rate), (0, 1.0 - shortcut_rate)):
            members = np.flatnonzero(labels == cls)
            has[marker_rng.permutation(members)[:int(round(rate * len(members)))]] = True
        glyph, top, left = _marker_glyph(shortcut, size)
        markers = np.zeros((n, size, size), bool)
        markers[has, top:top + glyph.shape[0], left:left + glyph.shape[1]] = glyph
        # radiopaque: the marker's pixels become as bright as bone, before the pixel noise
        img[markers] = np.maximum(img[markers], 0.9)
    img += rng.normal(0.0, 0.03, img.shape).astype(np.float32)
    np.clip(img, 0.0, 1.0, out=img)
    centres[~pos] = -1.0
    radii = np.where(pos, radii, 0.0).astype(np.float32)
    if markers is not None:
        return img[..., None], labels, centres, radii, markers
    return img[..., None], labels, centres, radii


def make_segmentation(n: int = 256, size: int = 64, seed: int = 0
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic X-ray-like images with one or two bright elliptic lesions and their masks.

    What this shows: segmentation predicts a label per pixel; the mask is the
    answer a U-Net learns to draw.

    Args:
        n: number of images (>= 1).
        size: image side in pixels (>= 16).
        seed: random seed.

    Returns:
        ``(images, masks)``, both ``(n, size, size, 1)`` float32; images in [0, 1],
        masks in {0, 1} (1 = lesion), lesions covering about 3-15 % of each image.
    """
    n = check_int("n", n, low=1)
    size = check_int("size", size, low=16)
    rng = np.random.default_rng(check_seed(seed))
    img, _ = _chest(rng, n, size)
    f32 = np.float32
    two = rng.random(n) < 0.5
    frac = rng.uniform(0.045, 0.12, n)
    share = np.where(two, rng.uniform(0.4, 0.6, n), 1.0)
    fracs = np.stack([frac * share, frac * (1 - share)], 1)  # (n, 2); second is 0 if one lesion
    q = rng.uniform(0.55, 1.0, (n, 2))  # minor / major axis
    a = np.sqrt(np.maximum(fracs, 1e-9) * size * size / (np.pi * q))  # major semi-axis, px
    b = q * a
    angle = rng.uniform(0, np.pi, (n, 2))
    # centres: lesion 0 on a random side, lesion 1 on the other, fully inside the image
    left = rng.random(n) < 0.5
    half = np.stack([np.where(left, 0, 1), np.where(left, 1, 0)], 1)
    lo_c = np.where(half == 0, a + 1, size / 2 + 1)
    hi_c = np.where(half == 0, size / 2 - 1, size - 2 - a)
    cols = lo_c + rng.random((n, 2)) * np.maximum(hi_c - lo_c, 0)
    rows = a + 1 + rng.random((n, 2)) * np.maximum(size - 3 - 2 * a, 0)
    g = np.arange(size, dtype=f32)
    dy = g[None, None, :, None] - rows.astype(f32)[:, :, None, None]
    dx = g[None, None, None, :] - cols.astype(f32)[:, :, None, None]
    cos, sin = np.cos(angle).astype(f32)[..., None, None], np.sin(angle).astype(f32)[..., None, None]
    u, v = dx * cos + dy * sin, -dx * sin + dy * cos
    e = (u / a.astype(f32)[..., None, None]) ** 2 + (v / b.astype(f32)[..., None, None]) ** 2
    present = np.stack([np.ones(n, bool), two], 1)[..., None, None]
    inside = (e <= 1.0) & present
    masks = inside.any(1)
    soft = _step(12.0 * (1.0 - e)) * present  # soft edge for the image
    amplitude = rng.uniform(0.22, 0.35, (n, 2)).astype(f32)[..., None, None]
    img += (amplitude * soft).max(1)
    img += rng.normal(0.0, 0.04, img.shape).astype(f32)
    np.clip(img, 0.0, 1.0, out=img)
    return img[..., None], masks.astype(f32)[..., None]


# ---- Transfer-learning source tasks: images that are not chest X-rays, to pretrain on
__all__ += ["TRANSFER_SHAPES", "make_spots_task", "make_shapes_task", "make_digits_task"]

TRANSFER_SHAPES = ("disc", "square", "horizontal bar", "vertical bar")


def make_spots_task(n: int = 800, size: int = 64, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic 2-class source task: is there a small bright spot on a cluttered background?

    Backgrounds are random large ellipses, brighter or darker than their
    surroundings, with sharp or soft edges (like cells, organs or tissue in
    other kinds of images); half of the images get one small Gaussian spot.
    A CNN that solves it has learned spot detectors that ignore large bright
    structures, which is what a nodule detector needs, without ever seeing a
    chest image.

    Returns:
        ``(images, labels)``: ``(n, size, size, 1)`` float32 in [0, 1] and ``(n,)`` int64 in {0, 1}.
    """
    n, size = check_int("n", n, low=1), check_int("size", size, low=16)
    rng = np.random.default_rng(check_seed(seed))
    g = np.arange(size, dtype=np.float32)
    x = np.empty((n, size, size), np.float32)
    y = rng.integers(0, 2, n)
    for i in range(n):
        img = np.full((size, size), rng.uniform(0.05, 0.4), np.float32)
        for _ in range(rng.integers(2, 6)):
            cy, cx = rng.uniform(0, size, 2)
            sy, sx = rng.uniform(size / 10, size / 2, 2)
            e = ((g[:, None] - cy) / sy) ** 2 + ((g[None] - cx) / sx) ** 2
            edge = np.clip(rng.uniform(2, 12) * (1 - e), -30, 30)
            img += rng.uniform(-0.3, 0.4) / (1 + np.exp(-edge))
        if y[i]:
            r = rng.uniform(size / 16, size / 8) * 0.6  # the lesion set's nodule sizes
            cy, cx = rng.uniform(r + 2, size - r - 2, 2)
            img += rng.uniform(0.3, 0.5) * np.exp(-0.5 * ((g[:, None] - cy) ** 2 + (g[None] - cx) ** 2) / r**2)
        x[i] = img + rng.normal(0, 0.03, (size, size))
    return np.clip(x, 0, 1)[..., None], y.astype("int64")


def make_shapes_task(n: int = 800, size: int = 64, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic 4-class source task: a bright disc, square or bar at a random place on noise.

    Its useful features (bright-blob and edge detectors that fire anywhere) are
    what a nodule detector needs too, but no lesion image is ever seen.

    Returns:
        ``(images, labels)``: ``(n, size, size, 1)`` float32 in [0, 1] and ``(n,)`` int64, the index
        in :data:`TRANSFER_SHAPES`.
    """
    n, size = check_int("n", n, low=1), check_int("size", size, low=16)
    rng = np.random.default_rng(check_seed(seed))
    rr, cc = np.mgrid[:size, :size]
    x = (0.3 + 0.1 * rng.standard_normal((n, size, size))).astype("float32")
    y = rng.integers(0, len(TRANSFER_SHAPES), n)
    for i in range(n):
        r = rng.uniform(3, size / 8)
        cr, cx = rng.uniform(r + 2, size - r - 2, size=2)
        if y[i] == 0:
            mask = (rr - cr) ** 2 + (cc - cx) ** 2 <= r * r
        elif y[i] == 1:
            mask = (np.abs(rr - cr) <= r) & (np.abs(cc - cx) <= r)
        elif y[i] == 2:
            mask = (np.abs(rr - cr) <= max(r / 3, 1)) & (np.abs(cc - cx) <= 2 * r)
        else:
            mask = (np.abs(rr - cr) <= 2 * r) & (np.abs(cc - cx) <= max(r / 3, 1))
        x[i][mask] += rng.uniform(0.3, 0.6)
    return np.clip(x, 0, 1)[..., None], y.astype("int64")


def make_digits_task(n: int = 600, size: int = 64, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits (8×8) blown up and placed at random on a ``size``×``size`` image: 10 classes.

    Returns:
        ``(images, labels)``: ``(n, size, size, 1)`` float32 in [0, 1] and ``(n,)`` int64 digits
        (``n`` at most 1797).
    """
    from models.data.tables import load_digits

    n, size = check_int("n", n, low=1, high=1797), check_int("size", size, low=16)
    x, y = load_digits()
    rng = np.random.default_rng(check_seed(seed))
    idx = rng.permutation(len(x))[:n]
    scale = size // 16
    big = np.kron(x[idx, :, :, 0], np.ones((scale, scale), dtype="float32"))  # (n, 8s, 8s)
    out = np.zeros((len(idx), size, size, 1), dtype="float32")
    side = big.shape[1]
    for i, img in enumerate(big):
        r, c = rng.integers(0, size - side + 1, size=2)
        out[i, r: r + side, c: c + side, 0] = img
    return out, y[idx]
