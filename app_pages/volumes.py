"""Volumes (issue 18): CT and MR as volumes: three planes at true spacing, MIP, a montage; a 3-D CNN trained live."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import dataclasses
import pathlib
import tempfile

import numpy as np
import streamlit as st
from matplotlib.figure import Figure

from app_pages.ui import (LiveTraining, cached_figure, demo_cache, figure, history_figure, ready_demo, remember_demo,
                          report, secondary, session_model, stop_button, train_buttons, url_setting, write_url)
from explainers import volume_views as V
from explainers import volume_views_plots as P
from models.data import (WINDOWS, Volume, load_medmnist, load_medmnist_choice, load_volume, make_nodules3d,
                         medmnist_choices, scan_file)

# Built-in volumes: short labels (they fit a 1024-px projector) -> (kind, name).
BUILTIN = {"Brain MR": ("builtin", "brain_mr"), "fMRI, 4-D": ("builtin", "fmri_4d"),
           "Head MR, 10 frames": ("builtin", "mr_head_frames"), "CT, 2 slices of 10 mm": ("scan", "ct_enhanced"),
           "Synthetic nodule": ("nodules", "nodules3d")}
UPLOAD = "Your file"
N_NODULES = 16      # synthetic volumes to pick from (make_nodules3d, seed 0)
PRESET_LABELS = {name.replace("_", " "): name for name in WINDOWS}
KINDS = {"MIP (max)": "max", "MinIP (min)": "min", "mean": "mean"}


# ------------------------------------------------------------------ cached loads
@st.cache_resource(show_spinner=False, max_entries=8)
def builtin_volume(name: str) -> Volume:
    """A built-in volume, loaded once for every session (read-only)."""
    return load_volume(name)


@st.cache_resource(show_spinner=False, max_entries=4)
def scan_volume(name: str) -> Volume:
    """A built-in multi-frame scan of the Medical images page (models.data.SCANS) read as a volume."""
    return load_volume(scan_file(name))


@st.cache_resource(show_spinner=False)
def nodule_set():
    """The synthetic lung volumes (z, y, x), their labels and nodule masks."""
    x, y, masks = make_nodules3d(N_NODULES, seed=0)
    return x[..., 0], y, masks[..., 0]


@st.cache_resource(show_spinner=False, max_entries=4)
def uploaded_volume(data: bytes, filename: str) -> Volume:
    """An uploaded NIfTI or multi-frame DICOM, read through load_volume from a temporary file."""
    name = pathlib.Path(filename).name or "upload"
    if not name.lower().endswith((".nii", ".nii.gz", ".dcm", ".dicom")) and data[128:132] != b"DICM":
        raise ValueError("the file is not a NIfTI (.nii, .nii.gz), a DICOM or a MedMNIST 3-D .npz; "
                         "export the volume as one of these")
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / name
        path.write_bytes(data)
        volume = load_volume(path)
    return dataclasses.replace(volume, source=filename)


@st.cache_resource(show_spinner=False, max_entries=4)
def uploaded_medmnist(data: bytes) -> tuple[np.ndarray, np.ndarray, str]:
    """An uploaded MedMNIST 3-D .npz: (volumes (n, D, H, W), labels, split) of its first split found."""
    with tempfile.TemporaryDirectory() as tmp:
        (pathlib.Path(tmp) / "upload3d.npz").write_bytes(data)
        error = None
        for split in ("test", "val", "train"):
            try:
                x, y = load_medmnist("upload3d", split, 28, root=tmp)
            except ValueError as err:
                error = err
                if "MedMNIST format" in str(err):
                    continue
                raise
            return x[..., 0], y, split
    raise error


@st.cache_resource(show_spinner=False, max_entries=4)
def medmnist_set(choice: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = load_medmnist_choice(choice, "test")
    return x[..., 0], y


def num(v: float) -> str:
    """A value as a reader wants it: thousands separated, or three decimals for grey levels in [0, 1]."""
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}"


def volume_of(kind: str, name: str, index: int, data: bytes | None) -> Volume:
    """The volume a source names: a built-in, a synthetic nodule, a MedMNIST volume or an upload."""
    if kind == "builtin":
        return builtin_volume(name)
    if kind == "scan":
        return scan_volume(name)
    if kind == "nodules":
        x, _, _ = nodule_set()
        return Volume(voxels=x[index], spacing_mm=None, orientation=("?", "?", "?"), modality="",
                      source=f"make_nodules3d({N_NODULES}, seed=0)[{index}]")
    if kind == "medmnist":
        x, _ = medmnist_set(name)
        return Volume(voxels=x[index], spacing_mm=None, orientation=("?", "?", "?"), modality="",
                      source=f"{name} test[{index}]")
    if kind == "npz":
        x, _, split = uploaded_medmnist(data)
        return Volume(voxels=x[index], spacing_mm=None, orientation=("?", "?", "?"), modality="",
                      source=f"{name} {split}[{index}]")
    return uploaded_volume(data, name)


# ------------------------------------------------------------------ cached computations and drawings
@st.cache_data(show_spinner=False, max_entries=256)
def views(source: tuple, data: bytes | None, point: tuple[int, int, int], window: tuple[float, float] | None,
          time: int | None, ct: bool, overlay: bool):
    volume = volume_of(*source, data)
    if ct and volume.modality != "CT":
        volume = dataclasses.replace(volume, modality="CT")
    mask = nodule_set()[2][source[2]] if overlay and source[0] == "nodules" else None
    return V.compute_volume_views(volume, point=point, window=window, time=time, overlay=mask)


@st.cache_data(show_spinner=False, max_entries=64)
def projection(source: tuple, data: bytes | None, axis: int, kind: str, window: tuple[float, float] | None,
               time: int | None):
    return V.compute_projection(volume_of(*source, data), axis=axis, kind=kind, window=window, time=time)


@st.cache_data(show_spinner=False, max_entries=64)
def montage(source: tuple, data: bytes | None, axis: int, window: tuple[float, float] | None, time: int | None):
    volume = volume_of(*source, data)
    return V.compute_montage(volume, axis=axis, n_slices=min(12, volume.voxels.shape[-3:][axis]), window=window,
                             time=time)


# The figures a slider move redraws are laid out by hand (no constrained layout: a quarter of a warm rerun).
def draw_views(result):
    return P.plot_volume_views(result, Figure(figsize=P.views_size(result, 10.0)))


def draw_projection(result):
    width, height = result.extent_mm
    return P.plot_projection(result, figure(4.6, float(np.clip(4.6 * height / width, 2.0, 6.0)) + 0.5).subplots()
                             ).figure


def draw_montage(result):
    n, rows, cols = result.slices.shape
    columns = 6
    grid_rows = -(-n // columns)
    return P.plot_montage(result, figure(9.0, float(np.clip(1.5 * grid_rows * rows * result.aspect / cols, 1.5, 9.0))
                                         + 0.5), columns=columns)


# ------------------------------------------------------------------ window controls (CT)
def _apply_preset(prefix: str) -> None:
    choice = st.session_state.get(f"{prefix}_preset")
    if choice in PRESET_LABELS:
        st.session_state[f"{prefix}_level"], st.session_state[f"{prefix}_width"] = WINDOWS[PRESET_LABELS[choice]]


def _clear_preset(prefix: str) -> None:
    choice = st.session_state.get(f"{prefix}_preset")
    if choice in PRESET_LABELS and WINDOWS[PRESET_LABELS[choice]] != (
            st.session_state.get(f"{prefix}_level"), st.session_state.get(f"{prefix}_width")):
        st.session_state[f"{prefix}_preset"] = None


def ct_window(prefix: str) -> tuple[float, float]:
    """Preset pills and level/width sliders in HU; opens on soft tissue."""
    if f"{prefix}_level" not in st.session_state:
        st.session_state[f"{prefix}_level"], st.session_state[f"{prefix}_width"] = WINDOWS["soft_tissue"]
        st.session_state[f"{prefix}_preset"] = "soft tissue"
    st.pills("Preset window", list(PRESET_LABELS), key=f"{prefix}_preset", on_change=_apply_preset, args=(prefix,))
    c1, c2 = st.columns(2)
    level = c1.slider("Level (HU)", -1100.0, 2000.0, step=1.0, format="%.0f", key=f"{prefix}_level",
                      on_change=_clear_preset, args=(prefix,))
    width = c2.slider("Width (HU)", 1.0, 4000.0, step=1.0, format="%.0f", key=f"{prefix}_width",
                      on_change=_clear_preset, args=(prefix,))
    return float(level), float(width)


# ------------------------------------------------------------------ the page
st.title("Volumes")
st.markdown(
    "Most medical images are **volumes**: a CT or an MR is a stack of slices, a 3-D grid of measurements with "
    "a size in millimetres for each voxel. Lecture 004 lists what deep learning does in computed tomography: "
    "\"Organ segmentation\", \"Image Registration\", \"Lymph node detection, Lung nodule detection and "
    "classification, Liver Lesion segmentation\". Its examples handle the third dimension in different ways: "
    "\"2D/3D Registration\" (Miao et al.), \"A new 2.5 D representation for lymph node detection\" (Roth et "
    "al.), \"multi-view convolutional networks\" for nodules (Setio et al.). A nodule is a small sphere, a "
    "vessel a long tube: one slice of either is a round blob. Seeing the volume tells them apart."
)

st.subheader("Three planes through one voxel")
st.markdown(
    "A viewer cuts the volume along three planes through one point: **axial** (across the body), **coronal** "
    "(front view) and **sagittal** (side view). Move the crosshair with the three sliders. Each plane is drawn "
    "in millimetres: slices are often thicker than pixels are wide, and a viewer that ignored the spacing "
    "would squash the coronal and sagittal planes flat."
)
labels = list(BUILTIN) + medmnist_choices(volumes=True) + [UPLOAD]
choice = st.selectbox("Volume", labels, key=url_setting("vol_source", labels[0], options=labels))
data = None
if choice == UPLOAD:
    upload = st.file_uploader("NIfTI (.nii, .nii.gz), multi-frame DICOM, or MedMNIST 3-D .npz",
                              type=["nii", "gz", "dcm", "dicom", "npz"], key="vol_upload")
    if upload is None:
        st.info("Upload a volume to see it here; until then the brain MR is shown.")
        source = ("builtin", "brain_mr", 0)
    else:
        data, filename = upload.getvalue(), upload.name
        kind = "npz" if filename.lower().endswith(".npz") else "upload"
        try:
            if kind == "npz":
                n_upload = len(uploaded_medmnist(data)[0])
            else:
                uploaded_volume(data, filename)
        except (ValueError, OSError) as err:  # FileNotFoundError is an OSError
            st.error(f"Could not read {filename!r}: {err}. The brain MR is shown instead.")
            data, source = None, ("builtin", "brain_mr", 0)
        else:
            index = 0
            if kind == "npz":
                index = st.number_input(f"Volume (0 to {n_upload - 1})", 0, n_upload - 1, 0, key="vol_up_index")
            source = (kind, filename, int(index))
elif choice in BUILTIN:
    kind, name = BUILTIN[choice]
    index = 0
    if kind == "nodules":
        _, nodule_labels, _ = nodule_set()
        index = st.number_input(f"Volume (0 to {N_NODULES - 1})", 0, N_NODULES - 1,
                                int(np.flatnonzero(nodule_labels)[0]), key="vol_nodule_index")
    source = (kind, name, int(index))
else:  # a MedMNIST 3-D file found locally
    n_found = len(medmnist_set(choice)[0])
    index = st.number_input(f"Volume (0 to {n_found - 1})", 0, n_found - 1, 0, key="vol_mm_index")
    source = ("medmnist", choice, int(index))
write_url()

try:
    volume = volume_of(*source, data)
except (ValueError, OSError) as err:
    st.error(f"Could not load the volume: {err}. The brain MR is shown instead.")
    data, source = None, ("builtin", "brain_mr", 0)
    volume = volume_of(*source, data)
shape = volume.voxels.shape[-3:]
n_times = volume.voxels.shape[0] if volume.voxels.ndim == 4 else 1
key = "_".join(str(s) for s in source[:3]).replace(" ", "")  # sliders remember each volume's crosshair
time = None
if n_times > 1:
    time = st.slider("Time point", 1, n_times, 1, key=f"vol_t_{key}") - 1
start = [n // 2 for n in shape]
if source[0] == "nodules" and nodule_set()[1][source[2]]:  # open on the nodule's centre
    start = [int(round(float(c.mean()))) for c in np.nonzero(nodule_set()[2][source[2]])]
cz, cy, cx = st.columns(3)
z = cz.slider("z (axial)", 0, shape[0] - 1, start[0], key=f"vol_z_{key}")
y = cy.slider("y (coronal)", 0, shape[1] - 1, start[1], key=f"vol_y_{key}")
x = cx.slider("x (sagittal)", 0, shape[2] - 1, start[2], key=f"vol_x_{key}")

ct = volume.modality == "CT"
if volume.modality == "" and source[0] == "upload":  # NIfTI does not say; HU values give CT away
    guess = bool(volume.voxels.min() <= -500 and volume.voxels.max() >= 100)
    ct = st.toggle("Values are Hounsfield units (CT)", value=guess, key=f"vol_ct_{key}")
window = ct_window("vol") if ct else None
overlay = False
if source[0] == "nodules":
    overlay = st.toggle("Show the nodule's mask", value=True, key="vol_mask")

result = views(source, data, (int(z), int(y), int(x)), window, time, ct, overlay)
cached_figure(draw_views, result)
sz, sy, sx = result.spacing_mm
if result.spacing_known:
    mm = ", ".join(f"{p * s:.1f}" for p, s in zip(result.point, result.spacing_mm))
    spacing = (f"The voxels are **{sz:.3g} × {sy:.3g} × {sx:.3g} mm** (z × y × x), so the volume is "
               f"{shape[0] * sz:.0f} × {shape[1] * sy:.0f} × {shape[2] * sx:.0f} mm. Each plane's pixels are drawn "
               f"{result.aspects[0]:.2f} (axial), {result.aspects[1]:.2f} (coronal) and {result.aspects[2]:.2f} "
               f"(sagittal) times as tall as wide: row spacing over column spacing.")
    where = f"The crosshair is on voxel ({', '.join(map(str, result.point))}), {mm} mm from the first voxel"
else:
    spacing = ("The file gives no voxel spacing, so every voxel is drawn as a cube and the bars count voxels, "
               "not millimetres: a real viewer could not tell you how big anything is.")
    where = f"The crosshair is on voxel ({', '.join(map(str, result.point))})"
units = ("HU" if result.units == "HU" else "(MR values have no fixed units: they depend on the scanner and the "
         "sequence)" if volume.modality == "MR" else "(no fixed units)")
if source[0] in ("nodules", "medmnist", "npz"):
    units = "(grey level in [0, 1])"
level, width = result.window
st.markdown(f"{where}; its value is **{num(result.value)}** {units}. {spacing}")
st.caption(
    f"Shape {shape[0]} × {shape[1]} × {shape[2]} voxels"
    + (f", time point {time + 1} of {n_times}" if time is not None else "")
    + f"; axis codes {'/'.join(volume.orientation)} (the direction each of z, y, x grows towards). "
    + (f"Window {level:g}/{width:g} HU." if ct else
       f"Window {num(level)}/{num(width)} (the volume's 0.5th to 99.5th percentile).")
)
if source[0] == "nodules":
    label = int(nodule_set()[1][source[2]])
    mask = nodule_set()[2][source[2]]
    if label:
        centre = tuple(int(round(float(c.mean()))) for c in np.nonzero(mask))
        st.caption(f"Volume {source[2]} holds a nodule of {int(mask.sum())} voxels (green) centred at (z, y, x) = "
                   f"{centre}, where the crosshair opens. It is round in the coronal and sagittal planes too: a "
                   "sphere, not a tube.")
    else:
        st.caption(f"Volume {source[2]} holds no nodule: only lungs, vessels and noise.")

st.subheader("Projections and a montage")
st.markdown(
    "A **maximum intensity projection** (MIP) keeps the brightest voxel along each ray: every nodule, vessel "
    "and bone of the volume in one picture, but without depth. A **montage** lays slices side by side, as a "
    "radiologist scrolls through them."
)
c1, c2 = st.columns(2)
kind_label = c1.segmented_control("Projection", list(KINDS), default="MIP (max)", key="vol_kind")
axis_label = c2.segmented_control("Along", ["z", "y", "x"], default="z", key="vol_axis")
axis = "zyx".index(axis_label or "z")
proj = projection(source, data, axis, KINDS.get(kind_label or "MIP (max)", "max"), window, time)
left, right = st.columns([1, 1.6])
with left:
    cached_figure(draw_projection, proj)
with right:
    mont = montage(source, data, axis, window, time)
    cached_figure(draw_montage, mont)
brightest = np.unravel_index(int(np.argmax(proj.image)), proj.image.shape)
st.caption(
    f"The projection is {proj.image.shape[0]} × {proj.image.shape[1]} pixels of {proj.spacing_mm[0]:g} × "
    f"{proj.spacing_mm[1]:g} {'mm' if proj.spacing_known else 'voxels'}. Its brightest pixel, "
    f"{num(float(proj.image[brightest]))}, comes from slice {int(proj.argmax[brightest])} along "
    f"{'zyx'[axis]}" + (" (the MIP keeps where each maximum came from)." if proj.kind == "max" else ".")
    if proj.kind != "mean" else
    f"The mean projection is {proj.image.shape[0]} × {proj.image.shape[1]} pixels: the average of "
    f"{shape[axis]} voxels along each ray, like a radiograph (which sums the attenuation along each ray)."
)

# ------------------------------------------------------------------ a 3-D CNN, trained live
st.subheader("A 3-D CNN, trained live")
st.markdown(
    "A 3-D CNN slides 3 × 3 × 3 kernels through the volume: each kernel sees a nodule across neighbouring "
    "slices, as a sphere. Train one on synthetic lung volumes, half of them with a nodule of 2–5 voxels' radius, "
    "all of them with vessels of the same radius (tubes along z), "
    "then ask **3-D Grad-CAM** where it looked: the map is a volume too, cut here along the same three planes "
    "through the nodule of a held-out volume."
)
import time  # noqa: E402

from models.recipes.volumes import (DEFAULT_VOLUME_RECIPE, SliceVolumeComparison, axial_slices,  # noqa: E402
                                    build_slice_cnn, build_volume_cnn, nodule_volumes, ranking_auc,
                                    slice_scores, train_volume_cnn)
from models.training import TrainingHistory, train  # noqa: E402

RECIPE = DEFAULT_VOLUME_RECIPE
# An example scan geometry for millimetres: a chest CT of 0.7 × 0.7 mm pixels and 2.5 mm slices.
EXAMPLE_SPACING = (2.5, 0.7, 0.7)
# Seconds per epoch on two shared cores, for the time the page promises before a click: the workshop benchmark's
# volumes click trained 12 epochs in 17.8 s (load 8); in one process the 2-D run took 17.3 CPU s, the 3-D 15.6.
SECONDS_PER_EPOCH_3D = SECONDS_PER_EPOCH_2D = 1.5


@st.cache_resource(show_spinner=False)
def lesson_volumes():
    """The recipe's training and held-out nodule volumes (shared, read-only)."""
    return nodule_volumes(RECIPE)


