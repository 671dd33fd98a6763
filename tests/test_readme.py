"""The README is what a new user tries first: its commands and its script must work."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_quick_start_is_the_two_make_commands():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = [line.split("#")[0].strip() for line in _blocks("bash")[0].splitlines() if line.strip()]
    assert "```bash" in quick and commands == ["make app", "make test"]


def test_every_picture_and_page_link_in_the_readme_exists():
    targets = re.findall(r"\]\(((?:docs|app_pages|examples)/[^)]+)\)", README)
    assert targets, "the README links no screenshots or pages"
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, f"README links files that do not exist: {missing}"


@pytest.mark.slow
def test_the_readme_script_runs(tmp_path):
    """The script of 'From a script', shrunk (fewer images, one epoch), in a fresh interpreter."""
    script = next(b for b in _blocks("python") if "compute_gradcam" in b)
    script = script.replace("make_lesions(512", "make_lesions(64").replace("make_lesions(128", "make_lesions(32")
    script = script.replace("epochs=5", "epochs=1")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    # one epoch on 64 images may not learn yet: then the history says so instead of claiming success
    assert "Trained 1 epoch(s) on CPU" in out.stdout or "Finished, but the model has not learned" in out.stdout
    assert "cnn_relu2 (64, 64)" in out.stdout
    for name in ("gradcam.png", "feature_maps.png"):
        assert (tmp_path / name).stat().st_size > 10_000, name


def _other_blocks() -> list[str]:
    return [b for b in _blocks("python") if "compute_gradcam" not in b]


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(_other_blocks())))
def test_every_other_python_block_runs_and_prints_what_its_comments_say(index, tmp_path):
    """Each further block (real scans, detection, MedMNIST ...) in a fresh interpreter; a block that reads
    files the reader supplies (MedMNIST's .npz) only has to import. A `print(...)  # value` comment is checked."""
    block = _other_blocks()[index]
    if "load_medmnist(" in block:
        block = "\n".join(line for line in block.splitlines() if line.startswith(("from ", "import ")))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    printed = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    comments = [line.split("#", 1)[1].split(":")[0] for line in block.splitlines()
                if line.startswith("print(") and "#" in line]
    assert len(printed) >= len(comments), (comments, printed)
    number = re.compile(r"-?\d+(?:\.\d*)?")
    for comment, line in zip(comments, printed):  # each print's comment: the numbers it prints
        got = {float(v) for v in number.findall(line)}
        want = {float(v) for v in number.findall(comment)}
        assert want <= got, f"README says {comment.strip()!r}, the block printed {line!r}"
