"""Thresholds, ROC and activations, checked against scikit-learn and NumPy."""
import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve

from explainers.activations import ACTIVATIONS, activation, activation_derivative, compute_activation_curves
from explainers.metrics import compute_roc, compute_threshold_metrics


def _data(kind, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 200)
    if kind == "continuous":
        s = rng.random(200) * 0.6 + 0.4 * y
    elif kind == "ties":
        s = np.round(rng.random(200) * 0.6 + 0.4 * y, 1)  # many equal scores
    else:  # perfect separation
        s = y + 0.1 * rng.random(200)
    y[:2] = [0, 1]
    return y, s


@pytest.mark.parametrize("kind", ["continuous", "ties", "perfect"])
def test_roc_equals_scikit_learn_curve_and_auc(kind):
    y, s = _data(kind)
    ours = compute_roc(y, s)
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(ours.fpr, fpr)
    np.testing.assert_allclose(ours.tpr, tpr)
    np.testing.assert_allclose(ours.thresholds[1:], thr[1:])
    assert ours.auc == pytest.approx(roc_auc_score(y, s), abs=1e-12)


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.71, 1.0])
@pytest.mark.parametrize("kind", ["continuous", "ties"])
def test_threshold_metrics_equal_scikit_learn_confusion_matrix(kind, threshold):
    y, s = _data(kind, seed=1)
    m = compute_threshold_metrics(y, s, threshold)
    pred = (s > threshold).astype(int)  # lecture 003: positive if ŷ > τ
    np.testing.assert_array_equal(m.confusion, confusion_matrix(y, pred, labels=[0, 1]))
    (tn, fp), (fn, tp) = m.confusion
    assert m.tpr == pytest.approx(tp / (tp + fn))
    assert m.fpr == pytest.approx(fp / (fp + tn))
    assert m.accuracy == pytest.approx(np.mean(pred == y))


def test_operating_points_lie_on_the_roc_curve():
    y, s = _data("continuous", seed=2)
    curve = compute_roc(y, s)
    for t in curve.thresholds[1:]:
        m = compute_threshold_metrics(y, s, float(t))
        assert np.any(np.isclose(curve.fpr, m.fpr) & np.isclose(curve.tpr, m.tpr))


@pytest.mark.parametrize("bad, match", [
    (dict(y_true=[0, 1, 2], scores=[0.1, 0.2, 0.3]), "only 0 and 1"),
    (dict(y_true=[0, 1], scores=[0.1]), "equal length"),
    (dict(y_true=[0, 1], scores=[0.1, np.nan]), "NaN"),
])
def test_threshold_metrics_rejects_bad_labels_or_scores_naming_the_problem(bad, match):
    with pytest.raises(ValueError, match=match):
        compute_threshold_metrics(**bad, threshold=0.5)


def test_roc_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        compute_roc([1, 1, 1], [0.2, 0.4, 0.9])


def test_threshold_metrics_keep_the_labels_and_scores_they_were_computed_from():
    y, s = _data("continuous", seed=3)
    m = compute_threshold_metrics(y, s, 0.4)
    np.testing.assert_array_equal(m.y_true, y)
    np.testing.assert_array_equal(m.scores, s)
    assert m.confusion.sum() == len(y) == len(m.scores)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_derivatives_match_finite_differences(name):
    z = np.array([-5.0, -1.3, -0.2, 0.3, 1.7, 4.0])  # away from ReLU's kink
    dg = activation_derivative(name, z)
    h = 1e-6
    numeric = (activation(name, z + h) - activation(name, z - h)) / (2 * h)
    np.testing.assert_allclose(dg, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name, keras_name", [("sigmoid", "sigmoid"), ("tanh", "tanh"), ("relu", "relu")])
def test_activation_values_equal_keras(name, keras_name):
    import keras

    z = np.linspace(-6, 6, 25)
    ours = activation(name, z)
    theirs = keras.ops.convert_to_numpy(getattr(keras.activations, keras_name)(z.astype("float32")))
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_sigmoid_and_tanh_saturate_but_relu_does_not_for_positive_z():
    c = compute_activation_curves(z_range=6.0)
    at_six = dict(zip(c.names, c.derivatives[:, -1]))
    assert at_six["sigmoid"] < 0.01 and at_six["tanh"] < 0.001
    assert at_six["relu"] == 1.0 and at_six["leaky_relu"] == 1.0
    assert c.derivatives[c.names.index("sigmoid")].max() == pytest.approx(0.25)


@pytest.mark.parametrize("bad", [dict(names=()), dict(names=("swish",)), dict(z_range=0.0), dict(n=1)])
def test_activation_curves_reject_bad_arguments_naming_them(bad):
    name = next(iter(bad))
    with pytest.raises(ValueError, match=name):
        compute_activation_curves(**bad)