def draw_cam(result):
    return P.plot_volume_views(result, Figure(figsize=P.views_size(result, 10.0)))


data3d = lesson_volumes()
entry = session_model("vol_cnn3d", (RECIPE,), lambda: build_volume_cnn(RECIPE))
with secondary():
    epochs = st.slider("Epochs per click", 1, 20, RECIPE.epochs, key="vol_epochs")
recipe = dataclasses.replace(RECIPE, epochs=int(epochs))
st.caption(
    f"Conv3D → batch norm → ReLU → 2 × 2 × 2 max pooling with {' → '.join(map(str, RECIPE.filters))} filters, "
    f"global max pooling, {RECIPE.dense_units} dense units, one sigmoid · {entry.model.count_params():,} parameters · "
    f"{len(data3d.y)} training and {len(data3d.y_test)} held-out volumes of {RECIPE.size}³ · {recipe.epochs} epochs "
    f"per click (about {SECONDS_PER_EPOCH_3D * recipe.epochs:.0f} s on two cores)"
)
go = train_buttons("vol_cnn3d", key="vol")
# The recipe (epochs included) is everything that decides the run: its ready demo is keyed by it.
if ready_demo("volumes", (recipe,), entry, go):
    entry.extra.setdefault("run_of", recipe)  # loaded just now (a rerun follows the click): one run of these settings
