"""Segmentation: U-Net training throughput with the page's monitor, and time to Dice ≥ 0.9.

Rows:
- samples/s of the default recipe's U-Net trained with :class:`SegmentationMonitor`
  (a validation prediction every epoch) against plain ``model.fit`` of the same model;
- CPU seconds and epochs the default recipe needs to reach a validation Dice of 0.9.
"""
from __future__ import annotations

import time
from dataclasses import replace

from benchmarks.common import Row


def _throughput(quick: bool) -> tuple[float, float]:
    import keras

    from explainers.segmentation import DEFAULT_RECIPE, build_recipe_model, loss_function, recipe_data, train_recipe

    recipe = replace(DEFAULT_RECIPE, n_train=128 if quick else 256, epochs=2 if quick else 3)
    data = recipe_data(recipe)
    (x, y), (xv, yv) = data
    n = recipe.epochs * len(x)
    # plain fit (after one warm-up epoch so tracing is not timed)
    model = build_recipe_model(recipe)
    model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate), loss=loss_function(recipe.loss))
    model.fit(x, y, epochs=1, batch_size=recipe.batch_size, verbose=0)
    t = time.perf_counter()
    model.fit(x, y, epochs=recipe.epochs, batch_size=recipe.batch_size, validation_data=(xv, yv), verbose=0)
    plain = n / (time.perf_counter() - t)
    # models.train with the monitor (same warm-up)
    model = build_recipe_model(recipe)
    train_recipe(replace(recipe, epochs=1), model=model, data=data)
    t = time.perf_counter()
    train_recipe(recipe, model=model, data=data)
    ours = n / (time.perf_counter() - t)
    return ours, plain


def _time_to_dice(threshold: float = 0.9) -> tuple[float, int | None, float]:
    from explainers.segmentation import DEFAULT_RECIPE, train_recipe

    c = time.process_time()
    _, _, monitor = train_recipe(DEFAULT_RECIPE)
    cpu = time.process_time() - c
    reached = next((e for e, d in zip(monitor.epochs, monitor.dice) if d >= threshold), None)
    return cpu, reached, monitor.dice[-1]


def run(quick: bool) -> list[Row]:
    ours, plain = _throughput(quick)
    rows = [Row("segmentation", "U-Net samples/s, models.train + SegmentationMonitor vs model.fit", ours, plain,
                "samples/s", ours / plain, "monitor costs < 25 %", ours / plain > 0.75,
                "default recipe: depth 2, 8 base filters, batch 16")]
    if not quick:
        cpu, reached, final = _time_to_dice()
        rows.append(Row("segmentation", "default recipe: CPU seconds for 5 epochs", cpu, None, "s", None,
                        "Dice ≥ 0.9 within 60 s", reached is not None and cpu < 60,
                        f"Dice ≥ 0.9 first at epoch {reached}; final val Dice {final:.3f}"))
    return rows
