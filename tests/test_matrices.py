"""Layers as matrices (lecture 003): a = σ(Wx + b) by hand equals Keras, and one hidden layer lets inputs interact."""
from __future__ import annotations

import numpy as np
import pytest

from explainers.matrices import augmented_equation_latex, compute_layer_composition, layer_equation_latex
from models._arguments import ArgumentError
from models.mlp import build_mlp


@pytest.mark.parametrize("hidden, activation, output, params", [
    ((4,), "sigmoid", "sigmoid", 17),   # lecture 003: 4 × 2 + 4 + 4 + 1
    ((10,), "tanh", "sigmoid", 41),
    ((4, 2), "relu", None, 25),
    ((3,), "leaky_relu", "softmax", 17),
])
def test_layer_by_layer_by_hand_equals_model_of_x(hidden, activation, output, params):
    n_out = 2 if output == "softmax" else 1
    model = build_mlp(2, hidden, activation=activation, n_outputs=n_out, output_activation=output, seed=1)
    x = np.array([0.7, -1.3])
    comp = compute_layer_composition(model, x)
    assert comp.max_difference < 1e-6
    assert comp.parameters == params == model.count_params()
    # an independent NumPy forward pass from Keras' kernels (inputs × neurons): a = g(x @ K + b)
    acts = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
            "leaky_relu": lambda z: np.where(z > 0, z, 0.2 * z), None: lambda z: z,
            "softmax": lambda z: np.exp(z) / np.exp(z).sum()}
    a = x
    weights = model.get_weights()
    for i, (k, b) in enumerate(zip(weights[::2], weights[1::2])):
        g = acts[activation] if i < len(hidden) else acts[output]
        a = g(a @ k + b)
        step = comp.steps[i]
        assert step.W.shape == (k.shape[1], k.shape[0])  # the lecture's W is Keras' kernel transposed
        np.testing.assert_allclose(step.a, a, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(comp.composed, a, rtol=1e-6, atol=1e-9)


def test_first_layer_of_2_inputs_and_4_neurons_has_a_4_by_2_w_and_12_parameters():
    comp = compute_layer_composition(build_mlp(2, (4,), activation="sigmoid", seed=0), [1.0, 2.0])
    assert comp.steps[0].W.shape == (4, 2) and comp.steps[0].parameters == 12  # lecture 003: 4 × 2 + 4


def test_bias_folded_into_w_gives_the_same_z():
    comp = compute_layer_composition(build_mlp(2, (4,), activation="tanh", seed=2), [0.3, -0.8])
    for step in comp.steps:
        np.testing.assert_allclose(step.augmented @ np.append(step.x, 1.0), step.z, rtol=1e-12)
    text = augmented_equation_latex(comp.steps[0], 1)
    assert text.startswith(r"\tilde W^{[1]}\tilde x") and "1.00" in text
    assert r"a^{[1]} &= \tanh\left(" in layer_equation_latex(comp.steps[0], 1)


@pytest.mark.parametrize("x", [[1.0], [1.0, 2.0, 3.0]])
def test_an_input_of_the_wrong_length_is_refused(x):
    with pytest.raises(ArgumentError, match="2 values"):
        compute_layer_composition(build_mlp(2, (4,), seed=0), x)


def test_a_model_with_other_layers_is_refused():
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3), keras.layers.Dropout(0.1),
                              keras.layers.Dense(1)])
    with pytest.raises(ArgumentError, match="only Dense"):
        compute_layer_composition(model, [0.0, 1.0])


def test_one_hidden_layer_fits_xor_and_the_product_where_no_hidden_layer_cannot():
    from models.recipes import compare_interactions, interaction_data

    result = compare_interactions(hidden=8, epochs=100, seed=0)
    assert result.fit("xor", False).score < 0.65 and result.fit("xor", True).score > 0.9
    assert result.fit("product", False).score < 0.05 and result.fit("product", True).score > 0.9
    # the model without a hidden layer is the least-squares plane: its test R² matches NumPy's lstsq
    x, y = interaction_data("product", 200, seed=0)
    xt, yt = interaction_data("product", 200, seed=1)
    w = np.linalg.lstsq(np.c_[x, np.ones(len(x))], y, rcond=None)[0]
    pred = np.c_[xt, np.ones(len(xt))] @ w
    r2 = 1 - np.sum((yt - pred) ** 2) / np.sum((yt - yt.mean()) ** 2)
    assert result.fit("product", False).score == pytest.approx(r2, abs=0.05)
    assert [f.params for f in result.fits] == [3, 33, 3, 33]
    # the stored weights rebuild the trained net: same output as the recipe drew
    fit = result.fit("xor", True)
    model = build_mlp(2, (8,), activation="tanh", seed=0)
    model.set_weights(list(fit.weights))
    comp = compute_layer_composition(model, [fit.grid[0], fit.grid[0]])
    assert comp.composed[0] == pytest.approx(fit.surface[0, 0], abs=1e-6)


def test_product_data_is_x1_times_x2_and_xor_labels_follow_the_signs():
    from models.recipes import interaction_data

    x, y = interaction_data("product", 50, seed=3)
    np.testing.assert_allclose(y.ravel(), x[:, 0] * x[:, 1], rtol=1e-6)
    x, y = interaction_data("xor", 200, seed=0)
    agree = np.mean((np.sign(x[:, 0]) == np.sign(x[:, 1])) == (y.ravel() == 1))
    assert agree > 0.9  # noise 0.05 flips a few points near the axes
