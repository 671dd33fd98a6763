"""Drawing for :mod:`explainers.pooling`: pooled images, downsampling side by side, global pooling, CAM."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from explainers._figure import axes_or_new, figure_or_new
from explainers.pooling import CamComparison, ClassActivationMap, Downsampling, GlobalPooling, Pooling
from models._arguments import check_int

__all__ = ["plot_pooling", "plot_downsampling", "plot_global_pooling", "plot_cam", "plot_cam_terms",
           "plot_cam_comparison"]


def _show(ax: Axes, image: np.ndarray, title: str, vmin: float | None = None, vmax: float | None = None,
          cmap: str = "gray") -> None:
    ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_title(title)
    ax.set_axis_off()


def plot_pooling(result: Pooling, fig: Figure | None = None) -> Figure:
    """The image, its max pooling and its average pooling, on one grey scale.

    What this shows: the same window, two summaries: bright thin details stay
    bright under max pooling and fade under average pooling.
    """
    fig = figure_or_new(fig, (10.0, 3.8))
    axes = fig.subplots(1, 3)
    lo, hi = float(result.image.min()), float(result.image.max())
    h, w = result.image.shape
    oh, ow = result.output_shape
    window = f"{result.size}×{result.size}, stride {result.stride}"
    _show(axes[0], result.image, f"input {h}×{w}", lo, hi)
    _show(axes[1], result.maximum, f"max pool {window}\n→ {oh}×{ow}", lo, hi)
    _show(axes[2], result.average, f"average pool {window}\n→ {oh}×{ow}", lo, hi)
    return fig


def plot_downsampling(result: Downsampling, fig: Figure | None = None) -> Figure:
    """Every S-th pixel, a stride-S convolution, S×S max pooling and S×S average pooling, side by side.

    What this shows: four ways to a smaller image, with each one's output size
    and the number of weights it has to learn.
    """
    fig = figure_or_new(fig, (11.0, 3.6))
    axes = fig.subplots(1, 4)
    s = result.stride
    lo, hi = float(result.image.min()), float(result.image.max())
    k = result.kernel.shape[0]
    name = f" ({result.kernel_name})" if result.kernel_name else ""

    def size(a: np.ndarray) -> str:
        return f"{a.shape[0]}×{a.shape[1]}"

    _show(axes[0], result.subsampled, f"every {s}nd pixel\n{size(result.subsampled)} · 0 weights"
          if s == 2 else f"every {s}th pixel\n{size(result.subsampled)} · 0 weights", lo, hi)
    _show(axes[1], result.convolved, f"{k}×{k} conv{name}, stride {s}\n{size(result.convolved)} · "
                                     f"{result.conv_parameters} weights")
    _show(axes[2], result.maximum, f"{s}×{s} max pool\n{size(result.maximum)} · 0 weights", lo, hi)
    _show(axes[3], result.average, f"{s}×{s} average pool\n{size(result.average)} · 0 weights", lo, hi)
    return fig


def plot_global_pooling(result: GlobalPooling, fig: Figure | None = None, *, index: int = 0,
                        channels: int = 4) -> Figure:
    """One image's strongest feature maps, each with its mean and maximum, and both poolings of every map.

    What this shows: global average pooling and global max pooling read the
    same maps differently: a small bright spot raises a map's maximum far more
    than its mean.

    Args:
        result: from :func:`explainers.pooling.compute_global_pooling`.
        index: which image of the batch.
        channels: how many maps to show (those with the largest maximum).
    """
    index = check_int("index", index, low=0, high=len(result.maps) - 1)
    channels = check_int("channels", channels, low=1, high=result.maps.shape[-1])
    fig = figure_or_new(fig, (11.0, 5.6))
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.1, 1.0])
    axes = top.subplots(1, channels + 1)
    image = result.images[index]
    _show(axes[0], image[..., 0] if image.shape[-1] == 1 else image, "image")
    order = np.argsort(result.maximum[index])[::-1][:channels]
    for ax, k in zip(axes[1:], order):
        _show(ax, result.maps[index, :, :, k], f"map {k}\nmean {result.average[index, k]:.2f} · "
                                              f"max {result.maximum[index, k]:.2f}", cmap="magma")
    ax = bottom.subplots()
    n = result.maps.shape[-1]
    xs = np.arange(n)
    ax.bar(xs - 0.2, result.average[index], width=0.4, label="global average (mean)", color="tab:blue")
    ax.bar(xs + 0.2, result.maximum[index], width=0.4, label="global max", color="tab:orange")
    ax.set_xlabel(f"feature map k of {result.layer_name}")
    ax.set_ylabel("pooled value")
    ax.set_xlim(-0.7, n - 0.3)
    ax.legend(loc="upper right")
    return fig


def plot_cam(result: ClassActivationMap, ax: Axes | None = None, *, alpha: float = 0.5,
             centre: Sequence[float] | None = None, radius: float | None = None) -> Axes:
    """The CAM heatmap over the image, its peak marked (+), a nodule outlined in green if given.

    What this shows: where the output layer's weights find the evidence for the class.
    """
    ax = axes_or_new(ax, (4, 4))
    img = result.image[..., 0] if result.image.shape[-1] == 1 else result.image
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
    ax.imshow(result.heatmap, cmap="jet", alpha=alpha, vmin=0.0, vmax=1.0)
    r, c = np.unravel_index(result.heatmap.argmax(), result.heatmap.shape)
    ax.plot(c, r, marker="+", color="white", ms=14, mew=2.5)
    if centre is not None and radius and centre[0] >= 0:
        ax.add_patch(Circle((centre[1], centre[0]), radius, fill=False, edgecolor="lime", lw=1.5))
    ax.set_axis_off()
    ax.set_title(f"CAM (class {result.class_index}, score {result.score:.2f})")
    return ax


def plot_cam_terms(result: ClassActivationMap, fig: Figure | None = None, *, terms: int = 3) -> Figure:
    """M = Σ_k w_k A_k drawn as a sum: the maps that add most, each with its weight, then M itself.

    What this shows: CAM is the output layer's arithmetic done per pixel: each
    feature map times its weight, added up; mean(M) + b is the score z.
    """
    terms = check_int("terms", terms, low=1, high=result.maps.shape[-1])
    fig = figure_or_new(fig, (11.0, 3.4))
    axes = fig.subplots(1, terms + 1)
    contribution = result.weights * result.maps.mean(axis=(0, 1))     # what each map adds to z
    order = np.argsort(np.abs(contribution))[::-1][:terms]
    for ax, k in zip(axes, order):
        _show(ax, result.maps[:, :, k], f"w{k} = {result.weights[k]:+.2f}\n× A{k} (adds {contribution[k]:+.2f})",
              cmap="magma")
    lim = float(np.abs(result.cam).max()) or 1.0
    _show(axes[-1], result.cam, f"M = Σ w_k A_k\nmean {result.cam.mean():+.2f}, + b = z {result.logit:+.2f}",
          -lim, lim, cmap="RdBu_r")
    return fig


def plot_cam_comparison(result: CamComparison, fig: Figure | None = None, *,
                        centre: Sequence[float] | None = None, radius: float | None = None) -> Figure:
    """The image, its CAM, its Grad-CAM and their absolute difference.

    What this shows: on a GAP → Dense head the two heatmaps are one map; the
    difference panel has its own scale, and its maximum is float rounding.
    """
    from explainers.saliency_plots import plot_heatmap

    fig = figure_or_new(fig, (11.0, 3.4))
    axes = fig.subplots(1, 4)
    img = result.cam.image
    _show(axes[0], img[..., 0] if img.shape[-1] == 1 else img, "image")
    plot_cam(result.cam, axes[1], centre=centre, radius=radius)
    plot_heatmap(result.gradcam, axes[2], centre=centre, radius=radius,
                 title=f"Grad-CAM (class {result.gradcam.class_index}, score {result.gradcam.score:.2f})")
    axes[2].title.set_fontsize(axes[1].title.get_fontsize())
    diff = np.abs(result.cam.heatmap - result.gradcam.heatmap)
    im = axes[3].imshow(diff, cmap="viridis", vmin=0.0, vmax=max(float(diff.max()), 1e-12))
    axes[3].set_axis_off()
    axes[3].set_title(f"|CAM − Grad-CAM|\nmax {result.max_abs_difference:.1e}")
    fig.colorbar(im, ax=axes[3], shrink=0.8, format="%.1e")
    return fig
