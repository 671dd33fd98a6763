"""The Basics example scripts run and save their figures."""
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.parametrize("script, args, files", [
    ("basics_neuron.py", ["--epochs", "2"], ["basics_activations.png", "basics_roc.png"]),
    ("basics_playground.py", ["--epochs", "2"], ["basics_boundary.png", "basics_neurons.png", "basics_backprop.png"]),
    ("basics_gradient_descent.py", ["--steps", "5"], ["basics_line_descent.png", "basics_optimizers.png",
                                                      "basics_batch_sizes.png"]),
])
def test_example_saves_its_figures(script, args, files, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [script, "--out", str(tmp_path), *args])
    runpy.run_path(str(ROOT / "examples" / script), run_name="__main__")
    for name in files:
        assert (tmp_path / name).stat().st_size > 5_000, name
    assert "saved" in capsys.readouterr().out
