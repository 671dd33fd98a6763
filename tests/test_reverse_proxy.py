"""Two app processes behind nginx with sticky sessions (``python -m deploy.serve``), in headless Chromium.

What it proves: through the proxy, opened by a host name, two students each get a working app
(home page, a slider that reruns the page, its figures fetched from /media/, a 2 MB upload),
each held to one process for every request (page, WebSocket, figures, upload), the two on
different processes; and Ctrl-C on the launcher stops nginx and both apps. Skipped when nginx or Debian's chromium is missing (``.ci/run``
installs both).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from deploy.serve import find_nginx

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
NGINX = find_nginx()
# This file's own ports (the launcher's defaults, 8080 and 8640, stay free for a teacher's run).
PROXY_PORT, APP_PORTS = 8089, (8648, 8649)
PROXY = f"http://127.0.0.1:{PROXY_PORT}"
# The browsers open the server by name, as a class does: Streamlit then accepts the WebSocket only
# when nginx passes the Host header with its port (its origin check allows bare local IPs anyway).
NAMED = f"http://medlens.test:{PROXY_PORT}"
UPSTREAMS = {f"127.0.0.1:{p}" for p in APP_PORTS}
# A page with a slider whose figures are served from /media/ by the session's own process
# (and no TensorFlow to import: the test stays lean).
SLIDER_PAGE = "kernels"

pytestmark = [
    pytest.mark.e2e, pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (`apt-get install nginx`; .ci/run does it)"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``python -m deploy.serve`` with two app processes; stopped at the end if a test has not stopped it."""
    runtime = tmp_path_factory.mktemp("serve")
    out = open(runtime / "launcher.log", "w")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "deploy.serve", "--processes", "2", "--port", str(PROXY_PORT),
         "--first-app-port", str(APP_PORTS[0]), "--runtime-dir", str(runtime)],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    deadline = time.time() + 150
    while "medlens: open" not in (runtime / "launcher.log").read_text():
        if launcher.poll() is not None or time.time() > deadline:
            _stop_launcher(launcher)
            out.close()
            logs = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(runtime.glob("*.log")))
            pytest.fail(f"deploy.serve did not start (exit {launcher.poll()}):\n{logs}")
        time.sleep(0.5)
    yield launcher, runtime
    _stop_launcher(launcher)
    out.close()


def _stop_launcher(launcher: subprocess.Popen) -> None:
    """Ctrl-C, so that it stops its apps and nginx too; SIGKILL only if that hangs."""
    if launcher.poll() is None:
        launcher.send_signal(signal.SIGINT)
        try:
            launcher.wait(30)
        except subprocess.TimeoutExpired:
            launcher.kill()


def _get(path: str, route: str | None = None):
    """(X-Medlens-Upstream, the medlens_route cookie nginx set or None) for one request through the proxy."""
    req = urllib.request.Request(PROXY + path, headers={"Cookie": f"medlens_route={route}"} if route else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        cookies = [v for k, v in r.headers.items() if k.lower() == "set-cookie" and v.startswith("medlens_route=")]
        return r.headers["X-Medlens-Upstream"], (cookies[0].split(";")[0].split("=", 1)[1] if cookies else None)


def _route_on(upstream: str) -> str:
    """A route cookie that the hash sends to ``upstream`` (found by asking nginx: deterministic)."""
    for i in range(64):
        if _get("/_stcore/health", f"student-{i}")[0] == upstream:
            return f"student-{i}"
    raise AssertionError(f"no route among 64 reaches {upstream}: is it in the upstream block?")


def test_a_first_visit_gets_a_route_cookie_that_keeps_it_on_one_process(served):
    upstream, route = _get("/")
    assert upstream in UPSTREAMS and route, f"first visit: upstream {upstream!r}, cookie {route!r}"
    for _ in range(5):  # the cookie leads back to the process the first request reached, and is not reissued
        assert _get("/", route) == (upstream, None)
    # Other students' cookies reach the other process too: both are in use.
    assert {_get("/_stcore/health", f"student-{i}")[0] for i in range(16)} == UPSTREAMS


def _wait_idle(page, timeout_s: float = 120) -> None:
    """Until the script has read ``notRunning`` for a whole second (a rerun can start just after one ends)."""
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=60_000)
    deadline, quiet = time.time() + timeout_s, None
    while time.time() < deadline:
        state = page.evaluate("() => document.querySelector(\"[data-testid='stApp']\")"
                              "?.getAttribute('data-test-script-state') || ''")
        quiet = (quiet or time.time()) if state == "notRunning" else None
        if quiet and time.time() - quiet >= 1.0:
            return
        time.sleep(0.2)
    raise AssertionError(f"the page was still running after {timeout_s:.0f} s")


def _no_exception(page, where: str) -> None:
    boxes = page.locator("[data-testid='stException']")
    assert boxes.count() == 0, f"{where}: exception on the page:\n" + boxes.first.inner_text()[:2000]


def _images_loaded(page) -> set[str]:
    """The page's figure URLs, once the browser has drawn every one (a figure 404'd by the wrong
    process has no width)."""
    page.wait_for_function("() => [...document.querySelectorAll(\"[data-testid='stMain'] [data-testid='stImage'] img\")]"
                           ".every(e => e.complete)", timeout=30_000)
    figures = page.eval_on_selector_all("[data-testid='stMain'] [data-testid='stImage'] img",
                                        "els => els.map(e => [e.src, e.naturalWidth])")
    assert figures and all(w > 0 for _, w in figures), f"figures not drawn: {figures}"
    return {src for src, _ in figures}