curves = st.columns([3, 2])[0].empty()


def redraw_3d(progress=None, model=None):
    cached_figure(history_figure, entry.history.history, ("accuracy", "val_accuracy"), 6, 2.4, "Accuracy",
                  slot=curves)


def one_run_of(entry, recipe) -> bool:
    """Whether the session's 3-D CNN is one finished run of ``recipe`` from fresh weights (or that run's demo):
    then it is the model the comparison below would train, and it can stand in for it."""
    h = entry.history
    return entry.extra.get("run_of") == recipe and h.status == "finished" and len(h) == recipe.epochs


def train_3d(observers) -> None:
    """Train the session's 3-D CNN for one click of ``recipe``; a fresh model's finished run becomes the demo."""
    # A click on a trained model continues its run: it is no longer one run of these settings.
    entry.extra["run_of"] = None if len(entry.history) else recipe
    run = train_volume_cnn(recipe, model=entry.model, data=data3d, history=entry.history, observers=observers)
    entry.extra["seconds"] = run.seconds
    remember_demo("volumes", (recipe,), entry, recipe.epochs)


if go:
    with stop_button(beside=go, key="vol_stop"):
        # A 12-epoch run redraws its curve every couple of seconds: a new point every epoch or two.
        train_3d([LiveTraining(redraw_3d, redraw_every_s=2.0)])
