"""Shared page helpers: settings in the URL, per-session models, live training.

Pages stay thin: widgets -> cached call into models/explainers -> figure.
"""
from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import matplotlib
import streamlit as st
from matplotlib.figure import Figure

# Presenter mode lives apart so the home page can draw without importing matplotlib (~0.8 s of a cold start);
# pages keep importing it from here.
from app_pages.presenter import (  # noqa: F401
    DETAILS_PREFIX, PRESENT_KEY, PRESENT_PARAM, PRESENTER_CSS, _encode, details, presenter_query,
    presenter_toggle, presenting, secondary, sync_presenter_mode,
)

if TYPE_CHECKING:
    from models.training import TrainingHistory
    from models.demo_cache import DemoCache
    from models.idle_sessions import IdleSessions
    from models.training_queue import TrainingQueue

__all__ = [
    "FIGURE_STYLE", "FIGURE_DPI", "url_setting", "write_url", "SessionModel", "session_model",
    "LiveTraining", "TrainClick", "train_buttons", "stop_button", "report", "dicom_frame_picker",
    "cached_figure", "history_figure", "figure", "predict_then_see", "training_queue", "queue_message",
    "idle_sessions", "demo_cache", "ready_demo", "remember_demo",
]

# One figure style for the whole app, readable on a projector at 1024×768: figures are drawn
# about 6 inches wide and shown in half a page, so text is set larger than matplotlib's 10 pt.
FIGURE_STYLE = {
    "font.size": 12, "axes.titlesize": 13, "axes.labelsize": 12, "xtick.labelsize": 11,
    "ytick.labelsize": 11, "legend.fontsize": 10, "legend.framealpha": 0.85, "figure.titlesize": 14,
    "lines.linewidth": 1.8, "axes.grid": False,
}
matplotlib.rcParams.update(FIGURE_STYLE)  # style only (no user state): set once when the pages load

_BOUND = "_medlens_url_keys"


# ---------------------------------------------------------------- URL settings
def _decode(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(raw)
    if isinstance(default, int):
        return int(float(raw))
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, (list, tuple)):
        items = [s for s in raw.split(",") if s != ""]
        if default and not isinstance(default[0], str):
            items = [type(default[0])(s) for s in items]
        return type(default)(items)
    return raw




def url_setting(key: str, default: Any, options: Any = None, bounds: tuple | None = None) -> str:
    """Initialise a widget's value from ``?key=...`` in the URL (else ``default``).

    Use the returned key as the widget's ``key=`` and give the widget no
    ``value=``; :func:`write_url` puts the current values back in the URL so
    a teacher can share a link to a prepared demo. A malformed URL value is
    ignored with a notice, never a crash.
    """
    if key not in st.session_state:
        value = default
        raw = st.query_params.get(key)
        if raw is not None:
            try:
                value = _decode(raw, default)
                if options is not None:
                    values = value if isinstance(value, (list, tuple)) else [value]
                    if any(v not in options for v in values):
                        raise ValueError(raw)
                if bounds is not None and not bounds[0] <= value <= bounds[1]:
                    raise ValueError(raw)
            except (ValueError, TypeError):
                value = default
                st.toast(f"Ignored the URL setting {key}={raw!r}: not a valid value.")
        st.session_state[key] = value
    st.session_state.setdefault(_BOUND, set()).add(key)
    return key


def write_url() -> None:
    """Write every bound setting of this page back into the URL's query string."""
    for key in sorted(st.session_state.get(_BOUND, ())):
        if key in st.session_state:
            encoded = _encode(st.session_state[key])
            if st.query_params.get(key) != encoded:
                st.query_params[key] = encoded


# ------------------------------------------------------------ per-user models
@dataclass
class SessionModel:
    """A model that belongs to one browser session, with its training history."""

    signature: tuple
    model: Any
    history: Any
    extra: dict = field(default_factory=dict)
    freed: str | None = None  # why the model is gone (the session sat idle), shown once when the user returns

    def free(self, message: str) -> None:
        """Drop the model and everything it trained (called by the idle sweep from another session)."""
        self.model, self.history, self.extra, self.freed = None, None, {}, message


@st.cache_resource(show_spinner=False)
def idle_sessions() -> IdleSessions:
    """The server's register of sessions' models and when each session was last used."""
    from models.idle_sessions import IdleSessions, session_ttl_s

    register = IdleSessions(session_ttl_s())
    # Every 15 s, also with nobody on the server: a tab closed for longer than Streamlit keeps it for a
    # reconnect has its models freed (a dropped session's state otherwise sat in memory for the TTL).
    register.sweep_every(15.0, connected=_tab_connected, grace_s=_reconnect_grace_s())
    return register


