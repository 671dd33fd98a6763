"""Drawings for the overfitting lesson: parameter counts, train vs validation curves, the final gap."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explainers._figure import axes_or_new, figure_or_new
from explainers.overfitting import ParameterCount
from models.recipes.overfitting import OverfittingComparison

__all__ = ["plot_parameter_count", "plot_overfitting_curves", "plot_overfitting_summary"]

TRAIN_COLOUR, VALIDATION_COLOUR = "0.45", "C0"


def plot_parameter_count(result: ParameterCount, ax: Axes | None = None) -> Axes:
    """Parameters per dense layer, the dense total and one conv layer with as many filters, on a log scale."""
    ax = axes_or_new(ax, (6.0, 2.8))
    labels = [*(f"dense {name}" for name in result.layers), "dense net, total",
              f"conv layer, {result.conv_filters:,} filters {result.kernel_size}×{result.kernel_size}"]
    values = [*result.counts, result.total, result.conv_count]
    colours = ["C1"] * len(result.counts) + ["C3", "C0"]
    y = np.arange(len(values))[::-1]
    ax.barh(y, values, color=colours)
    ax.set_xscale("log")
    ax.set_yticks(y, labels)
    top = max(values)
    for yi, v in zip(y, values):
        ax.text(v * 1.15, yi, f"{v:,}", va="center", fontsize=10)
    ax.set_xlim(min(values) / 3, top * 60)  # room for the numbers right of the longest bar
    ax.set_xlabel("parameters (log scale)")
    h, w, c = result.input_shape
    ax.set_title(f"{h} × {w} × {c} image: {result.total:,} parameters", fontsize=12)
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_overfitting_curves(result: OverfittingComparison, fig: Figure | None = None, *,
                            metric: str = "accuracy", columns: int | None = None) -> Figure:
    """One panel per run: training (grey, dashed) and validation (blue) ``metric`` per epoch, on shared axes.

    A run that stopped early marks the epoch whose weights it kept. ``columns``
    panels per row (default: all runs in one row).
    """
    runs = [r for r in result.runs if r in result.curves]
    columns = max(1, min(columns or len(runs) or 1, max(len(runs), 1)))
    n_rows = -(-max(len(runs), 1) // columns)
    fig = figure_or_new(fig, (2.6 * columns + 0.6, 2.7 * n_rows))
    if not runs:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no finished epochs yet", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    grid = fig.subplots(n_rows, columns, sharey=True, squeeze=False)
    for ax in grid.flat[len(runs):]:
        ax.set_axis_off()
    axes = list(grid.flat[:len(runs)])
    for ax, run in zip(axes, runs):
        curves = result.curves[run]
        train, val = curves.get(metric, np.array([])), curves.get(f"val_{metric}", np.array([]))
        epochs = np.arange(1, len(val) + 1)
        ax.plot(np.arange(1, len(train) + 1), train, color=TRAIN_COLOUR, ls="--", label="training")
        ax.plot(epochs, val, color=VALIDATION_COLOUR, label="validation")
        kept = result.kept_epoch.get(run, 0)
        if 0 < kept < len(val):
            ax.axvline(kept, color="C3", lw=1.0, ls=":")
            ax.annotate(f"kept\nepoch {kept}", (kept, 0.02), xycoords=("data", "axes fraction"), fontsize=9,
                        color="C3", ha="right")
        ax.set_title(f"{run}\n{result.parameters[run]:,} params", fontsize=11)
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
    for row in grid:
        row[0].set_ylabel(metric)
    if metric == "accuracy":
        axes[0].set_ylim(0.3, 1.03)
        for ax in axes:
            ax.axhline(0.5, color="0.75", lw=0.8)
    axes[-1].legend(loc="lower right", fontsize=9)
    return fig


def plot_overfitting_summary(result: OverfittingComparison, ax: Axes | None = None) -> Axes:
    """Training and validation accuracy at the kept epoch of each run, side by side, with the gap written."""
    ax = axes_or_new(ax, (5.5, 3.0))
    rows = result.table()
    x = np.arange(len(rows))
    train = [r["training accuracy"] for r in rows]
    val = [r["validation accuracy"] for r in rows]
    ax.bar(x - 0.2, train, 0.4, color=TRAIN_COLOUR, label="training")
    ax.bar(x + 0.2, val, 0.4, color=VALIDATION_COLOUR, label="validation")
    for xi, r in zip(x, rows):
        ax.text(xi, max(r["training accuracy"], r["validation accuracy"]) + 0.02, f"gap {r['gap']:+.2f}",
                ha="center", fontsize=9)
    ax.set_xticks(x, [r["run"] for r in rows], rotation=20 if len(rows) > 4 else 0)
    ax.set_ylim(0.0, 1.15)
    ax.axhline(0.5, color="0.6", lw=0.8)
    ax.set_ylabel("accuracy")
    ax.set_title("At the epoch each run kept", fontsize=12)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    return ax
