"""The Volumes page's ready demo and its comparison: a 3-D CNN is trained once per session and settings, then reused."""
from __future__ import annotations

import numpy as np
import pytest


def _volumes(app_page, epochs: int):
    at = app_page("volumes.py", timeout=300)
    at.slider(key="vol_epochs").set_value(epochs).run()
    assert not at.exception
    return at


def _labels(at) -> list[str]:
    return [b.label for b in at.button]


@pytest.mark.slow
def test_the_comparison_reuses_the_3d_cnn_trained_with_the_same_settings_and_trains_one_after_a_change(
        app_page, fresh_cache):
    at = _volumes(app_page, 1)
    at.button(key="vol_train").click().run()
    entry = at.session_state["vol_cnn3d"]
    weights = [w.copy() for w in entry.model.get_weights()]
    at.button(key="vol_compare").click().run()
    assert not at.exception
    comparison = at.session_state["vol_comparison"]
    assert comparison.model_3d is entry.model  # reused, not trained again
    np.testing.assert_array_equal(entry.model.get_weights()[0], weights[0])
    assert len(comparison.history_3d) == 1 and len(comparison.history_2d) == 1
    assert "reused; only the 2-D CNN was trained now" in at.session_state["vol_comparison_note"]
    # Another number of epochs: the session's model ran 1, the comparison needs 2 -> a fresh 3-D CNN is trained.
    at.slider(key="vol_epochs").set_value(2).run()
    at.button(key="vol_compare").click().run()
    assert not at.exception
    again = at.session_state["vol_comparison"]
    assert again.model_3d is not entry.model and len(again.history_3d) == 2 and len(again.history_2d) == 2
    assert len(entry.history) == 1  # the session's own model was left as it was
    np.testing.assert_array_equal(entry.model.get_weights()[0], weights[0])
    assert at.session_state["vol_comparison_note"].startswith("Both CNNs were trained now")


@pytest.mark.slow
def test_the_volumes_demo_is_saved_offered_loaded_hidden_after_a_change_and_used_by_the_comparison(
        app_page, fresh_cache):
    first = _volumes(app_page, 1)
    assert "Load the trained demo" not in _labels(first)  # nothing trained yet on this server
    first.button(key="vol_train").click().run()
    assert not first.exception and list(fresh_cache.glob("demos/volumes-*.keras"))
    trained = first.session_state["vol_cnn3d"]

    second = _volumes(app_page, 1)
    load = [b for b in second.button if b.label == "Load the trained demo"]
    assert load, _labels(second)
    load[0].click().run()
    assert not second.exception
    entry = second.session_state["vol_cnn3d"]
    assert entry.model is not trained.model and entry.history.history == trained.history.history
    for a, b in zip(entry.model.get_weights(), trained.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(c.value.startswith("Showing the ready-trained demo: 1 epochs") for c in second.caption)

    third = _volumes(app_page, 2)
    assert "Load the trained demo" not in _labels(third)  # 2 epochs: not the run that was saved
    third.slider(key="vol_epochs").set_value(1).run()
    assert "Load the trained demo" in _labels(third)
    # The comparison of an untrained session loads the saved 3-D CNN instead of training it, and says so.
    third.button(key="vol_compare").click().run()
    assert not third.exception
    comparison, entry = third.session_state["vol_comparison"], third.session_state["vol_cnn3d"]
    assert comparison.model_3d is entry.model and entry.extra["demo"]
    for a, b in zip(entry.model.get_weights(), trained.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert "the ready-trained demo" in third.session_state["vol_comparison_note"]
    assert len(comparison.history_2d) == 1
    assert list(third.table[-1].value["training (s)"])[1] == "ready-trained demo"
