"""A model trained on synthetic images meets a real scan: how far out of distribution is it, and
does its heatmap fall on what a radiologist marked?

What this shows: a network answers every input with a probability, also an
input unlike anything it was trained on. Two numbers put that answer in its
place:

- :func:`compute_intensity_shift`: how far the scan's grey levels lie from the
  training images' (the 1-D Wasserstein distance between the two histograms),
  against how far a typical training image lies from the same pool;
- :func:`compute_heatmap_in_marker`: the share of a Grad-CAM or saliency map's
  mass inside a radiologist's marker against the marker's share of the image
  (the "energy-based pointing game" of Wang et al., 2020, Score-CAM): a map that
  ignores the marker scores about its area share, one that looks only there
  scores 1.

:func:`compute_lesion_marker` turns a DICOM overlay (the liver MR's lesion
outline, ``models.data.load_scan("liver_mr").overlay``) into a filled region at
a network's input size. Compute only (NumPy, SciPy, scikit-image); drawing lives
in :mod:`explainers.out_of_distribution_plots`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from models._arguments import ArgumentError, check_array, check_int, fail

__all__ = [
    "IntensityShift", "compute_intensity_shift", "LesionMarker", "compute_lesion_marker",
    "HeatmapInMarker", "compute_heatmap_in_marker",
]


# ------------------------------------------------------------------ intensity shift
@dataclass(frozen=True)
class IntensityShift:
    """The grey-level histogram of one image against the pooled histogram of a training set.

    What this shows: a real scan fed to a network trained on synthetic images
    has grey levels the network never saw in that mix; ``ratio`` says how many
    times farther it is from the training pool than a typical training image.

    Attributes:
        edges: (bins + 1,) histogram bin edges, shared by both histograms.
        image_hist: (bins,) fraction of the image's pixels in each bin (sums to 1).
        train_hist: (bins,) fraction of all training pixels in each bin (sums to 1).
        distance: 1-D Wasserstein (earth mover's) distance between the two
            histograms, in grey levels: the mean shift needed to turn one into the other.
        train_distances: (m,) the same distance of each training image used to the pool.
        typical_distance: median of ``train_distances``.
        ratio: distance / typical_distance (inf when a typical image sits exactly on the pool).
        farther_than: fraction of the training images that lie closer to the pool than this image.
    """

    edges: np.ndarray
    image_hist: np.ndarray
    train_hist: np.ndarray
    distance: float
    train_distances: np.ndarray
    typical_distance: float
    ratio: float
    farther_than: float


def _histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)[0].astype(np.float64)
    return counts / counts.sum()


def _emd(p: np.ndarray, q: np.ndarray, width: float) -> np.ndarray:
    """W1 between histograms on equal bins: Σ |CDF_p − CDF_q| · width (p, q: (..., bins))."""
    return np.abs(np.cumsum(p, axis=-1) - np.cumsum(q, axis=-1))[..., :-1].sum(axis=-1) * width


def compute_intensity_shift(image: Any, train_images: Any, *, bins: int = 64, max_train: int = 256
                            ) -> IntensityShift:
    """How far one image's grey levels lie from a training set's, in units of the training set's own spread.

    What this shows: whether a network is being asked about something it has
    seen: a real scan windowed to [0, 1] can still have a grey-level mix no
    synthetic training image has, and the network's probability on it then
    means nothing however confident it looks.

    Args:
        image: (H, W) or (H, W, C) the image as the network receives it.
        train_images: (N, H', W'[, C]) the training images (sizes may differ from ``image``).
        bins: histogram bins over the joint value range of both.
        max_train: at most this many training images (the first ones) give the pool and the typical distance.
    """
    bins = check_int("bins", bins, low=2, high=4096)
    max_train = check_int("max_train", max_train, low=2)
    img = check_array("image", image, ndim=(2, 3))
    train = check_array("train_images", train_images, ndim=(3, 4))
    if len(train) < 2:
        fail("train_images", train_images, "at least 2 training images", f"got {len(train)}")
    train = train[:max_train].reshape(min(len(train), max_train), -1).astype(np.float64)
    values = img.ravel().astype(np.float64)
    lo, hi = min(float(train.min()), float(values.min())), max(float(train.max()), float(values.max()))
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    width = (hi - lo) / bins
    train_hist = _histogram(train, edges)
    image_hist = _histogram(values, edges)
    each = np.stack([_histogram(t, edges) for t in train])
    train_distances = _emd(each, train_hist[None], width)
    distance = float(_emd(image_hist, train_hist, width))
    typical = float(np.median(train_distances))
    ratio = distance / typical if typical > 0 else (math.inf if distance > 0 else 1.0)
    return IntensityShift(edges, image_hist, train_hist, distance, train_distances, typical, float(ratio),
                          float(np.mean(train_distances < distance)))


# ------------------------------------------------------------------ lesion marker
@dataclass(frozen=True)
class LesionMarker:
    """A radiologist's marker (a DICOM overlay outline) as a filled region, at the scan's and a network's size.

    What this shows: where, on a real scan, a reader said the lesion is: the
    ground truth a heatmap or a segmentation is held against.

    Attributes:
        outline: (H, W) bool, the overlay pixels of the chosen outline at the scan's size.
        region: (H, W) bool, that outline with its inside filled.
        mask: (h, w) bool, ``region`` resized to the network's input (anti-aliased, then ≥ 0.5).
        area_share: fraction of the (h, w) image the marker covers.
        centre: (row, col) of the marker's centre of mass in the (h, w) image.
        n_marks: number of separate marks in the overlay (outlines, boxes, letters).
    """

    outline: np.ndarray
    region: np.ndarray
    mask: np.ndarray
    area_share: float
    centre: tuple[float, float]
    n_marks: int


def compute_lesion_marker(overlay: Any, size: int | tuple[int, int] | None = None) -> LesionMarker:
    """The lesion a radiologist outlined in a DICOM overlay, filled and resized.

    What this shows: an overlay holds lines, not regions (the liver MR's has the
    lesion's outline, an "F" in a box and a little text); the lesion is the mark
    that encloses the largest area with no other mark inside it (a box around a letter is a
    label), and its filled inside is the region to score against.

    Args:
        overlay: (H, W) bool overlay plane (``Scan.overlay``).
        size: the network's input side or (height, width); None keeps the scan's size.

    Raises:
        ArgumentError: no overlay, or no mark in it encloses an area.
    """
    from scipy import ndimage

    if overlay is None:
        raise ArgumentError("overlay must be a 2-D overlay plane, got None: this scan has no overlay "
                            "(the built-in 'liver_mr' has one)")
    plane = check_array("overlay", overlay, ndim=2, dtype=None).astype(bool)
    h, w = plane.shape
    if size is None:
        shape = (h, w)
    elif isinstance(size, tuple):
        shape = (check_int("size", size[0], low=1), check_int("size", size[1], low=1)) if len(size) == 2 \
            else fail("size", size, "an int, (height, width) or None")
    else:
        side = check_int("size", size, low=1)
        shape = (side, side)
    labels, n = ndimage.label(plane, structure=np.ones((3, 3), bool))  # 8-connected: a drawn line is one mark
    best, best_area = 0, 0
    for k in range(1, n + 1):
        mark = labels == k
        filled = ndimage.binary_fill_holes(mark)
        area = int(filled.sum())
        # A closed outline with nothing else inside: a box around a letter is a label, not a lesion.
        if area > int(mark.sum()) and not (filled & ~mark & (labels > 0)).any() and area > best_area:
            best, best_area = k, area
    if best == 0:
        raise ArgumentError(f"overlay must hold a closed outline around the lesion; none of its {n} marks "
                            "encloses an empty area")
    outline = labels == best
    region = ndimage.binary_fill_holes(outline)
    if shape == (h, w):
        mask = region.copy()
    else:
        from skimage.transform import resize

        mask = resize(region.astype(np.float32), shape, anti_aliasing=True, preserve_range=True) >= 0.5
    if not mask.any():  # a mark smaller than one input pixel: keep the pixel under its centre
        r, c = ndimage.center_of_mass(region)
        mask = np.zeros(shape, bool)
        mask[min(int(r * shape[0] / h), shape[0] - 1), min(int(c * shape[1] / w), shape[1] - 1)] = True
    r, c = ndimage.center_of_mass(mask)
    return LesionMarker(outline, region, mask, float(mask.mean()), (float(r), float(c)), int(n))


# ------------------------------------------------------------------ heatmap in the marker
@dataclass(frozen=True)
class HeatmapInMarker:
    """How much of a heatmap falls inside a marked region, against the region's share of the image.

    What this shows: whether the model looked where the radiologist did. A map
    spread evenly over the image puts ``area_share`` of its mass in the marker
    (``lift`` 1); a map on the lesion alone puts all of it there.

    Attributes:
        image: (H, W) the image explained (grey).
        heatmap: (H, W) the map, ≥ 0.
        mask: (H, W) bool, the marker.
        method: the map's method ("gradcam", "saliency", "smoothgrad").
        score: the model's output for the explained class.
        mass_inside: Σ heatmap inside the marker / Σ heatmap (NaN for an all-zero map).
        area_share: fraction of the pixels inside the marker.
        lift: mass_inside / area_share: 1 is what a uniform map scores.
        peak_inside: the map's largest value lies inside the marker.
    """

    image: np.ndarray
    heatmap: np.ndarray
    mask: np.ndarray
    method: str
    score: float
    mass_inside: float
    area_share: float
    lift: float
    peak_inside: bool


def compute_heatmap_in_marker(result: Any, marker: LesionMarker | Any) -> HeatmapInMarker:
    """The share of a Grad-CAM or saliency map inside a radiologist's marker (energy-based pointing game).

    What this shows: a number for "does the heatmap fall on the lesion?": its
    mass inside the marker against the marker's area share, and whether its peak is inside.

    Args:
        result: a :class:`explainers.saliency.SaliencyMap` (``compute_gradcam`` or ``compute_saliency``).
        marker: a :class:`LesionMarker` at the map's size, or an (H, W) bool mask.
    """
    heatmap = getattr(result, "heatmap", None)
    if heatmap is None:
        fail("result", result, "a SaliencyMap from explainers.compute_gradcam or compute_saliency")
    heat = check_array("result.heatmap", heatmap, ndim=2).astype(np.float64)
    if heat.min() < 0:
        fail("result.heatmap", heatmap, "a map of values ≥ 0", f"its minimum is {heat.min():.3g}")
    mask = marker.mask if isinstance(marker, LesionMarker) else check_array("marker", marker, ndim=2, dtype=None)
    mask = np.asarray(mask).astype(bool)
    if mask.shape != heat.shape:
        fail("marker", marker, f"a mask of the heatmap's size {heat.shape}",
             f"it is {mask.shape}; make it with compute_lesion_marker(overlay, size={heat.shape[0]})")
    if not mask.any():
        fail("marker", marker, "a mask with at least one pixel inside")
    total = heat.sum()
    area = float(mask.mean())
    inside = float(heat[mask].sum() / total) if total > 0 else math.nan
    peak = bool(total > 0 and mask.flat[int(heat.argmax())])
    image = np.asarray(result.image, dtype=np.float64)
    image = image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
    method, score = str(getattr(result, "method", "")), float(getattr(result, "score", math.nan))
    return HeatmapInMarker(image, heat, mask, method, score, inside, area, inside / area, peak)
