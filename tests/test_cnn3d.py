"""The 3-D builders: named like the 2-D ones, the right shapes and weights, seeded, and the 3-D U-Net learns."""
import keras
import numpy as np
import pytest

from models._arguments import ArgumentError
from models.cnn import build_cnn
from models.cnn3d import build_cnn3d
from models.unet import build_unet
from models.unet3d import build_unet3d


def _conv_params(k: int, c_in: int, c_out: int, bias: bool) -> int:
    """A Conv3D by hand: k³·c_in·c_out weights, plus one bias per filter."""
    return k**3 * c_in * c_out + (c_out if bias else 0)


def _bn(c: int) -> int:
    return 4 * c  # gamma, beta, moving mean, moving variance


def _dense(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


# (builder kwargs, the total by hand)
CNN3D_COUNTS = [
    ({}, _conv_params(3, 1, 8, False) + _bn(8) + _conv_params(3, 8, 16, False) + _bn(16)
     + _dense(16, 16) + _dense(16, 1)),                                                     # 4,057
    (dict(batch_norm=False, filters=(4, 6)), _conv_params(3, 1, 4, True) + _conv_params(3, 4, 6, True)
     + _dense(6, 16) + _dense(16, 1)),                                                      # 895
    (dict(kernel_size=5), _conv_params(5, 1, 8, False) + _bn(8) + _conv_params(5, 8, 16, False) + _bn(16)
     + _dense(16, 16) + _dense(16, 1)),                                                     # 17,385
    (dict(filters=(8, 16, 32), n_classes=3, dense_units=8, input_shape=(16, 16, 16, 2)),
     _conv_params(3, 2, 8, False) + _bn(8) + _conv_params(3, 8, 16, False) + _bn(16)
     + _conv_params(3, 16, 32, False) + _bn(32) + _dense(32, 8) + _dense(8, 3)),
]


@pytest.mark.parametrize("kwargs, expected", CNN3D_COUNTS, ids=["default", "no-bn", "kernel5", "three-stages"])
def test_cnn3d_parameter_count_matches_the_hand_formula(kwargs, expected):
    model = build_cnn3d(**kwargs)
    assert model.count_params() == expected
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv3D):
            k = layer.kernel_size[0]
            assert layer.count_params() == _conv_params(k, layer.input.shape[-1], layer.filters, layer.use_bias)


def test_default_cnn3d_has_4057_parameters():
    assert build_cnn3d().count_params() == 4057


def test_unet3d_parameter_count_matches_the_hand_formula():
    by_hand = (_conv_params(3, 1, 8, False) + _bn(8) + _conv_params(3, 8, 8, False) + _bn(8)       # enc1
               + _conv_params(3, 8, 16, False) + _bn(16) + _conv_params(3, 16, 16, False) + _bn(16)  # bottleneck
               + 2**3 * 16 * 8 + 8                                                                  # dec1_up (2³ kernel)
               + _conv_params(3, 16, 8, False) + _bn(8) + _conv_params(3, 8, 8, False) + _bn(8)     # dec1 (after concat)
               + _conv_params(1, 8, 1, True))                                                        # output
    assert build_unet3d().count_params() == by_hand == 18793


def test_cnn3d_layers_are_named_like_build_cnn():
    names3d = [layer.name.replace("cnn3d", "N") for layer in build_cnn3d().layers]
    names2d = [layer.name.replace("cnn", "N") for layer in build_cnn((32, 32, 1), filters=(8, 16)).layers]
    assert names3d == names2d
    assert names3d[:5] == ["N_input", "N_conv1", "N_bn1", "N_relu1", "N_pool1"]
    assert [type(layer).__name__ for layer in build_cnn3d().layers if "conv" in layer.name] == ["Conv3D"] * 2


def test_unet3d_layers_are_named_like_build_unet():
    names3d = [layer.name.replace("unet3d", "N") for layer in build_unet3d((16, 16, 16, 1), (4, 8)).layers]
    names2d = [layer.name.replace("unet", "N") for layer in build_unet((16, 16, 1), depth=1, base_filters=4).layers]
    assert names3d == names2d


