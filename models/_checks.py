"""Argument checks and the classification head shared by the image builders."""
from __future__ import annotations

from keras import layers


def check_image_shape(input_shape, min_side: int = 1) -> tuple[int, int, int]:
    """Validate (height, width, channels) up front, with a message that says what to do."""
    try:
        h, w, c = (int(v) for v in input_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"input_shape must be (height, width, channels), got {input_shape!r}"
        ) from None
    if min(h, w) < min_side or c < 1:
        raise ValueError(
            f"input_shape {input_shape!r} is too small: each side must be >= {min_side} "
            f"and channels >= 1 for this architecture"
        )
    return h, w, c


def head(x, n_classes: int, name: str):
    """One sigmoid unit for two classes, a softmax over n_classes otherwise."""
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    if n_classes == 2:
        return layers.Dense(1, activation="sigmoid", name=f"{name}_output")(x)
    return layers.Dense(n_classes, activation="softmax", name=f"{name}_output")(x)