def _tab_connected(session_id: str) -> bool:
    """Whether Streamlit still has this session's tab connected (True outside a running server)."""
    from streamlit import runtime

    if not runtime.exists() or session_id == "script":
        return True
    return runtime.get_instance().get_client(session_id) is not None


def _reconnect_grace_s() -> float:
    """How long Streamlit keeps a closed tab's session for a reconnect, plus a margin."""
    return float(st.get_option("server.disconnectedSessionTTL")) + 10.0


def session_model(key: str, signature: tuple, build: Callable[[], Any]) -> SessionModel:
    """This session's model under ``key``; rebuilt only when ``signature`` changes.

    Models live in ``st.session_state`` (never a shared cache), so 30 people
    training at once never see each other's weights, and a rerun never
    rebuilds or retraces a model that is already there. A session idle for
    longer than ``MEDLENS_SESSION_TTL`` has its models freed by the next page
    run anywhere on the server; coming back, the user reads why and gets a
    fresh model.
    """
    from models.training import TrainingHistory

    register = idle_sessions()
    register.sweep()
    entry = st.session_state.get(key)
    if entry is not None and entry.freed:
        st.info(entry.freed, icon=":material/schedule:")
        entry = None
    if entry is None or entry.signature != signature:
        entry = SessionModel(signature, build(), TrainingHistory())
        st.session_state[key] = entry
    register.hold(_session_id(), entry)
    return entry


# ------------------------------------------------------- ready-trained demos
@st.cache_resource(show_spinner=False)
def demo_cache() -> DemoCache:
    """The server's folder of ready-trained demos (``MEDLENS_CACHE``)."""
    from models.demo_cache import DemoCache

    return DemoCache()


def ready_demo(page: str, settings: Any, entry: SessionModel, beside: TrainClick) -> bool:
    """Offer "Load the trained demo" beside Train when this page's run with ``settings`` was trained before.

    ``settings`` is everything that decides the run (the model's signature, epochs,
    learning rate, data). The button shows only while this session's model is
    untrained; loading copies the saved weights into the session's own model
    and restores the run's history, so the page shows the trained state at once.
    Returns whether the page now shows a loaded demo.
    """
    if entry.extra.get("demo"):
        beside.row.caption(entry.extra["demo"])
        return True
    if len(entry.history) or entry.model is None:
        return False
    saved = demo_cache().find(page, settings)
    if saved is None:
        return False
    if beside.row.button("Load the trained demo", icon=":material/download:", key=f"_medlens_demo_{page}",
                         help="Weights saved the first time this demo was trained on this server"):
        try:
            with st.spinner("Loading the trained demo…"):  # a U-Net's weights take ~2 s: show it started
                entry.history = demo_cache().load_into(saved, entry.model)
        except Exception as err:  # noqa: BLE001 - another architecture, a damaged file: say so, keep the page
            st.error(f"The saved demo could not be loaded ({err}). Press Train to train it here.")
            return False
        when = time.strftime("%H:%M on %d %b", time.localtime(saved.saved_at))
        entry.extra["demo"] = (f"Showing the ready-trained demo: {saved.epochs} epochs trained on this server at "
                               f"{when}. Train continues from it; Reset starts from scratch.")
        st.rerun()
    return False


def remember_demo(page: str, settings: Any, entry: SessionModel, epochs: int) -> None:
    """After a training: save it as the page's ready demo if it ran ``epochs`` epochs from fresh weights."""
    h = entry.history
    if (h is None or h.status != "finished" or len(h) != int(epochs) or entry.extra.get("demo")
            or demo_cache().find(page, settings) is not None):
        return
    try:
        demo_cache().save(page, settings, entry.model, h)
    except OSError as err:  # a read-only or full disk must not cost the student the run they just did
        st.caption(f"(The run could not be saved as a ready demo: {err}.)")


