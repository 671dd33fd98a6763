"""models.data.augmentation: Keras' preprocessing layers and two MR-like artefacts, against NumPy and SciPy.

Flip equals ``np.flip``; the rotation layer as configured equals
``scipy.ndimage.rotate``; motion ghosting changes only k-space phases, so the
image energy is unchanged (Parseval); the bias field is smooth and has the
asked strength; zero strengths are an exact copy; a seed gives one output.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from models._arguments import ArgumentError
from models.data import make_lesions
from models.data.augmentation import AUGMENTATIONS, _rotation_layer, augment, bias_field, motion_ghosting

SOME = dict(flip=0.5, rotation=15.0, zoom=0.1, contrast=0.2, translation=0.1, noise=0.03, bias_field=0.2,
            ghosting=0.2)


@pytest.fixture(scope="module")
def lesions():
    return make_lesions(6, 32, seed=0)[0]


def test_zero_strengths_return_an_exact_copy(lesions):
    out = augment(lesions, seed=3)
    assert out is not lesions and np.array_equal(out, lesions)
    assert np.array_equal(augment(lesions, seed=3, **{k: 0.0 for k in SOME}), lesions)


@pytest.mark.parametrize("name", list(AUGMENTATIONS))
def test_each_augmentation_is_deterministic_per_seed_and_keeps_shape_and_dtype(lesions, name):
    a = augment(lesions, seed=1, **{name: SOME[name]})
    b = augment(lesions, seed=1, **{name: SOME[name]})
    others = [augment(lesions, seed=s, **{name: SOME[name]}) for s in (2, 3, 4)]
    assert a.shape == lesions.shape and a.dtype == np.float32 and np.isfinite(a).all()
    assert np.array_equal(a, b), "the same seed must give the same output"
    # (a flip with probability 0.5 of 6 images can repeat a pattern by chance: 1 in 64 per pair)
    assert not all(np.array_equal(a, c) for c in others), "another seed must give another draw"


def test_all_augmentations_together_are_deterministic_per_seed(lesions):
    assert np.array_equal(augment(lesions, seed=5, **SOME), augment(lesions, seed=5, **SOME))
    assert not np.array_equal(augment(lesions, seed=5, **SOME), augment(lesions, seed=6, **SOME))


def test_flip_with_probability_one_equals_numpy_flip(lesions):
    assert np.array_equal(augment(lesions, seed=0, flip=1.0), np.flip(lesions, axis=2))


def test_flip_probability_half_flips_some_images_whole_and_leaves_the_rest():
    x = np.random.default_rng(0).random((64, 8, 8, 1)).astype(np.float32)
    out = augment(x, seed=0, flip=0.5)
    flipped = np.array([np.array_equal(o, np.flip(i, axis=1)) for o, i in zip(out, x)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, x)])
    assert np.all(flipped ^ kept) and 20 <= flipped.sum() <= 44


@pytest.mark.parametrize("degrees", [30.0, -20.0, 45.0])
def test_rotation_layer_matches_scipy_ndimage_rotate(degrees):
    img = np.zeros((64, 64), np.float32)
    img[24:40, 20:44] = 1.0  # a centred rectangle inside the inscribed circle: no fill involved
    ours = np.asarray(_rotation_layer(degrees, degrees, seed=0)(img[None, :, :, None], training=True))[0, :, :, 0]
    reference = ndimage.rotate(img, degrees, reshape=False, order=1, mode="constant")
    assert np.abs(ours - reference).max() < 1e-4
    wrong_way = ndimage.rotate(img, -degrees, reshape=False, order=1, mode="constant")
    assert np.abs(ours - wrong_way).mean() > 0.02  # the test can tell the direction


def test_rotation_stays_within_the_asked_angle():
    img = np.zeros((1, 64, 64, 1), np.float32)
    img[0, 30:34, 8:56] = 1.0  # a horizontal bar: its angle is measurable
    for seed in range(4):
        out = augment(img, seed=seed, rotation=20.0)[0, :, :, 0]
        rows, cols = np.nonzero(out > 0.5)
        angle = np.degrees(np.arctan(np.polyfit(cols, rows, 1)[0]))
        assert abs(angle) <= 20.5


@pytest.mark.parametrize("strength", [0.05, 0.2, 0.5])
def test_motion_ghosting_preserves_the_image_energy_parseval(strength):
    x = make_lesions(3, 64, seed=1)[0]
    out = motion_ghosting(x, strength, seed=0)
    energy_in = (x.astype(np.float64) ** 2).sum(axis=(1, 2, 3))
    energy_out = (out.astype(np.float64) ** 2).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(energy_out, energy_in, rtol=1e-5)
    assert np.abs(out - x).max() > 0.01


def test_motion_ghosting_keeps_the_k_space_magnitude_of_the_complex_image():
    # The artefact multiplies k-space lines by a phase: |FFT| along the phase-encoding axis is unchanged
    # for a complex image; the magnitude image's columns keep their energy (Parseval per column).
    x = make_lesions(2, 64, seed=2)[0]
    out = motion_ghosting(x, 0.25, seed=1)
    np.testing.assert_allclose((out.astype(np.float64) ** 2).sum(axis=1), (x.astype(np.float64) ** 2).sum(axis=1),
                               rtol=1e-5)


def test_motion_ghosts_lie_along_the_phase_encoding_axis_only():
    x = np.zeros((1, 64, 64, 1), np.float32)
    x[0, 28:36, 28:36] = 1.0
    out = motion_ghosting(x, 0.25, seed=0)[0, :, :, 0]
    outside = np.abs(out) > 1e-3
    assert outside[:, :28].sum() + outside[:, 36:].sum() == 0   # no ghost beside the square
    assert outside[:28].sum() + outside[36:].sum() > 0          # ghosts above or below it


@pytest.mark.parametrize("strength", [0.1, 0.3])
def test_bias_field_is_smooth_and_has_the_asked_strength(strength):
    ones = np.ones((4, 64, 64, 1), np.float32)
    field = bias_field(ones, strength, seed=0)[..., 0]
    np.testing.assert_allclose(np.abs(field - 1).max(axis=(1, 2)), strength, rtol=1e-5)
    laplacian = np.stack([ndimage.laplace(f.astype(np.float64))[1:-1, 1:-1] for f in field])
    noise = np.random.default_rng(0).normal(1.0, strength / 3, (64, 64))  # the same spread, not smooth
    assert np.abs(laplacian).max() < 0.01 * strength
    assert np.abs(ndimage.laplace(noise)[1:-1, 1:-1]).max() > 100 * np.abs(laplacian).max()


def test_bias_field_multiplies_every_channel_by_the_same_field():
    x = np.random.default_rng(0).uniform(0.2, 1.0, (2, 16, 16, 3)).astype(np.float32)
    ratio = bias_field(x, 0.3, seed=4) / x
    np.testing.assert_allclose(ratio[..., 0], ratio[..., 2], rtol=1e-5)


def test_noise_is_keras_gaussian_noise_with_the_asked_standard_deviation():
    x = np.full((8, 32, 32, 1), 0.5, np.float32)
    out = augment(x, seed=0, noise=0.1)
    assert abs(float((out - x).std()) - 0.1) < 0.005 and abs(float((out - x).mean())) < 0.005


@pytest.mark.parametrize("kwargs, message", [
    (dict(rotation=-1.0), "rotation"),
    (dict(flip=1.5), "flip"),
    (dict(noise=float("nan")), "noise"),
    (dict(ghosting=0.8), "ghosting"),
    (dict(bias_field="a"), "bias_field"),
    (dict(seed=-1), "seed"),
    (dict(seed=1.5), "seed"),
])
def test_bad_strengths_and_seeds_are_refused_with_the_argument_named(lesions, kwargs, message):
    kwargs = {"seed": 0, **kwargs}
    with pytest.raises(ArgumentError, match=message):
        augment(lesions, **kwargs)


@pytest.mark.parametrize("images", [np.zeros((4, 4)), np.zeros((2, 1, 8, 1)), np.full((1, 4, 4, 1), np.nan)])
def test_bad_image_sets_are_refused(images):
    with pytest.raises(ArgumentError, match="images"):
        augment(images, seed=0, noise=0.1)


# ------------------------------------------------------------------ the recipe
def test_compare_augmentation_starts_both_runs_from_identical_weights_and_returns_finite_histories(monkeypatch):
    import models.training
    from models.recipes import compare_augmentation

    real_train = models.training.train
    starts = []

    def recording_train(model, *args, history=None, **kwargs):
        if history is not None and len(history) == 0:  # the first epoch of a run: the weights it starts from
            starts.append([w.copy() for w in model.get_weights()])
        return real_train(model, *args, history=history, **kwargs)

    monkeypatch.setattr(models.training, "train", recording_train)
    histories = {}
    result = compare_augmentation(8, n_val=8, epochs=2, batch_size=4, filters=(4,), seed=0, histories=histories)
    assert len(starts) == 2 and all(np.array_equal(a, b) for a, b in zip(*starts))
    assert set(result.curves) == set(histories) == {"without", "with"}
    for run, curves in result.curves.items():
        assert len(curves["val_accuracy"]) == 2 and np.isfinite(curves["loss"]).all()
        assert result.status[run] == "finished" and histories[run].status == "finished"
    assert np.isfinite(result.gap)


def test_compare_augmentation_stops_when_an_observer_asks_and_skips_the_second_run():
    from models.recipes import compare_augmentation

    class StopAfterOne:
        def on_epoch_end(self, progress, model):
            return True

    result = compare_augmentation(8, n_val=8, epochs=3, batch_size=4, filters=(4,), observers=[StopAfterOne()])
    assert list(result.curves) == ["without"] and result.status["without"] == "stopped"
    assert len(result.curves["without"]["loss"]) == 1


@pytest.mark.parametrize("kwargs, message", [(dict(strengths={"blur": 1.0}), "blur"),
                                             (dict(strengths={"rotation": -5.0}), "rotation"),
                                             (dict(validation_shift={"blur": 1.0}), "blur"),
                                             (dict(validation_shift={"contrast": 2.0}), "contrast"),
                                             (dict(n_train=2), "n_train")])
def test_compare_augmentation_refuses_bad_arguments_before_training(kwargs, message):
    from models.recipes import compare_augmentation

    with pytest.raises(ArgumentError, match=message):
        compare_augmentation(**kwargs)
