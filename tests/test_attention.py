"""Attention: the lecture's worked example, and a trained layer's weights against NumPy."""
import keras
import numpy as np
import pytest

from explainers.attention import (
    LECTURE_WEIGHTS, AttentionProbe, AttentionRecorder, compute_attention, compute_key_word_hit_rate,
    compute_patch_hit_rate, compute_worked_attention,
)


@pytest.mark.parametrize("word, weight", list(LECTURE_WEIGHTS.items()))
def test_worked_example_reproduces_the_lecture_table(word, weight):
    result = compute_worked_attention()
    assert result.words == tuple(LECTURE_WEIGHTS)
    assert round(float(result.weights[result.words.index(word)]), 2) == weight


def test_worked_example_steps_agree_with_numpy():
    r = compute_worked_attention()
    np.testing.assert_allclose(r.dots, r.query_norm * r.key_norms * r.cosines)  # q·k = |q||k| cos θ
    angles = np.arccos(np.clip(r.cosines, -1, 1))
    assert r.words[int(angles.argmin())] == "headache"                        # smallest angle wins
    e = np.exp(r.dots - r.dots.max())
    np.testing.assert_allclose(r.weights, e / e.sum())
    np.testing.assert_allclose(r.context, (r.weights[:, None] * r.keys).sum(0))
    assert r.words[int(r.weights.argmax())] == "headache"


@pytest.mark.parametrize("temperature", [0.5, 2.0, 5.0])
def test_temperature_and_sqrt_d_flatten_or_sharpen_the_weights(temperature):
    base = compute_worked_attention().weights.max()
    t = compute_worked_attention(temperature=temperature).weights.max()
    assert (t < base) if temperature > 1 else (t > base)
    sqrt_d = compute_worked_attention(scale_by_sqrt_d=True)
    np.testing.assert_allclose(sqrt_d.weights, compute_worked_attention(temperature=np.sqrt(3)).weights)


@pytest.mark.parametrize("sentence, query, expected", [
    ("The patient reports a headache and took ibuprofen for arthritis", "medication", "ibuprofen"),
    ("The patient reports a headache and took ibuprofen for arthritis", "condition", "arthritis"),
    ("Known gout treated with aspirin reports severe cough today", "symptom", "cough"),
])
def test_other_queries_and_sentences_pick_the_matching_word(sentence, query, expected):
    r = compute_worked_attention(sentence, query)
    assert r.words[int(r.weights.argmax())].lower() == expected


@pytest.mark.parametrize("kwargs, match", [
    (dict(sentence="  ... "), "no words"), (dict(query=""), "query"),
    (dict(temperature=0), "temperature"), (dict(temperature=float("nan")), "temperature"),
])
def test_bad_worked_example_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compute_worked_attention(**kwargs)


def _numpy_attention(probe: AttentionProbe, inputs) -> np.ndarray:
    """softmax(QKᵀ/√d) from the layer's own query/key projection kernels and biases, in NumPy."""
    layer, arrays = probe.layer, probe.layer_inputs(inputs)
    wq, bq = (np.asarray(v, np.float64) for v in (layer._query_dense.kernel, layer._query_dense.bias))
    wk, bk = (np.asarray(v, np.float64) for v in (layer._key_dense.kernel, layer._key_dense.bias))
    q = np.einsum("bqd,dhk->bqhk", arrays["query"], wq) + bq
    k = np.einsum("bsd,dhk->bshk", arrays.get("key", arrays["value"]), wk) + bk
    scores = np.einsum("bqhk,bshk->bhqs", q, k) / np.sqrt(wq.shape[-1])
    if "attention_mask" in arrays:
        scores = np.where(arrays["attention_mask"][:, None].astype(bool), scores, -np.inf)
    e = np.exp(scores - scores.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _self_attention_model():
    """A functional model with two-head self-attention (queries = keys = 5 tokens)."""
    inp = keras.Input((5, 6))
    x = keras.layers.Dense(8, name="proj")(inp)
    x = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(x, x)
    out = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(x))
    return keras.Model(inp, out), np.random.default_rng(0).normal(size=(3, 5, 6)).astype(np.float32)


