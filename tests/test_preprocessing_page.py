"""The preprocessing explainers against NumPy, SciPy and scikit-image, and the page in AppTest.

Windowing equals the NumPy window and counts grey levels as arithmetic says;
normalisation with one outlier behaves as the formulas say (min-max squeezed
by the range, the z-score moved a little, percentiles not at all); resizing
without anti-aliasing is further from an ideal low-pass than with it; the page
runs, shows its numbers, and trains both runs from one start; its default run is the seed-0 run its
measured text quotes.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from explainers.preprocessing import (compute_augmentation_gallery, compute_normalisation, compute_resizing,
                                      compute_windowing, zone_plate)
from models._arguments import ArgumentError
from models.data import load_scan, scan_input
from models.data.augmentation import augment


@pytest.fixture(scope="module")
def head_ct():
    return load_scan("ct_head")


# ------------------------------------------------------------------ windowing
@pytest.mark.parametrize("level, width", [(40.0, 80.0), (400.0, 1800.0), (-600.0, 1500.0)])
def test_windowing_images_equal_the_numpy_formulas(head_ct, level, width):
    hu = head_ct.pixels.astype(np.float64)
    w = compute_windowing(hu, level, width, padding=head_ct.padding)
    np.testing.assert_allclose(w.images["window"], np.clip((hu - (level - width / 2)) / width, 0, 1), atol=1e-6)
    np.testing.assert_allclose(w.images["min-max of raw values"], (hu - hu.min()) / (hu.max() - hu.min()),
                               atol=1e-6)
    np.testing.assert_allclose(w.images["clipped HU"], (np.clip(hu, -1000, 1000) + 1000) / 2000, atol=1e-6)
    body = hu[~head_ct.padding]
    assert w.counts.sum() == body.size
    assert w.saturated == pytest.approx(((body < level - width / 2).mean(), (body > level + width / 2).mean()))


def test_brain_tissue_gets_every_grey_level_in_a_brain_window_and_few_with_min_max(head_ct):
    w = compute_windowing(head_ct.pixels, 40.0, 80.0, padding=head_ct.padding)
    hu_range = float(head_ct.pixels.max() - head_ct.pixels.min())
    assert w.grey_levels["window"] == pytest.approx(255.0)
    assert w.grey_levels["min-max of raw values"] == pytest.approx(80.0 / hu_range * 255.0)
    assert w.grey_levels["clipped HU"] == pytest.approx(80.0 / 2000.0 * 255.0)
    assert w.grey_levels["min-max of raw values"] < 15


@pytest.mark.parametrize("kwargs", [dict(width=0.0), dict(width=-5.0), dict(level=float("nan")),
                                    dict(clip=(100, -100)), dict(padding=np.zeros((3, 3), bool))])
def test_windowing_refuses_bad_arguments(head_ct, kwargs):
    args = {"level": 40.0, "width": 80.0, **kwargs}
    with pytest.raises(ArgumentError):
        compute_windowing(head_ct.pixels, **args)


# ------------------------------------------------------------------ normalisation
def test_normalisations_of_the_clean_image_equal_the_numpy_formulas():
    x = load_scan("mr").pixels.astype(np.float64)
    n = compute_normalisation(x, percentiles=(1.0, 99.0))
    np.testing.assert_allclose(n.clean["min-max"], (x - x.min()) / np.ptp(x), atol=1e-6)
    np.testing.assert_allclose(n.clean["z-score"], (x - x.mean()) / x.std(), atol=1e-5)
    p1, p99 = np.percentile(x, [1, 99])
    np.testing.assert_allclose(n.clean["percentile"], (x - p1) / (p99 - p1), atol=1e-6)


@pytest.mark.parametrize("factor", [5.0, 10.0, 40.0])
def test_one_outlier_wrecks_min_max_moves_z_score_a_little_and_percentiles_hardly(factor):
    x = load_scan("mr").pixels.astype(np.float64)
    n = compute_normalisation(x, outlier_factor=factor)
    # min-max: the other pixels' spread shrinks by the old range over the new range
    expected = np.ptp(x) / (factor * x.max() - x.min())
    assert n.spread["min-max"] == pytest.approx(expected, rel=1e-3)
    assert n.outlier_value["min-max"] == pytest.approx(1.0)
    # z-score: every pixel is divided by the standard deviation, which the outlier raises
    bad = x.copy()
    bad[n.outlier_at] = factor * x.max()
    assert n.spread["z-score"] == pytest.approx(x.std() / bad.std(), rel=1e-3)
    assert n.outlier_value["z-score"] > 10  # the outlier stays an extreme value
    assert abs(n.spread["percentile"] - 1.0) < 0.01
    assert n.spread["min-max"] < n.spread["z-score"] < n.spread["percentile"]


# ------------------------------------------------------------------ resizing
def test_zone_plate_is_one_at_the_centre_and_reaches_the_asked_frequency_at_the_edge():
    z = zone_plate(256, max_frequency=0.25).astype(np.float64)
    assert z.shape == (256, 256) and 0.0 <= z.min() and z.max() <= 1.0
    row = z[128, 128:] - 0.5  # centre to the right edge
    crossings = np.nonzero(np.diff(np.sign(row[-24:])))[0]
    period = 2 * np.mean(np.diff(crossings))  # two zero crossings per cycle
    assert 1 / period == pytest.approx(0.25, rel=0.1)


def test_resizing_without_anti_aliasing_is_much_further_from_the_ideal_low_pass():
    r = compute_resizing(zone_plate(256), 64)
    assert r.rmse["no anti-aliasing"] > 2.5 * r.rmse["anti-aliased"]
    assert r.reference.shape == r.resized["anti-aliased"].shape == (64, 64) and r.factor == 4.0


def test_resizing_a_real_ct_aliases_without_anti_aliasing():
    r = compute_resizing(scan_input("ct_head", size=None), 64)
    assert r.rmse["no anti-aliasing"] > 1.5 * r.rmse["anti-aliased"]


def test_ideal_low_pass_reference_equals_skimage_on_a_smooth_image():
    from skimage.transform import resize

    g = np.linspace(0, 1, 128)
    smooth = 0.5 + 0.25 * np.cos(2 * np.pi * g[:, None]) * np.cos(np.pi * g[None, :])  # far below Nyquist
    r = compute_resizing(smooth, 32)
    np.testing.assert_allclose(r.reference, resize(smooth, (32, 32), order=3, anti_aliasing=False), atol=5e-3)


def test_resizing_refuses_to_enlarge():
    with pytest.raises(ArgumentError, match="size"):
        compute_resizing(np.zeros((16, 16)), 32)


# ------------------------------------------------------------------ gallery
def test_gallery_copies_are_augment_of_the_repeated_image():
    image = scan_input("mr", size=32)
    g = compute_augmentation_gallery(image, 4, seed=7, flip=0.5, noise=0.05)
    expected = augment(np.repeat(image[None, :, :, None], 4, axis=0), seed=7, flip=0.5, noise=0.05)[..., 0]
    np.testing.assert_array_equal(g.copies, expected)
    assert g.original.shape == image.shape


# ------------------------------------------------------------------ the page
def test_preprocessing_page_runs_and_shows_its_numbers(app_page):
    at = app_page("preprocessing.py")
    assert not at.exception, at.exception
    headers = " ".join(h.value for h in at.subheader)
    for part in ("Windowing", "Normalisation", "Resizing", "Augmentation", "Train with and without"):
        assert part in headers
    captions = " ".join(c.value for c in at.caption)
    assert "255" in captions and "grey levels" in captions  # the brain window's grey levels
    assert any(b.label == "Train" for b in at.button)


def test_a_preset_sets_level_and_width(app_page):
    at = app_page("preprocessing.py")
    at.selectbox(key="prep_preset").set_value("bone").run()
    assert not at.exception
    assert (at.slider(key="prep_level").value, at.slider(key="prep_width").value) == (400, 1800)


def test_a_bad_url_setting_is_ignored_not_a_crash(app_page):
    at = app_page("preprocessing.py", prep_level="abc", prep_n="7")
    assert not at.exception
    assert at.slider(key="prep_level").value == 40


def test_train_runs_both_from_one_start_and_keeps_the_result(app_page):
    at = app_page("preprocessing.py", timeout=180, prep_n="16", prep_epochs="5")
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception, at.exception
    result = at.session_state["prep_aug_result"]
    assert set(result.curves) == {"without", "with"} and result.epochs == 5 and result.n_train == 16
    for curves in result.curves.values():
        assert len(curves["val_accuracy"]) == 5 and np.isfinite(curves["val_loss"]).all()
    assert "Gap" in " ".join(m.value for m in at.markdown)
    at.run()  # a rerun keeps the result
    assert at.session_state["prep_aug_result"] is result


@pytest.mark.slow
def test_default_run_is_the_seed_0_run_the_measured_text_quotes(app_page):
    """Train at the page's defaults (32 images, 20 epochs, the sliders' augmentation) reproduces the gap the
    "What we measured" text gives for seed 0, and the page explains a run that has not caught up."""
    at = app_page("preprocessing.py", timeout=300)
    assert (at.select_slider(key="prep_n").value, at.slider(key="prep_epochs").value) == (32, 20)
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception, at.exception
    result = at.session_state["prep_aug_result"]
    assert (result.n_train, result.epochs, result.seed, result.validation_shift) == (32, 20, 0, {})
    text = " ".join(m.value for m in at.markdown)
    quoted = re.search(r"the sliders' defaults [^*]*\*\*([0-9.]+) → ([0-9.]+)\*\*[^(]*\(seeds 0-5: ([−+0-9.]+),", text)
    assert quoted, "the measured text lost its line for the defaults"
    assert float(quoted.group(3).replace("−", "-")) == pytest.approx(100 * result.gap, abs=0.05)
    fit = {run: result.final(run, "accuracy") for run in result.curves}
    still = f"training accuracy **{fit['with']:.2f}** against **{fit['without']:.2f}** without augmentation"
    assert (still in text) == (fit["with"] < fit["without"] - 0.1)
