"""MLP playground from a script: decision boundary, hidden neurons, parameter table, backprop by hand.

    python examples/basics_playground.py --out examples_output/
"""
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from explainers import (  # noqa: E402
    backprop_221, decision_boundary, neuron_maps, parameter_table, plot_backprop, plot_decision_boundary,
    plot_neuron_maps, tape_gradients,
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
    model = build_mlp(2, (4, 2), activation="tanh")
    for row in parameter_table(model).rows:
        print(f"{row.layer:12s} {row.formula:12s} = {row.count:3d}   (Keras: {row.keras_count})")
    print("total", parameter_table(model).total, "= count_params()", model.count_params())
    history = train(model, x, y, epochs=args.epochs, batch_size=16, learning_rate=0.03)
    print(history.message, "final loss", round(history.history["loss"][-1], 4))

    saved = []
    ax = plot_decision_boundary(decision_boundary(model, x, 100, y=y))
    saved.append(args.out / "basics_boundary.png")
    ax.figure.savefig(saved[-1])
    fig = plot_neuron_maps(neuron_maps(model, x, 40))
    saved.append(args.out / "basics_neurons.png")
    fig.savefig(saved[-1])

    bp = backprop_221()
    tape = tape_gradients(bp)
    print(f"dE/dz_out by hand {bp.dE_dz_out:+.6f}, GradientTape {tape['grad_b_out']:+.6f}")
    ax = plot_backprop(bp)
    saved.append(args.out / "basics_backprop.png")
    ax.figure.savefig(saved[-1])
    return saved


if __name__ == "__main__":
    for path in main():
        print("saved", path)
