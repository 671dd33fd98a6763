"""Segmentation explainers: Dice/IoU against scikit-learn, the lecture's Dice table,
the class-imbalance trap, decoder layers against NumPy references, U-Net insides, the drawings."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import signal
from sklearn.metrics import f1_score, jaccard_score

from explainers.feature_maps import compute_feature_maps
from explainers.segmentation import (
    LECTURE_PREDICTION, LECTURE_TARGET, STAGE_PATTERN, SegmentationMonitor, boundary_sharpness,
    compute_dice_table, compute_imbalance_trap, compute_mask_prediction, compute_segmentation_scores,
    dice_score, iou_score, validate_pair,
)
from explainers.upsampling import compute_upsampling


def _random_pair(seed: int, shape=(16, 16), p_true=0.3, p_pred=0.3):
    rng = np.random.default_rng(seed)
    return (rng.random(shape) < p_true).astype(float), rng.random(shape) * (rng.random(shape) < p_pred * 2)


# ------------------------------------------------------------------ Dice / IoU
@pytest.mark.parametrize("seed, p_true, p_pred", [(0, 0.3, 0.3), (1, 0.05, 0.5), (2, 0.9, 0.1), (3, 0.5, 0.0),
                                                  (4, 0.0, 0.4)])
@pytest.mark.parametrize("threshold", [0.5, 0.2])
def test_dice_and_iou_equal_sklearn_f1_and_jaccard_on_binarised_masks(seed, p_true, p_pred, threshold):
    t, p = _random_pair(seed, p_true=p_true, p_pred=p_pred)
    tb, pb = (t >= 0.5).ravel(), (p > threshold).ravel()  # the lecture's rule: p > τ
    assert dice_score(t, p, threshold=threshold) == pytest.approx(f1_score(tb, pb, zero_division=1.0))
    assert iou_score(t, p, threshold=threshold) == pytest.approx(jaccard_score(tb, pb, zero_division=1.0))


@pytest.mark.parametrize("t, p, dice, iou", [
    (np.zeros((4, 4)), np.zeros((4, 4)), 1.0, 1.0),     # nothing to find, nothing found: perfect
    (np.zeros((4, 4)), np.ones((4, 4)), 0.0, 0.0),      # false alarm everywhere
    (np.ones((4, 4)), np.zeros((4, 4)), 0.0, 0.0),      # lesion missed entirely
    (np.eye(4), np.eye(4), 1.0, 1.0),
    (np.eye(4), np.ones((4, 4)), 2 * 4 / 20, 4 / 16),
])
def test_dice_and_iou_of_hand_checked_masks_including_empty(t, p, dice, iou):
    assert dice_score(t, p) == pytest.approx(dice)
    assert iou_score(t, p) == pytest.approx(iou)
    assert dice_score(t[..., None], p[..., None]) == pytest.approx(dice)  # (H, W, 1) too


def test_batch_scores_equal_per_image_scores_and_iou_is_dice_over_two_minus_dice():
    rng = np.random.default_rng(5)
    t = (rng.random((6, 12, 12, 1)) < 0.3).astype(np.float32)
    p = rng.random((6, 12, 12, 1)).astype(np.float32)
    t[0] = 0
    p[0] = 0  # an empty pair in the batch
    scores = compute_segmentation_scores(t, p)
    dice, iou = scores.dice, scores.iou
    assert dice == pytest.approx([dice_score(t[i], p[i]) for i in range(6)])
    assert iou == pytest.approx([iou_score(t[i], p[i]) for i in range(6)])
    assert iou == pytest.approx(dice / (2 - dice))


@pytest.mark.parametrize("t, p, threshold, error, match", [
    (np.zeros((4, 4)), np.zeros((4, 5)), 0.5, ValueError, "same pixels"),
    (np.zeros((2, 4, 4)), np.zeros((2, 4, 4)), 0.5, ValueError, "compute_segmentation_scores"),
    (np.zeros((4, 4)), np.full((4, 4), np.nan), 0.5, ValueError, "NaN"),
    (np.zeros((4, 4)), np.zeros((4, 4)), 1.5, ValueError, "threshold"),
    (np.zeros((4, 4)), np.array([["a"] * 4] * 4), 0.5, TypeError, "numeric"),
])
def test_bad_masks_raise_errors_naming_the_problem(t, p, threshold, error, match):
    with pytest.raises(error, match=match):
        dice_score(t, p, threshold=threshold)


# ------------------------------------------------------------ lecture's table
def test_dice_table_reproduces_the_lectures_worked_example():
    table = compute_dice_table()
    assert table.intersection == pytest.approx(7.41)
    assert table.sum_prediction == pytest.approx(7.82)
    assert table.sum_target == pytest.approx(8.0)
    assert round(table.dice, 4) == 0.9368
    assert round(table.dice_squared, 4) == 0.9938
    assert table.product[2:] == pytest.approx(LECTURE_PREDICTION[2:])
    assert not table.product[:2].any()


@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("edit", [None, (0, 0, 0.9), (3, 3, 0.1), (2, 1, 0.0)])
def test_dice_table_agrees_with_the_keras_dice_coefficient_after_editing_a_cell(squared, edit):
    from models.losses import dice_coefficient

    p = LECTURE_PREDICTION.copy()
    if edit is not None:
        p[edit[0], edit[1]] = edit[2]
    table = compute_dice_table(p, LECTURE_TARGET)
    ref = float(np.asarray(dice_coefficient(LECTURE_TARGET[None], p[None], squared=squared, smooth=0.0))[0])
    assert (table.dice_squared if squared else table.dice) == pytest.approx(ref, rel=1e-5)


def test_dice_table_changes_when_a_cell_is_edited():
    p = LECTURE_PREDICTION.copy()
    p[3, 0] = 0.2  # a lesion pixel predicted weakly: overlap drops
    table = compute_dice_table(p)
    assert table.intersection == pytest.approx(7.41 - 0.79)
    assert table.dice < compute_dice_table().dice


@pytest.mark.parametrize("p, t, match", [
    (LECTURE_PREDICTION * 2, LECTURE_TARGET, "prediction values"),
    (LECTURE_PREDICTION, LECTURE_TARGET[:3], "shape"),
    (np.zeros(4), np.zeros(4), "2-D"),
])
def test_dice_table_rejects_bad_tables(p, t, match):
    with pytest.raises(ValueError, match=match):
        compute_dice_table(p, t)


# ---------------------------------------------------------- imbalance trap
def test_all_background_scores_high_pixel_accuracy_but_dice_zero():
    mask = np.zeros((64, 64))
    mask[10:21, 30:41] = 1  # 121 px = 3 % of the image
    trap = compute_imbalance_trap(mask, {"perfect": mask})
    row = trap.names.index("all background")
    assert trap.lesion_fraction == pytest.approx(121 / 4096)
    assert trap.pixel_accuracy[row] == pytest.approx(1 - 121 / 4096)
    assert trap.dice[row] == 0.0 and trap.iou[row] == 0.0
    lesion = trap.names.index("all lesion")
    assert trap.pixel_accuracy[lesion] == pytest.approx(121 / 4096)
    assert trap.dice[lesion] == pytest.approx(2 * 121 / (121 + 4096))
    perfect = trap.names.index("perfect")
    assert trap.dice[perfect] == 1.0 and trap.pixel_accuracy[perfect] == 1.0
    # mean pixel-wise BCE of "all background" at p = 0.01, by hand
    f = 121 / 4096
    assert trap.bce[row] == pytest.approx(-(f * np.log(0.01) + (1 - f) * np.log(0.99)))


def test_imbalance_trap_refuses_a_mask_without_a_lesion():
    with pytest.raises(ValueError, match="no lesion"):
        compute_imbalance_trap(np.zeros((8, 8)))


# ---------------------------------------------------------- decoder layers
def _dilate_kernel(k, d):
    out = np.zeros(((k.shape[0] - 1) * d + 1,) * 2)
    out[::d, ::d] = k
    return out


@pytest.mark.parametrize("seed, stride", [(0, 2), (1, 2), (2, 3)])
def test_transposed_convolution_equals_numpy_scatter_add(seed, stride):
    rng = np.random.default_rng(seed)
    grid, kernel = rng.normal(size=(4, 5)), rng.normal(size=(3, 3))
    demo = compute_upsampling("transposed", grid, kernel, stride=stride)
    h, w = grid.shape
    full = np.zeros(((h - 1) * stride + 3, (w - 1) * stride + 3))
    for i in range(h):
        for j in range(w):  # each input pixel stamps the kernel, scaled by its value
            full[i * stride:i * stride + 3, j * stride:j * stride + 3] += grid[i, j] * kernel
    pad = max(3 - stride, 0) // 2  # "same" padding crops the full output to h*stride
    ref = full[pad:pad + h * stride, pad:pad + w * stride]
    assert demo.output.shape == (h * stride, w * stride)
    np.testing.assert_allclose(demo.output, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1])
def test_upsampling_then_convolution_equals_numpy_repeat_and_correlate(seed):
    rng = np.random.default_rng(seed)
    grid, kernel = rng.normal(size=(4, 4)), rng.normal(size=(3, 3))
    demo = compute_upsampling("upsample_conv", grid, kernel)
    up = np.repeat(np.repeat(grid, 2, 0), 2, 1)
    np.testing.assert_allclose(demo.output, signal.correlate2d(up, kernel, mode="same"), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dilation", [1, 2, 3])
def test_dilated_convolution_equals_correlation_with_a_spread_kernel(dilation):
    rng = np.random.default_rng(dilation)
    grid, kernel = rng.normal(size=(9, 9)), rng.normal(size=(3, 3))
    demo = compute_upsampling("dilated", grid, kernel, dilation=dilation)
    ref = signal.correlate2d(grid, _dilate_kernel(kernel, dilation), mode="same")
    np.testing.assert_allclose(demo.output, ref, rtol=1e-5, atol=1e-5)
    assert demo.receptive_field == 2 * dilation + 1
    assert demo.output.shape == grid.shape  # dilation widens the view, not the picture


@pytest.mark.parametrize("method", ["transposed", "upsample_conv", "dilated"])
@pytest.mark.parametrize("k, channels", [(3, (64, 32)), (2, (16, 8))])
def test_parameter_counts_are_kernel_area_times_channels_plus_biases(method, k, channels):
    demo = compute_upsampling(method, kernel=np.ones((k, k)), channels=channels)
    c_in, c_out = channels
    assert demo.params_demo == k * k + 1
    assert list(demo.params_at.values()) == [k * k * c_in * c_out + c_out]


def test_transposed_convolution_with_kernel_3_stride_2_overlaps_unevenly():
    # the checkerboard: some output pixels receive 1 stamp, others 2 or 4
    demo = compute_upsampling("transposed")
    assert set(np.unique(demo.overlap)) == {1.0, 2.0, 4.0}
    even = compute_upsampling("transposed", kernel=np.ones((2, 2)))
    assert set(np.unique(even.overlap)) == {1.0}  # kernel = stride: every pixel one stamp


@pytest.mark.parametrize("kwargs, match", [
    (dict(method="bilinear"), "method"),
    (dict(method="dilated", grid=np.zeros(5)), "grid"),
    (dict(method="dilated", kernel=np.ones((2, 3))), "kernel"),
    (dict(method="transposed", stride=0), "stride"),
])
def test_upsampling_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compute_upsampling(**kwargs)


# ------------------------------------------------------------- boundary sharpness
def test_sharp_edge_scores_higher_than_a_blurred_one():
    from scipy import ndimage

    mask = np.zeros((32, 32))
    mask[8:24, 8:24] = 1
    sharp = boundary_sharpness(mask, mask)
    blurred = boundary_sharpness(ndimage.gaussian_filter(mask, 3), mask)
    assert sharp == pytest.approx(0.5, abs=0.1)  # a 0→1 step read by central differences
    assert blurred < 0.6 * sharp
    assert np.isnan(boundary_sharpness(mask, np.zeros_like(mask)))


# ------------------------------------------------------------------ user pairs
def _pair(shape=(40, 40)):
    img = np.random.default_rng(0).random(shape)
    mask = np.zeros(shape)
    mask[10:20, 10:20] = 1
    return img, mask


def test_a_valid_pair_is_resized_and_the_mask_kept_binary():
    img, mask = _pair()
    pair = validate_pair(img, mask, size=64)
    x, y = pair.image, pair.mask
    assert x.shape == y.shape == (64, 64, 1)
    assert set(np.unique(y)) == {0.0, 1.0}
    assert y.mean() == pytest.approx(mask.mean(), abs=0.01)


@pytest.mark.parametrize("change, match", [
    (lambda i, m: (i, m[:30]), "mask is 30×40"),
    (lambda i, m: (i, np.full_like(m, 0.5)), "not black and white"),
    (lambda i, m: (i, np.zeros_like(m)), "no white"),
    (lambda i, m: (i, np.ones_like(m)), "no black"),
    (lambda i, m: (i[None], m), "2-D"),
    (lambda i, m: (i * 255, m), r"\[0, 1\]"),
])
def test_bad_pairs_get_clear_errors(change, match):
    img, mask = change(*_pair())
    with pytest.raises(ValueError, match=match):
        validate_pair(img, mask)


# ------------------------------------------------------------------ U-Net insides
def test_feature_maps_follow_the_unet_and_reproduce_its_output():
    from models import build_unet

    model = build_unet((32, 32, 1), depth=2, base_filters=4)
    image = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    fm = compute_feature_maps(model, image, pattern=STAGE_PATTERN, max_channels=4)
    assert fm.layer_names == ("unet_enc1_relu2", "unet_enc2_relu2", "unet_bottleneck_relu2", "unet_dec2_relu2",
                        "unet_dec1_relu2")
    assert [s[:2] for s in fm.shapes] == [(32, 32), (16, 16), (8, 8), (16, 16), (32, 32)]
    # the last decoder map through the 1×1 output convolution gives the model's own prediction
    last = fm.maps[-1][..., np.argsort(fm.channels[-1])]
    w, b = model.get_layer("unet_output").get_weights()
    ref = 1 / (1 + np.exp(-(last @ w[0, 0] + b)))
    np.testing.assert_allclose(ref, np.asarray(model(image[None, ..., None]))[0], rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="matches pattern"):
        compute_feature_maps(model, image, pattern="nonexistent")
    with pytest.raises(ValueError, match="expects"):
        compute_feature_maps(model, np.zeros((16, 16)), pattern=STAGE_PATTERN)


@pytest.mark.slow
def test_monitor_records_the_dice_of_each_epoch_and_fixed_validation_images():
    from models import build_unet
    from models.data import make_segmentation
    from models.training import train

    x, y = make_segmentation(32, 32, seed=0)
    xv, yv = make_segmentation(8, 32, seed=1)
    model = build_unet((32, 32, 1), depth=2, base_filters=4)
    monitor = SegmentationMonitor(xv, yv, n_show=2)
    train(model, x, y, epochs=2, batch_size=16, validation_data=(xv, yv), observers=[monitor])
    assert monitor.epochs == [1, 2] and len(monitor.dice) == len(monitor.iou) == 2
    scores = compute_segmentation_scores(yv, model.predict(xv, verbose=0))
    assert monitor.dice[-1] == pytest.approx(scores.dice.mean())
    assert monitor.iou[-1] == pytest.approx(scores.iou.mean())
    snap = monitor.snapshot
    assert snap.epoch == 2 and snap.images.shape == snap.probs.shape == (2, 32, 32)
    np.testing.assert_array_equal(snap.masks, yv[:2, ..., 0])
    with pytest.raises(ValueError, match="n_show"):
        SegmentationMonitor(xv, yv, n_show=20)


def test_monitor_history_holds_the_keras_soft_dice_of_each_training_epoch():
    from models import build_unet
    from models.data import make_segmentation
    from models.losses import dice_coefficient
    from models.training import train

    x, y = make_segmentation(16, 32, seed=0)
    xv, yv = make_segmentation(4, 32, seed=1)
    model = build_unet((32, 32, 1), depth=1, base_filters=4)
    monitor = SegmentationMonitor(xv, yv, n_show=1)
    history = train(model, x, y, epochs=2, batch_size=8, metrics=[dice_coefficient], observers=[monitor])
    scores = monitor.history
    np.testing.assert_array_equal(scores.epochs, [1, 2])
    np.testing.assert_allclose(scores.dice, monitor.dice)
    np.testing.assert_allclose(scores.train_dice, history.history["dice_coefficient"])


# ------------------------------------------------------------------ one image, two models
def test_mask_prediction_is_the_models_output_scored_like_dice_score():
    from models import build_unet

    model = build_unet((32, 32, 1), depth=1, base_filters=4)
    rng = np.random.default_rng(0)
    image, mask = rng.random((32, 32, 1)), np.zeros((32, 32))
    mask[8:16, 8:16] = 1
    shown = compute_mask_prediction(model, image, mask, threshold=0.4)
    np.testing.assert_allclose(shown.prob, np.asarray(model(image[None]))[0, ..., 0], rtol=1e-5, atol=1e-6)
    assert shown.image.shape == shown.mask.shape == (32, 32)
    assert shown.dice == dice_score(mask, shown.prob, threshold=0.4)
    assert shown.iou == iou_score(mask, shown.prob, threshold=0.4)
    untrained = compute_mask_prediction(None, image, mask)  # before any model: the picture and the truth only
    assert untrained.prob is None and np.isnan(untrained.dice) and np.isnan(untrained.iou)
    with pytest.raises(ValueError, match="expects"):
        compute_mask_prediction(model, np.zeros((16, 16)), np.zeros((16, 16)))
    with pytest.raises(ValueError, match="mask has shape"):
        compute_mask_prediction(model, image, mask[:20])


def test_skip_comparison_scores_each_model_on_the_whole_validation_set():
    from explainers.segmentation import compute_skip_comparison
    from models import build_unet
    from models.data import make_segmentation

    xv, yv = make_segmentation(6, 32, seed=3)
    with_skips = build_unet((32, 32, 1), depth=1, base_filters=4)
    without = build_unet((32, 32, 1), depth=1, base_filters=4, skip_connections=False)
    comp = compute_skip_comparison([with_skips, without], xv, yv, show=2)
    for i, model in enumerate((with_skips, without)):
        p = np.asarray(model.predict(xv, verbose=0))
        scores = compute_segmentation_scores(yv, p)
        assert comp.dice[i] == pytest.approx(scores.dice.mean()) and comp.iou[i] == pytest.approx(scores.iou.mean())
        assert comp.sharpness[i] == pytest.approx(np.nanmean([boundary_sharpness(p[j], yv[j]) for j in range(6)]))
        np.testing.assert_allclose(comp.probs[i], p[2, ..., 0], rtol=1e-5, atol=1e-6)
        assert comp.params[i] == model.count_params()
    np.testing.assert_array_equal(comp.mask, yv[2, ..., 0])
    with pytest.raises(ValueError, match="names"):
        compute_skip_comparison([with_skips], xv, yv)


# ------------------------------------------------------------------ drawings
def _snapshot():
    from explainers.segmentation import SegmentationSnapshot

    rng = np.random.default_rng(0)
    masks = (rng.random((2, 8, 8)) < 0.3).astype(float)
    return SegmentationSnapshot(3, rng.random((2, 8, 8)), masks, rng.random((2, 8, 8)), 0.5,
                                np.array([0.5, 0.6]), np.array([0.3, 0.4]))


def _skip_comparison():
    from explainers.segmentation import SkipComparison

    rng = np.random.default_rng(1)
    mask = np.zeros((8, 8))
    mask[2:5, 2:5] = 1
    return SkipComparison(("with skips", "without skips"), np.array([0.9, 0.7]), np.array([0.8, 0.6]),
                          np.array([0.4, 0.2]), np.array([100, 80]), rng.random((8, 8)), mask, rng.random((2, 8, 8)))


@pytest.mark.parametrize("name, make, panels", [
    ("plot_segmentation_panels", _snapshot, 8),
    ("plot_dice_table", compute_dice_table, 3),
    ("plot_skip_comparison", _skip_comparison, 3),
    ("plot_upsampling", lambda: compute_upsampling("transposed"), 4),
])
def test_multi_panel_plots_draw_every_panel_on_the_figure_given(name, make, panels):
    import explainers
    from matplotlib.figure import Figure

    fig = Figure()
    assert getattr(explainers, name)(make(), fig) is fig
    assert len(fig.axes) == panels
    assert len(getattr(explainers, name)(make()).axes) == panels  # or on a new Figure


@pytest.mark.parametrize("name, make", [
    ("plot_scores", lambda: SegmentationMonitor(np.zeros((2, 8, 8, 1)), np.zeros((2, 8, 8, 1)), n_show=1).history),
    ("plot_imbalance", lambda: compute_imbalance_trap(np.eye(8))),
    ("plot_overlay", lambda: compute_mask_prediction(None, np.eye(8), np.eye(8))),
])
def test_one_panel_plots_draw_on_the_axes_given(name, make):
    import explainers
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    assert getattr(explainers, name)(make(), ax) is ax
