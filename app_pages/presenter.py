"""Presenter mode: one switch for a projector, and the URL encoding links share with it.

Kept apart from ``app_pages.ui`` (which loads matplotlib) so that ``streamlit_app.py``
and the home page start without matplotlib.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st


def _encode(value: Any) -> str:
    """A setting as it is written in the URL (lists comma-separated)."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


# ------------------------------------------------------------ presenter mode
# One switch for the whole app (streamlit_app.py draws it in the sidebar and injects PRESENTER_CSS when on):
# larger type and figures for a projector at 1024×768, Streamlit's toolbar hidden, and anything a page puts
# in ``details()`` hidden. Pages may also ask ``presenting()`` and skip a secondary section.
PRESENT_KEY = "medlens_present"   # session key of the sidebar toggle; the URL carries it as ?present=1
PRESENT_PARAM = "present"
DETAILS_PREFIX = "medlens_details_"   # containers keyed with this prefix are hidden while presenting

PRESENTER_CSS = """<style>
/* medlens presenter mode: a projector at 1024x768 (the toolbar's own actions and the main menu go; the
   toolbar stays, it holds the button that opens the folded sidebar) */
[data-testid="stToolbarActions"], [data-testid="stDecoration"], [data-testid="stMainMenu"], .stAppDeployButton,
[class*="st-key-medlens_details_"] { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container { padding-top: 2.2rem; padding-bottom: 2rem;
  padding-left: 1.2rem; padding-right: 1.2rem; max-width: 100%; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.3rem; line-height: 1.5; }
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.1rem; }
[data-testid="stMain"] h1 { font-size: 2.5rem; }
[data-testid="stMain"] h2 { font-size: 2.0rem; }
[data-testid="stMain"] h3 { font-size: 1.65rem; }
[data-testid="stMain"] [data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: 2.6rem; line-height: 1.2; }
[data-testid="stMain"] [data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p { font-size: 1.1rem; }
[data-testid="stMain"] [data-testid="stWidgetLabel"] p { font-size: 1.1rem; }
[data-testid="stMain"] [data-testid="stImage"] img { width: 100% !important; height: auto !important; }
[data-testid="stMain"] .katex { font-size: 1.35em; }
</style>"""


def _truthy(raw: Any) -> bool:
    return str(raw).strip().lower() in ("1", "true", "yes", "on")


def presenting() -> bool:
    """True while presenter mode is on (the sidebar toggle, or ``?present=1`` in the URL).

    Pages can use it to skip a secondary section on a projector; the styling itself is applied
    once for every page by streamlit_app.py.
    """
    if PRESENT_KEY in st.session_state:
        return bool(st.session_state[PRESENT_KEY])
    return _truthy(st.query_params.get(PRESENT_PARAM, "0"))


def sync_presenter_mode() -> bool:
    """Reconcile the toggle's state with the URL at the start of a run; returns whether presenting.

    A ``present`` value in the URL (a shared link, ``?present=1`` or ``?present=0``) wins over the
    session's state; otherwise the session's state is written back to the URL, so the mode survives
    page switches and reloads.
    """
    raw = st.query_params.get(PRESENT_PARAM)
    if raw is not None and _truthy(raw) != bool(st.session_state.get(PRESENT_KEY, False)):
        st.session_state[PRESENT_KEY] = _truthy(raw)
    on = bool(st.session_state.setdefault(PRESENT_KEY, False))
    if on and st.query_params.get(PRESENT_PARAM) != "1":
        st.query_params[PRESENT_PARAM] = "1"
    elif not on and PRESENT_PARAM in st.query_params:
        del st.query_params[PRESENT_PARAM]
    return on


def _present_changed() -> None:
    # The toggle moved: the URL follows at once, so the next run's sync does not undo the change.
    if st.session_state.get(PRESENT_KEY):
        st.query_params[PRESENT_PARAM] = "1"
    elif PRESENT_PARAM in st.query_params:
        del st.query_params[PRESENT_PARAM]


def presenter_toggle() -> bool:
    """The presenter-mode switch (drawn by streamlit_app.py in the sidebar, on every page)."""
    return st.toggle("Presenter mode", key=PRESENT_KEY, on_change=_present_changed,
                     help="Larger type and figures for a projector at 1024×768, secondary notes hidden. "
                          "Or add ?present=1 to a link.")


def presenter_query(query: Mapping[str, Any] | None = None) -> dict[str, str]:
    """``query`` as URL strings, plus ``present=1`` while presenting (for links that switch pages)."""
    params = {str(k): _encode(v) for k, v in (query or {}).items()}
    if presenting():
        params[PRESENT_PARAM] = "1"
    return params


def details(label: str, key: str) -> Any:
    """A collapsed expander for secondary material, hidden entirely in presenter mode.

    ``key`` must be unique on the page. Use it for the notes a student reads at a desk and a
    projector does not need (long captions, tables of every number).
    """
    return st.container(key=f"{DETAILS_PREFIX}{key}").expander(label)


def secondary(label: str = "More settings") -> Any:
    """Where a page puts its secondary controls (learning rate, batch size, epochs, noise ...).

    On a laptop they sit in the page as usual; in presenter mode they fold into one
    collapsed expander, so a projector shows the lesson's essential controls and the
    picture. The widgets keep their keys and URL settings either way.
    """
    return st.expander(label, expanded=False) if presenting() else st.container()


__all__ = ["PRESENT_KEY", "PRESENT_PARAM", "DETAILS_PREFIX", "PRESENTER_CSS", "presenting",
            "sync_presenter_mode", "presenter_toggle", "presenter_query", "details", "secondary"]
