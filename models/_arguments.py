"""The one argument check of medlens: one signature, one exception type.

Every public function of ``models`` and ``explainers`` validates its arguments
up front with these helpers, so a wrong value fails at once with a message
that names the argument, the value received and what to pass instead, before
any TensorFlow work starts. The signature is always ``(name, value, ...)``.

``ArgumentError`` subclasses both ``ValueError`` and ``TypeError`` (as NumPy's
``AxisError`` subclasses ``ValueError`` and ``IndexError``): a wrong value and
a wrong type are one mistake to a learner, and code that catches either of the
built-in exceptions keeps working. No TensorFlow or Keras import here: data
loaders use these checks before anything heavy loads.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

import numpy as np

__all__ = ["ArgumentError", "fail", "check_int", "check_float", "check_choice", "check_array"]


class ArgumentError(ValueError, TypeError):
    """An argument with a wrong type or value; the message says which and what to do."""


def fail(name: str, value: Any, expected: str, hint: str = "") -> NoReturn:
    """Raise ``ArgumentError("<name> must be <expected>, got <value>[; hint]")``."""
    shown = repr(value)
    if len(shown) > 80:
        shown = f"{type(value).__name__} {getattr(value, 'shape', '')}".strip()
    raise ArgumentError(f"{name} must be {expected}, got {shown}" + (f"; {hint}" if hint else ""))


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" between {low} and {high}"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int (bools and floats refused) within ``[low, high]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        fail(name, value, f"an integer{_bounds(low, high)}")
    if (low is not None and value < low) or (high is not None and value > high):
        fail(name, value, f"an integer{_bounds(low, high)}")
    return int(value)


def check_float(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                low_open: bool = False) -> float:
    """``value`` as a finite float within ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        fail(name, value, f"a number{_bounds(low, high)}")
    v = float(value)
    too_low = low is not None and (v <= low if low_open else v < low)
    if not np.isfinite(v) or too_low or (high is not None and v > high):
        bound = f" > {low}" if low_open and high is None else _bounds(low, high)
        fail(name, value, f"a finite number{bound}")
    return v


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """``value`` if it is one of ``choices``."""
    options = tuple(choices)
    if not isinstance(value, str) and not isinstance(value, (int, float)) or value not in options:
        fail(name, value, "one of " + ", ".join(repr(c) for c in options))
    return value


def check_array(name: str, value: Any, *, ndim: int | Iterable[int] | None = None,
                dtype: str | None = "float32", finite: bool = True, min_size: int = 1) -> np.ndarray:
    """``value`` as a NumPy array with the given number of dimensions, finite and not empty."""
    try:
        a = np.asarray(value, dtype=dtype) if dtype else np.asarray(value)
    except (TypeError, ValueError):
        fail(name, value, "an array of numbers")
    dims = (ndim,) if isinstance(ndim, int) else tuple(ndim) if ndim is not None else None
    if dims is not None and a.ndim not in dims:
        raise ArgumentError(f"{name} must have {' or '.join(map(str, dims))} dimensions, got shape {a.shape}")
    if a.size < min_size:
        raise ArgumentError(f"{name} must hold at least {min_size} values, got shape {a.shape}")
    if finite and np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a)):
        raise ArgumentError(f"{name} contains NaN or infinite values; replace or drop them first")
    return a
