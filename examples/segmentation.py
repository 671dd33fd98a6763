"""Segmentation in a few seconds: the lecture's Dice table, the imbalance trap, decoder layers, a U-Net.

Run::

    python examples/segmentation.py --out examples_output/          # default recipe, 5 epochs
    python examples/segmentation.py --quick                          # 1 epoch, a tiny U-Net

Figures are saved as PNG files in ``--out``.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from explainers.segmentation import (  # noqa: E402
    DEFAULT_RECIPE, UPSAMPLING_METHODS, compute_dice_table, compute_feature_maps, compute_imbalance_trap,
    compute_upsampling, recipe_data, train_recipe,
)
from explainers.segmentation_plots import (  # noqa: E402
    plot_dice_table, plot_feature_maps, plot_imbalance, plot_scores, plot_segmentation_panels, plot_upsampling,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples_output", help="folder for the PNG figures")
    parser.add_argument("--quick", action="store_true", help="1 epoch of a tiny U-Net (for tests)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    table = compute_dice_table()
    print(f"lecture table: |A∩B| = {table.intersection:.2f}, |A| = {table.sum_prediction:.2f}, "
          f"|B| = {table.sum_target:.0f}, Dice = {table.dice:.4f}, squared = {table.dice_squared:.4f}")
    fig = Figure(figsize=(8, 2.9), layout="constrained")
    plot_dice_table(table, fig.subplots(1, 3))
    fig.savefig(out / "dice_table.png", dpi=110)

    fig = Figure(figsize=(10, 8), layout="constrained")
    axes = fig.subplots(len(UPSAMPLING_METHODS), 4)
    for row, method in zip(axes, UPSAMPLING_METHODS):
        demo = compute_upsampling(method)
        plot_upsampling(demo, row)
        row[0].set_ylabel(method)
        print(f"{method:14s} output {demo.output.shape}, parameters at {demo.params_at}")
    fig.savefig(out / "upsampling.png", dpi=110)

    recipe = replace(DEFAULT_RECIPE, epochs=1, base_filters=4, depth=1, n_train=64, n_val=16) if args.quick \
        else DEFAULT_RECIPE
    (_, _), (xv, yv) = recipe_data(recipe)
    model, history, monitor = train_recipe(recipe)
    print(f"U-Net ({model.count_params():,} parameters), {len(history)} epoch(s): "
          f"validation Dice {monitor.dice[-1]:.3f}, IoU {monitor.iou[-1]:.3f}")

    areas = yv.sum((1, 2, 3))
    small = int(areas.argmin())
    trap = compute_imbalance_trap(yv[small], {"U-Net": model.predict(xv[small:small + 1], verbose=0)[0]})
    for name, acc, dice in zip(trap.names, trap.pixel_accuracy, trap.dice):
        print(f"{name:15s} pixel accuracy {acc:.3f}  Dice {dice:.3f}")
    plot_imbalance(trap).figure.savefig(out / "imbalance.png", dpi=110)

    fig = Figure(figsize=(8, 6), layout="constrained")
    plot_segmentation_panels(monitor.snapshot, fig.subplots(len(monitor.snapshot.images), 4))
    fig.savefig(out / "panels.png", dpi=110)
    plot_scores(monitor.epochs, monitor.dice, monitor.iou).figure.savefig(out / "scores.png", dpi=110)

    fm = compute_feature_maps(model, xv[0])
    fig = Figure(figsize=(7.5, 1.6 * len(fm.names)), layout="constrained")
    plot_feature_maps(fm, fig.subplots(len(fm.names), 5))
    fig.savefig(out / "feature_maps.png", dpi=110)
    print(f"figures saved in {out}/")


if __name__ == "__main__":
    main()
