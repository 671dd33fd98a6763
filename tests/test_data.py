"""models.data: lecture tables, toy points, images, synthetic sets, notes, MedMNIST files.

Fast, seeded and offline; numbers are checked, not only shapes.
"""
from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from models import data as d
from models.data import images


@pytest.fixture(autouse=True)
def _seed():
    """Overrides the suite-wide seeding fixture: the data makers take seed= (no global seed, no Keras)."""


# --------------------------------------------------------------------------- #
# module hygiene                                                               #
# --------------------------------------------------------------------------- #


def test_importing_models_data_loads_no_heavy_library():
    code = ("import sys, models.data; "
            "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib', 'streamlit', 'sklearn', "
            "'skimage', 'scipy', 'pydicom', 'PIL') if m in sys.modules]; print(heavy)")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(root)}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_models_data_exports_exactly_the_public_names_of_its_modules():
    import importlib

    names = []
    for module in ("tables", "points", "images", "scans", "xray", "notes", "medmnist", "split",
                   "augmentation", "signals", "boxes", "volumes", "nodules3d"):
        names += importlib.import_module(f"models.data.{module}").__all__
    assert sorted(d.__all__) == sorted(names) and len(set(names)) == len(names)
    assert all(getattr(d, n) is not None for n in d.__all__)


@pytest.mark.parametrize("call", [
    lambda: d.make_stroke(n=1), lambda: d.make_points("donut"), lambda: d.make_lesions(size=8),
    lambda: d.load_image("mr", size=0), lambda: d.load_medmnist("x", split="validation"),
    lambda: d.train_test_split_arrays([1, 2], [0, 1], test_fraction=1.0),
    lambda: d.make_clinical_notes(seq_len=4), lambda: d.load_breast_cancer(standardize="yes"),
])
def test_bad_arguments_raise_the_one_argument_error(call):
    from models._arguments import ArgumentError

    with pytest.raises(ArgumentError):
        call()


# --------------------------------------------------------------------------- #
# stroke neuron (lecture 003)                                                  #
# --------------------------------------------------------------------------- #


def test_stroke_patients_match_lecture():
    p = d.stroke_patients()
    assert p.names == ("Patient 1", "Patient 2")
    assert p.feature_names == ("blood_pressure", "cholesterol", "bmi", "age")
    assert p.units[1] == "mmol/L"
    np.testing.assert_array_equal(p.x, [[130, 6, 28, 55], [130, 5.5, 23, 56]])
    assert p.x.dtype == np.float64
    assert p.bias == -71.2 and p.weights == (0.1, 0.3, 1.1, 0.5)
    np.testing.assert_allclose(p.z(), [1.9, -3.25], atol=1e-9)
    np.testing.assert_array_equal(np.round(p.probability(), 3), [0.870, 0.037])
    # by hand, as on the slide
    z1 = p.bias + sum(w * v for w, v in zip(p.weights, p.x[0]))
    assert abs(z1 - 1.9) < 1e-9
    with pytest.raises(ValueError):
        p.x[0, 0] = 1.0  # frozen: the lecture's numbers cannot be changed by accident
    with pytest.raises(ValueError, match="4 features"):
        p.z([1.0, 2.0])


def test_sigmoid_is_stable_and_symmetric():
    z = np.array([-1000.0, -2.0, 0.0, 2.0, 1000.0])
    s = d.sigmoid(z)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s + d.sigmoid(-z), 1.0)
    assert s[2] == 0.5 and s[0] == 0.0 and s[-1] == 1.0


def test_make_stroke_deterministic_and_balanced():
    x, y = d.make_stroke(500, seed=0)
    x2, y2 = d.make_stroke(500, seed=0)
    x3, _ = d.make_stroke(500, seed=1)
    assert x.shape == (500, 4) and x.dtype == np.float32
    assert y.shape == (500,) and y.dtype == np.int64
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(x, x3)
    assert set(np.unique(y)) == {0, 1}
    assert 0.25 <= y.mean() <= 0.6
    np.testing.assert_allclose(x.mean(0), [130, 5.5, 26, 55], rtol=0.05)


def test_logistic_regression_recovers_lecture_neuron():
    from sklearn.linear_model import LogisticRegression

    x, y = d.make_stroke(5000, seed=0)
    x = x.astype(np.float64)
    mu, sd = x.mean(0), x.std(0)  # fit on standardised inputs (fast), map back to mmHg etc.
    m = LogisticRegression(C=1e6, max_iter=1000).fit((x - mu) / sd, y)
    w = m.coef_[0] / sd
    b = m.intercept_[0] - np.sum(w * mu)
    assert np.all(np.sign(w) == np.sign(d.stroke_patients().weights))
    np.testing.assert_allclose(w, [0.1, 0.3, 1.1, 0.5], rtol=0.35)
    assert abs(b - (-71.2)) < 10


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"n": 1}, ValueError, ["n", "1"]),
    ({"n": 2.5}, TypeError, ["n", "2.5"]),
    ({"n": True}, TypeError, ["n", "True"]),
    ({"seed": -1}, ValueError, ["seed", "-1"]),
    ({"seed": "a"}, TypeError, ["seed", "'a'"]),
])
def test_make_stroke_refuses_bad_arguments_naming_them(kwargs, exc, words):
    with pytest.raises(exc) as e:
        d.make_stroke(**kwargs)
    for w in words:
        assert w in str(e.value)


