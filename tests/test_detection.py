"""Detection data and box metrics: the nodule set against scikit-image, IoU and NMS against
TensorFlow, AP against pycocotools' COCOeval, and a hand-made AP/FROC case worked out by hand."""
from __future__ import annotations

import numpy as np
import pytest

from models.data.boxes import make_nodule_boxes


# ------------------------------------------------------------------ data
@pytest.fixture(scope="module")
def nodules():
    return make_nodule_boxes(256, seed=0)


def test_nodule_boxes_have_the_documented_shapes_and_ranges(nodules):
    d = nodules
    assert d.images.shape == (256, 128, 128, 1) and d.images.dtype == np.float32
    assert d.images.min() >= 0.0 and d.images.max() <= 1.0
    assert d.instances.shape == (256, 128, 128) and d.masks.shape == (256, 128, 128, 1)
    assert set(np.unique(d.counts)) == {0, 1, 2, 3}
    for boxes, labels in zip(d.boxes, d.labels):
        assert boxes.shape == (len(labels), 4) and labels.dtype == np.int64 and np.all(labels == 1)
        assert np.all(boxes[:, 2] > boxes[:, 0]) and np.all(boxes[:, 3] > boxes[:, 1])
    widths = np.concatenate([b[:, 2] - b[:, 0] for b in d.boxes])
    assert widths.min() >= 3 and widths.max() <= 128 / 6 + 1  # nodules of different sizes
    assert widths.max() - widths.min() >= 12


def test_every_box_is_the_bounding_box_scikit_image_finds_for_its_instance(nodules):
    from skimage.measure import regionprops

    for i in range(40):
        props = {p.label: p.bbox for p in regionprops(nodules.instances[i])}
        assert sorted(props) == list(range(1, len(nodules.boxes[i]) + 1))
        for j, box in enumerate(nodules.boxes[i]):
            r0, c0, r1, c1 = props[j + 1]
            np.testing.assert_array_equal(box, [c0, r0, c1, r1])


def test_some_nodules_are_faint_and_some_touching_ones_merge_into_one_connected_component(nodules):
    from skimage.measure import label

    faint = np.concatenate(nodules.faint)
    assert 0.15 < faint.mean() < 0.35
    touching = [i for i, t in enumerate(nodules.touching) if t.any()]
    assert len(touching) >= 20
    merged = sum(label(nodules.instances[i] > 0).max() < nodules.counts[i] for i in touching)
    assert merged >= len(touching) // 2  # what instance segmentation by connected components gets wrong


def test_nodule_boxes_are_deterministic_given_the_seed_and_differ_between_seeds():
    a, b, c = make_nodule_boxes(8, seed=1), make_nodule_boxes(8, seed=1), make_nodule_boxes(8, seed=2)
    np.testing.assert_array_equal(a.images, b.images)
    assert all(np.array_equal(x, y) for x, y in zip(a.boxes, b.boxes))
    assert not np.array_equal(a.images, c.images)


@pytest.mark.parametrize("kwargs", [dict(n=0), dict(n=2, size=16), dict(n=2, max_nodules=7), dict(n=2, seed=-1),
                                    dict(n=2.5)])
def test_bad_arguments_are_refused_with_a_message_naming_them(kwargs):
    name = next(k for k in ("n", "size", "max_nodules", "seed") if k in kwargs and k != "n") \
        if len(kwargs) > 1 else "n"
    with pytest.raises(ValueError, match=name):
        make_nodule_boxes(**kwargs)


def test_max_nodules_zero_gives_images_without_boxes():
    d = make_nodule_boxes(4, max_nodules=0, seed=0)
    assert d.counts.tolist() == [0, 0, 0, 0] and d.instances.max() == 0


# ------------------------------------------------------------------ IoU
from explainers.detection import (  # noqa: E402
    COCO_IOU_THRESHOLDS, FROC_RATES, box_iou, compute_box_overlap, compute_candidate_boxes, compute_detection_metrics,
    compute_detection_view, compute_four_tasks, compute_grid_cells, compute_nms_steps, non_max_suppression,
)


