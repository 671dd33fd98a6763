"""A classroom in one run: N headless Chromium sessions press Train within a few seconds.

    python -m benchmarks.classroom --sessions 10     # the table below, and a JSON file
    python -m benchmarks classroom                   # the same as one benchmark row group (3 or 10 sessions)

One browser, one context per student (its own cookies, so its own Streamlit
session), each on a page that trains. All pages open first; then every
student presses Train within ``--spread`` seconds. We wait for each page to
finish and record: time from click to result, the queue wait the page reports,
whether the page shows an exception box or no result at all, and the server's
memory (RSS, from /proc) before, at the peak, and after every session closed.
The server runs with ``MEDLENS_MAX_TRAININGS`` as given (default: the app's
own default).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["TRAINING_PAGES", "SessionResult", "Classroom", "run_classroom", "start_app", "wait_healthy", "stop_app",
           "main"]

ROOT = Path(__file__).resolve().parents[1]

# Pages whose first "Train" button runs a default demo; a class spreads over them in turn.
# (The neuron page is not here: its Train button sits in a tab that is not open at first.)
TRAINING_PAGES = ("cnn", "playground", "saliency", "pooling", "attention", "train", "overfitting", "segmentation",
                  "detection", "preprocessing")


@dataclass
class SessionResult:
    page: str
    seconds: float | None  # click to result
    queued_s: float  # what the page said it waited in the queue (0 if it did not wait)
    saw_queue_message: bool
    ok: bool
    problem: str = ""


@dataclass
class Classroom:
    sessions: int
    slots: int | None
    results: list[SessionResult]
    rss_start_mb: float
    rss_peak_mb: float
    rss_end_mb: float
    # After one more tab opened and closed: Streamlit keeps closed tabs' sessions for reconnection and
    # drops the expired ones only when the next tab closes, so rss_end_mb still holds the class's models.
    rss_dropped_mb: float = float("nan")

    def times(self) -> list[float]:
        return sorted(r.seconds for r in self.results if r.seconds is not None)

    def percentile(self, q: float) -> float | None:
        t = self.times()
        if not t:
            return None
        return t[min(len(t) - 1, int(round(q * (len(t) - 1))))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def start_app(port: int, env: dict[str, str], log) -> subprocess.Popen:
    """`streamlit run streamlit_app.py` on 127.0.0.1:``port``, no file watcher, closed tabs freed after 2 s.

    The allocator is set as ``make app`` sets it (two malloc arenas, a pinned mmap threshold), unless
    ``env`` says otherwise: the benchmarks measure the server we ship.
    """
    from models.native_memory import ARENAS, MMAP_THRESHOLD

    env = {"MALLOC_ARENA_MAX": str(ARENAS), "MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD), **env}
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--server.disconnectedSessionTTL", "2"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)


def wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 90) -> bool:
    """Whether the app at ``url`` answers its health check within ``timeout_s`` (False at once if it died)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).status == 200:
                return True
        except OSError:
            if proc.poll() is not None:
                return False
            time.sleep(0.5)
    return False


