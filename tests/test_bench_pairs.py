"""The benchmarks' paired-epoch estimator, on a fake clock (no timing is asserted)."""
import pytest

from benchmarks import common


@pytest.mark.parametrize("true_overhead", [0.0, 0.05, 0.10])
def test_paired_median_recovers_the_overhead_through_two_speed_jumps(monkeypatch, true_overhead):
    # The machine flips between a fast and a 35 % slower speed. In most pairs both epochs
    # run at the same speed; in one the plain epoch is slow and ours fast. Plain then has
    # 5 slow epochs of 9 and ours 4: the medians per side land in different modes
    # (a naive ratio reads -19 to -26 %), the median of paired ratios does not.
    speeds = [(1.0, 1.0), (1.35, 1.35), (1.0, 1.0), (1.35, 1.35), (1.35, 1.0),
              (1.0, 1.0), (1.35, 1.35), (1.0, 1.0), (1.35, 1.35)]  # (plain, ours) per round
    clock = [0.0]
    done = {0: 0, 1: 0}

    def run(side, cost):
        def fn():
            clock[0] += cost * speeds[done[side]][side]
            done[side] += 1
        return fn

    monkeypatch.setattr(common.time, "perf_counter", lambda: clock[0])
    plain, ours, overhead = common.paired_epochs(run(0, 1.0), run(1, 1.0 + true_overhead),
                                                 min_rounds=9, max_rounds=9, budget_s=0.0)
    assert len(plain) == len(ours) == 9
    assert overhead == pytest.approx(true_overhead, abs=1e-9)
    naive = sorted(ours)[4] / sorted(plain)[4] - 1.0
    assert naive < -0.15  # what the per-side medians would have reported


def test_rounds_fill_the_budget_between_the_bounds(monkeypatch):
    clock = [0.0]

    def step():
        clock[0] += 1.0

    monkeypatch.setattr(common.time, "perf_counter", lambda: clock[0])
    plain, _, _ = common.paired_epochs(step, step, min_rounds=3, max_rounds=50, budget_s=20.0)
    assert len(plain) == 10  # 2 s per pair, 20 s budget
    plain, _, _ = common.paired_epochs(step, step, min_rounds=3, max_rounds=5, budget_s=100.0)
    assert len(plain) == 5
    plain, _, _ = common.paired_epochs(step, step, min_rounds=4, max_rounds=50, budget_s=0.0)
    assert len(plain) == 4
