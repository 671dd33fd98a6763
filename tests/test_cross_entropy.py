"""Cross-entropy (lecture 002): every number against Keras' own losses and an independent NumPy formula."""
from __future__ import annotations

import math

import numpy as np
import pytest

from explainers.cross_entropy import (
    BINARY_PROBABILITIES, BINARY_TARGETS, CATEGORICAL_LOGITS, CATEGORICAL_TARGETS, compute_binary_cross_entropy,
    compute_categorical_cross_entropy, compute_pixel_cross_entropy, compute_saturation_gradients,
    compute_softmax_temperature, tempered_softmax,
)
from models._arguments import ArgumentError


def _numpy_categorical(t_onehot, p):
    return float(np.mean(-np.sum(t_onehot * np.log(p), axis=1)))


@pytest.mark.parametrize("temperature", [0.25, 1.0, 4.0])
def test_categorical_cross_entropy_equals_keras_and_numpy(temperature):
    import keras

    result = compute_categorical_cross_entropy(CATEGORICAL_TARGETS, logits=CATEGORICAL_LOGITS, temperature=temperature)
    onehot = np.eye(3)[CATEGORICAL_TARGETS]
    e = np.exp(CATEGORICAL_LOGITS / temperature)
    p = e / e.sum(1, keepdims=True)
    np.testing.assert_allclose(result.probabilities, p, rtol=1e-12)
    assert result.mean == pytest.approx(_numpy_categorical(onehot, p), rel=1e-12)
    keras_loss = float(keras.losses.CategoricalCrossentropy()(onehot, p.astype(np.float32)))
    assert result.mean == pytest.approx(keras_loss, rel=1e-5)
    from_logits = float(keras.losses.CategoricalCrossentropy(from_logits=True)(
        onehot, (CATEGORICAL_LOGITS / temperature).astype(np.float32)))
    assert result.mean == pytest.approx(from_logits, rel=1e-5)


def test_only_the_true_class_term_is_nonzero_and_a_shrug_costs_ln_3():
    result = compute_categorical_cross_entropy()
    assert np.all(result.terms[np.eye(3)[CATEGORICAL_TARGETS] == 0] == 0)
    np.testing.assert_allclose(result.losses, -np.log(result.true_probability))
    assert result.losses[4] == pytest.approx(math.log(3))  # scores (0, 0, 0)
    assert result.losses[3] == max(result.losses)  # confident and wrong costs most


@pytest.mark.parametrize("targets, probabilities, keras_rel", [
    (BINARY_TARGETS, BINARY_PROBABILITIES, 1e-5),
    ([1, 0, 1, 0], [0.999, 0.001, 0.5, 0.5], 1e-4),
    ([1, 0], [0.0, 1.0], 1e-2),  # clipped like Keras, −ln 1e-7 each (Keras' float32 rounds 1 − 1e-7)
])
def test_binary_cross_entropy_equals_keras_and_numpy(targets, probabilities, keras_rel):
    import keras

    result = compute_binary_cross_entropy(targets, probabilities)
    t, p = np.asarray(targets, float), np.clip(np.asarray(probabilities, float), 1e-7, 1 - 1e-7)
    assert result.mean == pytest.approx(float(np.mean(-t * np.log(p) - (1 - t) * np.log(1 - p))), rel=1e-9)
    keras_loss = float(keras.losses.BinaryCrossentropy()(np.asarray(targets, np.float32)[:, None],
                                                         np.asarray(probabilities, np.float32)[:, None]))
    assert result.mean == pytest.approx(keras_loss, rel=keras_rel)


def test_binary_terms_written_out():
    result = compute_binary_cross_entropy()
    np.testing.assert_allclose(result.terms[:, 0], [-np.log(0.9), -np.log(0.3), 0, 0, -np.log(0.5)])
    np.testing.assert_allclose(result.terms[:, 1], [0, 0, -np.log(0.8), -np.log(0.01), 0])


@pytest.mark.parametrize("bad", [
    dict(targets=[1, 2], probabilities=[0.5, 0.5]),
    dict(targets=[1, 0], probabilities=[0.5, 1.5]),
    dict(targets=[1], probabilities=[0.5, 0.5]),
])
def test_bad_binary_inputs_are_refused_with_a_message(bad):
    with pytest.raises(ArgumentError):
        compute_binary_cross_entropy(**bad)