# -------------------------------------------------------------- live training
class LiveTraining:
    """Observer that drives a progress bar and redraws a page's figures every epoch.

    Args:
        redraw: called as ``redraw(progress, model)`` after each epoch (and once
            at the start); draw into placeholders the page owns.
        min_interval_s: batch updates are throttled to this interval so the
            browser is not flooded.
        redraw_every_s: figures are redrawn at most this often (and after the
            last epoch): a tiny model trains hundreds of epochs a second, and
            drawing every one made a 30-epoch neuron take half a minute. A
            redraw that takes longer waits twice its own time, so drawing never
            takes more than a third of the run.
    """

    def __init__(self, redraw: Callable[[Any, Any], None] | None = None, min_interval_s: float = 0.25,
                 redraw_every_s: float = 0.5):
        # Beside the Train button that started it (see train_buttons), not below the figures.
        where = st.session_state.get(_PROGRESS_KEY) or st
        self.bar = where.progress(0.0, text="Starting: building and compiling the model…")
        self.redraw = redraw
        self.min_interval_s = min_interval_s
        self.redraw_every_s = redraw_every_s
        self._last = 0.0
        self._last_redraw = 0.0
        self._redraw_cost = 0.0

    def on_train_begin(self, info):
        self.info = info
        self.bar.progress(0.0, text=f"Training on {info['device']}…")

    def on_batch_end(self, p):
        now = time.perf_counter()
        if now - self._last < self.min_interval_s:
            return
        self._last = now
        done = ((p.epoch - 1) * p.batches + p.batch) / max(p.epochs * p.batches, 1)
        self.bar.progress(min(done, 1.0), text=f"Epoch {p.epoch}/{p.epochs} · batch {p.batch}/{p.batches} · "
                                               f"loss {p.logs.get('loss', float('nan')):.4f} · "
                                               f"{p.samples_per_s:,.0f} samples/s")

    def on_epoch_end(self, p, model):
        metrics = " · ".join(f"{k} {v:.3f}" for k, v in p.logs.items())
        self.bar.progress(min(p.epoch / max(p.epochs, 1), 1.0), text=f"Epoch {p.epoch}/{p.epochs} · {metrics}")
        now = time.perf_counter()
        wait = max(self.redraw_every_s, 2 * self._redraw_cost)
        if self.redraw is not None and (p.epoch >= p.epochs or now - self._last_redraw >= wait):
            self.redraw(p, model)
            self._last_redraw = time.perf_counter()
            self._redraw_cost = self._last_redraw - now

    def on_train_end(self, history):
        # report() shows how the run ended; the bar keeps the speed, which nothing else shows.
        speed = history.samples_per_s[-1] if history.samples_per_s else None
        text = (f"Last epoch: {speed:,.0f} samples/s on {history.device}" if speed
                else history.message or "Done.")
        self.bar.progress(1.0, text=text)


# Where the training now running in this session draws its progress bar: set by stop_button for
# the length of its block only (per session, never shared between users).
_PROGRESS_KEY = "_medlens_progress_target"


@dataclass
class TrainClick:
    """What :func:`train_buttons` returns: true when Train was clicked, with the rest of its row."""

    clicked: bool
    row: Any

    def __bool__(self) -> bool:
        return self.clicked


def train_buttons(*state_keys: str, key: str | None = None, reset_label: str = "Reset model") -> TrainClick:
    """A **Train** button and, beside it, a reset button; returns whether Train was clicked.

    Reset forgets this session's model(s) stored under ``state_keys`` and reruns
    the page, so the next Train starts from fresh weights. ``key`` prefixes the
    buttons' keys (``{key}_train``, ``{key}_reset``) where a page has several.
    The rest of the row holds Stop and the progress bar while a training runs.
    """
    b1, b2, b3 = st.columns([1, 1.5, 3.5], vertical_alignment="center")  # "Reset model" whole at 1024 px
    row = b3.empty()
    go = b1.button("Train", type="primary", icon=":material/play_arrow:", key=key and f"{key}_train")
    if b2.button(reset_label, icon=":material/restart_alt:", key=key and f"{key}_reset"):
        for k in state_keys:
            st.session_state.pop(k, None)
        st.rerun()
    return TrainClick(bool(go), row)


