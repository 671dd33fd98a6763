"""Timing helpers and the result row every benchmark returns."""
from __future__ import annotations

import os
import platform
import gc
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

__all__ = ["Row", "best_time", "PAIRED_ROUNDS", "paired_epochs", "machine", "PageProgress"]


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


# Pairs for paired_epochs: a smoke run, and a full run filling 60 s (fast models get more pairs).
PAIRED_ROUNDS = {True: dict(min_rounds=3, max_rounds=3, budget_s=0.0),
                 False: dict(min_rounds=9, max_rounds=41, budget_s=60.0)}


def paired_epochs(run_plain: Callable[[], object], run_ours: Callable[[], object], *, min_rounds: int,
                  max_rounds: int, budget_s: float) -> tuple[list[float], list[float], float]:
    """Time ``run_plain`` and ``run_ours`` back to back, order alternating, over many rounds.

    Returns both sides' times (s) and the overhead: the median over rounds of
    ours / plain, minus 1. Single epochs on a shared 2-core machine jump between
    two speeds ~30 % apart; each pair's ratio cancels slow drift and the median
    of many pairs ignores the jumps. Rounds fill ``budget_s`` between
    ``min_rounds`` and ``max_rounds``, so fast models get more pairs.
    """
    def timed(fn):
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    # As the app does after its imports (app_pages/heap.py): a full collection of TensorFlow's
    # ~400k long-lived objects would land at random inside one side's epochs.
    gc.collect()
    gc.freeze()
    plain: list[float] = []
    ours: list[float] = []
    start = time.perf_counter()
    try:
        while len(plain) < max_rounds and (len(plain) < min_rounds or time.perf_counter() - start < budget_s):
            if len(plain) % 2 == 0:
                plain.append(timed(run_plain))
                ours.append(timed(run_ours))
            else:
                ours.append(timed(run_ours))
                plain.append(timed(run_plain))
    finally:
        gc.unfreeze()
    ratios = sorted(o / p for o, p in zip(ours, plain))
    mid = len(ratios) // 2
    median = ratios[mid] if len(ratios) % 2 else (ratios[mid - 1] + ratios[mid]) / 2
    return plain, ours, median - 1.0


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


class PageProgress:
    """What a page's progress bar does: read the batch logs, at most every 0.25 s."""

    def __init__(self):
        self.last, self.text = 0.0, ""

    def on_batch_end(self, p):
        now = time.perf_counter()
        if now - self.last > 0.25:
            self.last = now
            self.text = f"{p.epoch}/{p.epochs} {p.batch}/{p.batches} {p.logs['loss']:.4f}"

    def on_epoch_end(self, p, model):
        self.text = " ".join(f"{k} {v:.3f}" for k, v in p.logs.items())
