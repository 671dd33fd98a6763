"""Drawing the sanity checks: the methods side by side, the maps degrading under randomisation, the curves."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explainers._figure import axes_or_new, figure_or_new
from explainers.sanity import SanityChecks
from models._arguments import check_choice, check_int

__all__ = ["plot_sanity_maps", "plot_sanity_cascade", "plot_sanity_curves"]


def _shown(m: np.ndarray) -> np.ndarray:
    """|map| scaled to [0, 1] (as the sanity check's SSIM sees it)."""
    a = np.abs(m)
    return a / a.max() if a.max() > 0 else a


def _image_axis(ax: Axes, result: SanityChecks, image: int, title: str = "image") -> None:
    im = result.images[image]
    ax.imshow(im[..., 0] if im.shape[-1] == 1 else im, cmap="gray")
    ax.set_title(title, fontsize=10)
    ax.set_axis_off()


def plot_sanity_maps(result: SanityChecks, fig: Figure | None = None, *, image: int = 0) -> Figure:
    """The trained model's map of every method on one image, side by side (|map| scaled to [0, 1])."""
    image = check_int("image", image, low=0, high=len(result.images) - 1)
    n = len(result.methods) + 1
    fig = figure_or_new(fig, (2.0 * n, 2.4))
    axes = fig.subplots(1, n)
    _image_axis(axes[0], result, image)
    for ax, label, maps in zip(axes[1:], result.labels, result.original):
        ax.imshow(_shown(maps[image]), cmap="inferno", vmin=0, vmax=1)
        ax.set_title(label, fontsize=10)
        ax.set_axis_off()
    return fig


def plot_sanity_cascade(result: SanityChecks, fig: Figure | None = None, *, image: int = 0) -> Figure:
    """Rows: methods; columns: the trained map, then the map after each cascading randomisation step.

    Each panel is |map| scaled to [0, 1]; its title gives the step's mean Spearman ρ of |maps| with the
    trained maps (over all checked images).
    """
    image = check_int("image", image, low=0, high=len(result.images) - 1)
    rows, steps = len(result.methods), len(result.layers)
    fig = figure_or_new(fig, (1.6 * (steps + 2), 1.6 * rows + 0.6))
    axes = np.atleast_2d(fig.subplots(rows, steps + 2))
    for r in range(rows):
        _image_axis(axes[r, 0], result, image, "image" if r == 0 else "")
        axes[r, 1].imshow(_shown(result.original[r, image]), cmap="inferno", vmin=0, vmax=1)
        axes[r, 1].set_title("trained" if r == 0 else "", fontsize=9)
        for s in range(steps):
            ax = axes[r, s + 2]
            ax.imshow(_shown(result.cascade[r, s, image]), cmap="inferno", vmin=0, vmax=1)
            top = f"+ {result.layers[s]}\n" if r == 0 else ""
            ax.set_title(f"{top}ρ {result.cascade_spearman_abs[r, s]:.2f}", fontsize=9)
        for ax in axes[r, 1:]:
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 1].set_ylabel(result.labels[r], fontsize=10)
    fig.suptitle("Cascading randomisation, output layer first (ρ: Spearman of |maps| with the trained maps)",
                 fontsize=11)
    return fig


_METRICS = {"spearman_abs": ("Spearman ρ of |maps|", "spearman_abs"), "spearman": ("Spearman ρ", "spearman"),
            "ssim": ("SSIM", "ssim")}


def plot_sanity_curves(result: SanityChecks, ax: Axes | None = None, *, metric: str = "spearman_abs",
                       kind: str = "cascade") -> Axes:
    """Similarity to the trained maps against the randomisation step, one line per method, the pass mark dashed."""
    metric = check_choice("metric", metric, tuple(_METRICS))
    kind = check_choice("kind", kind, ("cascade", "independent"))
    label, field = _METRICS[metric]
    values = getattr(result, f"{kind}_{field}")
    ax = axes_or_new(ax, (6.0, 3.6))
    steps = np.arange(values.shape[1] + (1 if kind == "cascade" else 0))
    for i, name in enumerate(result.labels):
        ys = np.concatenate([[1.0], values[i]]) if kind == "cascade" else values[i]
        ax.plot(steps, ys, marker="o", label=name)
    if metric != "ssim":
        ax.axhline(result.threshold, color="grey", ls="--", lw=1)
        ax.text(steps[-1], result.threshold, f" pass mark {result.threshold:g}", va="bottom", ha="right",
                fontsize=9, color="grey")
    ticks = (["trained"] if kind == "cascade" else []) + [
        ("+" if kind == "cascade" else "") + name.split("/")[-1] for name in result.layers]
    ax.set_xticks(steps, ticks, rotation=30, ha="right")
    if kind == "cascade" and 0 < result.head_steps < len(result.layers):
        ax.axvspan(0.5, result.head_steps + 0.5, color="tab:blue", alpha=0.07, lw=0)
        ax.text(0.6, 0.02, "head", transform=ax.get_xaxis_transform(), fontsize=9, color="tab:blue")
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel(label)
    ax.set_title(("Cascading" if kind == "cascade" else "Independent") + " randomisation", fontsize=11)
    ax.legend(fontsize=8, loc="lower left")
    return ax
