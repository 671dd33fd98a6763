"""Train every page's default demo once before class, so students can load it ready-trained.

    python -m models.warmup                 # every page that offers "Load the trained demo"
    python -m models.warmup --page cnn      # one page (repeatable)

Each page is opened headless (Streamlit's AppTest, in this process), its first
Train button pressed with the page's default settings, and the finished run
saved by the page itself into the demo cache (``MEDLENS_CACHE``), exactly as
the first student's run would be. Pages already in the cache are skipped
quickly: their run is found and nothing is trained.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["DEMO_PAGES", "warm_up", "main"]

ROOT = Path(__file__).resolve().parents[1]

# Page file -> the demo name its ready_demo() call saves under.
DEMO_PAGES = {"cnn.py": "cnn", "detection.py": "detection", "mlp_playground.py": "playground", "neuron.py": "neuron",
              "pooling.py": "pooling", "saliency.py": "saliency", "segmentation.py": "segmentation",
              "shortcut.py": "shortcut", "train_any.py": "train", "volumes.py": "volumes"}


def warm_up(pages: list[str] | None = None, *, timeout_s: int = 600, stream=sys.stderr) -> int:
    """Train each page's default demo unless the cache has it; returns how many pages failed."""
    from streamlit.testing.v1 import AppTest

    from models.demo_cache import DemoCache

    chosen = [f for f, name in DEMO_PAGES.items() if not pages or name in pages or f in pages]
    failures = 0
    for file in chosen:
        name = DEMO_PAGES[file]
        before = len(list(DemoCache().root.glob(f"{name}-*.keras"))) if DemoCache().root.exists() else 0
        t0 = time.perf_counter()
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=timeout_s).run()
        at = at.switch_page(f"app_pages/{file}").run()
        if any(b.label == "Load the trained demo" for b in at.button):
            print(f"{name}: already in the cache", file=stream)
            continue
        train = next((b for b in at.button if b.label == "Train"), None)
        if train is None or at.exception:
            print(f"{name}: FAILED (no Train button or an exception on opening)", file=stream)
            failures += 1
            continue
        train.click()
        at.run()
        after = len(list(DemoCache().root.glob(f"{name}-*.keras")))
        ok = not at.exception and after > before
        failures += not ok
        print(f"{name}: {'saved' if ok else 'FAILED'} in {time.perf_counter() - t0:.0f} s", file=stream)
    return failures


def main(argv: list[str] | None = None) -> int:
    from models.demo_cache import DemoCache

    parser = argparse.ArgumentParser(prog="python -m models.warmup", description=__doc__.splitlines()[0])
    parser.add_argument("--page", action="append", help=f"one of {sorted(DEMO_PAGES.values())} (repeatable)")
    args = parser.parse_args(argv)
    print(f"demo cache: {DemoCache().root}", file=sys.stderr)
    return 1 if warm_up(args.page) else 0


if __name__ == "__main__":
    raise SystemExit(main())
