"""Drawing for :mod:`explainers.bases`: PCA reconstructions, the Fourier fit, supervised vs unsupervised."""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explainers._figure import axes_or_new, figure_or_new
from explainers.bases import FourierFit, PcaApproximation, Supervision

__all__ = ["plot_pca_approximation", "plot_pca_components", "plot_pca_errors", "plot_fourier_fit",
           "plot_fourier_coefficients", "plot_supervision"]


def plot_pca_approximation(result: PcaApproximation, fig: Figure | None = None) -> Figure:
    """One row per image shown: the original, then its rebuild from k = 1, 2, 4, 16 components."""
    r = result
    s, n_k = len(r.originals), len(r.ks)
    fig = figure_or_new(fig, (1.35 * (n_k + 1), 1.45 * s + 0.3))
    axes = np.asarray(fig.subplots(s, n_k + 1, squeeze=False))
    lo, hi = float(r.originals.min()), float(r.originals.max())
    for i in range(s):
        panels = [(r.originals[i], "original")] + [(r.reconstructions[i, j], f"k = {k}") for j, k in enumerate(r.ks)]
        for ax, (img, title) in zip(axes[i], panels):
            ax.imshow(img, cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(title, fontsize=9)
    return fig


def plot_pca_components(result: PcaApproximation, fig: Figure | None = None) -> Figure:
    """The mean image and the first principal components (the basis images), with their share of variance."""
    r = result
    n = min(len(r.components), 7)
    fig = figure_or_new(fig, (1.35 * (n + 1), 1.6))
    axes = fig.subplots(1, n + 1)
    axes[0].imshow(r.mean, cmap="gray", interpolation="nearest")
    axes[0].set_title("mean", fontsize=9)
    for j in range(n):
        c = r.components[j]
        m = float(np.abs(c).max()) or 1.0
        axes[j + 1].imshow(c, cmap="RdBu_r", vmin=-m, vmax=m, interpolation="nearest")
        axes[j + 1].set_title(f"φ{j + 1}: {100 * r.explained_variance_ratio[j]:.0f} %", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def plot_pca_errors(result: PcaApproximation, ax: Axes | None = None) -> Axes:
    """Relative reconstruction error over the whole set against k (k = 0 is the mean image alone)."""
    ax = axes_or_new(ax, (4.0, 3.0))
    ks = np.concatenate([[0], result.ks])
    rel = np.concatenate([[1.0], result.relative_error])
    ax.plot(ks, 100 * rel, "o-", color="tab:blue")
    for k, e in zip(result.ks, result.relative_error):
        ax.annotate(f"{100 * e:.0f} %", (k, 100 * e), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel("components k")
    ax.set_ylabel("error ‖X − X̂‖ / ‖X − mean‖ (%)")
    ax.set_ylim(0, 105)
    ax.set_title(f"{result.n_images} images of {result.shape[0]}×{result.shape[1]} pixels", fontsize=10)
    ax.grid(alpha=0.3)
    return ax


def plot_fourier_fit(result: FourierFit, ax: Axes | None = None, *, neural: Any = None) -> Axes:
    """The samples, the lecture's curve and the least-squares fit; with ``neural`` (a
    ``models.recipes.CurveFit``) the network's fit of the same curve on top."""
    ax = axes_or_new(ax, (6.0, 3.4))
    r = result
    ax.plot(r.grid, r.truth, color="0.6", lw=3, label="5 cos x + 7 cos 2x + cos 4x")
    ax.plot(r.x, r.y, "o", color="black", ms=4, label=f"{len(r.x)} samples")
    ax.plot(r.grid, r.fitted, color="tab:blue", lw=1.4,
            label=f"least squares, {r.n_coefficients} coefficients")
    if neural is not None:
        ax.plot(neural.x, neural.y_pred, color="tab:red", lw=1.4, ls="--",
                label=f"network, {'-'.join(map(str, neural.hidden))} tanh, {neural.params} parameters")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.legend(fontsize=8, loc="lower center", ncols=2)
    ax.set_ylim(-12, 15)
    ax.grid(alpha=0.3)
    return ax


def plot_fourier_coefficients(result: FourierFit, ax: Axes | None = None) -> Axes:
    """Fitted cosine and sine coefficients per frequency beside the lecture's 5, 7, 1."""
    ax = axes_or_new(ax, (4.0, 3.4))
    r = result
    j = r.frequencies
    ax.bar(j - 0.27, r.true_cos, 0.27, color="0.7", label="lecture: cos")
    ax.bar(j, r.cos_coefficients, 0.27, color="tab:blue", label="fitted: cos jx")
    ax.bar(j + 0.27, r.sin_coefficients, 0.27, color="tab:orange", label="fitted: sin jx")
    ax.axhline(0, color="0.4", lw=0.6)
    ax.set_xticks(j)
    ax.set_xlabel("frequency j")
    ax.set_ylabel("coefficient")
    ax.legend(fontsize=8)
    return ax


def plot_supervision(result: Supervision, fig: Figure | None = None) -> Figure:
    """Left: the points with labels and the classifier's boundary. Right: the same points without labels,
    coloured by k-means cluster, with the PCA axes."""
    r = result
    fig = figure_or_new(fig, (9.0, 4.0))
    left, right = fig.subplots(1, 2, sharex=True, sharey=True)
    colours = np.array(["tab:blue", "tab:red"])
    for c in (0, 1):
        left.scatter(*r.x[r.y == c].T, s=9, color=colours[c], alpha=0.6, label=r.class_names[c])
    lo, hi = r.x.min(axis=0), r.x.max(axis=0)
    pad = 0.05 * (hi - lo)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], 50)
    w, b = r.boundary_w, r.boundary_b
    if abs(w[1]) > 1e-12:
        left.plot(xs, -(w[0] * xs + b) / w[1], color="black", lw=1.5, label="boundary")
    else:
        left.axvline(-b / w[0], color="black", lw=1.5, label="boundary")
    left.set_title(f"Supervised: labels → boundary ({100 * r.accuracy:.0f} % right)", fontsize=10)
    left.legend(fontsize=8, loc="upper left")
    cmap = ["tab:green", "tab:purple", "tab:olive", "tab:cyan", "tab:brown", "tab:pink"]
    for j in range(len(r.centres)):
        right.scatter(*r.x[r.clusters == j].T, s=9, color=cmap[j], alpha=0.6, label=f"cluster {j + 1}")
    right.scatter(*r.centres.T, marker="X", s=90, color="black", label="centres")
    for axis, var, name in zip(r.pca_axes, r.pca_variance, ("PC1", "PC2")):
        d = 2 * np.sqrt(var) * axis
        right.annotate("", xy=r.pca_mean + d, xytext=r.pca_mean,
                       arrowprops={"arrowstyle": "->", "lw": 2, "color": "black"})
        right.text(*(r.pca_mean + 1.1 * d), name, fontsize=9, fontweight="bold")
    right.set_title(f"Unsupervised: no labels → PCA axes, {len(r.centres)} clusters", fontsize=10)
    right.legend(fontsize=8, loc="upper left")
    for ax in (left, right):
        ax.set_xlabel(r.names[0])
        ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    left.set_ylabel(r.names[1])
    return fig
