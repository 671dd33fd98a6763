"""The nodule detector: builder conventions, targets that decode back to the true boxes, the focal loss
against a NumPy formula, and (slow) the default recipe's AP@0.5 on held-out images."""
from __future__ import annotations

import re

import numpy as np
import pytest

from explainers.detection import compute_detection_metrics
from models.data.boxes import make_nodule_boxes
from models.detector import (
    build_detector, decode_detections, detection_loss, detection_targets, heatmap_loss, offset_loss, size_loss,
)


@pytest.mark.parametrize("filters, grid", [((16, 32, 48), 32), ((8, 16), 64), ((8, 8, 8, 8), 16)])
def test_detector_output_grid_follows_the_number_of_stages(filters, grid):
    model = build_detector(filters=filters, seed=0)
    assert model.output_shape == (None, grid, grid, 5)
    assert not model.compiled


def test_detector_layers_are_named_name_stage_op_and_the_same_seed_gives_the_same_net():
    a, b, c = (build_detector(filters=(4, 8), head_filters=4, seed=s, name="det") for s in (1, 1, 2))
    pattern = re.compile(r"^det_(input|stage\d+|context|heatmap|size|offset|output)_?[a-z]*$")
    assert all(pattern.match(layer.name) for layer in a.layers), [layer.name for layer in a.layers]
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))
    assert not all(np.array_equal(x, y) for x, y in zip(a.get_weights(), c.get_weights()))


@pytest.mark.parametrize("kwargs, name", [(dict(input_shape=(30, 30, 1)), "stride"), (dict(filters=()), "filters"),
                                          (dict(filters=(8, 0)), "filters"), (dict(head_filters=0), "head_filters")])
def test_detector_refuses_bad_settings_with_a_message(kwargs, name):
    with pytest.raises(ValueError, match=name):
        build_detector(**kwargs)


def test_an_untrained_detector_starts_near_the_heatmap_prior_of_one_in_ten():
    out = build_detector(seed=0)(np.zeros((1, 128, 128, 1), "float32"))
    assert float(np.mean(np.asarray(out)[..., 0])) == pytest.approx(0.1, abs=0.05)


