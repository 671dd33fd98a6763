"""Three students press Train at once in real browsers: one trains, two wait in line, all get their own result."""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]


def test_three_sessions_pressing_train_together_queue_and_each_get_their_own_result(tmp_path):
    from benchmarks.classroom import run_classroom

    room = run_classroom(3, slots=1, spread_s=1.0, timeout_s=600, shots=tmp_path)
    print({r.page: (round(r.seconds or -1, 1), r.queued_s, r.problem) for r in room.results})
    assert all(r.ok for r in room.results), [(r.page, r.problem) for r in room.results]
    # One slot: the first ran at once, the later ones waited and the page told them so.
    assert room.results[0].queued_s <= 1
    assert any(r.saw_queue_message for r in room.results[1:])
    assert room.results[2].queued_s >= 1
