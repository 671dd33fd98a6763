"""End-to-end: `streamlit run` on 127.0.0.1, every page in headless Chromium.

Each page is opened, a control is moved where the page has one, a short
training is started where it offers one, and we check that no exception box
appears. Screenshots go to tests/screenshots/. Skipped when Debian's chromium
is not installed (``.ci/run`` installs it).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = open(SHOTS / "streamlit.log", "w")
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # logs as `make app` leaves them: quiet by default
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        # A file, not a pipe: nobody reads a pipe while the tests run, and a full
        # pipe buffer blocks the server mid-run.
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        log.close()
        pytest.fail("streamlit did not start:\n" + (SHOTS / "streamlit.log").read_text()[-4000:])
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-dev-shm-usage"])
        yield b
        b.close()


def _script_state(page) -> str:
    """Streamlit's own run state, from ``stApp``'s ``data-test-script-state``."""
    return page.evaluate("() => { const a = document.querySelector(\"[data-testid='stApp']\");"
                         " return a ? a.getAttribute('data-test-script-state') || '' : ''; }")


def _wait_idle(page, timeout_s: float = 120):
    """Wait until Streamlit has finished running the script.

    The app root carries the script's run state (``running``, ``notRunning``,
    ...). The spinner widget is no signal: the frontend shows it only after
    500 ms, so a short pause in a slow script looks idle. Idle means a heading
    is on the page and the state has read ``notRunning`` for a whole second
    (a rerun, e.g. from the URL being rewritten, can start just after one ends).
    """
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=60_000)  # every page has a heading
    deadline = time.time() + timeout_s
    quiet_since = None
    while time.time() < deadline:
        if _script_state(page) == "notRunning":
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= 1.0:
                return
        else:
            quiet_since = None
        time.sleep(0.2)
    raise AssertionError(f"the page was still running after {timeout_s:.0f} s (state {_script_state(page)!r})")


def _screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main container, so grow the viewport to fit it."""
    height = page.evaluate("() => { const m = document.querySelector(\"[data-testid='stMain']\");"
                           " return m ? m.scrollHeight : document.body.scrollHeight; }")
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": max(1000, min(int(height) + 40, 12_000))})
    time.sleep(0.5)  # let charts re-layout to the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": 1000})


# A laptop and a classroom projector: every page is checked at both sizes.
LAPTOP, PROJECTOR = {"width": 1440, "height": 900}, {"width": 1024, "height": 768}
LOCAL_HOSTS = ("127.0.0.1", "localhost")


def _watch_requests(page) -> list[str]:
    """Every URL the page asks for that leaves this machine (an offline classroom has no internet)."""
    from urllib.parse import urlparse

    outside: list[str] = []

    def record(request):
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOCAL_HOSTS:
            outside.append(request.url)

    page.on("request", record)
    return outside


def _truncated_texts(page) -> list[str]:
    """Text in the page (not the sidebar) that the browser cuts off: metric values, widget labels,
    select boxes, buttons, tabs. Checked on every element styled to ellipsise and every clipped leaf."""
    return page.evaluate("""() => {
        const main = document.querySelector("[data-testid='stMain']");
        if (!main) return [];
        const cut = [];
        for (const el of main.querySelectorAll("*")) {
            if (!el.offsetParent || !el.textContent.trim()) continue;  // hidden (other tabs) or empty
            const style = getComputedStyle(el);
            const ellipsis = style.textOverflow === "ellipsis";
            // a select box clips its value without an ellipsis ("BCE + Di"): a clipped leaf of text
            const clippedLeaf = el.children.length === 0 && ["hidden", "clip"].includes(style.overflowX);
            if (!ellipsis && !clippedLeaf) continue;
            if (el.scrollWidth > el.clientWidth + 1) cut.push(el.textContent.trim().slice(0, 60));
        }
        return [...new Set(cut)];
    }""")


def _no_exception(page, name):
    boxes = page.locator("[data-testid='stException']")
    assert boxes.count() == 0, f"{name}: exception on the page:\n" + boxes.first.inner_text()[:2000]


def _sample_png() -> Path:
    """A real CT slice (pydicom's CT_small) saved as an 8-bit PNG."""
    from PIL import Image

    from models.data import load_image

    path = SHOTS / "_upload_ct.png"
    Image.fromarray((load_image("ct") * 255).astype("uint8")).save(path)
    return path


def _not_an_image() -> Path:
    path = SHOTS / "_upload_notes.png"
    path.write_text("these are lecture notes, not an image")
    return path


def _pages():
    from app_pages.registry import PAGES

    return [("", "home")] + [(p.url_path, p.url_path) for p in PAGES if (ROOT / "app_pages" / p.file).exists()]


@pytest.mark.parametrize("path, name", _pages(), ids=[n for _, n in _pages()])
def test_page_in_a_real_browser(server, browser, path, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=LAPTOP)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    outside = _watch_requests(page)
    page.goto(f"{server}/{path}", timeout=60_000)
    _wait_idle(page)
    _no_exception(page, name)
    # Move a control: the first slider, one step with the keyboard.
    # Streamlit 1.67 draws a slider as a range input (older versions: a div with role=slider).
    slider = page.locator("[data-testid='stSlider'] input[type='range'], [data-testid='stSlider'] [role='slider']")
    moved = slider.count() > 0
    if moved:
        slider.first.focus()
        page.keyboard.press("ArrowRight")
        _wait_idle(page)
        _no_exception(page, name + " after moving a slider")
    # Start a short training where the page offers one.
    train = page.get_by_role("button", name="Train", exact=False)
    if train.count():
        train.first.click()
        _wait_idle(page, timeout_s=240)
        _no_exception(page, name + " after training")
    _screenshot(page, SHOTS / f"{name or 'home'}.png")
    # The same page, trained, on a 1024×768 projector: nothing may be cut off.
    page.set_viewport_size(PROJECTOR)
    time.sleep(1.0)  # let columns and charts re-layout
    cut = _truncated_texts(page)
    _screenshot(page, SHOTS / f"{name or 'home'}_1024.png")
    assert not errors, f"{name}: JavaScript errors {errors}"
    assert not outside, f"{name}: the browser asked for {len(outside)} URL(s) off this machine: {outside[:5]}"
    assert not cut, f"{name}: text cut off at 1024×768: {cut}"
    page.close()


