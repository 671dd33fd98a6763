"""Drawing for :mod:`explainers.feature_maps`: one row per layer, the input then its channels.

A volume's maps are drawn on one axial slice: the input's middle slice, and
the slice of each layer's (coarser) depth axis that covers it.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explainers._figure import figure_or_new
from explainers.feature_maps import FeatureMaps

__all__ = ["plot_feature_maps"]


def _show_input(ax: Axes, image: np.ndarray) -> None:
    if image.shape[-1] == 3:  # colour: scaled to [0, 1] for display
        lo, hi = float(image.min()), float(image.max())
        ax.imshow((image - lo) / (hi - lo) if hi > lo else np.zeros_like(image))
    else:
        ax.imshow(image[..., 0], cmap="gray")


def plot_feature_maps(result: FeatureMaps, fig: Figure | None = None, *, max_maps: int = 8) -> Figure:
    """One row per layer: the input, then up to ``max_maps`` of the channels kept.

    Each row is labelled with the layer's name and its full output shape
    ``h×w×c``; each map with its channel index, in the order the result keeps
    them (the most active first when it was computed with ``max_channels``).
    For a volume every row shows the axial slice through the input's middle
    (slice ``z`` of ``D``, at each layer's depth resolution), labelled
    ``d×h×w×c`` and ``z = …``.
    """
    volume = result.image.ndim == 4
    depth = result.image.shape[0] if volume else 1
    z_in = depth // 2
    rows = len(result.maps)
    fig = figure_or_new(fig, (1.4 * (max_maps + 1), 1.5 * rows + 0.3))
    axes = np.atleast_2d(fig.subplots(rows, max_maps + 1, squeeze=False))
    for r, (name, maps, chans, shape) in enumerate(zip(result.layer_names, result.maps, result.channels,
                                                         result.shapes)):
        if volume:
            # The layer's slice covering input slice z_in (half-pixel centres, as the upsampling uses).
            z = min(int((z_in + 0.5) * maps.shape[0] / depth), maps.shape[0] - 1)
            maps = maps[z]
            _show_input(axes[r, 0], result.image[z_in])
            axes[r, 0].set_ylabel(f"{name}\n{'×'.join(str(v) for v in shape)}\nz = {z} of {shape[0]}", fontsize=8)
        else:
            _show_input(axes[r, 0], result.image)
            axes[r, 0].set_ylabel(f"{name}\n{shape[0]}×{shape[1]}×{shape[2]}", fontsize=8)
        for c in range(max_maps):
            ax = axes[r, c + 1]
            if c < maps.shape[-1]:
                ax.imshow(maps[..., c], cmap="magma")
                ax.set_title(f"#{int(chans[c])}", fontsize=7)
            else:
                ax.axis("off")
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_title(f"input z = {z_in} of {depth}" if volume else "input", fontsize=7)
    return fig
