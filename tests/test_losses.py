"""Soft Dice against the lecture's worked example and an independent NumPy computation."""
import numpy as np
import pytest
from keras import ops

from models import dice_coefficient, dice_loss

PRED = np.array([[0.01, 0.03, 0.02, 0.02], [0.05, 0.12, 0.09, 0.07],
                 [0.89, 0.85, 0.88, 0.91], [0.99, 0.97, 0.95, 0.97]], "float32")
TARGET = np.array([[0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1]], "float32")


def test_dice_of_the_lecture_example_is_0_9368():
    assert PRED.sum() == pytest.approx(7.82, abs=1e-5)
    assert (PRED * TARGET).sum() == pytest.approx(7.41, abs=1e-5)
    d = ops.convert_to_numpy(dice_coefficient(TARGET[None], PRED[None]))
    assert d[0] == pytest.approx(2 * 7.41 / 15.82, abs=1e-5)
    assert round(float(d[0]), 4) == 0.9368


def test_dice_of_the_lecture_example_with_squared_denominators_is_0_9938():
    d = ops.convert_to_numpy(dice_coefficient(TARGET[None], PRED[None], squared=True))
    expected = 2 * 7.41 / ((PRED**2).sum() + 8)
    assert d[0] == pytest.approx(expected, abs=1e-5)
    assert round(float(d[0]), 4) == 0.9938


def test_dice_matches_numpy_on_random_batches():
    rng = np.random.default_rng(1)
    t = (rng.random((5, 8, 8, 1)) > 0.7).astype("float32")
    p = rng.random((5, 8, 8, 1)).astype("float32")
    ref = 2 * (t * p).sum((1, 2, 3)) / (t.sum((1, 2, 3)) + p.sum((1, 2, 3)))
    np.testing.assert_allclose(ops.convert_to_numpy(dice_coefficient(t, p)), ref, rtol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(dice_loss(t, p)), 1 - ref, rtol=1e-5)


def test_binary_dice_equals_sklearn_f1():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(2)
    t = (rng.random((1, 16, 16, 1)) > 0.6).astype("float32")
    p = (rng.random((1, 16, 16, 1)) > 0.5).astype("float32")
    assert float(ops.convert_to_numpy(dice_coefficient(t, p))[0]) == pytest.approx(
        f1_score(t.ravel(), p.ravel()), abs=1e-5)


def test_two_empty_masks_score_one():
    z = np.zeros((1, 4, 4, 1), "float32")
    assert float(ops.convert_to_numpy(dice_coefficient(z, z))[0]) == pytest.approx(1.0)