@contextmanager
def stop_button(label: str = "Stop", key: str = "stop", beside: TrainClick | None = None) -> Iterator[None]:
    """Show a Stop button while the block runs (e.g. training), and remove it after.

    With ``beside`` (what :func:`train_buttons` returned) Stop and the
    progress bar of a :class:`LiveTraining` made inside the block sit in the
    Train button's row, where the student's eyes are, instead of below the
    figures.

    Clicking it reruns the script, which interrupts training; ``models.train``
    then keeps the weights and history of the last finished epoch.
    """
    from models.native_memory import release_free_memory_soon
    from models.onednn import NativeCrashRisk

    if beside is not None:  # beside Train: Stop, then the progress bar
        c_stop, c_progress = beside.row.container().columns([1, 3], vertical_alignment="center")
        slot = c_stop.empty()
        st.session_state[_PROGRESS_KEY] = c_progress
    else:
        slot, c_progress = st.empty(), st.container()
    slot.button(label, icon=":material/stop:", key=f"_medlens_{key}")
    queue, register = training_queue(), idle_sessions()
    ticket = queue.join(_session_id(), label=key)
    register.training(_session_id(), True)
    try:
        _wait_for_slot(queue, ticket, c_progress)
        yield
    except NativeCrashRisk as err:  # refused before the first step: the model and the server are intact
        st.error(str(err), icon=":material/block:")
    finally:
        # A finished, stopped or interrupted run (Stop, a rerun, a closed tab) frees its slot here.
        queue.release(ticket)
        register.training(_session_id(), False)
        release_free_memory_soon()  # the run's batches and gradients are freed: one trim for a burst of runs
        slot.empty()
        st.session_state[_PROGRESS_KEY] = None


@st.cache_resource(show_spinner=False)
def training_queue() -> TrainingQueue:
    """The server's one training queue, shared by every session (``MEDLENS_MAX_TRAININGS`` slots)."""
    from models.training_queue import TrainingQueue, default_slots

    return TrainingQueue(default_slots())


def _session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "script"


def queue_message(queue: TrainingQueue, ticket: Any) -> str:
    """What a waiting student reads: how many trainings are before theirs and about how long."""
    running = len(queue.state().running)
    in_front = max(queue.ahead(ticket) - running, 0)
    parts = [f"{running} running"] + ([f"{in_front} waiting"] if in_front else [])
    eta = queue.eta_s(ticket)
    when = f"about {max(eta, 1.0):.0f} s" if eta is not None else "starts when a slot frees"
    return (f"In the queue: {' and '.join(parts)} before yours, {when}. "
            f"The server trains {queue.slots} at a time; press Stop to leave the queue.")


def _wait_for_slot(queue: TrainingQueue, ticket: Any, where: Any) -> None:
    if queue.wait(ticket, timeout=0):
        return
    note = where.empty()
    while not queue.wait(ticket, timeout=0.5):
        # Each redraw also lets Streamlit raise Stop/rerun/closed-tab here, which leaves the queue.
        note.info(queue_message(queue, ticket), icon=":material/hourglass_top:")
    note.caption(f"Waited {ticket.waited_s():.0f} s in the queue.")


def report(history) -> None:
    """Show how a run ended: success, a stop, or a divergence with what to do."""
    if history.status == "diverged":
        st.error(history.message, icon=":material/warning:")
    elif history.status in ("stopped", "interrupted"):
        st.warning(history.message)
    elif history.status == "finished" and history.at_chance:
        st.warning(history.message, icon=":material/warning:")
    elif history.status == "finished" and len(history) == 0:
        st.info(history.message)
    elif history.status == "finished" and history.message:
        st.success(history.message)


