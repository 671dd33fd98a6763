"""A fair, first-come queue for trainings in a server shared by a class.

Thirty students pressing Train in the same minute on a 2-core server used to
start thirty trainings at once: each ran 5-6 times slower and nobody saw a
result for a minute. Here at most ``slots`` trainings run; the others wait in
arrival order and can be told how many are ahead and about how long that is.

The queue is plain Python (threads, a condition variable): the app keeps one
per server process (``app_pages.ui.training_queue``) and wraps every training
in it; scripts and tests can make their own. Nothing here knows about
Streamlit.

Why threads and not worker processes: a training's model lives in its user's
session (``st.session_state``) and its observers redraw that user's page every
epoch; moving it to another process would mean copying weights back and forth
each epoch and a second TensorFlow per worker (about 0.5 GB each). What keeps
one training from taking the server down instead: the native-crash guard in
``models.onednn`` refuses the known crashing cases before the first step, the
slot count bounds the cores in use, and an interrupted run keeps its last
finished epoch.
"""
from __future__ import annotations

import itertools
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from models._arguments import ArgumentError

__all__ = ["Ticket", "QueueState", "TrainingQueue", "default_slots"]


def default_slots() -> int:
    """How many trainings may run at once: ``MEDLENS_MAX_TRAININGS``, else one per 4 cores (at least 1).

    TensorFlow already spreads one training over every core, so on a laptop or a
    2-core server two trainings at once only make both slower.
    """
    raw = os.environ.get("MEDLENS_MAX_TRAININGS", "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            raise ArgumentError(f"MEDLENS_MAX_TRAININGS must be a whole number of trainings, got {raw!r}") from None
        if value < 1:
            raise ArgumentError(f"MEDLENS_MAX_TRAININGS must be at least 1, got {value}")
        return value
    return max(1, (os.cpu_count() or 1) // 4)


@dataclass(eq=False)
class Ticket:
    """One training's place in the queue."""

    number: int
    owner: str
    label: str
    joined: float = field(default_factory=time.monotonic)
    started: float | None = None  # when it got a slot
    done: bool = False

    @property
    def running(self) -> bool:
        return self.started is not None and not self.done

    def waited_s(self) -> float:
        """Seconds spent waiting for a slot (so far, if still waiting)."""
        end = self.started if self.started is not None else time.monotonic()
        return end - self.joined


@dataclass(frozen=True)
class QueueState:
    """A snapshot: who runs, who waits (labels in order), and the typical training time."""

    slots: int
    running: tuple[str, ...]
    waiting: tuple[str, ...]
    typical_s: float | None


class TrainingQueue:
    """At most ``slots`` trainings at once; the rest wait first come, first served.

    Args:
        slots: trainings allowed to run at the same time (>= 1).
        history: how many finished trainings the time estimate averages over.

    Example:
        >>> q = TrainingQueue(slots=1)
        >>> a, b = q.join("alice", "cnn"), q.join("bob", "cnn")
        >>> q.wait(a, timeout=0), q.ahead(b)
        (True, 1)
        >>> q.release(a); q.wait(b, timeout=0)
        True
    """

    def __init__(self, slots: int = 1, history: int = 20):
        if not isinstance(slots, int) or isinstance(slots, bool) or slots < 1:
            raise ArgumentError(f"slots must be a whole number >= 1, got {slots!r}")
        self.slots = slots
        self._cond = threading.Condition()
        self._waiting: deque[Ticket] = deque()
        self._running: list[Ticket] = []
        self._durations: deque[float] = deque(maxlen=history)
        self._numbers = itertools.count(1)

    # ------------------------------------------------------------------ joining
    def join(self, owner: str, label: str = "training") -> Ticket:
        """Take a place at the back of the queue (a slot is taken at once if one is free)."""
        with self._cond:
            ticket = Ticket(next(self._numbers), str(owner), str(label))
            self._waiting.append(ticket)
            self._promote()
            return ticket

    def _promote(self) -> None:
        # Only the head of the line may start: first come, first served, never overtaken.
        while self._waiting and len(self._running) < self.slots:
            ticket = self._waiting.popleft()
            ticket.started = time.monotonic()
            self._running.append(ticket)
            self._cond.notify_all()

    def wait(self, ticket: Ticket, timeout: float | None = None) -> bool:
        """Block until ``ticket`` holds a slot (True) or ``timeout`` seconds pass (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: ticket.running or ticket.done, timeout=timeout) and ticket.running

    def release(self, ticket: Ticket) -> None:
        """Give the slot back, or leave the line; safe to call twice and from ``finally``."""
        with self._cond:
            if ticket.done:
                return
            ticket.done = True
            if ticket in self._running:
                self._running.remove(ticket)
                self._durations.append(time.monotonic() - ticket.started)
            elif ticket in self._waiting:
                self._waiting.remove(ticket)
            self._promote()
            self._cond.notify_all()

    def release_owner(self, owner: str) -> int:
        """Free every slot and place held by ``owner`` (a session that closed); returns how many."""
        with self._cond:
            mine = [t for t in (*self._running, *self._waiting) if t.owner == owner]
        for ticket in mine:
            self.release(ticket)
        return len(mine)

    # ------------------------------------------------------------------ telling
    def ahead(self, ticket: Ticket) -> int:
        """Trainings before this one: all that run now plus those waiting in front (0 once it runs)."""
        with self._cond:
            if ticket.running or ticket.done:
                return 0
            return len(self._running) + list(self._waiting).index(ticket)

    def typical_s(self) -> float | None:
        """Median time of the last finished trainings, or None before the first one ends."""
        with self._cond:
            if not self._durations:
                return None
            ordered = sorted(self._durations)
        return ordered[len(ordered) // 2]

    def eta_s(self, ticket: Ticket) -> float | None:
        """About how long until ``ticket`` starts (None while nothing has finished to go by)."""
        typical = self.typical_s()
        if typical is None:
            return None
        with self._cond:
            if ticket.running or ticket.done:
                return 0.0
            now = time.monotonic()
            # the running ones free their slots when their typical time is up (at least a second from now)
            free_at = sorted(max(t.started + typical - now, 1.0) for t in self._running)
            position = list(self._waiting).index(ticket)
        free_at += [0.0] * (self.slots - len(free_at))
        # each slot serves the line in turn: the n-th waiter starts after the slot's current run plus n // slots runs
        slot = position % self.slots
        return free_at[slot] + (position // self.slots) * typical

    def state(self) -> QueueState:
        with self._cond:
            running = tuple(t.label for t in self._running)
            waiting = tuple(t.label for t in self._waiting)
        return QueueState(self.slots, running, waiting, self.typical_s())
