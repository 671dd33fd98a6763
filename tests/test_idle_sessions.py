"""Idle sessions' models are freed after MEDLENS_SESSION_TTL, never while training, and the user is told."""
from __future__ import annotations

import gc

import pytest

from models._arguments import ArgumentError
from models.idle_sessions import DEFAULT_TTL_S, IdleSessions, session_ttl_s


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Model:
    def __init__(self):
        self.freed = None

    def free(self, message):
        self.freed = message


def test_only_sessions_idle_longer_than_the_ttl_lose_their_models():
    clock = Clock()
    reg = IdleSessions(ttl_s=60, clock=clock)
    a, b = Model(), Model()
    reg.hold("alice", a)
    clock.now = 50
    reg.hold("bob", b)
    clock.now = 61
    assert reg.sweep() == 1
    assert a.freed and "freed after 1 min" in a.freed and b.freed is None
    assert reg.sessions() == 1  # alice is forgotten; bob stays registered


def test_a_session_that_is_training_is_never_idle():
    clock = Clock()
    reg = IdleSessions(ttl_s=10, clock=clock)
    m = Model()
    reg.hold("s", m)
    reg.training("s", True)
    clock.now = 1000
    assert reg.sweep() == 0 and m.freed is None
    reg.training("s", False)
    clock.now = 1005
    assert reg.sweep() == 0  # the end of a training counts as use
    clock.now = 1011
    assert reg.sweep() == 1 and m.freed


def test_the_register_does_not_keep_a_dropped_model_alive():
    reg = IdleSessions(ttl_s=0.0)
    m = Model()
    reg.hold("s", m)
    del m
    gc.collect()
    assert reg.sweep() == 0  # ttl 0: freeing is off


@pytest.mark.parametrize("raw, expected", [("", DEFAULT_TTL_S), ("90", 90.0), ("0", 0.0)])
def test_the_ttl_comes_from_the_environment(monkeypatch, raw, expected):
    monkeypatch.setenv("MEDLENS_SESSION_TTL", raw)
    assert session_ttl_s() == expected


@pytest.mark.parametrize("raw", ["soon", "-5"])
def test_a_bad_ttl_says_what_to_set(monkeypatch, raw):
    monkeypatch.setenv("MEDLENS_SESSION_TTL", raw)
    with pytest.raises(ArgumentError, match="MEDLENS_SESSION_TTL"):
        session_ttl_s()


def test_a_student_returning_after_the_ttl_reads_why_the_model_is_new(app_page):
    import time

    from app_pages.ui import idle_sessions

    register = idle_sessions()
    at = app_page("layers_as_matrices.py")
    first = at.session_state["mx_fresh"]
    old_ttl = register.ttl_s
    register.ttl_s = 0.05
    try:
        time.sleep(0.1)
        at.run(timeout=60)
    finally:
        register.ttl_s = old_ttl
    assert not at.exception
    notes = [i.value for i in at.info if "freed after" in i.value]
    assert notes, [i.value for i in at.info]
    assert first.model is None and first.freed  # the old entry really let go of its model


def test_a_sweep_that_frees_models_hands_the_memory_back_and_one_that_frees_none_does_not(monkeypatch):
    import models.native_memory as nm

    trims = []
    monkeypatch.setattr(nm, "release_free_memory", lambda min_interval_s=0.0: trims.append(min_interval_s))
    clock = Clock()
    reg = IdleSessions(ttl_s=10, clock=clock)
    m = Model()
    reg.hold("s", m)
    assert reg.sweep() == 0 and trims == []  # nobody idle yet: no collection, no trim
    clock.now = 11
    assert reg.sweep() == 1 and m.freed
    assert trims == [60.0]  # once, rate-limited to a minute


_FROZEN_CYCLE = r"""
import gc, weakref
from models.idle_sessions import IdleSessions

class Network:  # a Keras model is a reference cycle; so is this
    def __init__(self):
        self.me, self.weights = self, bytearray(10_000_000)

class Entry:  # what a page holds: the session's model, dropped by free() (like ui.SessionModel)
    def __init__(self):
        self.model = Network()
    def free(self, message):
        self.model = None

clock = [0.0]
reg = IdleSessions(ttl_s=10, clock=lambda: clock[0])
entry = Entry()
reg.hold("s", entry)
alive = weakref.ref(entry.model)
gc.freeze()  # another student's first TensorFlow page froze the heap while this model was alive
entry.model = None
gc.collect()
entry.model = alive()
assert alive() is not None, "a frozen cycle should survive a plain collection (the case this guards)"
clock[0] = 11
assert reg.sweep() == 1
print("collected" if alive() is None else "leaked", gc.get_freeze_count() > 0)
"""


def test_a_model_frozen_by_the_heap_freeze_is_collected_once_its_session_is_freed():
    import subprocess
    import sys
    from pathlib import Path

    # gc.freeze() changes the whole process: a fresh interpreter keeps it away from the other tests.
    out = subprocess.run([sys.executable, "-c", _FROZEN_CYCLE], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["collected", "True"]  # freed, and the library objects frozen again


def test_a_model_held_on_every_rerun_is_registered_once_and_its_collection_schedules_a_trim(monkeypatch):
    import models.native_memory as nm

    soon = []
    monkeypatch.setattr(nm, "release_free_memory_soon", lambda: soon.append(1))
    reg = IdleSessions(ttl_s=10, clock=Clock())
    m = Model()
    for _ in range(5):  # five reruns of the page
        reg.hold("s", m)
    assert len(reg._sessions["s"].held) == 1
    assert soon == []
    del m
    gc.collect()
    assert soon == [1]  # the session's model went: memory handed back within seconds


def test_a_closed_tab_loses_its_models_after_the_reconnect_grace_whatever_the_ttl():
    clock = Clock()
    reg = IdleSessions(ttl_s=0, clock=clock)  # idle freeing off: closed tabs are still freed
    closed, open_, blip = Model(), Model(), Model()
    reg.hold("closed", closed)
    reg.hold("open", open_)
    reg.hold("blip", blip)
    tabs = {"closed": False, "open": True, "blip": False}
    assert reg.sweep(tabs.get, grace_s=30) == 0  # first seen closed now
    clock.now = 20
    tabs["blip"] = True  # the laptop woke up: reconnected within the grace
    assert reg.sweep(tabs.get, grace_s=30) == 0
    clock.now = 31
    assert reg.sweep(tabs.get, grace_s=30) == 1
    assert closed.freed and open_.freed is None and blip.freed is None
    tabs["blip"] = False  # closed again later: the grace starts over
    clock.now = 40
    assert reg.sweep(tabs.get, grace_s=30) == 0 and blip.freed is None


def test_a_training_session_is_not_freed_even_with_its_tab_closed():
    clock = Clock()
    reg = IdleSessions(ttl_s=60, clock=clock)
    m = Model()
    reg.hold("s", m)
    reg.training("s", True)
    clock.now = 1000
    assert reg.sweep(lambda sid: False, grace_s=1) == 0 and m.freed is None


def test_the_background_sweeper_frees_a_closed_tab_without_any_page_run():
    import time

    reg = IdleSessions(ttl_s=0)
    m = Model()
    reg.hold("s", m)
    reg.sweep_every(0.05, connected=lambda sid: False, grace_s=0.0)
    deadline = time.monotonic() + 10
    while m.freed is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert m.freed is not None
