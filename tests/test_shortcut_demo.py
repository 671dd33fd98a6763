"""The Shortcut learning page's ready-trained demo: both models saved after a first run, loaded together with
every number measured again, offered only for the settings they were trained with; the warmup trains it."""
from __future__ import annotations

import io

import numpy as np
import pytest

LOAD = "Load the trained demo"


@pytest.fixture
def short_recipe(monkeypatch, tmp_path):
    """The page's recipe shortened (two epochs of a smaller net) and a fresh demo cache of its own."""
    import models.recipes.shortcut as recipe

    monkeypatch.setitem(recipe.SHORTCUT_RECIPE, "epochs", 2)
    monkeypatch.setitem(recipe.SHORTCUT_RECIPE, "filters", (4, 8))
    monkeypatch.setenv("MEDLENS_CACHE", str(tmp_path))
    from app_pages.ui import demo_cache

    demo_cache.clear()  # the server's cache object follows the folder set above
    yield tmp_path
    demo_cache.clear()


@pytest.mark.slow
def test_both_models_are_saved_and_a_new_session_loads_them_with_the_same_numbers(app_page, short_recipe):
    first = app_page("shortcut.py", timeout=300)
    assert not any(b.label == LOAD for b in first.button)
    first.button(key="sc_train").click().run()
    assert not first.exception
    saved = sorted(p.name.split("-")[0] for p in short_recipe.glob("demos/*.keras"))
    assert saved == ["shortcut", "shortcut_fixed"]

    second = app_page("shortcut.py", timeout=300)
    assert any("Press **Train**" in i.value for i in second.info)
    assert any(b.label == LOAD for b in second.button)
    second.select_slider(key="sc_rate").set_value(0.9).run()  # other data: another run, no offer
    assert not second.exception and not any(b.label == LOAD for b in second.button)
    second.select_slider(key="sc_rate").set_value(0.95).run()
    next(b for b in second.button if b.label == LOAD).click().run()
    assert not second.exception
    shown = [c.value for c in second.caption if c.value.startswith("Showing the ready-trained demo")]
    assert shown and "both models, 2 epochs each" in shown[0] and "continues" not in shown[0]
    a, b = first.session_state["sc_lesson"], second.session_state["sc_lesson"]
    for run in ("shortcut", "fixed"):
        assert a.models[run] is not b.models[run]
        for wa, wb in zip(a.models[run].get_weights(), b.models[run].get_weights()):
            np.testing.assert_array_equal(wa, wb)
        assert b.histories[run].history == a.histories[run].history  # the curves of the run that trained them
    assert b.accuracy == a.accuracy  # measured again on the loaded weights: the trained run's numbers
    metrics = {m.label: m.value for m in second.metric}
    assert metrics["Shortcut, same kind"] == f"{a.same_accuracy:.1%}"
    assert metrics["Fixed, independent"] == f"{a.fixed_accuracy:.1%}"
    assert "sc_attention" in second.session_state  # the heatmaps drawn for the loaded models
    assert not any(b.label == LOAD for b in second.button)


@pytest.mark.slow
def test_the_warmup_trains_the_shortcut_demo_once(short_recipe, monkeypatch):
    import models.warmup as warmup

    monkeypatch.setitem(warmup.DEMO_PAGES, "shortcut.py", "shortcut")  # where models/warmup.py lists it
    out = io.StringIO()
    assert warmup.warm_up(["shortcut"], stream=out) == 0
    assert "shortcut: saved" in out.getvalue()
    assert len(list(short_recipe.glob("demos/*.keras"))) == 2  # both models
    again = io.StringIO()
    assert warmup.warm_up(["shortcut"], stream=again) == 0
    assert "already in the cache" in again.getvalue()
