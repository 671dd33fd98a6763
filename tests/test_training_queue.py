"""The training queue: first come first served, at most N at once, slots freed on every exit, honest messages."""
from __future__ import annotations

import threading
import time

import pytest

from models._arguments import ArgumentError
from models.training_queue import TrainingQueue, default_slots


def test_at_most_slots_run_and_the_rest_start_in_arrival_order():
    q = TrainingQueue(slots=2)
    tickets = [q.join(f"s{i}", "cnn") for i in range(5)]
    assert [t.running for t in tickets] == [True, True, False, False, False]
    assert [q.ahead(t) for t in tickets] == [0, 0, 2, 3, 4]
    q.release(tickets[1])
    assert [t.running for t in tickets] == [True, False, True, False, False]
    q.release(tickets[0])
    q.release(tickets[2])
    assert tickets[3].running and tickets[4].running


def test_threads_never_exceed_the_slots_and_are_served_first_come():
    q = TrainingQueue(slots=2)
    busy, peak, order, lock = [0], [0], [], threading.Lock()
    tickets = [q.join(f"s{i}", "x") for i in range(8)]  # joined in this order

    def work(i):
        assert q.wait(tickets[i], timeout=10)
        with lock:
            busy[0] += 1
            peak[0] = max(peak[0], busy[0])
            order.append(i)
        time.sleep(0.02)
        with lock:
            busy[0] -= 1
        q.release(tickets[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in reversed(range(8))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert peak[0] <= 2 and len(order) == 8
    starts = [t.started for t in tickets]
    assert starts == sorted(starts)  # slots were handed out in joining order, whatever the threads did


@pytest.mark.parametrize("leave", ["release_waiting", "release_twice", "owner_closed"])
def test_every_way_out_frees_the_place(leave):
    q = TrainingQueue(slots=1)
    a, b, c = q.join("alice"), q.join("bob"), q.join("carol")
    if leave == "release_waiting":  # bob cancels while waiting: carol moves up, alice keeps her slot
        q.release(b)
        assert q.ahead(c) == 1 and a.running
    elif leave == "release_twice":
        q.release(a)
        q.release(a)
        assert b.running and not c.running
    else:  # alice's tab closed: everything she held goes
        d = q.join("alice")
        assert q.release_owner("alice") == 2
        assert b.running and q.state().waiting == ("training",)
        assert d.done


def test_the_estimate_uses_the_median_of_finished_runs():
    q = TrainingQueue(slots=1)
    assert q.typical_s() is None
    q._durations.extend([10.0, 12.0, 400.0])  # one outlier does not move a median
    a, b, c = q.join("a"), q.join("b"), q.join("c")
    assert q.typical_s() == 12.0
    assert q.eta_s(a) == 0.0
    assert 10.5 <= q.eta_s(b) <= 12.0  # a has just started: about one typical run
    assert q.eta_s(c) == pytest.approx(q.eta_s(b) + 12.0, abs=0.1)


@pytest.mark.parametrize("raw, expected", [("3", 3), (" 1 ", 1)])
def test_slots_come_from_the_environment(monkeypatch, raw, expected):
    monkeypatch.setenv("MEDLENS_MAX_TRAININGS", raw)
    assert default_slots() == expected


@pytest.mark.parametrize("raw", ["0", "two", "-1"])
def test_a_bad_slot_count_says_what_to_set(monkeypatch, raw):
    monkeypatch.setenv("MEDLENS_MAX_TRAININGS", raw)
    with pytest.raises(ArgumentError, match="MEDLENS_MAX_TRAININGS"):
        default_slots()


def test_the_message_counts_running_and_waiting_trainings():
    from app_pages.ui import queue_message

    q = TrainingQueue(slots=1)
    q._durations.append(10.0)
    _, _, c = q.join("a"), q.join("b"), q.join("c")
    text = queue_message(q, c)
    assert text.startswith("In the queue: 1 running and 1 waiting before yours, about ")
    assert "trains 1 at a time" in text


def test_a_page_waits_for_a_busy_slot_then_trains_and_says_how_long_it_waited(app_page):
    from app_pages.ui import training_queue

    q = training_queue()
    blocker = q.join("another-student", "cnn")
    assert q.wait(blocker, timeout=5)
    at = app_page("neuron.py")
    threading.Timer(2.0, q.release, args=(blocker,)).start()
    at.button[0].click()  # Train
    at.run(timeout=120)
    assert not at.exception
    waited = [c.value for c in at.caption if c.value.startswith("Waited ")]
    assert waited and int(waited[0].split()[1]) >= 1, waited
    assert q.state().running == () and q.state().waiting == ()  # the page gave its slot back