if len(entry.history):
    redraw_3d()
    report(entry.history)
else:
    st.info(f"The model is untrained: its Grad-CAM is noise. Click **Train** (about "
            f"{SECONDS_PER_EPOCH_3D * recipe.epochs:.0f} s), then look again.")

trained_key = (len(entry.history), entry.history.status)
if entry.extra.get("p_key") != trained_key:
    entry.extra["p"] = np.asarray(entry.model.predict(data3d.x_test, batch_size=64, verbose=0)).ravel()
    entry.extra["p_key"] = trained_key
    entry.extra.pop("cam_key", None)
positives = np.flatnonzero(data3d.y_test == 1)
k1, k2 = st.columns([1, 2], vertical_alignment="bottom")
pick = int(k1.number_input(f"Held-out nodule (1 to {len(positives)})", 1, len(positives), 1, key="vol_cam_pick"))
index = int(positives[pick - 1])
p = float(entry.extra["p"][index])
accuracy = float(np.mean((entry.extra["p"] >= 0.5) == (data3d.y_test == 1)))
k2.markdown(f"held-out volume {index} · p(nodule) = **{p:.2f}** · held-out accuracy **{accuracy:.0%}**")

from explainers.saliency import compute_gradcam  # noqa: E402

cam_key = (trained_key, index)
if entry.extra.get("cam_key") != cam_key:
    entry.extra["cam"] = compute_gradcam(entry.model, data3d.x_test[index])
    entry.extra["cam_key"] = cam_key
