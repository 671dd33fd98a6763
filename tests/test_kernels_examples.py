"""The convolution example scripts run and save their figures."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("script, figures, printed", [
    ("convolutions_kernels.py", ["convolutions_presets.png", "convolutions_feature_maps.png"], "[[19.0, 25.0], [37.0, 43.0]]"),
    ("convolutions_receptive_fields.py", ["convolutions_receptive_fields.png"], "size 212, stride 32, padding 90"),
])
def test_example_script_runs_and_saves_figures(tmp_path, script, figures, printed):
    out = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
                              "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert printed in out.stdout
    for name in figures:
        assert (tmp_path / name).stat().st_size > 1000


@pytest.mark.slow
def test_cnn_example_learns_and_compares_transfer_strategies(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "convolutions_cnn.py"), "--out", str(tmp_path),
                          "--epochs", "5"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600,
                         env={"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
                              "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    moved = [float(v) for v in next(s for s in lines if s.startswith("first-layer kernels moved")).split(":")[1].split()]
    assert len(moved) == 5 and moved[-1] > moved[0] > 0  # the kernels keep learning
    accuracy = float(next(s for s in lines if s.startswith("test accuracy")).split()[2])
    assert accuracy >= 0.8, out.stdout  # the lesion task is learnable in a few epochs
    strategies = {s.split()[0]: float(s.split()[-1]) for s in lines if s.startswith("  ")}
    assert list(strategies) == ["scratch", "head", "freeze", "fine-tune"]
    assert strategies["head"] > strategies["scratch"]  # pretrained spot filters help on 48 images
    for name in ("confusion", "filters", "feature_maps", "transfer"):
        assert (tmp_path / f"convolutions_cnn_{name}.png").stat().st_size > 1000