def test_height_weight_table_is_lecture_000s_five_patients():
    t = d.height_weight_table()
    assert t.names == ("P1", "P2", "P3", "P4", "P5")
    np.testing.assert_allclose(t.x, [[0.625, 0.875], [0, 0], [0.25, 0.375], [1, 1],
                                     [0.4583, 0.6667]])
    np.testing.assert_array_equal(t.labels, [1, 0, 1, 1, -1])
    assert t.labels.dtype == np.int64
    assert [t.label_names[v] for v in t.labels] == ["M", "F", "M", "M", "?"]
    lab = t.labelled()
    assert lab.names == ("P1", "P2", "P3", "P4") and lab.x.shape == (4, 2)
    np.testing.assert_array_equal(lab.labels, [1, 0, 1, 1])
    assert t.unlabelled().names == ("P5",)


# --------------------------------------------------------------------------- #
# 2-D points                                                                   #
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("kind", d.POINT_KINDS)
def test_make_points_is_balanced_bounded_shuffled_and_seeded(kind):
    x, y = d.make_points(kind, n=201, noise=0.1, seed=0)
    assert x.shape == (201, 2) and x.dtype == np.float32
    assert y.shape == (201,) and y.dtype == np.int64
    assert sorted(np.bincount(y).tolist()) == [100, 101]
    assert np.abs(x).max() <= 1.5 and np.abs(x).max() > 0.5  # comparable scale
    x2, y2 = d.make_points(kind, n=201, noise=0.1, seed=0)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    x3, _ = d.make_points(kind, n=201, noise=0.1, seed=1)
    assert not np.array_equal(x, x3)
    assert 0 < y[:20].sum() < 20  # shuffled, not sorted by class


@pytest.mark.parametrize("kind, check", [
    ("circle", lambda x, y: np.linalg.norm(x[y == 1], axis=1).max()
     < np.linalg.norm(x[y == 0], axis=1).min()),
    ("xor", lambda x, y: np.all((x[:, 0] * x[:, 1] > 0) == (y == 1))),
    ("gauss", lambda x, y: np.all(x[y == 1].mean(0) > 0.3) and np.all(x[y == 0].mean(0) < -0.3)),
    ("spiral", lambda x, y: np.linalg.norm(x, axis=1).max() <= 1.0 + 1e-6),
    ("moons", lambda x, y: x[y == 1, 1].mean() > x[y == 0, 1].mean()),
])
def test_make_points_geometry_without_noise(kind, check):
    x, y = d.make_points(kind, n=400, noise=0.0, seed=3)
    assert check(x, y)


def test_make_points_refuses_bad_arguments_naming_them():
    with pytest.raises(ValueError, match="'donut'") as e:
        d.make_points("donut")
    assert "circle" in str(e.value)  # lists the valid kinds
    with pytest.raises(ValueError, match="noise.*-0.1"):
        d.make_points("xor", noise=-0.1)
    with pytest.raises(ValueError, match="n must be"):
        d.make_points("xor", n=1)


# --------------------------------------------------------------------------- #
# scikit-learn tables                                                          #
# --------------------------------------------------------------------------- #