cam = entry.extra["cam"]
mask = data3d.masks_test[index, ..., 0]
centre = tuple(int(round(float(c.mean()))) for c in np.nonzero(mask))
cam_views = V.compute_volume_views(data3d.x_test[index], point=centre, overlay=cam.heatmap)
cached_figure(draw_cam, cam_views)
heat = cam.heatmap
inside = float(heat[mask > 0].sum() / max(heat.sum(), 1e-12))
peak = np.unravel_index(int(np.argmax(heat)), heat.shape)
distance = float(np.sqrt(sum((a - b) ** 2 for a, b in zip(peak, centre))))
st.caption(
    f"Grad-CAM of layer {cam.layer_name} ({'×'.join(map(str, cam.cam.shape))} voxels, upsampled to "
    f"{'×'.join(map(str, heat.shape))}), cut through the nodule's centre {centre}. The nodule is "
    f"{int(mask.sum())} of {mask.size:,} voxels ({mask.mean():.2%}) and holds **{inside:.0%}** of the map's total "
    f"({inside / mask.mean():.0f} times its share of the volume); "
    f"the map's peak at {tuple(int(v) for v in peak)} is {distance:.1f} voxels from the nodule's centre."
)

# ------------------------------------------------------------------ 2-D slices or 3-D volumes
st.subheader("2-D slices or 3-D volumes")
st.markdown(
    "The same task, two ways: a **2-D CNN** with the same filters reads one axial slice at a time (a slice counts "
    "as positive when the nodule touches it, and a volume scores as its highest slice), the **3-D CNN** reads "
    "the whole volume. Both train on the same volumes for the same epochs and are tested on the same held-out "
    "volumes. The 3-D kernels hold three times the weights of the 2-D ones; the 2-D CNN's receptive field never "
    "leaves its slice.\n\n"
    "The volumes are built to make that matter. Every volume holds **vessels**: bright tubes along z with the "
    "nodule's radius and brightness, and each volume without a nodule holds a vessel right where the others hold "
    "theirs. Cut across, a vessel is a bright **disc**, the same disc as a slice through a nodule's centre; only "
    "the slices above and below tell a **tube** (the disc goes on) from a **sphere** (it shrinks and ends)."
)
from explainers.receptive_field import compute_receptive_field, compute_receptive_field_mm  # noqa: E402