@pytest.mark.parametrize("stride", [4, 8])
def test_targets_decode_back_to_the_true_boxes(stride):
    data = make_nodule_boxes(40, seed=5)
    targets = detection_targets(data.boxes, stride=stride)
    assert targets.shape == (40, 128 // stride, 128 // stride, 5)
    assert np.sum(targets[..., 0] == 1.0) <= data.counts.sum()  # one centre cell per nodule (fewer if shared)
    boxes, scores = decode_detections(targets, stride=stride, score_threshold=0.99)
    for truth, found in zip(data.boxes, boxes):
        if len(truth) == len(found):  # no two centres in one cell
            order = np.lexsort(found.T[::-1])
            np.testing.assert_allclose(found[order], truth[np.lexsort(truth.T[::-1])], atol=1e-4)
    m = compute_detection_metrics(data.boxes, boxes, scores, iou_thresholds=(0.5, 0.95))
    assert m.ap[0] > 0.97


def test_the_heatmap_loss_is_centernets_focal_loss_written_in_numpy():
    rng = np.random.default_rng(0)
    y = detection_targets(make_nodule_boxes(4, seed=1).boxes).astype("float64")
    p = rng.uniform(0.01, 0.99, y.shape)
    hm, pr = y[..., 0], np.clip(p[..., 0], 1e-4, 1 - 1e-4)
    centre = hm == 1
    expected = (-(((1 - pr) ** 2) * np.log(pr))[centre].sum()
                - (((1 - hm) ** 4) * pr**2 * np.log(1 - pr))[~centre].sum()) / max(centre.sum(), 1)
    size = np.abs(p[..., 1:3] - y[..., 1:3])[centre].sum() / max(centre.sum(), 1)
    offset = np.abs(p[..., 3:5] - y[..., 3:5])[centre].sum() / max(centre.sum(), 1)
    yt, yp = y.astype("float32"), p.astype("float32")
    assert float(heatmap_loss(yt, yp)) == pytest.approx(expected, rel=1e-4)
    assert float(size_loss(yt, yp)) == pytest.approx(size, rel=1e-4)
    assert float(offset_loss(yt, yp)) == pytest.approx(offset, rel=1e-4)
    assert float(detection_loss(yt, yp)) == pytest.approx(expected + 0.1 * size + offset, rel=1e-4)


def test_decoding_keeps_heatmap_peaks_only_unless_asked_for_every_cell():
    out = np.zeros((1, 8, 8, 5), "float32")
    out[0, 2:5, 2:5, 0] = [[0.3, 0.5, 0.3], [0.5, 0.9, 0.5], [0.3, 0.5, 0.3]]
    out[0, ..., 1:3] = 2.0  # boxes 2 cells wide
    out[0, ..., 3:5] = 0.5
    boxes, scores = decode_detections(out, stride=4, score_threshold=0.2)
    np.testing.assert_allclose(boxes[0], [[10, 10, 18, 18]])  # centre (3 + 0.5) × 4 = 14, 8 px wide
    assert scores[0].tolist() == pytest.approx([0.9])
    boxes, scores = decode_detections(out, stride=4, score_threshold=0.2, peaks_only=False)
    assert len(boxes[0]) == 9 and scores[0][0] == pytest.approx(0.9)


def test_decoding_refuses_an_output_without_the_five_channels():
    with pytest.raises(ValueError, match="model_output"):
        decode_detections(np.zeros((1, 8, 8, 3)))


@pytest.mark.slow
def test_the_default_recipe_reaches_ap50_of_at_least_0_6_on_held_out_images():
    from models.recipes import DEFAULT_DETECTION_RECIPE, train_detection

    run = train_detection(DEFAULT_DETECTION_RECIPE)
    assert run.history.status == "finished"
    assert len(run.monitor.ap50) == DEFAULT_DETECTION_RECIPE.epochs
    assert run.monitor.ap50[-1] >= 0.6, run.monitor.ap50
    assert run.monitor.ap10[-1] >= run.monitor.ap50[-1]
    assert {"heatmap_loss", "size_loss", "offset_loss", "val_heatmap_loss"} <= set(run.monitor.losses)
    # the monitor's AP is the metric computed afresh on the held-out images (seed + 1000, never trained on)
    boxes, scores = decode_detections(np.asarray(run.model.predict(run.monitor.x_val, verbose=0)), stride=4)
    fresh = compute_detection_metrics(run.monitor.gt_val, boxes, scores)
    assert fresh.ap_at(0.5) == pytest.approx(run.monitor.ap50[-1])


def test_detection_monitor_records_ap_loss_terms_and_a_snapshot_each_epoch():
    from types import SimpleNamespace

    from explainers.detection import DetectionMonitor

    data = make_nodule_boxes(6, seed=2)
    model = build_detector(filters=(4, 8, 8), head_filters=4, seed=0)
    monitor = DetectionMonitor(data.images, data.boxes, show=[3, 0], decode={"stride": 4})
    for epoch in (1, 2):
        monitor.on_epoch_end(SimpleNamespace(logs={"loss": 3.0 / epoch, "val_heatmap_loss": 2.0}), model)
    h = monitor.history
    assert h.epochs.tolist() == [1, 2] and h.losses["loss"].tolist() == [3.0, 1.5]
    assert np.all((h.ap10 >= 0) & (h.ap10 <= 1)) and h.ap50[-1] == pytest.approx(monitor.metrics.ap_at(0.5))
    snap = monitor.snapshot
    assert snap.epoch == 2 and snap.images.shape == (2, 128, 128)
    np.testing.assert_array_equal(snap.gt_boxes[0], data.boxes[3])
