"""Shortcut learning (issue 21): make_lesions' spurious marker, the shortcut recipe, where the model looks."""
import numpy as np
import pytest

from models.data.xray import SHORTCUT_MARKERS, make_lesions


# ------------------------------------------------------------------ make_lesions(shortcut=...)
def test_make_lesions_without_a_shortcut_gives_the_images_it_gave_before():
    # Pinned from make_lesions before `shortcut` existed (the commit before it, seed 0, 8 images).
    x, y, c, r = make_lesions(8, seed=0)
    assert y.tolist() == [1, 0, 0, 1, 1, 0, 0, 1]
    np.testing.assert_allclose(c, [[32.517, 42.42], [-1, -1], [-1, -1], [43.268, 43.095], [37.174, 21.426],
                                   [-1, -1], [-1, -1], [26.097, 19.245]], atol=1e-3)
    np.testing.assert_allclose(r, [7.3192, 0, 0, 4.3145, 6.6105, 0, 0, 7.7752], atol=1e-4)
    assert x.astype(np.float64).sum() == pytest.approx(15304.57699, abs=0.01)
    np.testing.assert_allclose(x[0, 30:33, 40:43, 0], [[0.72456, 0.79229, 0.77986], [0.79892, 0.86506, 0.93017],
                                                       [0.83123, 0.94007, 0.8857]], atol=1e-5)
    np.testing.assert_allclose(x[3, 10:13, 20:23, 0], [[0.55904, 0.53266, 0.53946], [0.4676, 0.52838, 0.5584],
                                                       [0.407, 0.42458, 0.50151]], atol=1e-5)
    # ... and shortcut=None is that call, bit for bit
    for a, b in zip(make_lesions(8, seed=0, shortcut=None), (x, y, c, r)):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("marker", SHORTCUT_MARKERS)
@pytest.mark.parametrize("n, size, seed, fraction", [(64, 64, 0, 0.5), (50, 32, 3, 0.3), (40, 128, 1, 0.6)])
def test_the_marker_changes_only_its_own_pixels_and_the_rest_of_each_tuple_is_the_same(marker, n, size, seed,
                                                                                        fraction):
    plain = make_lesions(n, size, seed, fraction)
    x, y, c, r, m = make_lesions(n, size, seed, fraction, shortcut=marker, shortcut_rate=0.8)
    assert m.shape == (n, size, size) and m.dtype == bool
    for a, b in zip(plain[1:], (y, c, r)):
        assert np.array_equal(a, b)
    off = ~m[..., None]
    assert np.array_equal(x[off], plain[0][off])
    # radiopaque: bright as bone (0.9) plus the images' pixel noise (sd 0.03), clipped at 1
    assert x[..., 0][m].mean() > 0.88 and x[..., 0][m].min() > 0.75
    assert plain[0][..., 0][m].mean() < 0.5  # where it sits the chest is dark: outside the body's bright part


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.5, 0.9, 0.95, 1.0])
@pytest.mark.parametrize("n, fraction", [(200, 0.5), (101, 0.3)])
def test_the_marker_sits_on_rate_of_the_positives_and_one_minus_rate_of_the_negatives(rate, n, fraction):
    x, y, _, _, m = make_lesions(n, 32, seed=5, positive_fraction=fraction, shortcut="tag", shortcut_rate=rate)
    has = m.any(axis=(1, 2))
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    assert has[y == 1].sum() == int(round(rate * n_pos))
    assert has[y == 0].sum() == int(round((1 - rate) * n_neg))
    # every marked image carries the same glyph in the same place
    glyphs = m[has]
    assert all(np.array_equal(g, glyphs[0]) for g in glyphs)