def _random_boxes(rng, n, extent=100.0, max_side=30.0, degenerate=0.05):
    xy = rng.uniform(0, extent, (n, 2))
    wh = rng.uniform(0, max_side, (n, 2))
    wh[rng.random(n) < degenerate] *= np.array([0.0, 1.0])  # some boxes without width
    return np.c_[xy, xy + wh]


def _raster_iou(a, b, size=48):
    """IoU by counting pixels of two integer boxes drawn as masks: an independent reference."""
    def mask(box):
        m = np.zeros((size, size), bool)
        m[int(box[1]):int(box[3]), int(box[0]):int(box[2])] = True
        return m
    ma, mb = mask(a), mask(b)
    union = (ma | mb).sum()
    return (ma & mb).sum() / union if ma.any() and mb.any() else 0.0


@pytest.mark.parametrize("seed", range(4))
def test_box_iou_equals_pixel_counting_on_integer_boxes_including_disjoint_and_degenerate_ones(seed):
    rng = np.random.default_rng(seed)
    xy = rng.integers(0, 30, (25, 2))
    wh = rng.integers(0, 18, (25, 2))  # zero width or height: degenerate
    boxes = np.c_[xy, xy + wh].astype(float)
    expected = np.array([[_raster_iou(a, b) for b in boxes] for a in boxes])
    np.testing.assert_allclose(box_iou(boxes, boxes), expected, atol=1e-12)
    assert (expected == 0).mean() > 0.3  # many disjoint pairs were checked


def test_box_iou_of_disjoint_touching_and_identical_boxes():
    a = np.array([[0, 0, 10, 10]], float)
    b = np.array([[10, 0, 20, 10], [30, 30, 40, 40], [0, 0, 10, 10], [5, 5, 5, 9]], float)
    np.testing.assert_array_equal(box_iou(a, b), [[0.0, 0.0, 1.0, 0.0]])
    assert box_iou(a, np.zeros((0, 4))).shape == (1, 0)


@pytest.mark.parametrize("bad", [[[0, 0, 10]], [[10, 0, 0, 10]], [[0, 0, np.nan, 1]]])
def test_box_iou_refuses_malformed_boxes_with_a_message(bad):
    with pytest.raises(ValueError, match="boxes_a"):
        box_iou(bad, [[0, 0, 1, 1]])


# ------------------------------------------------------------------ NMS against TensorFlow
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("iou_threshold, score_threshold", [(0.5, -np.inf), (0.3, 0.0), (0.7, 0.205), (0.0, 0.0),
                                                            (1.0, -np.inf)])
def test_nms_keeps_the_same_boxes_in_the_same_order_as_tensorflow(seed, iou_threshold, score_threshold):
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 150))
    boxes = _random_boxes(rng, n).astype(np.float32)
    scores = np.round(rng.random(n), 2).astype(np.float32)  # ties too
    expected = tf.image.non_max_suppression(boxes[:, [1, 0, 3, 2]], scores, max_output_size=n,
                                            iou_threshold=iou_threshold, score_threshold=score_threshold).numpy()
    ours = non_max_suppression(boxes, scores, iou_threshold=iou_threshold, score_threshold=score_threshold)
    np.testing.assert_array_equal(ours, expected)


def test_nms_max_output_keeps_the_best_boxes_first():
    rng = np.random.default_rng(0)
    boxes, scores = _random_boxes(rng, 60), rng.random(60)
    full = non_max_suppression(boxes, scores, iou_threshold=0.4)
    np.testing.assert_array_equal(non_max_suppression(boxes, scores, iou_threshold=0.4, max_output=3), full[:3])


