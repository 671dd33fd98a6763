"""A workshop server survives odd input: fuzzed arguments, no network, many sessions.

- Library entry points fed random shapes, dtypes and values fail with a
  ValueError/TypeError that names the argument (hypothesis), never deep inside
  TensorFlow.
- Nothing opens a network connection: sockets are blocked while every loader
  runs and every page renders.
- Sessions never see each other's models: several AppTest sessions train at
  once (held together by a barrier inside training, not by timing) and each
  keeps its own weights and history.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import data

ROOT = Path(__file__).resolve().parents[1]
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

odd_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.lists(st.integers(-3, 3), max_size=4), st.binary(max_size=16),
)


def _named(err: Exception, *names: str) -> bool:
    text = str(err)
    return any(n in text for n in names)


@FUZZ
@given(kind=odd_values, n=odd_values, noise=odd_values, seed=odd_values)
def test_make_points_rejects_odd_arguments_by_name(kind, n, noise, seed):
    try:
        x, y = data.make_points(kind, n, noise, seed)
    except (ValueError, TypeError) as err:
        assert _named(err, "kind", "n", "noise", "seed"), str(err)
    else:
        assert x.shape == (len(y), 2) and np.isfinite(x).all()


@FUZZ
@given(n=odd_values, size=odd_values, seed=odd_values)
def test_synthetic_image_sets_reject_odd_arguments_by_name(n, size, seed):
    for make in (data.make_lesions, data.make_segmentation):
        try:
            out = make(n if not isinstance(n, int) else min(abs(n), 8), size if not isinstance(size, int) else size % 80, seed)
        except (ValueError, TypeError) as err:
            assert _named(err, "n", "size", "seed"), str(err)
        else:
            assert out[0].dtype == np.float32 and 0 <= out[0].min() and out[0].max() <= 1


@FUZZ
@given(blob=st.binary(max_size=512), name=st.sampled_from(["", "x.png", "scan.dcm", "a.jpg", "b.txt"]))
def test_random_bytes_are_refused_with_a_clear_message(blob, name):
    try:
        img = data.load_image_bytes(blob, name)
    except ValueError as err:
        assert len(str(err)) > 20  # says what is wrong and what to do
    else:  # the rare random blob that is a valid image
        assert img.ndim == 2 and img.dtype == np.float32


@FUZZ
@given(shape=st.lists(st.integers(-2, 70), min_size=0, max_size=4), depth=st.integers(-1, 5))
def test_unet_builder_rejects_bad_shapes_by_name(shape, depth):
    from models import build_unet

    try:
        build_unet(tuple(shape), depth=depth, base_filters=2)
    except ValueError as err:
        assert _named(err, "input_shape", "depth"), str(err)


@FUZZ
@given(n_x=st.integers(0, 6), n_y=st.integers(0, 6), cols=st.integers(1, 3), bad=st.booleans())
def test_train_rejects_mismatched_or_nonfinite_data_before_tensorflow(n_x, n_y, cols, bad):
    import models
    from models import build_mlp

    x = np.ones((n_x, cols), "float32")
    if bad and n_x:
        x[0, 0] = np.inf
    y = np.zeros(n_y, "float32")
    model = build_mlp(cols, hidden=(2,))
    if n_x == n_y and n_x > 0 and not bad:
        assert models.train(model, x, y, epochs=1, batch_size=4).status == "finished"
    else:
        with pytest.raises(ValueError, match="train"):
            models.train(model, x, y, epochs=1, batch_size=4)


def test_every_loader_runs_with_the_network_off(no_network, tmp_path):
    data.stroke_patients(), data.make_stroke(50), data.height_weight_table()
    for kind in data.POINT_KINDS:
        data.make_points(kind, 20)
    data.load_breast_cancer(), data.load_digits()
    for name in data.IMAGE_NAMES:
        assert data.load_image(name).ndim == 2
    data.make_lesions(4), data.make_segmentation(4), data.make_clinical_notes(10)
    with pytest.raises(FileNotFoundError):
        data.load_medmnist("pneumoniamnist", root=tmp_path)


def _pages():
    from app_pages.registry import PAGES

    return ["app_pages/home.py"] + [f"app_pages/{p.file}" for p in PAGES if (ROOT / "app_pages" / p.file).exists()]


@pytest.mark.slow
def test_every_page_renders_with_the_network_off(no_network):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180).run()
    for page in _pages():
        at.switch_page(page).run()
        assert not at.exception, f"{page}: {at.exception}"


class _MeetAfterFirstEpoch:
    """An observer that holds its run at the end of epoch 1 until every session's run is there too."""

    def __init__(self, barrier: threading.Barrier):
        self.barrier, self.met = barrier, False

    def on_epoch_end(self, progress, model):
        if not self.met:
            self.barrier.wait()  # raises BrokenBarrierError (failing the run) if a session never arrives
            self.met = True
        return False  # never asks the run to stop


