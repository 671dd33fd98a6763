"""A oneDNN kernel bug that kills the Python process, and how medlens stays clear of it.

TensorFlow on x86 CPUs runs convolutions through oneDNN. Its 1×1 convolution
with a stride above 1 computes the *weight gradient* wrongly when the input has
fewer channels than the kernel's channel block (16 with AVX-512, 8 with AVX2):
it writes past a scratch buffer ("reduce to unit stride" workspace), corrupts
the heap and the process dies with "double free or corruption" or a
segmentation fault a few steps later, or it silently returns wrong gradients
(uxlfoundation/oneDNN#6035, seen with TensorFlow 2.21 on Intel Xeon with
AVX-512 and, for fewer than 8 channels, with AVX-512 disabled). The forward
pass is fine; only training dies. In a Streamlit server that is every
student's session at once.

Two defences:

* medlens' own builders never make that layer: a strided projection shortcut
  subsamples first and then applies a stride-1 1×1 convolution, which is the
  same function (a 1×1 kernel with stride s reads only every s-th pixel).
* :func:`check_trainable_on_cpu` refuses, before the first step and with a
  message saying what to change, to train any other model that has one while
  oneDNN is on. ``TF_ENABLE_ONEDNN_OPTS=0`` (set before TensorFlow is imported)
  turns oneDNN off for the whole process; it roughly halves convolution
  training speed on a CPU, so medlens does not do it by default.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

__all__ = [
    "CHANNEL_BLOCK", "UPSTREAM_ISSUE", "NativeCrashRisk", "RiskyLayer", "onednn_enabled", "risky_layers",
    "check_trainable_on_cpu",
]

#: oneDNN's widest channel block on x86 (AVX-512); below it the bug can strike.
CHANNEL_BLOCK = 16
UPSTREAM_ISSUE = "https://github.com/uxlfoundation/oneDNN/issues/6035"


class NativeCrashRisk(ValueError):
    """Training this model would hit a known native bug that kills the process."""


@dataclass(frozen=True)
class RiskyLayer:
    """One layer whose weight gradient goes through the buggy oneDNN kernel."""

    name: str
    kernel_size: tuple[int, ...]
    strides: tuple[int, ...]
    in_channels: int


def onednn_enabled() -> bool:
    """Whether TensorFlow runs its CPU kernels through oneDNN in this process.

    Decided when TensorFlow is imported (``TF_ENABLE_ONEDNN_OPTS``); False for
    other Keras backends and where TensorFlow is not yet imported and the
    variable turns it off.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        return False
    if "tensorflow" in sys.modules:
        try:
            from tensorflow.python.util import _pywrap_util_port

            return bool(_pywrap_util_port.IsMklEnabled())
        except (ImportError, AttributeError):  # a TensorFlow without this probe: trust the variable
            pass
    return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1").strip().lower() not in ("0", "false")


def _convolutions(model):
    """Every convolution layer, nested models and wrappers included (transposed convs are not subclasses)."""
    import keras

    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Conv1D | keras.layers.Conv2D | keras.layers.Conv3D):
            yield layer


def risky_layers(model) -> list[RiskyLayer]:
    """Trainable strided 1×1 (1×1×1) convolutions with fewer than 16 input channels."""
    found = []
    for layer in _convolutions(model):
        kernel = tuple(int(k) for k in layer.kernel_size)
        strides = tuple(int(s) for s in layer.strides)
        if not layer.trainable or any(k != 1 for k in kernel) or all(s == 1 for s in strides):
            continue
        if getattr(layer, "groups", 1) != 1 or not hasattr(layer, "kernel"):
            continue
        in_channels = int(layer.kernel.shape[-2])
        if in_channels < CHANNEL_BLOCK:
            found.append(RiskyLayer(layer.name, kernel, strides, in_channels))
    return found


def check_trainable_on_cpu(model) -> None:
    """Raise :class:`NativeCrashRisk` if training ``model`` here would hit the oneDNN bug.

    Does nothing when oneDNN is off (another backend, or
    ``TF_ENABLE_ONEDNN_OPTS=0``) or the model has no such layer.
    """
    layers = risky_layers(model)
    if not layers or not onednn_enabled():
        return
    first = layers[0]
    kernel = "×".join(map(str, first.kernel_size))
    stride = "×".join(map(str, first.strides))
    more = f" (and {len(layers) - 1} more)" if len(layers) > 1 else ""
    raise NativeCrashRisk(
        f"Layer {first.name!r}{more} is a {kernel} convolution with stride {stride} on "
        f"{first.in_channels} input channels. Training it with TensorFlow's oneDNN kernels corrupts memory "
        f"and kills the Python process ({UPSTREAM_ISSUE}), so medlens does not start. To train this model: "
        f"give that layer at least {CHANNEL_BLOCK} input channels, or subsample first and use stride 1 "
        f"(as models.build_resnet does: MaxPooling2D(1, strides) then a 1×1 Conv2D), or start Python "
        f"with TF_ENABLE_ONEDNN_OPTS=0 (slower convolutions, no crash)."
    )
