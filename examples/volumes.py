"""Volumes in a minute: a brain MR in three planes, a MIP and a montage; a 3-D CNN trained on nodule volumes and
its 3-D Grad-CAM cut through the nodule.

Run::

    python examples/volumes.py --out examples_output/     # the page's recipe, 12 epochs (~20 s of CPU)
    python examples/volumes.py --quick                     # 1 epoch on 32 volumes (for tests)

Figures are saved as PNG files in ``--out``.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from explainers import compute_gradcam, compute_montage, compute_projection, compute_volume_views  # noqa: E402
from explainers.volume_views_plots import plot_montage, plot_projection, plot_volume_views  # noqa: E402
from models.data import load_volume  # noqa: E402
from models.recipes.volumes import DEFAULT_VOLUME_RECIPE, train_volume_cnn  # noqa: E402

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples_output")
    parser.add_argument("--quick", action="store_true", help="1 epoch on 32 volumes")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # A real MR volume, the way a radiologist scrolls it: three planes through one voxel, at true spacing.
    brain = load_volume("brain_mr")
    views = compute_volume_views(brain)
    print(f"brain MR {brain.voxels.shape} voxels of {brain.spacing_mm} mm; the crosshair at {views.point} "
          f"reads {views.value:.0f}")
    plot_volume_views(views).savefig(out / "volumes_planes.png", dpi=120)
    plot_projection(compute_projection(brain, axis=0, kind="max")).figure.savefig(out / "volumes_mip.png", dpi=120)
    plot_montage(compute_montage(brain, n_slices=12)).savefig(out / "volumes_montage.png", dpi=120)

    # A 3-D CNN finds a nodule among vessels; Grad-CAM is a volume too, cut through the nodule.
    recipe = replace(DEFAULT_VOLUME_RECIPE, n_train=32, n_test=16, epochs=1) if args.quick else DEFAULT_VOLUME_RECIPE
    run = train_volume_cnn(recipe)
    print(f"3-D CNN: {run.model.count_params():,} weights, held-out accuracy {run.test_accuracy:.3f} "
          f"after {len(run.history)} epochs ({run.seconds:.0f} s)")
    k = int(np.flatnonzero(run.data.y_test == 1)[0])
    cam = compute_gradcam(run.model, run.data.x_test[k])
    centre = tuple(int(round(c)) for c in np.argwhere(run.data.masks_test[k, ..., 0] > 0).mean(axis=0))
    overlay = compute_volume_views(run.data.x_test[k, ..., 0], point=centre, overlay=cam.heatmap)
    print(f"Grad-CAM {cam.heatmap.shape} from {cam.layer_name}, cut through the nodule at {centre}")
    plot_volume_views(overlay).savefig(out / "volumes_gradcam.png", dpi=120)
    print(f"saved 4 figures in {out}")


if __name__ == "__main__":
    main()