def slice_comparison(model_3d, history_3d, seconds_3d, observers) -> SliceVolumeComparison:
    """The 2-D CNN trained on the axial slices beside a trained 3-D CNN: compare_2d_3d's second half, for a
    3-D CNN this session already has (the recipe trains both)."""
    model_2d, history_2d = build_slice_cnn(recipe), TrainingHistory()
    seconds_2d = 0.0
    if history_3d.status == "finished":
        slices, labels = axial_slices(data3d.x, data3d.masks)
        test_slices, test_labels = axial_slices(data3d.x_test, data3d.masks_test)
        t0 = time.perf_counter()
        train(model_2d, slices, labels, epochs=recipe.epochs, batch_size=recipe.slice_batch_size
              or recipe.batch_size * recipe.size, learning_rate=recipe.learning_rate,
              validation_data=(test_slices, test_labels), observers=observers, history=history_2d, shuffle=False)
        seconds_2d = time.perf_counter() - t0
    else:
        history_2d.message = f"Not trained: the 3-D run ended first ({history_3d.status})."
    scores_2d, per_slice = slice_scores(model_2d, data3d.x_test)
    scores_3d = np.asarray(model_3d.predict(data3d.x_test, batch_size=64, verbose=0), np.float32).reshape(-1)
    y = data3d.y_test
    return SliceVolumeComparison(
        model_2d=model_2d, model_3d=model_3d, history_2d=history_2d, history_3d=history_3d,
        parameters_2d=int(model_2d.count_params()), parameters_3d=int(model_3d.count_params()),
        accuracy_2d=float(np.mean((scores_2d >= 0.5) == y)), accuracy_3d=float(np.mean((scores_3d >= 0.5) == y)),
        auc_2d=ranking_auc(scores_2d, y), auc_3d=ranking_auc(scores_3d, y), seconds_2d=seconds_2d,
        seconds_3d=seconds_3d, slice_scores_2d=per_slice, scores_2d=scores_2d, scores_3d=scores_3d, data=data3d,
        recipe=recipe)


