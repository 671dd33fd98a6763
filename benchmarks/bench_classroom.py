"""A class pressing Train at once, in real browsers: time to result, queue waits, server memory.

The sessions come from ``--sessions`` (``python -m benchmarks classroom --sessions 10``), else 10 (3 with
``--quick``). The logic and a stand-alone command are in :mod:`benchmarks.classroom`.
"""
from __future__ import annotations

import os
import shutil

from benchmarks.common import Row

__all__ = ["run"]


def run(quick: bool = False) -> list[Row]:
    sessions = int(os.environ.get("MEDLENS_CLASSROOM_SESSIONS") or (3 if quick else 10))
    if shutil.which("chromium") is None and not os.path.exists("/usr/bin/chromium"):
        return [Row("classroom", f"{sessions} sessions press Train", float("nan"), None, "s", None,
                    "all finish", None, "chromium not installed: not measured")]
    from benchmarks.classroom import run_classroom
    from models.training_queue import default_slots

    room = run_classroom(sessions, warm_up=not quick)
    slots = default_slots()
    ok = sum(r.ok for r in room.results)
    # Each session's own training time is its time to result minus what it waited in the queue.
    work = sum(max(r.seconds - r.queued_s, 0.0) for r in room.results if r.seconds is not None)
    fair = work / slots
    p50, p95, worst = room.percentile(0.5), room.percentile(0.95), room.percentile(1.0)
    queued = [r.queued_s for r in room.results]
    leaked = room.rss_end_mb - room.rss_start_mb
    return [
        Row("classroom", f"{sessions} sessions: own result, no exception", float(ok), float(sessions), "sessions",
            None, "all", ok == sessions, "; ".join(f"{r.page}: {r.problem}" for r in room.results if not r.ok)),
        Row("classroom", f"{sessions} sessions: p95 click to result", p95 or float("nan"), fair, "s",
            (fair / p95) if p95 else None, "p95 ≤ 1.5 × work / slots", bool(p95 and p95 <= 1.5 * fair),
            f"baseline: total training work {work:.0f} s over {slots} slot(s); p50 {p50:.0f} s, max {worst:.0f} s; "
            f"queue waits {min(queued):.0f}-{max(queued):.0f} s"),
        Row("classroom", f"{sessions} sessions: server memory after they close", room.rss_end_mb,
            room.rss_start_mb, "MB", None, "≤ start + 100 MB", leaked <= 100,
            f"peak {room.rss_peak_mb:.0f} MB while training; start = "
            + ("after a first class on the same server" if not quick else "a fresh server (--quick: no warm-up)")),
    ]