# Pages that take uploads, opened where the uploader shows: (URL, tab to click first).
UPLOAD_PAGES = [
    ("kernels?kern_image=upload", None),
    ("saliency?sal_source=Upload", None),
    ("segmentation", "Your image + mask"),
]


@pytest.mark.parametrize("path, tab", UPLOAD_PAGES, ids=[p.split("?")[0] for p, _ in UPLOAD_PAGES])
def test_uploads_in_a_real_browser(server, browser, path, tab):
    """A real CT slice is accepted and drawn; a text file named .png gets a message, not a crash."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = path.split("?")[0]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/{path}", timeout=60_000)
    _wait_idle(page)
    if tab:
        page.get_by_role("tab", name=tab).click()
    uploader = page.locator("[data-testid='stFileUploaderDropzoneInput']")
    try:
        uploader.first.wait_for(state="attached", timeout=30_000)
    except Exception:  # playwright's TimeoutError: say which page, not where playwright gave up
        _screenshot(page, SHOTS / f"{name}_no_uploader.png")
        pytest.fail(f"{name}: no file uploader on {path} after 30 s (state {_script_state(page)!r})")
    images_before = page.locator("[data-testid='stImage'], [data-testid='stPyplot'] img, img").count()
    uploader.first.set_input_files(str(_sample_png()))
    _wait_idle(page)
    _no_exception(page, name + " after uploading a PNG")
    if tab is None:  # one upload is enough to draw something new
        assert page.locator("[data-testid='stImage'], img").count() > images_before, f"{name}: upload not drawn"
    _screenshot(page, SHOTS / f"{name}_upload.png")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(_not_an_image()))
    _wait_idle(page)
    _no_exception(page, name + " after uploading a non-image")
    assert page.locator("[data-testid='stAlert']").count() > 0, f"{name}: no message for a bad upload"
    _screenshot(page, SHOTS / f"{name}_bad_upload.png")
    assert not errors, f"{name}: JavaScript errors {errors}"
    page.close()


def _odd_files(folder: Path) -> dict[str, tuple[Path, bool]]:
    """Issue 9's odd uploads: name -> (file, whether the page should draw it rather than refuse it)."""
    import io

    import numpy as np
    import pydicom
    from PIL import Image
    from pydicom.data import get_testdata_file

    folder.mkdir(parents=True, exist_ok=True)
    ramp = np.tile(np.linspace(0, 1, 256), (256, 1))
    files = {}

    def save(name, img, ok):
        img.save(folder / name)
        files[name] = (folder / name, ok)

    save("grey16.png", Image.fromarray((ramp * 65535).astype(np.uint16)), True)
    save("rgba.png", Image.fromarray((np.dstack([ramp] * 4) * 255).astype(np.uint8), "RGBA"), True)
    big = np.tile((np.arange(10_000) % 256).astype(np.uint8), (10_000, 1))  # compresses to a small file
    save("huge_10000x10000.png", Image.fromarray(big), True)
    buf = io.BytesIO()
    Image.fromarray((ramp * 255).astype(np.uint8)).save(buf, "PNG")
    (folder / "truncated.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    files["truncated.png"] = (folder / "truncated.png", False)
    (folder / "empty.png").write_bytes(b"")
    files["empty.png"] = (folder / "empty.png", False)
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    del ds.PixelData
    ds.save_as(folder / "no_pixels.dcm")
    files["no_pixels.dcm"] = (folder / "no_pixels.dcm", False)
    return files


def test_odd_uploads_get_a_message_or_are_scaled_down(server, browser):
    """Each odd file on the kernels page: drawn (16-bit, RGBA, 100 megapixels scaled down) or refused
    with a message naming the file; never an exception box, and the page keeps working."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/kernels?kern_image=upload", timeout=60_000)
    _wait_idle(page)
    tried = []
    for name, (path, ok) in _odd_files(SHOTS / "_odd").items():
        page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(path))
        _wait_idle(page)
        _no_exception(page, f"kernels after uploading {name}")
        alerts = " ".join(page.locator("[data-testid='stAlert']").all_inner_texts())
        if ok:
            assert name not in alerts, f"{name} should have been drawn: {alerts}"
        else:
            assert name in alerts, f"no message naming {name}: {alerts!r}"
        tried.append(name)
    _screenshot(page, SHOTS / "kernels_odd_uploads.png")
    assert len(tried) == 6 and not errors, errors
    page.close()


def test_server_log_has_no_tracebacks_and_no_native_chatter(server):
    """Runs last in this file: an exception a page caught silently still shows in the server log, and
    the log of a whole run of every page stays readable (no TensorFlow banners, no inotify floods)."""
    text = (SHOTS / "streamlit.log").read_text()
    assert "Traceback" not in text, text[text.index("Traceback") - 200:][:4000]
    for noise in ("oneDNN custom operations", "cudart_stub", "absl::InitializeLog", "Inotify"):
        assert noise not in text, f"{noise!r} in the server log:\n{text[max(0, text.index(noise) - 300):][:1500]}"
