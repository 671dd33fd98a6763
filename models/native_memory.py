"""Hand the C allocator's free memory back to the system, so a server shrinks after a class.

A workshop server's memory did not come back after the students left: Python
and Keras had freed the sessions' models, but glibc's malloc kept the freed
blocks for reuse. Two habits of glibc make that costly in a Streamlit server:

* every thread that allocates may get its own arena (up to 8 per core), and
  Streamlit runs each session's script in a thread of its own, so a class
  spreads its tensors over 16 arenas, each keeping its own free memory;
* a block bigger than the mmap threshold is mapped on its own and unmapped when
  freed, but glibc raises that threshold to the largest block freed so far (up
  to 32 MB), after which TensorFlow's batch-sized buffers land inside the arenas
  and their free space stays in the process.

:func:`tune_allocator` caps the arenas and pins the threshold (``mallopt``;
call it as early as possible: arenas made before stay), and
:func:`release_free_memory` asks glibc to return whole free pages now
(``malloc_trim(0)``), e.g. after a session's models are freed. Off glibc
(macOS, musl, Windows) both do nothing and say so. Environment variables the
user set (``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_``) win.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
import time
from dataclasses import dataclass

from models._arguments import ArgumentError

__all__ = ["ARENAS", "MMAP_THRESHOLD", "AllocatorSettings", "glibc", "tune_allocator", "release_free_memory",
           "release_free_memory_soon"]

#: Arenas for the whole process: two keep one training and the page threads from queuing on one lock,
#: where the default 16 (8 per core on a 2-core server) each hold a class's freed tensors.
ARENAS = 2
#: Blocks from 256 KiB up are mapped on their own and go back to the system when freed (glibc's
#: starting value is 128 KiB but it climbs to 32 MB; pinned here, it does not climb).
MMAP_THRESHOLD = 256 * 1024

# mallopt parameter numbers from glibc's malloc.h (stable ABI).
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

_lock = threading.Lock()
_libc: ctypes.CDLL | None = None
_probed = False


@dataclass(frozen=True)
class AllocatorSettings:
    """What :func:`tune_allocator` did: each field is the value set, or None where it left glibc alone."""

    arenas: int | None
    mmap_threshold: int | None
    note: str


def glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (it has ``malloc_trim``), else None."""
    global _libc, _probed
    with _lock:
        if not _probed:
            _probed = True
            if sys.platform.startswith("linux"):
                try:
                    lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                    if hasattr(lib, "malloc_trim") and hasattr(lib, "mallopt"):
                        lib.malloc_trim.argtypes, lib.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
                        lib.mallopt.argtypes, lib.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
                        _libc = lib
                except OSError:
                    _libc = None
        return _libc


def _check_count(name: str, value: int, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ArgumentError(f"{name} must be a whole number of at least {low}, got {value!r}")
    return value


def tune_allocator(arenas: int = ARENAS, mmap_threshold: int = MMAP_THRESHOLD) -> AllocatorSettings:
    """Cap glibc's arenas and pin its mmap threshold for this process (once, early; safe to repeat).

    Args:
        arenas: at most this many malloc arenas from now on (``MALLOC_ARENA_MAX`` in the
            environment wins).
        mmap_threshold: blocks of at least this many bytes are mapped alone and unmapped when freed
            (``MALLOC_MMAP_THRESHOLD_`` in the environment wins).

    Returns:
        What was set; all None off glibc.
    """
    _check_count("arenas", arenas, 1)
    _check_count("mmap_threshold", mmap_threshold, 4096)
    lib = glibc()
    if lib is None:
        return AllocatorSettings(None, None, "not glibc: the system allocator is left as it is")
    set_arenas = set_threshold = None
    if not os.environ.get("MALLOC_ARENA_MAX"):
        if lib.mallopt(_M_ARENA_MAX, arenas) == 1:
            set_arenas = arenas
    if not os.environ.get("MALLOC_MMAP_THRESHOLD_"):
        if lib.mallopt(_M_MMAP_THRESHOLD, mmap_threshold) == 1:
            set_threshold = mmap_threshold
    return AllocatorSettings(set_arenas, set_threshold, "glibc")


_last_trim = [0.0]


def release_free_memory(min_interval_s: float = 0.0) -> bool:
    """Return glibc's free pages to the system now (``malloc_trim(0)``; ~0.05-0.1 s on a big heap).

    Args:
        min_interval_s: skip the call if the last one was less than this many seconds ago (a trim
            walks every arena under its lock: once per freed session, not once per rerun).

    Returns:
        True when it trimmed; False off glibc or when skipped.
    """
    if min_interval_s < 0:
        raise ArgumentError(f"min_interval_s must be 0 or more seconds, got {min_interval_s!r}")
    lib = glibc()
    if lib is None:
        return False
    with _lock:
        now = time.monotonic()
        if _last_trim[0] and now - _last_trim[0] < min_interval_s:
            return False
        _last_trim[0] = now
    lib.malloc_trim(0)
    return True


_pending: list[threading.Timer] = []  # at most one trim waiting (a process-wide resource, like malloc itself)


def release_free_memory_soon(delay_s: float = 5.0) -> bool:
    """Trim once, ``delay_s`` seconds from now, however many calls arrive meanwhile; returns whether it scheduled.

    For the moments something big was just freed (a training ended, a closed session's model was
    collected): the next few frees ride on the same trim, and nobody waits for it (a daemon timer).
    """
    if delay_s < 0:
        raise ArgumentError(f"delay_s must be 0 or more seconds, got {delay_s!r}")
    if glibc() is None:
        return False

    def trim() -> None:
        with _lock:
            _pending.clear()
        release_free_memory()

    with _lock:
        if _pending:
            return False
        timer = threading.Timer(delay_s, trim)
        timer.daemon = True
        _pending.append(timer)
    timer.start()
    return True
