"""Attention classifiers over words and over image patches (lecture 003).

Both ask one learned question (the query, e.g. "symptom") of every token:
scores q·k/√d, softmax weights α, context c = Σ αᵢ vᵢ, then a classifier.
They use Keras' own ``MultiHeadAttention`` layer, so the explainers that read
its weights work on any model that contains one.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from models._arguments import ArgumentError, check_int
from models._checks import Initializers, check_image_shape, head, seed_attention

__all__ = [
    "LearnedQuery", "PaddingMask", "PositionEmbedding", "build_attention_classifier", "build_patch_attention",
    "find_attention_layer", "attention_weights",
]


@keras.saving.register_keras_serializable(package="medlens")
class LearnedQuery(layers.Layer):
    """A trainable query vector, repeated for every example: shape (batch, 1, d).

    ``seed`` seeds its initial value (``None``: unseeded).
    """

    def __init__(self, d_model: int, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.d_model = d_model
        self.seed = seed

    def build(self, input_shape):
        self.query = self.add_weight(shape=(1, 1, self.d_model), name="query",
                                     initializer=keras.initializers.RandomNormal(seed=self.seed))

    def call(self, inputs):
        batch = ops.shape(inputs)[0]
        return ops.broadcast_to(ops.cast(self.query, inputs.dtype), (batch, 1, self.d_model))

    def get_config(self):
        return {**super().get_config(), "d_model": self.d_model, "seed": self.seed}


@keras.saving.register_keras_serializable(package="medlens")
class PaddingMask(layers.Layer):
    """Attention mask (batch, 1, keys): True where the token is not padding (id 0)."""

    def call(self, tokens):
        return ops.expand_dims(ops.not_equal(tokens, 0), axis=1)


@keras.saving.register_keras_serializable(package="medlens")
class PositionEmbedding(layers.Layer):
    """Adds a learned vector per position, so patches know where they are.

    ``seed`` seeds their initial values (``None``: unseeded).
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed

    def build(self, input_shape):
        self.positions = self.add_weight(shape=(1, input_shape[1], input_shape[2]), name="positions",
                                         initializer=keras.initializers.RandomNormal(seed=self.seed))

    def call(self, x):
        return x + ops.cast(self.positions, x.dtype)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def build_attention_classifier(
    vocab_size: int,
    seq_len: int,
    n_classes: int,
    d_model: int = 32,
    *,
    seed: int | None = None,
    name: str = "attn",
) -> keras.Model:
    """Embedding + one learned query attending over the words + classifier.

    What this shows: the softmax weights α say which word the model reads to
    decide; after training they sit on the symptom ("headache").

    The attention layer is ``f"{name}_attention"`` (a ``MultiHeadAttention``
    with one head); :func:`attention_weights` reads its weights. ``seed``
    seeds the initial weights: the same arguments and seed give the same
    starting net in any session (``None``: Keras' unseeded default).
    """
    for arg, value in (("vocab_size", vocab_size), ("seq_len", seq_len), ("d_model", d_model)):
        check_int(arg, value, low=1)
    init = Initializers(seed)
    tokens = keras.Input((seq_len,), dtype="int32", name=f"{name}_tokens")
    emb = layers.Embedding(vocab_size, d_model, embeddings_initializer=init("uniform"), name=f"{name}_embedding")(tokens)
    mask = PaddingMask(name=f"{name}_mask")(tokens)
    query = LearnedQuery(d_model, seed=init.next_seed(), name=f"{name}_query")(emb)
    attention = layers.MultiHeadAttention(num_heads=1, key_dim=d_model, name=f"{name}_attention")
    context = attention(query, emb, emb, attention_mask=mask)
    seed_attention(attention, init)
    x = layers.Flatten(name=f"{name}_context")(context)
    outputs = head(x, n_classes, name, init)
    return keras.Model(tokens, outputs, name=name)