def test_breast_cancer_table_has_212_malignant_standardised_and_picks_features():
    x, y, names = d.load_breast_cancer()
    assert x.shape == (569, 30) and x.dtype == np.float32 and y.dtype == np.int64
    assert len(names) == 30 and names[0] == "mean radius"
    assert y.sum() == 212  # malignant = 1
    np.testing.assert_allclose(x.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(x.std(0), 1, atol=1e-5)
    x2, _, n2 = d.load_breast_cancer(["mean radius", 1], standardize=False)
    assert n2 == ["mean radius", "mean texture"] and x2.shape == (569, 2)
    assert abs(float(x2[:, 0].mean()) - 14.127) < 1e-2
    # a larger mean radius is more malignant
    assert x2[y == 1, 0].mean() > x2[y == 0, 0].mean()
    with pytest.raises(ValueError, match="'tumour size'"):
        d.load_breast_cancer(["tumour size"])
    with pytest.raises(ValueError, match="99"):
        d.load_breast_cancer([99])


def test_digits_are_1797_images_in_unit_range_with_ten_classes():
    images, labels = d.load_digits()
    assert images.shape == (1797, 8, 8, 1) and images.dtype == np.float32
    assert images.min() == 0.0 and images.max() == 1.0
    assert labels.dtype == np.int64 and set(labels.tolist()) == set(range(10))


# --------------------------------------------------------------------------- #
# images: built-in                                                             #
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name", d.IMAGE_NAMES)
def test_builtin_image_is_2d_float_in_unit_range_at_any_size(name):
    a = d.load_image(name)
    assert a.ndim == 2 and a.dtype == np.float32
    assert a.min() == 0.0 and 0.99 <= a.max() <= 1.0
    assert max(a.shape) <= 1024 and a.std() > 0.05
    b = d.load_image(name.upper(), size=32)
    assert b.shape == (32, 32) and b.dtype == np.float32 and 0 <= b.min() and b.max() <= 1
    assert d.load_image(name, size=(20, 30)).shape == (20, 30)


def test_builtin_images_keep_native_sizes_and_callers_get_copies():
    assert d.load_image("ct").shape == (128, 128)
    assert d.load_image("mr").shape == (64, 64)
    assert d.load_image("retina").shape == (1024, 1024)  # 1411 px scaled to max_side
    assert d.load_image("retina", max_side=None).shape == (1411, 1411)
    a = d.load_image("phantom")
    a[:] = 0  # callers get a copy: the cache stays intact
    assert d.load_image("phantom").max() == 1.0


def test_every_loader_works_without_network(no_network, tmp_path, monkeypatch):
    images._builtin_raw.cache_clear()  # decode again, offline
    for name in d.IMAGE_NAMES:
        assert d.load_image(name).ndim == 2
    d.load_breast_cancer()
    d.load_digits()
    for kind in d.POINT_KINDS:
        d.make_points(kind, 20)
    d.make_stroke(20)
    d.make_lesions(4)
    d.make_segmentation(4)
    d.make_clinical_notes(4)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("MEDMNIST_DIR", raising=False)
    with pytest.raises(FileNotFoundError):
        d.load_medmnist("pneumoniamnist", root=tmp_path)
    assert d.medmnist_available(tmp_path) == []


@pytest.mark.parametrize("arg, exc, words", [
    ("brain", ValueError, ["'brain'", "ct", "phantom"]),
    (42, TypeError, ["int"]),
])
def test_load_image_refuses_unknown_names_and_types(arg, exc, words):
    with pytest.raises(exc) as e:
        d.load_image(arg)
    for w in words:
        assert w in str(e.value)


@pytest.mark.parametrize("kwargs, words", [
    ({"size": 0}, ["size", "0"]),
    ({"size": (10, -1)}, ["size", "(10, -1)"]),
    ({"size": "big"}, ["size", "'big'"]),
    ({"max_side": 0}, ["max_side", "0"]),
])
def test_load_image_refuses_bad_sizes_naming_them(kwargs, words):
    with pytest.raises(ValueError) as e:
        d.load_image("mr", **kwargs)
    for w in words:
        assert w in str(e.value)


# --------------------------------------------------------------------------- #
# images: files, bytes, uploads                                                #
# --------------------------------------------------------------------------- #


def _save(tmp_path: Path, name: str, array: np.ndarray, **kw) -> Path:
    from PIL import Image

    p = tmp_path / name
    Image.fromarray(array).save(p, **kw)
    return p


def _ramp(h=20, w=30, hi=255, dtype=np.uint8):
    return np.linspace(0, hi, h * w).reshape(h, w).round().astype(dtype)


def test_png_8bit_round_trip(tmp_path):
    a = _ramp()
    p = _save(tmp_path, "ramp.png", a)
    for src in (p, str(p), p.read_bytes(), io.BytesIO(p.read_bytes())):
        out = d.load_image(src)
        assert out.dtype == np.float32 and out.shape == (20, 30)
        np.testing.assert_allclose(out, a / 255.0, atol=1e-6)


def test_png_16bit_keeps_full_range(tmp_path):
    a = _ramp(hi=65535, dtype=np.uint16)
    p = _save(tmp_path, "ramp16.png", a)
    out = d.load_image(p)
    np.testing.assert_allclose(out, a / 65535.0, atol=1e-6)
    # a 16-bit image with small values is not clipped or quantised to 8 bits
    small = (np.arange(600).reshape(20, 30) + 1000).astype(np.uint16)
    out = d.load_image(_save(tmp_path, "small16.png", small))
    assert len(np.unique(out)) == 600
    np.testing.assert_allclose(out, (small - 1000) / 599.0, atol=1e-6)


def test_rgba_and_rgb_become_grey(tmp_path):
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 0] = 200  # red left half, green right half; alpha varies and is ignored
    rgba[:, 8:, 0], rgba[:, 8:, 1] = 0, 200
    rgba[..., 3] = np.arange(16, dtype=np.uint8)[None, :] * 16
    out = d.load_image(_save(tmp_path, "rgba.png", rgba))
    assert out.shape == (16, 16)
    # green is brighter than red in luma (0.587 vs 0.299): left 0, right 1
    assert np.all(out[:, :8] == 0) and np.all(out[:, 8:] == 1)
    rgb = np.ascontiguousarray(rgba[..., :3])
    np.testing.assert_array_equal(d.load_image(_save(tmp_path, "rgb.png", rgb)), out)


