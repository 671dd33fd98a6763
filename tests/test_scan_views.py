"""explainers.scan_views: HU histogram, window views, scale bar, scan view, gallery, safe DICOM metadata.

References: NumPy (np.histogram, the window formula), pydicom (raw stored
values, apply_modality_lut), hand counts on a small synthetic Scan.
"""
from __future__ import annotations

import io

import numpy as np
import pytest

from explainers import scan_views as V
from explainers import scan_views_plots as P
from models._arguments import ArgumentError
from models.data import SCANS, WINDOWS, Scan, load_scan, load_upload, scan_file, window

IDENTIFYING = {
    "PatientName": "Doe^Jane", "PatientID": "PID-314159", "PatientBirthDate": "19700101",
    "OtherPatientIDs": "OTHER-271828", "InstitutionName": "St Example Hospital",
    "ReferringPhysicianName": "Who^Doctor", "AccessionNumber": "ACC-161803", "StudyDate": "20240102",
    "PatientAddress": "1 Secret Lane", "StudyID": "STUDY-42", "InstitutionAddress": "2 Hidden Road",
    "PerformingPhysicianName": "Grey^Meredith", "OperatorsName": "Op^Erator", "PatientSex": "F",
    "PatientAge": "054Y", "StudyTime": "101112", "SeriesDate": "20240103",
}


def synthetic_ct(values, padding=None, spacing=(0.5, 0.5)) -> Scan:
    pixels = np.asarray(values, dtype=np.float32)
    pad = np.zeros(pixels.shape, bool) if padding is None else np.asarray(padding, bool)
    return Scan(pixels=pixels, padding=pad, modality="CT", body_part="", description="", spacing_mm=spacing,
                window=None, n_frames=1, photometric="MONOCHROME2", source="test")