def test_categorical_refuses_rows_that_do_not_sum_to_one():
    with pytest.raises(ArgumentError, match="sum to 1"):
        compute_categorical_cross_entropy([0], [[0.5, 0.2, 0.2]])


def test_softmax_temperature_limits():
    s = CATEGORICAL_LOGITS[1]
    np.testing.assert_allclose(tempered_softmax(s), np.exp(s) / np.exp(s).sum())
    cold = compute_softmax_temperature(s, 0.01, target=1)
    hot = compute_softmax_temperature(s, 1000.0, target=1)
    assert cold.probabilities[1] > 0.999 and cold.loss < 1e-3  # the largest score (1.5) is the true class
    np.testing.assert_allclose(hot.probabilities, 1 / 3, atol=1e-3)
    assert hot.loss == pytest.approx(math.log(3), abs=1e-3)
    assert np.all(np.argsort(cold.grid_probabilities, axis=1) == np.argsort(s))  # order never changes


def test_pixel_cross_entropy_on_the_lectures_mask_equals_keras():
    import keras

    result = compute_pixel_cross_entropy()
    keras_loss = float(keras.losses.BinaryCrossentropy()(result.target.astype(np.float32),
                                                         result.prediction.astype(np.float32)))
    assert result.mean == pytest.approx(keras_loss, rel=1e-5)
    p, y = result.prediction, result.target
    assert result.mean == pytest.approx(float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))), rel=1e-12)
    assert result.loss_map[1, 1] == pytest.approx(-math.log(0.88))  # the soft background pixel 0.12
    assert result.worst == (2, 1)  # the 0.85 lesion pixel: −ln 0.85 = 0.163
    # summed over the two classes, as the lecture writes it: the two-channel categorical loss is the same
    two = np.stack([1 - p, p], -1).reshape(-1, 2)
    onehot = np.stack([1 - y, y], -1).reshape(-1, 2)
    assert result.mean == pytest.approx(_numpy_categorical(onehot, two), rel=1e-12)


@pytest.mark.parametrize("target", [0, 1])
def test_saturation_gradients_match_finite_differences(target):
    result = compute_saturation_gradients(target, n=41)
    h = 1e-6

    def losses(z):
        s = 1 / (1 + np.exp(-z))
        return -target * np.log(s) - (1 - target) * np.log(1 - s), 0.5 * (s - target) ** 2

    (ce_p, se_p), (ce_m, se_m) = losses(result.z + h), losses(result.z - h)
    np.testing.assert_allclose(result.grad_ce, (ce_p - ce_m) / (2 * h), atol=1e-5)
    np.testing.assert_allclose(result.grad_se, (se_p - se_m) / (2 * h), atol=1e-6)
    np.testing.assert_allclose(result.loss_ce, losses(result.z)[0], rtol=1e-9)


def test_at_z_minus_6_squared_error_pushes_about_400_times_less():
    s, g_ce, g_se = compute_saturation_gradients(1, z_mark=-6.0).at_mark()
    assert s == pytest.approx(0.002473, abs=1e-6)
    assert g_ce == pytest.approx(-0.997527, abs=1e-6)
    assert g_ce / g_se == pytest.approx(1 / (s * (1 - s)))
    assert 400 < g_ce / g_se < 410


def test_saturated_neuron_recovers_with_cross_entropy_and_stalls_with_squared_error():
    from models.recipes import compare_saturated_losses, saturated_data

    result = compare_saturated_losses(epochs=20, learning_rate=1.0, z_start=-6.0)
    ce, se = result.runs
    x, y = saturated_data(64)
    for run in result.runs:  # Keras' first logged loss is the NumPy loss at the start
        assert run.losses[0] == pytest.approx(run.start_loss, rel=1e-4)
        assert run.start_accuracy == 0.0
    assert ce.accuracy[-1] == 1.0 and ce.w[-1] > 0
    assert se.accuracy[-1] == 0.0 and se.w[-1] < -5.5
    # one plain SGD step moves w by α·dL/dw: the NumPy gradient
    assert ce.w[1] - ce.w[0] == pytest.approx(-1.0 * ce.start_gradient, rel=1e-3)
    assert se.w[1] - se.w[0] == pytest.approx(-1.0 * se.start_gradient, rel=1e-3)
    assert abs(ce.start_gradient) > 100 * abs(se.start_gradient)
