"""Lessons: each lecture (000-004) as an ordered path through the pages, with prepared settings."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import streamlit as st

from app_pages.lesson_plan import LESSON_MEMORY_KEY, LESSONS, page_ready, step_heading
from app_pages.registry import PAGES
from app_pages.ui import details, presenter_query, presenting, url_setting, write_url

BY_FILE = {p.file: p for p in PAGES}
LECTURES = list(LESSONS)
MAX_STEPS = max(len(lesson.steps) for lesson in LESSONS.values())

st.title("Lessons")
st.markdown("Run a lecture from the app: each step names the part of the lecture it follows, says what to "
            "show, and opens the page with its settings prepared. Next and previous walk the path; the "
            "sidebar's *Presenter mode* sets everything larger for a projector.")

# Coming back from a step's page: the lecture and step are remembered for this session (the URL then
# belongs to the other page), unless the URL names them.
memory = st.session_state.get(LESSON_MEMORY_KEY)
if memory and "lesson" not in st.session_state and "lesson" not in st.query_params:
    st.session_state["lesson"], st.session_state["lesson_step"] = memory[0], int(memory[1])


def restart_lecture() -> None:
    st.session_state["lesson_step"] = 1


def move(by: int) -> None:
    n = len(LESSONS[st.session_state["lesson"]].steps)
    st.session_state["lesson_step"] = min(max(int(st.session_state["lesson_step"]) + by, 1), n)


c1, c2 = st.columns([1, 3])
lecture = c1.selectbox("Lecture", LECTURES, format_func=lambda k: f"Lecture {k}", on_change=restart_lecture,
                       key=url_setting("lesson", "003", options=LECTURES))
lesson = LESSONS[lecture]
n_steps = len(lesson.steps)
step_key = url_setting("lesson_step", 1, bounds=(1, MAX_STEPS))
if not 1 <= int(st.session_state[step_key]) <= n_steps:  # a URL step past this lecture's end
    st.session_state[step_key] = min(max(int(st.session_state[step_key]), 1), n_steps)
c2.selectbox("Step", list(range(1, n_steps + 1)), key=step_key,
             format_func=lambda i: f"{i}. {lesson.steps[i - 1].title}")
write_url()
number = int(st.session_state[step_key])
st.session_state[LESSON_MEMORY_KEY] = (lecture, number)
step = lesson.steps[number - 1]
if not presenting():
    st.caption(f"{lesson.title} (shared/course/{lesson.source}), {n_steps} steps.")

with st.container(border=True):
    st.subheader(step_heading(lesson, number - 1))
    st.markdown(f"**Follows:** {step.slide}")
    st.markdown(step.show)
    info = BY_FILE[step.page]
    if page_ready(step.page):
        st.page_link(f"app_pages/{step.page}", label=f"Open {info.title}", icon=info.icon,
                     query_params=presenter_query(step.settings))
        if step.settings and not presenting():
            st.caption("Prepared settings: " + ", ".join(f"{k} = {v}" for k, v in step.settings.items()))
    else:
        st.markdown(f":gray[**{info.title}**: coming. This page is being written; the step is kept in the "
                    "path so the lecture's order stays whole.]")
        st.button(f"Open {info.title} (coming)", disabled=True, key="open_coming")

b1, b2, _ = st.columns([1, 1, 2])
b1.button("Previous", icon=":material/arrow_back:", on_click=move, args=(-1,), disabled=number == 1,
          width="stretch")
b2.button("Next", icon=":material/arrow_forward:", on_click=move, args=(1,), disabled=number == n_steps,
          width="stretch")

with details(f"The whole path of lecture {lecture}", "lesson_path"):
    for i, s in enumerate(lesson.steps, start=1):
        ready = page_ready(s.page)
        line = f"{i}. {s.title} · {BY_FILE[s.page].title}" + ("" if ready else " (coming)")
        st.markdown(f"**{line}**" if i == number else (line if ready else f":gray[{line}]"))
