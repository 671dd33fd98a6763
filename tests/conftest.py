"""Shared test set-up: quiet, seeded, CPU-only, offline."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # tests are CPU-only by rule
if "MEDLENS_CACHE" not in os.environ:  # ready-trained demos go to a throwaway folder, never the user's cache
    import tempfile

    os.environ["MEDLENS_CACHE"] = tempfile.mkdtemp(prefix="medlens-test-cache-")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT.parent / "shared" / "course"  # the course beside the checkout, as laid out for CI


@pytest.fixture
def app_page():
    """``app_page(path, timeout=120, **query)``: the app opened on one page by AppTest.

    ``path`` is the page file (``"app_pages/cnn.py"`` or ``"cnn.py"``); ``query``
    sets URL query parameters first, as a shared link would. The app's entry point
    runs once before ``switch_page`` (AppTest can switch only after a first run).
    """
    from streamlit.testing.v1 import AppTest

    def open_page(path: str, timeout: int = 120, **query: str):
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=timeout).run()
        for key, value in query.items():
            at.query_params[key] = value
        page = path if path.startswith("app_pages/") else f"app_pages/{path}"
        return at.switch_page(page).run()

    return open_page


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state."""
    import numpy as np

    np.random.seed(0)
    try:
        import keras

        keras.utils.set_random_seed(0)
    except ImportError:  # pragma: no cover
        pass


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty demo cache of the test's own (the server's cache object follows MEDLENS_CACHE)."""
    monkeypatch.setenv("MEDLENS_CACHE", str(tmp_path))
    from app_pages.ui import demo_cache

    demo_cache.clear()
    yield tmp_path
    demo_cache.clear()
