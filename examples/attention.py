"""Attention in a few seconds: the lecture's table, then a classifier learning to read the symptom.

Run::

    python examples/attention.py --out examples_output/     # 4 epochs on 600 notes
    python examples/attention.py --quick                    # 1 epoch on 200 notes

Figures are saved as PNG files in ``--out``.
"""
from __future__ import annotations

__all__ = ["main"]

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from explainers.attention import (  # noqa: E402
    AttentionRecorder, compute_attention, compute_key_word_hit_rate, compute_worked_attention,
)
from explainers.attention_plots import (  # noqa: E402
    plot_attention_matrix, plot_attention_sharpening, plot_token_attention, plot_worked_vectors,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples_output", help="folder for the PNG figures")
    parser.add_argument("--quick", action="store_true", help="1 epoch on 200 notes (for tests)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # 1. The lecture's worked example: 0.75 on "headache".
    r = compute_worked_attention()
    print("word        q·k    α")
    for w, d, a in zip(r.words, r.dots, r.weights):
        print(f"{w:<10} {d:5.2f} {a:5.2f}")
    print("context c =", np.round(r.context, 2))
    fig = Figure(figsize=(11, 4), layout="constrained")
    a0, a1 = fig.subplots(1, 2, width_ratios=[3, 2])
    plot_token_attention(r, a0)
    plot_worked_vectors(r, a1)
    fig.savefig(out / "attention_lecture.png", dpi=100)

    # 2. A real attention classifier on synthetic notes, watched every epoch.
    import keras

    from models import build_attention_classifier
    from models.data import make_clinical_notes
    from models.training import train

    keras.utils.set_random_seed(0)  # the training shuffle (models.train draws it from Keras); a script, not the app
    notes = make_clinical_notes(200 if args.quick else 600, seed=0)
    test = make_clinical_notes(100, seed=1)
    model = build_attention_classifier(len(notes.vocabulary), notes.tokens.shape[1], 3, 16, seed=0)
    recorder = AttentionRecorder(test.tokens)
    recorder.record(model, 0)
    train(model, notes.tokens, notes.labels, epochs=1 if args.quick else 4, learning_rate=1e-2,
          observers=[recorder])
    history = recorder.result()
    for e, w in zip(history.epochs, history.weights):
        rate = compute_key_word_hit_rate(w, test.key_positions).rate
        print(f"epoch {e}: max weight on the symptom word for {rate:.0%} of notes")
    words = test.decode(test.tokens[0]).split()
    fig = Figure(figsize=(8, 4), layout="constrained")
    a0, a1 = fig.subplots(2, 1, height_ratios=[3, 2])
    plot_attention_sharpening(history, a0, example=0, words=words, key_position=int(test.key_positions[0]))
    result = compute_attention(model, test.tokens[:6])
    plot_attention_matrix(result, a1, rows="examples", x_labels=[f"pos {i}" for i in range(12)],
                          y_labels=[f"note {i}" for i in range(6)], title="One query per note (rows)")
    fig.savefig(out / "attention_training.png", dpi=100)
    print(f"saved figures to {out}/")


if __name__ == "__main__":
    main()
