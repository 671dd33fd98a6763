"""Convolutions by hand and in a CNN: the lecture's examples, presets on a CT slice, feature maps.

Run: python examples/convolutions_kernels.py --out examples_output/
"""
from __future__ import annotations

__all__ = ["main"]

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from explainers import kernels as K  # noqa: E402
from explainers import kernels_plots as KP  # noqa: E402


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # The lecture's worked examples, exactly.
    print("[[0,1,2],[3,4,5],[6,7,8]] ⋆ [[0,1],[2,3]] =", K.convolve2d(K.LECTURE_SMALL_INPUT, K.LECTURE_SMALL_KERNEL).tolist())
    print("6x6 ⋆ vertical edge =", K.convolve2d(K.LECTURE_6X6_INPUT, K.LECTURE_EDGE_KERNEL).astype(int).tolist())
    step = K.compute_output_step(K.LECTURE_SMALL_INPUT, K.LECTURE_SMALL_KERNEL, 0, 0)
    print("output[0, 0] =", " + ".join(f"{p:g}" for p in step.products.ravel()), "=", step.total)
    print(f"dense 256·256·3 → 1000 → 1: {K.dense_parameter_count([256 * 256 * 3, 1000, 1]):,} parameters; "
          f"conv 3×3, C=3, K=64: {K.conv_parameter_count(3, 3, 64):,}")

    # Every preset on a CT slice.
    from models.data import load_image

    ct = load_image("ct", max_side=256)
    fig = Figure(figsize=(14, 5), layout="constrained")
    axes = fig.subplots(2, len(K.PRESETS))
    for i, (name, kernel) in enumerate(K.PRESETS.items()):
        conv = K.compute_convolution(ct, kernel, padding="same")
        KP.plot_kernel(conv, axes[0, i], title=name)
        axes[1, i].imshow(conv.output, cmap="gray")
        axes[1, i].axis("off")
    fig.savefig(out / "convolutions_presets.png", dpi=80)

    fig = Figure(figsize=(10, 4), layout="constrained")
    a1, a2 = fig.subplots(1, 2)
    KP.plot_output_step(step, a1)
    KP.plot_padding_stride(K.compute_padding_stride(6, 3, padding="same", stride=2), a2)
    fig.savefig(out / "convolutions_step_and_padding.png", dpi=80)

    # Feature maps and filters of the course CNN (untrained: random kernels).
    import keras

    from explainers.feature_maps import compute_feature_maps
    from explainers.feature_maps_plots import plot_feature_maps
    from models import build_cnn
    from models.data import make_lesions

    keras.utils.set_random_seed(0)  # a script, not the app: the global seed is fine here
    model = build_cnn()
    x, y, _, _ = make_lesions(4, 64, seed=0)
    maps = compute_feature_maps(model, x[int(y.argmax())], max_channels=8)
    plot_feature_maps(maps).savefig(out / "convolutions_feature_maps.png", dpi=80)
    KP.plot_filters(K.compute_filters(model, layer_name="cnn_conv1")).savefig(out / "convolutions_filters.png", dpi=80)
    print("feature maps:", dict(zip(maps.layer_names, maps.shapes)), "saved to", out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("examples_output"))
    main(parser.parse_args().out)