def test_jpeg_loads_within_two_percent_of_the_original(tmp_path):
    a = _ramp(64, 64)
    out = d.load_image(_save(tmp_path, "ramp.jpg", a, quality=95))
    assert out.shape == (64, 64) and out.dtype == np.float32
    assert np.abs(out - a / 255.0).mean() < 0.02


def test_a_ct_dicom_loads_in_the_soft_tissue_window_of_its_hounsfield_units_not_min_max(tmp_path):
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.pixels import apply_modality_lut

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    assert "WindowCenter" not in ds  # no window in the file: soft tissue, 50/400 HU
    p = tmp_path / "scan.dcm"
    ds.save_as(p)
    out = d.load_image(p)
    np.testing.assert_array_equal(out, d.load_image("ct"))
    hu = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
    np.testing.assert_allclose(out, np.clip((hu - (50 - 200)) / 400, 0, 1), atol=1e-6)
    px = ds.pixel_array.astype(np.float64)
    assert np.abs(out - (px - px.min()) / (px.max() - px.min())).mean() > 0.1  # not the min-max of before
    # detected from the DICM preamble even without a .dcm name
    np.testing.assert_array_equal(d.load_image_bytes(p.read_bytes(), "upload"), out)


def test_constant_image_gives_zeros(tmp_path):
    out = d.load_image(_save(tmp_path, "flat.png", np.full((8, 8), 77, np.uint8)))
    assert out.dtype == np.float32 and np.all(out == 0)


def test_large_image_is_scaled_down_keeping_aspect(tmp_path):
    a = np.tile(_ramp(1, 2100), (700, 1))
    p = _save(tmp_path, "wide.png", a)
    out = d.load_image(p)
    assert out.shape == (341, 1024)
    assert out.min() >= 0 and out.max() <= 1 and out[:, -1].mean() > 0.95
    assert d.load_image(p, max_side=300).shape == (100, 300)
    assert d.load_image(p, size=(50, 60)).shape == (50, 60)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10))


def test_huge_image_refused_before_decoding():
    with pytest.raises(ValueError, match="megapixel") as e:
        d.load_image_bytes(_png_header_only(12000, 9000), "huge.png")
    assert "downscale" in str(e.value) and "huge.png" in str(e.value)


def test_truncated_png(tmp_path):
    rng = np.random.default_rng(0)
    p = _save(tmp_path, "noise.png", rng.integers(0, 255, (64, 64), dtype=np.uint8))
    raw = p.read_bytes()
    (tmp_path / "cut.png").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt") as e:
        d.load_image(tmp_path / "cut.png")
    assert "cut.png" in str(e.value) and "re-upload" in str(e.value)


@pytest.mark.parametrize("content, filename, words", [
    (b"", "empty.png", ["empty", "0 bytes", "empty.png"]),
    (bytes(np.random.default_rng(1).integers(0, 256, 500, dtype=np.uint8)), "noise.bin",
     ["not a readable image", "noise.bin", "unknown format", ".png"]),
    (b"patient,age\n1,55\n", "table.csv", ["not a readable image", "table.csv"]),
    (b"not dicom at all", "fake.dcm", ["fake.dcm", "not a DICOM file"]),
])
def test_unreadable_files_raise_helpful_errors(tmp_path, content, filename, words):
    p = tmp_path / filename
    p.write_bytes(content)
    for call in (lambda: d.load_image(p), lambda: d.load_image_bytes(content, filename)):
        with pytest.raises(ValueError) as e:
            call()
        for w in words:
            assert w in str(e.value)


def test_dicom_without_pixel_data(tmp_path):
    import pydicom
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    del ds.PixelData
    p = tmp_path / "header_only.dcm"
    ds.save_as(p)
    with pytest.raises(ValueError, match="without pixel data") as e:
        d.load_image(p)
    assert "header_only.dcm" in str(e.value)


def test_truncated_dicom(tmp_path):
    from pydicom.data import get_testdata_file

    raw = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    p = tmp_path / "half.dcm"
    p.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="could not be decoded.*truncated") as e:
        d.load_image(p)
    assert "half.dcm" in str(e.value)


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png"):
        d.load_image(tmp_path / "nope.png")
    with pytest.raises(ValueError, match="directory"):
        d.load_image(tmp_path)
    with pytest.raises(TypeError, match="binary"):
        d.load_image(io.StringIO("text"))


