"""MLP playground from a script: decision boundary, hidden neurons, parameter table, backprop by hand.

    python examples/basics_playground.py --out examples_output/
"""
from __future__ import annotations

__all__ = ["main"]

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from explainers import (  # noqa: E402
    compute_backprop, compute_backprop_comparison, compute_decision_boundary, compute_neuron_maps,
    compute_parameter_table, plot_backprop, plot_decision_boundary, plot_neuron_maps,
)
from models.data import make_points  # noqa: E402


def main(argv=None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="examples_output/", type=Path)
    parser.add_argument("--epochs", default=40, type=int)
    parser.add_argument("--data", default="circle")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    from models import build_mlp, train

    x, y = make_points(args.data, 200, 0.1, seed=0)
    model = build_mlp(2, (4, 2), activation="tanh", seed=0)
    table = compute_parameter_table(model)
    for row in table.rows:
        print(f"{row.layer:12s} {row.formula:12s} = {row.count:3d}   (Keras: {row.keras_count})")
    print("total", table.total, "= count_params()", model.count_params())
    history = train(model, x, y, epochs=args.epochs, batch_size=16, learning_rate=0.03)
    print(history.message, "final loss", round(history.history["loss"][-1], 4))

    saved = []
    ax = plot_decision_boundary(compute_decision_boundary(model, x, resolution=100, y=y))
    saved.append(args.out / "basics_boundary.png")
    ax.figure.savefig(saved[-1])
    fig = plot_neuron_maps(compute_neuron_maps(model, x, resolution=40))
    saved.append(args.out / "basics_neurons.png")
    fig.savefig(saved[-1])

    bp = compute_backprop()
    comparison = compute_backprop_comparison(bp)
    row = comparison.rows[1]
    print(f"{row.derivative} by hand {row.by_hand:+.6f}, GradientTape {row.tape:+.6f}; "
          f"largest difference over all {len(comparison.rows)}: {comparison.max_difference:.1e}")
    ax = plot_backprop(bp)
    saved.append(args.out / "basics_backprop.png")
    ax.figure.savefig(saved[-1])
    return saved


if __name__ == "__main__":
    for path in main():
        print("saved", path)