SHAPES = [
    ("cnn3d-binary", lambda: build_cnn3d((16, 16, 16, 1)), (3, 16, 16, 16, 1), (3, 1)),
    ("cnn3d-3-classes", lambda: build_cnn3d((8, 16, 12, 2), n_classes=3), (3, 8, 16, 12, 2), (3, 3)),
    ("unet3d", lambda: build_unet3d((16, 16, 16, 1)), (3, 16, 16, 16, 1), (3, 16, 16, 16, 1)),
    ("unet3d-two-pools", lambda: build_unet3d((8, 16, 16, 1), (4, 8, 16)), (3, 8, 16, 16, 1), (3, 8, 16, 16, 1)),
]


@pytest.mark.parametrize("name, build, in_shape, out_shape", SHAPES, ids=[s[0] for s in SHAPES])
def test_builders_give_the_right_output_shape_uncompiled(name, build, in_shape, out_shape):
    model = build()
    assert isinstance(model, keras.Model) and not model.compiled
    assert all(layer.name.startswith(model.name + "_") for layer in model.layers)
    out = np.asarray(model(np.random.default_rng(0).random(in_shape, dtype=np.float32)))
    assert out.shape == out_shape
    assert np.all((out >= 0) & (out <= 1))


@pytest.mark.parametrize("build", [build_cnn3d, build_unet3d], ids=["cnn3d", "unet3d"])
def test_the_same_seed_gives_the_same_weights_another_seed_others(build):
    a, b, c = (build((16, 16, 16, 1), seed=s).get_weights() for s in (3, 3, 4))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert any(not np.array_equal(x, z) for x, z in zip(a, c))


BAD = [
    ("2-D image shape", lambda: build_cnn3d((32, 32, 1)), "build_cnn"),
    ("not a shape", lambda: build_cnn3d("volume"), "(depth, height, width, channels)"),
    ("too small for the pools", lambda: build_cnn3d((2, 32, 32, 1)), ">= 4"),
    ("no stages", lambda: build_cnn3d(filters=()), "at least one conv stage"),
    ("unet3d 2-D shape", lambda: build_unet3d((32, 32, 1)), "build_unet"),
    ("unet3d not divisible", lambda: build_unet3d((31, 32, 32, 1)), "multiples of 2**1"),
    ("unet3d one level", lambda: build_unet3d(filters=(8,)), "at least two levels"),
]


@pytest.mark.parametrize("name, call, says", BAD, ids=[b[0] for b in BAD])
def test_bad_shapes_are_refused_with_a_clear_message(name, call, says):
    with pytest.raises(ArgumentError, match=None) as err:
        call()
    assert says in str(err.value)


def _dice(mask: np.ndarray, pred: np.ndarray) -> float:
    """Dice of two binary volumes by NumPy: 2|A∩B| / (|A| + |B|)."""
    return float(2 * np.logical_and(mask, pred).sum() / (mask.sum() + pred.sum()))


@pytest.mark.slow
def test_unet3d_learns_the_nodule_masks_better_than_a_threshold():
    from models.data.nodules3d import make_nodules3d
    from models.losses import dice_loss
    from models.training import train

    x, _, masks = make_nodules3d(48, 32, seed=0, positive_fraction=1.0)
    x_test, _, masks_test = make_nodules3d(16, 32, seed=1, positive_fraction=1.0)
    model = build_unet3d(seed=0)
    # Dice loss (BCE over 32³ mostly empty voxels first learns "all background"); the volumes come in a
    # random order already, so no shuffling keeps the run repeatable.
    history = train(model, x, masks, epochs=6, batch_size=2, learning_rate=1e-2, loss=dice_loss, metrics=[],
                    shuffle=False)
    assert history.status == "finished"
    pred = np.asarray(model.predict(x_test, batch_size=8, verbose=0)) > 0.5
    dice = np.mean([_dice(m > 0.5, p) for m, p in zip(masks_test, pred)])
    # Baselines by NumPy: all-zero masks score 0 on volumes that hold a nodule; the best intensity
    # threshold on the training volumes (bright nodule, but the body is as bright) scores little.
    thresholds = np.linspace(0.5, 1.0, 26)
    best = max(thresholds, key=lambda t: np.mean([_dice(m > 0.5, v > t) for m, v in zip(masks, x)]))
    threshold_dice = np.mean([_dice(m > 0.5, v > best) for m, v in zip(masks_test, x_test)])
    assert threshold_dice < 0.3
    assert dice > 0.5 and dice > threshold_dice + 0.3, (dice, threshold_dice)
    print(f"Dice {dice:.3f}, threshold {threshold_dice:.3f}")
