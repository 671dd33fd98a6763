"""python -m models.warmup trains a page's default demo into the cache once; a second run finds it."""
from __future__ import annotations

import io

import pytest


@pytest.mark.slow
def test_warmup_saves_the_default_demo_once_and_then_finds_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLENS_CACHE", str(tmp_path))
    from app_pages.ui import demo_cache
    from models.warmup import warm_up

    demo_cache.clear()
    try:
        first = io.StringIO()
        assert warm_up(["train"], stream=first) == 0
        assert "train: saved" in first.getvalue()
        saved = list(tmp_path.glob("demos/train-*.keras"))
        assert len(saved) == 1
        again = io.StringIO()
        assert warm_up(["train"], stream=again) == 0
        assert "already in the cache" in again.getvalue()
        assert list(tmp_path.glob("demos/train-*.keras")) == saved
    finally:
        demo_cache.clear()


def test_every_warmup_page_offers_a_ready_demo():
    from pathlib import Path

    from models.warmup import DEMO_PAGES

    pages = Path(__file__).resolve().parents[1] / "app_pages"
    for file, name in DEMO_PAGES.items():
        text = (pages / file).read_text()
        assert f'ready_demo("{name}"' in text and f'remember_demo("{name}"' in text, file
