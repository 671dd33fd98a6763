"""Free the models of sessions nobody has used for a while (``MEDLENS_SESSION_TTL``).

A workshop server keeps each student's trained models in their session. A tab
left open over lunch still holds them; thirty such tabs hold gigabytes. Each
session's models are registered here with the time the session was last used;
any page run sweeps the register and frees (``free(message)``) the models of
sessions idle longer than the TTL, unless they are training right now. When the
student comes back, the page says what happened instead of silently showing an
untrained model. Closed tabs are Streamlit's job (``server.disconnectedSessionTTL``).

Plain Python and thread-safe; the app keeps one per server (``app_pages.ui``).
"""
from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Protocol

from models._arguments import ArgumentError

__all__ = ["Freeable", "IdleSessions", "session_ttl_s", "DEFAULT_TTL_S"]

DEFAULT_TTL_S = 1800.0  # half an hour: longer than any lesson step, shorter than a lunch break


def session_ttl_s() -> float:
    """``MEDLENS_SESSION_TTL`` in seconds (default 1800); 0 turns the freeing off."""
    raw = os.environ.get("MEDLENS_SESSION_TTL", "").strip()
    if not raw:
        return DEFAULT_TTL_S
    try:
        value = float(raw)
    except ValueError:
        raise ArgumentError(f"MEDLENS_SESSION_TTL must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise ArgumentError(f"MEDLENS_SESSION_TTL must be 0 (never free) or more seconds, got {value}")
    return value


class Freeable(Protocol):
    def free(self, message: str) -> None: ...


class _Session:
    __slots__ = ("last_seen", "running", "held", "gone_since")

    def __init__(self, now: float):
        self.last_seen = now
        self.running = 0
        self.held: list[weakref.ref] = []
        self.gone_since: float | None = None  # first sweep that found the session's tab closed


def _give_back_memory(freed: list) -> None:
    """After a sweep: collect the freed models (Keras models are cycles) and hand malloc's free pages back.

    Without this the memory stays in the server process for the next class: Python frees the tensors
    to malloc, which keeps them (see models.native_memory). At most once a minute, however many
    sessions a sweep frees; the one full collection costs ~0.1-0.3 s, once per freeing sweep.
    """
    import gc

    from models.native_memory import release_free_memory

    freed.clear()  # the caller's references to the freed holders
    # The app freezes the heap after big imports (app_pages/heap.py) so that Streamlit's collection
    # after every rerun skips the libraries' objects. A session's model that was alive at such a
    # freeze (another student's first TensorFlow page) would never be collected after it is freed:
    # unfreeze, collect everything once, and freeze again what is still alive.
    frozen = gc.get_freeze_count()
    if frozen:
        gc.unfreeze()
    gc.collect()
    if frozen:
        gc.freeze()
    release_free_memory(min_interval_s=60.0)


def _freed(_ref: weakref.ref) -> None:
    """A session's model was collected: return malloc's free pages within a few seconds (one trim for many)."""
    from models.native_memory import release_free_memory_soon

    release_free_memory_soon()


class IdleSessions:
    """Which session holds which models, and since when it has been idle.

    Args:
        ttl_s: idle seconds after which a session's models are freed (0: never).
        clock: the time source (tests pass a fake one).
    """

    def __init__(self, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.monotonic):
        self.ttl_s = float(ttl_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}

    def _get(self, session_id: str) -> _Session:
        s = self._sessions.get(session_id)
        if s is None:
            s = self._sessions[session_id] = _Session(self._clock())
        return s

    def touch(self, session_id: str) -> None:
        """The session is in use now."""
        with self._lock:
            self._get(session_id).last_seen = self._clock()

    def hold(self, session_id: str, thing: Freeable) -> None:
        """Register one of the session's models (weakly: a model the page dropped is not kept alive here)."""
        with self._lock:
            s = self._get(session_id)
            s.last_seen = self._clock()
            alive = [r for r in s.held if r() is not None]
            if not any(r() is thing for r in alive):  # pages hold the same model on every rerun
                # When the model goes (its session closed, Reset, other settings), hand the memory back.
                alive.append(weakref.ref(thing, _freed))
            s.held = alive

    def training(self, session_id: str, running: bool) -> None:
        """A training started (True) or ended (False): a session that trains is never idle."""
        with self._lock:
            s = self._get(session_id)
            s.running = max(0, s.running + (1 if running else -1))
            s.last_seen = self._clock()

    def sweep(self, connected: Callable[[str], bool] | None = None, grace_s: float = 120.0) -> int:
        """Free the models of every idle or closed session; returns how many models were freed.

        Args:
            connected: whether a session's tab is still connected (the app asks Streamlit). A session
                whose tab has been closed for ``grace_s`` seconds is freed whatever the TTL: nobody can
                come back to it (Streamlit keeps a closed tab's session ``disconnectedSessionTTL``
                seconds for a reconnect, then drops it without freeing what it held, and a dropped
                session's state can sit uncollected for a whole class).
            grace_s: how long a tab may stay disconnected (a reconnect, a laptop lid) before that.
        """
        now = self._clock()
        to_free: list[Any] = []
        with self._lock:
            for sid, s in list(self._sessions.items()):
                if s.running:
                    continue
                if connected is not None and not connected(sid):
                    s.gone_since = now if s.gone_since is None else s.gone_since
                else:
                    s.gone_since = None
                gone = s.gone_since is not None and now - s.gone_since >= grace_s
                idle = self.ttl_s > 0 and now - s.last_seen >= self.ttl_s
                if not (gone or idle):
                    continue
                to_free += [t for t in (r() for r in s.held) if t is not None]
                del self._sessions[sid]
        minutes = self.ttl_s / 60
        message = (f"This page's trained model was freed after {minutes:.0f} min without use, to keep memory for "
                   "the rest of the class. Press Train to train it again.")
        for thing in to_free:
            thing.free(message)
        freed = len(to_free)
        if freed:
            _give_back_memory(to_free)
        return freed

    def sweep_every(self, every_s: float, connected: Callable[[str], bool] | None = None,
                    grace_s: float = 120.0) -> threading.Thread:
        """Sweep on a daemon thread every ``every_s`` seconds: memory comes back after a class even if nobody
        opens a page afterwards."""
        if every_s <= 0:
            raise ArgumentError(f"every_s must be more than 0 seconds, got {every_s!r}")

        def loop() -> None:
            while True:
                time.sleep(every_s)
                try:
                    self.sweep(connected, grace_s)
                except Exception:  # noqa: BLE001 - a failed sweep must not end the sweeping; the next one retries
                    pass

        thread = threading.Thread(target=loop, name="medlens-idle-sweep", daemon=True)
        thread.start()
        return thread

    def sessions(self) -> int:
        with self._lock:
            return len(self._sessions)
