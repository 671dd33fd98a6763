"""Loss landscapes in a few seconds: a convex bowl, a deep net's surface and an optimiser's path.

    python examples/loss_landscape.py --out examples_output/

Saves loss_landscape_*.png: logistic regression (a bowl), a 2-8-8-1 MLP trained on the circle points
with its trajectory on the PCA plane, its 3-D surface along filter-normalised random directions, and
the 1-D interpolation from the initial to the trained weights.
"""
from __future__ import annotations

__all__ = ["main"]

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples_output", help="directory for the figures")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from matplotlib.figure import Figure

    from explainers.landscape import compute_interpolation, compute_landscape, random_directions
    from explainers.landscape_plots import plot_contour, plot_landscape_1d, plot_surface
    from explainers.trajectory import TrajectoryRecorder, compute_trajectory
    from explainers.trajectory_plots import plot_trajectory
    from models import build_logistic_neuron, build_mlp
    from models.data import make_points, make_stroke
    from models.training import train

    numbers = {}
    # 1) logistic regression: convex, a bowl in every direction
    x, y = make_stroke(400, seed=0)
    x = (x - x.mean(0)) / x.std(0)
    neuron = build_logistic_neuron(x.shape[1], seed=0)
    train(neuron, x, y, epochs=10, learning_rate=0.05)
    bowl = compute_landscape(neuron, x, y, random_directions(neuron, n=2, normalization="layer"), steps=31, span=2.0)
    fig = Figure(figsize=(10, 4), layout="constrained")
    plot_contour(bowl, ax=fig.add_subplot(1, 2, 1), title="Logistic regression: a convex bowl")
    plot_surface(bowl, ax=fig.add_subplot(1, 2, 2, projection="3d"))
    fig.savefig(out / "loss_landscape_logistic.png", dpi=90)
    numbers["logistic_centre_loss"] = bowl.center_loss

    # 2) an MLP: record the trajectory, draw it on the PCA plane
    x, y = make_points("circle", 400, noise=0.1, seed=0)
    mlp = build_mlp(2, (8, 8), "tanh", seed=0)
    rec = TrajectoryRecorder(mlp, every_n_batches=2)
    train(mlp, x, y, epochs=15, learning_rate=0.03, observers=[rec])
    traj = compute_trajectory(rec)
    reach = 1.2 * float(abs(traj.coords).max())
    on_plane = compute_landscape(mlp, x, y, traj.directions, steps=41, span=reach)
    ax = plot_trajectory(traj, ax=Figure(figsize=(5.5, 4.5), layout="constrained").subplots(), landscape=on_plane)
    ax.figure.savefig(out / "loss_landscape_trajectory.png", dpi=90)
    numbers["pca_explained"] = float(traj.explained_variance.sum())

    rand = compute_landscape(mlp, x, y, random_directions(mlp, n=2), steps=41, span=1.0)
    fig = Figure(figsize=(10, 4), layout="constrained")
    plot_contour(rand, ax=fig.add_subplot(1, 2, 1), title="MLP: filter-normalised random directions")
    plot_surface(rand, ax=fig.add_subplot(1, 2, 2, projection="3d"), elev=40, azim=-50)
    fig.savefig(out / "loss_landscape_mlp.png", dpi=90)

    start = rec.snapshot_model(0)  # the weights before training
    path = compute_interpolation(start, mlp, x, y, steps=51, loss="binary_crossentropy", margin=0.25)
    ax = plot_landscape_1d(path, ax=Figure(figsize=(5, 3), layout="constrained").subplots(),
                 title="From the initial (t=0) to the trained weights (t=1)")
    ax.figure.savefig(out / "loss_landscape_interpolation.png", dpi=90)
    numbers["mlp_centre_loss"] = rand.center_loss
    for k, v in numbers.items():
        print(f"{k}: {v:.4f}")
    return numbers


if __name__ == "__main__":
    main()
