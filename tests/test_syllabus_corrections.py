"""Issue 20, "wrong or misleading today": each corrected sentence's number, checked independently.

The Dice table's optional squares, the slide's 1/(1 − e^−z), the lecture's decision rule ŷ > τ and its
confusion-matrix layout, the padding rule for F = 3, 5, 7, the box blur's 1/9, the residual skip ratio
and the transfer strategies of lecture 002's table.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from explainers.kernels import (
    BOX_BLUR_DIVISOR, PRESETS, compute_convolution, compute_padding_rule, padding_amounts,
)
from explainers.metrics import compute_threshold_metrics
from explainers.residual import BlockGradients, skip_ratio_sentence
from explainers.segmentation import LECTURE_PREDICTION, LECTURE_TARGET, compute_dice_table, dice_score


# ------------------------------------------------------------------ Dice: the optional squares
def test_squaring_shrinks_the_soft_terms_and_dice_rises_from_0_9368_to_0_9938():
    table = compute_dice_table()
    p, t = LECTURE_PREDICTION.astype(float), LECTURE_TARGET.astype(float)
    background, lesion = p[t == 0], p[t == 1]
    # the lecture's matrices, summed by hand with NumPy
    assert table.sum_background == pytest.approx(0.41) == pytest.approx(background.sum())
    assert table.sum_background_sq == pytest.approx(0.0317) == pytest.approx((background**2).sum())
    assert table.sum_lesion == pytest.approx(7.41) and table.sum_lesion_sq == pytest.approx(6.8815)
    assert table.largest_background == pytest.approx(0.12) and table.largest_background**2 == pytest.approx(0.0144)
    assert table.sum_prediction + table.sum_target == pytest.approx(15.82)
    assert table.sum_prediction_sq + table.sum_target_sq == pytest.approx(14.9132)
    assert round(2 * 7.41 / 15.82, 4) == round(table.dice, 4) == 0.9368
    assert round(2 * 7.41 / 14.9132, 4) == round(table.dice_squared, 4) == 0.9938


@pytest.mark.parametrize("flipped", [(), ((0, 0),), ((2, 1), (1, 3))])
def test_a_confident_prediction_scores_the_same_with_or_without_the_squares(flipped):
    pred = LECTURE_TARGET.astype(float).copy()  # only 0s and 1s: p² = p
    for r, c in flipped:
        pred[r, c] = 1.0 - pred[r, c]
    table = compute_dice_table(pred, LECTURE_TARGET)
    assert table.dice == pytest.approx(table.dice_squared)


def test_soft_predictions_are_forgiven_by_the_squares_not_punished():
    rng = np.random.default_rng(0)
    for _ in range(20):
        pred = np.clip(LECTURE_PREDICTION + rng.normal(0, 0.1, LECTURE_PREDICTION.shape), 0, 1)
        table = compute_dice_table(pred, LECTURE_TARGET)
        assert table.dice_squared >= table.dice  # p² ≤ p on [0, 1]: the denominator can only fall


def test_a_pixel_exactly_at_the_threshold_is_background_as_in_the_lecture_rule():
    t = np.array([[1.0, 0.0]])
    assert dice_score(t, np.array([[0.5, 0.0]]), threshold=0.5) == 0.0  # 0.5 ≤ τ: negative
    assert dice_score(t, np.array([[0.51, 0.0]]), threshold=0.5) == 1.0


# ------------------------------------------------------------------ neuron: the slide's slips
def test_the_slides_formula_gives_1_18_and_minus_0_04_which_are_not_probabilities():
    from models.data import stroke_patients

    patients = stroke_patients()
    z = patients.bias + patients.x @ np.asarray(patients.weights)
    np.testing.assert_allclose(z, [1.9, -3.25], atol=1e-9)  # the slide's two sums
    sigma = 1 / (1 + np.exp(-z))
    assert f"{sigma[0]:.3f}" == "0.870" and f"{sigma[1]:.2f}" == "0.04"  # 0.04 is 0.037 rounded: right
    assert f"{1 / (1 + np.exp(-0.9)):.2f}" == "0.71"  # the slide's 0.71 is σ(0.9): a slip
    slide = 1 / (1 - np.exp(-z))
    assert f"{slide[0]:.2f}" == "1.18" and f"{slide[1]:.2f}" == "-0.04"


# ------------------------------------------------------------------ the decision rule and the confusion matrix
def test_the_decision_rule_is_strictly_greater_than_tau():
    m = compute_threshold_metrics([1, 0, 1, 0], [0.5, 0.5, 0.8, 0.2], 0.5)
    # the two scores equal to τ are negative (ŷ ≤ τ), lecture 003
    assert m.lecture_table.tolist() == [[1, 1], [0, 2]]


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_the_lecture_layout_has_tp_top_left_and_names_type_i_and_ii(threshold):
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 100)
    s = rng.random(100)
    m = compute_threshold_metrics(y, s, threshold)
    pred = (s > threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    # lecture 002: actual + / − in the rows, predicted + / − in the columns
    assert m.lecture_table.tolist() == [[tp, fn], [fp, tn]]


def test_the_confusion_plot_is_drawn_in_the_lectures_layout():
    from explainers.metrics_plots import plot_confusion

    m = compute_threshold_metrics([1, 1, 1, 0, 0], [0.9, 0.8, 0.1, 0.7, 0.2], 0.5)  # TP 2, FN 1, FP 1, TN 1
    ax = plot_confusion(m)
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert cells[(0, 0)] == "TP\n2" and cells[(1, 1)] == "TN\n1"
    assert cells[(0, 1)] == "FN\nType II error\n1" and cells[(1, 0)] == "FP\nType I error\n1"
    assert ax.get_ylabel() == "actual class" and ax.get_xlabel() == "predicted class"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["+", "−"]


# ------------------------------------------------------------------ kernels: padding and the box blur
@pytest.mark.parametrize("f, same, full", [(3, 1, 2), (5, 2, 4), (7, 3, 6)])
def test_same_pads_f_minus_1_over_2_and_full_pads_f_minus_1(f, same, full):
    rule = compute_padding_rule(9, (f,))
    assert rule.same == (same,) == ((f - 1) // 2,) and rule.full == (full,) == (f - 1,) and rule.valid == (0,)
    assert padding_amounts(9, f, "same").total == 2 * same
    # the output sides against SciPy's own valid / same / full correlation
    x, k = np.random.default_rng(f).random((9, 9)), np.ones((f, f))
    assert rule.outputs[0] == tuple(signal.correlate2d(x, k, mode=m).shape[0] for m in ("valid", "same", "full"))


def test_lecture_000s_same_1_full_2_is_the_3x3_row():
    rule = compute_padding_rule(8, (3, 5, 7))  # the page's table
    assert (rule.same[0], rule.full[0]) == (1, 2)
    assert (rule.same, rule.full) == ((1, 2, 3), (2, 4, 6))
    assert rule.outputs == ((6, 8, 10), (4, 8, 12), (2, 8, 14))  # n − F + 1, n, n + F − 1


@pytest.mark.parametrize("sizes, match", [((4,), "odd"), ((), "one or more"), ((9,), "no larger")])
def test_padding_rule_rejects_even_or_too_large_kernels(sizes, match):
    with pytest.raises(ValueError, match=match):
        compute_padding_rule(6, sizes)


def test_the_box_blur_is_the_lectures_ones_divided_by_9_and_keeps_the_brightness():
    k = PRESETS["box blur"]
    np.testing.assert_allclose(k * BOX_BLUR_DIVISOR, np.ones((3, 3)))
    assert f"{k[0, 0]:.2f}" == "0.11" and k.sum() == pytest.approx(1.0)
    flat = np.full((8, 8), 0.5, dtype=np.float32)
    assert compute_convolution(flat, k).output == pytest.approx(0.5)  # averaged: the grey stays
    assert compute_convolution(flat, np.ones((3, 3))).output == pytest.approx(4.5)  # the ones: 9× brighter


# ------------------------------------------------------------------ residual: a ratio of norms
def _gradients(grad_in, grad_out, projection=None):
    n = len(grad_in)
    return BlockGradients(tuple(f"b{i}" for i in range(n)), (True,) * n, np.asarray(grad_in, float),
                          np.asarray(grad_out, float), np.zeros(n), np.zeros(n), 0.0,
                          None if projection is None else np.asarray(projection, float))


def test_the_skip_ratio_is_a_ratio_of_norms_and_the_sentence_says_it_can_exceed_100_percent():
    g = _gradients([1.0, 2.0], [1.3, 2.0], [0.9, 1.0])
    np.testing.assert_allclose(g.skip_ratio, [1.3, 1.0])
    text = skip_ratio_sentence(g)
    assert "**115%**" in text and "100% to 130%" in text and "ratio of two lengths" in text
    assert "not a share" in text and "here it does in 1 of them" in text
    assert "supplies **95%**" in text and "the other 5%" in text
    assert "carries" not in text


def test_the_measured_skip_projection_and_ratio_agree_with_a_hand_computed_tape():
    import tensorflow as tf

    from explainers.residual import compute_block_gradients
    from models import build_resnet
    from models.data import load_digits

    x, y = load_digits()
    x, y = x[:32], y[:32]
    model = build_resnet((8, 8, 1), 10, blocks=(2,), base_filters=4, batch_norm=False, seed=0)
    g = compute_block_gradients(model, x, y, n_samples=None, loss="sparse_categorical_crossentropy")
    block = model.get_layer(f"{g.blocks[0]}_conv1").input
    add = model.get_layer(f"{g.blocks[0]}_add").output
    import keras

    probe = keras.Model(model.inputs, [block, add, *model.outputs])
    with tf.GradientTape(persistent=True) as tape:
        x_in, y_out, out = probe(tf.convert_to_tensor(x.astype(np.float32)), training=False)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, out))
    dx, dy = (np.asarray(tape.gradient(loss, t), np.float64) for t in (x_in, y_out))
    assert g.skip_ratio[0] == pytest.approx(np.linalg.norm(dy) / np.linalg.norm(dx), rel=1e-4)
    assert g.skip_projection[0] == pytest.approx(np.vdot(dy, dx) / np.vdot(dx, dx), rel=1e-4)
    assert g.skip_projection[0] <= g.skip_ratio[0] + 1e-9  # Cauchy–Schwarz


# ------------------------------------------------------------------ the pages say it, with these numbers
def _texts(at, *kinds):
    return [e.value for kind in kinds for e in getattr(at, kind)]


def test_segmentation_page_shows_what_the_squares_do_and_that_dilation_does_not_upsample(app_page):
    at = app_page("segmentation.py", timeout=180, seg_filters="4", seg_depth="1", seg_up="dilated")
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "term of the denominator" in d.value.columns)
    ref = compute_dice_table()
    assert table["as printed"].tolist() == ["0.4100", "7.4100", "8.0000", "15.8200", f"{ref.dice:.4f}"]
    assert table["squared (p², t²)"].tolist() == ["0.0317", "6.8815", "8.0000", "14.9132", "0.9938"]
    said = " ".join(_texts(at, "markdown"))
    assert "0.12 becomes 0.0144" in said and "from **0.9368** to **0.9938**" in said and "**forgives**" in said
    assert "rewards confident" not in said
    assert "Dilated convolution does not upsample" in said and "same resolution" in said
    assert any("7×7 from 7×7: the same size, no upsampling" in i for i in _texts(at, "info"))


def test_neuron_page_computes_the_slides_slips_and_asks_question_2_with_the_threshold_table(app_page):
    import keras

    at = app_page("neuron.py", timeout=240, neuron_epochs="2")
    assert not at.exception, at.exception
    caption = next(c for c in _texts(at, "caption") if "slips" in c)
    assert "**1.18**" in caption and "**−0.04**" in caption and "0.037 rounded: right" in caption
    assert "σ(0.9) = 0.711" in caption
    said = " ".join(_texts(at, "markdown"))
    assert "σ(z) > τ" in said and "σ(z) ≤ τ" in said and "≥" not in said
    assert "Will changing the threshold after applying the sigmoid function affect the model's performance?" in said
    at.radio(key="q_threshold").set_value("Yes: sensitivity, specificity, accuracy change").run()
    assert at.success and "moves the cut" in at.success[-1].value
    at.button(key="neuron_train").click().run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "TP, FN, FP, TN" in d.value.columns)
    from models.data import make_stroke, train_test_split_arrays

    x, y = make_stroke(600, seed=0)
    x = np.asarray(x, dtype=np.float32)
    xtr, xte, _, yte = train_test_split_arrays(x, y, 0.3, seed=0)
    xte = (xte - xtr.mean(0)) / (xtr.std(0) + 1e-8)
    scores = np.asarray(keras.ops.convert_to_numpy(at.session_state["neuron_roc_model"].model(xte))).ravel()
    from sklearn.metrics import confusion_matrix

    for row, tau in zip(table.itertuples(), (0.3, 0.5, 0.7)):
        tn, fp, fn, tp = confusion_matrix(yte, (scores > tau).astype(int), labels=[0, 1]).ravel()
        assert row[2] == f"{tp}, {fn}, {fp}, {tn}"  # lecture 002's order: TP, FN / FP, TN


def test_kernels_page_says_why_the_box_blur_is_divided_by_9_and_tabulates_the_padding_rule(app_page):
    at = app_page("kernels.py", timeout=180, kern_preset="box blur", kern_image="retina")
    assert not at.exception, at.exception
    caption = next(c for c in _texts(at, "caption") if "box blur" in c)
    assert "1/9 ≈ 0.11" in caption and "sum to 1" in caption and "9 times brighter" in caption
    table = next(d.value for d in at.dataframe if "same: P = (F − 1)/2" in d.value.columns)
    assert table["same: P = (F − 1)/2"].tolist() == [1, 2, 3] and table["full: P = F − 1"].tolist() == [2, 4, 6]
    said = " ".join(_texts(at, "markdown"))
    assert "valid (padding = 0), same (padding = 1) and full (padding = 2)" in said and "**3×3 kernel**" in said


def test_universal_approximation_page_states_lecture_003s_theorem_and_asks_question_4(app_page):
    at = app_page("universal_approximation.py")
    assert not at.exception, at.exception
    said = " ".join(_texts(at, "markdown"))
    assert "(lecture 003" in said and "non-polynomial activation function" in said
    assert "lecture 004 expands in a **Fourier basis**" in said and "theorem (lecture 004" not in said
    assert ("Does the fact that a neural network can approximate very complex functions guarantee that we can "
            "easily train it?") in said
    at.radio(key="q_trainable").set_value("No").run()
    assert at.success and "does not say gradient descent finds them" in at.success[-1].value


def test_cnn_page_states_lecture_002s_transfer_rule_and_asks_question_6(app_page):
    at = app_page("cnn.py", timeout=300, cnn_filters="8,16")
    assert not at.exception, at.exception
    said = " ".join(_texts(at, "markdown"))
    assert "**Small**: freezes all layers, trains weights on softmax → **head only**" in said
    assert "**Medium**: freezes most layers, trains weights on last layers and softmax → **freeze most**" in said
    assert "**Large**: trains weights on layers and softmax by initializing weights on pre-trained ones" in said
    assert ("Do convolutional neural networks reduce the number of parameters by sharing the same filter across "
            "different parts of the image?") in said
    at.radio(key="q_kernels").set_value("Yes").run()
    conv1 = at.session_state["cnn_model"].model.get_layer("cnn_conv1")
    assert conv1.count_params() == 3 * 3 * 1 * 8  # no bias: batch norm follows
    why = at.success[-1].value
    assert f"{conv1.count_params():,} parameters" in why and f"4,096 × 72 = {4096 * 72:,}" in why
    assert f"{(4096 + 1) * 4096 * 8:,}" in why  # a dense layer with the same 64×64×8 outputs


def test_residual_page_words_the_skip_term_as_a_ratio_of_norms(app_page):
    at = app_page("residual.py", timeout=240, res_blocks="2", res_epochs="1", res_steps="11")
    next(b for b in at.button if "Train" in b.label).click().run()
    assert not at.exception, at.exception
    g = at.session_state["res_results"]["residual"][0]
    ok = np.isfinite(g.identity_error)
    ratio = g.grad_out[ok] / g.grad_in[ok]  # recomputed from the measured norms
    said = " ".join(_texts(at, "markdown"))
    assert f"is on average **{ratio.mean():.0%}** of ‖∂E/∂x‖'s" in said
    assert "ratio of two lengths" in said and "can exceed 100%" in said and "carries" not in said
    assert skip_ratio_sentence(g) in said
