"""The example scripts run and save their figures."""
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("script, figures", [
    ("attention.py", ("attention_lecture.png", "attention_training.png")),
    ("saliency.py", ("saliency_one_image.png",)),
])
def test_example_runs_quickly_and_saves_figures(script, figures, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [script, "--quick", "--out", str(tmp_path)])
    runpy.run_path(str(ROOT / "examples" / script), run_name="__main__")
    for name in figures:
        assert (tmp_path / name).stat().st_size > 5_000
    out = capsys.readouterr().out
    assert ("headache    4.32  0.75" in out) if script == "attention.py" else ("validation accuracy" in out)
