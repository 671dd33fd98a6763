"""The app as a workshop feels it: cold start, warm reruns, retraces, memory.

Each page is compared side by side with a bare Streamlit page measured in the
same run (a title and one slider), so the ratio shows what medlens adds.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Row

__all__ = ["run"]

ROOT = Path(__file__).resolve().parents[1]
BARE = 'import streamlit as st\nst.title("bare")\nst.slider("x", 0, 10, key="x")\n'


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _traced_functions() -> int:
    if "tensorflow" not in sys.modules:
        return 0
    from tensorflow.python.eager import context

    return len(context.context().list_function_names())


def _nudge(at) -> bool:
    """Change one control of the page (the first slider, select box or number input)."""
    for kind in ("slider", "select_slider", "selectbox", "number_input", "radio"):
        widgets = getattr(at, kind, [])
        for w in widgets:
            try:
                if kind == "selectbox" or kind == "radio":
                    opts = list(w.options)
                    if len(opts) > 1:
                        if kind == "selectbox":
                            # AppTest lists formatted labels as options and formats a value set by label or
                            # index once more: a box with a format_func cannot be nudged, take the next widget
                            if w.format_func(opts[0]) != opts[0]:
                                continue
                            w.select_index(1 if w.index == 0 else 0)
                        else:
                            w.set_value(opts[1] if w.value == opts[0] else opts[0])
                        return True
                elif kind == "number_input":
                    w.increment()
                    return True
                elif kind == "select_slider":
                    opts = list(w.options)
                    w.set_value(opts[0] if w.value != opts[0] else opts[-1])
                    return True
                else:
                    lo, hi = w.min, w.max
                    w.set_value(hi if w.value != hi else lo)
                    return True
            except Exception:
                continue
    return False


def _warm_rerun(script: str, page: str | None, reruns: int) -> tuple[float, int, float]:
    """Median warm rerun time (s) after changing a control, retraces per rerun, memory growth (MB)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(script, default_timeout=300).run()
    if page:
        at.switch_page(page).run()
    at.run()
    times, traces = [], []
    rss0 = _rss_mb()
    for _ in range(reruns):
        _nudge(at)
        f0 = _traced_functions()
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
        traces.append(_traced_functions() - f0)
    growth = _rss_mb() - rss0
    times.sort()
    return times[len(times) // 2], max(traces[1:] or traces), growth


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cold_start(script: str, cwd: Path) -> float | None:
    """Seconds from `streamlit run` to the page's heading drawn in headless Chromium."""
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    port = _free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.address", "127.0.0.1",
                             "--server.port", str(port), "--server.headless", "true",
                             # as `make app` serves it (a file watcher walks the whole checkout at start)
                             "--server.fileWatcherType", "none"],
                            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox",
                                        "--disable-background-networking", "--disable-component-update"])
            page = browser.new_page()
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}", timeout=2000)
                    break
                except Exception:
                    if time.perf_counter() - t0 > 120:
                        return None
                    time.sleep(0.1)
            page.wait_for_selector("[data-testid='stMain'] h1", timeout=120_000)
            elapsed = time.perf_counter() - t0
            browser.close()
            return elapsed
    finally:
        proc.terminate()
        proc.wait(10)


def run(quick: bool = False) -> list[Row]:
    from app_pages.registry import PAGES

    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        ours_cold, bare_cold = _cold_start("streamlit_app.py", ROOT), _cold_start(str(bare), Path(tmp))
        if ours_cold is not None:
            rows.append(Row("app", "cold start to rendered home page", ours_cold, bare_cold, "s",
                            bare_cold / ours_cold, "close to a bare page", ours_cold <= 2 * bare_cold + 1,
                            "vs a bare Streamlit page, both in headless Chromium"))
        else:
            rows.append(Row("app", "cold start to rendered home page", float("nan"), None, "s", None,
                            "close to a bare page", None, "chromium not installed: not measured"))
        reruns = 10 if quick else 100
        bare_t, _, bare_mem = _warm_rerun(str(bare), None, reruns)
        pages = [("home", "app_pages/home.py")] + [(p.url_path, f"app_pages/{p.file}") for p in PAGES]
        for name, page in pages:
            if not (ROOT / page).exists():
                continue
            t, traces, mem = _warm_rerun(str(ROOT / "streamlit_app.py"), page, reruns)
            rows.append(Row("app", f"{name}: warm rerun after one control", t, bare_t, "s", bare_t / t,
                            "<= 0.3 s", t <= 0.3, f"retraces/rerun {traces} (target 0)"))
            rows.append(Row("app", f"{name}: memory growth over {reruns} reruns", mem, bare_mem, "MB", None,
                            "<= 50 MB", mem <= 50, ""))
            if traces:
                rows[-2].met = False
    return rows