def small_dicom(*, identifying: bool = True, rows: int = 16, cols: int = 20, frames: int = 1) -> bytes:
    """A CT DICOM written with pydicom: HU = stored - 1024, padding -2000, patient tags filled."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=["medlens-test"])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("test.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.BodyPartExamined, ds.SeriesDescription = "CT", "HEAD", "test head"
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.PixelSpacing = [0.5, 0.25]
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    ds.PixelPaddingValue = -2000
    ds.WindowCenter, ds.WindowWidth = 40, 80
    rng = np.random.default_rng(0)
    a = rng.integers(900, 1200, size=(frames, rows, cols)).astype(np.int16)
    a[:, 0, :] = -2000
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.PixelData = (a if frames > 1 else a[0]).tobytes()
    if identifying:
        for key, value in IDENTIFYING.items():
            setattr(ds, key, value)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


# ---------------------------------------------------------------- HU histogram
def test_hu_histogram_counts_equal_numpys_histogram_of_the_real_pixels():
    scan = load_scan("ct_head")
    h = V.compute_hu_histogram(scan, bins=64)
    real = scan.pixels[~scan.padding]
    counts, edges = np.histogram(real, bins=64)
    np.testing.assert_array_equal(h.counts, counts)
    np.testing.assert_allclose(h.edges, edges)
    assert h.n_pixels == real.size and h.n_padding == int(scan.padding.sum()) == 55772
    assert h.counts.sum() == h.n_pixels and h.units == "HU"


def test_tissue_shares_match_a_hand_count_on_a_synthetic_scan():
    values = [[-1000, -1000, -1000, -1000, -700],
              [-700, -100, -100, 0, 0],
              [40, 40, 40, 40, 200],
              [1000, 1000, -3024, -300, -300]]
    padding = np.zeros((4, 5), bool)
    padding[3, 2] = True
    h = V.compute_hu_histogram(synthetic_ct(values, padding), bins=4, window="brain")
    hand = {"air": 4, "lung": 2, "fat": 2, "water": 2, "soft tissue": 4, "contrast": 1, "bone": 2}
    assert h.tissues == tuple(hand)
    np.testing.assert_allclose(h.shares, np.array(list(hand.values())) / 19)
    assert h.other_share == pytest.approx(2 / 19)  # the two -300 HU pixels
    assert (h.n_pixels, h.n_padding) == (19, 1)
    assert h.window == WINDOWS["brain"]
    assert h.edges[0] == -1000 and h.edges[-1] == 1000  # padding is not the histogram's floor


@pytest.mark.parametrize("hu, tissue", [(-1024, "air"), (-950, None), (-900, "lung"), (-120, "fat"), (-90, None),
                                        (19.9, "water"), (20, "soft tissue"), (80, None), (300, "bone"),
                                        (1900, None)])
def test_tissue_ranges_are_half_open(hu, tissue):
    h = V.compute_hu_histogram(synthetic_ct([[hu, hu]]), bins=2)
    got = [t for t, s in zip(h.tissues, h.shares) if s == 1.0]
    assert got == ([] if tissue is None else [tissue])


def test_histogram_of_a_colour_scan_or_a_bad_argument_is_refused():
    with pytest.raises(ArgumentError, match="colour"):
        V.compute_hu_histogram(load_scan("ultrasound"))
    with pytest.raises(ArgumentError, match="bins"):
        V.compute_hu_histogram(load_scan("ct"), bins=1)
    with pytest.raises(ArgumentError, match="window"):
        V.compute_hu_histogram(load_scan("ct"), window="nope")
    with pytest.raises(ArgumentError, match="scan"):
        V.compute_hu_histogram(np.zeros((4, 4)))


def test_an_mr_histogram_has_no_tissue_ranges():
    h = V.compute_hu_histogram(load_scan("mr"))
    assert h.units == "stored value" and h.tissues == () and h.other_share == 1.0


# ---------------------------------------------------------------- window views
def test_window_views_equal_models_data_window_and_the_numpy_formula():
    scan = load_scan("ct_head")
    views = V.compute_window_views(scan, ("brain", "subdural", "bone"))
    assert views.names == ("brain", "subdural", "bone")
    for image, (level, width) in zip(views.images, views.windows):
        np.testing.assert_array_equal(image, window(scan.pixels, level, width))
        reference = np.clip((scan.pixels.astype(np.float64) - (level - width / 2)) / width, 0, 1)
        np.testing.assert_allclose(image, reference, atol=1e-6)


def test_min_max_view_equals_min_max_of_pydicoms_raw_stored_values():
    import pydicom
    from pydicom.pixels import apply_modality_lut

    data = scan_file("ct_head").read_bytes()
    ds = pydicom.dcmread(io.BytesIO(data))
    raw = ds.pixel_array.astype(np.float64)
    hu = apply_modality_lut(ds.pixel_array, ds)
    scan = load_scan("ct_head")
    assert scan.stored_range == (float(hu.min()), float(hu.max())) == (-3024.0, 1468.0)  # padding -2000 stored
    views = V.compute_window_views(scan, ["brain"])
    np.testing.assert_allclose(views.minmax, (raw - raw.min()) / (raw.max() - raw.min()), atol=1e-6)


def test_grey_steps_between_white_and_grey_matter_by_hand():
    views = V.compute_window_views(load_scan("ct_head"), {"brain": (40, 80), "wide": (0, 4000)},
                                   full_range=(-3024, 1468))
    assert views.contrast_values == (25.0, 40.0)
    np.testing.assert_allclose(views.grey_steps, [15 / 80 * 255, 15 / 4000 * 255])
    assert views.minmax_grey_steps == pytest.approx(15 / 4492 * 255)  # < 1 grey level: one grey


def test_monochrome1_window_views_are_inverted():
    scan = load_scan("leg_xray")
    assert scan.photometric == "MONOCHROME1"
    views = V.compute_window_views(scan, {"file": scan.window})
    np.testing.assert_allclose(views.images[0], 1.0 - window(scan.pixels, *scan.window), atol=1e-6)
    lo, hi = float(scan.pixels.min()), float(scan.pixels.max())
    np.testing.assert_allclose(views.minmax, 1.0 - (scan.pixels - lo) / (hi - lo), atol=1e-6)


def test_window_views_take_one_frame_of_a_multi_frame_scan():
    scan = load_scan("ct_enhanced")
    views = V.compute_window_views(scan, ["brain"], frame=1)
    assert views.frame == 1
    np.testing.assert_array_equal(views.images[0], window(scan.pixels[1], *WINDOWS["brain"]))
    with pytest.raises(ArgumentError, match="frame"):
        V.compute_window_views(scan, ["brain"], frame=2)
    with pytest.raises(ArgumentError, match="windows"):
        V.compute_window_views(scan, [])


# ---------------------------------------------------------------- scale bar
@pytest.mark.parametrize("spacing, width, mm, pixels", [
    ((0.478516, 0.478516), 512, 50.0, 50 / 0.478516),   # head CT: 245 mm wide, a quarter is 61 mm
    ((0.661468, 0.661468), 128, 20.0, 20 / 0.661468),   # small CT: 84.7 mm wide, a quarter is 21.2 mm
    (1.0, 100, 20.0, 20.0),                             # 25 mm of room
    ((0.5, 2.0), 100, 50.0, 25.0),                      # the column spacing counts, not the row spacing
    (0.1, 64, 1.0, 10.0),                               # 1.6 mm of room
    ((0.195313, 0.195313), 1024, 50.0, 50 / 0.195313),  # shoulder MR: 200 mm wide
])
def test_scale_bar_is_the_longest_round_length_in_a_quarter_of_the_width(spacing, width, mm, pixels):
    bar = V.compute_scale_bar(spacing, width)
    assert bar.mm == mm and bar.pixels == pytest.approx(pixels) and bar.label == f"{mm:g} mm"
    assert bar.pixels <= width / 4 + 1e-9


@pytest.mark.parametrize("spacing, width", [(0.0, 100), ((1.0, -1.0), 100), ("x", 100), (1.0, 0), (1.0, 2.5)])
def test_scale_bar_refuses_bad_spacing_or_width(spacing, width):
    with pytest.raises(ArgumentError):
        V.compute_scale_bar(spacing, width)


# ---------------------------------------------------------------- scan view
def test_scan_view_of_the_head_ct_is_its_window_with_a_50_mm_bar():
    scan = load_scan("ct_head")
    view = V.compute_scan_view(scan, window="brain")
    np.testing.assert_array_equal(view.image, window(scan.pixels, *WINDOWS["brain"]))
    assert view.window == WINDOWS["brain"] and view.scale_bar.mm == 50.0 and view.spacing_mm == scan.spacing_mm
    assert V.compute_scan_view(scan).window == (40.0, 100.0)  # the file's own window by default


def test_a_large_scan_is_shrunk_for_drawing_and_its_spacing_scaled():
    scan = load_scan("shoulder_mr")
    view = V.compute_scan_view(scan, max_side=512)
    assert view.image.shape == (512, 512)
    assert view.spacing_mm == pytest.approx((scan.spacing_mm[0] * 2, scan.spacing_mm[1] * 2))
    assert view.scale_bar.mm * 1.0 == pytest.approx(view.scale_bar.pixels * view.spacing_mm[1])
    chest = V.compute_scan_view(load_scan("chest_xray"), max_side=768)
    assert chest.image.shape == (768, 723) and chest.scale_bar is None  # no spacing in the file


def test_the_mr_overlay_and_the_seg_mask_are_carried_to_the_view():
    mr = load_scan("liver_mr")
    view = V.compute_scan_view(mr)
    np.testing.assert_array_equal(view.overlay, mr.overlay)
    seg = load_scan("liver_seg")
    seg_view = V.compute_scan_view(seg, frame=2)
    np.testing.assert_array_equal(seg_view.mask, seg.pixels[2])
    assert seg_view.frame == 2 and seg_view.window is None and seg_view.n_frames == 3


def test_a_colour_scan_keeps_its_colour():
    scan = load_scan("ultrasound")
    view = V.compute_scan_view(scan)
    np.testing.assert_array_equal(view.image, scan.pixels)
    assert view.window is None


# ---------------------------------------------------------------- gallery
def test_gallery_lists_every_built_in_scan_with_its_size_and_spacing():
    g = V.compute_scan_gallery(size=64)
    assert g.names == tuple(SCANS)
    for name, size, spacing, thumb, frames in zip(g.names, g.sizes, g.spacings, g.thumbnails, g.frames):
        scan = load_scan(name)
        grey = scan.pixels if scan.pixels.shape[-1:] != (3,) else scan.pixels[..., 0]
        assert size == grey.shape[-2:] and spacing == scan.spacing_mm and frames == scan.n_frames
        assert max(thumb.shape[:2]) <= 64
    with pytest.raises(ArgumentError, match="names"):
        V.compute_scan_gallery(["not_a_scan"])


# ---------------------------------------------------------------- metadata
def test_metadata_never_shows_patient_identifying_tags_even_when_present():
    data = small_dicom(identifying=True)
    meta = V.compute_dicom_metadata(data)
    shown = " ".join(f"{k} {v}" for k, v in meta.rows)
    for keyword, value in IDENTIFYING.items():
        assert value not in shown or len(value) < 4, f"{keyword} leaked"  # "F" (PatientSex) is in any text
    for word in ("Patient", "Sex", "Birth", "Institution", "Physician", "Accession", "Study date", "Operator"):
        assert word.lower() not in shown.lower()
    rows = dict(meta.rows)
    assert rows["Modality"] == "CT" and rows["Body part"] == "HEAD" and rows["Pixel spacing (mm)"] == "0.5, 0.25"
    assert rows["Rescale intercept"] == "-1024" and rows["Transfer syntax"] == "Explicit VR Little Endian"
    assert meta.n_hidden >= len(IDENTIFYING)


def test_metadata_labels_come_only_from_the_allow_list():
    meta = V.compute_dicom_metadata(scan_file("ct_head").read_bytes())
    assert {k for k, _ in meta.rows} <= set(V.SAFE_TAGS.values()) | {"Transfer syntax"}
    assert dict(meta.rows)["Pixel padding value"] == "-2000"


@pytest.mark.parametrize("data", [b"", b"not a dicom file at all", b"\0" * 128 + b"DICM" + b"\x02\x00"])
def test_metadata_of_a_non_dicom_file_is_a_value_error(data):
    with pytest.raises(ValueError):
        V.compute_dicom_metadata(data)


# ---------------------------------------------------------------- uploads
def test_an_uploaded_dicom_loads_in_hu_with_its_padding():
    scan = load_upload(small_dicom(), "scan.dcm")
    assert scan.modality == "CT" and scan.spacing_mm == (0.5, 0.25) and scan.window == (40.0, 80.0)
    assert scan.padding[0].all() and not scan.padding[1:].any()
    assert scan.pixels[1:].min() >= 900 - 1024 and scan.pixels.max() < 1200 - 1024
    assert scan.stored_range == (-3024.0, float(scan.pixels.max()))


def test_an_uploaded_png_becomes_grey_levels_0_to_255():
    from PIL import Image

    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, size=(20, 30), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    scan = load_upload(buf.getvalue(), "x.png")
    np.testing.assert_allclose(scan.pixels, (a - a.min()) / (a.max() - a.min()) * 255.0, atol=1e-3)
    assert scan.spacing_mm is None and scan.window is None and scan.modality == ""


@pytest.mark.parametrize("data, name", [(b"", "x.dcm"), (b"garbage" * 20, "x.dcm"), (b"garbage", "x.png")])
def test_an_unreadable_upload_is_a_value_error(data, name):
    with pytest.raises(ValueError):
        load_upload(data, name)


# ---------------------------------------------------------------- plots
def test_plots_return_their_axes_or_figure_and_keep_the_pixel_aspect():
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    scan = synthetic_ct(np.linspace(-1000, 1000, 40 * 60).reshape(40, 60), spacing=(1.0, 0.5))
    view = V.compute_scan_view(scan, window="bone")
    ax = P.plot_scan(view)
    assert isinstance(ax, Axes) and ax.get_aspect() == pytest.approx(2.0)  # row spacing / column spacing
    assert isinstance(P.plot_hu_histogram(V.compute_hu_histogram(scan, window="bone")), Axes)
    assert isinstance(P.plot_window_views(V.compute_window_views(scan)), Figure)
    assert isinstance(P.plot_scan_gallery(V.compute_scan_gallery(["ct", "ultrasound", "liver_seg"], size=32)),
                      Figure)
    P.plot_scan(V.compute_scan_view(load_scan("liver_mr")))
    P.plot_scan(V.compute_scan_view(load_scan("liver_seg")))
