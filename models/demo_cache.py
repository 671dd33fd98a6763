"""Ready-trained demos: a page's default run trained once, then loaded by anyone who asks.

The first time a page's demo finishes from fresh weights (or when
``python -m models.warmup`` runs before class), its weights are written as a
``.keras`` file with the run's history beside it as JSON, under
``MEDLENS_CACHE`` (default ``~/.cache/medlens``; ``XDG_CACHE_HOME`` is honoured).
A session that presses "Load the trained demo" reads them back in Keras' safe
mode (no code from the file runs) into its *own* model, so sessions never share
a model object. Files are written to a temporary name and moved into place, so
two sessions finishing the same demo at once cannot leave half a file.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models._arguments import ArgumentError

__all__ = ["cache_dir", "DemoCache", "SavedDemo"]


def cache_dir() -> Path:
    """``MEDLENS_CACHE``, else ``$XDG_CACHE_HOME/medlens``, else ``~/.cache/medlens``."""
    raw = os.environ.get("MEDLENS_CACHE", "").strip()
    if raw:
        return Path(raw).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(base) / "medlens"


@dataclass(frozen=True)
class SavedDemo:
    """What the cache holds for one page and settings: where, when, and the run's history."""

    weights: Path
    saved_at: float
    history: dict[str, Any]

    @property
    def epochs(self) -> int:
        return len(self.history.get("epochs", []))


class DemoCache:
    """Trained demos on disk, keyed by page and settings.

    Args:
        root: the folder (default :func:`cache_dir`/``demos``); made when first written.
    """

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else cache_dir() / "demos"

    @staticmethod
    def key(page: str, settings: Any) -> str:
        """A file stem from the page name and a hash of the settings (plain values: numbers, strings, tuples)."""
        if not page or not page.replace("_", "").replace("-", "").isalnum():
            raise ArgumentError(f"page must be letters, digits, - or _, got {page!r}")
        digest = hashlib.sha256(repr(settings).encode()).hexdigest()[:16]
        return f"{page}-{digest}"

    def _paths(self, page: str, settings: Any) -> tuple[Path, Path]:
        stem = self.key(page, settings)
        return self.root / f"{stem}.keras", self.root / f"{stem}.json"

    def find(self, page: str, settings: Any) -> SavedDemo | None:
        """The saved demo for these settings, or None."""
        weights, meta = self._paths(page, settings)
        if not (weights.is_file() and meta.is_file()):
            return None
        try:
            info = json.loads(meta.read_text())
        except (OSError, ValueError):
            return None
        if info.get("settings") != repr(settings):  # a hash collision or a stale file: not ours
            return None
        return SavedDemo(weights, float(info.get("saved_at", 0.0)), info.get("history", {}))

    def save(self, page: str, settings: Any, model: Any, history: Any) -> SavedDemo:
        """Write ``model`` and ``history`` (a TrainingHistory) for these settings, atomically."""
        weights, meta = self._paths(page, settings)
        self.root.mkdir(parents=True, exist_ok=True)
        record = {"epochs": list(history.epochs), "samples_per_s": list(history.samples_per_s),
                  "device": history.device, "status": history.status, "message": history.message,
                  "at_chance": bool(history.at_chance)}
        now = time.time()
        fd, tmp = tempfile.mkstemp(suffix=".keras", dir=self.root)
        os.close(fd)
        try:
            model.save(tmp)
            os.replace(tmp, weights)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        fd, tmp = tempfile.mkstemp(suffix=".json", dir=self.root)
        with os.fdopen(fd, "w") as f:
            json.dump({"settings": repr(settings), "saved_at": now, "model": model.name, "history": record}, f)
        os.replace(tmp, meta)
        return SavedDemo(weights, now, record)

    def load_into(self, saved: SavedDemo, model: Any) -> Any:
        """Copy the saved weights into ``model`` (safe mode) and return the run's TrainingHistory."""
        import keras

        from models.training import TrainingHistory

        stored = keras.models.load_model(saved.weights, compile=False, safe_mode=True)
        ours, theirs = model.get_weights(), stored.get_weights()
        if [w.shape for w in ours] != [w.shape for w in theirs]:
            raise ArgumentError("the saved demo was trained with another architecture than this page's model; "
                                "train it here instead (or delete the cache folder " f"{self.root})")
        model.set_weights(theirs)
        h = saved.history
        return TrainingHistory(epochs=[dict(e) for e in h.get("epochs", [])],
                               samples_per_s=list(h.get("samples_per_s", [])), device=h.get("device", ""),
                               status=h.get("status", "finished"), message=h.get("message", ""),
                               at_chance=bool(h.get("at_chance", False)))
