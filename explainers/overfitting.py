"""How many parameters a fully connected net has, layer by layer, beside one convolutional layer.

Lecture 000, section 3: "Suppose we have an image (256 * 256 * 3) and three
layers for binary classification. The internal layer has 1000 nodes. We can
have 196,610,001 parameters". Each fully connected layer has
``previous layer × current layer + bias`` parameters (lecture 000's formula);
a convolutional layer has ``(F × F × C + 1) · K`` (lecture 002's table),
whatever the image size. The counting is plain integer arithmetic here;
``models.recipes.build_dense_net`` builds the same net in Keras, and the tests
check that Keras' ``count_params`` agrees.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models._arguments import check_int

__all__ = ["ParameterCount", "compute_parameter_count"]


@dataclass(frozen=True)
class ParameterCount:
    """The parameters of a fully connected classifier on an image, per layer, and of one conv layer.

    What this shows: a dense layer wires every input value to every node,
    so its parameters grow with the image: a 256 × 256 × 3 image has 196,608
    inputs, and 1000 hidden nodes need 196,608 × 1000 + 1000 = 196,609,000
    parameters before the output layer adds 1000 × 1 + 1. A convolutional
    layer with as many filters (K = 1000) of F × F × C weights shares them
    over every position: (F × F × C + 1) · K, the same for any image size.

    ``layers[i]`` names layer ``i``; it has ``inputs[i] × nodes[i] + nodes[i]``
    parameters (``counts[i]``); ``total`` is their sum and ``bytes`` its
    storage as float32 (4 bytes each). ``conv_count`` is one conv layer of
    ``conv_filters`` filters of ``kernel_size`` × ``kernel_size`` × channels.
    """

    input_shape: tuple
    layers: tuple
    inputs: tuple
    nodes: tuple
    counts: tuple
    total: int
    bytes: int
    kernel_size: int
    conv_filters: int
    conv_count: int

    def formula(self, i: int) -> str:
        """Layer ``i``'s count as lecture 000 writes it: "previous × current + bias"."""
        return f"{self.inputs[i]:,} × {self.nodes[i]:,} + {self.nodes[i]:,}"

    @property
    def conv_formula(self) -> str:
        """The conv layer's count as lecture 002 writes it: (F × F × C + 1) · K."""
        f, c = self.kernel_size, self.input_shape[-1]
        return f"({f} × {f} × {c} + 1) × {self.conv_filters:,}"


def compute_parameter_count(input_shape: Sequence[int] = (256, 256, 3), hidden: Sequence[int] = (1000,),
                            outputs: int = 1, *, kernel_size: int = 3) -> ParameterCount:
    """Count the parameters of image → flatten → dense ``hidden`` → dense ``outputs``, layer by layer.

    What this shows: lecture 000's 196,610,001 parameters, computed from
    "previous layer × current layer + bias" for the default arguments (the
    lecture's 256 × 256 × 3 image, one hidden layer of 1000 nodes, one
    output), and what one convolutional layer with as many filters costs.

    Args:
        input_shape: (height, width, channels) of the image.
        hidden: nodes per hidden layer (at least one layer).
        outputs: output nodes (1 for the lecture's binary classification).
        kernel_size: F of the conv layer compared (F × F kernels, K = the first hidden layer's nodes).

    Example:
        >>> compute_parameter_count().total
        196610001
    """
    shape = tuple(check_int("input_shape", s, low=1) for s in input_shape)
    if len(shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {tuple(input_shape)}")
    hidden = tuple(check_int("hidden", h, low=1) for h in hidden)
    if not hidden:
        raise ValueError("hidden must name at least one hidden layer, got ()")
    outputs = check_int("outputs", outputs, low=1)
    kernel_size = check_int("kernel_size", kernel_size, low=1)
    n_inputs = shape[0] * shape[1] * shape[2]
    nodes = (*hidden, outputs)
    inputs = (n_inputs, *hidden)
    counts = tuple(int(a) * int(b) + int(b) for a, b in zip(inputs, nodes))
    names = tuple([f"hidden {i} ({h:,} nodes)" for i, h in enumerate(hidden, start=1)]
                  + [f"output ({outputs:,} node{'s' if outputs > 1 else ''})"])
    total = sum(counts)
    conv_count = (kernel_size * kernel_size * shape[2] + 1) * hidden[0]
    return ParameterCount(shape, names, inputs, nodes, counts, total, 4 * total, kernel_size, hidden[0], conv_count)