def _notes_model():
    from models import build_attention_classifier
    from models.data import make_clinical_notes

    notes = make_clinical_notes(8, seed=2)
    tokens = notes.tokens.copy()
    tokens[0, 6:] = 0  # a padded note: masked keys must get weight 0
    return build_attention_classifier(len(notes.vocabulary), tokens.shape[1], 3, 8), tokens


def _patch_model():
    from models import build_patch_attention

    return build_patch_attention((32, 32, 1), 8, 2, 8), np.random.default_rng(1).random((2, 32, 32, 1), np.float32)


@pytest.mark.parametrize("make, shape", [
    (_notes_model, (8, 1, 1, 12)), (_patch_model, (2, 1, 1, 16)), (_self_attention_model, (3, 2, 5, 5)),
])
def test_weights_equal_softmax_qk_recomputed_in_numpy(make, shape):
    model, inputs = make()
    for layer in model.layers:  # move off the initial weights so the check is not about zeros
        if isinstance(layer, keras.layers.MultiHeadAttention):
            layer.set_weights([w + np.random.default_rng(3).normal(0, 0.3, w.shape) for w in layer.get_weights()])
    result = compute_attention(model, inputs)
    assert result.weights.shape == shape
    np.testing.assert_allclose(result.weights, _numpy_attention(AttentionProbe(model), inputs), atol=1e-5)
    np.testing.assert_allclose(result.weights.sum(-1), 1.0, atol=1e-5)
    if make is _notes_model:
        assert np.all(result.weights[0, ..., 6:] == 0)


def test_compute_attention_refuses_a_missing_batch_axis_a_model_without_attention_and_a_non_model():
    model, tokens = _notes_model()
    with pytest.raises(ValueError, match="batch axis"):
        compute_attention(model, tokens[0])
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="no MultiHeadAttention"):
        compute_attention(plain, np.zeros((1, 4)))
    with pytest.raises(TypeError, match="keras.Model"):
        compute_attention("model", tokens)


@pytest.mark.slow
def test_training_sharpens_attention_onto_the_symptom_word():
    from models import build_attention_classifier
    from models.data import make_clinical_notes
    from models.training import train

    notes, test = make_clinical_notes(600, seed=0), make_clinical_notes(100, seed=1)
    model = build_attention_classifier(len(notes.vocabulary), notes.tokens.shape[1], 3, 16)
    recorder = AttentionRecorder(test.tokens)
    recorder.record(model, 0)
    train(model, notes.tokens, notes.labels, epochs=4, learning_rate=1e-2, observers=[recorder])
    assert recorder.epochs == [0, 1, 2, 3, 4]
    before, after = (compute_key_word_hit_rate(w, test.key_positions).rate
                     for w in (recorder.weights[0], recorder.weights[-1]))
    on_key = [w[np.arange(len(w)), test.key_positions].mean() for w in recorder.weights]
    assert before < 0.3 and after >= 0.8, (before, after)
    assert on_key[-1] > 3 * on_key[0]  # the weight on the symptom grows as training goes


