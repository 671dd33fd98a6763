"""Presenter mode: one switch for every page (sidebar toggle or ?present=1), kept across page switches,
larger type and no clutter while on, nothing changed while off."""
from __future__ import annotations

import re
from urllib.parse import parse_qs

from app_pages.lesson_plan import LESSONS
from app_pages.ui import DETAILS_PREFIX, PRESENT_KEY, PRESENTER_CSS

MARK = "medlens presenter mode"


def _styles(at) -> list[str]:
    return [h.proto.body for h in at.get("html")]


def _presenting(at) -> bool:
    on = at.toggle(key=PRESENT_KEY).value
    assert on == at.session_state[PRESENT_KEY] == any(MARK in s for s in _styles(at))
    return on


def test_off_by_default_and_nothing_injected(app_page):
    at = app_page("kernels.py")
    assert not at.exception
    assert not _presenting(at) and "present" not in at.query_params
    assert at.toggle(key=PRESENT_KEY).label == "Presenter mode"


def test_a_link_with_present_1_turns_it_on(app_page):
    at = app_page("backprop.py", present="1")
    assert not at.exception
    assert _presenting(at) and at.query_params["present"] == "1"


def test_the_toggle_survives_page_switches_and_goes_into_the_url(app_page):
    at = app_page("backprop.py")
    at = at.toggle(key=PRESENT_KEY).set_value(True).run()
    assert _presenting(at) and at.query_params["present"] == "1"
    at = at.switch_page("app_pages/kernels.py").run()
    assert not at.exception and _presenting(at) and at.query_params["present"] == "1"
    at.query_params.pop("present")  # a link within the app that does not carry it: the session remembers
    at = at.switch_page("app_pages/backprop.py").run()
    assert _presenting(at) and at.query_params["present"] == "1"


def test_switching_it_off_sticks_although_the_url_said_present(app_page):
    at = app_page("backprop.py", present="1")
    at = at.toggle(key=PRESENT_KEY).set_value(False).run()
    assert not _presenting(at) and "present" not in at.query_params
    at = at.run()  # and stays off on the next run
    assert not _presenting(at)


def test_present_0_in_a_link_turns_it_off(app_page):
    at = app_page("backprop.py", present="1")
    at.query_params["present"] = "0"
    at = at.switch_page("app_pages/kernels.py").run()
    assert not _presenting(at) and "present" not in at.query_params


def test_the_style_enlarges_type_and_hides_the_toolbar_and_details():
    assert "<style>" in PRESENTER_CSS and MARK in PRESENTER_CSS
    sizes = dict(re.findall(r"\] (h[123]) \{ font-size: ([\d.]+)rem", PRESENTER_CSS))
    assert float(sizes["h1"]) > float(sizes["h2"]) > float(sizes["h3"]) > 1.3
    hidden = PRESENTER_CSS.split("{ display: none !important; }")[0]
    assert '[data-testid="stToolbarActions"]' in hidden and '[data-testid="stMainMenu"]' in hidden
    assert '[data-testid="stToolbar"]' not in hidden  # it holds the button that opens the folded sidebar
    # st.container(key=...) gets the class st-key-<key>: what ui.details() keys is what the style hides
    assert f'[class*="st-key-{DETAILS_PREFIX}"]' in hidden


def test_details_are_keyed_for_hiding():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(
        "from app_pages.ui import details\nwith details('More', 'extra'):\n    import streamlit as st\n"
        "    st.write('secondary')\n").run()
    assert not at.exception
    assert at.expander[0].label == "More" and at.markdown[0].value == "secondary"
    wrapper = at.main.children[0]  # the keyed container around the expander (the browser's st-key-<key> class)
    assert wrapper.proto.id.endswith(f"-{DETAILS_PREFIX}extra")


