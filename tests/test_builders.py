"""Every course model builds, names its layers, trains a step and predicts the right shapes."""
import keras
import numpy as np
import pytest

from models import (
    build_attention_classifier,
    build_cnn,
    build_logistic_neuron,
    build_mlp,
    build_patch_attention,
    build_resnet,
    build_unet,
)


@pytest.mark.parametrize("hidden, expected", [((), 3), ((4,), 17), ((10,), 41), ((4, 2), 25)])
def test_mlp_parameter_counts_match_the_course(hidden, expected):
    assert build_mlp(2, hidden=hidden).count_params() == expected


def test_input_to_four_hidden_has_twelve_parameters():
    # Lecture 000: 2 * 4 + 4 = 12 between the input and a hidden layer of 4.
    assert build_mlp(2, hidden=(4,)).get_layer("mlp_hidden1").count_params() == 12


def test_lecture_fully_connected_image_net_has_196610001_parameters():
    model = build_mlp(256 * 256 * 3, hidden=(1000,))
    assert model.count_params() == 196_610_001


def test_stroke_neuron_with_the_lectures_weights():
    model = build_logistic_neuron(4)
    model.get_layer("neuron_dense").set_weights(
        [np.array([[0.1], [0.3], [1.1], [0.5]], "float32"), np.array([-71.2], "float32")]
    )
    x = np.array([[130, 6, 28, 55], [130, 5.5, 23, 56]], "float32")
    y = model.predict(x, verbose=0).ravel()
    np.testing.assert_allclose(y, [0.870, 0.037], atol=5e-4)
    # Independent reference: the lecture's formula in NumPy.
    z = -71.2 + x.astype(float) @ np.array([0.1, 0.3, 1.1, 0.5])
    np.testing.assert_allclose(z, [1.9, -3.25], atol=1e-9)
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-z)), atol=1e-5)


IMAGE = np.random.default_rng(0).random((4, 32, 32, 1)).astype("float32")
TOKENS = np.random.default_rng(0).integers(1, 20, (4, 10)).astype("int32")

CASES = [
    ("neuron", lambda: build_logistic_neuron(3), np.ones((4, 3), "float32"), np.array([0, 1, 0, 1]), (4, 1)),
    ("mlp", lambda: build_mlp(2, hidden=(4, 2)), np.ones((4, 2), "float32"), np.array([0, 1, 0, 1]), (4, 1)),
    ("mlp_softmax", lambda: build_mlp(2, hidden=(3,), n_outputs=3, output_activation="softmax"),
     np.ones((4, 2), "float32"), np.array([0, 1, 2, 1]), (4, 3)),
    ("cnn", lambda: build_cnn((32, 32, 1)), IMAGE, np.array([0, 1, 0, 1]), (4, 1)),
    ("cnn3", lambda: build_cnn((32, 32, 1), n_classes=3), IMAGE, np.array([0, 1, 2, 1]), (4, 3)),
    ("resnet", lambda: build_resnet((32, 32, 1)), IMAGE, np.array([0, 1, 0, 1]), (4, 1)),
    ("plainnet", lambda: build_resnet((32, 32, 1), residual=False), IMAGE, np.array([0, 1, 0, 1]), (4, 1)),
    ("unet", lambda: build_unet((32, 32, 1), depth=2, base_filters=4), IMAGE, (IMAGE > 0.5).astype("float32"),
     (4, 32, 32, 1)),
    ("attention", lambda: build_attention_classifier(20, 10, 3, d_model=8), TOKENS, np.array([0, 1, 2, 1]), (4, 3)),
    ("patch_attention", lambda: build_patch_attention((32, 32, 1), patch_size=8, d_model=8), IMAGE,
     np.array([0, 1, 0, 1]), (4, 1)),
]


@pytest.mark.parametrize("name, build, x, y, out_shape", CASES, ids=[c[0] for c in CASES])
def test_builder_builds_trains_a_step_and_predicts(name, build, x, y, out_shape):
    import models

    model = build()
    assert isinstance(model, keras.Model) and not model.compiled  # builders return uncompiled models
    assert all(layer.name.startswith(model.name + "_") for layer in model.layers), "every layer named"
    before = [w.copy() for w in model.get_weights()]
    history = models.train(model, x, y, epochs=1, batch_size=4, learning_rate=1e-2)
    assert history.status == "finished" and np.isfinite(history.metric("loss")).all()
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights())), "weights moved"
    assert model.predict(x, verbose=0).shape == out_shape


def test_resnet_plain_and_residual_have_the_same_depth():
    res, plain = build_resnet(), build_resnet(residual=False)
    convs = lambda m: [l for l in m.layers if isinstance(l, keras.layers.Conv2D) and not l.name.endswith("_proj")]
    assert len(convs(res)) == len(convs(plain))
    assert any(isinstance(l, keras.layers.Add) for l in res.layers)
    assert not any(isinstance(l, keras.layers.Add) for l in plain.layers)


