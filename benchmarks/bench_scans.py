"""Real scans: loading the 512² head CT in Hounsfield units and windowing it, against pydicom by hand.

The baseline is what a script would write with pydicom alone: ``dcmread``,
``pixel_array``, ``apply_modality_lut`` and a NumPy window. ``load_scan`` adds
the padding mask, spacing and window metadata; it should cost about the same.
"""
from __future__ import annotations

__all__ = ["run"]

import numpy as np

from benchmarks.common import Row, best_time


def run(quick: bool) -> list[Row]:
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.pixels import apply_modality_lut

    from models.data import SCANS, WINDOWS, load_scan, window

    path = get_testdata_file(SCANS["ct_head"].file, download=False)
    level, width = WINDOWS["brain"]

    def by_hand():
        ds = pydicom.dcmread(path)
        hu = apply_modality_lut(ds.pixel_array, ds).astype(np.float32)
        return np.clip((hu - (level - width / 2)) / width, 0, 1)

    repeats = 3 if quick else 20
    ours = best_time(lambda: window(load_scan("ct_head").pixels, level, width), repeats=repeats)
    theirs = best_time(by_hand, repeats=repeats)
    return [Row("scans", "head CT 512²: load_scan + window vs dcmread + apply_modality_lut + NumPy window",
                ours, theirs, "s", theirs / ours, "<= 50 ms, within 1.5x of pydicom by hand",
                ours <= 0.05 and theirs / ours >= 1 / 1.5)]
