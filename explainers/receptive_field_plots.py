"""Drawing for :mod:`explainers.receptive_field`: growth curve, analytic square, effective heatmap.

Volume (Conv3D) results: the growth curve has one line per axis (z, y, x);
the effective field and the field in mm are drawn on one axial slice, titled
with it.
"""
from __future__ import annotations

import matplotlib
import matplotlib.cm
import matplotlib.colors
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from explainers._figure import axes_or_new
from explainers.receptive_field import EffectiveReceptiveField, ReceptiveField, ReceptiveFieldMM

__all__ = ["plot_receptive_field_growth", "plot_effective_field", "plot_effective_field_profile",
           "plot_receptive_field_mm"]


def plot_receptive_field_growth(result: ReceptiveField, ax: Axes | None = None, *, max_labels: int = 30) -> Axes:
    """R_k and the jump Π S_i after each layer (log scale when they span decades).

    A volume model's field gets one R_k line per axis (z, y, x; x only when it differs from y)
    and the jump of the z and y axes.
    """
    ax = axes_or_new(ax, (5.0, 3.5))
    if result.size_zyx is not None:
        return _growth_3d(result, ax, max_labels)
    rows = [r for r in result.layers if r.kernel > 1 or r.stride > 1 or r.kind in ("Add", "Concatenate")] \
        or list(result.layers)
    x = np.arange(1, len(rows) + 1)
    ax.step(x, [r.size for r in rows], where="post", marker="o", ms=3, label="receptive field R_k")
    ax.step(x, [r.jump for r in rows], where="post", marker="s", ms=3, label="jump Π S_i")
    _finish_growth(ax, rows, x, max_labels)
    ax.set_title(f"{result.layer_name}: R = {result.size}, stride {result.stride}, padding {result.padding:g}")
    return ax


def _growth_3d(result: ReceptiveField, ax: Axes, max_labels: int) -> Axes:
    rows = [r for r in result.layers if max(r.kernel_zyx or (1,)) > 1 or max(r.stride_zyx or (1,)) > 1
            or r.kind in ("Add", "Concatenate")] or list(result.layers)
    x = np.arange(1, len(rows) + 1)
    axes = ("z", "y", "x") if any(r.size_zyx[1] != r.size_zyx[2] for r in rows if r.size_zyx) else ("z", "y")
    for a, name in enumerate(axes):
        label = "receptive field R_k, y = x" if name == "y" and len(axes) == 2 else f"receptive field R_k, {name}"
        ax.step(x, [(r.size_zyx or (r.size,) * 3)[a] for r in rows], where="post", marker="o^v"[a], ms=3,
                label=label)
    for a, name in enumerate(("z", "y")):
        ax.step(x, [(r.jump_zyx or (r.jump,) * 3)[a] for r in rows], where="post", marker="s", ms=3,
                ls="--" if a == 0 else "-", label=f"jump Π S_i, {name}")
    _finish_growth(ax, rows, x, max_labels, voxels=True)
    size = "×".join(str(v) for v in result.size_zyx or ())
    stride = "×".join(str(v) for v in result.stride_zyx or ())
    ax.set_title(f"{result.layer_name}: R = {size} (z×y×x), stride {stride}", fontsize=10)
    return ax


def _finish_growth(ax: Axes, rows: list, x: np.ndarray, max_labels: int, voxels: bool = False) -> None:
    if rows and rows[-1].size > 50:
        ax.set_yscale("log")
    if len(rows) <= max_labels:
        ax.set_xticks(x)
        ax.set_xticklabels([r.name for r in rows], rotation=70, fontsize=7)
    else:
        ax.set_xlabel("layer (conv, pooling, merge) in graph order")
    ax.set_ylabel("input voxels" if voxels else "input pixels")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)


