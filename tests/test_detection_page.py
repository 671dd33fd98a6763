"""The Object detection page: its numbers against independent counts, NMS and stride controls, a short
live training that fills the PR/FROC and four-task tabs, and the example script."""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def _raster_iou_dice(a, b, size=32):
    ma, mb = np.zeros((size, size), bool), np.zeros((size, size), bool)
    ma[a[1]:a[3], a[0]:a[2]] = True
    mb[b[1]:b[3], b[0]:b[2]] = True
    inter = (ma & mb).sum()
    return inter / (ma | mb).sum(), 2 * inter / (ma.sum() + mb.sum())


def test_page_opens_and_counts_iou_and_dice_as_pixel_counting_does(app_page):
    at = app_page("detection.py")
    assert not at.exception
    text = _markdown(at)
    iou, dice = _raster_iou_dice((6, 6, 18, 18), (12, 10, 22, 20))  # box A, and B at the default sliders
    assert f"IoU = 48 / 196 = **{iou:.3f}**" in text and f"**{dice:.3f}**" in text
    assert "IoU **0.333** but Dice **0.500**" in text  # half-shifted boxes
    at.slider(key="det_bx").set_value(0).run()
    at.slider(key="det_by").set_value(24).run()  # B far from A: no overlap
    assert not at.exception and "IoU = 0 / " in _markdown(at)


def test_nms_threshold_slider_changes_how_many_boxes_survive(app_page):
    at = app_page("detection.py")
    kept = {}
    for t in (0.0, 0.5, 0.9):
        at.slider(key="det_nms").set_value(t).run()
        assert not at.exception
        line = next(m.value for m in at.markdown if "candidates →" in m.value)
        kept[t] = int(line.split("**")[1].split()[0])
    assert kept[0.0] < kept[0.5] < kept[0.9]  # merged neighbours at 0, duplicates at 0.9


@pytest.mark.slow
def test_training_on_the_page_fills_the_curves_and_the_four_tasks(app_page):
    at = app_page("detection.py", timeout=400, det_epochs="1")
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception
    entry = at.session_state["det_model"]
    assert len(entry.history) == 1 and entry.history.status == "finished"
    monitor = entry.extra["monitor"]
    text = _markdown(at)
    assert f"AP at IoU 0.1 **{monitor.ap10[-1]:.3f}**" in text
    assert f"here **{monitor.metrics.froc_score:.3f}**" in text
    assert "Keeping boxes scoring ≥ **0.30**" in text
    assert "objects where there are" in text  # the four tasks, with the detector's boxes
    at.radio(key="det_nms_source").set_value("detector").run()  # NMS on the trained detector's own cells
    assert not at.exception
    assert any("candidates →" in m.value for m in at.markdown) or any("No candidate box" in i.value for i in at.info)


def test_example_trains_the_detector_and_saves_its_figures(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["detection.py", "--quick", "--out", str(tmp_path)])
    runpy.run_path(str(ROOT / "examples" / "detection.py"), run_name="__main__")
    for name in ("iou", "nms", "boxes", "training", "pr_froc", "four_tasks"):
        assert (tmp_path / f"detection_{name}.png").stat().st_size > 5_000
    out = capsys.readouterr().out
    assert "IoU 0.333, Dice 0.500" in out and "FROC score" in out and "AP@0.5" in out


@pytest.mark.parametrize("lecture, phrases", [
    ("001", ["object detection", "Non-Max Suppression", "Jaccard’s Index and Dice Coefficient in Object Detection"]),
    ("002", ["Beyond image classification", "Object Detection", "Semantic Segmentation", "Instance Segmentation",
             "Dice loss in segmentation"]),
    ("004", ["Lymph node detection", "Lung nodule", "Lymph Node Detection", "Lung Nodule Detection"]),
])
def test_what_the_page_says_about_the_lectures_is_in_the_lectures(lecture, phrases):
    from conftest import COURSE

    path = next(COURSE.glob(f"{lecture}_*.txt"), None)
    assert path is not None, f"lecture {lecture} is missing from {COURSE}"
    text = " ".join(path.read_text().split())
    for phrase in phrases:
        assert phrase in text, f"lecture {lecture} does not say {phrase!r}"
    page = (ROOT / "app_pages" / "detection.py").read_text()
    assert f"lecture {lecture}" in page.lower() or f"Lecture {lecture}" in page
