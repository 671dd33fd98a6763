"""AppTest drives the CNN page: live training, filters, feature maps, predictions, transfer learning."""
import numpy as np
import pytest


def test_cnn_page_renders_untrained_filters_and_feature_maps(app_page):
    at = app_page("cnn.py", timeout=300, cnn_filters="8,16", cnn_image="3")
    assert not at.exception and not at.error
    assert at.selectbox(key="cnn_filters").value == "8,16"
    assert "test image 3" in at.caption[0].value
    assert at.session_state["cnn_model"].model.get_layer("cnn_conv1").filters == 8


@pytest.mark.slow
def test_training_on_the_page_updates_history_and_shows_the_confusion_matrix(app_page):
    at = app_page("cnn.py", timeout=300, cnn_epochs="2", cnn_filters="8,16")
    [b for b in at.button if b.label == "Train"][0].click().run()
    assert not at.exception
    assert any("Trained 2 epoch(s)" in s.value for s in at.success)
    entry = at.session_state["cnn_model"]
    assert len(entry.history) == 2
    assert any("first 16 test images" in c.value for c in at.caption)


@pytest.mark.slow
def test_transfer_strategies_train_the_right_parameters():
    from models.data import make_shapes_task
    from models.recipes import compare_transfer_strategies

    x, y = make_shapes_task(40, 64, seed=1)
    assert x.shape == (40, 64, 64, 1) and set(np.unique(y)) <= {0, 1, 2, 3}
    r = compare_transfer_strategies(8, pretrain_epochs=1, finetune_epochs=1, n_source=32, n_val=8, filters=(4, 8))
    import keras

    from models import build_cnn

    model = build_cnn((64, 64, 1), 2, filters=(4, 8))
    total = model.count_params()
    output = model.get_layer("cnn_output").count_params()  # the lecture's "softmax"
    last_layers = output + model.get_layer("cnn_dense").count_params()
    bn_moving = sum(int(np.prod(w.shape)) for layer in model.layers
                    if isinstance(layer, keras.layers.BatchNormalization) for w in layer.non_trainable_weights)
    assert r.total == total
    assert r.trainable["scratch"] == r.trainable["fine-tune all"] == total - bn_moving  # large: everything
    assert r.trainable["head only"] == output == model.get_layer("cnn_dense").units + 1  # small: freezes all layers, trains the softmax
    assert r.trainable["freeze most"] == last_layers  # medium: the last layers and the softmax
    assert all(len(r.val_accuracy[s]) == 1 for s in r.strategies)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])  # seed 1 predicted one class for everything before the linear probe
def test_pretrained_spot_filters_beat_training_from_scratch_on_few_images(seed):
    from models.data import make_spots_task
    from models.recipes import compare_transfer_strategies

    x, y = make_spots_task(40, 64, seed=1)
    assert x.shape == (40, 64, 64, 1) and set(np.unique(y)) == {0, 1} and 0 <= x.min() and x.max() <= 1
    r = compare_transfer_strategies(48, finetune_epochs=6, seed=seed)  # the page's defaults, two epochs shorter
    final = {s: r.val_accuracy[s][-1] for s in r.strategies}
    # 48 images: from scratch the CNN stays near chance; the pretrained spot detectors carry over.
    assert final["scratch"] < 0.7, final
    # "head only" trains the output layer alone (lecture 002's small-data rule): seed 1 gives 0.73 (scratch 0.43);
    # with the dense layer too ("freeze most", 0.86 there) the pretrained features reach 0.8.
    assert final["head only"] > final["scratch"] + 0.15, final
    assert max(final["head only"], final["freeze most"]) >= 0.8, final