def stop_app(proc: subprocess.Popen) -> None:
    """Terminate the app, killing it if it has not exited 10 s later."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class _Server:
    """`streamlit run` on 127.0.0.1 with a short disconnected-session lifetime, so closed tabs are freed."""

    def __init__(self, slots: int | None, log: Path):
        self.port = int(os.environ.get("MEDLENS_CLASSROOM_PORT") or _free_port())  # a fixed port where asked
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
        if slots is not None:
            env["MEDLENS_MAX_TRAININGS"] = str(slots)
        self._log = open(log, "w")
        self.proc = start_app(self.port, env, self._log)
        self.url = f"http://127.0.0.1:{self.port}"
        if not wait_healthy(self.url, self.proc):
            self.close()
            raise RuntimeError(f"streamlit did not start; see {log}")

    def rss_mb(self) -> float:
        return _rss_mb(self.proc.pid)

    def close(self) -> None:
        stop_app(self.proc)
        self._log.close()


_STATE_JS = ("() => { const a = document.querySelector(\"[data-testid='stApp']\");"
             " return a ? a.getAttribute('data-test-script-state') || '' : ''; }")
_WAITED = re.compile(r"Waited (\d+) s in the queue")


def _idle(page) -> bool:
    return page.evaluate(_STATE_JS) == "notRunning"


def _wait_idle(page, timeout_s: float) -> None:
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=120_000)
    deadline, quiet = time.time() + timeout_s, None
    while time.time() < deadline:
        if _idle(page):
            quiet = quiet or time.time()
            if time.time() - quiet >= 1.0:
                return
        else:
            quiet = None
        time.sleep(0.2)
    raise TimeoutError(f"still running after {timeout_s:.0f} s")


def _one_round(browser, server, sessions: int, spread_s: float, timeout_s: float, shots: Path | None,
               tag: str) -> list[SessionResult]:
    """Open the sessions, wait until every page has loaded, press Train in all, wait for all, close them."""
    contexts, pages = [], []
    for i in range(sessions):
        ctx = browser.new_context(viewport={"width": 1440, "height": 900})
        page = ctx.new_page()
        name = TRAINING_PAGES[i % len(TRAINING_PAGES)]
        page.goto(f"{server.url}/{name}", timeout=120_000)
        contexts.append(ctx)
        pages.append((name, page))
    for _, page in pages:
        _wait_idle(page, 300)
    clicked: list[float] = []
    gap = spread_s / max(sessions - 1, 1)
    for _, page in pages:
        page.get_by_role("button", name="Train", exact=False).first.click()
        clicked.append(time.perf_counter())
        time.sleep(gap)
    done: list[float | None] = [None] * sessions
    seen_queue = [False] * sessions
    deadline = time.time() + timeout_s
    # Poll every page in turn (Playwright's sync API is single-threaded).
    while time.time() < deadline and any(d is None for d in done):
        for i, (_, page) in enumerate(pages):
            if done[i] is not None:
                continue
            if not seen_queue[i] and page.locator("text=In the queue:").count():
                seen_queue[i] = True
                if shots is not None:  # what a waiting student sees
                    page.screenshot(path=str(shots / f"classroom{tag}_{i:02d}_{pages[i][0]}_queued.png"))
            if time.perf_counter() - clicked[i] > 2.0 and _idle(page):
                time.sleep(1.0)
                if _idle(page):
                    done[i] = time.perf_counter() - 1.0
        time.sleep(0.3)
    results = []
    for i, (name, page) in enumerate(pages):
        text = page.locator("[data-testid='stMain']").inner_text()
        waited = _WAITED.search(text)
        problem = ""
        if page.locator("[data-testid='stException']").count():
            problem = "exception box"
        elif done[i] is None:
            problem = f"no result within {timeout_s:.0f} s"
        elif not (page.locator("[data-testid='stAlert']").count() or "Last epoch:" in text):
            # A result is the run's message box (report) or the progress bar's closing "Last epoch: …" line.
            problem = "no result message"
        if shots is not None:
            page.screenshot(path=str(shots / f"classroom{tag}_{i:02d}_{name}.png"), full_page=True)
        results.append(SessionResult(name, None if done[i] is None else done[i] - clicked[i],
                                     float(waited.group(1)) if waited else 0.0, seen_queue[i], not problem, problem))
    for ctx in contexts:
        ctx.close()
    return results


def run_classroom(sessions: int = 10, *, slots: int | None = None, spread_s: float = 3.0,
                  timeout_s: float = 900.0, shots: Path | None = None, warm_up: bool = False) -> Classroom:
    """Open ``sessions`` students, press Train within ``spread_s`` seconds, wait, measure. Needs chromium.

    With ``warm_up`` the same class runs once before the measured round, on the same server: the
    first trainings of a fresh process allocate for good (TensorFlow's thread pools, oneDNN's
    kernel cache, the figure caches), and only what a second class adds on top of that is a leak.
    """
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    log_dir = shots or ROOT / "benchmarks" / "results"
    log_dir.mkdir(parents=True, exist_ok=True)
    server = _Server(slots, log_dir / "classroom_server.log")
    peak = [server.rss_mb()]
    stop_watch = threading.Event()

    def watch():
        while not stop_watch.wait(0.5):
            peak[0] = max(peak[0], server.rss_mb())

    def settle() -> float:
        # Closed tabs: Streamlit drops a disconnected session after its TTL (2 s here); the app's sweep (every
        # 15 s) frees a closed tab's models 12 s after it closed, and a trim follows 5 s later: ≤ 32 s.
        time.sleep(35)
        return server.rss_mb()

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=[
                "--no-sandbox", "--disable-background-networking", "--disable-component-update",
                "--disable-dev-shm-usage"])
            if warm_up:
                _one_round(browser, server, sessions, spread_s, timeout_s, None, "_warmup")
                settle()  # measured as the end is: closed, a visitor, settled (start and end comparable)
                _visit_home(browser, server)
                rss_start = settle()
            else:
                rss_start = server.rss_mb()
            threading.Thread(target=watch, daemon=True).start()
            results = _one_round(browser, server, sessions, spread_s, timeout_s, shots, "")
            stop_watch.set()
            rss_end = settle()
            _visit_home(browser, server)
            rss_dropped = settle()
            browser.close()
    finally:
        stop_watch.set()
        server.close()
    return Classroom(sessions, slots, results, rss_start, peak[0], rss_end, rss_dropped)


def _visit_home(browser, server) -> None:
    """One visitor opens the home page and leaves: what makes Streamlit drop the expired closed sessions."""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(server.url, timeout=120_000)
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=120_000)
    ctx.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.classroom")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--slots", type=int, default=None, help="MEDLENS_MAX_TRAININGS for the server")
    parser.add_argument("--spread", type=float, default=3.0, help="seconds over which all press Train")
    parser.add_argument("--shots", default=None, help="folder for a screenshot per session")
    parser.add_argument("--warm-up", action="store_true",
                        help="run the class once before the measured round (memory then shows leaks only)")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 30:
        parser.error("--sessions must be between 1 and 30")
    room = run_classroom(args.sessions, slots=args.slots, spread_s=args.spread,
                         shots=Path(args.shots) if args.shots else None, warm_up=args.warm_up)
    for r in room.results:
        print(f"{r.page:14s} {r.seconds if r.seconds is None else round(r.seconds, 1)!s:>7} s  "
              f"queued {r.queued_s:4.0f} s  {'ok' if r.ok else r.problem}")
    print(f"p50 {room.percentile(0.5)} s · p95 {room.percentile(0.95)} s · max {room.percentile(1.0)} s · "
          f"RSS {room.rss_start_mb:.0f} → peak {room.rss_peak_mb:.0f} → after close {room.rss_end_mb:.0f} MB → "
          f"after Streamlit dropped the closed sessions {room.rss_dropped_mb:.0f} MB")
    out = ROOT / "benchmarks" / "results" / "classroom.json"
    out.write_text(json.dumps({**asdict(room), "results": [asdict(r) for r in room.results]}, indent=2))
    return 0 if all(r.ok for r in room.results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
