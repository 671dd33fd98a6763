"""The segmentation page's ready demo and "Train both": a U-Net is trained once per settings, then reused."""
from __future__ import annotations

import numpy as np
import pytest

PAGE = "segmentation.py"
TINY = {"seg_filters": "4", "seg_depth": "1", "seg_epochs": "1"}  # a U-Net of a few hundred weights, one epoch


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _labels(at) -> list[str]:
    return [b.label for b in at.button]


def _mean_dice(model, x, y) -> float:
    """Mean hard Dice over the images, written out with NumPy (empty against empty counts 1)."""
    p = np.asarray(model.predict(x, verbose=0)) >= 0.5
    t = y >= 0.5
    inter = (p & t).sum(axis=(1, 2, 3))
    total = p.sum(axis=(1, 2, 3)) + t.sum(axis=(1, 2, 3))
    return float(np.mean(np.where(total > 0, 2 * inter / np.maximum(total, 1), 1.0)))


@pytest.mark.slow
def test_train_both_reuses_the_unet_trained_with_the_same_settings_and_trains_it_again_after_a_change(
        app_page, fresh_cache):
    at = app_page(PAGE, timeout=240, **TINY)
    _button(at, "Train").click().run()
    entry = at.session_state["seg_model"]
    first = [w.copy() for w in entry.model.get_weights()]
    _button(at, "Train both").click().run()
    assert not at.exception, at.exception
    assert at.session_state["seg_skip_note"] == ("With skips: this session's U-Net from the Train tab, same "
                                                 "settings, reused. Without skips: trained now.")
    assert len(entry.history) == 1  # not trained again
    comp = at.session_state["seg_skip_result"]
    from models.recipes import segmentation_data, SegmentationRecipe

    data = segmentation_data(SegmentationRecipe())
    assert comp.dice[0] == pytest.approx(_mean_dice(entry.model, data.x_val, data.y_val), abs=1e-6)
    # Another learning rate: the session's U-Net ran 0.005, so the comparison trains one of its own.
    at.select_slider(key="seg_lr").set_value(0.01).run()
    _button(at, "Train both").click().run()
    assert not at.exception, at.exception
    assert at.session_state["seg_skip_note"] == "With skips: trained now. Without skips: trained now."
    assert len(entry.history) == 1
    for a, b in zip(entry.model.get_weights(), first):
        np.testing.assert_array_equal(a, b)  # the session's own U-Net was left as it was


@pytest.mark.slow
def test_the_segmentation_demo_is_saved_offered_loaded_with_its_curves_and_hidden_after_a_change(
        app_page, fresh_cache):
    first = app_page(PAGE, timeout=240, **TINY)
    assert "Load the trained demo" not in _labels(first)
    _button(first, "Train").click().run()
    assert not first.exception and len(list(fresh_cache.glob("demos/segmentation-*.keras"))) == 1
    trained = first.session_state["seg_model"]

    second = app_page(PAGE, timeout=240, **TINY)
    _button(second, "Load the trained demo").click().run()
    assert not second.exception, second.exception
    entry = second.session_state["seg_model"]
    for a, b in zip(entry.model.get_weights(), trained.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    ours, theirs = entry.extra["monitor"], trained.extra["monitor"]
    assert ours.epochs == [1] and ours.dice == pytest.approx(theirs.dice) and ours.iou == pytest.approx(theirs.iou)
    assert ours.snapshot is not None
    assert any(f"validation Dice **{theirs.dice[-1]:.3f}**" in m.value for m in second.markdown)
    assert any(c.value.startswith("Showing the ready-trained demo: 1 epochs") for c in second.caption)

    changed = app_page(PAGE, timeout=240, **TINY, seg_lr="0.01")
    assert "Load the trained demo" not in _labels(changed)  # another learning rate: not the run that was saved

    # "Train both" in a new session: the U-Net with skips comes from the cache, its twin is trained and saved.
    fourth = app_page(PAGE, timeout=240, **TINY)
    _button(fourth, "Train both").click().run()
    assert not fourth.exception, fourth.exception
    note = fourth.session_state["seg_skip_note"]
    assert note.startswith("With skips: the ready-trained demo") and note.endswith("Without skips: trained now.")
    assert len(fourth.session_state["seg_model"].history) == 1
    assert len(list(fresh_cache.glob("demos/segmentation-*.keras"))) == 2


@pytest.mark.slow
def test_the_warmup_trains_the_segmentation_demo_once_and_then_finds_it(fresh_cache, monkeypatch):
    import io

    from models import warmup

    monkeypatch.setitem(warmup.DEMO_PAGES, "segmentation.py", "segmentation")  # the page's entry (see the report)
    out = io.StringIO()
    assert warmup.warm_up(["segmentation"], stream=out) == 0
    assert "segmentation: saved" in out.getvalue()
    assert len(list(fresh_cache.glob("demos/segmentation-*.keras"))) == 1
    assert warmup.warm_up(["segmentation"], stream=out) == 0
    assert "segmentation: already in the cache" in out.getvalue()