def _a_student(browser, route: str | None):
    """A fresh browser context (its own cookies: one student), with ``route`` preset when given."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if route:
        context.add_cookies([{"name": "medlens_route", "value": route, "url": NAMED}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def _noise_png(path: Path) -> Path:
    """A 2 MB PNG (seeded noise does not compress): above nginx's default 1 MB request limit."""
    import numpy as np
    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 256, (1450, 1450), dtype=np.uint8)).save(path)
    assert path.stat().st_size > 2_000_000
    return path


def test_two_browsers_through_the_proxy_each_work_on_their_own_process(served, browser, tmp_path):
    _, runtime = served
    # Student A arrives with no cookie (nginx picks); student B is given a route to the other process.
    a, page_a, errors_a = _a_student(browser, None)
    page_a.goto(NAMED + "/", timeout=60_000)
    route_a = next(c["value"] for c in a.cookies() if c["name"] == "medlens_route")
    upstream_a = _get("/_stcore/health", route_a)[0]
    route_b = _route_on(next(iter(UPSTREAMS - {upstream_a})))
    b, page_b, errors_b = _a_student(browser, route_b)
    page_b.goto(NAMED + "/", timeout=60_000)
    for name, page in (("A", page_a), ("B", page_b)):
        _wait_idle(page)
        _no_exception(page, f"home page, student {name}")
        page.goto(f"{NAMED}/{SLIDER_PAGE}", timeout=60_000)
    for name, page in (("A", page_a), ("B", page_b)):
        _wait_idle(page)
        _no_exception(page, f"{SLIDER_PAGE}, student {name}")
        before = _images_loaded(page)
        page.locator("[data-testid='stSlider'] input[type='range'], [data-testid='stSlider'] [role='slider']"
                     ).first.focus()
        page.keyboard.press("ArrowRight")  # "Input side n": 6 -> 7, the page reruns and writes it in the URL
        page.wait_for_url(re.compile(r"kern_n=7"), timeout=30_000)
        _wait_idle(page)
        _no_exception(page, f"{SLIDER_PAGE} after moving the slider, student {name}")
        after = _images_loaded(page)
        assert after - before, f"student {name}: no figure was redrawn after the slider moved"
    # An upload goes by HTTP to the process holding the session, and a scan can be over 1 MB.
    page_b.goto(f"{NAMED}/{SLIDER_PAGE}?kern_image=upload", timeout=60_000)
    _wait_idle(page_b)
    before = _images_loaded(page_b)
    page_b.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(
        str(_noise_png(tmp_path / "noise.png")))
    page_b.get_by_test_id("stFileChipName").filter(has_text="noise.png").wait_for(timeout=30_000)
    _wait_idle(page_b)
    _no_exception(page_b, "kernels after uploading a 2 MB PNG")
    alerts = page_b.locator("[data-testid='stAlert']").all_inner_texts()
    assert not [a for a in alerts if "noise.png" in a], f"the upload was refused: {alerts}"
    assert _images_loaded(page_b) - before, "the uploaded image was not drawn"
    a.close()
    b.close()
    assert not errors_a and not errors_b, f"JavaScript errors: A {errors_a}, B {errors_b}"

    # nginx logs a WebSocket when it closes: wait for both students' (status 101) to be written.
    log = runtime / "nginx-access.log"
    deadline = time.time() + 10
    while time.time() < deadline and not all(
            re.search(rf'^\S+ 101 "GET /_stcore/stream .* route={r}$', log.read_text(), re.M) for r in (route_a, route_b)):
        time.sleep(0.3)
    lines = [ln.rsplit(" upstream=", 1) for ln in log.read_text().splitlines()]
    served_by = {}
    for head, tail in lines:
        upstream, route = tail.split(" route=")
        if route in (route_a, route_b):
            served_by.setdefault(route, []).append((upstream, head))
    for name, route in (("A", route_a), ("B", route_b)):
        upstreams = {u for u, _ in served_by.get(route, [])}
        assert len(upstreams) == 1, f"student {name} was served by {upstreams}: not sticky"
        requests = [h for _, h in served_by[route]]
        assert any(' 101 "GET /_stcore/stream' in h for h in requests), f"student {name}: no WebSocket logged"
        media = [h for h in requests if '"GET /media/' in h]
        assert media and all(" 200 " in h or " 304 " in h for h in media), f"student {name}'s figures: {media}"
    uploads = [h for _, h in served_by[route_b] if '"PUT /_stcore/upload_file/' in h]
    assert uploads and all(" 20" in h for h in uploads), f"student B's upload: {uploads}"
    assert {served_by[route_a][0][0], served_by[route_b][0][0]} == UPSTREAMS, "both students on one process"


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc: the apps, nginx's master and its worker)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while we looked
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_ctrl_c_stops_nginx_and_both_apps(served):
    launcher, _ = served
    below = _descendants(launcher.pid)
    assert len(below) >= 4, f"expected two apps, nginx and its worker below the launcher, found {below}"
    launcher.send_signal(signal.SIGINT)
    assert launcher.wait(30) == 0
    left = [pid for pid in below if _alive(pid)]
    assert not left, f"still running after Ctrl-C: {left}"
    assert not [p for p in (PROXY_PORT, *APP_PORTS) if _port_open(p)], "a port still answers after Ctrl-C"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-dev-shm-usage", "--host-resolver-rules=MAP medlens.test 127.0.0.1"])
        yield b
        b.close()
