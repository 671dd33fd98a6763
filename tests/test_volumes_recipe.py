"""The volumes recipe: the 3-D CNN learns the nodule task; the 2-D-slices comparison computes what it says."""
from dataclasses import replace

import numpy as np
import pytest

from models._arguments import ArgumentError
from models.recipes.volumes import (DEFAULT_VOLUME_RECIPE, VOLUME_RUN_LABELS, VolumeRecipe, axial_slices,
                                    build_slice_cnn, compare_2d_3d, nodule_volumes, slice_scores, train_volume_cnn)

# small enough to train in seconds: the comparison's bookkeeping, not its accuracy, is tested with it
TINY = VolumeRecipe(size=16, n_train=16, n_test=6, epochs=1, batch_size=4, seed=0)


class Recorder:
    def __init__(self, stop_after: int | None = None):
        self.begins, self.epochs, self.stop_after = [], [], stop_after

    def on_train_begin(self, info):
        self.begins.append(info)

    def on_epoch_end(self, progress, model):
        self.epochs.append((model.name, progress.epoch, progress.epochs))
        return self.stop_after is not None and len(self.epochs) >= self.stop_after


@pytest.fixture(scope="module")
def tiny_comparison():
    recorder = Recorder()
    return compare_2d_3d(replace(TINY, epochs=2), observers=[recorder]), recorder


def test_axial_slices_are_the_volumes_z_slices_labelled_by_the_mask():
    data = nodule_volumes(TINY)
    slices, labels = axial_slices(data.x, data.masks)
    n, d = data.x.shape[:2]
    assert slices.shape == (n * d, 16, 16, 1)
    for i in range(n):
        for z in range(d):
            np.testing.assert_array_equal(slices[i * d + z], data.x[i, z])
            assert labels[i * d + z] == int(np.count_nonzero(data.masks[i, z]) > 0)
    # a volume without a nodule has no positive slice; one with a nodule has a run of 2r+1-ish slices
    per_volume = labels.reshape(n, d).sum(axis=1)
    assert np.all(per_volume[data.y == 0] == 0) and np.all(per_volume[data.y == 1] >= 1)


def test_a_volumes_2d_score_is_the_numpy_max_over_its_slices_predictions(tiny_comparison):
    result, _ = tiny_comparison
    x_test = result.data.x_test
    per_volume, per_slice = slice_scores(result.model_2d, x_test)
    for i, volume in enumerate(x_test):  # each volume's slices through the model on their own
        own = np.asarray(result.model_2d.predict(volume, verbose=0)).ravel()
        np.testing.assert_allclose(per_slice[i], own, rtol=1e-5, atol=1e-6)
        assert per_volume[i] == pytest.approx(np.max(own), rel=1e-5, abs=1e-6)
    np.testing.assert_allclose(result.scores_2d, per_volume, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.slice_scores_2d, per_slice, rtol=1e-5, atol=1e-6)


def test_comparison_counts_parameters_and_accuracies_from_its_own_models(tiny_comparison):
    result, _ = tiny_comparison
    assert result.parameters_2d == result.model_2d.count_params()
    assert result.parameters_3d == result.model_3d.count_params()
    assert result.parameters_3d > result.parameters_2d  # the same filters, k³ instead of k² weights per kernel
    y = result.data.y_test
    scores_3d = np.asarray(result.model_3d.predict(result.data.x_test, verbose=0)).ravel()
    np.testing.assert_allclose(result.scores_3d, scores_3d, rtol=1e-5, atol=1e-6)
    assert result.accuracy_3d == pytest.approx(np.mean((scores_3d >= 0.5) == y))
    assert result.accuracy_2d == pytest.approx(np.mean((result.scores_2d >= 0.5) == y))
    assert [r["parameters"] for r in result.rows()] == [result.parameters_2d, result.parameters_3d]
    assert result.seconds_2d > 0 and result.seconds_3d > 0
    assert result.history_2d.status == result.history_3d.status == "finished"


def test_comparison_trains_both_on_the_same_volumes(tiny_comparison):
    result, _ = tiny_comparison
    fresh = nodule_volumes(replace(TINY, epochs=2))
    np.testing.assert_array_equal(result.data.x_test, fresh.x_test)
    assert result.slice_scores_2d.shape == (TINY.n_test, TINY.size)
    assert result.model_3d.input_shape == (None, 16, 16, 16, 1) and result.model_2d.input_shape == (None, 16, 16, 1)
    assert result.model_2d.count_params() == build_slice_cnn(TINY).count_params()


