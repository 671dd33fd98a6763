"""Drawing for :mod:`explainers.attention`: heat strips over words, weight matrices, patch maps."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explainers.attention import AttentionResult, WorkedAttention


def _axes(ax: Axes | None, w: float, h: float) -> Axes:
    return Figure(figsize=(w, h), layout="constrained").subplots() if ax is None else ax


def plot_token_attention(result: WorkedAttention | np.ndarray, words: Sequence[str] | None = None,
                         ax: Axes | None = None, highlight: int | None = None, title: str | None = None,
                         cmap: str = "Reds", vmax: float | None = 1.0) -> Axes:
    """A heat strip: one cell per word, shaded and labelled by its attention weight.

    What this shows: where the query's attention goes; the darkest cell is
    the word the model reads the answer from.

    Args:
        result: a :class:`WorkedAttention`, or a 1-D array of weights (then give ``words``).
        words: the words (taken from ``result`` when it is a WorkedAttention).
        highlight: index of a word to outline (e.g. the true symptom word).
    """
    if isinstance(result, WorkedAttention):
        weights, words = result.weights, list(result.words)
        title = title or f"Attention of the query {result.query!r}"
    else:
        weights = np.asarray(result, dtype=float)
        if weights.ndim != 1 or words is None or len(words) != len(weights):
            raise ValueError(f"give 1-D weights and as many words: got weights {weights.shape} and "
                             f"{None if words is None else len(words)} words")
    ax = _axes(ax, max(4.0, 0.75 * len(words)), 1.6)
    # Weights are probabilities: 0 to 1 by default, the scale of the epoch-by-epoch grid, so a
    # uniform 0.11 looks pale in both (vmax=None: scaled to this strip's largest weight).
    top = max(float(weights.max()), 1e-9) if vmax is None else float(vmax)
    ax.imshow(weights[None, :], cmap=cmap, vmin=0.0, vmax=top, aspect="auto")
    for i, (w, a) in enumerate(zip(words, weights)):
        colour = "white" if a > 0.6 * top else "black"
        ax.text(i, 0, f"{a:.2f}", ha="center", va="center", fontsize=9, color=colour)
    if highlight is not None and 0 <= highlight < len(words):
        ax.add_patch(_rect(highlight - 0.5, -0.5, 1, 1))
    ax.set_xticks(range(len(words)), words, rotation=35, ha="right", fontsize=9)
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def _rect(x, y, w, h):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, fill=False, edgecolor="tab:blue", linewidth=2.5)


def plot_worked_vectors(result: WorkedAttention, ax: Axes | None = None) -> Axes:
    """The query and key vectors projected on their first two dimensions, with the context vector.

    What this shows: keys pointing the query's way (small angle) get large
    dot products; the context vector lands near the heavily weighted words.
    """
    ax = _axes(ax, 5, 4)
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


def plot_attention_matrix(result: AttentionResult | np.ndarray, x_labels: Sequence[str] | None = None,
                          y_labels: Sequence[str] | None = None, ax: Axes | None = None, head: int = 0,
                          example: int = 0, title: str | None = None) -> Axes:
    """Queries × keys weight matrix of one head for one example (or any 2-D weights).

    What this shows: row i says how query i spreads its attention over the
    keys; every row sums to 1.
    """
    if isinstance(result, AttentionResult):
        w = result.weights[example, head]
        title = title or f"{result.layer_name}: head {head}"
    else:
        w = np.asarray(result, dtype=float)
        if w.ndim == 4:
            w = w[example, head]
    if w.ndim != 2:
        raise ValueError(f"weights must be 2-D (queries, keys) or (batch, heads, queries, keys), got {w.shape}")
    ax = _axes(ax, max(4.0, 0.5 * w.shape[1]), max(1.5, 0.5 * w.shape[0] + 1))
    im = ax.imshow(w, cmap="viridis", vmin=0.0, aspect="auto")
    ax.figure.colorbar(im, ax=ax, fraction=0.04)
    if x_labels is not None:
        ax.set_xticks(range(len(x_labels)), x_labels, rotation=35, ha="right", fontsize=8)
    ax.set_xlabel("keys")
    if y_labels is not None:
        ax.set_yticks(range(len(y_labels)), y_labels, fontsize=8)
    ax.set_ylabel("queries")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_attention_sharpening(epochs: Sequence[int], weights: np.ndarray, words: Sequence[str],
                              ax: Axes | None = None, key_position: int | None = None) -> Axes:
    """Attention on one note after every epoch (rows), words as columns.

    What this shows: the weights start spread out and sharpen onto the word
    that carries the label as training goes.
    """
    w = np.asarray(weights, dtype=float)
    ax = _axes(ax, max(4.0, 0.6 * len(words)), 1.0 + 0.3 * len(epochs))
    ax.imshow(w, cmap="Reds", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(words)), words, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(epochs)), [f"epoch {e}" for e in epochs], fontsize=8)
    if key_position is not None:
        ax.add_patch(_rect(key_position - 0.5, -0.5, 1, len(epochs)))
    ax.set_title("Attention on this note, epoch by epoch", fontsize=10)
    return ax


def plot_patch_attention(image: np.ndarray, weights: np.ndarray, ax: Axes | None = None,
                         centre: Sequence[float] | None = None, radius: float | None = None,
                         title: str | None = None, alpha: float = 0.55, vmax: float | None = None) -> Axes:
    """Attention over image patches drawn on the image.

    What this shows: which patches the learned query reads; once trained,
    the weight piles onto the patch holding the nodule.

    Args:
        image: (H, W) or (H, W, 1).
        weights: (patches,) weights of one query, patches in row-major order
            on a square grid (or already (rows, cols)).
        centre, radius: optional nodule to outline.
        vmax: the weight drawn brightest; give the same to panels shown side by side
            (default: this image's largest weight).
    """
    img = np.asarray(image, dtype=float)
    img = img[..., 0] if img.ndim == 3 else img
    w = np.asarray(weights, dtype=float)
    if w.ndim == 1:
        side = int(round(np.sqrt(w.size)))
        if side * side != w.size:
            raise ValueError(f"{w.size} patch weights do not form a square grid; pass them as (rows, cols)")
        w = w.reshape(side, side)
    ax = _axes(ax, 4, 4)
    h, wd = img.shape
    ax.imshow(img, cmap="gray", extent=(0, wd, h, 0))
    ax.imshow(w, cmap="inferno", alpha=alpha, extent=(0, wd, h, 0), interpolation="nearest",
              vmin=0.0, vmax=max(float(w.max()), 1e-9) if vmax is None else float(vmax))
    r, c = np.unravel_index(w.argmax(), w.shape)
    ph, pw = h / w.shape[0], wd / w.shape[1]
    ax.add_patch(_rect(c * pw, r * ph, pw, ph))
    if centre is not None and radius and centre[0] >= 0:
        from matplotlib.patches import Circle

        ax.add_patch(Circle((centre[1] + 0.5, centre[0] + 0.5), radius, fill=False, edgecolor="lime", lw=1.5))
    ax.set_axis_off()
    ax.set_title(title or f"max weight {w.max():.2f}", fontsize=9)
    return ax
