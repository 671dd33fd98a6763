"""The lessons: every step points at a registered page, with settings that page really reads and accepts,
in the lecture's order, and the Lessons page walks the path (next, previous, links, steps still coming)."""
from __future__ import annotations

import ast
import math
import re
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import pytest

from app_pages.lesson_plan import LESSONS, Lesson, Step, page_ready, step_heading
from app_pages.registry import PAGES
from app_pages.ui import _decode

ROOT = Path(__file__).resolve().parents[1]
PAGES_DIR = ROOT / "app_pages"
COURSE = ROOT.parent / "shared" / "course"
REGISTERED = {p.file: p for p in PAGES}
STEPS = [(lecture, i, step) for lecture, lesson in LESSONS.items() for i, step in enumerate(lesson.steps)]
STEP_IDS = [f"{lecture}-{i + 1}" for lecture, i, _ in STEPS]


# ------------------------------------------------------------------ what a page reads from its URL
class Setting:
    """One ``url_setting(key, default, options=..., bounds=...)`` call of a page, evaluated where possible."""

    def __init__(self, call: ast.Call, namespace: dict):
        self.key = call.args[0].value
        self.default = _evaluate(call.args[1], namespace) if len(call.args) > 1 else None
        kwargs = {k.arg: k.value for k in call.keywords}
        if len(call.args) > 2:
            kwargs.setdefault("options", call.args[2])
        self.options = _evaluate(kwargs["options"], namespace) if "options" in kwargs else None
        self.bounds = _evaluate(kwargs["bounds"], namespace) if "bounds" in kwargs else None
        self.has_options, self.has_bounds = "options" in kwargs, "bounds" in kwargs


_MISSING = object()


def _evaluate(node: ast.AST, namespace: dict):
    try:
        return eval(compile(ast.Expression(node), "<page>", "eval"), dict(namespace))  # noqa: S307 (our own pages)
    except Exception:  # a value only known while the page runs (e.g. len(xv) - 1): left unchecked
        return _MISSING


def _page_namespace(tree: ast.Module) -> dict:
    """The page's imports from models/explainers and its upper-case constants, evaluated in order."""
    namespace: dict = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("models", "explainers"):
            try:
                exec(compile(ast.Module([node], []), "<page>", "exec"), namespace)  # noqa: S102
            except Exception:
                pass
    for node in tree.body:  # module level, in source order
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name.isupper() or name == "names":
                value = _evaluate(node.value, namespace)
                if value is not _MISSING:
                    namespace[name] = value
    return namespace


_READS: dict[str, tuple[dict[str, Setting], list[re.Pattern]]] = {}


def page_reads(page: str) -> tuple[dict[str, Setting], list[re.Pattern]]:
    """The URL settings a page reads: literal keys, and patterns for keys built with an f-string."""
    if page not in _READS:
        tree = ast.parse((PAGES_DIR / page).read_text(encoding="utf-8"))
        namespace = _page_namespace(tree)
        literal, patterns = {}, []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "url_setting" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    literal[first.value] = Setting(node, namespace)
                elif isinstance(first, ast.JoinedStr):
                    parts = [re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in first.values]
                    patterns.append(re.compile("".join(parts) + "$"))
        _READS[page] = (literal, patterns)
    return _READS[page]


# ------------------------------------------------------------------ the plan as data
def test_every_lecture_has_a_lesson_in_order():
    assert list(LESSONS) == ["000", "001", "002", "003", "004"]
    for lecture, lesson in LESSONS.items():
        assert isinstance(lesson, Lesson) and lesson.lecture == lecture and len(lesson.steps) >= 5
        assert (COURSE / lesson.source).exists(), f"lecture {lecture}: no {lesson.source} in shared/course"
        assert lesson.source.startswith(lecture)


