"""Attention weights: the lecture's worked example and a trained model's own weights.

What this shows: attention compares one question (the query) with every word
(the keys) by a dot product, turns the scores into weights with a softmax and
reads a weighted average of the words (the context vector). The same numbers
come out of a trained Keras ``MultiHeadAttention`` layer.

Two halves:

* :func:`compute_worked_attention` reproduces lecture 003's table for
  "The patient reports a headache and took ibuprofen for arthritis" with the
  query "symptom" (0.75 on "headache"), from small word vectors.
* :func:`compute_attention` reads the weights of a trained model's attention
  layer; :class:`AttentionRecorder` records them on chosen inputs every epoch
  (its :meth:`~AttentionRecorder.result` is an :class:`AttentionHistory`), and
  :func:`compute_key_word_hit_rate` / :func:`compute_patch_hit_rate` say how
  often the largest weight lands on the word or patch that decides the label.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explainers._layers import check_model
from models._arguments import check_array, check_float, check_int, fail

__all__ = [
    "LECTURE_SENTENCE", "LECTURE_QUERY", "LECTURE_WEIGHTS", "DIMENSIONS", "WORD_VECTORS", "QUERY_VECTORS",
    "word_vector", "query_vector", "softmax",
    "WorkedAttention", "compute_worked_attention",
    "AttentionWeights", "AttentionProbe", "compute_attention",
    "AttentionHistory", "AttentionRecorder",
    "KeyWordHitRate", "compute_key_word_hit_rate", "PatchHitRate", "compute_patch_hit_rate",
]

# ------------------------------------------------------------ worked example
LECTURE_SENTENCE = "The patient reports a headache and took ibuprofen for arthritis"
LECTURE_QUERY = "symptom"
#: The lecture's table of softmax weights for the query "symptom".
LECTURE_WEIGHTS = {
    "The": 0.02, "patient": 0.05, "reports": 0.03, "a": 0.01, "headache": 0.75,
    "and": 0.02, "took": 0.03, "ibuprofen": 0.05, "for": 0.02, "arthritis": 0.02,
}
DIMENSIONS = ("symptom", "medication", "condition")

# The lecture gives its word vectors only partly (first and last entries), and
# those do not reproduce its table. So we construct 3-D vectors whose first
# entry is log(α) + 4.61 rounded to 2 dp: with the query (1, 0, 0) the dot
# products are then log(α) + const, and the softmax gives back the table
# exactly to 2 dp (the constant cancels). The other two entries ("is it a
# drug?", "is it a condition?") let other queries pick other words.
WORD_VECTORS: dict[str, tuple[float, float, float]] = {
    "the": (0.70, 0.10, 0.10), "patient": (1.61, 0.30, 0.50), "reports": (1.10, 0.20, 0.30),
    "a": (0.00, 0.10, 0.10), "headache": (4.32, 0.20, 0.80), "and": (0.70, 0.10, 0.10),
    "took": (1.10, 0.90, 0.20), "ibuprofen": (1.61, 4.00, 0.40), "for": (0.70, 0.30, 0.30),
    "arthritis": (0.70, 0.50, 4.00),
}
# Words of the synthetic notes, so edited sentences still mean something.
_SYMPTOM_VECTOR = (4.0, 0.2, 0.8)
_DRUG_VECTOR = (1.5, 4.0, 0.4)
_CONDITION_VECTOR = (0.7, 0.5, 4.0)
QUERY_VECTORS: dict[str, tuple[float, float, float]] = {
    "symptom": (1.0, 0.0, 0.0),
    "medication": (0.0, 1.0, 0.0),
    "drug": (0.0, 1.0, 0.0),
    "condition": (0.0, 0.0, 1.0),
    "diagnosis": (0.0, 0.0, 1.0),
}


def word_vector(word: str) -> tuple[np.ndarray, bool]:
    """The 3-D vector of ``word`` and whether it is a known word.

    Known: the lecture's words, and the symptoms, drugs and conditions of
    :func:`models.data.make_clinical_notes`. Unknown words get a small vector
    derived from their spelling (the same every time), like a rare word an
    embedding has barely learned.
    """
    from models.data import CONDITIONS, DRUGS, SYMPTOMS

    w = word.lower()
    if w in WORD_VECTORS:
        return np.array(WORD_VECTORS[w]), True
    if any(w in group for group in SYMPTOMS.values()):
        return np.array(_SYMPTOM_VECTOR), True
    if w in DRUGS:
        return np.array(_DRUG_VECTOR), True
    if w in CONDITIONS:
        return np.array(_CONDITION_VECTOR), True
    rng = np.random.default_rng(zlib.crc32(w.encode()))
    return np.round(rng.uniform(0.0, 1.0, 3), 2), False


def query_vector(query: str) -> np.ndarray:
    """The query vector: a named question ("symptom", "medication", "condition") or a word's vector."""
    q = query.strip().lower()
    if q in QUERY_VECTORS:
        return np.array(QUERY_VECTORS[q])
    return word_vector(q)[0]


