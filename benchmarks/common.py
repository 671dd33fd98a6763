"""Timing helpers and the result row every benchmark returns."""
from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass
class Row:
    """One comparison. ``ratio`` is baseline / ours for speed-ups (higher is better)
    unless ``unit`` says otherwise; ``target`` is a human-readable goal."""

    group: str
    name: str
    ours: float
    baseline: float | None
    unit: str
    ratio: float | None
    target: str
    met: bool | None
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def best_time(fn: Callable[[], object], repeats: int = 3, warmup: int = 1) -> float:
    """Best wall time of ``repeats`` calls after ``warmup`` untimed calls (seconds)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def machine() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import keras

        from models.device import device_name

        info["keras"] = keras.__version__
        info["backend"] = keras.backend.backend()
        info["device"] = device_name()
    except Exception as err:  # pragma: no cover - reported, not fatal
        info["device"] = f"unknown ({err})"
    return info
