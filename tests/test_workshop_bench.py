"""The workshop benchmark: every training page has a demo in it, and one page's record comes out complete and sane."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


def test_every_page_with_a_train_button_has_a_demo_in_the_workshop_benchmark():
    from app_pages.registry import PAGES
    from benchmarks.workshop import DEMOS

    benched = {d.path.split("?")[0] for d in DEMOS}
    trains = {p.url_path for p in PAGES
              if re.search(r"train_buttons\(|button\(\s*\"Train", (ROOT / "app_pages" / p.file).read_text())}
    assert trains, "no page with a Train button found: the pattern above no longer matches the pages"
    assert trains <= benched, f"pages that train but are not benchmarked: {sorted(trains - benched)}"


def test_the_result_is_what_is_new_since_the_click_and_epochs_add_up_over_runs():
    from benchmarks.workshop import _epochs, _result

    before = {"alerts": ["Click Train to start."], "figures": ["a.png"], "tables": 0, "text": ""}
    same = {**before, "text": "Click Train to start."}
    assert _result(before, same) == ""  # the old box is no result
    assert _result(before, {**same, "figures": ["a.png", "b.png"]}) == "1 new figure(s)"
    assert _result(before, {**same, "alerts": ["Click Train to start.", "Trained 3 epoch(s) on CPU."]}).startswith(
        "message: Trained 3")
    assert _epochs("Trained 3 epoch(s) on CPU. … Trained 5 epoch(s) on CPU.", []) == (8, 2)
    # two runs of 40 epochs from the progress bar alone (the second starts again at epoch 1)
    bar = ["Epoch 1/40 · loss 0.7", "Epoch 38/40 · loss 0.3", "Epoch 2/40 · loss 0.6", "Epoch 40/40 · loss 0.2"]
    assert _epochs("no message", bar) == (80, 2)
    assert _epochs("no message", ["Epoch 3/4 · loss 0.5", "Epoch 2/8 · loss 0.6"]) == (12, 2)  # pretrain, then tune
    assert _epochs("no message", []) == (None, 0)


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_one_demo_clicked_in_chromium_gives_a_complete_record_with_the_first_change_before_done(tmp_path):
    from benchmarks.workshop import run_workshop

    # The neuron: a 4-weight model behind a tab, so the tab step is exercised too.
    run = run_workshop(["neuron"], timeout_s=240, shots=tmp_path, log=tmp_path / "server.log")
    (r,) = run["results"]
    print(r)
    assert r.ok, r.problem
    assert r.first_change_s is not None and r.done_s is not None
    assert 0 < r.first_change_s <= r.done_s
    assert r.training_s is not None and r.first_change_s <= r.training_s <= r.done_s + 0.5  # polled: ±0.25 s
    assert r.result.startswith("message: Trained"), r.result  # the run's own box, not an older one
    assert r.epochs is not None and r.epochs >= 1 and r.runs == 1
    assert r.server_cpu_s > 0
    assert (tmp_path / "workshop_neuron.png").stat().st_size > 10_000


def test_the_ready_pass_loads_every_page_demo_that_the_warmup_saves():
    from benchmarks.workshop import DEMOS, LOAD_BUTTON, ready_demos
    from models.warmup import DEMO_PAGES

    ready = ready_demos(list(DEMOS))
    assert {d.name.removesuffix("+ready") for d in ready} == set(DEMO_PAGES.values())
    assert all(d.button == LOAD_BUTTON for d in ready)
    assert ready_demos([d for d in DEMOS if d.name == "volumes-compare"]) == []  # not a page's first Train
