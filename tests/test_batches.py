"""models.batches: every sample once per epoch, a new order each epoch, the same orders for the same seed."""
from __future__ import annotations

import keras
import numpy as np
import pytest

import models
from models.batches import _ArrayBatches, batch_order, epoch_orders_seed, evaluation_batches, training_batches
from models.mlp import build_mlp

N, BATCH = 70, 16  # 4 full batches and one of 6


def _epochs(dataset, epochs: int) -> list[list[np.ndarray]]:
    """The sample ids seen, batch by batch, in each of ``epochs`` passes (x holds each sample's id)."""
    return [[np.asarray(xb)[:, 0].astype(int) for xb, _ in dataset] for _ in range(epochs)]


def _ids() -> tuple[np.ndarray, np.ndarray]:
    x = np.stack([np.arange(N), np.arange(N) * 2], axis=1).astype("float64")
    return x, (np.arange(N) % 2).astype("float32")


def test_each_epoch_visits_every_sample_once_in_batches_of_the_asked_size():
    x, y = _ids()
    for seen in _epochs(training_batches(x, y, BATCH, seed=3), 3):
        assert [len(b) for b in seen] == [16, 16, 16, 16, 6]
        assert sorted(np.concatenate(seen).tolist()) == list(range(N))


def test_the_order_changes_every_epoch_and_the_seed_fixes_the_sequence_of_orders():
    x, y = _ids()
    a = [np.concatenate(e) for e in _epochs(training_batches(x, y, BATCH, seed=3), 3)]
    b = [np.concatenate(e) for e in _epochs(training_batches(x, y, BATCH, seed=3), 3)]
    c = [np.concatenate(e) for e in _epochs(training_batches(x, y, BATCH, seed=4), 3)]
    for ea, eb in zip(a, b):
        np.testing.assert_array_equal(ea, eb)
    assert not np.array_equal(a[0], a[1]) and not np.array_equal(a[1], a[2])
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[0], np.arange(N))  # shuffled at all


def test_unshuffled_and_validation_batches_keep_the_array_order_and_pair_x_with_y():
    x, y = _ids()
    for data in (training_batches(x, y, BATCH, shuffle=False), evaluation_batches(x, y, BATCH)):
        xs, ys = zip(*[(np.asarray(xb), np.asarray(yb)) for xb, yb in data])
        np.testing.assert_array_equal(np.concatenate(xs), x.astype("float32"))
        np.testing.assert_array_equal(np.concatenate(ys), y)


def test_floats_become_floatx_once_and_labels_keep_their_integer_type():
    x, _ = _ids()
    xb, yb = next(iter(training_batches(x, np.arange(N), BATCH, seed=0)))
    assert xb.dtype.name == keras.config.floatx() and yb.dtype.name == "int64"


def test_several_inputs_stay_paired_in_the_same_order():
    x, y = _ids()
    for xb, yb in training_batches((x, x * 10), y, BATCH, seed=1):
        np.testing.assert_array_equal(np.asarray(xb[1]), np.asarray(xb[0]) * 10)
        np.testing.assert_array_equal(np.asarray(yb), np.asarray(xb[0])[:, 0] % 2)


def test_the_numpy_path_for_jax_and_torch_is_seeded_and_reshuffles_per_epoch():
    x, y = _ids()
    data = _ArrayBatches(x, y, BATCH, shuffle=True, seed=5)
    first = np.concatenate([data[i][0][:, 0] for i in range(len(data))])
    data.on_epoch_end()
    second = np.concatenate([data[i][0][:, 0] for i in range(len(data))])
    assert len(data) == 5 and sorted(first.astype(int).tolist()) == list(range(N))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, np.concatenate(batch_order(N, BATCH, shuffle=True, seed=5, epoch=0)))
    np.testing.assert_array_equal(data[0][1], y[data.order[0]])  # labels follow their samples


def test_a_continued_run_gets_new_orders_and_equal_seeds_give_equal_runs():
    assert epoch_orders_seed(0, 0) != epoch_orders_seed(0, 5) != epoch_orders_seed(1, 0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 2)).astype("float32")
    y = (x[:, 0] > x[:, 1]).astype("float32")
    runs = []
    for seed in (7, 7, 8):
        model = build_mlp(2, hidden=(4,), seed=0)
        models.train(model, x, y, epochs=2, batch_size=16, learning_rate=0.05, seed=seed)
        runs.append(np.concatenate([w.ravel() for w in model.get_weights()]))
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=1e-6)
    assert np.abs(runs[0] - runs[2]).max() > 1e-4  # another seed: other batches, other weights


def test_a_bad_seed_is_refused_with_its_name():
    with pytest.raises(ValueError, match="seed"):
        models.train(build_mlp(2, seed=0), np.zeros((4, 2)), np.zeros(4), epochs=1, seed=1.5)