@pytest.mark.parametrize("lecture, index, step", STEPS, ids=STEP_IDS)
def test_every_step_is_on_a_registered_page(lecture, index, step: Step):
    assert step.page in REGISTERED, f"lecture {lecture} step {index + 1}: {step.page} is not in registry.PAGES"
    assert step.page != "lessons.py"
    assert step.title and step.slide and step.show.endswith((".", "?", ")"))
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in step.settings.items())


@pytest.mark.parametrize("lecture, index, step", STEPS, ids=STEP_IDS)
def test_every_setting_is_one_the_page_reads_and_accepts(lecture, index, step: Step):
    where = f"lecture {lecture} step {index + 1} ({step.page})"
    if not page_ready(step.page):
        # a page still being written: nothing to check its keys against, so the step may not set any
        assert not step.settings, f"{where}: settings for a page that does not exist yet"
        return
    literal, patterns = page_reads(step.page)
    for key, raw in step.settings.items():
        assert key in literal or any(p.match(key) for p in patterns), \
            f"{where}: the page never reads url_setting({key!r}); it reads {sorted(literal)}"
        setting = literal.get(key)
        if setting is None:
            continue
        default = setting.default
        if default is _MISSING and setting.has_bounds and setting.bounds is not _MISSING:
            default = setting.bounds[0]  # a default computed at run time: its type is the bounds' type
        if default is _MISSING:
            continue
        value = _decode(raw, default)  # what url_setting will make of it (raises if malformed)
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if setting.has_options:
            assert setting.options is not _MISSING, f"{where}: options of {key} could not be evaluated"
            assert all(v in setting.options for v in values), f"{where}: {key}={raw!r} not in {setting.options}"
        if setting.has_bounds and setting.bounds is not _MISSING:
            low, high = setting.bounds
            assert low <= value <= high, f"{where}: {key}={raw!r} outside {setting.bounds}"


def test_the_value_check_has_teeth():
    literal, _ = page_reads("kernels.py")
    assert literal["kern_padding"].options == ["valid", "same", "full"]
    assert literal["kern_stride"].bounds == (1, 8)
    assert literal["kern_example"].options[0] == "3×3 input ⋆ 2×2 kernel (lecture 000)"
    literal, patterns = page_reads("neuron.py")
    assert literal["neuron_tau"].bounds == (0.0, 1.0) and any(p.match("neuron_w1") for p in patterns)
    with pytest.raises(ValueError):
        _decode("four", literal["neuron_tau"].default)


@pytest.mark.parametrize("lecture, index, step", STEPS, ids=STEP_IDS)
def test_the_step_heading_names_the_lecture(lecture, index, step: Step):
    heading = step_heading(LESSONS[lecture], index)
    assert heading == f"Lecture {lecture} · step {index + 1} of {len(LESSONS[lecture].steps)}: {step.title}"


def test_a_step_outside_the_lesson_is_refused():
    with pytest.raises(ValueError, match="index must be 0 to 9 for lecture 000"):
        step_heading(LESSONS["000"], 10)


@pytest.mark.parametrize("lecture", list(LESSONS))
def test_the_questions_a_step_asks_are_the_lectures_own(lecture):
    text = (COURSE / LESSONS[lecture].source).read_text(encoding="utf-8")
    for step in LESSONS[lecture].steps:
        for n in re.findall(r"Question (\d)", step.slide + step.show):
            assert re.search(rf"Question {n}\b", text), f"lecture {lecture} has no Question {n}"


def test_lecture_003_asks_all_seven_questions_in_order():
    asked = [int(n) for s in LESSONS["003"].steps for n in re.findall(r"Question (\d)", s.slide)]
    assert asked == [1, 2, 3, 4, 5, 6, 7]