def build_patch_attention(
    input_shape: tuple[int, int, int] = (64, 64, 1),
    patch_size: int = 8,
    n_classes: int = 2,
    d_model: int = 32,
    *,
    batch_norm: bool = False,
    seed: int | None = None,
    name: str = "patchattn",
) -> keras.Model:
    """The same learned-query attention, over the patches of an image.

    What this shows: the weights over patches form a map of where the model
    looks; as it trains they move onto the nodule.

    Args:
        batch_norm: normalise both convs' outputs before their ReLU. Without it
            the attention on the lesion images stays flat (or settles on a
            random patch) for many epochs; with it, it moves onto the nodule
            within about ten.
        seed: seeds the initial weights: the same arguments and seed give the
            same starting net in any session (``None``: Keras' unseeded default).
    """
    h, w, _ = check_image_shape(input_shape)
    check_int("patch_size", patch_size, low=1)
    if h % patch_size or w % patch_size:
        raise ArgumentError(
            f"input_shape {input_shape!r}: height and width must be multiples of patch_size={patch_size}"
        )
    init = Initializers(seed)
    inputs = keras.Input(input_shape, name=f"{name}_input")
    # Two small convs give each patch a local descriptor before attention.
    if batch_norm:
        x = layers.Conv2D(16, 3, padding="same", use_bias=False, kernel_initializer=init(),
                          name=f"{name}_stem_conv")(inputs)
        x = layers.BatchNormalization(momentum=0.9, name=f"{name}_stem_bn")(x)
        x = layers.Activation("relu", name=f"{name}_stem_relu")(x)
        x = layers.Conv2D(d_model, patch_size, strides=patch_size, use_bias=False, kernel_initializer=init(),
                          name=f"{name}_patch_embed")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"{name}_patch_bn")(x)
        x = layers.Activation("relu", name=f"{name}_patch_relu")(x)
    else:
        x = layers.Conv2D(16, 3, padding="same", activation="relu", kernel_initializer=init(),
                          name=f"{name}_stem_conv")(inputs)
        x = layers.Conv2D(d_model, patch_size, strides=patch_size, activation="relu", kernel_initializer=init(),
                          name=f"{name}_patch_embed")(x)
    n_patches = (h // patch_size) * (w // patch_size)
    x = layers.Reshape((n_patches, d_model), name=f"{name}_patches")(x)
    x = PositionEmbedding(seed=init.next_seed(), name=f"{name}_positions")(x)
    query = LearnedQuery(d_model, seed=init.next_seed(), name=f"{name}_query")(x)
    attention = layers.MultiHeadAttention(num_heads=1, key_dim=d_model, name=f"{name}_attention")
    context = attention(query, x, x)
    seed_attention(attention, init)
    x = layers.Flatten(name=f"{name}_context")(context)
    outputs = head(x, n_classes, name, init)
    return keras.Model(inputs, outputs, name=name)


def find_attention_layer(model: keras.Model, layer_name: str | None = None) -> layers.MultiHeadAttention:
    """The named ``MultiHeadAttention`` layer of ``model`` (the last one by default)."""
    found = [l for l in model.layers if isinstance(l, layers.MultiHeadAttention)]
    if layer_name is not None:
        found = [l for l in found if l.name == layer_name]
    if not found:
        names = [l.name for l in model.layers if isinstance(l, layers.MultiHeadAttention)]
        raise ArgumentError(
            f"model {model.name!r} has no MultiHeadAttention layer"
            + (f" named {layer_name!r}; it has {names}" if layer_name else "")
        )
    return found[-1]


def attention_weights(model: keras.Model, inputs, layer_name: str | None = None) -> np.ndarray:
    """Softmax attention weights of a ``MultiHeadAttention`` layer for ``inputs``.

    What this shows: how much each query position reads from each key position.

    A sub-model computes the tensors the layer receives in ``model``; the layer
    is then called on them with ``return_attention_scores=True``, so the
    weights come from the trained layer itself, in any functional model.

    Returns:
        Weights of shape (batch, heads, queries, keys); each row sums to 1.
    """
    layer = find_attention_layer(model, layer_name)
    node = layer._inbound_nodes[0]
    args, kwargs = list(node.arguments.args), dict(node.arguments.kwargs)
    tensor_kwargs = {k: v for k, v in kwargs.items() if isinstance(v, keras.KerasTensor)}
    feeder = keras.Model(model.input, args + list(tensor_kwargs.values()))
    values = feeder(inputs, training=False)
    values = values if isinstance(values, (list, tuple)) else [values]
    call_args = values[: len(args)]
    call_kwargs = {**{k: v for k, v in kwargs.items() if k not in tensor_kwargs},
                   **dict(zip(tensor_kwargs, values[len(args):]))}
    _, scores = layer(*call_args, **call_kwargs, return_attention_scores=True, training=False)
    return keras.ops.convert_to_numpy(scores)
