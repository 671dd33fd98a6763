"""Ready-trained demos: saved once atomically, loaded in safe mode into each session's own model, honestly labelled."""
from __future__ import annotations

import json

import numpy as np
import pytest

from models._arguments import ArgumentError
from models.demo_cache import DemoCache, cache_dir


def _trained_mlp(seed=0):
    from models.mlp import build_mlp
    from models.training import train

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    m = build_mlp(2, (4,), seed=seed)
    return m, train(m, x, y, epochs=2, batch_size=16), x


def test_a_saved_demo_loads_into_another_model_with_the_same_weights_and_history(tmp_path):
    from models.mlp import build_mlp

    cache = DemoCache(tmp_path)
    model, history, x = _trained_mlp()
    settings = (("mlp", 4), 2, 0.001)
    assert cache.find("playground", settings) is None
    cache.save("playground", settings, model, history)
    saved = cache.find("playground", settings)
    assert saved is not None and saved.epochs == 2
    fresh = build_mlp(2, (4,), seed=1)
    restored = cache.load_into(saved, fresh)
    assert fresh is not model  # the session keeps its own model object
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    assert restored.history == history.history and restored.status == "finished"
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".keras"]  # no temporary file left


def test_other_settings_or_another_architecture_never_load(tmp_path):
    from models.mlp import build_mlp

    cache = DemoCache(tmp_path)
    model, history, _ = _trained_mlp()
    cache.save("playground", ("a",), model, history)
    assert cache.find("playground", ("b",)) is None and cache.find("cnn", ("a",)) is None
    with pytest.raises(ArgumentError, match="another architecture"):
        cache.load_into(cache.find("playground", ("a",)), build_mlp(2, (5,), seed=0))


def test_a_file_whose_settings_do_not_match_its_name_is_ignored(tmp_path):
    cache = DemoCache(tmp_path)
    model, history, _ = _trained_mlp()
    saved = cache.save("playground", ("a",), model, history)
    meta = saved.weights.with_suffix(".json")
    info = json.loads(meta.read_text())
    info["settings"] = repr(("tampered",))
    meta.write_text(json.dumps(info))
    assert cache.find("playground", ("a",)) is None


@pytest.mark.parametrize("env, expected", [({"MEDLENS_CACHE": "/srv/medlens"}, "/srv/medlens"),
                                           ({"MEDLENS_CACHE": "", "XDG_CACHE_HOME": "/x"}, "/x/medlens")])
def test_the_cache_folder_comes_from_the_environment(monkeypatch, env, expected):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert str(cache_dir()) == expected


def test_the_cnn_page_saves_its_first_default_run_and_a_new_session_loads_it(app_page, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLENS_CACHE", str(tmp_path))
    from app_pages.ui import demo_cache

    demo_cache.clear()  # the server's cache object follows the folder set above
    try:
        first = app_page("cnn.py", cnn_epochs="1")
        next(b for b in first.button if b.label == "Train").click()
        first.run(timeout=180)
        assert not first.exception
        assert list(tmp_path.glob("demos/cnn-*.keras"))
        second = app_page("cnn.py", cnn_epochs="1")
        load = [b for b in second.button if b.label == "Load the trained demo"]
        assert load, [b.label for b in second.button]
        load[0].click()
        second.run(timeout=120)
        assert not second.exception
        shown = [c.value for c in second.caption if c.value.startswith("Showing the ready-trained demo")]
        assert shown and "1 epochs" in shown[0]
        a, b = first.session_state["cnn_model"], second.session_state["cnn_model"]
        assert a.model is not b.model
        for wa, wb in zip(a.model.get_weights(), b.model.get_weights()):
            np.testing.assert_array_equal(wa, wb)
        assert b.history.history == a.history.history
    finally:
        demo_cache.clear()
