"""medlens: the multipage app. Run with ``make app`` (or ``streamlit run streamlit_app.py``).

Only routing lives here; every page is a thin file in ``app_pages/`` that calls
into ``models`` and ``explainers``. TensorFlow is imported by the pages that
train, not here, so the home page appears at once.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st  # noqa: E402

from models.quiet import quiet_native_logs  # noqa: E402

quiet_native_logs()  # TensorFlow's start-up chatter stays out of the app log (MEDLENS_VERBOSE=1 shows it)

from app_pages.heap import freeze_after_imports  # noqa: E402
from app_pages.lesson_plan import LESSON_MEMORY_KEY, LESSONS, page_ready  # noqa: E402
from app_pages.registry import PAGES, SECTIONS  # noqa: E402
from app_pages.presenter import PRESENTER_CSS, presenter_query, presenter_toggle, sync_presenter_mode  # noqa: E402

__all__: list[str] = []  # the app's entry point: routing only

HERE = Path(__file__).parent

# A local PNG, not a Material icon: the browser would fetch that favicon from a font server on the
# internet, and an offline classroom has none.
# Presenter mode (?present=1 or the sidebar toggle): reconciled with the URL first, so it survives page
# switches; a projector link opens with the sidebar folded away.
presenting = sync_presenter_mode()
st.set_page_config(page_title="medlens", page_icon=str(HERE / "app_pages" / "medlens_icon.png"), layout="wide",
                   initial_sidebar_state="collapsed" if presenting else "auto")

# On a 1024×768 projector the sidebar and Streamlit's wide margins leave ~560 px for a page:
# narrower margins there give the widgets and figures room (nothing changes on a laptop screen).
st.html("""<style>
@media (max-width: 1200px) {
  [data-testid="stMainBlockContainer"], .block-container { padding-left: 1.5rem; padding-right: 1.5rem; }
}
</style>""")

home = st.Page(str(HERE / "app_pages" / "home.py"), title="Home", icon=":material/home:", default=True)
groups: dict[str, list] = {"medlens": [home]}
for section in SECTIONS:
    pages = [
        st.Page(str(HERE / "app_pages" / p.file), title=p.title, icon=p.icon, url_path=p.url_path)
        for p in PAGES
        if p.section == section and (HERE / "app_pages" / p.file).exists()
    ]
    if pages:
        groups[section] = pages

if presenting:
    st.html(PRESENTER_CSS)  # larger type and figures, no toolbar, details hidden: see app_pages/ui.py



def remember_lesson_step() -> None:
    """A link from a lesson carries ?lesson=&lesson_step=: the session remembers where the teacher is.

    Arriving at a new step, the step's own settings win over what the session holds (the page's
    url_setting only reads the URL for a key the session does not have, e.g. when "Next" stays on
    the same page).
    """
    lecture, raw = st.query_params.get("lesson"), st.query_params.get("lesson_step", "")
    if lecture in LESSONS and raw.isdigit() and 1 <= int(raw) <= len(LESSONS[lecture].steps):
        if st.session_state.get(LESSON_MEMORY_KEY) != (lecture, int(raw)):
            for key in LESSONS[lecture].steps[int(raw) - 1].settings:
                st.session_state.pop(key, None)
        st.session_state[LESSON_MEMORY_KEY] = (lecture, int(raw))


def lesson_links() -> None:
    """In the sidebar of a step's page: back to the lesson, and on to the next step's page directly."""
    lecture, step = st.session_state[LESSON_MEMORY_KEY]
    st.page_link("app_pages/lessons.py", label=f"Back to lecture {lecture}, step {step}", icon=":material/school:",
                 query_params=presenter_query({"lesson": lecture, "lesson_step": step}))
    steps = LESSONS[lecture].steps
    if step < len(steps):
        nxt = steps[step]  # the next step (steps count from 1)
        where = {"lesson": lecture, "lesson_step": step + 1}
        if page_ready(nxt.page):
            st.page_link(f"app_pages/{nxt.page}", label=f"Next: step {step + 1}, {nxt.title}",
                         icon=":material/arrow_forward:", query_params=presenter_query({**nxt.settings, **where}))
        else:  # its page is not written yet: the Lessons page shows the step as coming
            st.page_link("app_pages/lessons.py", label=f"Next: step {step + 1}, {nxt.title}",
                         icon=":material/arrow_forward:", query_params=presenter_query(where))


page = st.navigation(groups, position="sidebar")
if page.url_path != "lessons":
    remember_lesson_step()
with st.sidebar:
    presenter_toggle()
    if st.session_state.get(LESSON_MEMORY_KEY, ("",))[0] in LESSONS and page.url_path != "lessons":
        lesson_links()
page.run()

# Keep Streamlit's post-run garbage collection cheap (see app_pages/heap.py).
freeze_after_imports()