def test_the_tag_is_an_l_in_the_top_left_corner_and_the_stamp_a_ring_in_the_top_right():
    from scipy import ndimage

    (*_, tag), (*_, stamp) = (make_lesions(4, 64, seed=0, shortcut=k, shortcut_rate=1.0) for k in SHORTCUT_MARKERS)
    t, s = tag.max(axis=0), stamp.max(axis=0)  # the marked images' glyph (every marked image has the same)
    assert t.any() and s.any()
    rows, cols = np.flatnonzero(t.any(1)), np.flatnonzero(t.any(0))
    assert rows.max() < 16 and cols.max() < 16                       # top left
    box = t[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    assert box[:, 0].all() and box[-1, :].all() and not box[0, -1]   # an L: left stroke, bottom stroke
    rows, cols = np.flatnonzero(s.any(1)), np.flatnonzero(s.any(0))
    assert rows.max() < 16 and cols.min() >= 48                      # top right
    assert ndimage.label(s)[1] == 2                                  # the ring and the dot
    assert ndimage.label(~s[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])[1] == 1  # one gap between them


@pytest.mark.parametrize("marker", SHORTCUT_MARKERS)
@pytest.mark.parametrize("size, seed", [(32, 0), (64, 1), (64, 2), (128, 3)])
def test_the_marker_never_touches_the_lungs_or_the_nodule(marker, size, seed):
    from models.data.xray import _chest  # the lungs drawn by the first draws of make_lesions' generator

    n = 300
    x, y, centres, radii, m = make_lesions(n, size, seed, shortcut=marker, shortcut_rate=0.5)
    _, geo = _chest(np.random.default_rng(seed), n, size)
    rr, cc = np.nonzero(m[int(np.flatnonzero(m.any((1, 2)))[0])])
    for side in (0, 1):
        e = ((rr[None] - geo["cy"][:, side, None]) / geo["ay"][:, side, None]) ** 2 \
            + ((cc[None] - geo["cx"][:, side, None]) / geo["ax"][:, side, None]) ** 2
        assert e.min() > 1.4  # outside every lung's ellipse with a margin (the lung's soft edge is < 2 % there)
    pos = np.flatnonzero(y == 1)
    d = np.hypot(rr[None] - centres[pos, 0, None], cc[None] - centres[pos, 1, None])
    assert (d.min(axis=1) > 2 * radii[pos]).all()  # the nodule's blob (sd 0.6 r) is < 0.4 % of its peak there


@pytest.mark.parametrize("kwargs, words", [
    ({"shortcut": "star"}, "shortcut"), ({"shortcut": "tag", "shortcut_rate": 1.5}, "shortcut_rate"),
    ({"shortcut": "tag", "shortcut_rate": "high"}, "shortcut_rate"),
])
def test_a_bad_shortcut_argument_is_named_in_the_error(kwargs, words):
    with pytest.raises(ValueError, match=words):
        make_lesions(8, **kwargs)


# ------------------------------------------------------------------ the recipe's data
def test_the_marker_region_is_the_markers_bounding_box_widened_by_pad():
    from models.recipes.shortcut import marker_region

    m = np.zeros((3, 20, 20), bool)
    m[0, 2:5, 3] = True
    m[2, 6, 3:9] = True
    expected = np.zeros((20, 20), bool)
    expected[0:9, 1:11] = True  # rows 2..6 and cols 3..8, two more each side, clipped at 0
    assert np.array_equal(marker_region(m, pad=2), expected)
    assert not marker_region(np.zeros((2, 5, 5), bool)).any()


@pytest.mark.parametrize("fix", ["randomise", "remove", "mask"])
def test_shortcut_data_counts_the_markers_and_fixes_the_training_images_as_asked(fix):
    from models.recipes.shortcut import SHORTCUT_TEST_SETS, shortcut_data

    d = shortcut_data(rate=0.9, fix=fix, n_train=60, n_test=40, seed=2)
    for name, rate in [(None, 0.9), *zip(SHORTCUT_TEST_SETS, (0.9, 0.5, 0.1))]:
        y, m = (d.y, d.markers) if name is None else d.tests[name][1:]
        has = m.any(axis=(1, 2))
        counts = d.counts(name)
        assert counts["nodule"] == (int(has[y == 1].sum()), int((y == 1).sum()))
        assert counts["nodule"][0] == round(rate * counts["nodule"][1])
        assert counts["clear"][0] == round((1 - rate) * counts["clear"][1])
    # the three test sets are the same chests and nodules
    assert all(np.array_equal(d.tests[k][1], d.tests["same"][1]) for k in SHORTCUT_TEST_SETS)
    assert d.region[d.markers.any(0)].all() and d.region.mean() < 0.05
    # every fix touches the marker's corner only
    assert np.array_equal(d.x_fixed[:, ~d.region], d.x[:, ~d.region])
    if fix == "randomise":
        assert d.counts("fixed") == {"nodule": (15, 30), "clear": (15, 30)}
    else:
        assert not d.markers_fixed.any()
        if fix == "mask":
            assert (d.x_fixed[:, d.region] == 0).all()
        else:
            assert np.array_equal(d.x_fixed, make_lesions(60, 64, seed=2)[0])


# ------------------------------------------------------------------ the recipe, small
def test_the_lessons_accuracies_are_its_models_accuracies_and_a_stop_ends_it():
    from sklearn.metrics import accuracy_score

    from models.recipes.shortcut import SHORTCUT_TEST_SETS, train_shortcut_lesson

    lesson = train_shortcut_lesson(n_train=32, n_test=24, epochs=2, filters=(4, 8), seed=3)
    assert set(lesson.models) == {"shortcut", "fixed"} and lesson.status == {"shortcut": "finished",
                                                                               "fixed": "finished"}
    for run, model in lesson.models.items():
        assert len(lesson.histories[run]) == 2
        assert set(lesson.curves[run]) >= {"loss", "accuracy", "val_accuracy", "independent_accuracy"}
        for name in SHORTCUT_TEST_SETS:
            xt, yt, _ = lesson.data.tests[name]
            p = model.predict(xt, verbose=0)[:, 0]
            assert lesson.accuracy[run][name] == pytest.approx(accuracy_score(yt, p > 0.5))
        assert lesson.curves[run]["independent_accuracy"][-1] == pytest.approx(lesson.accuracy[run]["independent"])
    assert lesson.same_accuracy == lesson.accuracy["shortcut"]["same"]
    assert lesson.free_accuracy == lesson.accuracy["shortcut"]["independent"]
    assert lesson.fixed_accuracy == lesson.accuracy["fixed"]["independent"]

    class StopAfterOne:
        def on_epoch_end(self, progress, model):
            return True

    stopped = train_shortcut_lesson(n_train=32, n_test=24, epochs=3, filters=(4, 8), seed=3,
                                    observers=[StopAfterOne()])
    assert stopped.status == {"shortcut": "stopped"} and len(stopped.histories["shortcut"]) == 1
    assert np.isnan(stopped.fixed_accuracy) and not np.isnan(stopped.same_accuracy)


@pytest.mark.parametrize("method", ["gradcam", "occlusion"])
def test_marker_attention_scores_each_map_where_a_hand_count_does(method):
    from explainers.attribution import compute_occlusion
    from explainers.saliency import compute_gradcam
    from models.cnn import build_cnn
    from models.recipes.shortcut import marker_attention, shortcut_data

    d = shortcut_data(n_train=16, n_test=16, seed=0)
    xt, yt, mt = d.tests["same"]
    sel = np.flatnonzero(yt == 1)[:3 if method == "gradcam" else 2]
    model = build_cnn((64, 64, 1), 2, filters=(4, 8), seed=0)
    a = marker_attention(model, xt[sel], d.region, d.centres[sel], d.radii[sel], method=method)
    for j, i in enumerate(sel):
        if method == "gradcam":
            heat = compute_gradcam(model, xt[i], class_index=1).heatmap
        else:  # the score drops, their positive part (evidence for "nodule")
            heat = np.maximum(compute_occlusion(model, xt[i], patch=8, stride=4, baseline=0.0).heatmap, 0)
        on_marker = sum(heat[r, c] for r in range(64) for c in range(64) if d.region[r, c]) / heat.sum()
        (cr, cc), radius = d.centres[i], d.radii[i]
        in_disc = [(r, c) for r in range(64) for c in range(64) if (r - cr) ** 2 + (c - cc) ** 2 <= (1.5 * radius) ** 2]
        on_nodule = sum(heat[r, c] for r, c in in_disc) / heat.sum()
        assert a.on_marker[j] == pytest.approx(on_marker, rel=1e-5, abs=1e-9)
        assert a.on_nodule[j] == pytest.approx(on_nodule, rel=1e-5, abs=1e-9)
        assert a.peak_on_marker[j] == bool(d.region.flat[heat.argmax()])
    assert a.marker_area == pytest.approx(d.region.sum() / 64**2)


# ------------------------------------------------------------------ the "done when"
@pytest.fixture(scope="module")
def lesson():
    from models.recipes.shortcut import train_shortcut_lesson

    return train_shortcut_lesson(seed=0)


@pytest.mark.slow
def test_the_shortcut_model_is_right_on_its_own_kind_near_chance_without_the_marker_and_the_fix_restores_it(lesson):
    print(f"\nshortcut model: same distribution {lesson.same_accuracy:.3f}, marker independent "
          f"{lesson.free_accuracy:.3f}, flipped {lesson.accuracy['shortcut']['flipped']:.3f}; fixed model "
          f"({lesson.data.fix}) on marker-independent images {lesson.fixed_accuracy:.3f}; "
          f"seconds {lesson.seconds}")
    assert lesson.same_accuracy >= 0.9
    assert lesson.free_accuracy <= 0.7
    assert lesson.fixed_accuracy >= 0.85


@pytest.mark.slow
@pytest.mark.parametrize("method", ["gradcam", "occlusion"])
def test_the_shortcut_models_heatmaps_sit_on_the_marker_and_the_fixed_models_do_not(lesson, method):
    from models.recipes.shortcut import marker_attention

    xt, yt, mt = lesson.data.tests["same"]
    sel = np.flatnonzero((yt == 1) & mt.any(axis=(1, 2)))[:12]  # a nodule and a marker: which does it look at?
    shares = {run: marker_attention(lesson.models[run], xt[sel], lesson.data.region, lesson.data.centres[sel],
                                    lesson.data.radii[sel], method=method) for run in ("shortcut", "fixed")}
    print(f"\n{method}: " + "; ".join(f"{run} model {a.marker_share:.2f} of the map on the marker, "
                                      f"{a.nodule_share:.2f} on the nodule, peak on the marker "
                                      f"{a.peak_on_marker.mean():.0%}" for run, a in shares.items()))
    short, fixed = shares["shortcut"], shares["fixed"]
    assert short.marker_share > 2 * fixed.marker_share
    assert short.marker_share > 4 * short.marker_area      # far more than a map spread evenly would put there
    assert short.peak_on_marker.mean() >= 0.75
    assert fixed.nodule_share > short.nodule_share