# --------------------------------------------------------------------------- #
# synthetic lesions and segmentation                                           #
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def lesions():
    return d.make_lesions(512, size=64, seed=0)


def test_make_lesions_shapes_and_determinism(lesions):
    images, labels, centres, radii = lesions
    assert images.shape == (512, 64, 64, 1) and images.dtype == np.float32
    assert labels.shape == (512,) and labels.dtype == np.int64
    assert centres.shape == (512, 2) and centres.dtype == np.float32
    assert radii.shape == (512,) and radii.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    assert labels.sum() == 256
    neg, pos = labels == 0, labels == 1
    assert np.all(centres[neg] == -1) and np.all(radii[neg] == 0)
    assert np.all((radii[pos] >= 4) & (radii[pos] <= 8))
    assert np.all((centres[pos] >= radii[pos, None]) & (centres[pos] <= 63 - radii[pos, None]))
    again = d.make_lesions(512, size=64, seed=0)
    for a, b in zip(lesions, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(images, d.make_lesions(512, size=64, seed=1)[0])


def test_nodule_is_brighter_than_its_surroundings(lesions):
    images, labels, centres, radii = lesions
    g = np.arange(64)
    for i in np.flatnonzero(labels == 1):
        dist = np.hypot(g[:, None] - centres[i, 0], g[None, :] - centres[i, 1])
        core = images[i, ..., 0][dist <= radii[i] / 2].mean()
        ring = images[i, ..., 0][(dist > radii[i]) & (dist <= 1.5 * radii[i])].mean()
        assert core > ring + 0.01, i
    # ... but the nodule is not simply the brightest thing in the picture
    peak_at_nodule = [np.unravel_index(images[i, ..., 0].argmax(), (64, 64))
                      for i in np.flatnonzero(labels == 1)]
    near = [np.hypot(*(np.array(p) - centres[i])) <= radii[i]
            for p, i in zip(peak_at_nodule, np.flatnonzero(labels == 1))]
    assert np.mean(near) < 0.9


def test_lesion_signal_is_learnable(lesions):
    from sklearn.linear_model import LogisticRegression

    images, labels, _, _ = lesions
    x = images.reshape(len(images), -1)
    xtr, xte, ytr, yte = d.train_test_split_arrays(x, labels, test_fraction=0.25, seed=0)
    acc = LogisticRegression(C=0.1, max_iter=2000).fit(xtr, ytr).score(xte, yte)
    assert acc > 0.7


@pytest.mark.parametrize("fraction, positives", [(0.0, 0), (1.0, 10), (0.25, 2), (0.5, 5)])
def test_make_lesions_positive_fraction(fraction, positives):
    _, labels, _, _ = d.make_lesions(10, size=32, positive_fraction=fraction)
    assert labels.sum() == positives


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"n": 0}, ValueError, ["n", "0"]),
    ({"size": 8}, ValueError, ["size", "8", ">= 16"]),
    ({"positive_fraction": 1.5}, ValueError, ["positive_fraction", "1.5"]),
    ({"positive_fraction": "half"}, TypeError, ["positive_fraction", "'half'"]),
])
def test_make_lesions_refuses_bad_arguments_naming_them(kwargs, exc, words):
    with pytest.raises(exc) as e:
        d.make_lesions(**kwargs)
    for w in words:
        assert w in str(e.value)


def test_segmentation_masks_cover_3_to_15_percent_of_brighter_lesions_and_are_seeded():
    images, masks = d.make_segmentation(256, size=64, seed=0)
    assert images.shape == masks.shape == (256, 64, 64, 1)
    assert images.dtype == masks.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    assert set(np.unique(masks).tolist()) == {0.0, 1.0}
    frac = masks.mean(axis=(1, 2, 3))
    assert frac.min() >= 0.03 and frac.max() <= 0.15
    # lesions are brighter than the rest of their image (segmentable) in every image
    m = masks[..., 0] > 0.5
    for img, mk in zip(images[..., 0], m):
        assert img[mk].mean() > img[~mk].mean() + 0.1
    # thresholding alone is not perfect: the noise and the bright body are in the way
    dice = 2 * ((images > 0.6) & (masks > 0.5)).sum() / ((images > 0.6).sum() + masks.sum())
    assert 0.2 < dice < 0.95
    a2, m2 = d.make_segmentation(256, size=64, seed=0)
    np.testing.assert_array_equal(images, a2)
    np.testing.assert_array_equal(masks, m2)
    assert not np.array_equal(masks, d.make_segmentation(256, size=64, seed=1)[1])
    assert d.make_segmentation(3, size=32)[0].shape == (3, 32, 32, 1)