@dataclass(frozen=True)
class WorkedAttention:
    """One query attending over the words of a sentence, every step kept.

    Attributes:
        words: the sentence's words.
        query: the query word; ``query_vector`` its vector q, shape (d,).
        keys: (n, d) key vectors kᵢ (also the values vᵢ here, as in the lecture).
        known: (n,) whether each word has a constructed vector (else spelling-hashed).
        dots: (n,) q·kᵢ.
        query_norm: |q|; ``key_norms`` (n,) |kᵢ|; ``cosines`` (n,) cos θᵢ.
        scale: the divisor of the scores: temperature × (√d if scaled).
        scores: (n,) q·kᵢ / scale.
        weights: (n,) softmax of the scores, αᵢ.
        context: (d,) context vector c = Σ αᵢ vᵢ.
    """

    words: tuple[str, ...]
    query: str
    query_vector: np.ndarray
    keys: np.ndarray
    known: np.ndarray
    dots: np.ndarray
    query_norm: float
    key_norms: np.ndarray
    cosines: np.ndarray
    scale: float
    scores: np.ndarray
    weights: np.ndarray
    context: np.ndarray
    dimensions: tuple[str, ...] = DIMENSIONS


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax (subtracts the maximum first)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def compute_worked_attention(
    sentence: str = LECTURE_SENTENCE,
    query: str = LECTURE_QUERY,
    *,
    temperature: float = 1.0,
    scale_by_sqrt_d: bool = False,
) -> WorkedAttention:
    """Dot-product attention of one query over a sentence, step by step (lecture 003).

    What this shows: q·k = |q||k|cos θ is large when a word points the same
    way as the question; softmax turns the scores into weights that sum to 1;
    a higher temperature (or dividing by √d) makes them flatter.

    With the defaults it gives the lecture's table: 0.75 on "headache".

    Args:
        sentence: words separated by spaces (punctuation is ignored).
        query: "symptom", "medication", "condition", or any word.
        temperature: the scores are divided by this (> 0).
        scale_by_sqrt_d: also divide by √d, as transformers do.
    """
    if not isinstance(sentence, str):
        fail("sentence", sentence, "a str of words")
    words = tuple(w.strip(".,;:!?\"'()") for w in sentence.split())
    words = tuple(w for w in words if w)
    if not words:
        fail("sentence", sentence, "a note with words", f"it has no words; type a short note such as "
                                                         f"{LECTURE_SENTENCE!r}")
    if not isinstance(query, str) or not query.strip():
        fail("query", query, "a non-empty word such as 'symptom'")
    temperature = check_float("temperature", temperature, low=0.0, low_open=True)
    pairs = [word_vector(w) for w in words]
    keys = np.array([p[0] for p in pairs], dtype=np.float64)
    known = np.array([p[1] for p in pairs])
    q = query_vector(query).astype(np.float64)
    dots = keys @ q
    q_norm = float(np.linalg.norm(q))
    k_norms = np.linalg.norm(keys, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosines = np.where(k_norms * q_norm > 0, dots / np.maximum(k_norms * q_norm, 1e-300), 0.0)
    scale = float(temperature) * (np.sqrt(keys.shape[1]) if scale_by_sqrt_d else 1.0)
    scores = dots / scale
    weights = softmax(scores)
    context = weights @ keys
    return WorkedAttention(words, query.strip(), q, keys, known, dots, q_norm, k_norms, cosines,
                           scale, scores, weights, context)


# ------------------------------------------------------- a model's attention
@dataclass(frozen=True)
class AttentionWeights:
    """Attention weights of one ``MultiHeadAttention`` layer on a batch of inputs.

    Attributes:
        inputs: the model's inputs, with batch axis (tokens or images).
        weights: (batch, heads, queries, keys); each row sums to 1.
        layer_name: the layer they come from.
        key_dim: size of each head's query/key projection (the d of √d).
    """

    inputs: np.ndarray
    weights: np.ndarray
    layer_name: str
    key_dim: int


class AttentionProbe:
    """Reads a model's attention weights; built once, called every epoch.

    A sub-model computes the tensors that the ``MultiHeadAttention`` layer
    receives inside ``model``; the layer itself is then called on them with
    ``return_attention_scores=True``, so the weights come from the trained
    layer (no copy of its maths).
    """

    def __init__(self, model, layer_name: str | None = None, compiled: bool = False):
        import keras

        from models.attention import find_attention_layer

        check_model(model)
        self.layer = find_attention_layer(model, layer_name)
        node = self.layer._inbound_nodes[0]
        self._args = list(node.arguments.args)
        kwargs = dict(node.arguments.kwargs)
        self._tensor_keys = [k for k, v in kwargs.items() if isinstance(v, keras.KerasTensor)]
        self._static = {k: v for k, v in kwargs.items() if k not in self._tensor_keys}
        self.feeder = keras.Model(model.input, self._args + [kwargs[k] for k in self._tensor_keys])
        # Called every epoch, the eager path costs ~7 ms on 100 notes; a compiled
        # call ~0.8 ms, after a one-off trace that only pays off when repeated.
        self._compiled = _scores_model(self) if compiled else None

    def _scores(self, inputs, training: bool = False):
        values = self.feeder(inputs, training=training)
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        kwargs = {**self._static, **dict(zip(self._tensor_keys, values[len(self._args):]))}
        _, scores = self.layer(*values[: len(self._args)], **kwargs, return_attention_scores=True,
                               training=training)
        return scores

    def layer_inputs(self, inputs) -> dict[str, np.ndarray]:
        """The arrays the layer receives: ``query``, ``value``, optional ``key`` and ``attention_mask``."""
        import keras

        values = self.feeder(inputs, training=False)
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        names = ["query", "value", "key"][: len(self._args)] + self._tensor_keys
        return {n: keras.ops.convert_to_numpy(v) for n, v in zip(names, values)}

    def __call__(self, inputs) -> np.ndarray:
        import keras

        if self._compiled is not None:
            return np.asarray(self._compiled.predict_on_batch(inputs), dtype=np.float64)
        return keras.ops.convert_to_numpy(self._scores(inputs)).astype(np.float64)


def _scores_model(probe: "AttentionProbe"):
    """A model whose compiled ``predict_on_batch`` returns the probe's attention scores."""
    import keras

    class ScoresModel(keras.Model):
        def __init__(self):
            super().__init__(name=f"{probe.layer.name}_scores")
            # Attributes, so Keras tracks the trained layers' variables (the JAX
            # backend passes tracked state into its compiled function).
            self.feeder, self.attention = probe.feeder, probe.layer

        def call(self, inputs):
            return probe._scores(inputs)

    return ScoresModel()


def _check_batch(model, inputs) -> np.ndarray:
    x = check_array("inputs", inputs, dtype=None)
    expected = tuple(model.inputs[0].shape)
    if x.ndim == len(expected) - 1:
        fail("inputs", inputs, f"a batch shaped {expected} (with a batch axis)",
             "use inputs[None] for one example")
    return x


def compute_attention(model, inputs, *, layer_name: str | None = None) -> AttentionWeights:
    """Attention weights of a model's ``MultiHeadAttention`` layer for ``inputs``.

    What this shows: how much each query position reads from each key
    position; for our classifiers, which word (or image patch) the learned
    question "symptom?" looks at.

    Works for any functional model containing a Keras ``MultiHeadAttention``
    (the last one unless ``layer_name`` names another).

    Returns:
        :class:`AttentionWeights` with ``weights`` of shape (batch, heads, queries, keys),
        equal to softmax(QKᵀ/√d) of the layer's own query/key projections.
    """
    check_model(model)
    x = _check_batch(model, inputs)
    probe = AttentionProbe(model, layer_name)
    return AttentionWeights(x, probe(x), probe.layer.name, int(probe.layer._key_dim))


@dataclass(frozen=True)
class AttentionHistory:
    """The attention on a few watched examples after every epoch, as an :class:`AttentionRecorder` saw it.

    What this shows: the weights start spread out and sharpen onto the word
    (or patch) that carries the label as the model learns.

    Attributes:
        inputs: the watched examples (with batch axis): tokens or images.
        epochs: (e,) the epoch after which each row was recorded (0 = before training).
        weights: (e, n, keys) first head and first query of each example, per epoch.
    """

    inputs: np.ndarray
    epochs: np.ndarray
    weights: np.ndarray


@dataclass
class AttentionRecorder:
    """Observer for :func:`models.train`: records the attention on ``inputs`` every epoch.

    What this shows: the weights on a note sharpen onto the symptom word as
    the model learns that only that word decides the class.

    Attributes:
        inputs: the examples to watch (with batch axis).
        layer_name: the attention layer (default: the last one).
        on_record: optional ``callback(epoch, weights)`` (e.g. a page's redraw).
        history: optional :class:`models.training.TrainingHistory`; when given, epochs are
            counted over all runs (its length), so repeated Train clicks continue the count.
        epochs, weights: what was recorded; ``weights[i]`` has shape (batch, keys)
            (first head, first query), recorded after epoch ``epochs[i]`` (0 = before training).
            :meth:`result` gives them as one frozen :class:`AttentionHistory`.
    """

    inputs: Any
    layer_name: str | None = None
    on_record: Any = None
    history: Any = None
    epochs: list = field(default_factory=list)
    weights: list = field(default_factory=list)
    _probe: Any = field(default=None, repr=False)
    _model: Any = field(default=None, repr=False)

    def record(self, model, epoch: int) -> np.ndarray:
        """Record the attention of ``model`` on the inputs as that after ``epoch``; returns (batch, keys)."""
        if self._probe is None or self._model is not model:
            self._probe, self._model = AttentionProbe(model, self.layer_name, compiled=True), model
        w = self._probe(np.asarray(self.inputs))[:, 0, 0, :]
        self.epochs.append(int(epoch))
        self.weights.append(w)
        if self.on_record is not None:
            self.on_record(epoch, w)
        return w

    def on_epoch_end(self, progress, model):
        self.record(model, len(self.history) if self.history is not None else progress.epoch)

    def result(self) -> AttentionHistory:
        """What was recorded so far, as a frozen :class:`AttentionHistory` (copies, safe to keep)."""
        if not self.weights:
            raise ValueError("nothing recorded yet: call record(model, 0) before training, or train first")
        return AttentionHistory(np.array(self.inputs), np.array(self.epochs, dtype=np.int64),
                                np.stack(self.weights))


def _first_head_query(weights) -> np.ndarray:
    w = check_array("weights", weights, ndim=(2, 4), dtype="float64")
    return w[:, 0, 0, :] if w.ndim == 4 else w


@dataclass(frozen=True)
class KeyWordHitRate:
    """How often a note's largest attention weight sits on its key (symptom) word.

    Attributes:
        rate: share of notes whose most-attended position is the key word.
        hits: (n,) whether each note's largest weight is on its key word.
        peaks: (n,) the most-attended position of each note.
        weight_on_key: (n,) the weight each note puts on its key word.
    """

    rate: float
    hits: np.ndarray
    peaks: np.ndarray
    weight_on_key: np.ndarray


def compute_key_word_hit_rate(weights, key_positions) -> KeyWordHitRate:
    """Share of notes whose largest attention weight sits on the key (symptom) word.

    What this shows: whether the classifier reads the word that decides the
    label; before training about one note in ten, once trained nearly all.

    Args:
        weights: (n, keys) or (n, heads, queries, keys) (first head and query used).
        key_positions: (n,) index of the key word in each note.
    """
    w = _first_head_query(weights)
    kp = check_array("key_positions", key_positions, ndim=1, dtype=None)
    if kp.shape != (w.shape[0],) or not np.issubdtype(kp.dtype, np.integer):
        fail("key_positions", key_positions, f"{w.shape[0]} integer positions, one per note of weights {w.shape}")
    peaks = w.argmax(axis=1)
    hits = peaks == kp
    return KeyWordHitRate(float(np.mean(hits)), hits, peaks, w[np.arange(len(w)), kp])


@dataclass(frozen=True)
class PatchHitRate:
    """How often an image's most-attended patch overlaps its nodule.

    Attributes:
        rate: share of images whose most-attended patch the nodule reaches into.
        hits: (n,) whether each image's most-attended patch touches its nodule.
        peaks: (n, 2) (row, col) of each most-attended patch on the patch grid.
    """

    rate: float
    hits: np.ndarray
    peaks: np.ndarray


def compute_patch_hit_rate(weights, centres, radii, *, image_size: int, patch_size: int) -> PatchHitRate:
    """Share of images whose most-attended patch overlaps the nodule.

    What this shows: whether attention over image patches has found the
    nodule: a patch counts as a hit when the nodule's circle (centre, radius)
    reaches into the patch's square (a random patch of an 8 × 8 grid: about 9 %).

    Args:
        weights: (n, patches) or (n, heads, queries, patches) attention over a
            square grid of patches in row-major order.
        centres: (n, 2) nodule centres (row, col) in pixels; radii: (n,) in pixels.
        image_size: side of the (square) image; patch_size: side of a patch.
    """
    w = _first_head_query(weights)
    image_size = check_int("image_size", image_size, low=1)
    patch_size = check_int("patch_size", patch_size, low=1, high=image_size)
    side = image_size // patch_size
    if w.shape[1] != side * side:
        fail("weights", weights, f"(n, {side * side}) for {image_size}-pixel images and {patch_size}-pixel "
             f"patches", f"got shape {w.shape}")
    centres = check_array("centres", centres, ndim=2, dtype="float64")
    radii = check_array("radii", radii, ndim=1, dtype="float64")
    if centres.shape != (len(w), 2) or radii.shape != (len(w),):
        fail("centres, radii", (centres.shape, radii.shape), f"shapes ({len(w)}, 2) and ({len(w)},), one per image")
    rows, cols = np.divmod(w.argmax(axis=1), side)
    # distance from the nodule centre to the nearest point of the patch square
    near_r = np.clip(centres[:, 0], rows * patch_size, (rows + 1) * patch_size - 1)
    near_c = np.clip(centres[:, 1], cols * patch_size, (cols + 1) * patch_size - 1)
    hits = np.hypot(centres[:, 0] - near_r, centres[:, 1] - near_c) <= radii
    return PatchHitRate(float(np.mean(hits)), hits, np.stack([rows, cols], axis=1))