@pytest.mark.parametrize("iou_threshold", [0.1, 0.3, 0.5, 0.8])
def test_nms_steps_replay_the_algorithm_and_every_suppression_is_justified(iou_threshold):
    rng = np.random.default_rng(1)
    boxes, scores = _random_boxes(rng, 80, degenerate=0.0), rng.random(80)
    steps = compute_nms_steps(boxes, scores, iou_threshold=iou_threshold)
    np.testing.assert_array_equal(steps.kept, non_max_suppression(boxes, scores, iou_threshold=iou_threshold))
    iou = box_iou(boxes, boxes)
    kept = steps.kept
    assert np.all(iou[np.ix_(kept, kept)][~np.eye(len(kept), dtype=bool)] <= iou_threshold)
    gone = np.flatnonzero(steps.suppressed_by >= 0)
    assert len(gone) + len(kept) == 80
    np.testing.assert_allclose(steps.suppressed_iou[gone], iou[gone, steps.suppressed_by[gone]])
    assert np.all(steps.suppressed_iou[gone] > iou_threshold)
    # a box is suppressed at the step that kept its suppressor, and that box outscored it
    np.testing.assert_array_equal(steps.step[gone], steps.step[steps.suppressed_by[gone]])
    assert np.all(scores[steps.suppressed_by[gone]] >= scores[gone])
    np.testing.assert_array_equal(steps.step[kept], np.arange(len(kept)))


def test_a_low_nms_threshold_merges_neighbouring_nodules_and_a_high_one_keeps_duplicates():
    # nodule A's box and B's overlap by a 3x3 corner (IoU 9/443 = 0.02); each has a duplicate shifted by 1 px
    boxes = np.array([[20, 20, 36, 36], [21, 20, 37, 36], [33, 33, 47, 47], [34, 33, 48, 47]], float)
    scores = np.array([0.95, 0.8, 0.9, 0.7])
    assert box_iou(boxes[:1], boxes[2:3])[0, 0] == pytest.approx(9 / 443)
    kept = {t: compute_nms_steps(boxes, scores, iou_threshold=t).kept.tolist() for t in (0.01, 0.5, 0.95)}
    assert kept == {0.01: [0], 0.5: [0, 2], 0.95: [0, 2, 1, 3]}


def test_candidate_boxes_cluster_round_each_nodule_and_nms_keeps_one_per_nodule():
    gt = np.array([[10, 10, 26, 26], [60, 60, 72, 72]], float)
    cands = compute_candidate_boxes(gt, per_box=8, n_false=0, seed=0)
    assert cands.boxes.shape == (16, 4) and np.all(box_iou(cands.boxes, gt).max(1) > 0.3)
    kept = non_max_suppression(cands.boxes, cands.scores, iou_threshold=0.3)
    assert sorted(cands.source[kept]) == [0, 1]


# ------------------------------------------------------------------ AP against pycocotools' COCOeval
def _cocoeval_precision(gts, dts, scores, thresholds):
    """pycocotools' COCOeval (bbox, one class, area 'all', 100 detections): (T, 101) precision and AP per T."""
    import contextlib
    import io

    pytest.importorskip("pycocotools")
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    xywh = lambda b: [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])]  # noqa: E731
    anns = [{"id": k + 1, "image_id": i + 1, "category_id": 1, "bbox": xywh(b), "iscrowd": 0,
             "area": float((b[2] - b[0]) * (b[3] - b[1]))}
            for k, (i, b) in enumerate((i, b) for i, g in enumerate(gts) for b in g)]
    coco = COCO()
    coco.dataset = {"images": [{"id": i + 1} for i in range(len(gts))], "annotations": anns,
                    "categories": [{"id": 1, "name": "nodule"}]}
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
        results = coco.loadRes([{"image_id": i + 1, "category_id": 1, "bbox": xywh(b), "score": float(s)}
                                for i, (d, sc) in enumerate(zip(dts, scores)) for b, s in zip(d, sc)])
        ev = COCOeval(coco, results, "bbox")
        ev.params.iouThrs = np.array(thresholds, float)
        ev.params.maxDets = [100]
        ev.params.areaRng, ev.params.areaRngLbl = [[0, 1e10]], ["all"]
        ev.evaluate()
        ev.accumulate()
    precision = ev.eval["precision"][:, :, 0, 0, 0]
    return precision, np.array([p[p > -1].mean() for p in precision])


