"""What surrounds every page: page config, the shared context and banners
(and, with sign-in, the access check).

app.py calls frame() and then runs the page the navigation chose. A page
calls app_context() first. When app.py routed it, that is just the context.
When it did not, the frame is drawn here, and the page goes on as usual.
That happens until the first run of a fresh server calls st.navigation:
Streamlit then still treats pages/ as a legacy multipage folder and runs a
requested page file directly.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import streamlit as st

from pages.common.banners import show_banners
from pages.common.context import AppContext, load_context

_routing = threading.local()


# The wall TV: no navigation or toolbar, type readable from five metres.
KIOSK_CSS = """<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"] {display: none !important;}
.block-container {padding: 1rem 2rem !important; max-width: 100% !important;}
[data-testid="stMetricValue"] {font-size: 4.2rem !important; line-height: 1.1 !important;}
[data-testid="stMetricLabel"] p {font-size: 1.5rem !important;}
[data-testid="stMetricDelta"] {font-size: 1.3rem !important;}
[data-testid="stAlertContentError"] p, [data-testid="stAlertContentWarning"] p,
[data-testid="stAlertContentSuccess"] p, [data-testid="stAlertContentInfo"] p {font-size: 1.6rem !important;}
h3 {font-size: 1.8rem !important;}
</style>"""


def kiosk() -> bool:
    """The wall display URL: ?view=wall."""
    return st.query_params.get("view") == "wall"


def frame() -> AppContext:
    st.set_page_config(
        page_title="Crisis Desk", page_icon=":material/crisis_alert:", layout="wide", initial_sidebar_state="collapsed"
    )
    ctx = load_context()
    if kiosk():
        st.html(KIOSK_CSS)
    show_banners(ctx)
    return ctx


@contextmanager
def routed_by_app():
    """app.py runs the chosen page inside this, after drawing the frame."""
    _routing.active = True
    try:
        yield
    finally:
        _routing.active = False


def app_context() -> AppContext:
    """The shared context, for pages: every page calls this first."""
    if getattr(_routing, "active", False):
        return load_context()
    return frame()
