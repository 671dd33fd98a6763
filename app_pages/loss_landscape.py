"""Loss landscapes and the optimiser's trajectory across them (lecture 003; Li et al. 2018)."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import streamlit as st

from app_pages.ui import (
    LiveTraining, figure, report, session_model, stop_button, train_buttons, url_setting, write_url,
)
from models.page_models import LANDSCAPE_LEARNING_RATES, landscape_model
from models.zoo import demo_data

st.title("Loss landscapes")
st.markdown(
    "A network has thousands of weights, so its loss surface cannot be drawn directly. We cut it along "
    "two directions through the trained weights θ*: the loss at θ* + αδ + βη. With the **PCA directions "
    "of the training run** the optimiser's path lies in the picture; with **filter-normalised random "
    "directions** (Li et al., 2018) surfaces of different nets become comparable. Logistic regression "
    "is convex (a bowl); a deep net is not."
)

STEP_CHOICES = [11, 21, 31, 41, 51]
DEFAULT_STEPS = {"logistic": 31, "mlp": 31, "cnn": 21, "resnet": 21}
MODELS = {"logistic": "Logistic regression (stroke table)", "mlp": "MLP 2-8-8-1 (circle points)",
          "cnn": "CNN (lesion images)", "resnet": "ResNet (lesion images)"}
c1, c2, c3, c4 = st.columns([3, 2, 2, 3])  # the model names stay whole at 1024 px
name = c1.selectbox("Model", list(MODELS), format_func=MODELS.get,
                    key=url_setting("land_model", "mlp", options=list(MODELS)))
epochs = c2.number_input("Epochs", 1, 30, key=url_setting("land_epochs", 10, bounds=(1, 30)))
# each model's own default: 0.05 suits the logistic and MLP models but leaves the CNN at chance
lr = c3.number_input("Learning rate", 1e-4, 1.0, format="%.4f",
                     key=url_setting(f"land_lr_{name}", LANDSCAPE_LEARNING_RATES[name], bounds=(1e-4, 1.0)))
# each model's own default too: a CNN or ResNet grid point is a forward pass over images, so their two
# 31×31 grids took ~15 s after training on 2 cores; at 21×21 (half the points) the basin and the path
# look the same (compared side by side) and the dense models keep their cheap 31×31
steps = c4.select_slider("Resolution (after training)", STEP_CHOICES,
                         key=url_setting(f"land_steps_{name}", DEFAULT_STEPS[name], options=STEP_CHOICES))
d1, d2, d3 = st.columns(3)
span = d1.slider("Span of the random-direction view (±)", 0.1, 3.0, step=0.1,
                 key=url_setting("land_span", 1.0, bounds=(0.1, 3.0)))
elev = d2.slider("3-D elevation", 0, 90, key=url_setting("land_elev", 35, bounds=(0, 90)))
azim = d3.slider("3-D azimuth", -180, 180, step=5, key=url_setting("land_azim", -60, bounds=(-180, 180)))
write_url()

SIZES = {"logistic": None, "mlp": None, "cnn": None, "resnet": 256}
N_LAND = {"logistic": 256, "mlp": 256, "cnn": 64, "resnet": 48}


@st.cache_data(show_spinner=False, max_entries=8)
def cached_data(model_name: str):
    """Built-in data, made once per process and shared read-only."""
    (x, y), _, _ = demo_data(model_name, n=SIZES[model_name], seed=0)
    return x, y


x, y = cached_data(name)
entry = session_model("land_model_entry", (name,), lambda: landscape_model(name))
model = entry.model
st.caption(f"{model.count_params():,} parameters · {len(y)} training samples · landscapes on a fixed subset "
           f"of {min(N_LAND[name], len(y))} samples, weights evaluated in inference mode")

if "recorder" not in entry.extra:
    from explainers.trajectory import TrajectoryRecorder

    entry.extra["recorder"] = TrajectoryRecorder(model, every_n_batches=4)
recorder = entry.extra["recorder"]

# Train sits above the figures, so they appear below it without moving the buttons.
go = train_buttons("land_model_entry")
top = st.columns([3, 2])
traj_slot, curve_slot = top[0].empty(), top[1].empty()


def trajectory_landscape(n_steps: int):
    """The PCA plane of the run so far, with the loss on it (cached per snapshot count and resolution)."""
    from explainers.landscape import compute_landscape
    from explainers.trajectory import compute_trajectory

    key = ("traj", len(recorder), n_steps)
    if entry.extra.get("traj_key") != key:
        traj = compute_trajectory(recorder)
        reach = float(np.abs(traj.coords).max()) * 1.25 or 1.0
        land = compute_landscape(model, x, y, traj.directions, steps=n_steps, span=reach, n_samples=N_LAND[name])
        entry.extra["traj_key"], entry.extra["traj"] = key, (traj, land)
    return entry.extra["traj"]


def redraw(progress, model_now, n_steps: int = 11):
    from explainers.history_plots import plot_history
    from explainers.trajectory_plots import plot_trajectory

    if progress is not None and progress.epoch >= progress.epochs:
        return  # the last epoch: the fine grid below follows at once, a coarse one first would be thrown away
    if len(recorder) >= 3:
        traj, land = trajectory_landscape(n_steps)
        ax = plot_trajectory(traj, ax=figure(5.5, 4.2).subplots(), landscape=land,
                             title=f"Trajectory on the PCA plane ({n_steps}×{n_steps} grid)")
        traj_slot.pyplot(ax.figure, clear_figure=False)
    ax = plot_history(entry.history, figure(4, 3).subplots(), metric=("loss", "accuracy"))
    curve_slot.pyplot(ax.figure, clear_figure=False)


if go:
    from models.training import train

    with stop_button(beside=go):
        # coarse 11×11 landscapes while training; the fine one below once it is done
        train(model, x, y, epochs=int(epochs), batch_size=32, learning_rate=float(lr), history=entry.history,
              observers=[recorder, LiveTraining(redraw)])

if len(entry.history):
    redraw(None, model, n_steps=int(steps))
    report(entry.history)
    traj, land_t = entry.extra["traj"] if len(recorder) >= 3 else (None, None)

    from explainers.landscape import compute_landscape, random_directions
    from explainers.landscape_plots import plot_contour, plot_landscape_1d, plot_surface

    key = ("rand", len(recorder), int(steps), float(span))
    if entry.extra.get("rand_key") != key:
        with st.spinner(f"Evaluating {int(steps)}×{int(steps)} = {int(steps) ** 2} grid points…"):
            dirs = random_directions(model, n=2, seed=0)
            land = compute_landscape(model, x, y, dirs, steps=int(steps), span=float(span), n_samples=N_LAND[name])
            line = compute_landscape(model, x, y, dirs[:1], steps=4 * int(steps) + 1, span=float(span),
                                     n_samples=N_LAND[name])
        entry.extra["rand_key"], entry.extra["rand"] = key, (land, line)
    land, line = entry.extra["rand"]
    if entry.extra.get("path_key") != key:
        from explainers.landscape import compute_interpolation

        start = recorder.snapshot_model(0)  # the initial weights (and fresh BN statistics, the initial ones)
        entry.extra["path_key"] = key
        entry.extra["path"] = compute_interpolation(start, model, x, y, steps=31, loss=model.loss, margin=0.25,
                                                    n_samples=N_LAND[name])
    path = entry.extra["path"]

    st.subheader("Filter-normalised random directions")
    cols = st.columns(2)
    ax = plot_surface(land, ax=figure(5, 4.2).add_subplot(projection="3d"), elev=elev, azim=azim)
    cols[0].pyplot(ax.figure, clear_figure=False)
    ax = plot_contour(land, ax=figure(5, 4.2).subplots())
    cols[1].pyplot(ax.figure, clear_figure=False)
    cols = st.columns(2)
    ax = plot_landscape_1d(line, ax=figure(5, 3).subplots(), title="1-D slice along δ")
    cols[0].pyplot(ax.figure, clear_figure=False)
    ax = plot_landscape_1d(path, ax=figure(5, 3).subplots(),
                           title="Straight line from the initial to the trained weights")
    cols[1].pyplot(ax.figure, clear_figure=False)
    cols = st.columns(2)
    z = land.losses
    cols[1].markdown(
        f"**Centre loss** {land.center_loss:.4f} (the trained model, same subset)  \n"
        f"**Lowest on the grid** {z.min():.4f}, **highest** {z.max():.4f}  \n"
        f"**Grid** {len(land.alphas)}×{len(land.betas)}, span ±{span}, method `{land.method}`"
        + (f"  \n**PCA plane** holds {traj.explained_variance.sum():.0%} of the path's variance "
           f"({traj.explained_variance[0]:.0%} + {traj.explained_variance[1]:.0%})" if traj is not None else "")
    )
else:
    st.info("Press **Train**: the path of the weights appears on the loss surface after a few steps.")