def _random_detection_set(seed, n_images=25, tie_decimals=1):
    rng = np.random.default_rng(seed)
    gts, dts, scores = [], [], []
    for _ in range(n_images):
        k = int(rng.integers(0, 4))
        gt = _random_boxes(rng, k, max_side=20, degenerate=0.0) + np.array([0, 0, 4, 4])
        dt = [b + rng.normal(0, 2.5, 4) for b in gt for _ in range(int(rng.integers(0, 3)))]
        dt += list(_random_boxes(rng, int(rng.integers(0, 3)), max_side=20, degenerate=0.0))
        dt = np.array(dt).reshape(-1, 4)
        dt[:, 2:] = np.maximum(dt[:, 2:], dt[:, :2] + 0.5)
        gts.append(gt)
        dts.append(dt)
        scores.append(np.round(rng.random(len(dt)), tie_decimals))  # ties across images
    return gts, dts, scores


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("thresholds", [(0.1, 0.2, 0.3, 0.4, 0.5), COCO_IOU_THRESHOLDS])
def test_precision_and_ap_equal_pycocotools_cocoeval(seed, thresholds):
    gts, dts, scores = _random_detection_set(seed)
    precision, ap = _cocoeval_precision(gts, dts, scores, thresholds)
    ours = compute_detection_metrics(gts, dts, scores, iou_thresholds=thresholds)
    np.testing.assert_allclose(ours.precision_interpolated, precision, atol=1e-12)
    np.testing.assert_allclose(ours.ap, ap, atol=1e-12)
    assert ours.map == pytest.approx(ap.mean())


def test_more_than_100_detections_per_image_are_cut_as_cocoeval_does():
    rng = np.random.default_rng(3)
    gts = [_random_boxes(rng, 30, degenerate=0.0) + np.array([0, 0, 5, 5]) for _ in range(2)]
    dts = [np.concatenate([g + rng.normal(0, 2, (30, 4)) for _ in range(5)]) for g in gts]
    for d in dts:
        d[:, 2:] = np.maximum(d[:, 2:], d[:, :2] + 1)
    scores = [rng.random(len(d)) for d in dts]
    _, ap = _cocoeval_precision(gts, dts, scores, (0.3, 0.5))
    np.testing.assert_allclose(compute_detection_metrics(gts, dts, scores, iou_thresholds=(0.3, 0.5)).ap, ap)


# ------------------------------------------------------------------ a case worked out by hand
HAND_GT = [np.array([[0, 0, 10, 10], [20, 0, 30, 10]], float), np.array([[0, 0, 10, 10]], float)]
HAND_DT = [np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 0, 30, 20]], float),
           np.array([[50, 50, 60, 60], [2, 2, 12, 12]], float)]
HAND_SCORES = [np.array([0.9, 0.8, 0.6]), np.array([0.7, 0.5])]


