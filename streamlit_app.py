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
from app_pages.registry import PAGES, SECTIONS  # noqa: E402

__all__: list[str] = []  # the app's entry point: routing only

HERE = Path(__file__).parent

# A local PNG, not a Material icon: the browser would fetch that favicon from a font server on the
# internet, and an offline classroom has none.
st.set_page_config(page_title="medlens", page_icon=str(HERE / "app_pages" / "medlens_icon.png"), layout="wide")

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

st.navigation(groups, position="sidebar").run()

# Keep Streamlit's post-run garbage collection cheap (see app_pages/heap.py).
freeze_after_imports()