def test_key_word_hit_rate_counts_argmax_on_the_key_position():
    w = np.array([[0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    hits = compute_key_word_hit_rate(w, np.array([1, 1, 2]))
    assert hits.rate == pytest.approx(2 / 3)
    np.testing.assert_array_equal(hits.hits, [True, False, True])
    np.testing.assert_allclose(hits.weight_on_key, [0.8, 0.3, 0.6])
    with pytest.raises(ValueError, match="key_positions"):
        compute_key_word_hit_rate(w, np.array([1, 2]))


@pytest.mark.parametrize("argmax_patch, expected", [(5, 1.0), (6, 1.0), (0, 0.0), (9, 0.0)])
def test_patch_hit_rate_counts_patches_the_nodule_circle_reaches(argmax_patch, expected):
    # 32-pixel image, 8-pixel patches (4x4 grid); nodule at (12, 13), radius 3 reaches patches 5 and 6 only
    w = np.full((1, 16), 0.01)
    w[0, argmax_patch] = 0.9
    hits = compute_patch_hit_rate(w, np.array([[12.0, 13.0]]), np.array([3.0]), image_size=32, patch_size=8)
    assert hits.rate == expected
    np.testing.assert_array_equal(hits.peaks, [divmod(argmax_patch, 4)])
    with pytest.raises(ValueError, match="weights must be"):
        compute_patch_hit_rate(w[:, :15], np.array([[12.0, 12.0]]), np.array([3.0]), image_size=32, patch_size=8)


@pytest.mark.slow
def test_patch_attention_moves_onto_the_nodule_as_it_trains():
    from models import build_patch_attention
    from models.data import make_lesions
    from models.training import train

    x, y, _, _ = make_lesions(384, seed=0)
    xv, yv, cv, rv = make_lesions(64, seed=1)
    pos = np.flatnonzero(yv == 1)
    model = build_patch_attention((64, 64, 1), 8, 2, 32, batch_norm=True)
    recorder = AttentionRecorder(xv[pos])
    recorder.record(model, 0)
    train(model, x, y, epochs=12, learning_rate=3e-3, observers=[recorder])
    before, after = (compute_patch_hit_rate(w, cv[pos], rv[pos], image_size=64, patch_size=8).rate
                     for w in (recorder.weights[0], recorder.weights[-1]))
    assert after >= 0.7 and after > before + 0.3, (before, after)
    assert recorder.weights[-1].max(axis=1).mean() > 5 / 64  # no longer flat


def test_recorder_result_is_a_frozen_copy_of_what_it_recorded():
    model, tokens = _notes_model()
    recorder = AttentionRecorder(tokens)
    with pytest.raises(ValueError, match="nothing recorded"):
        recorder.result()
    first = recorder.record(model, 0)
    history = recorder.result()
    recorder.record(model, 1)
    assert history.weights.shape == (1, 8, 12) and list(history.epochs) == [0]  # not changed by later records
    np.testing.assert_array_equal(history.weights[0], first)
    np.testing.assert_array_equal(history.inputs, tokens)
    np.testing.assert_allclose(recorder.result().weights[1], compute_attention(model, tokens).weights[:, 0, 0],
                               atol=1e-6)


def test_plots_draw_the_weights_of_their_result():
    from matplotlib.figure import Figure

    from explainers.attention_plots import (
        plot_attention_matrix, plot_attention_sharpening, plot_patch_attention, plot_token_attention,
        plot_worked_vectors,
    )

    worked = compute_worked_attention()
    ax = plot_token_attention(worked)
    np.testing.assert_allclose(ax.images[0].get_array()[0], worked.weights)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(worked.words)
    assert plot_worked_vectors(worked).get_xlabel() == "symptom"

    model, tokens = _notes_model()
    recorder = AttentionRecorder(tokens)
    for epoch in range(3):
        recorder.record(model, epoch)
    history, words = recorder.result(), ["w0", "w1", "w2", "w3"]
    ax = Figure().subplots()
    assert plot_token_attention(history, ax, example=2, words=words, highlight=1) is ax
    np.testing.assert_allclose(ax.images[0].get_array()[0], history.weights[-1, 2, :4])
    assert ax.get_title() == "After epoch 2"
    ax = plot_attention_sharpening(history, example=2, words=words, last=2)
    np.testing.assert_allclose(ax.images[0].get_array(), history.weights[-2:, 2, :4])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["epoch 1", "epoch 2"]

    result = compute_attention(model, tokens)
    ax = plot_attention_matrix(result, rows="examples")
    np.testing.assert_allclose(ax.images[0].get_array(), result.weights[:, 0, 0])
    with pytest.raises(ValueError, match="rows"):
        plot_attention_matrix(result, rows="notes")

    patches, images = _patch_model()
    result = compute_attention(patches, images)
    ax = plot_patch_attention(result, example=1)
    np.testing.assert_allclose(ax.images[0].get_array(), images[1, ..., 0])
    np.testing.assert_allclose(ax.images[1].get_array(), result.weights[1, 0, 0].reshape(4, 4))
    with pytest.raises(ValueError, match="patches"):
        plot_patch_attention(compute_attention(model, tokens))
