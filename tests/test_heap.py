"""app_pages.heap: the heap is frozen after large imports, not on every run."""
import gc
import sys

import pytest

from app_pages import heap


@pytest.fixture
def unfrozen():
    saved = heap._modules_at_freeze
    gc.unfreeze()
    yield
    gc.unfreeze()
    heap._modules_at_freeze = saved


def test_freezes_after_many_new_imports_then_not_again(unfrozen):
    heap._modules_at_freeze = len(sys.modules) - heap.NEW_MODULES
    assert heap.freeze_after_imports() is True
    assert gc.get_freeze_count() > 1000  # pytest, numpy and friends are alive
    frozen = gc.get_freeze_count()
    assert heap.freeze_after_imports() is False  # no new imports: leave it alone
    assert gc.get_freeze_count() == frozen


def test_few_new_imports_do_not_freeze(unfrozen):
    heap._modules_at_freeze = len(sys.modules) - heap.NEW_MODULES + 1
    assert heap.freeze_after_imports() is False
    assert gc.get_freeze_count() == 0


def test_garbage_cycles_are_collected_before_freezing(unfrozen):
    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    import weakref

    ref = weakref.ref(a)
    del a, b
    heap._modules_at_freeze = -heap.NEW_MODULES
    assert heap.freeze_after_imports() is True
    assert ref() is None  # the cycle was freed, not frozen forever
