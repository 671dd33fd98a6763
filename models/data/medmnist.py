"""MedMNIST from local ``.npz`` files: real, small medical images, never downloaded."""
from __future__ import annotations

import os
import pathlib
import re
from typing import Any

import numpy as np

from models._arguments import check_choice, check_int, fail

__all__ = ["MEDMNIST_SIZES", "MEDMNIST_3D_SIZES", "MEDMNIST_URL", "load_medmnist", "medmnist_available"]

MEDMNIST_SIZES = (28, 64, 128, 224)
MEDMNIST_3D_SIZES = (28, 64)  # organmnist3d, nodulemnist3d, ... come as 28³ or 64³ volumes
MEDMNIST_URL = "https://zenodo.org/records/10519652"
_MEDMNIST_KEYS = ("train_images", "train_labels", "val_images", "val_labels",
                  "test_images", "test_labels")
_NPZ_NAME = re.compile(r"^([a-z0-9]+?)(?:_(\d+))?\.npz$")


def _medmnist_dirs(root: Any) -> list[pathlib.Path]:
    dirs = []
    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            fail("root", root, "a directory path (str or pathlib.Path) or None")
        dirs.append(pathlib.Path(root).expanduser())
    env = os.environ.get("MEDMNIST_DIR")
    if env:
        dirs.append(pathlib.Path(env).expanduser())
    dirs.append(pathlib.Path.home() / ".medmnist")
    unique: list[pathlib.Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def medmnist_available(root: str | os.PathLike | None = None) -> list[tuple[str, int, pathlib.Path]]:
    """MedMNIST ``.npz`` files found locally (``root``, ``$MEDMNIST_DIR``, ``~/.medmnist``).

    What this shows: which real medical data sets you can train on offline.

    Args:
        root: an extra directory to search first.

    Returns:
        ``[(flag, size, path), ...]`` such as ``("pneumoniamnist", 28, Path(...))``,
        in search order; the files' contents are not checked.
    """
    found, seen = [], set()
    for d in _medmnist_dirs(root):
        if not d.is_dir():
            continue
        for p in sorted(d.glob("*.npz")):
            m = _NPZ_NAME.match(p.name)
            if not m:
                continue
            flag, size = m.group(1), int(m.group(2) or 28)
            if (flag, size) in seen or size not in MEDMNIST_SIZES:
                continue
            seen.add((flag, size))
            found.append((flag, size, p))
    return found


def load_medmnist(flag: str, split: str = "train", size: int = 28,
                  root: str | os.PathLike | None = None, *, grey: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of a MedMNIST data set from a local ``.npz`` file (never downloads).

    What this shows: real, small medical images (chest X-rays, pathology,
    dermatology...) in the same format as the built-in synthetic sets.

    The file ``{flag}.npz`` (size 28) or ``{flag}_{size}.npz`` is searched in
    ``root``, then ``$MEDMNIST_DIR``, then ``~/.medmnist``.

    Args:
        flag: data-set name, e.g. ``"pneumoniamnist"``, ``"pathmnist"``.
        split: ``"train"``, ``"val"`` or ``"test"``.
        size: image side: 28, 64, 128 or 224.
        root: a directory to search first.
        grey: turn colour sets (pathmnist, dermamnist, bloodmnist, retinamnist)
            into grey (ITU-R 601 luma); by default they keep their colour.

    Returns:
        ``(images, labels)``: ``(n, H, W, C)`` float32 in [0, 1] (C = 1 for grey,
        3 for colour), or ``(n, D, H, W, 1)`` for the 3-D sets (``*3d``: 28³ or
        64³ volumes), and int64 labels, ``(n,)`` (or ``(n, k)`` for multi-label sets).

    Raises:
        FileNotFoundError: no file found (the message lists names and folders tried).
        ValueError: bad arguments, or a file that is corrupt or not in MedMNIST format.
    """
    if not isinstance(flag, str) or not re.fullmatch(r"[a-z0-9]+", flag or ""):
        fail("flag", flag, "a lower-case MedMNIST name such as 'pneumoniamnist' "
                           "(letters and digits only)")
    if split not in ("train", "val", "test"):
        fail("split", split, "'train', 'val' or 'test'", "use split='val' for the validation images")
    volumes = flag.endswith("3d")
    size = check_choice("size", check_int("size", size), MEDMNIST_3D_SIZES if volumes else MEDMNIST_SIZES)
    names = [f"{flag}.npz", f"{flag}_28.npz"] if size == 28 else [f"{flag}_{size}.npz"]
    dirs = _medmnist_dirs(root)
    path = next((d / nm for d in dirs for nm in names if (d / nm).is_file()), None)
    if path is None:
        raise FileNotFoundError(
            f"MedMNIST file {' or '.join(names)} not found; looked in: "
            f"{', '.join(str(d) for d in dirs)}. This package never downloads: get "
            f"{names[0] if size == 28 else names[-1]} from {MEDMNIST_URL} (or with "
            f"`pip install medmnist` on a machine with internet, e.g. "
            f"`python -m medmnist download`), then copy it to one of those folders "
            f"(or set MEDMNIST_DIR, or pass root=).")
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = list(npz.files)
            want = (f"{split}_images", f"{split}_labels")
            if not all(k in keys for k in want):
                raise ValueError(
                    f"{str(path)!r} is not in MedMNIST format: it has keys {sorted(keys)}, "
                    f"expected {list(_MEDMNIST_KEYS)} (at least {list(want)} for split="
                    f"{split!r}); download a fresh copy from {MEDMNIST_URL}")
            images, labels = npz[want[0]], npz[want[1]]
    except ValueError as e:
        if "MedMNIST format" in str(e):
            raise
        raise ValueError(f"{str(path)!r} is not a readable .npz file ({e}); it may be "
                         f"corrupt or incomplete: download it again from {MEDMNIST_URL}"
                         ) from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as e:
        raise ValueError(f"{str(path)!r} is not a readable .npz file ({e}); it may be "
                         f"corrupt or incomplete: download it again from {MEDMNIST_URL}"
                         ) from None
    if volumes:
        if images.ndim == 4:
            images = images[..., None]
        if images.ndim != 5 or images.shape[-1] != 1 or images.shape[0] == 0:
            raise ValueError(f"{str(path)!r}: {split}_images of a 3-D set must be (n, D, H, W) volumes with "
                             f"n >= 1, got shape {images.shape}; the file is not MedMNIST 3-D")
    else:
        if images.ndim == 3:
            images = images[..., None]
        if images.ndim != 4 or images.shape[-1] not in (1, 3) or images.shape[0] == 0:
            raise ValueError(f"{str(path)!r}: {split}_images must be (n, H, W) or (n, H, W, 1|3) "
                             f"with n >= 1, got shape {images.shape}; the file is not MedMNIST")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim not in (1, 2) or labels.shape[0] != images.shape[0]:
        raise ValueError(f"{str(path)!r}: {split}_labels has shape {labels.shape} but there "
                         f"are {images.shape[0]} images; the file is inconsistent")
    if images.dtype == np.uint8:
        x = images.astype(np.float32) / 255.0
    elif np.issubdtype(images.dtype, np.integer):
        x = images.astype(np.float32) / float(np.iinfo(images.dtype).max)
    else:
        x = images.astype(np.float32)
        lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
        if lo < 0 or hi > 1:
            x = (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
    if grey and x.shape[-1] == 3:
        x = (x @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
    return np.clip(x, 0.0, 1.0), labels.astype(np.int64)


# ---- Named choices for a picker: "bloodmnist 28px" <-> (flag, size)
__all__ += ["medmnist_choices", "load_medmnist_choice"]


def medmnist_choices(max_size: int | None = None, root: str | os.PathLike | None = None, *,
                     volumes: bool = False) -> list[str]:
    """Each MedMNIST file found locally as ``"<flag> <size>px"`` (e.g. ``"bloodmnist 28px"``), for a picker.

    A cheap glob (:func:`medmnist_available`); never downloads. ``max_size``
    leaves out larger images (a live CPU demo trains on 28 or 64 px). The 3-D
    sets (``*3d``) are listed only with ``volumes=True``, and then only they:
    a 2-D page's picker never offers a volume.
    """
    return [f"{flag} {size}px" for flag, size, _ in medmnist_available(root)
            if (max_size is None or size <= max_size) and flag.endswith("3d") == volumes]


def load_medmnist_choice(choice: str, split: str = "train", root: str | os.PathLike | None = None
                         ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`load_medmnist` for a name from :func:`medmnist_choices` (``"bloodmnist 28px"``)."""
    m = re.fullmatch(r"([a-z0-9]+) (\d+)px", choice) if isinstance(choice, str) else None
    if m is None:
        fail("choice", choice, "a name from medmnist_choices() such as 'bloodmnist 28px'")
    return load_medmnist(m.group(1), split, int(m.group(2)), root)