def test_observers_see_both_runs_one_after_the_other(tiny_comparison):
    _, recorder = tiny_comparison
    assert [b["run"] for b in recorder.begins] == list(VOLUME_RUN_LABELS)
    assert recorder.epochs == [("cnn3d", 1, 2), ("cnn3d", 2, 2), ("slice_cnn", 1, 2), ("slice_cnn", 2, 2)]


def test_a_stop_during_the_3d_run_skips_the_2d_run():
    result = compare_2d_3d(replace(TINY, epochs=2), observers=[Recorder(stop_after=1)])
    assert result.history_3d.status == "stopped" and len(result.history_3d) == 1
    assert result.history_2d.status == "new" and len(result.history_2d) == 0
    assert "3-D run ended first" in result.history_2d.message


BAD = [
    (dict(size=20), "multiple of 2**3"),
    (dict(n_train=2), "n_train"),
    (dict(learning_rate=0.0), "learning_rate"),
    (dict(slice_batch_size=0), "slice_batch_size"),
]


@pytest.mark.parametrize("change, says", BAD, ids=[b[1] for b in BAD])
def test_bad_recipes_are_refused_with_a_clear_message(change, says):
    with pytest.raises(ArgumentError) as err:
        nodule_volumes(replace(TINY, **change))
    assert says in str(err.value)


def test_the_same_seed_repeats_a_run_exactly_another_seed_does_not():
    tiny = replace(TINY, n_train=8, n_test=4, epochs=1)
    a, b, c = (train_volume_cnn(replace(tiny, seed=s)) for s in (0, 0, 1))
    assert a.history.history == b.history.history
    assert all(np.array_equal(u, v) for u, v in zip(a.model.get_weights(), b.model.get_weights()))
    assert not np.array_equal(a.data.x, c.data.x)
    assert any(not np.array_equal(u, w) for u, w in zip(a.model.get_weights(), c.model.get_weights()))


@pytest.mark.parametrize("scores, labels", [
    ([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]),                 # perfect: 1
    ([0.1, 0.2, 0.9, 0.8], [1, 1, 0, 0]),                 # reversed: 0
    ([0.3, 0.3, 0.3, 0.3], [1, 0, 1, 0]),                 # one score for all: 0.5
    ([0.7, 0.4, 0.4, 0.1, 0.55, 0.4], [1, 0, 1, 0, 0, 1]),  # ties between classes count half
])
def test_ranking_auc_is_sklearns_roc_auc(scores, labels):
    from sklearn.metrics import roc_auc_score

    from models.recipes.volumes import ranking_auc

    assert ranking_auc(np.array(scores), np.array(labels)) == pytest.approx(roc_auc_score(labels, scores))


def test_comparison_aucs_are_sklearns_on_its_own_scores(tiny_comparison):
    from sklearn.metrics import roc_auc_score

    result, _ = tiny_comparison
    y = result.data.y_test
    assert result.auc_2d == pytest.approx(roc_auc_score(y, result.scores_2d))
    assert result.auc_3d == pytest.approx(roc_auc_score(y, result.scores_3d))
    assert [r["auc"] for r in result.rows()] == [result.auc_2d, result.auc_3d]


@pytest.mark.slow
def test_on_volumes_with_vessels_the_3d_cnn_beats_the_2d_slice_cnn_by_a_clear_margin():
    # Every negative holds a vessel where a positive holds its nodule: one axial slice through either is the same
    # disc, so the slice CNN cannot rank volumes (AUC near 0.5) while the 3-D CNN sees sphere against tube.
    result = compare_2d_3d(DEFAULT_VOLUME_RECIPE)
    print(f"held-out accuracy 3-D {result.accuracy_3d:.3f} (AUC {result.auc_3d:.3f}, {result.seconds_3d:.0f} s), "
          f"2-D slices {result.accuracy_2d:.3f} (AUC {result.auc_2d:.3f}, {result.seconds_2d:.0f} s)")
    assert result.history_3d.status == result.history_2d.status == "finished"
    y = result.data.y_test
    assert np.mean(y) == pytest.approx(0.5)  # chance is 0.5
    assert result.accuracy_3d == pytest.approx(np.mean((result.scores_3d >= 0.5) == y))
    assert result.accuracy_3d >= 0.85, result.history_3d.history
    assert result.accuracy_2d <= 0.7
    assert result.accuracy_3d >= result.accuracy_2d + 0.25
    assert result.auc_3d >= result.auc_2d + 0.25
