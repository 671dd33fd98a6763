"""examples/volumes.py runs and saves its four figures (planes, MIP, montage, 3-D Grad-CAM)."""
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_volumes_example_saves_its_figures(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["volumes.py", "--out", str(tmp_path), "--quick"])
    runpy.run_path(str(ROOT / "examples" / "volumes.py"), run_name="__main__")
    for name in ("volumes_planes.png", "volumes_mip.png", "volumes_montage.png", "volumes_gradcam.png"):
        assert (tmp_path / name).stat().st_size > 5_000, name
    printed = capsys.readouterr().out
    assert "brain MR (25, 41, 33) voxels of (2.0, 2.0, 2.0) mm" in printed
    assert "Grad-CAM (32, 32, 32)" in printed and "saved 4 figures" in printed
