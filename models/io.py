"""Save and load trained models; loading is always in Keras safe mode."""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import keras

# Importing these registers the custom layers and losses that safe mode may load.
import models.attention  # noqa: F401
import models.losses  # noqa: F401

__all__ = ["save_model", "load_model"]


def save_model(model: keras.Model, path: str | os.PathLike) -> Path:
    """Save ``model`` to a ``.keras`` file (the suffix is added when missing)."""
    path = Path(path)
    if path.suffix != ".keras":
        path = path.with_suffix(".keras")
    model.save(path)
    return path


def load_model(path: str | os.PathLike, *, compile: bool = True) -> keras.Model:
    """Load a ``.keras`` file in safe mode: code inside the file is never run.

    A file holding a ``Lambda`` layer (arbitrary Python bytecode) or an unknown
    custom object is refused with a message saying why.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: not a ``.keras`` archive, or refused by safe mode.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {str(path)!r} does not exist")
    if path.suffix != ".keras" or not zipfile.is_zipfile(path):
        raise ValueError(
            f"{str(path)!r} is not a Keras 3 '.keras' model archive; save models with "
            f"model.save('name.keras') or models.save_model"
        )
    try:
        return keras.saving.load_model(path, compile=compile, safe_mode=True)
    except ValueError as err:
        text = str(err)
        if "Lambda" in text or "safe_mode" in text or "unsafe" in text.lower():
            raise ValueError(
                f"refused to load {str(path)!r}: it contains a Lambda layer or other code that "
                f"would run on loading (Keras safe mode). Only load such a file if you wrote it "
                f"yourself, with keras.saving.load_model(path, safe_mode=False)."
            ) from err
        raise ValueError(f"could not load {str(path)!r}: {text}") from err
    except (TypeError, KeyError, OSError) as err:
        raise ValueError(f"could not load {str(path)!r}: the file is damaged or not a model ({err})") from err
