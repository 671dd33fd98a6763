"""Keep Python's cyclic garbage collector off the libraries' objects.

Streamlit runs ``gc.collect(2)`` and ``keras.backend.clear_session()`` (another
full collection) after every script run. With TensorFlow, Keras and matplotlib
loaded the heap holds ~400,000 long-lived objects, and each full collection
walks all of them: ~0.2 s of held GIL per rerun, per session; a workshop of
30 people feels that. ``gc.freeze()`` moves the objects alive now into a
permanent generation that collections skip. We freeze after each large batch
of new imports (the first page that loads TensorFlow, say), not on every run:
a cycle that was alive at a freeze and becomes garbage later is never
collected, so freezing rarely keeps that cost to a few early objects.
"""
from __future__ import annotations

import gc
import sys
import threading

__all__ = ["NEW_MODULES", "freeze_after_imports"]

#: Freeze again once this many modules were imported since the last freeze.
NEW_MODULES = 100

_lock = threading.Lock()
_modules_at_freeze = 0


def freeze_after_imports() -> bool:
    """Collect once and freeze the heap if many modules were imported since the last freeze.

    Returns:
        True when it froze now.
    """
    global _modules_at_freeze
    with _lock:
        if len(sys.modules) - _modules_at_freeze < NEW_MODULES:
            return False
        gc.collect()  # what is garbage now is collected, not frozen
        gc.freeze()
        _modules_at_freeze = len(sys.modules)
        return True
