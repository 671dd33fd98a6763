"""Detection: the detector's epoch time, NMS against TensorFlow's kernel, AP against pycocotools.

Rows:
- the time to make 512 nodule images (``make_nodule_boxes``);
- samples/s of the default detector trained through ``models.train`` with the
  page's :class:`DetectionMonitor` against plain ``model.fit`` of the same model
  (paired epochs), and (full run) the default recipe's CPU seconds and AP@0.5;
- NMS on 10,000 random boxes: :func:`explainers.detection.non_max_suppression`
  (NumPy) against ``tf.image.non_max_suppression`` (C++), same boxes kept;
- AP and mAP on 1,000 images: :func:`compute_detection_metrics` against
  pycocotools' COCOeval (``evaluate`` + ``accumulate``), same numbers.
"""
from __future__ import annotations

import contextlib
import io
import time
from dataclasses import replace

from benchmarks.common import PAIRED_ROUNDS, Row, best_time, paired_epochs

__all__ = ["run"]


def _throughput(quick: bool) -> tuple[float, float, float, int]:
    import keras
    import numpy as np

    from models.detector import detection_loss, heatmap_loss, offset_loss, size_loss
    from models.recipes import DEFAULT_DETECTION_RECIPE, build_detection_model, detection_data, train_detection

    recipe = replace(DEFAULT_DETECTION_RECIPE, n_train=64 if quick else 512, n_val=16 if quick else 128, epochs=1)
    data = detection_data(recipe)
    model = build_detection_model(recipe)
    model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate), loss=detection_loss,
                  metrics=[heatmap_loss, size_loss, offset_loss])
    run_plain = lambda: model.fit(data.x, data.y, epochs=1, batch_size=recipe.batch_size,  # noqa: E731
                                  validation_data=(data.x_val, data.y_val), verbose=0)
    run_ours = lambda: train_detection(recipe, model=model, data=data)  # noqa: E731
    run_plain(), run_ours()  # trace outside the timing
    plain, ours, overhead = paired_epochs(run_plain, run_ours, **PAIRED_ROUNDS[quick])
    return len(data.x) / float(np.median(ours)), len(data.x) / float(np.median(plain)), overhead, len(plain)


def _default_run() -> tuple[float, float, float]:
    from models.recipes import DEFAULT_DETECTION_RECIPE, train_detection

    c = time.process_time()
    monitor = train_detection(DEFAULT_DETECTION_RECIPE).monitor
    return time.process_time() - c, monitor.ap50[-1], monitor.ap10[-1]


def _nms(quick: bool) -> tuple[float, float, bool, int, int]:
    import numpy as np
    import tensorflow as tf

    from explainers.detection import non_max_suppression

    n = 2_000 if quick else 10_000
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 1000, (n, 2))
    boxes = np.c_[xy, xy + rng.uniform(5, 50, (n, 2))].astype(np.float32)
    scores = rng.random(n).astype(np.float32)
    tf_boxes = tf.constant(boxes[:, [1, 0, 3, 2]])
    tf_scores = tf.constant(scores)
    ours = lambda: non_max_suppression(boxes, scores, iou_threshold=0.5)  # noqa: E731
    theirs = lambda: tf.image.non_max_suppression(tf_boxes, tf_scores, n, iou_threshold=0.5).numpy()  # noqa: E731
    same = bool(np.array_equal(ours(), theirs()))
    return best_time(ours), best_time(theirs), same, n, len(ours())


