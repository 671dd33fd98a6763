"""Object detection in a minute: IoU against Dice, NMS step by step, a nodule detector trained, AP and FROC.

Run::

    python examples/detection.py --out examples_output/     # the default recipe, 5 epochs (~40 s of CPU)
    python examples/detection.py --quick                     # 1 epoch on 64 images (for tests)

Figures are saved as PNG files in ``--out``.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from explainers.detection import (  # noqa: E402
    compute_box_overlap, compute_candidate_boxes, compute_four_tasks, compute_nms_steps,
)
from explainers.detection_plots import (  # noqa: E402
    plot_box_overlap, plot_detection_history, plot_detection_snapshot, plot_four_tasks, plot_froc, plot_nms_steps,
    plot_pr_curves,
)
from models.recipes import DEFAULT_DETECTION_RECIPE, detection_data, train_detection  # noqa: E402

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples_output", help="folder for the PNG figures")
    parser.add_argument("--quick", action="store_true", help="1 epoch on 64 images (for tests)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    half = compute_box_overlap((0, 0, 10, 10), (5, 0, 15, 10), size=16)
    print(f"two boxes shifted by half their width: IoU {half.iou:.3f}, Dice {half.dice:.3f}")
    plot_box_overlap(half).figure.savefig(out / "detection_iou.png", dpi=110)

    recipe = replace(DEFAULT_DETECTION_RECIPE, epochs=1, n_train=64, n_val=16) if args.quick \
        else DEFAULT_DETECTION_RECIPE
    data = detection_data(recipe)
    val = data.val
    touching = next((i for i, t in enumerate(val.touching) if t.any()), int(np.argmax(val.counts)))
    cands = compute_candidate_boxes(val.boxes[touching], per_box=6, jitter=0.15, seed=0, size=recipe.size)
    fig = Figure(figsize=(12, 4), layout="constrained")
    for ax, t in zip(fig.subplots(1, 3), (0.0, 0.5, 0.9)):
        steps = compute_nms_steps(cands.boxes, cands.scores, iou_threshold=t, image=val.images[touching])
        plot_nms_steps(steps, ax)
        print(f"NMS at IoU threshold {t:.1f}: {len(cands.boxes)} candidates -> {steps.n_steps} kept "
              f"for {len(val.boxes[touching])} nodules")
    fig.savefig(out / "detection_nms.png", dpi=110)

    run = train_detection(recipe, data=data)
    monitor = run.monitor
    m = monitor.metrics
    print(f"detector ({run.model.count_params():,} parameters), {len(run.history)} epoch(s): validation "
          f"AP@0.1 {monitor.ap10[-1]:.3f}, AP@0.5 {monitor.ap50[-1]:.3f}, mAP(0.1-0.5) {m.map:.3f}, "
          f"FROC score {m.froc_score:.3f}")
    plot_detection_snapshot(monitor.snapshot).savefig(out / "detection_boxes.png", dpi=110)
    plot_detection_history(monitor.history).savefig(out / "detection_training.png", dpi=110)
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_pr, ax_froc = fig.subplots(1, 2)
    plot_pr_curves(m, ax_pr, score_threshold=0.3)
    plot_froc(m, ax_froc, score_threshold=0.3)
    fig.savefig(out / "detection_pr_froc.png", dpi=110)

    boxes, scores = (a[touching] for a in monitor.detections)
    four = compute_four_tasks(val.images[touching], boxes=boxes[scores >= 0.3], scores=scores[scores >= 0.3],
                              mask=val.masks[touching], class_threshold=0.3, true_count=int(val.counts[touching]),
                              mask_source="the data set's true mask")
    print(f"four tasks: {len(four.boxes)} boxes, {four.n_instances} connected components, "
          f"{val.counts[touching]} nodules")
    plot_four_tasks(four).savefig(out / "detection_four_tasks.png", dpi=110)
    print(f"figures saved in {out}/")


if __name__ == "__main__":
    main()
