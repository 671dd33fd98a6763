"""Shared by the two smoke-test files: train pages' models in a child process, report a native crash."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def train_pages_in_subprocess(pages: list[str], expected: int, timeout: int = 600) -> None:
    """Run ``python -m models.page_models --page ...``; fail with the configuration that crashed."""
    cmd = [sys.executable, "-m", "models.page_models"] + [a for p in pages for a in ("--page", p)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    lines = proc.stdout.splitlines()
    started = [line for line in lines if line.startswith("START ")]
    if proc.returncode < 0:  # killed by a signal: a native crash
        name = signal.Signals(-proc.returncode).name
        raise AssertionError(f"the process died with {name} while training {started[-1][6:] if started else '?'}; "
                             f"stderr tail:\n{proc.stderr[-2000:]}")
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    ok = [line for line in lines if line.startswith("OK ")]
    assert len(ok) == len(started) == expected, "\n".join(lines)
