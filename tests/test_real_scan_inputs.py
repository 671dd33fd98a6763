"""Real scans fed to models trained on synthetic images: the out-of-distribution numbers, checked
against SciPy and scikit-image, and the liver MR's lesion marker found in its overlay."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage, stats

from explainers.out_of_distribution import (
    LesionMarker, compute_heatmap_in_marker, compute_intensity_shift, compute_lesion_marker,
)
from explainers.saliency import SaliencyMap
from models._arguments import ArgumentError


@pytest.fixture(scope="module")
def lesions():
    from models.data import make_lesions

    return make_lesions(96, seed=0)[0]


# ------------------------------------------------------------------ intensity shift
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_intensity_distance_equals_scipys_wasserstein_on_the_histograms(seed):
    rng = np.random.default_rng(seed)
    train = rng.beta(2, 5, (20, 16, 16)).astype(np.float32)
    image = rng.beta(5, 2, (24, 24)).astype(np.float32)
    r = compute_intensity_shift(image, train, bins=32)
    centres = (r.edges[:-1] + r.edges[1:]) / 2
    # scipy on the same two binned distributions: exact
    assert r.distance == pytest.approx(stats.wasserstein_distance(centres, centres, r.image_hist, r.train_hist),
                                       rel=1e-9)
    # and on the raw pixels: within one bin width
    assert r.distance == pytest.approx(stats.wasserstein_distance(image.ravel(), train.ravel()),
                                       abs=r.edges[1] - r.edges[0])
    per_image = [stats.wasserstein_distance(centres, centres, np.histogram(t, r.edges)[0], r.train_hist)
                 for t in train]
    np.testing.assert_allclose(r.train_distances, per_image, rtol=1e-9, atol=1e-12)
    assert r.typical_distance == pytest.approx(np.median(per_image))
    assert r.image_hist.sum() == pytest.approx(1) and r.train_hist.sum() == pytest.approx(1)


@pytest.mark.parametrize("name", ["liver_mr", "ct_head", "chest_xray", "mr", "ultrasound"])
def test_every_real_scan_is_farther_from_the_synthetic_lesions_than_any_of_them(name, lesions):
    from models.data import scan_input

    r = compute_intensity_shift(scan_input(name, 64), lesions)
    # measured: 11.6x (mr) to 32x (liver_mr) a typical lesion image's distance to the pool
    assert r.farther_than == 1.0 and r.ratio > 5, (r.ratio, r.farther_than)


def test_a_held_out_synthetic_image_sits_inside_the_training_spread(lesions):
    from models.data import make_lesions

    r = compute_intensity_shift(make_lesions(4, seed=5)[0][0], lesions)
    assert r.ratio < 3 and r.farther_than < 1.0


@pytest.mark.parametrize("bad, message", [
    (dict(image=np.zeros((4, 4)), train_images=np.zeros((1, 4, 4))), "at least 2 training images"),
    (dict(image=np.zeros(4), train_images=np.zeros((3, 4, 4))), "image must have 2 or 3 dimensions"),
    (dict(image=np.zeros((4, 4)), train_images=np.zeros((3, 4, 4)), bins=1), "bins must be"),
])
def test_bad_arguments_to_the_intensity_shift_say_what_is_wrong(bad, message):
    with pytest.raises(ArgumentError, match=message):
        compute_intensity_shift(**bad)


# ------------------------------------------------------------------ lesion marker
def _overlay(radius=12):
    from skimage.draw import circle_perimeter, rectangle_perimeter

    plane = np.zeros((100, 120), bool)
    plane[circle_perimeter(50, 40, radius)] = True          # the lesion's outline
    plane[rectangle_perimeter((70, 85), (92, 110))] = True    # a label box, larger than the outline ...
    plane[78:86, 96] = True                                  # ... with a letter inside
    plane[10, 60:100] = True                                 # an open line (an arrow's shaft)
    return plane


def test_the_marker_is_the_filled_outline_not_the_label_box_or_a_line():
    from skimage.draw import disk

    m = compute_lesion_marker(_overlay(12))
    assert m.n_marks == 4
    disc = np.zeros((100, 120), bool)
    disc[disk((50, 40), 12.5)] = True
    assert (m.region ^ disc).sum() <= 0.05 * disc.sum()     # the filled circle, pixel for pixel almost
    assert m.centre == pytest.approx((50, 40), abs=0.3)
    assert m.mask.shape == (100, 120) and m.area_share == pytest.approx(disc.mean(), rel=0.05)


@pytest.mark.parametrize("size, shape", [(50, (50, 50)), ((25, 30), (25, 30))])
def test_the_marker_is_resized_to_the_networks_input_keeping_its_area_share(size, shape):
    m = compute_lesion_marker(_overlay(12), size)
    assert m.mask.shape == shape
    full = m.region.mean()
    assert m.area_share == pytest.approx(full, rel=0.2)
    assert m.centre[0] / shape[0] == pytest.approx(0.5, abs=0.03) and m.centre[1] / shape[1] == pytest.approx(
        40 / 120, abs=0.03)


def test_the_liver_mrs_marker_is_the_outline_round_the_lesion():
    from models.data import load_scan

    scan = load_scan("liver_mr")
    m = compute_lesion_marker(scan.overlay, 64)
    rows, cols = np.nonzero(m.outline)
    # the lesion outline (rows 239-273, cols 46-80 of 484; the "F" box at 393-422 is a label)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (239, 273, 46, 80)
    assert m.region.sum() == ndimage.binary_fill_holes(m.outline).sum() == 920
    assert m.mask.sum() >= 9 and m.area_share < 0.01  # a few input pixels: the lesion is small at 64x64


def test_a_scan_without_overlay_or_without_a_closed_mark_is_refused_clearly():
    with pytest.raises(ArgumentError, match="no overlay"):
        compute_lesion_marker(None)
    plane = np.zeros((20, 20), bool)
    plane[5, 2:18] = True
    with pytest.raises(ArgumentError, match="encloses an empty area"):
        compute_lesion_marker(plane)


# ------------------------------------------------------------------ heatmap in the marker
def _saliency(heatmap):
    return SaliencyMap(image=np.zeros((*heatmap.shape, 1)), heatmap=heatmap, method="gradcam", class_index=1,
                       score=0.9)


def _disc_mask():
    mask = np.zeros((32, 32), bool)
    mask[10:16, 20:26] = True
    return mask


def test_a_uniform_map_scores_the_area_share_and_a_map_on_the_marker_scores_one():
    mask = _disc_mask()
    flat = compute_heatmap_in_marker(_saliency(np.ones((32, 32))), mask)
    assert flat.mass_inside == pytest.approx(36 / 1024) == flat.area_share and flat.lift == pytest.approx(1)
    on = compute_heatmap_in_marker(_saliency(mask.astype(float)), mask)
    assert on.mass_inside == 1.0 and on.peak_inside and on.lift == pytest.approx(1024 / 36)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mass_inside_equals_scipys_labelled_sum(seed):
    heat = np.random.default_rng(seed).random((32, 32))
    mask = _disc_mask()
    r = compute_heatmap_in_marker(_saliency(heat), LesionMarker(mask, mask, mask, float(mask.mean()), (12.5, 22.5), 1))
    assert r.mass_inside == pytest.approx(ndimage.sum_labels(heat, mask.astype(int), 1) / ndimage.sum(heat))
    assert r.peak_inside == bool(mask[np.unravel_index(heat.argmax(), heat.shape)])
    assert r.method == "gradcam" and r.score == 0.9


def test_a_marker_of_another_size_is_refused_with_the_size_to_use():
    with pytest.raises(ArgumentError, match=r"size=32"):
        compute_heatmap_in_marker(_saliency(np.ones((32, 32))), np.ones((64, 64), bool))


def test_the_plots_draw_each_result():
    from explainers.out_of_distribution_plots import (
        plot_heatmap_in_marker, plot_intensity_shift, plot_lesion_marker,
    )

    rng = np.random.default_rng(0)
    shift = compute_intensity_shift(rng.random((16, 16)), rng.random((4, 16, 16)))
    assert "typical" in plot_intensity_shift(shift).get_title()
    assert "in marker" in plot_heatmap_in_marker(compute_heatmap_in_marker(_saliency(rng.random((32, 32))),
                                                                           _disc_mask())).get_title()
    assert "marker" in plot_lesion_marker(compute_lesion_marker(_overlay())).get_title()
