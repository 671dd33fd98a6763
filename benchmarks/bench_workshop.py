"""How a workshop feels: click to first visible change and click to done, per page, in headless Chromium.

One row per demo; ``quick`` clicks three (a tiny neuron, the MLP playground, the CNN). The logic and a
stand-alone command (``python -m benchmarks.workshop``) are in :mod:`benchmarks.workshop`.
"""
from __future__ import annotations

import os
import shutil

from benchmarks.common import Row

__all__ = ["QUICK_DEMOS", "run"]

QUICK_DEMOS = ("neuron", "playground", "cnn")


def run(quick: bool = False) -> list[Row]:
    from benchmarks.workshop import DEMO_NAMES, DONE_TARGET_S, FIRST_CHANGE_TARGET_S

    names = QUICK_DEMOS if quick else DEMO_NAMES
    target = f"done ≤ {DONE_TARGET_S:.0f} s, first change ≤ {FIRST_CHANGE_TARGET_S:.0f} s"
    if shutil.which("chromium") is None and not os.path.exists("/usr/bin/chromium"):
        return [Row("workshop", f"{name}: click → done", float("nan"), None, "s", None, target, None,
                    "chromium not installed: not measured") for name in names]
    from benchmarks.workshop import run_workshop

    run_ = run_workshop(names)
    rows = []
    for r in run_["results"]:
        first = "-" if r.first_change_s is None else f"{r.first_change_s:.2f} s"
        trained = "" if r.epochs is None else f"; {r.epochs} epochs in {r.runs} run(s)"
        if r.training_s is not None:
            trained += f"; training over at {r.training_s:.1f} s"
        note = (f"first change {first} ({r.first_change}){trained}; server CPU {r.server_cpu_s:.0f} s"
                if r.ok else r.problem)
        rows.append(Row("workshop", f"{r.name}: click → done", r.done_s if r.done_s is not None else float("nan"),
                        None, "s", None, target, r.met() if r.ok else False, note))
    before, after = run_["load_before"], run_["load_after"]
    if before and after:  # the timings above are only as quiet as the machine was
        rows.append(Row("workshop", "load average (1 min): after (ours) vs before (baseline)", after[0], before[0],
                        "", None, "-", None, f"{os.cpu_count()} cores; 5-min load {before[1]:.1f} → {after[1]:.1f}"))
    return rows