def _coco(quick: bool) -> tuple[float, float, float, int]:
    import numpy as np

    from explainers.detection import COCO_IOU_THRESHOLDS, compute_detection_metrics

    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError:  # pragma: no cover - the dev extra installs it
        return float("nan"), float("nan"), float("nan"), 0
    n = 100 if quick else 1_000
    rng = np.random.default_rng(0)
    gts, dts, scores = [], [], []
    for _ in range(n):
        k = int(rng.integers(0, 4))
        xy = rng.uniform(0, 100, (k, 2))
        gt = np.c_[xy, xy + rng.uniform(5, 20, (k, 2))]
        fx = rng.uniform(0, 100, (3, 2))
        dt = np.concatenate([gt + rng.normal(0, 2, gt.shape), np.c_[fx, fx + rng.uniform(5, 20, (3, 2))]])
        dt[:, 2:] = np.maximum(dt[:, 2:], dt[:, :2] + 1)
        gts.append(gt)
        dts.append(dt)
        scores.append(rng.random(len(dt)))
    xywh = lambda b: [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])]  # noqa: E731
    anns = [{"id": j + 1, "image_id": i + 1, "category_id": 1, "bbox": xywh(b), "iscrowd": 0,
             "area": float((b[2] - b[0]) * (b[3] - b[1]))}
            for j, (i, b) in enumerate((i, b) for i, g in enumerate(gts) for b in g)]
    results = [{"image_id": i + 1, "category_id": 1, "bbox": xywh(b), "score": float(s)}
               for i, (d, sc) in enumerate(zip(dts, scores)) for b, s in zip(d, sc)]

    def theirs():
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO()
            coco.dataset = {"images": [{"id": i + 1} for i in range(n)], "annotations": anns,
                            "categories": [{"id": 1, "name": "nodule"}]}
            coco.createIndex()
            ev = COCOeval(coco, coco.loadRes(results), "bbox")
            ev.params.maxDets, ev.params.areaRng, ev.params.areaRngLbl = [100], [[0, 1e10]], ["all"]
            ev.evaluate()
            ev.accumulate()
        p = ev.eval["precision"][:, :, 0, 0, 0]
        return np.array([q[q > -1].mean() for q in p])

    ours = lambda: compute_detection_metrics(gts, dts, scores, iou_thresholds=COCO_IOU_THRESHOLDS).ap  # noqa: E731
    diff = float(np.abs(ours() - theirs()).max())
    return best_time(ours, repeats=2), best_time(theirs, repeats=2), diff, n


def _data(quick: bool) -> tuple[float, int]:
    from models.data.boxes import make_nodule_boxes

    n = 64 if quick else 512
    return best_time(lambda: make_nodule_boxes(n, seed=0)), n


def run(quick: bool) -> list[Row]:
    t_data, n_data = _data(quick)
    ours, plain, overhead, rounds = _throughput(quick)
    rows = [Row("detection", f"make_nodule_boxes({n_data}) at 128×128", t_data, None, "s", None,
                "well under a second for 512", t_data < 1.0 if not quick else None,
                "chest backgrounds drawn at half size and enlarged; nodules drawn in patches")]
    rows += [Row("detection", "detector samples/s, models.train + DetectionMonitor vs model.fit", ours, plain,
                "samples/s", 1.0 / (1.0 + overhead), "monitor costs < 25 %", overhead < 0.25,
                f"overhead {overhead:+.1%} (median of {rounds} paired epochs); stride 4, 16/32/48 filters, batch 16; "
                f"an epoch of 512 images: {512 / ours:.1f} s")]
    if not quick:
        cpu, ap50, ap10 = _default_run()
        rows.append(Row("detection", "default recipe: CPU seconds for 5 epochs", cpu, None, "s", None,
                        "AP@0.5 ≥ 0.6 within 60 s", ap50 >= 0.6 and cpu < 60,
                        f"validation AP@0.5 {ap50:.3f}, AP@0.1 {ap10:.3f}"))
    t_ours, t_tf, same, n, kept = _nms(quick)
    rows.append(Row("detection", f"NMS on {n:,} boxes: NumPy vs tf.image.non_max_suppression", t_ours, t_tf, "s",
                    t_tf / t_ours, "within 3× of TensorFlow's C++ kernel, same boxes kept", same and t_ours < 3 * t_tf,
                    f"{kept:,} kept at IoU 0.5; same indices: {same}"))
    t_ours, t_coco, diff, n = _coco(quick)
    rows.append(Row("detection", f"AP at 10 IoU thresholds on {n:,} images: ours vs pycocotools COCOeval", t_ours,
                    t_coco, "s", t_coco / t_ours if t_ours == t_ours else None, "same AP (|Δ| < 1e-12), not slower",
                    diff < 1e-12 and t_ours <= t_coco, f"largest AP difference {diff:.1e}"))
    return rows