def compare(step, observers) -> tuple[SliceVolumeComparison, str]:
    """Both CNNs of the comparison, training only what this session does not have yet; and which 3-D CNN it is."""
    when = ""
    if not one_run_of(entry, recipe) and not len(entry.history):
        saved = demo_cache().find("volumes", (recipe,))
        if saved is not None:  # trained on this server with these settings: load it, as "Load the trained demo"
            step.caption("Loading the ready-trained 3-D CNN…")
            entry.history = demo_cache().load_into(saved, entry.model)
            when = time.strftime("%H:%M on %d %b", time.localtime(saved.saved_at))
            entry.extra.update(run_of=recipe, seconds=None, demo=(
                f"Showing the ready-trained demo: {saved.epochs} epochs trained on this server at {when}. "
                "Train continues from it; Reset starts from scratch."))
        else:  # the section above's model is untrained: train it there, once, for both sections
            step.caption(f"1 of 2 · training the 3-D CNN on whole volumes ({recipe.epochs} epochs), the model of the "
                         "section above…")
            train_3d(observers)
            when = "now"
    if when or one_run_of(entry, recipe):  # (a run just trained here is used even if it diverged: it says so)
        if when == "now":
            which = "The 3-D CNN was trained now, as the section above's model (its Grad-CAM is above)."
        elif when:
            which = (f"The 3-D CNN is the ready-trained demo ({recipe.epochs} epochs with these settings, trained on "
                     f"this server at {when}), loaded into the section above; only the 2-D CNN was trained now.")
        elif entry.extra.get("demo"):
            which = (f"The 3-D CNN is the ready-trained demo loaded above ({recipe.epochs} epochs with these "
                     "settings), reused; only the 2-D CNN was trained now.")
        else:
            which = (f"The 3-D CNN is the one this session trained above with the same settings ({recipe.epochs} "
                     "epochs from fresh weights), reused; only the 2-D CNN was trained now.")
        model_3d, seconds_3d = entry.model, entry.extra.get("seconds")
        # A copy: training the model above further must not change this comparison's curve.
        history_3d = dataclasses.replace(entry.history, epochs=[dict(e) for e in entry.history.epochs],
                                         samples_per_s=list(entry.history.samples_per_s))
    else:  # the model above ran other settings (more clicks, other epochs, a stop): leave it as it is
        step.caption(f"1 of 2 · training a fresh 3-D CNN on whole volumes ({recipe.epochs} epochs): the one above "
                     f"ran {len(entry.history)} epochs in other runs, so it is left as it is…")
        run = train_volume_cnn(recipe, data=data3d, observers=observers, history=TrainingHistory())
        model_3d, history_3d, seconds_3d = run.model, run.history, run.seconds
        which = ("Both CNNs were trained now: the 3-D CNN above was trained with other settings "
                 f"({len(entry.history)} epochs in other runs), so it was left as it is.")
    if history_3d.status == "finished":
        step.caption(f"2 of 2 · training the 2-D CNN on axial slices ({recipe.epochs} epochs)…")
    return slice_comparison(model_3d, history_3d, seconds_3d, observers), which


reuse_3d = one_run_of(entry, recipe) or (not len(entry.history) and demo_cache().find("volumes", (recipe,)))
go_compare = st.button("Compare 2-D and 3-D", icon=":material/compare:", key="vol_compare")
if go_compare:
    st.session_state.pop("vol_comparison", None)  # an interrupted comparison leaves none (not the last one)
    before = (len(entry.history), entry.history.status)
    with stop_button(key="vol_compare_stop"):
        step = st.empty()
        st.session_state["vol_comparison"], st.session_state["vol_comparison_note"] = compare(
            step, [LiveTraining(redraw_every_s=2.0)])
        step.empty()
    if (len(entry.history), entry.history.status) != before:
        st.rerun()  # the section above's model was trained or loaded for the comparison: show it there too
comparison = st.session_state.get("vol_comparison")
if comparison is None:
    if reuse_3d:
        st.info(f"Click **Compare 2-D and 3-D** to fill the table: the 3-D CNN "
                f"{'trained above' if one_run_of(entry, recipe) else 'of the ready-trained demo'} has these settings "
                f"and is reused, so only the 2-D CNN trains ({recipe.epochs} epochs, about "
                f"{SECONDS_PER_EPOCH_2D * recipe.epochs:.0f} s on two cores).")
    else:
        st.info(f"Click **Compare 2-D and 3-D** to train both CNNs ({recipe.epochs} epochs each, about "
                f"{(SECONDS_PER_EPOCH_3D + SECONDS_PER_EPOCH_2D) * recipe.epochs:.0f} s on two cores) and fill the "
                "table. A 3-D CNN trained above with the same settings is reused instead of trained again.")