# ------------------------------------------------------------------ uploads
def dicom_frame_picker(data: bytes, filename: str, key: str) -> int | None:
    """For a multi-frame DICOM upload, a frame slider and a note saying which frame is shown.

    Returns the 0-based frame to load (``None`` for a single image or a non-DICOM file).
    """
    from models.data import dicom_frame_count

    if not filename.lower().endswith((".dcm", ".dicom")) and data[128:132] != b"DICM":
        return None
    n = dicom_frame_count(data)
    if n <= 1:
        return None
    frame = st.slider(f"Frame of this {n}-frame DICOM", 1, n, value=n // 2 + 1, key=key)
    st.caption(f"{filename} holds {n} frames (a cine loop, a volume or a dose grid): showing frame "
               f"{frame} of {n}. The network sees one 2-D frame at a time.")
    return frame - 1


# ------------------------------------------------------------------ figures
# st.pyplot renders every figure on every rerun (layout + a 200-dpi PNG: most of a
# rerun's time). A figure that depends only on its inputs is rendered once per
# distinct input and kept as PNG bytes, so moving one control redraws one figure.
FIGURE_DPI = 160


def _render_png(draw: Callable[..., Figure], args: tuple, kwargs: dict, dpi: int) -> bytes:
    fig = draw(*args, **kwargs)
    buf = io.BytesIO()
    # At most 1440 px wide: Streamlit decodes, shrinks and re-encodes anything wider.
    fig.savefig(buf, format="png", dpi=min(dpi, 1440 / fig.get_figwidth()), bbox_inches="tight")
    return buf.getvalue()


# An hour's life: a class's figures are reused within a lesson, not the next day.
@st.cache_data(show_spinner=False, max_entries=256, ttl=3600)
def _figure_png(_draw: Callable[..., Figure], where: str, args: tuple, kwargs: dict, dpi: int) -> bytes:
    return _render_png(_draw, args, kwargs, dpi)


def cached_figure(draw: Callable[..., Figure], *args: Any, slot: Any = None, **kwargs: Any) -> None:
    """Show ``draw(*args, **kwargs)`` (a function returning a Figure), rendered once per input.

    ``draw`` must be a pure function of its arguments (no closure over page
    state): the cache key is its name, its file and the arguments.
    """
    if st.session_state.get(_PROGRESS_KEY) is not None:
        # Drawn live during a training: every epoch's picture is new and never shown again, so keeping
        # it would only fill the server's memory (30 students × every epoch). The last one is cached
        # when the page draws it again after the run.
        png = _render_png(draw, args, kwargs, FIGURE_DPI)
    else:
        where = f"{draw.__code__.co_filename}:{draw.__qualname__}"
        png = _figure_png(draw, where, args, kwargs, FIGURE_DPI)
    (slot if slot is not None else st).image(png, width="stretch", output_format="PNG")


def history_figure(history: Mapping[str, Sequence[float]] | TrainingHistory,
                   keys: str | tuple[str, ...] = ("loss", "val_loss"), width: float = 5.0,
                   height: float = 3.0, title: str = "Learning curves") -> Figure:
    """Learning curves as a Figure (for :func:`cached_figure`), from a history or its Keras-style dict.

    ``keys`` is :func:`explainers.history_plots.plot_history`'s ``metric``: a
    name (``"accuracy"`` draws it and ``val_accuracy``) or the keys to draw.
    """
    from explainers.history_plots import plot_history
    from models.training import TrainingHistory

    if isinstance(history, Mapping):  # the dict pages pass to cached_figure (cheap to hash)
        n = max((len(v) for v in history.values()), default=0)
        history = TrainingHistory(epochs=[{k: v[i] for k, v in history.items() if i < len(v)}
                                          for i in range(n)], status="finished")
    return plot_history(history, figure(width, height).subplots(), metric=keys, title=title).figure


def figure(width: float = 6.0, height: float = 4.0, **kwargs) -> Figure:
    """A matplotlib Figure that is not registered with pyplot (thread-safe in Streamlit)."""
    return Figure(figsize=(width, height), layout="constrained", **kwargs)


# ------------------------------------------------------- the lectures' questions
def predict_then_see(key: str, question: str, options: Sequence[str], answer: int, why: str,
                     *, lecture: str = "") -> bool:
    """A lecture's question asked as "predict, then see".

    The student commits to an answer first (nothing is pre-selected); once they
    have, the right answer and a sentence of why appear, and the live demo on the
    page below is the evidence. Returns True once an answer is picked.

    Args:
        key: a short id unique on the page (the radio's session key is ``q_<key>``).
        question: the question as the lecture asks it.
        options: the answers to choose from (short: they must fit a 1024 px projector).
        answer: index of the right option in ``options``.
        why: one or two sentences that say why, pointing at the demo.
        lecture: where the question comes from, e.g. "Lecture 003, question 2".
    """
    if not 0 <= answer < len(options):
        raise ValueError(f"answer must index options (0 to {len(options) - 1}), got {answer}")
    with st.container(border=True):
        st.markdown(f"**{lecture + ': ' if lecture else ''}{question}**")
        choice = st.radio("Your prediction", list(options), index=None, key=f"q_{key}")
        if choice is None:
            st.caption("Predict first: pick an answer, then see what the demo shows.")
            return False
        if list(options).index(choice) == answer:
            st.success(f"Yes. {why}")
        else:
            st.warning(f"Not quite: the answer is \"{options[answer]}\". {why}")
        return True

__all__ += ["PRESENT_KEY", "PRESENT_PARAM", "DETAILS_PREFIX", "PRESENTER_CSS", "presenting",
            "sync_presenter_mode", "presenter_toggle", "presenter_query", "details", "secondary"]