@pytest.mark.parametrize("shape", [(60, 60, 1), (64, 36, 1)])
def test_unet_refuses_sides_not_multiple_of_two_to_the_depth(shape):
    with pytest.raises(ValueError, match=r"multiples of 2\*\*depth = 8"):
        build_unet(shape, depth=3)


def test_unet_without_skips_has_no_concatenation():
    model = build_unet((32, 32, 1), depth=2, skip_connections=False)
    assert not any(isinstance(l, keras.layers.Concatenate) for l in model.layers)


@pytest.mark.parametrize("call", [
    lambda: build_mlp(0), lambda: build_mlp(2, hidden=(0,)), lambda: build_cnn((8, 8)),
    lambda: build_cnn(n_classes=1), lambda: build_resnet(blocks=()), lambda: build_patch_attention(patch_size=7),
    lambda: build_attention_classifier(0, 5, 2),
])
def test_builders_reject_bad_arguments_with_the_argument_error(call):
    from models._arguments import ArgumentError

    with pytest.raises(ArgumentError) as e:  # a ValueError (and a TypeError) naming the argument
        call()
    assert isinstance(e.value, ValueError)


# --------------------------------------------------------------------------- #
# seeded starting weights (no global seed)                                     #
# --------------------------------------------------------------------------- #

SEEDED = {
    "neuron": lambda seed: build_logistic_neuron(3, seed=seed),
    "mlp": lambda seed: build_mlp(2, hidden=(4, 2), seed=seed),
    "cnn": lambda seed: build_cnn((32, 32, 1), seed=seed),
    "resnet": lambda seed: build_resnet((32, 32, 1), seed=seed),
    "unet": lambda seed: build_unet((32, 32, 1), depth=2, base_filters=4, seed=seed),
    "attention": lambda seed: build_attention_classifier(20, 10, 3, d_model=8, seed=seed),
    "patch_attention": lambda seed: build_patch_attention((32, 32, 1), patch_size=8, d_model=8, seed=seed),
}


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("name", SEEDED)
def test_same_seed_gives_the_same_starting_net_whatever_the_global_seed(name):
    keras.utils.set_random_seed(1)  # the global generators must not matter
    first = SEEDED[name](7).get_weights()
    keras.utils.set_random_seed(2)
    again = SEEDED[name](7).get_weights()
    assert _same(first, again)
    assert not _same(first, SEEDED[name](8).get_weights())
    # each layer draws its own seed: no two random kernels of one net start equal
    kernels = [w for w in first if w.ndim >= 2 and np.std(w) > 0]
    assert all(not np.array_equal(a, b) for i, a in enumerate(kernels) for b in kernels[i + 1:] if a.shape == b.shape)


def test_unseeded_builders_still_draw_fresh_weights():
    assert not _same(build_mlp(2, hidden=(4,)).get_weights(), build_mlp(2, hidden=(4,)).get_weights())


def test_seeded_attention_starts_query_key_and_value_apart():
    layer = build_attention_classifier(20, 10, 3, d_model=8, seed=0).get_layer("attn_attention")
    kernels = [d.kernel.numpy() for d in (layer.query_dense, layer.key_dense, layer.value_dense)]
    assert not np.array_equal(kernels[0], kernels[1]) and not np.array_equal(kernels[1], kernels[2])


def test_plain_and_residual_nets_of_one_seed_start_from_the_same_convolutions():
    from models.page_models import residual_net

    plain, res = residual_net(4, False), residual_net(4, True)
    assert _same(plain.get_weights(), res.get_weights())


def test_a_seeded_net_is_the_same_in_another_process():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import numpy as np; from models import build_cnn; "
            "print(repr(float(sum(np.abs(w).sum() for w in build_cnn((16, 16, 1), seed=3).get_weights()))))")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    here = float(sum(np.abs(w).sum() for w in build_cnn((16, 16, 1), seed=3).get_weights()))
    assert float(out.stdout.strip().splitlines()[-1]) == here


@pytest.mark.parametrize("call", [lambda: build_mlp(2, seed=-1), lambda: build_cnn(seed=1.5)])
def test_builders_refuse_a_bad_seed_naming_it(call):
    from models._arguments import ArgumentError

    with pytest.raises(ArgumentError, match="seed"):
        call()


def test_every_models_module_declares_all_and_every_listed_name_resolves():
    import ast
    from pathlib import Path

    import models

    root = Path(models.__file__).parent
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        assigned = {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                    for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                    if isinstance(t, ast.Name)}
        assert "__all__" in assigned, f"{path.relative_to(root.parent)} has no __all__"
    for name in models.__all__:
        assert getattr(models, name) is not None
    for name in models.recipes.__all__:  # recipes reachable as models.recipes.<name>
        assert getattr(models.recipes, name) is not None