@pytest.mark.parametrize("strategy, trained", [
    ("head only", {"cnn_output"}),
    ("freeze most", {"cnn_dense", "cnn_output"}),
    ("fine-tune all", {"cnn_conv1", "cnn_bn1", "cnn_conv2", "cnn_bn2", "cnn_dense", "cnn_output"}),
])
def test_each_strategy_trains_the_layers_of_lecture_002s_table(strategy, trained):
    from models import build_cnn
    from models.recipes import TRANSFER_RULE, freeze_for_strategy

    model = build_cnn((64, 64, 1), 2, filters=(4, 8), seed=0, name="cnn")
    freeze_for_strategy(model, strategy)
    assert {layer.name for layer in model.layers if layer.trainable and layer.trainable_weights} == trained
    owners = {id(w): layer.name for layer in model.layers for w in layer.trainable_weights}
    assert {owners[id(w)] for w in model.trainable_weights} == trained  # what the optimiser would update
    if strategy == "head only":
        assert TRANSFER_RULE[strategy] == ("Small", "Freezes all layers, trains weights on softmax")


def _fake_medmnist(folder, n=24, size=28, classes=3):
    rng = np.random.default_rng(0)
    arrays = {}
    for split in ("train", "val", "test"):
        arrays[f"{split}_images"] = rng.integers(0, 255, (n, size, size), dtype=np.uint8)
        arrays[f"{split}_labels"] = rng.integers(0, classes, (n, 1))
    np.savez(folder / "bloodmnist.npz", **arrays)


@pytest.mark.slow
def test_a_local_medmnist_file_is_offered_and_trains_a_softmax_head(tmp_path, monkeypatch, app_page):
    _fake_medmnist(tmp_path)
    monkeypatch.setenv("MEDMNIST_DIR", str(tmp_path))
    at = app_page("cnn.py", timeout=300, cnn_data="bloodmnist 28px", cnn_epochs="1", cnn_filters="8,16")
    assert not at.exception and not at.error
    assert at.selectbox(key="cnn_data").value == "bloodmnist 28px"
    [b for b in at.button if b.label == "Train"][0].click().run()
    assert not at.exception
    assert at.session_state["cnn_model"].model.output_shape == (None, 3)  # three classes: softmax
    assert any("first 16 test images" in c.value for c in at.caption)


@pytest.mark.slow
def test_the_same_seed_gives_the_same_transfer_run():
    from models.recipes import compare_transfer_strategies

    runs = [compare_transfer_strategies(8, pretrain_epochs=1, finetune_epochs=2, n_source=32, n_val=8, filters=(4, 8),
                                        seed=3) for _ in range(2)]
    for s in runs[0].strategies:
        np.testing.assert_allclose(runs[0].val_loss[s], runs[1].val_loss[s], rtol=1e-5)


def test_untrained_cnn_says_to_train_before_showing_a_real_scan(app_page):
    at = app_page("cnn.py", timeout=300, cnn_filters="8,16", cnn_scan="ct_head")
    assert not at.exception and not at.error
    assert at.selectbox(key="cnn_scan").value == "ct_head"
    assert any("untrained" in i.value and "real scan" in i.value for i in at.info)


@pytest.mark.slow
def test_a_trained_cnn_gives_a_real_scan_its_own_probability_and_the_distance_from_training(app_page):
    from explainers.out_of_distribution import compute_intensity_shift
    from models.data import make_lesions, scan_input

    at = app_page("cnn.py", timeout=300, cnn_epochs="1", cnn_filters="8,16", cnn_scan="liver_mr")
    [b for b in at.button if b.label == "Train"][0].click().run()
    assert not at.exception and not at.error
    model = at.session_state["cnn_model"].model
    image = scan_input("liver_mr", 64)
    p = np.asarray(model(image[None, ..., None], training=False))[0]
    p = np.array([1 - p[0], p[0]]) if p.shape == (1,) else p  # one sigmoid unit: P(nodule)
    top = int(p.argmax())
    shift = compute_intensity_shift(image, make_lesions(512, 64, seed=0)[0][:384])
    line = next(c.value for c in at.caption if c.value.startswith("It says"))
    assert f"It says **{('clear', 'nodule')[top]}** with {p[top]:.0%}" in line
    assert f"{shift.ratio:.0f}× farther" in line and shift.ratio > 5  # out of distribution, measured
    assert any("First conv layer" in c.value or "first layer" in c.value for c in at.caption)