@pytest.mark.slow
def test_sessions_training_at_once_keep_their_own_models(app_page, monkeypatch):
    """Three sessions' runs are all in flight at once (a barrier inside training, no clock), and each
    keeps its own model and history."""
    import models.training
    from app_pages.ui import training_queue

    # Three slots: this test is about runs in flight together (a server with MEDLENS_MAX_TRAININGS=3);
    # with the default single slot on 2 cores the queue would run them one after another.
    monkeypatch.setenv("MEDLENS_MAX_TRAININGS", "3")
    training_queue.clear()
    assert training_queue().slots == 3
    settings_by_session = [("mlp", "1", "0.01"), ("mlp", "2", "0.05"), ("logistic", "3", "0.05")]
    apps = [app_page("train_any.py", timeout=180, train_model=m, train_epochs=e, train_lr=lr)
            for m, e, lr in settings_by_session]

    real_train, barrier = models.training.train, threading.Barrier(len(apps), timeout=120)
    entered, observers = threading.Semaphore(0), []

    def train_together(*args, **kwargs):
        meet = _MeetAfterFirstEpoch(barrier)
        observers.append(meet)
        entered.release()
        return real_train(*args, **{**kwargs, "observers": [*kwargs.get("observers", ()), meet]})

    monkeypatch.setattr(models.training, "train", train_together)  # the page imports it when Train is clicked
    errors = []

    def click(at):
        try:
            at.button[0].click().run()
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=click, args=(at,)) for at in apps]
    for t in threads:
        # One session at a time until it is inside train(): AppTest compiles the page in the clicking
        # thread, and CPython 3.11 can fail compiling in several threads at once ("AST constructor
        # recursion depth mismatch"). Then the barrier holds every run until all are training.
        t.start()
        assert entered.acquire(timeout=180), "a session never started training"
    for t in threads:
        t.join()
    assert not errors
    assert len(observers) == 3 and all(o.met for o in observers) and not barrier.broken, \
        "the sessions were not all training at the same time"
    for at in apps:
        assert not at.exception, at.exception
    entries = [at.session_state["train_any_model"] for at in apps]
    assert [e.history.status for e in entries] == ["finished"] * 3, [e.history.message for e in entries]
    assert [len(e.history) for e in entries] == [1, 2, 3]  # each session trained what it asked for
    assert len({id(e.model) for e in entries}) == 3  # three distinct model objects
    w0, w1 = entries[0].model.get_weights(), entries[1].model.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(w0, w1))
    for at in apps:
        assert not at.exception
    training_queue.clear()  # the next test gets the default queue again


@pytest.mark.slow
@pytest.mark.parametrize("lr, epochs", [("10", "2"), ("0.003", "0")])
def test_absurd_training_settings_give_a_message_not_a_crash(app_page, lr, epochs):
    at = app_page("train_any.py", timeout=180, train_model="mlp", train_epochs=epochs, train_lr=lr)
    at.button[0].click().run()
    assert not at.exception
    messages = [m.value for m in (*at.success, *at.error, *at.warning, *at.info)]
    expected = "diverged" if lr == "10" else "nothing was trained"
    assert any(expected in m for m in messages), messages
