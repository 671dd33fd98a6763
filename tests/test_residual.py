"""Residual connections: the chain rule ∂E/∂x = ∂E/∂y·(1 + F′(x)) measured, and the gradient that vanishes."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from explainers.residual import compute_block_gradients
from models import build_mlp, build_resnet
from models.data import load_digits


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits()
    return x[:64], y[:64]


@pytest.mark.parametrize("batch_norm", [True, False])
def test_measured_gradients_satisfy_the_residual_chain_rule(digits, batch_norm):
    x, y = digits
    model = build_resnet((8, 8, 1), 10, blocks=(2, 1), base_filters=4, batch_norm=batch_norm, seed=0)
    g = compute_block_gradients(model, x, y, loss="sparse_categorical_crossentropy")
    assert g.blocks == ("resnet_stage1_block1", "resnet_stage1_block2", "resnet_stage2_block1")
    # identity shortcuts (stage 1): ∂E/∂x == ∂E/∂y + ∂E/∂y·F′(x); the projection block is not checked
    assert np.all(g.identity_error[:2] < 1e-5) and np.isnan(g.identity_error[2])
    assert np.all(g.grad_in > 0) and np.all(g.grad_branch > 0)
    # the skip term makes the input gradient differ from the branch-only part
    assert np.all(np.abs(g.grad_in[:2] - g.grad_branch[:2]) > 1e-3 * g.grad_in[:2])


def test_plain_blocks_pass_back_only_the_branch_part(digits):
    x, y = digits
    model = build_resnet((8, 8, 1), 10, blocks=(3,), residual=False, base_filters=4, batch_norm=False, seed=0)
    g = compute_block_gradients(model, x, y)
    assert g.residual == (False, False, False) and np.all(np.isnan(g.identity_error))
    np.testing.assert_allclose(g.grad_in, g.grad_branch, rtol=1e-6)


def test_deep_plain_net_gradient_vanishes_towards_the_input_but_residual_does_not(digits):
    x, y = digits
    ratios = {}
    for residual in (False, True):
        model = build_resnet((8, 8, 1), 10, blocks=(8,), residual=residual, base_filters=8, batch_norm=False,
                             seed=0)  # the same initial convolutions for both
        g = compute_block_gradients(model, x, y)
        ratios[residual] = g.grad_in[0] / g.grad_in[-1]  # first block vs last block
    assert ratios[True] > 0.1  # the skips carry the gradient back
    assert ratios[False] < 0.1 * ratios[True]


def test_build_resnet_without_batch_norm_has_no_bn_layers_and_keeps_names():
    model = build_resnet((16, 16, 1), 2, blocks=(1, 1), batch_norm=False)
    names = [layer.name for layer in model.layers]
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)
    assert "resnet_stage1_block1_conv1" in names and "resnet_stage2_block1_add" in names
    assert model.get_layer("resnet_stage1_block1_conv1").use_bias


def test_block_gradients_reject_a_model_without_blocks():
    with pytest.raises(ValueError, match="build_resnet"):
        compute_block_gradients(build_mlp(2, (3,)), np.zeros((4, 2)), np.zeros(4))


def test_block_gradient_plot_draws_three_curves_and_marks_dead_blocks(digits):
    from matplotlib.figure import Figure

    from explainers.residual import BlockGradients
    from explainers.residual_plots import plot_block_gradients

    x, y = digits
    g = compute_block_gradients(build_resnet((8, 8, 1), 10, blocks=(2,), base_filters=4, batch_norm=False), x, y)
    ax = Figure().add_subplot()
    assert plot_block_gradients(g, ax=ax) is ax and len(ax.get_lines()) == 3
    dead = BlockGradients(("a", "b"), (False, False), np.array([0.0, 1e-3]), np.array([1e-3, 1e-2]),
                          np.array([0.0, 1e-3]), np.array([np.nan, np.nan]), 2.3)
    ax = plot_block_gradients(dead)
    assert any("dead ReLUs" in t.get_text() for t in ax.texts)
