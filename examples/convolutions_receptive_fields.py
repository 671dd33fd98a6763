"""Receptive fields: the lecture's formula, VGG16's published value, and an effective field.

Run: python examples/convolutions_receptive_fields.py --out examples_output/
"""
from __future__ import annotations

__all__ = ["main"]

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402


def main(out: Path) -> None:
    import keras

    from explainers.receptive_field import (
        compute_effective_receptive_field, compute_receptive_field, compute_stacked_receptive_field,
    )
    from explainers.receptive_field_plots import plot_effective_field, plot_receptive_field_growth
    from models import build_cnn
    from models.data import load_image

    out.mkdir(parents=True, exist_ok=True)
    print("lecture: F1 = F2 = 3, S = 1 →", compute_stacked_receptive_field([3, 3], [1, 1]).size)
    vgg = keras.applications.VGG16(weights=None, include_top=False)  # no download
    rf = compute_receptive_field(vgg, layer_name="block5_pool")
    print(f"VGG16 block5_pool: size {rf.size}, stride {rf.stride}, padding {rf.padding:g}")
    for row in rf.layers:
        print(f"  {row.name:14s} F={row.kernel} S={row.stride} R_k={row.size:4d} jump={row.jump}")
    fig = Figure(figsize=(12, 4), layout="constrained")
    a1, a2 = fig.subplots(1, 2, width_ratios=[3, 2])
    plot_receptive_field_growth(rf, a1)
    keras.utils.set_random_seed(0)
    cnn = build_cnn()
    crf = compute_receptive_field(cnn, layer_name="cnn_conv2")
    erf = compute_effective_receptive_field(cnn, layer_name="cnn_conv2", n_samples=8)
    plot_effective_field(erf, a2, image=load_image("ct", size=64))
    fig.savefig(out / "convolutions_receptive_fields.png", dpi=80)
    print(f"our CNN cnn_conv2: analytic {crf.size}, effective non-zero extent {erf.extent}; saved to {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("examples_output"))
    main(parser.parse_args().out)