def plot_effective_field(result: EffectiveReceptiveField, ax: Axes | None = None, *,
                         image: np.ndarray | None = None, title: str | None = None) -> Axes:
    """The effective field as a heatmap with the analytic square (``result.analytic``) on top.

    ``image`` (optional, the input's size) is drawn underneath, so the field is
    seen where it looks; ``title`` replaces the default (layer, unit, extent)
    where two panels show the same field.

    A volume's field is drawn on the axial slice through the centre unit's
    field (``z = …`` in the title); ``image`` is then a volume (D, H, W[, C]).
    """
    ax = axes_or_new(ax, (4.5, 4.5))
    heat, unit, where = result.heatmap, result.unit, ""
    if heat.ndim == 3:
        z = _centre_slice(result)
        heat, unit, where = heat[z], tuple(result.unit[1:]), f", axial slice z = {z}"
        if image is not None:
            image = np.asarray(image)[z]
    if image is not None:
        ax.imshow(np.asarray(image)[..., 0] if np.ndim(image) == 3 else image, cmap="gray",
                  extent=(-0.5, heat.shape[1] - 0.5, heat.shape[0] - 0.5, -0.5))
        # Colour and opacity both follow the gradient: unimportant pixels leave the image visible.
        rgba = matplotlib.colormaps["inferno"](heat)
        rgba[..., 3] = np.clip(heat * 1.5, 0.0, 0.85)
        ax.imshow(rgba)
        im = matplotlib.cm.ScalarMappable(matplotlib.colors.Normalize(0, 1), "inferno")
    else:
        im = ax.imshow(heat, cmap="inferno", vmin=0, vmax=1)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, label="mean |gradient| (max 1)")
    analytic = result.analytic
    if analytic is not None:
        top, left, bottom, right = analytic.box(*unit)
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), right - left + 1, bottom - top + 1, fill=False,
                               ec="cyan", lw=2, ls="--", label=f"analytic {analytic.size}×{analytic.size}"))
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlim(-0.5, heat.shape[1] - 0.5)
    ax.set_ylim(heat.shape[0] - 0.5, -0.5)
    ax.set_title(title or f"effective field of {result.layer_name}[{', '.join(str(u) for u in result.unit)}]"
                          f"{where}\nnon-zero extent {'×'.join(str(e) for e in result.extent)} from "
                          f"{result.n_samples} inputs", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _centre_slice(result: EffectiveReceptiveField) -> int:
    """The axial slice through the middle of a volume's non-zero box."""
    return (int(result.box[0]) + int(result.box[3])) // 2


def plot_effective_field_profile(result: EffectiveReceptiveField, ax: Axes | None = None) -> Axes:
    """The heatmap's row through the centre unit: a peaked, Gaussian-like profile.

    A volume's profile is the row through the centre of its middle axial slice.
    """
    ax = axes_or_new(ax, (5.0, 3.0))
    heat, unit, box = result.heatmap, result.unit, result.box
    if heat.ndim == 3:
        heat, unit, box = heat[_centre_slice(result)], tuple(unit[1:]), (box[1], box[2], box[4], box[5])
    top, left, bottom, right = box
    centre_row = (top + bottom) // 2
    ax.plot(heat[centre_row], marker=".", label="effective (mean |grad|)")
    if result.analytic is not None:
        a_top, a_left, a_bottom, a_right = result.analytic.box(*unit)
        ax.axvspan(a_left, a_right, color="cyan", alpha=0.2, label="analytic field")
    ax.set_xlabel("input column")
    ax.set_title("profile through the centre")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def _nice_length(target: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``target`` (a scale bar's length)."""
    if target <= 0:
        return 0.0
    base = 10.0 ** np.floor(np.log10(target))
    return float(max(m * base for m in (1, 2, 5) if m * base <= target))


def plot_receptive_field_mm(result: ReceptiveFieldMM, ax: Axes | None = None, *, image: np.ndarray | None = None,
                            title: str | None = None) -> Axes:
    """The field of ``result.unit`` as a square on the scan, with a millimetre scale bar.

    ``image`` is drawn over the scan's whole field of view whatever its size:
    the scan itself, a display-sized copy, or the net's low-resolution input,
    so the same square sits on the same anatomy in each. Axes are in mm when
    the scan has a spacing (scan pixels otherwise); a field reaching past the
    image is drawn whole.

    A volume's field is drawn on the axial slice through its centre (the
    title gives that slice and the field's depth); ``image`` is then the
    volume (D, H, W), sliced at the same depth whatever its size.
    """
    ax = axes_or_new(ax, (4.5, 4.5))
    mm = result.spacing_mm is not None
    volume = len(result.size_px) == 3
    row_axis = 1 if volume else 0
    scale = result.spacing_mm[row_axis:] if mm else (1.0, 1.0)
    height, width = result.image_shape[row_axis] * scale[0], result.image_shape[row_axis + 1] * scale[1]
    depth_note = ""
    if volume:
        # Centre of the field along z as a fraction of the scan's depth.
        z_frac = min(max((result.box_scan[0] + result.box_scan[3]) / 2 / result.image_shape[0], 0.0), 1.0)
        depth = result.size_mm[0] if mm else result.size_scan_px[0]
        z_scan = min(int(z_frac * result.image_shape[0]), result.image_shape[0] - 1)
        depth_note = (f"\naxial slice z = {z_scan} of {result.image_shape[0]}; field {depth:.0f} "
                      f"{'mm' if mm else 'voxels'} deep")
        if image is not None:
            vol = np.asarray(image)
            image = vol[min(int(z_frac * vol.shape[0]), vol.shape[0] - 1)]
    if image is not None:
        a = np.asarray(image)
        ax.imshow(a[..., 0] if a.ndim == 3 and a.shape[-1] == 1 else a, cmap="gray", vmin=0, vmax=1,
                  extent=(0, width, height, 0), interpolation="nearest" if max(a.shape[:2]) <= 128 else "antialiased")
    box = result.box_mm if mm else result.box_scan
    if volume:
        box = (box[1], box[2], box[4], box[5])
    top, left, bottom, right = box
    size = result.size_mm if mm else result.size_scan_px
    size_px = result.size_px
    if volume:
        size, size_px = size[1:], size_px[1:]
    unit = "mm" if mm else "px"
    ax.add_patch(Rectangle((left, top), right - left, bottom - top, fill=False, ec="cyan", lw=2.2, ls="--",
                           label=f"field {size[0]:.0f} × {size[1]:.0f} {unit}"))
    ax.plot([(left + right) / 2], [(top + bottom) / 2], "+", color="cyan", ms=10, mew=2)
    x0, x1 = min(0.0, left), max(width, right)
    y0, y1 = min(0.0, top), max(height, bottom)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y1, y0)
    if mm:
        bar = _nice_length(width / 4)
        bx, by = x0 + 0.05 * (x1 - x0), y1 - 0.06 * (y1 - y0)
        thick = 0.015 * (y1 - y0)
        ax.add_patch(Rectangle((bx, by - thick / 2), bar, thick, fc="white", ec="black", lw=1, label="_scale bar"))
        ax.text(bx + bar / 2, by - 0.025 * (y1 - y0), f"{bar:g} mm", color="white", ha="center", va="bottom",
                fontsize=10, fontweight="bold")
    ax.legend(loc="upper right", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or f"{result.layer_name}: {size_px[0]} px = "
                          + (f"{size[0]:.0f} mm" if mm else "no spacing") + depth_note, fontsize=10)
    return ax