# --------------------------------------------------------------------------- #
# clinical notes                                                               #
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def notes():
    return d.make_clinical_notes(600, seed=0)


def test_notes_are_balanced_padded_and_encode_decode_round_trip(notes):
    assert notes.tokens.shape == (600, 12) and notes.tokens.dtype == np.int32
    assert notes.labels.dtype == np.int64 and notes.key_positions.shape == (600,)
    assert notes.vocabulary[:2] == ["<pad>", "<unk>"]
    assert len(set(notes.vocabulary)) == len(notes.vocabulary)
    assert notes.class_names == ("neurological", "respiratory", "cardiac")
    assert np.bincount(notes.labels).tolist() == [200, 200, 200]
    assert not np.any(notes.tokens == 1)  # generated notes never need <unk>
    assert len(notes.texts) == 600 and notes.texts[0].endswith(".")
    for row, text in zip(notes.tokens, notes.texts):
        np.testing.assert_array_equal(notes.encode(text), row)
        assert notes.decode(row) == text.rstrip(".").lower()
        n_words = int((row != 0).sum())
        assert np.all(row[:n_words] != 0) and np.all(row[n_words:] == 0)  # padded at the end


def test_key_word_determines_label(notes):
    symptom_class = {w: c for c, name in enumerate(notes.class_names) for w in d.SYMPTOMS[name]}
    keys = notes.tokens[np.arange(600), notes.key_positions]
    predicted = [symptom_class[notes.vocabulary[k]] for k in keys]
    np.testing.assert_array_equal(predicted, notes.labels)
    # exactly one symptom word per note
    sym_ids = {notes.vocabulary.index(w) for w in symptom_class}
    assert all(sum(int(t) in sym_ids for t in row) == 1 for row in notes.tokens)
    # the key word moves around
    assert len(np.unique(notes.key_positions)) >= 6


def test_distractor_words_are_not_predictive(notes):
    """Knowing the drug or past condition barely beats guessing (1/3)."""
    for words in (d.DRUGS, d.CONDITIONS):
        ids = [notes.vocabulary.index(w) for w in words]
        correct = 0
        for i in ids:
            has = np.any(notes.tokens == i, axis=1)
            if has.any():
                correct += np.bincount(notes.labels[has], minlength=3).max()
        assert correct / 600 < 0.45


def test_lecture_sentence_and_encoding():
    notes = d.make_clinical_notes(3, seed=0)
    sentence = "The patient reports a headache and took ibuprofen for arthritis."
    ids = d.encode_note(sentence, notes.vocabulary, 12)
    assert ids.dtype == np.int32 and ids.shape == (12,)
    assert 1 not in ids.tolist()
    assert [notes.vocabulary[i] for i in ids[:10]] == sentence.lower().rstrip(".").split()
    assert ids[10:].tolist() == [0, 0]
    ids = d.encode_note("Headache, XYZZY!", notes.vocabulary, 4)
    assert ids.tolist() == [notes.vocabulary.index("headache"), 1, 0, 0]
    assert d.encode_note("a " * 30, notes.vocabulary, 5).shape == (5,)  # cut to seq_len


def test_notes_are_seeded_and_refuse_short_seq_len():
    a, b = d.make_clinical_notes(50, seed=4), d.make_clinical_notes(50, seed=4)
    np.testing.assert_array_equal(a.tokens, b.tokens)
    assert a.texts == b.texts
    assert a.texts != d.make_clinical_notes(50, seed=5).texts
    assert d.make_clinical_notes(5, seq_len=20).tokens.shape == (5, 20)
    with pytest.raises(ValueError, match="seq_len.*>= 10.*got 4"):
        d.make_clinical_notes(5, seq_len=4)


# --------------------------------------------------------------------------- #
# MedMNIST files                                                               #
# --------------------------------------------------------------------------- #


