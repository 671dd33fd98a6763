"""The playground's divergence rule, now models.training.DivergenceCheck: when a finite run counts as diverged."""
import math

import numpy as np
import pytest

from models.training import DivergenceCheck, train

DEFAULT = DivergenceCheck()
PLAYGROUND = DivergenceCheck(loss_factor=5.0, reference_cap=math.log(2), min_loss=0.0, max_weight=1e3)


@pytest.mark.parametrize("check, loss, first, exploded", [
    (DEFAULT, 5.0, 0.7, False),        # grew 7×: not yet tenfold
    (DEFAULT, 7.5, 0.7, True),         # tenfold and above 1
    (DEFAULT, 0.9, 0.05, False),       # tenfold but below 1
    (DEFAULT, 50.0, None, False),      # no finite first loss yet
    (PLAYGROUND, 3.6, 0.9, True),      # above 5 × ln 2 = 3.47, whatever the first loss
    (PLAYGROUND, 3.4, 0.9, False),
    (PLAYGROUND, 0.6, 0.1, True),      # 5 × a small first loss
])
def test_loss_explodes_beyond_a_multiple_of_the_first_loss(check, loss, first, exploded):
    assert check.loss_exploded(loss, first) is exploded


def test_weights_overflow_only_when_a_limit_is_set():
    weights = [np.array([[1.0, -2e3]]), np.zeros(2)]
    assert DEFAULT.overflowing_weight(weights) is None
    assert PLAYGROUND.overflowing_weight(weights) == 2e3
    assert PLAYGROUND.overflowing_weight([np.ones(3)]) is None
    assert math.isnan(PLAYGROUND.overflowing_weight([np.array([np.nan])]))


def test_a_run_whose_weights_overflow_stops_diverged_with_the_last_sane_weights():
    from models.mlp import build_mlp

    x = np.random.default_rng(0).normal(0, 1, (64, 2)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = build_mlp(2, (4,), "tanh", seed=0)
    start = model.get_weights()
    limit = float(max(np.abs(w).max() for w in start)) + 1e-3  # the first update crosses it
    history = train(model, x, y, epochs=3, batch_size=16, learning_rate=0.5, optimizer="sgd",
                    divergence=DivergenceCheck(max_weight=limit))
    assert history.status == "diverged" and "weights overflowed" in history.message and len(history) == 0
    for a, b in zip(model.get_weights(), start):
        np.testing.assert_array_equal(a, b)
