"""Real scans: Hounsfield units as pydicom computes them, windows as NumPy does, every corpus file handled."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models._arguments import ArgumentError
from models.data import SCANS, WINDOWS, load_scan, window

ROOT = Path(__file__).resolve().parents[1]

# Runs in a child process: a decoder's native crash on an odd file fails this test instead of pytest.
_SWEEP = r'''
import json, sys, warnings
from pathlib import Path
import numpy as np
import pydicom, pydicom.data, data_store
from pydicom.pixels import apply_modality_lut
from models.data.scans import load_scan
from models.data.images import load_image_bytes
warnings.simplefilter("ignore")
roots = [Path(pydicom.data.__file__).parent / "test_files", Path(data_store.__file__).parent / "data"]
files = sorted(p for r in roots for p in r.rglob("*") if p.is_file() and p.suffix.lower() in ("", ".dcm"))
loaded, refused, image_refused, bad, ct_checked, ct_mismatch = 0, 0, 0, [], 0, []
for path in files:
    try:
        scan = load_scan(path)
    except ValueError as e:
        refused += 1
        if len(str(e)) < 40:
            bad.append(f"{path.name}: terse error {e!r}")
        continue
    except Exception as e:  # anything but a ValueError is a defect
        bad.append(f"{path.name}: {type(e).__name__}: {e}")
        continue
    loaded += 1
    try:  # load_image decodes through the same path: the grey a page shows
        grey = load_image_bytes(path.read_bytes(), path.name, max_side=256)
        if not (grey.dtype == np.float32 and grey.ndim == 2 and 0 <= grey.min() and grey.max() <= 1):
            bad.append(f"{path.name}: load_image gave {grey.dtype} {grey.shape}")
    except ValueError:
        image_refused += 1
    except Exception as e:
        bad.append(f"{path.name}: load_image: {type(e).__name__}: {e}")
    if scan.pixels.dtype != np.float32 or not np.all(np.isfinite(scan.pixels)):
        bad.append(f"{path.name}: pixels {scan.pixels.dtype}, finite {np.all(np.isfinite(scan.pixels))}")
    if scan.pixels.size > 1 and np.ptp(scan.pixels) == 0 and scan.modality != "SEG":
        bad.append(f"{path.name}: loads as a constant image")
    ds = pydicom.dcmread(path, force=True)
    if scan.modality == "CT" and "RescaleSlope" in ds and int(ds.get("NumberOfFrames", 1) or 1) == 1:
        ct_checked += 1
        hu = apply_modality_lut(ds.pixel_array, ds).astype(np.float32)
        keep = ~scan.padding
        if not np.allclose(scan.pixels[keep], hu[keep], atol=1e-3):
            ct_mismatch.append(path.name)
print(json.dumps({"files": len(files), "loaded": loaded, "refused": refused, "image_refused": image_refused,
                  "bad": bad,
                  "ct_checked": ct_checked, "ct_mismatch": ct_mismatch}))
'''


@pytest.fixture(scope="module")
def sweep():
    proc = subprocess.run([sys.executable, "-c", _SWEEP], cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, f"the corpus sweep died (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_corpus_file_loads_as_finite_float32_or_is_refused_with_a_clear_value_error(sweep):
    print(f"{sweep['files']} files: {sweep['loaded']} loaded, {sweep['refused']} refused with a ValueError; "
          f"of those loaded, load_image refused {sweep['image_refused']} with a ValueError")
    assert sweep["files"] > 100 and sweep["loaded"] > 80  # pydicom's test files and pydicom-data
    assert not sweep["bad"], "\n".join(sweep["bad"])


def test_ct_hounsfield_units_equal_pydicoms_modality_lut_on_every_ct_of_the_corpus(sweep):
    assert sweep["ct_checked"] >= 5
    assert not sweep["ct_mismatch"], sweep["ct_mismatch"]


def test_head_ct_reads_brain_at_0_to_60_hu_and_air_below_minus_900():
    scan = load_scan("ct_head")
    assert scan.modality == "CT" and scan.window == (40.0, 100.0)  # the file's own window
    assert scan.spacing_mm == pytest.approx((0.478516, 0.478516))
    brain = scan.pixels[236:276, 236:276]  # the centre of the head: brain parenchyma
    assert 0 <= np.median(brain) <= 60
    air = scan.pixels[~scan.padding][:200]  # the first rows inside the field of view, above the head
    assert np.median(air) < -900
    assert scan.padding.any() and not scan.padding[256, 256]  # padding outside the field of view, not air


@pytest.mark.parametrize("level, width", [(40, 80), (-600, 1500), (400, 1800), (0.5, 1e-3)])
def test_window_equals_the_numpy_reference(level, width):
    hu = np.random.default_rng(0).uniform(-1200, 2000, (64, 64))
    lo = level - width / 2
    reference = np.clip((hu - lo) / width, 0, 1)
    np.testing.assert_allclose(window(hu, level, width), reference, atol=1e-6)


@pytest.mark.parametrize("level, width", [(40, 0), (40, -10), (float("nan"), 80), ("40", 80)])
def test_window_refuses_a_width_that_is_not_positive_or_a_level_that_is_not_a_number(level, width):
    with pytest.raises(ArgumentError):
        window(np.zeros((2, 2)), level, width)


def test_window_presets_are_the_usual_level_and_width():
    assert WINDOWS["brain"] == (40.0, 80.0) and WINDOWS["lung"] == (-600.0, 1500.0)
    assert WINDOWS["bone"] == (400.0, 1800.0) and WINDOWS["soft_tissue"] == (50.0, 400.0)
    assert {"brain", "subdural", "stroke", "soft_tissue", "lung", "bone", "liver"} <= set(WINDOWS)


def test_monochrome1_radiograph_is_inverted_for_display():
    scan = load_scan("leg_xray")
    assert scan.photometric == "MONOCHROME1"
    level, width = scan.window
    np.testing.assert_allclose(scan.display(), 1 - window(scan.pixels, level, width))


@pytest.mark.parametrize("frame, shape", [(None, (10, 64, 64)), (0, (64, 64)), (9, (64, 64))])
def test_a_multi_frame_mr_gives_every_frame_or_the_one_asked_for(frame, shape):
    scan = load_scan("mr_head_frames", frame=frame)
    assert scan.pixels.shape == shape and scan.n_frames == 10


def test_enhanced_ct_is_in_hounsfield_units_per_frame():
    scan = load_scan("ct_enhanced")
    assert scan.pixels.shape == (2, 512, 512)
    assert scan.pixels.min() >= -1024 and 0 < np.median(scan.pixels[0][200:300, 200:300]) < 100


def test_every_built_in_scan_loads_offline(no_network):
    for name in SCANS:
        scan = load_scan(name)
        assert scan.pixels.dtype == np.float32 and np.all(np.isfinite(scan.pixels)), name
        assert scan.source.startswith(name)


@pytest.mark.parametrize("bad, error", [("no_such_scan", ArgumentError), (b"not a dicom file", ValueError)])
def test_a_bad_name_or_a_non_dicom_upload_gets_a_clear_error(bad, error):
    with pytest.raises(error, match="DICOM|one of"):
        load_scan(bad)


def test_a_frame_outside_the_file_is_refused():
    with pytest.raises(ArgumentError, match="frame"):
        load_scan("mr_head_frames", frame=10)


def _testdata(name: str) -> str:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name, download=False)
    assert path is not None, f"{name} is not installed"
    return path


def test_palette_colour_goes_through_its_colour_lut_not_min_max_of_the_indices():
    import pydicom
    from pydicom.pixels import apply_color_lut

    from models.data import load_image

    path = _testdata("examples_palette.dcm")
    ds = pydicom.dcmread(path)
    luma = apply_color_lut(ds.pixel_array, ds).astype(np.float64) @ [0.299, 0.587, 0.114]
    scan = load_scan(path)
    assert scan.pixels.shape == (*ds.pixel_array.shape, 3)  # the colours, kept
    grey = load_image(path, max_side=None)
    r_now = np.corrcoef(grey.ravel(), luma.ravel())[0, 1]
    r_indices = np.corrcoef(ds.pixel_array.ravel().astype(float), luma.ravel())[0, 1]
    print(f"correlation with the grey of the real colours: {r_now:.4f} (indices min-max: {r_indices:.2f})")
    assert r_now > 0.999 and r_indices < 0.8


@pytest.mark.parametrize("ybr, tolerance", [("SC_ybr_full_uncompressed.dcm", 0.03),  # YBR_FULL, 8-bit rounding
                                            ("SC_rgb_jpeg_dcmtk.dcm", 0.01)])  # YBR_FULL JPEG: mean error
def test_ybr_colour_is_converted_to_the_same_rgb_as_the_rgb_original(ybr, tolerance):
    rgb = load_scan(_testdata("SC_rgb.dcm")).pixels
    converted = load_scan(_testdata(ybr))
    assert converted.photometric.startswith("YBR") and converted.pixels.shape == rgb.shape
    error = np.abs(converted.pixels - rgb)
    assert (error.max() if "uncompressed" in ybr else error.mean()) < tolerance


def test_seg_masks_are_the_files_frames_in_order_each_with_its_segment_label():
    import pydicom

    path = _testdata("liver.dcm")
    masks = pydicom.dcmread(path).pixel_array
    scan = load_scan("liver_seg")
    assert scan.modality == "SEG" and scan.segments == ("Liver",) * 3
    np.testing.assert_array_equal(scan.pixels, masks.astype(np.float32))
    one = load_scan("liver_seg", frame=1)
    np.testing.assert_array_equal(one.pixels, masks[1])
    assert one.segments == ("Liver",)
    assert scan.spacing_mm == pytest.approx((0.810547, 0.810547))  # from the shared functional groups


def test_the_mr_lesion_marker_is_the_overlay_plane_at_its_origin():
    import pydicom

    path = _testdata("MR-SIEMENS-DICOM-WithOverlays.dcm")
    ds = pydicom.dcmread(path)
    plane = ds.overlay_array(0x6000).astype(bool)
    assert tuple(ds[0x6000, 0x0050].value) == (1, 1)  # origin at the first pixel: the same grid
    scan = load_scan("liver_mr")
    assert scan.overlay.shape == scan.pixels.shape
    np.testing.assert_array_equal(scan.overlay, plane)
    assert load_scan("ct_head").overlay is None


def test_scan_input_is_the_default_window_then_an_anti_aliased_resize():
    from skimage.transform import resize

    from models.data import default_window, scan_input

    scan = load_scan("ct_head")
    assert default_window(scan) == (40.0, 100.0)  # the file's window
    expected = resize(window(scan.pixels, 40.0, 100.0), (64, 64), anti_aliasing=True, preserve_range=True)
    np.testing.assert_allclose(scan_input(scan, 64), np.clip(expected, 0, 1), atol=1e-6)
    np.testing.assert_allclose(scan_input("ct_head", None, window="bone"), window(scan.pixels, *WINDOWS["bone"]))
    assert default_window(load_scan("ct_abdomen")) == WINDOWS["soft_tissue"]  # a CT without a window


@pytest.mark.parametrize("name, frame", [("leg_xray", None), ("ultrasound", None), ("mr_head_frames", 3)])
def test_scan_input_inverts_monochrome1_turns_colour_grey_and_picks_a_frame(name, frame):
    from models.data import default_window, scan_input

    scan = load_scan(name)
    out = scan_input(scan, None, frame=frame)
    if scan.photometric == "MONOCHROME1":
        np.testing.assert_allclose(out, 1 - window(scan.pixels, *default_window(scan)))
    elif scan.pixels.shape[-1:] == (3,):
        np.testing.assert_allclose(out, scan.pixels @ np.float32([0.299, 0.587, 0.114]), atol=1e-6)
    else:
        np.testing.assert_allclose(out, window(scan.pixels[frame], *default_window(scan)))
    assert out.dtype == np.float32 and out.ndim == 2 and 0 <= out.min() and out.max() <= 1
