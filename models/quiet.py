"""Quiet logs by default: TensorFlow's banners, CUDA probes and oneDNN notices, before TensorFlow loads.

A workshop's terminal and the app log should show what medlens says, not
hundreds of lines of native start-up chatter (CUDA not found on a laptop,
"oneDNN custom operations are on", absl's pre-init notice). Set
``MEDLENS_VERBOSE=1`` to see them all again. Anything already set in the
environment wins, so ``TF_CPP_MIN_LOG_LEVEL=0`` still works on its own.
"""
from __future__ import annotations

import logging
import os
import sys

__all__ = ["verbose", "quiet_native_logs", "mute_tensorflow_import"]


def verbose() -> bool:
    """Whether the user asked for TensorFlow's full logs (``MEDLENS_VERBOSE=1``)."""
    return os.environ.get("MEDLENS_VERBOSE", "").strip().lower() in ("1", "true", "yes", "on")


def quiet_native_logs() -> None:
    """Silence TensorFlow's C++ start-up logs and its Python warnings unless :func:`verbose`.

    Must run before TensorFlow is imported to reach its C++ start-up lines;
    ``models`` calls it on import.
    """
    if verbose():
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # C++: errors too (native start-up noise)
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    # Python: retracing and deprecation warnings. One retrace warning is still seen in a run of every
    # page (Keras' predict function, "5 out of the last 15 calls", model.predict on inputs of several
    # shapes); MEDLENS_VERBOSE=1 shows it.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    mute_tensorflow_import()


class _QuietTensorFlowImport:
    """A meta-path finder that imports ``tensorflow`` with the process's stderr (fd 2) muted.

    TensorFlow 2.21's C++ start-up lines ("oneDNN custom operations are on",
    "Could not find cuda drivers") are written before absl's logging is set up,
    so ``TF_CPP_MIN_LOG_LEVEL`` cannot hide them (abseil/abseil-cpp#1718). They
    all happen inside ``import tensorflow``; muting fd 2 for that import alone
    hides them, and a Python error in the import is still raised, and shown,
    after stderr is back.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: find the real spec, then step aside for good
        import importlib.util

        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        real_exec = spec.loader.exec_module

        def exec_module(module):
            sys.stderr.flush()
            saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 2)
                real_exec(module)
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                os.close(devnull)

        spec.loader.exec_module = exec_module
        return spec


def mute_tensorflow_import() -> None:
    """Mute TensorFlow's native start-up lines on its first import (see :class:`_QuietTensorFlowImport`)."""
    if verbose() or "tensorflow" in sys.modules or any(isinstance(f, _QuietTensorFlowImport) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietTensorFlowImport())
