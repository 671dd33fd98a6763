"""Is a heatmap faithful to the model? Deletion and insertion curves (Petsiuk et al., RISE, 2018).

What this shows: a heatmap ranks the pixels by importance; if the ranking is
faithful, removing the top-ranked pixels first should make the class score
fall fast (deletion: a low area under the curve is good) and adding them first
to an empty image should make it rise fast (insertion: a high area is good).
A random ranking is the baseline every method must beat: a map that does no
better than chance says nothing about the model, however plausible it looks.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from explainers.attribution import _check_class_index, _one_image, _outputs, _reference_image, _resolve_class, _select
from models._arguments import check_float, check_int, fail

__all__ = ["DeletionInsertion", "compute_deletion_insertion", "curve_area"]


@dataclass(frozen=True)
class DeletionInsertion:
    """Deletion and insertion curves of several heatmaps of one image, with a random ranking as baseline.

    What this shows: for each method, the class score as its top-ranked pixels
    are removed (deletion: replaced by the baseline; the faster it falls, the
    better) or added to the baseline image (insertion: the faster it rises,
    the better), and the area under each curve. The last row is a random
    ranking (seeded): a method is only informative where it beats it.

    Attributes:
        methods: the names of the maps, in the order given, then ``"random"``.
        fractions: (steps + 1,) share of the pixels removed / added at each step, 0 .. 1.
        deletion: (len(methods), steps + 1) class score after removing each share of the top pixels.
        insertion: (len(methods), steps + 1) class score after adding each share of the top pixels.
        deletion_auc, insertion_auc: (len(methods),) area under each curve over ``fractions`` (trapezoid rule).
        score: f(x) on the image; baseline_score: f on the baseline image (every pixel removed).
        class_index: the class explained.
        baseline: what replaced a removed pixel: a number, ``"mean"``, ``"blur"`` or ``"array"``.
        image: (*S, C) the image; baseline_image: (*S, C) the image with every pixel removed.
        seed: the seed of the random ranking.
    """

    methods: tuple[str, ...]
    fractions: np.ndarray
    deletion: np.ndarray
    insertion: np.ndarray
    deletion_auc: np.ndarray
    insertion_auc: np.ndarray
    score: float
    baseline_score: float
    class_index: int
    baseline: str
    image: np.ndarray
    baseline_image: np.ndarray
    seed: int


def curve_area(y, x) -> float:
    """The area under the curve ``y(x)`` by the trapezoid rule (as ``np.trapezoid``)."""
    y, x = np.asarray(y, dtype=np.float64), np.asarray(x, dtype=np.float64)
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0)


def _as_map(name: str, value, spatial: tuple[int, ...]) -> np.ndarray:
    """A map as (*S): an array or a result with a ``heatmap`` (a trailing channel of 1 is dropped)."""
    value = getattr(value, "heatmap", value)
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        fail(f"maps[{name!r}]", value, "an array of numbers or a result with a heatmap")
    if a.shape == (*spatial, 1):
        a = a[..., 0]
    if a.shape != spatial:
        fail(f"maps[{name!r}]", value, f"a map of the image's spatial shape {spatial}",
             f"got shape {a.shape}; pass the heatmap at the input's resolution")
    if not np.all(np.isfinite(a)):
        fail(f"maps[{name!r}]", value, "a map of finite numbers", "it contains NaN or infinite values")
    return a


def compute_deletion_insertion(model, image, maps: Mapping[str, object], *, steps: int = 32,
                               baseline: float | str = "blur", class_index: int | None = None, seed: int = 0,
                               batch_size: int = 128, blur_sigma: float = 4.0) -> DeletionInsertion:
    """Deletion and insertion curves (Petsiuk et al., 2018) of each heatmap, and of a random ranking.

    What this shows: whether a heatmap ranks the pixels the way the model
    uses them. Deleting a faithful map's top pixels first makes the score
    fall fastest (low deletion AUC); inserting them first into the baseline
    image makes it rise fastest (high insertion AUC). A seeded random ranking
    is the row to beat.

    Pixels are ranked by each map from highest to lowest (all channels of a
    pixel together; ties by position). At step k of ``steps`` the top
    ``round(k / steps · P)`` of the P pixels are removed (deletion: set to the
    baseline) or added (insertion: copied from the image into the baseline
    image); step 0 of deletion is the image, its last step the baseline image,
    and insertion runs the other way.

    Args:
        model: any Keras classifier (sigmoid or softmax head), 2-D or 3-D inputs.
        image: one image (*S, C), (*S) for one channel, or (1, *S, C).
        maps: method name -> heatmap of shape (*S) (e.g. ``compute_gradcam(...).heatmap``), or a result
            with a ``heatmap`` attribute; higher = more important. The name ``"random"`` is reserved.
        steps: steps from none to all of the pixels (the curves have ``steps + 1`` points).
        baseline: what a removed pixel becomes, and the image insertion starts from: ``"blur"``
            (the default: the image blurred by a Gaussian of ``blur_sigma`` pixels, as RISE's
            insertion; the image stays one the model has seen the like of, only its detail goes),
            a number (``0.0``: black, far from any training image for a radiograph), ``"mean"``
            (the image's mean) or an array shaped like the image.
        class_index: the class explained (default: positive for one sigmoid unit, the top class for softmax).
        seed: seed of the random ranking.
        batch_size: images per compiled forward pass.
        blur_sigma: the blur of ``baseline="blur"``, in pixels.

    Returns:
        :class:`DeletionInsertion`.
    """
    x = _one_image(model, image)
    spatial = x.shape[1:-1]
    if not isinstance(maps, Mapping) or not maps:
        fail("maps", maps, "a non-empty mapping of method name -> heatmap")
    if "random" in maps:
        fail("maps", list(maps), "method names other than 'random'", "the random ranking is added as the baseline row")
    ranked = {str(name): _as_map(str(name), value, spatial) for name, value in maps.items()}
    steps = check_int("steps", steps, low=1, high=4096)
    class_index = _check_class_index(model, class_index)
    seed = check_int("seed", seed, low=0)
    batch_size = check_int("batch_size", batch_size, low=1)
    blur_sigma = check_float("blur_sigma", blur_sigma, low=0.0)
    base, label = _reference_image(x, baseline, blur_sigma)
    ci, _ = _resolve_class(model, x, class_index)

    pixels = int(np.prod(spatial))
    counts = np.rint(np.arange(steps + 1) * pixels / steps).astype(np.int64)
    # rank[m, p]: position of pixel p in method m's order (0 = most important)
    orders = [np.argsort(-a.ravel(), kind="stable") for a in ranked.values()]
    orders.append(np.random.default_rng(seed).permutation(pixels))
    rank = np.empty((len(orders), pixels), dtype=np.int64)
    for m, order in enumerate(orders):
        rank[m, order] = np.arange(pixels)

    flat_x, flat_base = x.reshape(pixels, -1), base.reshape(pixels, -1)
    jobs = [(m, k) for m in range(len(orders)) for k in range(steps + 1)]
    deletion = np.empty((len(orders), steps + 1))
    insertion = np.empty((len(orders), steps + 1))
    for begin in range(0, len(jobs), batch_size // 2 or 1):
        chunk = jobs[begin:begin + (batch_size // 2 or 1)]
        chosen = np.stack([rank[m] < counts[k] for m, k in chunk])[..., None]        # (b, P, 1): touched pixels
        removed = np.where(chosen, flat_base, flat_x)                               # deletion images
        added = np.where(chosen, flat_x, flat_base)                                 # insertion images
        batch = np.concatenate([removed, added]).reshape(2 * len(chunk), *x.shape[1:]).astype(np.float32)
        scores = _select(_outputs(model, batch, batch_size), ci)
        for j, (m, k) in enumerate(chunk):
            deletion[m, k], insertion[m, k] = scores[j], scores[len(chunk) + j]
    fractions = counts / pixels
    return DeletionInsertion(
        methods=(*ranked, "random"), fractions=fractions, deletion=deletion, insertion=insertion,
        deletion_auc=np.array([curve_area(d, fractions) for d in deletion]),
        insertion_auc=np.array([curve_area(i, fractions) for i in insertion]),
        score=float(deletion[0, 0]), baseline_score=float(deletion[0, -1]), class_index=ci, baseline=label,
        image=x[0], baseline_image=base[0], seed=seed)