def test_the_numbers_the_steps_quote_are_computed_right():
    from explainers import kernels as K

    text = " ".join(s.show for lesson in LESSONS.values() for s in lesson.steps)
    assert K.dense_parameter_count([256 * 256 * 3, 1000, 1]) == 196_610_001 and "196,610,001" in text
    assert K.conv_parameter_count(3, 3, 64) == 1792 and "(3·3·3 + 1)·64 = 1,792" in text
    small = K.convolve2d(K.LECTURE_SMALL_INPUT, K.LECTURE_SMALL_KERNEL)
    np.testing.assert_array_equal(small, [[19, 25], [37, 43]])
    assert "0·0 + 1·1 + 3·2 + 4·3 = 19" in text and 0 * 0 + 1 * 1 + 3 * 2 + 4 * 3 == 19
    edge = K.convolve2d(K.LECTURE_6X6_INPUT, K.LECTURE_EDGE_KERNEL)
    np.testing.assert_array_equal(edge[0], [-11, -4, 9, 12])
    assert K.compute_padding_stride(6, 3, padding="valid", stride=1).output_size == 4
    assert K.compute_padding_stride(6, 3, padding="valid", stride=2).output_size == 2
    # the stroke neuron: z = 1.9, sigmoid 0.870, the slide's 1/(1 - e^-z) gives 1.18; patient 2 gives 0.037
    z1 = -71.2 + 0.1 * 130 + 0.3 * 6 + 1.1 * 28 + 0.5 * 55
    z2 = -71.2 + 0.1 * 130 + 0.3 * 5.5 + 1.1 * 23 + 0.5 * 56
    assert (round(z1, 6), round(z2, 6)) == (1.9, -3.25)
    assert f"{1 / (1 + math.exp(-z1)):.3f}" == "0.870" and f"{1 / (1 - math.exp(-z1)):.2f}" == "1.18"
    assert f"{1 / (1 + math.exp(-z2)):.3f}" == "0.037" and f"{1 / (1 + math.exp(-0.9)):.2f}" == "0.71"
    # lecture 000's example convolved (kernel flipped) rather than cross-correlated
    from scipy.signal import convolve2d, correlate2d

    np.testing.assert_array_equal(correlate2d(K.LECTURE_SMALL_INPUT, K.LECTURE_SMALL_KERNEL, "valid"), small)
    flipped = convolve2d(K.LECTURE_SMALL_INPUT, K.LECTURE_SMALL_KERNEL, "valid")
    assert flipped.tolist() == [[5, 11], [23, 29]] and "[[5, 11], [23, 29]]" in text
    # parameter counts of lecture 003's expressivity slides
    for hidden, total in (((), 3), ((4,), 17), ((10,), 41), ((4, 2), 25)):
        assert K.dense_parameter_count([2, *hidden, 1]) == total and str(total) in text
    # lecture 002's Dice example, plain and with the optional squares
    pred = np.array([[.01, .03, .02, .02], [.05, .12, .09, .07], [.89, .85, .88, .91], [.99, .97, .95, .97]])
    target = np.array([[0] * 4] * 2 + [[1] * 4] * 2)
    inter = (pred * target).sum()
    assert f"{2 * inter / (pred.sum() + target.sum()):.4f}" == "0.9368" and "0.9368" in text
    assert f"{2 * inter / ((pred ** 2).sum() + (target ** 2).sum()):.4f}" == "0.9938" and "0.9938" in text


# ------------------------------------------------------------------ the page
def _lessons(app_page, **query):
    at = app_page("lessons.py", timeout=60, **query)
    assert not at.exception
    return at


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_next_and_previous_walk_the_whole_path(app_page):
    lesson = LESSONS["001"]
    at = _lessons(app_page, lesson="001")
    seen = [at.subheader[0].value]
    assert _button(at, "Previous").disabled
    for _ in range(len(lesson.steps) - 1):
        at = _button(at, "Next").click().run()
        seen.append(at.subheader[0].value)
    assert seen == [step_heading(lesson, i) for i in range(len(lesson.steps))]
    assert _button(at, "Next").disabled and at.query_params["lesson_step"] == str(len(lesson.steps))
    at = _button(at, "Previous").click().run()
    assert at.subheader[0].value == step_heading(lesson, len(lesson.steps) - 2)
    assert not at.exception


