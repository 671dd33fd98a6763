"""The 3-D CNN's training epoch (256 volumes of 32³): models.train with a page's observers vs plain model.fit.

Both sides train the *same* compiled model (the volumes recipe's 3-D CNN), one
epoch at a time, paired and alternating (benchmarks.common.paired_epochs), so
the only difference is the observers and ``train``'s bookkeeping. A second row
gives, as context, an epoch of the recipe's 2-D CNN over the same voxels (the
volumes' 8,192 axial slices, the slices of 8 volumes per step) beside the 3-D epoch.
"""
from __future__ import annotations


import keras
import numpy as np

from benchmarks.common import PAIRED_ROUNDS, PageProgress, Row, paired_epochs

__all__ = ["run"]

N_VOLUMES = 256
EPOCH_TARGET_S = 15.0  # "an epoch of 256 volumes at 32³ in seconds" on a 2-core CPU


def _compiled(model, learning_rate: float):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def run(quick: bool = False) -> list[Row]:
    from models.device import device_name
    from models.recipes.volumes import (DEFAULT_VOLUME_RECIPE, axial_slices, build_slice_cnn, build_volume_cnn,
                                        nodule_volumes)
    from models.training import train

    recipe = DEFAULT_VOLUME_RECIPE
    data = nodule_volumes(recipe)
    x, y = data.x[:N_VOLUMES], data.y[:N_VOLUMES]
    batch = recipe.batch_size

    model = _compiled(build_volume_cnn(recipe), recipe.learning_rate)
    obs = [PageProgress()]
    run_plain = lambda: model.fit(x, y, epochs=1, batch_size=batch, verbose=0, shuffle=False)  # noqa: E731
    run_ours = lambda: train(model, x, y, epochs=1, batch_size=batch, observers=obs, shuffle=False)  # noqa: E731
    run_plain(), run_ours()  # compile and warm up outside the timing
    plain, ours, overhead = paired_epochs(run_plain, run_ours, **PAIRED_ROUNDS[quick])
    epoch_3d, epoch_plain = float(np.median(ours)), float(np.median(plain))
    device = device_name()
    rows = [Row("volumes", f"3-D CNN epoch, {N_VOLUMES} × {recipe.size}³: models.train vs model.fit", epoch_3d,
                epoch_plain, "s/epoch", 1.0 / (1.0 + overhead),
                f"overhead <= 10%, epoch <= {EPOCH_TARGET_S:.0f} s",
                overhead <= 0.10 and epoch_3d <= EPOCH_TARGET_S,
                f"overhead {overhead:+.1%} (median of {len(plain)} paired epochs); filters {recipe.filters}, "
                f"batch {batch}, {build_volume_cnn(recipe).count_params():,} weights, on {device}")]

    # Context: the 2-D CNN over the same voxels, timed in the same paired way against the 3-D epoch.
    slices, labels = axial_slices(x, data.masks[:N_VOLUMES])
    model_2d = _compiled(build_slice_cnn(recipe), recipe.learning_rate)
    slice_batch = recipe.slice_batch_size or batch * recipe.size
    run_2d = lambda: model_2d.fit(slices, labels, epochs=1, batch_size=slice_batch, verbose=0,  # noqa: E731
                                  shuffle=False)
    run_2d()
    times_3d, times_2d, _ = paired_epochs(run_plain, run_2d, **PAIRED_ROUNDS[quick])
    epoch_2d, epoch_3d_fit = float(np.median(times_2d)), float(np.median(times_3d))
    rows.append(Row("volumes", f"2-D CNN epoch on the same voxels ({len(slices):,} slices of {recipe.size}²) "
                               f"vs the 3-D epoch", epoch_2d, epoch_3d_fit, "s/epoch", epoch_3d_fit / epoch_2d,
                    "report", None,
                    f"model.fit both, median of {len(times_2d)} paired epochs; 2-D: "
                    f"{model_2d.count_params():,} weights, {slice_batch} slices per step"))
    rows.append(_generation_row())
    return rows


def _generation_row() -> Row:
    """make_nodules3d(256) at 32³, vessels included, against the same volumes without vessels (best of 3)."""
    from benchmarks.common import best_time
    from models.data.nodules3d import make_nodules3d

    with_vessels = best_time(lambda: make_nodules3d(N_VOLUMES, 32, seed=0))
    plain = best_time(lambda: make_nodules3d(N_VOLUMES, 32, seed=0, vessels=0))
    return Row("volumes", f"make_nodules3d({N_VOLUMES}) at 32³ with vessels vs without", with_vessels, plain, "s",
               plain / with_vessels, "well under 1 s", with_vessels < 1.0, "best of 3")