else:
    st.caption(st.session_state.get("vol_comparison_note", ""))
    if comparison.history_3d.status != "finished" or comparison.history_3d.at_chance:  # a stop, chance: say so
        report(comparison.history_3d)
    if comparison.history_2d.status != "finished":
        report(comparison.history_2d)
    elif comparison.history_2d.at_chance:  # expected here: no learning rate helps when a slice cannot tell
        st.info(f"The 2-D CNN ended where guessing ends: training loss "
                f"{comparison.history_2d.history['loss'][-1]:.3f}, the loss of calling every slice by the class "
                "frequencies. No setting fixes that: one slice does not hold the answer.")
    h3, h2 = comparison.history_3d.history, comparison.history_2d.history
    left, _ = st.columns([3, 2])
    with left:
        cached_figure(history_figure, {"3-D, held-out": h3.get("val_accuracy", []),
                                       "2-D slices, held-out": h2.get("val_accuracy", [])},
                      ("3-D, held-out", "2-D slices, held-out"), 6, 2.4, "Held-out accuracy per epoch")
    st.caption("The 2-D curve counts held-out slices, the 3-D curve held-out volumes; the table scores both "
               "per volume.")
    rf3 = compute_receptive_field(comparison.model_3d)
    rf2 = compute_receptive_field(comparison.model_2d)
    size = RECIPE.size
    mm3 = compute_receptive_field_mm(rf3, EXAMPLE_SPACING, (size,) * 3, (size,) * 3)
    mm2 = compute_receptive_field_mm(rf2, EXAMPLE_SPACING[1:], (size, size), (size, size))
    zyx3 = rf3.size_zyx
    zyx2 = (1, *rf2.size_hw)
    mm2_zyx = (EXAMPLE_SPACING[0], *mm2.size_mm)
    st.table({
        "model": ["2-D CNN, axial slices", "3-D CNN, volumes"],
        "parameters": [f"{comparison.parameters_2d:,}", f"{comparison.parameters_3d:,}"],
        "receptive field (z × y × x voxels)": [" × ".join(map(str, zyx2)), " × ".join(map(str, zyx3))],
        "in mm at 2.5 × 0.7 × 0.7 mm voxels": [" × ".join(f"{v:.1f}" for v in mm2_zyx),
                                               " × ".join(f"{v:.1f}" for v in mm3.size_mm)],
        "held-out accuracy": [f"{comparison.accuracy_2d:.1%}", f"{comparison.accuracy_3d:.1%}"],
        "AUC": [f"{comparison.auc_2d:.2f}", f"{comparison.auc_3d:.2f}"],
        "training (s)": [f"{comparison.seconds_2d:.0f}", "ready-trained demo" if comparison.seconds_3d is None
                         else f"{comparison.seconds_3d:.0f}"],
    })
    st.caption(
        f"Receptive fields of the last layer before global pooling ({rf2.layer_name}, {rf3.layer_name}), "
        f"analytic (compute_receptive_field). In millimetres for an example geometry, a chest CT of 0.7 × 0.7 mm "
        f"pixels and 2.5 mm slices: the 3-D field is {mm3.size_mm[0]:.0f} mm deep but {mm3.size_mm[1]:.0f} mm "
        f"wide, the same voxels covering {EXAMPLE_SPACING[0] / EXAMPLE_SPACING[1]:.1f} times the distance along "
        f"z. Accuracy is per held-out volume ({len(data3d.y_test)}) at p ≥ 0.5; AUC is the chance that a held-out "
        f"volume with a nodule scores above one without (0.5: no better than a coin).")
    if comparison.history_2d.status == "finished":
        at_nodules, at_vessels = comparison.disc_scores()
        st.markdown(
            f"**What the numbers show.** The 2-D CNN gives the slice through each held-out nodule's centre a score "
            f"of **{at_nodules.mean():.2f}** on average, and the highest slice of each volume without a nodule "
            f"(where a vessel stands in) **{at_vessels.mean():.2f}**: a disc is a disc, as often a vessel as a "
            f"nodule. So its held-out accuracy is **{comparison.accuracy_2d:.0%}** and its AUC "
            f"**{comparison.auc_2d:.2f}**. The 3-D CNN sees the disc go on through the slices above and below (a "
            f"tube) or shrink and end (a sphere): **{comparison.accuracy_3d:.0%}**, AUC **{comparison.auc_3d:.2f}**, "
            f"with {comparison.parameters_3d / comparison.parameters_2d:.1f} times the weights. A reader scrolling "
            "through the slices does the same.")
