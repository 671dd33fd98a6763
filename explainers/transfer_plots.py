"""Drawing for :func:`models.recipes.compare_transfer_strategies`: validation curves per fine-tuning strategy."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from explainers._figure import axes_or_new
from models.recipes import TransferResult

__all__ = ["plot_transfer"]


def plot_transfer(result: TransferResult, ax: Axes | None = None, *, metric: str = "accuracy") -> Axes:
    """Validation accuracy (or loss) per epoch for scratch and the three transfer strategies."""
    ax = axes_or_new(ax, (6.0, 3.5))
    curves = result.val_accuracy if metric == "accuracy" else result.val_loss
    styles = {"scratch": ("k", "--")}
    for s in result.strategies:
        c = curves[s]
        colour, ls = styles.get(s, (None, "-"))
        ax.plot(np.arange(1, len(c) + 1), c, ls=ls, color=colour, marker="o", ms=3,
                label=f"{s} ({result.trainable[s]:,} trainable)")
    ax.set_xlabel("fine-tuning epoch")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel(f"validation {metric}")
    ax.set_title(f"{result.n_target} labelled lesion images")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)  # beside the curves
    ax.grid(alpha=0.3)
    return ax
