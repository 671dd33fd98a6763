"""The Volumes page's slice viewer: a warm rerun after moving the crosshair, beside the page's cold first run.

A student drags a slider and waits for three new planes. Each move goes to a
voxel not seen before (nothing cached for it): the rerun recomputes the three
planes and draws the figure once. The baseline is the page's first run in this
process (loading the volume, the first compute and every figure, building the
session's 3-D CNN and its first Grad-CAM).
"""
from __future__ import annotations

__all__ = ["run"]

import time
from pathlib import Path

from benchmarks.common import Row

ROOT = Path(__file__).resolve().parents[1]
# (label in the page's Volume box, the slice slider's key, voxels per slice)
CASES = [("Brain MR", "vol_z_builtin_brain_mr_0", "25 × 41 × 33 voxels"),
         ("fMRI, 4-D", "vol_z_builtin_fmri_4d_0", "2 × 24 × 96 × 128 voxels")]


def _measure(label: str, key: str, moves: int) -> tuple[float, float, int]:
    """(cold first run s, median warm rerun s after a slider move, moves)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.query_params["vol_source"] = label
    at.run()
    t = time.perf_counter()
    at.switch_page("app_pages/volumes.py").run()
    cold = time.perf_counter() - t
    if at.exception:
        raise RuntimeError(f"the Volumes page failed on {label}: {at.exception[0].value}")
    slider = at.slider(key=key)
    values = [v for v in range(int(slider.min), int(slider.max) + 1) if v != slider.value][:moves]
    times = []
    for v in values:
        at.slider(key=key).set_value(v)
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    times.sort()
    return cold, times[len(times) // 2], len(times)


def run(quick: bool = False) -> list[Row]:
    rows = []
    for i, (label, key, size) in enumerate(CASES):
        cold, warm, n = _measure(label, key, 5 if quick else 20)
        first = "; the cold run imports TensorFlow (the page's 3-D CNN)" if i == 0 else \
            "; a new session, TensorFlow already imported"
        rows.append(Row("volume_viewer", f"Volumes page, {label} ({size}): warm rerun after a crosshair move "
                        f"vs the cold first run", warm, cold, "s", cold / warm, "<= 0.3 s", warm <= 0.3,
                        f"median of {n} moves, each to a new slice{first}"))
    return rows
