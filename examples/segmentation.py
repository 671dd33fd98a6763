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

from explainers.feature_maps import compute_feature_maps  # noqa: E402
from explainers.feature_maps_plots import plot_feature_maps  # noqa: E402
from explainers.segmentation import (  # noqa: E402
    STAGE_PATTERN, compute_dice_table, compute_imbalance_trap, compute_mask_prediction,
)
from explainers.segmentation_plots import (  # noqa: E402
    plot_dice_table, plot_imbalance, plot_overlay, plot_scores, plot_segmentation_panels,
)
from explainers.upsampling import UPSAMPLING_METHODS, compute_upsampling  # noqa: E402
from explainers.upsampling_plots import plot_upsampling  # noqa: E402
from models.recipes import DEFAULT_SEGMENTATION_RECIPE, segmentation_data, train_segmentation  # noqa: E402

__all__ = ["main"]


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
    plot_dice_table(table).savefig(out / "dice_table.png", dpi=110)

    fig = Figure(figsize=(10, 8), layout="constrained")
    for row, method in zip(fig.subfigures(len(UPSAMPLING_METHODS), 1), UPSAMPLING_METHODS):
        demo = compute_upsampling(method)
        plot_upsampling(demo, row)
        row.supylabel(method, fontsize=9)
        print(f"{method:14s} output {demo.output.shape}, parameters at {demo.params_at}")
    fig.savefig(out / "upsampling.png", dpi=110)

    recipe = replace(DEFAULT_SEGMENTATION_RECIPE, epochs=1, base_filters=4, depth=1, n_train=64, n_val=16) \
        if args.quick else DEFAULT_SEGMENTATION_RECIPE
    data = segmentation_data(recipe)
    run = train_segmentation(recipe, data=data)
    monitor = run.monitor
    print(f"U-Net ({run.model.count_params():,} parameters), {len(run.history)} epoch(s): "
          f"validation Dice {monitor.dice[-1]:.3f}, IoU {monitor.iou[-1]:.3f}")

    xv, yv = data.x_val, data.y_val
    small = int(yv.sum((1, 2, 3)).argmin())
    shown = compute_mask_prediction(run.model, xv[small], yv[small])
    trap = compute_imbalance_trap(shown.mask, {"U-Net": shown.prob})
    for name, acc, dice in zip(trap.names, trap.pixel_accuracy, trap.dice):
        print(f"{name:15s} pixel accuracy {acc:.3f}  Dice {dice:.3f}")
    plot_imbalance(trap).figure.savefig(out / "imbalance.png", dpi=110)
    plot_overlay(shown, title="smallest validation lesion").figure.savefig(out / "overlay.png", dpi=110)

    plot_segmentation_panels(monitor.snapshot, Figure(figsize=(8, 6), layout="constrained")).savefig(
        out / "panels.png", dpi=110)
    plot_scores(monitor.history).figure.savefig(out / "scores.png", dpi=110)

    fm = compute_feature_maps(run.model, xv[0], pattern=STAGE_PATTERN, max_channels=4)
    plot_feature_maps(fm, max_maps=4).savefig(out / "feature_maps.png", dpi=110)
    print(f"figures saved in {out}/")


if __name__ == "__main__":
    main()
