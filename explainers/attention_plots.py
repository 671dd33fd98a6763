"""Drawing for :mod:`explainers.attention`: heat strips over words, weight matrices, patch maps."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Circle, Rectangle

from explainers._figure import axes_or_new
from explainers.attention import AttentionHistory, AttentionWeights, WorkedAttention
from models._arguments import check_choice, check_float, check_int, fail

__all__ = [
    "plot_token_attention", "plot_worked_vectors", "plot_attention_matrix", "plot_attention_sharpening",
    "plot_patch_attention",
]


def _rect(x: float, y: float, w: float, h: float) -> Rectangle:
    return Rectangle((x, y), w, h, fill=False, edgecolor="tab:blue", linewidth=2.5)


def _labels(words: Sequence[str] | None, n_keys: int) -> list[str]:
    """The key labels: the words given (at most one per key), else "pos i"."""
    if words is None:
        return [f"pos {i}" for i in range(n_keys)]
    words = [str(w) for w in words]
    if not 0 < len(words) <= n_keys:
        fail("words", words, f"1 to {n_keys} labels, one per key position")
    return words


def _index(name: str, value: int, n: int) -> int:
    """An index into ``n`` items; negative ones count from the end, as in NumPy."""
    return check_int(name, value, low=-n, high=n - 1) % n


def plot_token_attention(result: WorkedAttention | AttentionHistory, ax: Axes | None = None, *,
                         example: int = 0, step: int = -1, words: Sequence[str] | None = None,
                         highlight: int | None = None, title: str | None = None, cmap: str = "Reds",
                         vmax: float | None = 1.0) -> Axes:
    """A heat strip: one cell per word, shaded and labelled by its attention weight.

    What this shows: where the query's attention goes; the darkest cell is
    the word the model reads the answer from.

    Args:
        result: a :class:`WorkedAttention` (its words and weights), or an
            :class:`AttentionHistory` (note ``example`` after recorded epoch ``step``,
            default the last; ``words`` label its first positions, e.g. the decoded note).
        highlight: index of a word to outline (e.g. the true symptom word).
        vmax: the weight drawn darkest (default 1: weights are probabilities, so a
            uniform 0.11 looks pale everywhere); None scales to this strip's largest weight.
    """
    if isinstance(result, WorkedAttention):
        weights, words = np.asarray(result.weights, dtype=float), list(result.words)
        title = title or f"Attention of the query {result.query!r}"
    else:
        i = _index("step", step, len(result.epochs))
        row = result.weights[i, _index("example", example, result.weights.shape[1])]
        words = _labels(words, len(row))
        weights = np.asarray(row[: len(words)], dtype=float)
        title = title or f"After epoch {result.epochs[i]}"
    ax = axes_or_new(ax, (max(4.0, 0.75 * len(words)), 1.6))
    top = max(float(weights.max()), 1e-9) if vmax is None else check_float("vmax", vmax, low=0.0, low_open=True)
    ax.imshow(weights[None, :], cmap=cmap, vmin=0.0, vmax=top, aspect="auto")
    for i, a in enumerate(weights):
        colour = "white" if a > 0.6 * top else "black"
        ax.text(i, 0, f"{a:.2f}", ha="center", va="center", fontsize=9, color=colour)
    if highlight is not None and 0 <= highlight < len(words):
        ax.add_patch(_rect(highlight - 0.5, -0.5, 1, 1))
    ax.set_xticks(range(len(words)), words, rotation=35, ha="right", fontsize=9)
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)
    return ax


def plot_worked_vectors(result: WorkedAttention, ax: Axes | None = None) -> Axes:
    """The query and key vectors projected on their first two dimensions, with the context vector.

    What this shows: keys pointing the query's way (small angle) get large
    dot products; the context vector lands near the heavily weighted words.
    """
    ax = axes_or_new(ax, (5, 4))
    k, q, c = result.keys, result.query_vector, result.context
    ax.scatter(k[:, 0], k[:, 1], s=30 + 400 * result.weights, c=result.weights, cmap="Reds",
               edgecolor="k", vmin=0, vmax=1, zorder=3)
    for (a, b), w in zip(k[:, :2], result.words):
        ax.annotate(w, (a, b), xytext=(4, 4), textcoords="offset points", fontsize=8)
    scale = max(float(np.abs(k[:, :2]).max()), 1.0)
    qn = q[:2] / max(np.linalg.norm(q[:2]), 1e-9) * scale * 0.9
    ax.annotate("", xy=qn, xytext=(0, 0), arrowprops=dict(arrowstyle="->", color="tab:blue", lw=2))
    ax.text(*qn, f" query {result.query!r}", color="tab:blue", fontsize=9)
    ax.scatter([c[0]], [c[1]], marker="*", s=250, color="gold", edgecolor="k", zorder=4, label="context c = Σ αᵢvᵢ")
    ax.set_xlabel(result.dimensions[0])
    ax.set_ylabel(result.dimensions[1])
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    return ax


def plot_attention_matrix(result: AttentionWeights, ax: Axes | None = None, *, head: int = 0,
                          rows: str = "queries", example: int = 0, query: int = 0,
                          x_labels: Sequence[str] | None = None, y_labels: Sequence[str] | None = None,
                          title: str | None = None) -> Axes:
    """A weight matrix of one head: keys as columns.

    What this shows: with ``rows="queries"``, how each query of one example spreads its
    attention over the keys (every row sums to 1); with ``rows="examples"``, the same
    query on every example of the batch, one row each (e.g. the learned "symptom?"
    query over each note).
    """
    check_choice("rows", rows, ("queries", "examples"))
    batch, heads, queries, _ = result.weights.shape
    h = _index("head", head, heads)
    if rows == "queries":
        w = result.weights[_index("example", example, batch), h]
    else:
        w = result.weights[:, h, _index("query", query, queries)]
    ax = axes_or_new(ax, (max(4.0, 0.5 * w.shape[1]), max(1.5, 0.5 * w.shape[0] + 1)))
    im = ax.imshow(w, cmap="viridis", vmin=0.0, aspect="auto")
    ax.figure.colorbar(im, ax=ax, fraction=0.04)
    if x_labels is not None:
        ax.set_xticks(range(len(x_labels)), x_labels, rotation=35, ha="right", fontsize=8)
    ax.set_xlabel("keys")
    if y_labels is not None:
        ax.set_yticks(range(len(y_labels)), y_labels, fontsize=8)
    ax.set_ylabel(rows)
    ax.set_title(title or f"{result.layer_name}: head {h}", fontsize=10)
    return ax


def plot_attention_sharpening(result: AttentionHistory, ax: Axes | None = None, *, example: int = 0,
                              words: Sequence[str] | None = None, key_position: int | None = None,
                              last: int | None = None) -> Axes:
    """Attention on one example after every recorded epoch (rows), words as columns.

    What this shows: the weights start spread out and sharpen onto the word
    that carries the label as training goes.

    Args:
        example: which watched example (e.g. which held-out note).
        words: labels of its first positions (e.g. the decoded note; padding beyond is left out).
        key_position: the word to outline (the one that decides the label).
        last: show only the last this many epochs (default: all).
    """
    e = _index("example", example, result.weights.shape[1])
    words = _labels(words, result.weights.shape[2])
    w = np.asarray(result.weights[:, e, : len(words)], dtype=float)
    epochs = list(result.epochs)
    if last is not None:
        last = check_int("last", last, low=1)
        w, epochs = w[-last:], epochs[-last:]
    ax = axes_or_new(ax, (max(4.0, 0.6 * len(words)), 1.0 + 0.3 * len(epochs)))
    ax.imshow(w, cmap="Reds", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(words)), words, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(epochs)), [f"epoch {x}" for x in epochs], fontsize=8)
    if key_position is not None:
        ax.add_patch(_rect(key_position - 0.5, -0.5, 1, len(epochs)))
    ax.set_title("Attention on this note, epoch by epoch", fontsize=10)
    return ax


def plot_patch_attention(result: AttentionWeights | AttentionHistory, ax: Axes | None = None, *,
                         example: int = 0, step: int = -1, centre: Sequence[float] | None = None,
                         radius: float | None = None, title: str | None = None, alpha: float = 0.55,
                         vmax: float | None = None) -> Axes:
    """Attention over image patches drawn on the image.

    What this shows: which patches the learned query reads; once trained,
    the weight piles onto the patch holding the nodule.

    Args:
        result: the weights of :func:`explainers.compute_attention` on images (first head and
            query of ``example``), or an :class:`AttentionHistory` of images (``example`` after
            recorded epoch ``step``, default the last). Patches are in row-major order on a
            square grid.
        centre, radius: optional nodule to outline.
        vmax: the weight drawn brightest; give the same to panels shown side by side
            (default: this image's largest weight).
    """
    if isinstance(result, AttentionWeights):
        i = _index("example", example, result.weights.shape[0])
        w = result.weights[i, 0, 0]
    else:
        i = _index("example", example, result.weights.shape[1])
        w = result.weights[_index("step", step, len(result.epochs)), i]
    img = np.asarray(result.inputs[i], dtype=float)
    img = img[..., 0] if img.ndim == 3 else img
    if img.ndim != 2:
        fail("result", type(result).__name__, "attention over the patches of images (H, W) or (H, W, 1)",
             f"its inputs have shape {result.inputs.shape}")
    w = np.asarray(w, dtype=float)
    side = int(round(np.sqrt(w.size)))
    if side * side != w.size:
        fail("result", type(result).__name__, "weights over a square grid of patches",
             f"{w.size} patch weights do not form one")
    w = w.reshape(side, side)
    ax = axes_or_new(ax, (4, 4))
    h, wd = img.shape
    ax.imshow(img, cmap="gray", extent=(0, wd, h, 0))
    ax.imshow(w, cmap="inferno", alpha=alpha, extent=(0, wd, h, 0), interpolation="nearest",
              vmin=0.0, vmax=max(float(w.max()), 1e-9) if vmax is None else float(vmax))
    r, c = np.unravel_index(w.argmax(), w.shape)
    ph, pw = h / w.shape[0], wd / w.shape[1]
    ax.add_patch(_rect(c * pw, r * ph, pw, ph))
    if centre is not None and radius and centre[0] >= 0:
        ax.add_patch(Circle((centre[1] + 0.5, centre[0] + 0.5), radius, fill=False, edgecolor="lime", lw=1.5))
    ax.set_axis_off()
    ax.set_title(title or f"max weight {w.max():.2f}", fontsize=9)
    return ax
