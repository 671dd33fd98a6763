"""Gradient descent: the lecture's y = w·x steps, optimizer paths on surfaces, batch sizes.

    python examples/basics_gradient_descent.py --out examples_output/
"""
from __future__ import annotations

__all__ = ["main"]

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from explainers import (  # noqa: E402
    compute_adam_steps, compute_line_descent, compute_optimizer_paths, plot_batch_runs, plot_line_descent,
    plot_surface_paths,
)
from models.recipes import compare_batch_sizes  # noqa: E402


def main(argv=None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="examples_output/", type=Path)
    parser.add_argument("--steps", default=40, type=int)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    saved = []

    fig = Figure(figsize=(10, 3.5), layout="constrained")
    for ax, alpha in zip(fig.subplots(1, 2), (0.006, 0.019)):
        run = compute_line_descent(w0=0.2, learning_rate=alpha, steps=8)
        plot_line_descent(run, ax)
        print(f"alpha = {alpha}: w = {[round(w, 3) for w in run.ws[:5]]} ...")
    saved.append(args.out / "basics_line_descent.png")
    fig.savefig(saved[-1])

    paths = compute_optimizer_paths("ravine", ("sgd", "momentum", "adam"), learning_rate=0.15, steps=args.steps)
    ax = plot_surface_paths(paths)
    saved.append(args.out / "basics_optimizers.png")
    ax.figure.savefig(saved[-1])
    mine = compute_adam_steps("ravine", learning_rate=0.15, steps=args.steps)
    print("Adam written out vs Keras, largest difference:", abs(mine.path - paths.paths[-1].path).max())

    from models.data import make_stroke

    x, y = make_stroke(300, seed=0)
    x = (x - x.mean(0)) / x.std(0)
    ax = plot_batch_runs(compare_batch_sizes(x, y, (0, 32, 1), epochs=3))
    saved.append(args.out / "basics_batch_sizes.png")
    ax.figure.savefig(saved[-1])
    return saved


if __name__ == "__main__":
    for path in main():
        print("saved", path)
