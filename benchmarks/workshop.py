"""How a workshop feels: each page's default demo, clicked once in headless Chromium, as a new student would.

    python -m benchmarks.workshop                          # every demo, one after another
    python -m benchmarks.workshop --pages neuron,cnn --json out.json
    python -m benchmarks workshop                          # the same as benchmark rows (3 demos with --quick)

One app server, started with ``MEDLENS_CACHE`` pointing at a fresh, empty temporary folder: no
ready-trained demo is on offer, so every click trains from scratch, as on the first day of a course.
Each demo gets a fresh browser context (its own Streamlit session) at 1440×900, opens its page, waits
until the page is idle, opens a tab if the button sits in one, and clicks the demo's button. One demo
at a time: nothing else trains on the server meanwhile. We record

- **first change**: click → the first change a student can see in the main area (a progress bar, a
  spinner, a queue message, a new element). The page itself notes the time: a MutationObserver compares
  a cheap signature of ``[data-testid='stMain']`` (its text and its count of Streamlit elements) with
  the one before the click, at most once per animation frame. Streamlit's own running indicator (the
  header's status widget, the dimming of stale elements) is not in that signature.
- **done**: click → the script is idle again (and stays idle for a second), with a result on the page
  (a new message box, the progress bar's "Last epoch" line, a new figure or table) and no exception box.
- **training**: click → the Stop button gone (the training is over; what follows until done is the page
  drawing and explaining the trained model). Pages that train under a spinner have no Stop button.
- **trained**: the epochs the page says it trained ("Trained 8 epoch(s) …", else the progress bar's
  last "Epoch a/b"), and the server's CPU seconds over the run (CPU seconds / wall seconds near the
  core count: computing; near 0: waiting).

Targets (issue 22): done ≤ 15 s, first change ≤ 1 s. The first demo of a fresh server also pays the
process's first-use costs (TensorFlow's first graph, oneDNN's kernels): the order is the table's.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.classroom import _rss_mb, _wait_idle, start_app, stop_app, wait_healthy

__all__ = ["Demo", "DEMOS", "DEMO_NAMES", "DemoResult", "PORTS", "DONE_TARGET_S", "FIRST_CHANGE_TARGET_S",
           "LOAD_BUTTON", "ready_demos", "run_workshop", "main"]

ROOT = Path(__file__).resolve().parents[1]
PORTS = range(8620, 8630)  # this benchmark's ports (other helpers and the classroom use others)
DONE_TARGET_S = 15.0
FIRST_CHANGE_TARGET_S = 1.0


@dataclass(frozen=True)
class Demo:
    """One default demo: the page (url path, with a query for a prepared setting), its button, its tab."""

    name: str
    path: str
    button: str  # the button's label; the first visible button whose name ends with it is clicked
    tab: str | None = None  # a tab to open first (its label)
    nth: int = 0  # the nth such button (a page with several Train buttons)


# Every page with a button that trains, in the sidebar's order; the page's first Train first,
# then the other demos the issue measured (the neuron tab, landscape with the CNN, "Train both", …).
DEMOS: tuple[Demo, ...] = (
    Demo("preprocessing", "preprocessing", "Train"),
    Demo("volumes", "volumes", "Train"),
    Demo("volumes-compare", "volumes", "Compare 2-D and 3-D"),
    Demo("neuron", "neuron", "Train", tab="Threshold and ROC"),
    Demo("playground", "playground", "Train"),
    Demo("matrices", "matrices", "Train"),
    Demo("universal-approximation", "universal-approximation", "Fit N neurons"),
    Demo("universal-depth", "universal-approximation", "Depth vs width"),
    Demo("cross-entropy", "cross-entropy", "Train"),
    Demo("overfitting", "overfitting", "Train"),
    Demo("bases", "bases", "Train the network fit"),
    Demo("train", "train", "Train"),
    Demo("pooling", "pooling", "Train"),
    Demo("cnn", "cnn", "Train"),
    Demo("cnn-transfer", "cnn", "Compare transfer strategies"),
    Demo("receptive-fields", "receptive-fields", "Train"),
    Demo("loss-landscape", "loss-landscape", "Train"),
    Demo("loss-landscape-cnn", "loss-landscape?land_model=cnn", "Train"),
    Demo("residual", "residual", "Train"),
    Demo("segmentation", "segmentation", "Train"),
    Demo("segmentation-both", "segmentation", "Train both", tab="Skip connections"),
    Demo("detection", "detection", "Train"),
    Demo("attention", "attention", "Train"),
    Demo("attention-patches", "attention?attn_part=Image%20patches", "Train"),
    Demo("saliency", "saliency", "Train"),
    Demo("trust", "trust", "Train"),
    Demo("shortcut", "shortcut", "Train"),
)
DEMO_NAMES = tuple(d.name for d in DEMOS)


@dataclass
class DemoResult:
    name: str
    page: str
    first_change_s: float | None  # click -> first visible change in the main area
    done_s: float | None  # click -> idle again with a result
    training_s: float | None  # click -> the Stop button gone (training over; the rest is drawing and
    #                           explaining); None where the page shows no Stop button
    first_change: str  # what changed first (the new text, shortened)
    result: str  # what counted as the result
    epochs: int | None  # what the page says it trained, summed over its runs
    runs: int  # the trainings one click started (0: the page does not say)
    server_cpu_s: float  # the server's CPU seconds from click to done
    load_s: float  # page open -> idle, before the click
    ok: bool
    problem: str = ""
    progress: list[str] = field(default_factory=list)  # the progress texts seen, in order (shortened)

    def met(self) -> bool:
        return bool(self.ok and self.done_s is not None and self.done_s <= DONE_TARGET_S
                    and self.first_change_s is not None and self.first_change_s <= FIRST_CHANGE_TARGET_S)


# ----------------------------------------------------------------- the server
def _port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"ports {PORTS.start}-{PORTS.stop - 1} are all taken: stop a server there and retry")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc (NaN where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class _Server:
    """`streamlit run` on 127.0.0.1 with an empty demo cache of its own (deleted on close)."""

    def __init__(self, log: Path):
        self.port = _port()
        self.cache = tempfile.mkdtemp(prefix="medlens-workshop-cache-")
        # An empty MEDLENS_CACHE: no "Load the trained demo", every click trains from fresh weights.
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "MEDLENS_CACHE": self.cache}
        self._log = open(log, "w")
        self.proc = start_app(self.port, env, self._log)
        self.url = f"http://127.0.0.1:{self.port}"
        if not wait_healthy(self.url, self.proc):
            self.close()
            raise RuntimeError(f"streamlit did not start; see {log}")

    def cpu_s(self) -> float:
        return _cpu_s(self.proc.pid)

    def close(self) -> None:
        stop_app(self.proc)
        self._log.close()
        shutil.rmtree(self.cache, ignore_errors=True)


# ------------------------------------------------------------ in the browser
# Installed just before the click. Times are the page's own performance.now(): the click (a capturing
# listener runs before Streamlit's), the first frame whose main-area signature differs from the one
# before the click, and every change of the script's run state (stApp's data-test-script-state).
_WATCH_JS = """() => {
  const main = document.querySelector("[data-testid='stMain']");
  const app = document.querySelector("[data-testid='stApp']");
  // Every element Streamlit draws sits in an stElementContainer. A change is a line of text in the main area
  // that was not there before the click, or one more sized container of some kind (a progress bar, a
  // spinner, a figure). Empty placeholders (st.empty), elements in closed tabs and a figure's hover toolbar
  // are not counted; nor is an element going away: on a rerun Streamlit remounts figures for a frame,
  // which tells a student nothing. The mouse rests on the button before the baseline, so the click moves
  // nothing.
  const kinds = () => { const c = {};
    main.querySelectorAll("[data-testid='stElementContainer']").forEach(e => {
      if (e.getBoundingClientRect().height > 0) {
        const k = e.firstElementChild, kind = k ? k.getAttribute('data-testid') || k.tagName : '';
        c[kind] = (c[kind] || 0) + 1;
      } });
    return c; };
  const lines = () => main.innerText.split('\\n').map(l => l.trim()).filter(l => l);
  const w = window.__workshop = {baseLines: new Set(lines()), baseKinds: kinds(), click: null, first: null,
                                 firstText: '', running: false, idleAt: null,
                                 state: app.getAttribute('data-test-script-state')};
  document.addEventListener('click', () => { if (w.click === null) w.click = performance.now(); },
                            {capture: true});
  let pending = false;
  const check = () => {
    pending = false;
    if (w.first !== null || w.click === null) return;
    const line = lines().find(l => !w.baseLines.has(l));
    const now = kinds();
    const added = Object.keys(now).filter(k => now[k] > (w.baseKinds[k] || 0));
    if (line !== undefined || added.length) {
      w.first = performance.now();
      w.firstText = (line !== undefined ? '"' + line + '"' : 'no new text')
                    + (added.length ? ' +' + added.join(',') : '');
      changes.disconnect();
    }
  };
  const changes = new MutationObserver(() => { if (!pending) { pending = true; requestAnimationFrame(check); } });
  changes.observe(main, {childList: true, subtree: true, characterData: true});
  new MutationObserver(() => {
    const s = app.getAttribute('data-test-script-state');
    if (s !== 'notRunning') { w.running = true; w.idleAt = null; }
    else if (w.running && w.idleAt === null) w.idleAt = performance.now();
    w.state = s;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
_POLL_JS = """() => { const w = window.__workshop;
  const bars = [...document.querySelectorAll("[data-testid='stMain'] [data-testid='stProgress']")];
  const stop = [...document.querySelectorAll("[data-testid='stMain'] button")]
    .some(b => /Stop$/.test(b.innerText.trim()));
  return {stop, click: w.click, first: w.first, firstText: w.firstText, running: w.running, idleAt: w.idleAt,
          state: w.state, now: performance.now(), progress: bars.map(b => b.innerText.trim()).filter(t => t)}; }"""
# What counts as a result: message boxes, figures and tables, by their text or source.
_RESULTS_JS = """() => { const m = document.querySelector("[data-testid='stMain']");
  const all = s => [...m.querySelectorAll(s)];
  return {alerts: all("[data-testid='stAlert']").map(a => a.innerText.trim()),
          figures: all("img").map(i => i.getAttribute('src') || ''),
          tables: all("[data-testid='stDataFrame'], [data-testid='stTable']").length,
          exceptions: all("[data-testid='stException']").map(e => e.innerText.trim().slice(0, 300)),
          text: m.innerText}; }"""

_TRAINED = re.compile(r"Trained (\d+) epoch")
_EPOCH = re.compile(r"Epoch (\d+)/(\d+)")


def _button(page, demo: Demo):
    # Streamlit puts a Material icon's ligature name before the label ("play_arrow Train"): match the end.
    name = re.compile(rf"(^|\s){re.escape(demo.button)}$")
    return page.get_by_role("button", name=name).nth(demo.nth)


def _result(before: dict, after: dict) -> str:
    """What on the page is new since the click and shows a result ('' for nothing)."""
    new_alerts = [a for a in after["alerts"] if a not in before["alerts"]]
    if new_alerts:
        return "message: " + new_alerts[0].splitlines()[0][:80]
    if "Last epoch:" in after["text"]:
        return "progress bar: " + after["text"].split("Last epoch:", 1)[1].splitlines()[0].strip()[:60]
    if after["tables"] > before["tables"]:
        return f"{after['tables'] - before['tables']} new table(s)"
    new_figures = len(set(after["figures"]) - set(before["figures"]))
    if new_figures:
        return f"{new_figures} new figure(s)"
    return ""


def _epochs(text: str, progress: list[str]) -> tuple[int | None, int]:
    """(epochs, runs) the page says it trained: its "Trained N epoch(s)" messages, else the progress bar.

    From the progress bar a run is a stretch of "Epoch a/b" with one b and a rising a; its epochs are b.
    (Progress is read every 0.25 s: a run shorter than that can go unseen.)
    """
    trained = [int(n) for n in _TRAINED.findall(text)]
    if trained:
        return sum(trained), len(trained)
    runs: list[int] = []
    last = None
    for t in progress:
        for a, b in _EPOCH.findall(t):
            a, b = int(a), int(b)
            if last is None or b != last[1] or a < last[0]:
                runs.append(b)
            last = (a, b)
    return (sum(runs), len(runs)) if runs else (None, 0)


def _one_demo(browser, server: _Server, demo: Demo, timeout_s: float, shots: Path | None) -> DemoResult:
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    t_open = time.perf_counter()
    progress: list[str] = []
    first_change_s = done_s = None
    first_text = result = problem = ""
    epochs, runs, cpu = None, 0, float("nan")
    stop_seen, training_s, load_s = False, None, float("nan")
    try:
        page.goto(f"{server.url}/{demo.path}", timeout=120_000)
        _wait_idle(page, 300)
        load_s = time.perf_counter() - t_open
        if demo.tab:
            page.get_by_role("tab", name=demo.tab).click()
            page.wait_for_timeout(500)  # tabs switch in the browser; no rerun
        button = _button(page, demo)
        button.scroll_into_view_if_needed(timeout=10_000)
        button.hover(timeout=10_000)  # hover effects (a figure's toolbar) settle before the baseline
        page.wait_for_timeout(300)
        before = page.evaluate(_RESULTS_JS)
        page.evaluate(_WATCH_JS)
        cpu0 = server.cpu_s()
        button.click(timeout=10_000)
        deadline = time.perf_counter() + timeout_s
        while True:
            w = page.evaluate(_POLL_JS)
            if w["stop"]:
                stop_seen = True
            elif stop_seen and training_s is None:  # the Stop button went: the training itself is over
                training_s = (w["now"] - w["click"]) / 1000
            for t in w["progress"]:
                if not progress or progress[-1] != t[:120]:
                    progress.append(t[:120])
            if w["idleAt"] is not None and w["state"] == "notRunning" and w["now"] - w["idleAt"] >= 1000:
                done_s = (w["idleAt"] - w["click"]) / 1000
                break
            if not w["running"] and w["click"] is not None and w["now"] - w["click"] > 10_000:
                problem = "the click started no run within 10 s"
                break
            if time.perf_counter() > deadline:
                problem = f"still running after {timeout_s:.0f} s"
                break
            time.sleep(0.25)
        cpu = server.cpu_s() - cpu0
        if w["first"] is not None:
            first_change_s = (w["first"] - w["click"]) / 1000
            first_text = w["firstText"][:120]
        after = page.evaluate(_RESULTS_JS)
        epochs, runs = _epochs(after["text"], progress)
        if after["exceptions"]:
            problem = "exception box: " + after["exceptions"][0].splitlines()[0]
        elif not problem:
            result = _result(before, after)
            if not result:
                problem = "no result shown"
        if shots is not None:
            page.screenshot(path=str(shots / f"workshop_{demo.name}.png"), full_page=True)
    except Exception as err:  # noqa: BLE001 - one page's failure is that page's row, not the whole run's end
        problem = problem or f"{type(err).__name__}: {str(err).splitlines()[0][:200]}"
    finally:
        ctx.close()
    return DemoResult(demo.name, demo.path, first_change_s, done_s if not problem else None, training_s,
                      first_text, result,
                      epochs, runs, round(cpu, 1), round(load_s, 1), not problem, problem, progress)


def _loadavg() -> list[float]:
    """The 1, 5 and 15 minute load averages (empty where /proc has none)."""
    try:
        return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return []


LOAD_BUTTON = "Load the trained demo"


def ready_demos(demos: list[Demo]) -> list[Demo]:
    """The second pass: each demo whose page keeps a ready-trained demo, its "Load the trained demo" clicked.

    By then the first pass has trained each default run once on this server, so the cache holds it, as
    after ``python -m models.warmup`` or the first student's run.
    """
    from models.warmup import DEMO_PAGES

    cached = set(DEMO_PAGES.values())
    return [Demo(f"{d.name}+ready", d.path, LOAD_BUTTON, tab=d.tab) for d in demos
            if d.name in cached and d.button == "Train" and d.nth == 0]


def run_workshop(names: list[str] | tuple[str, ...] | None = None, *, timeout_s: float = 300.0,
                 shots: Path | None = None, log: Path | None = None, ready: bool = False) -> dict:
    """Click each demo in ``names`` (default: all of :data:`DEMOS`) once, one at a time. Needs chromium.

    With ``ready``, then load each page's ready-trained demo in a fresh session (:func:`ready_demos`).

    Returns ``{"results": [DemoResult, ...], "load_before": [1, 5, 15 min load], "load_after": [...],
    "server_rss_mb": the server's memory at the end}``.
    """
    from playwright.sync_api import sync_playwright

    wanted = list(DEMO_NAMES if names is None else names)
    unknown = [n for n in wanted if n not in DEMO_NAMES]
    if unknown:
        raise ValueError(f"unknown demo(s) {', '.join(unknown)}: choose from {', '.join(DEMO_NAMES)}")
    demos = [d for n in wanted for d in DEMOS if d.name == n]
    if ready:
        demos += ready_demos(demos)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    log = log or ROOT / "benchmarks" / "results" / "workshop_server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    load_before = _loadavg()
    server = _Server(log)
    results = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=[
                "--no-sandbox", "--disable-background-networking", "--disable-component-update",
                "--disable-dev-shm-usage"])
            for demo in demos:
                r = _one_demo(browser, server, demo, timeout_s, shots)
                print(_line(r), file=sys.stderr, flush=True)
                results.append(r)
            browser.close()
        rss = _rss_mb(server.proc.pid)
    finally:
        server.close()
    return {"results": results, "load_before": load_before, "load_after": _loadavg(), "server_rss_mb": rss}


def _fmt(s: float | None) -> str:
    return "-" if s is None else f"{s:.1f}"


def _line(r: DemoResult) -> str:
    return (f"{r.name:24s} first change {_fmt(r.first_change_s):>5} s · done {_fmt(r.done_s):>6} s "
            f"(training {_fmt(r.training_s):>5} s) · "
            f"epochs {r.epochs if r.epochs is not None else '-':>3} in {r.runs} run(s) · "
            f"server CPU {r.server_cpu_s:5.1f} s · "
            + (r.result if r.ok else "PROBLEM: " + r.problem))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workshop")
    parser.add_argument("--pages", default=None,
                        help=f"comma-separated demos (default: all): {','.join(DEMO_NAMES)}")
    parser.add_argument("--json", default=None, help="write every record to this JSON file")
    parser.add_argument("--shots", default=None, help="folder for a screenshot of each demo when done")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds one demo may take")
    parser.add_argument("--ready", action="store_true",
                        help="then click 'Load the trained demo' on each page that keeps one (rows NAME+ready)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.pages.split(",") if n.strip()] if args.pages else None
    unknown = [n for n in names or () if n not in DEMO_NAMES]
    if unknown:
        parser.error(f"unknown demo(s) {', '.join(unknown)}: choose from {', '.join(DEMO_NAMES)}")
    shots = Path(args.shots) if args.shots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    print("Server: a fresh MEDLENS_CACHE (empty): no ready-trained demo is preloaded; every click trains.",
          file=sys.stderr)
    run = run_workshop(names, timeout_s=args.timeout, shots=shots, ready=args.ready)
    results = run["results"]
    print(f"\nload average {run['load_before']} before, {run['load_after']} after (1, 5, 15 min; "
          f"{os.cpu_count()} cores); targets: done ≤ {DONE_TARGET_S:.0f} s, "
          f"first change ≤ {FIRST_CHANGE_TARGET_S:.0f} s")
    for r in results:
        print(_line(r) + ("" if r.met() else "   (over target)" if r.ok else ""))
    loaded = {r.name.removesuffix("+ready") for r in results if r.name.endswith("+ready") and r.met()}
    cold = [r for r in results if not r.name.endswith("+ready")]
    print(f"\ndone within target: {sum(r.met() for r in cold)} of {len(cold)} from scratch"
          + (f"; with the ready-trained demos loaded: {sum(r.met() or r.name in loaded for r in cold)} of {len(cold)}"
             if args.ready else ""))
    if args.json:
        Path(args.json).write_text(json.dumps({**run, "results": [asdict(r) for r in results]}, indent=2))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
