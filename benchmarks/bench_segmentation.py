"""Segmentation: U-Net training throughput with the page's monitor, and time to Dice ≥ 0.9.

Rows:
- samples/s of the default recipe's U-Net trained with :class:`SegmentationMonitor`
  (a validation prediction every epoch) against plain ``model.fit`` of the same model;
- CPU seconds and epochs the default recipe needs to reach a validation Dice of 0.9.
"""
from __future__ import annotations

import time
from dataclasses import replace

from benchmarks.common import PAIRED_ROUNDS, Row, paired_epochs

__all__ = ["run"]


def _throughput(quick: bool) -> tuple[float, float, float, int]:
    """Median samples/s with the monitor and with plain fit, the paired overhead, and the rounds.

    Both sides train the same compiled model one epoch at a time (with the same
    validation data), so the only difference is what the page adds: the monitor's
    validation prediction, Dice/IoU and snapshot, and ``models.train``'s bookkeeping.
    """
    import keras
    import numpy as np

    from models.losses import dice_coefficient
    from models.recipes import (
        DEFAULT_SEGMENTATION_RECIPE, build_segmentation_model, segmentation_data, segmentation_loss,
        train_segmentation,
    )

    recipe = replace(DEFAULT_SEGMENTATION_RECIPE, n_train=128 if quick else 256, epochs=1)
    data = segmentation_data(recipe)
    model = build_segmentation_model(recipe)
    model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate), loss=segmentation_loss(recipe.loss),
                  metrics=[dice_coefficient])
    run_plain = lambda: model.fit(data.x, data.y, epochs=1, batch_size=recipe.batch_size,  # noqa: E731
                                  validation_data=(data.x_val, data.y_val), verbose=0)
    run_ours = lambda: train_segmentation(recipe, model=model, data=data)  # noqa: E731
    run_plain(), run_ours()  # trace outside the timing
    plain, ours, overhead = paired_epochs(run_plain, run_ours, **PAIRED_ROUNDS[quick])
    return len(data.x) / float(np.median(ours)), len(data.x) / float(np.median(plain)), overhead, len(plain)


def _time_to_dice(threshold: float = 0.9) -> tuple[float, int | None, float]:
    from models.recipes import DEFAULT_SEGMENTATION_RECIPE, train_segmentation

    c = time.process_time()
    monitor = train_segmentation(DEFAULT_SEGMENTATION_RECIPE).monitor
    cpu = time.process_time() - c
    reached = next((e for e, d in zip(monitor.epochs, monitor.dice) if d >= threshold), None)
    return cpu, reached, monitor.dice[-1]


def run(quick: bool) -> list[Row]:
    ours, plain, overhead, rounds = _throughput(quick)
    rows = [Row("segmentation", "U-Net samples/s, models.train + SegmentationMonitor vs model.fit", ours, plain,
                "samples/s", 1.0 / (1.0 + overhead), "monitor costs < 25 %", overhead < 0.25,
                f"overhead {overhead:+.1%} (median of {rounds} paired epochs); default recipe: depth 2, "
                f"8 base filters, batch 16")]
    if not quick:
        cpu, reached, final = _time_to_dice()
        rows.append(Row("segmentation", "default recipe: CPU seconds for 5 epochs", cpu, None, "s", None,
                        "Dice ≥ 0.9 within 60 s", reached is not None and cpu < 60,
                        f"Dice ≥ 0.9 first at epoch {reached}; final val Dice {final:.3f}"))
    return rows
