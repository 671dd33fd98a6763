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