def test_ap_and_froc_of_a_hand_made_case_match_the_hand_calculation():
    """Two images, three nodules, five detections, sorted: a .9 (on g1), b .8 (a duplicate of g1, IoU 0.82),
    c .7 (nothing), d .6 (g2, IoU exactly 0.5), e .5 (g3, IoU 64/136 = 0.47).

    IoU 0.5: hits a, d: precision 1, 1/2, 1/3, 1/2, 2/5 at recall 1/3, 1/3, 1/3, 2/3, 2/3; the envelope is
    1 up to recall 1/3 (34 of COCO's 101 points), 1/2 up to 2/3 (33 points), then 0: AP = 50.5 / 101 = 0.5.
    IoU 0.1-0.4: e hits too: envelope 1 (34 points), then 3/5 (67 points): AP = 74.2 / 101.
    FROC (centre within the radius): b is a second hit on g1 (not a false positive), c the only false
    positive (1/2 per image). Sensitivity 1/3 at 0 FP/image, 1 from 1/2: (1/3 + 1/3 + 5 × 1) / 7 = 17/21.
    """
    m = compute_detection_metrics(HAND_GT, HAND_DT, HAND_SCORES)
    np.testing.assert_allclose(m.ap, [74.2 / 101] * 4 + [0.5])
    assert m.map == pytest.approx((4 * 74.2 + 50.5) / 505)
    np.testing.assert_array_equal(m.true_positive[-1], [True, False, False, True, False])
    np.testing.assert_allclose(m.precision[-1], [1, 1 / 2, 1 / 3, 1 / 2, 2 / 5], atol=1e-12)
    np.testing.assert_allclose(m.froc_fps, [0, 0, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(m.froc_sensitivity, [1 / 3, 1 / 3, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(m.froc_rates, FROC_RATES)
    np.testing.assert_allclose(m.froc_sensitivities, [1 / 3, 1 / 3, 1, 1, 1, 1, 1])
    assert m.froc_score == pytest.approx(17 / 21)
    assert "radius" in m.hit_criterion
    p = m.at_score(0.55)  # a, b, c, d kept
    assert p.detections == 4 and p.tp[-1] == 2 and p.fp[-1] == 2 and p.fn[-1] == 1
    assert p.precision[-1] == pytest.approx(0.5) and p.recall[-1] == pytest.approx(2 / 3)
    assert p.sensitivity == pytest.approx(2 / 3) and p.fps_per_image == pytest.approx(0.5)
    _, ap = _cocoeval_precision(HAND_GT, HAND_DT, HAND_SCORES, (0.1, 0.2, 0.3, 0.4, 0.5))
    np.testing.assert_allclose(m.ap, ap)


def test_detection_metrics_without_detections_or_without_nodules():
    empty = [np.zeros((0, 4))]
    m = compute_detection_metrics([np.array([[0, 0, 5, 5]], float)], empty, [np.zeros(0)])
    assert np.all(m.ap == 0) and m.froc_score == 0
    m = compute_detection_metrics(empty, [np.array([[0, 0, 5, 5]], float)], [np.array([0.9])])
    assert np.all(np.isnan(m.ap)) and m.n_gt == 0


@pytest.mark.parametrize("call, name", [
    (lambda: compute_detection_metrics(HAND_GT, HAND_DT[:1], HAND_SCORES), "pred_boxes"),
    (lambda: compute_detection_metrics(HAND_GT, HAND_DT, [np.ones(3), np.ones(3)]), "pred_scores"),
    (lambda: compute_detection_metrics(HAND_GT, HAND_DT, HAND_SCORES, iou_thresholds=(0.5, 1.5)), "iou_thresholds"),
    (lambda: compute_detection_metrics(np.zeros((3, 4)), HAND_DT, HAND_SCORES), "gt_boxes"),
])
def test_detection_metrics_refuse_mismatched_inputs_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# ------------------------------------------------------------------ IoU vs Dice, grid cells, the four tasks
@pytest.mark.parametrize("a, b, iou", [((0, 0, 10, 10), (5, 0, 15, 10), 1 / 3), ((0, 0, 10, 10), (0, 0, 10, 10), 1.0),
                                       ((0, 0, 10, 10), (10, 10, 20, 20), 0.0), ((0, 0, 10, 10), (2, 2, 8, 8), 0.36)])
def test_box_overlap_counts_areas_and_dice_is_2iou_over_1_plus_iou(a, b, iou):
    r = compute_box_overlap(a, b, size=24)
    assert r.iou == pytest.approx(iou) and r.iou == pytest.approx(_raster_iou(a, b))
    assert r.dice == pytest.approx(2 * iou / (1 + iou)) and r.dice >= r.iou
    assert r.area_union == pytest.approx(r.area_a + r.area_b - r.area_intersection)


def test_grid_cells_find_nodules_whose_centres_share_a_cell():
    boxes = np.array([[8, 8, 12, 12], [12, 8, 16, 12], [40, 40, 50, 50]], float)  # centres (10, 10), (14, 10)
    fine, coarse = (compute_grid_cells(np.zeros((64, 64)), boxes, stride=s) for s in (4, 16))
    assert fine.shared.tolist() == [False, False, False]
    assert coarse.shared.tolist() == [True, True, False]
    np.testing.assert_array_equal(fine.cells, [[2, 2], [2, 3], [11, 11]])
    np.testing.assert_array_equal(coarse.cells, [[0, 0], [0, 0], [2, 2]])
    assert fine.grid_shape == (16, 16) and coarse.grid_shape == (4, 4)


def test_connected_components_merge_touching_nodules_that_detection_keeps_apart(nodules):
    i = next(i for i, t in enumerate(nodules.touching) if t.any() and nodules.counts[i] == 2
             and __import__("skimage.measure").measure.label(nodules.instances[i] > 0).max() == 1)
    gt = nodules.boxes[i]
    four = compute_four_tasks(nodules.images[i], boxes=gt, scores=np.ones(len(gt)), mask=nodules.masks[i],
                              true_count=2)
    assert len(four.boxes) == 2 and four.n_instances == 1 and four.class_probability == 1.0
    np.testing.assert_array_equal(four.instance_boxes[0], [gt[:, 0].min(), gt[:, 1].min(), gt[:, 2].max(),
                                                           gt[:, 3].max()])


def test_detection_view_judges_each_detection_at_the_operating_point():
    v = compute_detection_view(np.zeros((64, 64)), HAND_GT[0], HAND_DT[0], HAND_SCORES[0], score_threshold=0.7,
                               iou_threshold=0.5)
    assert v.correct.tolist() == [True, False] and v.found.tolist() == [True, False]
    v = compute_detection_view(np.zeros((64, 64)), HAND_GT[0], HAND_DT[0], HAND_SCORES[0], score_threshold=0.0,
                               iou_threshold=0.5)
    assert v.correct.tolist() == [True, False, True] and v.found.tolist() == [True, True]


def test_every_detection_plot_draws_its_result():
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from explainers import detection_plots as dp
    from explainers.detection import DetectionHistory, DetectionSnapshot

    m = compute_detection_metrics(HAND_GT, HAND_DT, HAND_SCORES)
    cands = compute_candidate_boxes(HAND_GT[0], seed=0, size=40)
    steps = compute_nms_steps(cands.boxes, cands.scores, iou_threshold=0.5, image=np.zeros((40, 40)))
    snap = DetectionSnapshot(1, np.zeros((2, 40, 40)), tuple(HAND_GT), tuple(HAND_DT), tuple(HAND_SCORES), 0.3)
    hist = DetectionHistory(np.array([1, 2]), {"heatmap_loss": np.array([2.0, 1.0]), "val_size_loss": np.ones(2)},
                            np.array([0.2, 0.5]), np.array([0.1, 0.3]))
    four = compute_four_tasks(np.zeros((40, 40)), boxes=HAND_GT[0], scores=np.ones(2),
                              mask=np.pad(np.ones((10, 10)), ((0, 30), (0, 30))))
    drawn = [dp.plot_box_overlap(compute_box_overlap((0, 0, 6, 6), (3, 3, 9, 9), size=12)),
             dp.plot_nms_steps(steps, step=1), dp.plot_nms_steps(steps),
             dp.plot_pr_curves(m, score_threshold=0.65), dp.plot_froc(m, score_threshold=0.65),
             dp.plot_grid_cells(compute_grid_cells(np.zeros((40, 40)), HAND_GT[0], stride=8)),
             dp.plot_detection_view(compute_detection_view(np.zeros((40, 40)), HAND_GT[0], HAND_DT[0],
                                                           HAND_SCORES[0])),
             dp.plot_detection_snapshot(snap), dp.plot_detection_history(hist), dp.plot_four_tasks(four)]
    for d in drawn:
        assert isinstance(d, (Axes, Figure))
        (d if isinstance(d, Figure) else d.figure).canvas.draw()
