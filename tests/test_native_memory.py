"""models.native_memory: glibc's free pages go back to the system; elsewhere nothing happens."""
from __future__ import annotations

import subprocess
import sys

import pytest

from models import native_memory as nm
from models._arguments import ArgumentError


class FakeLibc:
    def __init__(self):
        self.calls = []

    def mallopt(self, param, value):
        self.calls.append(("mallopt", param, value))
        return 1

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return 1


@pytest.fixture
def fake_libc(monkeypatch):
    lib = FakeLibc()
    monkeypatch.setattr(nm, "_libc", lib)
    monkeypatch.setattr(nm, "_probed", True)
    monkeypatch.setattr(nm, "_last_trim", [0.0])
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    return lib


def test_off_glibc_both_calls_do_nothing(monkeypatch):
    monkeypatch.setattr(nm, "_libc", None)
    monkeypatch.setattr(nm, "_probed", True)
    assert nm.release_free_memory() is False
    settings = nm.tune_allocator()
    assert settings.arenas is None and settings.mmap_threshold is None and "not glibc" in settings.note


def test_tuning_sets_arenas_and_threshold_unless_the_environment_did(fake_libc, monkeypatch):
    assert nm.tune_allocator(arenas=3, mmap_threshold=65536) == nm.AllocatorSettings(3, 65536, "glibc")
    assert fake_libc.calls == [("mallopt", -8, 3), ("mallopt", -3, 65536)]
    fake_libc.calls.clear()
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert nm.tune_allocator().arenas is None  # the user's MALLOC_ARENA_MAX wins
    assert [c[1] for c in fake_libc.calls] == [-3]


def test_trims_at_most_once_per_interval(fake_libc):
    assert nm.release_free_memory(min_interval_s=60) is True
    assert nm.release_free_memory(min_interval_s=60) is False
    assert nm.release_free_memory() is True
    assert fake_libc.calls == [("malloc_trim", 0), ("malloc_trim", 0)]


def test_a_burst_of_soon_trims_is_one_trim_and_a_later_burst_another(fake_libc, monkeypatch):
    import time

    monkeypatch.setattr(nm, "_pending", [])
    assert nm.release_free_memory_soon(0.2) is True
    assert nm.release_free_memory_soon(0.2) is False and nm.release_free_memory_soon(0.2) is False
    assert fake_libc.calls == []  # nobody waits for it
    deadline = time.monotonic() + 10
    while not fake_libc.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)
    assert fake_libc.calls == [("malloc_trim", 0)]
    assert nm.release_free_memory_soon(0.0) is True  # the next burst gets its own


@pytest.mark.parametrize("call", [lambda: nm.tune_allocator(arenas=0), lambda: nm.tune_allocator(mmap_threshold=10),
                                  lambda: nm.tune_allocator(arenas=2.5), lambda: nm.release_free_memory(-1),
                                  lambda: nm.release_free_memory_soon(-1)])
def test_bad_numbers_are_refused_with_the_value(call):
    with pytest.raises(ArgumentError, match="got"):
        call()


_FRAGMENTED = r"""
import ctypes, sys
from models.native_memory import glibc, release_free_memory
lib = glibc()
if lib is None:
    print("skip"); sys.exit()
lib.malloc.restype, lib.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
lib.free.argtypes = [ctypes.c_void_p]
def rss():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")) / 1024
blocks = [lib.malloc(8192) for _ in range(12000)]  # ~94 MB of small blocks inside the heap
for b in blocks:
    ctypes.memset(b, 1, 8192)
keep = blocks[-1]  # a live block at the top: glibc cannot shrink the heap by itself
for b in blocks[:-1]:
    lib.free(b)
before = rss()
release_free_memory()
print(before - rss())
"""


def test_a_trim_returns_freed_heap_pages_to_the_system():
    out = subprocess.run([sys.executable, "-c", _FRAGMENTED], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    if out.stdout.strip() == "skip":
        pytest.skip("not glibc")
    assert float(out.stdout) > 50  # MB back from ~94 MB freed but kept by malloc