def test_lesson_links_keep_presenter_mode_on_the_next_page(app_page):
    at = app_page("lessons.py", present="1", lesson="003", lesson_step="2")
    assert not at.exception and _presenting(at)
    link = next(p for p in at.get("page_link") if p.value.startswith("Open"))
    query = {k: v[0] for k, v in parse_qs(link.proto.query_string).items()}
    assert query == {**LESSONS["003"].steps[1].settings, "present": "1"}
    assert not any(c.value.startswith("Prepared settings") for c in at.caption)  # clutter left out


def _sidebar_links(at) -> dict[str, dict[str, str]]:
    return {p.value: {k: v[0] for k, v in parse_qs(p.proto.query_string).items()}
            for p in at.sidebar.get("page_link") if p.value.startswith(("Back", "Next"))}


def test_the_sidebar_leads_back_to_the_lesson_and_on_to_the_next_step(app_page):
    lesson = LESSONS["000"]
    at = app_page("lessons.py", lesson="000", lesson_step="3")
    assert not _sidebar_links(at)  # not on the Lessons page itself
    at.query_params.clear()
    at = at.switch_page("app_pages/home.py").run()
    links = _sidebar_links(at)
    nxt = f"Next: step 4, {lesson.steps[3].title}"
    assert links == {"Back to lecture 000, step 3": {"lesson": "000", "lesson_step": "3"},
                     nxt: {**lesson.steps[3].settings, "lesson": "000", "lesson_step": "4"}}
    for key, value in links[nxt].items():  # follow the Next link: the page opens prepared, the step is remembered
        at.query_params[key] = value
    at = at.switch_page(f"app_pages/{lesson.steps[3].page}").run()
    assert not at.exception
    assert at.number_input(key="kern_hidden").value == 1000 and at.number_input(key="kern_side").value == 256
    assert "Back to lecture 000, step 4" in _sidebar_links(at)
    at.query_params.clear()
    at = at.switch_page("app_pages/lessons.py").run()  # back without the URL: the step is remembered
    assert at.subheader[0].value.startswith("Lecture 000 · step 4 of")


def test_the_last_step_has_no_next(app_page):
    n = len(LESSONS["001"].steps)
    at = app_page("lessons.py", lesson="001", lesson_step=str(n))
    at.query_params.clear()
    at = at.switch_page("app_pages/home.py").run()
    assert list(_sidebar_links(at)) == [f"Back to lecture 001, step {n}"]


def test_a_next_step_still_coming_leads_to_the_lessons_page(app_page, monkeypatch):
    import app_pages.lesson_plan as plan

    monkeypatch.setattr(plan, "page_ready", lambda page: page != "overfitting.py")
    assert LESSONS["000"].steps[4].page == "overfitting.py"
    at = app_page("lessons.py", lesson="000", lesson_step="4")
    at.query_params.clear()
    at = at.switch_page("app_pages/home.py").run()
    nxt = next(p for p in at.sidebar.get("page_link") if p.value.startswith("Next"))
    assert nxt.proto.page == "lessons" and parse_qs(nxt.proto.query_string) == {"lesson": ["000"], "lesson_step": ["5"]}


def test_next_on_the_same_page_applies_the_next_steps_settings(app_page):
    lesson = LESSONS["003"]
    i = next(i for i, s in enumerate(lesson.steps) if s.page == lesson.steps[i + 1].page == "kernels.py"
             and s.settings.get("kern_preset") != lesson.steps[i + 1].settings.get("kern_preset"))
    at = app_page("lessons.py", lesson="003", lesson_step=str(i + 1))
    at.query_params.clear()
    for key, value in lesson.steps[i].settings.items():  # the Lessons page's Open link
        at.query_params[key] = value
    at = at.switch_page("app_pages/kernels.py").run()
    for key, value in _sidebar_links(at)[f"Next: step {i + 2}, {lesson.steps[i + 1].title}"].items():
        at.query_params[key] = value
    at = at.switch_page("app_pages/kernels.py").run()  # still the kernels page: its widgets kept their state
    assert at.selectbox(key="kern_preset").value == lesson.steps[i + 1].settings["kern_preset"]
    assert at.selectbox(key="kern_image").value == lesson.steps[i + 1].settings["kern_image"]
    assert not at.exception
