"""What the allocator settings cost: training speed with glibc tuned (models.native_memory) vs as shipped.

Each side runs in its own process (``mallopt`` must come before TensorFlow
allocates), the two alternating, so slow drift on a shared machine hits both.
A child trains the CNN page's model on the lesion images for a few epochs,
models.train as the page calls it, and reports its median epoch time and its
resident memory before and after the model is dropped, then after
``malloc_trim(0)``.

    python -m benchmarks.bench_native_memory          # the rows, printed
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.common import Row

__all__ = ["child", "run"]

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(tuned: bool, epochs: int, n: int) -> dict:
    """One process's measurement (run through ``python -m benchmarks.bench_native_memory --child``)."""
    from models.native_memory import release_free_memory, tune_allocator

    settings = tune_allocator() if tuned else None
    import gc
    import time

    import keras

    from models.training import train
    from models.zoo import build_model, demo_data

    (x, y), _, _ = demo_data("cnn", n=n)
    times: list[float] = []

    class Clock:
        def on_train_begin(self, info):
            self.t = time.perf_counter()

        def on_epoch_end(self, p, model):
            now = time.perf_counter()
            times.append(now - self.t)
            self.t = now

    rss = {"start": _rss_mb()}
    for round_ in range(2):  # a second model, as the next student's: does memory come back?
        model = build_model("cnn", seed=round_)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
        train(model, x, y, epochs=epochs, batch_size=32, observers=[Clock()])
        del model
        gc.collect()
    rss["after"] = _rss_mb()
    release_free_memory()
    rss["trimmed"] = _rss_mb()
    warm = times[1:epochs] + times[epochs + 1:]  # the first epoch of each model traces
    return {"tuned": tuned, "settings": str(settings), "epoch_s": statistics.median(warm), "rss": rss}


def _spawn(tuned: bool, epochs: int, n: int) -> dict:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_native_memory", "--child", str(int(tuned)),
                          str(epochs), str(n)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"child failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[Row]:
    epochs, n, pairs = (3, 128, 1) if quick else (6, 512, 3)
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for i in range(pairs):
        for tuned in ((False, True) if i % 2 == 0 else (True, False)):
            runs[tuned].append(_spawn(tuned, epochs, n))
    speed = {k: statistics.median(r["epoch_s"] for r in v) for k, v in runs.items()}
    # Absolute RSS, not growth: the tuning also lowers what TensorFlow's import leaves (the start), so a
    # growth from a lower start reads worse while the process ends at the same size.
    after = {k: statistics.median(r["rss"]["after"] for r in v) for k, v in runs.items()}
    trimmed = {k: statistics.median(r["rss"]["trimmed"] for r in v) for k, v in runs.items()}
    start = {k: statistics.median(r["rss"]["start"] for r in v) for k, v in runs.items()}
    ratio = speed[False] / speed[True]
    return [
        Row("native memory", f"CNN epoch, {n} images: glibc tuned vs as shipped", speed[True], speed[False], "s",
            ratio, "≥ 0.95× (tuning costs ≤ 5 %)", ratio >= 0.95,
            f"median of {pairs} process pair(s), order alternating; ratio = shipped / tuned time"),
        Row("native memory", "RSS after two CNN trainings in one thread, models dropped", after[True], after[False],
            "MB", None, "tuned ≤ shipped + 10 MB (one thread: arenas cannot differ)", after[True] <= after[False] + 10,
            f"start tuned {start[True]:.0f} / shipped {start[False]:.0f} MB; after malloc_trim(0): tuned "
            f"{trimmed[True]:.0f}, shipped {trimmed[False]:.0f} MB"),
    ]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(bool(int(sys.argv[2])), int(sys.argv[3]), int(sys.argv[4]))))
    else:
        for row in run(quick="--quick" in sys.argv):
            print(row)
