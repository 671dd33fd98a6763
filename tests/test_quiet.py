"""Quiet by default: TensorFlow's native start-up lines stay out of terminals and the app log."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOISE = ("oneDNN custom operations", "cudart_stub", "absl::InitializeLog")
SCRIPT = "import models, keras, tensorflow as tf; print(float(tf.reduce_sum(tf.ones(3))))"


def _run(**env):
    clean = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "MEDLENS_VERBOSE")}
    return subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env={**clean, **env}, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_importing_medlens_then_tensorflow_prints_no_native_banners_and_tensorflow_still_works():
    proc = _run()
    assert proc.returncode == 0 and proc.stdout.strip() == "3.0", proc.stderr[-2000:]
    assert not [n for n in NOISE if n in proc.stderr], proc.stderr[-2000:]


@pytest.mark.slow
def test_medlens_verbose_brings_tensorflow_logs_back():
    quiet, loud = _run(), _run(MEDLENS_VERBOSE="1")
    assert loud.returncode == 0
    # what TensorFlow prints at start-up depends on the build and the machine; verbose shows all of it
    assert len(loud.stderr) > len(quiet.stderr) or not loud.stderr, (quiet.stderr, loud.stderr)
