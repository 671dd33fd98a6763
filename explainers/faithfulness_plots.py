"""Drawing for :mod:`explainers.faithfulness`: deletion and insertion curves per method."""
from __future__ import annotations

from matplotlib.figure import Figure

from explainers._figure import figure_or_new
from explainers.faithfulness import DeletionInsertion

__all__ = ["plot_deletion_insertion"]


def plot_deletion_insertion(result: DeletionInsertion, fig: Figure | None = None) -> Figure:
    """Two panels, deletion and insertion: the class score against the share of pixels removed / added,
    one line per method (the random ranking dashed grey), each labelled with its area under the curve.

    What this shows: a faithful map's deletion curve falls faster (lower AUC) and its insertion curve
    rises faster (higher AUC) than the random ranking's.
    """
    fig = figure_or_new(fig, (8.0, 3.4))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, curves, areas, title, better in (
            (axes[0], result.deletion, result.deletion_auc, "Deletion", "lower"),
            (axes[1], result.insertion, result.insertion_auc, "Insertion", "higher")):
        for name, curve, area in zip(result.methods, curves, areas):
            style = dict(color="grey", ls="--", lw=1.2) if name == "random" else dict(lw=1.6)
            ax.plot(result.fractions, curve, label=f"{name}: AUC {area:.3f}", **style)
        ax.set_title(f"{title} (AUC: {better} is better)", fontsize=9)
        ax.set_xlabel(f"share of pixels {'removed' if title == 'Deletion' else 'added'}", fontsize=8)
        ax.set_xlim(0, 1)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="best", frameon=False)
    axes[0].set_ylabel(f"score of class {result.class_index}", fontsize=8)
    return fig