def test_a_shared_link_opens_the_step_and_the_link_carries_its_settings(app_page, monkeypatch):
    import app_pages.lesson_plan as plan

    monkeypatch.setattr(plan, "page_ready", lambda page: True)
    lesson = LESSONS["000"]
    at = _lessons(app_page, lesson="000", lesson_step="4")
    step = lesson.steps[3]
    assert at.subheader[0].value == step_heading(lesson, 3)
    assert any(step.slide in m.value for m in at.markdown) and any(step.show == m.value for m in at.markdown)
    link = at.get("page_link")[0]
    assert link.proto.page == REGISTERED[step.page].url_path
    assert link.value == f"Open {REGISTERED[step.page].title}"
    assert {k: v[0] for k, v in parse_qs(link.proto.query_string).items()} == step.settings


def test_a_step_whose_page_is_not_written_yet_is_shown_as_coming(app_page, monkeypatch):
    import app_pages.lesson_plan as plan

    monkeypatch.setattr(plan, "page_ready", lambda page: page != "overfitting.py")
    at = _lessons(app_page, lesson="000", lesson_step="5")
    assert LESSONS["000"].steps[4].page == "overfitting.py"
    assert not at.get("page_link")
    assert any("coming" in m.value and m.value.startswith(":gray[") for m in at.markdown)
    coming = _button(at, "Open Overfitting and model size (coming)")
    assert coming.disabled
    assert not at.exception


def test_changing_the_lecture_starts_at_its_first_step(app_page):
    at = _lessons(app_page, lesson="003", lesson_step="7")
    assert at.subheader[0].value == step_heading(LESSONS["003"], 6)
    at = at.selectbox(key="lesson").set_value("004").run()
    assert at.subheader[0].value == step_heading(LESSONS["004"], 0)


def test_a_step_past_the_lectures_end_is_clamped_and_a_bad_lecture_ignored(app_page):
    at = _lessons(app_page, lesson="001", lesson_step="20")
    assert at.subheader[0].value == step_heading(LESSONS["001"], len(LESSONS["001"].steps) - 1)
    at = _lessons(app_page, lesson="042")
    assert at.subheader[0].value == step_heading(LESSONS["003"], 0)
    assert any("Ignored the URL setting lesson" in t.value for t in at.toast)


@pytest.mark.parametrize("lecture, index, step", STEPS, ids=STEP_IDS)
def test_the_tabs_and_sections_a_step_names_are_on_its_page(lecture, index, step: Step):
    """'Quoted' names in a step's text are the page's own labels (lecture quotes use “ ”)."""
    if not page_ready(step.page):
        return
    source = (PAGES_DIR / step.page).read_text(encoding="utf-8")
    for label in re.findall(r"(?<![\w])'([^']+)'(?![\w])", step.show):
        assert label in source, f"lecture {lecture} step {index + 1}: {step.page} has no {label!r}"


def _richest_step_per_page():
    best: dict[str, tuple] = {}
    for lecture, i, step in STEPS:
        if step.settings and len(step.settings) > len(best.get(step.page, (None, None, Step("", "", "", {}, "")))[2].settings):
            best[step.page] = (lecture, i, step)
    return sorted(best.values(), key=lambda t: t[2].page)


@pytest.mark.slow
@pytest.mark.parametrize("lecture, index, step", _richest_step_per_page(),
                         ids=lambda v: v if isinstance(v, str) else str(v) if isinstance(v, int) else v.page)
def test_a_step_opens_its_page_prepared_without_complaint(app_page, lecture, index, step: Step):
    """The real page reads the step's settings: no exception, no 'Ignored the URL setting' notice."""
    if not page_ready(step.page):
        pytest.skip(f"{step.page} is not written yet")
    at = app_page(step.page, timeout=180, **step.settings)
    assert not at.exception, at.exception
    assert not [t.value for t in at.toast if "Ignored the URL setting" in t.value]
    for key, raw in step.settings.items():  # each widget holds the step's value
        value = at.session_state[key]
        assert _decode(raw, value) == value, f"{step.page}: {key} is {value!r}, the step set {raw!r}"
