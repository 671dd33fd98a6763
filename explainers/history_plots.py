"""Drawing for :class:`models.training.TrainingHistory`: learning curves per epoch.

A script that trains with :func:`models.train` draws its history the way the
app does::

    history = train(model, x, y, epochs=5, validation_data=(xv, yv))
    ax = plot_history(history, metric="accuracy")
    ax.figure.savefig("accuracy.png")
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from explainers._figure import axes_or_new
from models._arguments import fail
from models.training import TrainingHistory

__all__ = ["plot_history"]


def _keys(metric: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(metric, str) and metric:
        return (metric,) if metric.startswith("val_") else (metric, f"val_{metric}")
    if not isinstance(metric, str) and isinstance(metric, Sequence) and metric \
            and all(isinstance(k, str) and k for k in metric):
        return tuple(metric)
    fail("metric", metric, "a metric name such as 'loss' or a tuple of history keys",
         "e.g. metric='accuracy' or metric=('loss', 'accuracy')")


def plot_history(history: TrainingHistory, ax: Axes | None = None, *, metric: str | Sequence[str] = "loss",
                 title: str = "Learning curves") -> Axes:
    """Learning curves: one metric per epoch, on the training and the validation data.

    What this shows: both curves falling together means the model is learning;
    the validation curve turning up while training still falls is overfitting.

    Args:
        history: what :func:`models.train` returned.
        ax: the Axes to draw on (a new 5 x 3 inch figure when ``None``).
        metric: a name such as ``"loss"`` or ``"accuracy"`` draws it and its
            ``val_`` counterpart; a tuple of keys draws exactly those, e.g.
            ``("loss", "accuracy")``. Keys the history lacks are left out.
        title: the panel's title.

    Returns:
        The Axes, with epochs (whole numbers) on the x axis.
    """
    curves = getattr(history, "history", None)
    if not isinstance(curves, Mapping):
        fail("history", history, "a models.training.TrainingHistory (what models.train returns)")
    keys = _keys(metric)
    ax = axes_or_new(ax, (5.0, 3.0))
    for key in keys:
        if key in curves:
            values = list(curves[key])
            ax.plot(range(1, len(values) + 1), values, marker="o", ms=3, label=key)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole: no 0.96–1.04 ticks
    ax.set_title(title)
    if any(k in curves for k in keys):
        ax.legend()
    ax.grid(alpha=0.3)
    return ax
