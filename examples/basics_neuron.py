"""The sigmoid neuron: the lecture's stroke patients, activations, and a threshold moving along the ROC curve.

    python examples/basics_neuron.py --out examples_output/
"""
from __future__ import annotations

__all__ = ["main"]

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402
import numpy as np  # noqa: E402

from explainers import (  # noqa: E402
    compute_activation_curves, compute_roc, compute_threshold_metrics, plot_activations, plot_confusion, plot_roc,
)
from models.data import make_stroke, stroke_patients, train_test_split_arrays  # noqa: E402


def main(argv=None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="examples_output/", type=Path)
    parser.add_argument("--epochs", default=20, type=int)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    patients = stroke_patients()
    for name, z, p in zip(patients.names, patients.z(), patients.probability()):
        print(f"{name}: z = {z:.2f}, sigma(z) = {p:.3f}")

    fig = Figure(figsize=(10, 3.3), layout="constrained")
    a1, a2 = fig.subplots(1, 2)
    curves = compute_activation_curves()
    plot_activations(curves, a1)
    plot_activations(curves, a2, derivative=True)
    saved = [args.out / "basics_activations.png"]
    fig.savefig(saved[-1])

    from models import build_logistic_neuron, train

    x, y = make_stroke(600, seed=0)
    xtr, xte, ytr, yte = train_test_split_arrays(x, y, 0.3, seed=0)
    mean, std = xtr.mean(0), xtr.std(0)
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    model = build_logistic_neuron(4, seed=0)
    train(model, xtr, ytr, epochs=args.epochs, learning_rate=0.03)
    scores = model.predict(xte, verbose=0).ravel()
    curve = compute_roc(yte, scores)
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, tau in zip(axes[1:], (0.3, 0.7)):
        m = compute_threshold_metrics(yte, scores, tau)
        plot_confusion(m, ax)
        print(f"tau = {tau}: TPR {m.tpr:.3f}, FPR {m.fpr:.3f}, accuracy {m.accuracy:.3f}")
    plot_roc(curve, axes[0], point=compute_threshold_metrics(yte, scores, 0.5))
    print(f"AUC = {curve.auc:.3f} (the same for every threshold)")
    saved.append(args.out / "basics_roc.png")
    fig.savefig(saved[-1])
    assert np.isfinite(curve.auc)
    return saved


if __name__ == "__main__":
    for path in main():
        print("saved", path)
