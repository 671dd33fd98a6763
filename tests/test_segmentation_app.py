"""AppTest drives the segmentation page; the default recipe must really segment; the example runs."""
from __future__ import annotations

import io
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = "segmentation.py"


def _png(a: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray((np.clip(a, 0, 1) * 255).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.slow
def test_page_trains_live_shows_dice_and_the_lecture_table(app_page):
    # a tiny U-Net for 2 epochs keeps the test short; the numbers are still real
    at = app_page(PAGE, timeout=180, seg_filters="4", seg_depth="1", seg_epochs="2")
    assert not at.exception, at.exception
    assert at.query_params["seg_loss"] == "bce_dice"  # settings written back to the URL
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["|A∩B| = Σ A·B"] == "7.41" and metrics["|A| = Σ A"] == "7.82"
    assert metrics["|B| = Σ B"] == "8.00" and metrics["Dice"] == "0.9368"
    assert metrics["Squared Dice"] == "0.9938"
    assert any("Dice is **0**" in m.value for m in at.markdown)  # the imbalance trap, in words
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception, at.exception
    entry = at.session_state["seg_model"]
    monitor = entry.extra["monitor"]
    assert len(entry.history) == 2 and monitor.epochs == [1, 2]
    assert any(f"validation Dice **{monitor.dice[-1]:.3f}** · IoU **{monitor.iou[-1]:.3f}**" in m.value
               for m in at.markdown)
    assert any("Trained 2 epoch(s)" in s.value for s in at.success)


@pytest.mark.slow
def test_editing_a_cell_of_the_dice_table_changes_the_numbers(app_page):
    at = app_page(PAGE, timeout=180)
    # AppTest has no data_editor API: set the editor's edit state as the browser would
    at.session_state["seg_table_pred"] = {"edited_rows": {3: {"c0": 0.2}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["|A∩B| = Σ A·B"] == f"{7.41 - 0.79:.2f}"
    assert float(metrics["Dice"]) == pytest.approx(2 * 6.62 / (7.82 - 0.79 + 8), abs=1e-4)


@pytest.mark.parametrize("mask_shape, message", [((40, 32), "mask is 40×32"), ((48, 48), None)])
def test_uploaded_pairs_are_checked_with_a_clear_error(mask_shape, message):
    from explainers.segmentation import validate_pair
    from models.data import load_image_bytes

    img = np.random.default_rng(0).random((48, 48))
    mask = np.zeros(mask_shape)
    mask[10:20, 10:20] = 1
    a, b = load_image_bytes(_png(img), "img.png"), load_image_bytes(_png(mask), "mask.png")
    if message is None:
        pair = validate_pair(a, b, size=64)
        x, y = pair.image, pair.mask
        assert x.shape == y.shape == (64, 64, 1) and y.max() == 1.0
    else:
        with pytest.raises(ValueError, match=message):
            validate_pair(a, b, size=64)


@pytest.mark.slow
def test_default_recipe_reaches_dice_above_0_9_on_the_validation_set():
    from explainers.segmentation import compute_segmentation_scores
    from models.recipes import DEFAULT_SEGMENTATION_RECIPE as RECIPE
    from models.recipes import segmentation_data, train_segmentation

    run = train_segmentation(RECIPE)
    data = segmentation_data(RECIPE)
    dice = compute_segmentation_scores(data.y_val, run.model.predict(data.x_val, verbose=0)).dice
    assert run.history.status == "finished" and len(run.history) == RECIPE.epochs
    assert dice.mean() == pytest.approx(run.monitor.dice[-1])
    assert dice.mean() >= 0.9, f"validation Dice {dice.mean():.3f} after {RECIPE.epochs} epochs"


def test_example_script_saves_its_figures(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["segmentation.py", "--out", str(tmp_path), "--quick"])
    runpy.run_path(str(ROOT / "examples" / "segmentation.py"), run_name="__main__")
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert {"dice_table.png", "upsampling.png", "imbalance.png", "panels.png"} <= set(names)


@pytest.mark.slow
def test_without_skip_connections_the_unet_scores_lower_and_its_edges_blur():
    from dataclasses import replace

    from explainers.segmentation import boundary_sharpness
    from models.recipes import DEFAULT_SEGMENTATION_RECIPE, compare_skip_connections

    # A depth-3 U-Net (8×8 bottleneck) for 4 epochs: with seeded starting weights this separates the two for
    # every recipe seed tried (0-3: Dice 0.92-0.93 against 0.84-0.89, edge |∇p| 0.26-0.37 against 0.13-0.26).
    # The former quick run (depth 2, 3 epochs, 128 images, lr 0.01) did only under one global seed: with the
    # seed passed to the initialisers it ended anywhere from Dice 0.02 to 0.58, either model ahead.
    quick = replace(DEFAULT_SEGMENTATION_RECIPE, depth=3, epochs=4)
    comp = compare_skip_connections(quick)
    assert comp.names == ("with skips", "without skips")
    assert comp.dice[0] > comp.dice[1] + 0.03
    assert comp.sharpness[0] > comp.sharpness[1]
    assert comp.params[1] < comp.params[0]  # the decoder convs see fewer channels without the concatenation
    assert boundary_sharpness(comp.probs[0], comp.mask) > boundary_sharpness(comp.probs[1], comp.mask)


def test_the_recipe_builds_the_same_starting_unet_for_the_same_seed_whatever_the_global_seed():
    import keras

    from models.recipes import SegmentationRecipe, build_segmentation_model

    recipe = SegmentationRecipe(depth=1, base_filters=4, seed=3)
    keras.utils.set_random_seed(1)
    first = build_segmentation_model(recipe)
    keras.utils.set_random_seed(2)  # another session's global state must not matter
    second = build_segmentation_model(recipe)
    other = build_segmentation_model(SegmentationRecipe(depth=1, base_filters=4, seed=4))
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(first.get_weights(), other.get_weights()))


def test_training_through_the_recipe_extends_the_pages_history_and_monitor():
    from dataclasses import replace

    from explainers.segmentation import SegmentationMonitor
    from models.recipes import DEFAULT_SEGMENTATION_RECIPE, SegmentationRun, segmentation_data, train_segmentation
    from models.training import TrainingHistory

    recipe = replace(DEFAULT_SEGMENTATION_RECIPE, depth=1, base_filters=4, epochs=1, n_train=32, n_val=8, size=32)
    data = segmentation_data(recipe)
    history, monitor = TrainingHistory(), SegmentationMonitor(data.x_val, data.y_val, n_show=2)
    run = train_segmentation(recipe, data=data, history=history, monitor=monitor)
    again = train_segmentation(recipe, model=run.model, data=data, history=history, monitor=monitor)
    assert isinstance(again, SegmentationRun) and again.model is run.model
    assert again.history is history and again.monitor is monitor
    assert len(history) == 2 and monitor.epochs == [1, 2]


def test_the_real_scans_tab_shows_the_liver_seg_with_areas_and_dice_computed_from_the_file(app_page):
    import pydicom
    from pydicom.data import get_testdata_file

    at = app_page(PAGE, timeout=180, seg_scan="ct_head")
    assert not at.exception and not at.error
    assert at.selectbox(key="seg_scan").value == "ct_head"
    assert any("untrained" in i.value and "come back" in i.value for i in at.info)
    # independent reference: pydicom's own decoding of the SEG and its PixelSpacing
    ds = pydicom.dcmread(get_testdata_file("liver.dcm", download=False))
    masks = ds.pixel_array.astype(bool)
    dice = [2 * (a & b).sum() / (a.sum() + b.sum()) for a, b in zip(masks[:-1], masks[1:])]
    caption = next(c.value for c in at.caption if c.value.startswith("pydicom's DICOM SEG"))
    assert f"{len(masks)} frames of 512×512" in caption
    assert "Dice " + ", ".join(f"{d:.3f}" for d in dice) in caption
    row, col = (float(v) for v in ds.PixelSpacing) if "PixelSpacing" in ds else (
        float(v) for v in ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing)
    areas = [m.sum() * row * col / 100 for m in masks]
    assert "(areas " + ", ".join(f"{a:.1f}" for a in areas) + " cm²" in caption
    assert 150 < areas[0] < 300  # cm² of liver in an axial slice
    assert at.session_state["seg_model"] is not None


@pytest.mark.slow
def test_a_trained_unets_dice_with_the_liver_mrs_marker_is_computed_not_assumed(app_page):
    from sklearn.metrics import f1_score

    from explainers.out_of_distribution import compute_lesion_marker
    from models.data import load_scan, scan_input

    at = app_page(PAGE, timeout=180, seg_filters="4", seg_depth="1", seg_epochs="1", seg_scan="liver_mr")
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception and not at.error
    model = at.session_state["seg_model"].model
    scan = load_scan("liver_mr")
    image = scan_input(scan, 64)
    predicted = np.asarray(model.predict(image[None, ..., None], verbose=0))[0, ..., 0] > 0.5  # p > τ
    marker = compute_lesion_marker(scan.overlay, 64).mask
    dice = f1_score(marker.ravel(), predicted.ravel(), zero_division=1.0)
    assert {m.label: m.value for m in at.metric}["Dice with the marker"] == f"{dice:.3f}"
    assert any(f"calls **{predicted.mean():.1%}**" in m.value for m in at.markdown)