@pytest.fixture
def isolated_home(tmp_path, monkeypatch):
    """No real ~/.medmnist or $MEDMNIST_DIR leaks into a test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("MEDMNIST_DIR", raising=False)
    return home


def _write_medmnist(path: Path, side=28, channels=None, label_shape=(1,), seed=0, **override):
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", 10), ("val", 4), ("test", 4)):
        shape = (n, side, side) + ((channels,) if channels else ())
        arrays[f"{split}_images"] = rng.integers(0, 256, shape, dtype=np.uint8)
        arrays[f"{split}_labels"] = rng.integers(0, 2, (n, *label_shape)).astype(np.uint8)
    arrays.update(override)
    np.savez(path, **arrays)
    return arrays


def test_medmnist_round_trip_via_root(tmp_path, isolated_home):
    raw = _write_medmnist(tmp_path / "pneumoniamnist.npz")
    for split, n in (("train", 10), ("val", 4), ("test", 4)):
        x, y = d.load_medmnist("pneumoniamnist", split, root=tmp_path)
        assert x.shape == (n, 28, 28, 1) and x.dtype == np.float32
        assert y.shape == (n,) and y.dtype == np.int64
        np.testing.assert_allclose(x[..., 0], raw[f"{split}_images"] / 255.0, atol=1e-7)
        np.testing.assert_array_equal(y, raw[f"{split}_labels"][:, 0])
    assert d.medmnist_available(tmp_path) == [("pneumoniamnist", 28, tmp_path / "pneumoniamnist.npz")]


def test_medmnist_via_env_and_sized_names(tmp_path, isolated_home, monkeypatch):
    folder = tmp_path / "mm"
    folder.mkdir()
    _write_medmnist(folder / "pathmnist_64.npz", side=64, channels=3)
    _write_medmnist(folder / "chestmnist.npz", label_shape=(14,))
    monkeypatch.setenv("MEDMNIST_DIR", str(folder))
    x, y = d.load_medmnist("pathmnist", "test", size=64)
    assert x.shape == (4, 64, 64, 3) and x.max() <= 1 and y.shape == (4,)
    x, y = d.load_medmnist("chestmnist")  # multi-label: (n, 14) kept
    assert x.shape == (10, 28, 28, 1) and y.shape == (10, 14) and y.dtype == np.int64
    found = {(f, s) for f, s, _ in d.medmnist_available()}
    assert found == {("pathmnist", 64), ("chestmnist", 28)}
    # ~/.medmnist is the last place looked in
    (isolated_home / ".medmnist").mkdir()
    _write_medmnist(isolated_home / ".medmnist" / "dermamnist.npz", channels=3)
    assert d.load_medmnist("dermamnist", "val")[0].shape == (4, 28, 28, 3)


def test_medmnist_missing_file_explains_where_to_get_it(tmp_path, isolated_home, monkeypatch):
    env_dir = tmp_path / "envdir"
    monkeypatch.setenv("MEDMNIST_DIR", str(env_dir))
    with pytest.raises(FileNotFoundError) as e:
        d.load_medmnist("bloodmnist", size=128, root=tmp_path / "mine")
    msg = str(e.value)
    for w in ("bloodmnist_128.npz", str(tmp_path / "mine"), str(env_dir),
              str(isolated_home / ".medmnist"), "zenodo.org/records/10519652", "pip install medmnist",
              "never downloads"):
        assert w in msg, w


def test_medmnist_corrupt_and_malformed_files_say_what_is_wrong(tmp_path, isolated_home):
    (tmp_path / "brokenmnist.npz").write_bytes(b"\x00garbage" * 50)
    with pytest.raises(ValueError, match="brokenmnist.npz.*not a readable .npz"):
        d.load_medmnist("brokenmnist", root=tmp_path)
    np.savez(tmp_path / "oddmnist.npz", images=np.zeros((2, 28, 28), np.uint8),
             labels=np.zeros(2, np.uint8))
    with pytest.raises(ValueError) as e:
        d.load_medmnist("oddmnist", root=tmp_path)
    assert "['images', 'labels']" in str(e.value) and "train_images" in str(e.value)
    _write_medmnist(tmp_path / "flatmnist.npz", train_images=np.zeros((10, 784), np.uint8))
    with pytest.raises(ValueError, match=r"train_images.*\(10, 784\)"):
        d.load_medmnist("flatmnist", root=tmp_path)
    _write_medmnist(tmp_path / "shortmnist.npz", train_labels=np.zeros((3, 1), np.uint8))
    with pytest.raises(ValueError, match=r"train_labels has shape \(3,\).*10 images"):
        d.load_medmnist("shortmnist", root=tmp_path)


@pytest.mark.parametrize("kwargs, words", [
    ({"flag": "pneumoniamnist", "split": "validation"}, ["split", "'validation'", "'val'"]),
    ({"flag": "pneumoniamnist", "size": 32}, ["size", "32", "224"]),
    ({"flag": "../etc/passwd"}, ["flag", "'../etc/passwd'"]),
])
def test_load_medmnist_refuses_bad_arguments_naming_them(tmp_path, isolated_home, kwargs, words):
    with pytest.raises(ValueError) as e:
        d.load_medmnist(root=tmp_path, **kwargs)
    for w in words:
        assert w in str(e.value)


# --------------------------------------------------------------------------- #
# train/test split                                                             #
# --------------------------------------------------------------------------- #


def test_split_is_stratified_paired_seeded_and_checked():
    x = np.arange(200).reshape(100, 2)
    y = np.array([0] * 80 + [1] * 20)
    xtr, xte, ytr, yte = d.train_test_split_arrays(x, y, test_fraction=0.25, seed=0)
    assert len(xte) == 25 and len(xtr) == 75
    assert yte.sum() == 5 and ytr.sum() == 15  # proportions kept
    np.testing.assert_array_equal(y[xtr[:, 0] // 2], ytr)  # rows and labels stay paired
    np.testing.assert_array_equal(y[xte[:, 0] // 2], yte)
    assert sorted(np.concatenate([xtr[:, 0], xte[:, 0]]).tolist()) == list(range(0, 200, 2))
    again = d.train_test_split_arrays(x, y, test_fraction=0.25, seed=0)
    np.testing.assert_array_equal(again[1], xte)
    masks = np.zeros((10, 4, 4, 1))
    parts = d.train_test_split_arrays(masks, masks, test_fraction=0.3, stratify=False)
    assert [len(p) for p in parts] == [7, 3, 7, 3]
    with pytest.raises(ValueError, match="stratify=False"):
        d.train_test_split_arrays(masks, masks)
    with pytest.raises(ValueError, match="test_fraction.*1.0"):
        d.train_test_split_arrays(x, y, test_fraction=1.0)
    with pytest.raises(ValueError, match="same number of examples"):
        d.train_test_split_arrays(x, y[:10])


def test_a_multi_frame_dicom_says_how_many_frames_and_loads_the_one_asked_for():
    import pydicom
    from pydicom.data import get_testdata_file

    from models.data import dicom_frame_count, load_image_bytes

    path = get_testdata_file("rtdose.dcm")  # ships with pydicom: a 15-frame dose grid
    data = open(path, "rb").read()
    frames = np.asarray(pydicom.dcmread(path).pixel_array, dtype=np.float64)
    assert dicom_frame_count(data) == len(frames) == 15
    assert dicom_frame_count(b"not a dicom") == 1
    for k in (0, 7, 14):
        f = frames[k]
        expected = (f - f.min()) / (f.max() - f.min()) if f.max() > f.min() else np.zeros_like(f)
        np.testing.assert_allclose(load_image_bytes(data, "rtdose.dcm", frame=k), expected, atol=1e-6)
    np.testing.assert_allclose(load_image_bytes(data, "rtdose.dcm"), load_image_bytes(data, "rtdose.dcm", frame=7))
    with pytest.raises(ValueError, match="15 frames"):
        load_image_bytes(data, "rtdose.dcm", frame=15)


@pytest.mark.parametrize("flag, side", [("organmnist3d", 28), ("nodulemnist3d", 64)])
def test_medmnist_3d_sets_load_as_volumes_with_a_channel(tmp_path, isolated_home, flag, side):
    rng = np.random.default_rng(0)
    arrays = {f"{s}_{k}": (rng.integers(0, 256, (3, side, side, side), dtype=np.uint8) if k == "images"
                           else rng.integers(0, 11, (3, 1)).astype(np.uint8))
              for s in ("train", "val", "test") for k in ("images", "labels")}
    name = f"{flag}.npz" if side == 28 else f"{flag}_{side}.npz"
    np.savez(tmp_path / name, **arrays)
    x, y = d.load_medmnist(flag, "val", size=side, root=tmp_path)
    assert x.shape == (3, side, side, side, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[..., 0], arrays["val_images"] / 255.0, atol=1e-7)
    np.testing.assert_array_equal(y, arrays["val_labels"][:, 0])
    with pytest.raises(ValueError, match="28, 64"):  # the 3-D sets come only as 28³ and 64³
        d.load_medmnist(flag, size=128, root=tmp_path)


def test_medmnist_colour_sets_keep_their_colour_unless_asked_for_grey(tmp_path, isolated_home):
    raw = _write_medmnist(tmp_path / "bloodmnist.npz", channels=3)
    colour, _ = d.load_medmnist("bloodmnist", root=tmp_path)
    grey, _ = d.load_medmnist("bloodmnist", root=tmp_path, grey=True)
    assert colour.shape == (10, 28, 28, 3) and grey.shape == (10, 28, 28, 1)
    luma = raw["train_images"].astype(np.float64) @ [0.299, 0.587, 0.114] / 255.0
    np.testing.assert_allclose(grey[..., 0], luma, atol=1e-5)


def test_a_2d_picker_never_offers_a_3d_medmnist_set(tmp_path, isolated_home):
    _write_medmnist(tmp_path / "pathmnist.npz", channels=3)
    np.savez(tmp_path / "organmnist3d.npz", train_images=np.zeros((1, 28, 28, 28), np.uint8),
             train_labels=np.zeros((1, 1), np.uint8))
    assert d.medmnist_choices(root=tmp_path) == ["pathmnist 28px"]
    assert d.medmnist_choices(root=tmp_path, volumes=True) == ["organmnist3d 28px"]
