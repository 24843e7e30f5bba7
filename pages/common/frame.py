"""What surrounds every page: page config, the shared context, who is
looking (and whether they may see this page), and the banners.

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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import streamlit as st

from access.roles import Actor, Permission
from pages.common.banners import show_banners
from pages.common.context import AppContext, configured_store, load_context
from pages.common.kiosk import KIOSK_CSS
from pages.common.signin import resolve, show_identity
from pages.common.text import one_line
from store.health import RETRY_S, describe, health, probe, store_errors

_routing = threading.local()
_run = threading.local()  # the actor of the script run on this thread


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    url_path: str
    needs: Permission = Permission.READ


# Every page, in navigation order; each shows only to roles that may read it.
PAGES = (
    PageSpec("pages/wall.py", "Wall display", ":material/tv:", "wall", Permission.READ_WALL),
    PageSpec("pages/overview.py", "Overview", ":material/summarize:", "overview"),
    PageSpec("pages/mentions.py", "Mentions", ":material/forum:", "mentions"),
    PageSpec("pages/pulse.py", "Internal pulse", ":material/favorite:", "pulse"),
    PageSpec("pages/faq.py", "Crisis FAQ", ":material/quiz:", "faq"),
    PageSpec("pages/crisis.py", "Crisis level", ":material/crisis_alert:", "crisis"),
    PageSpec("pages/posts.py", "Scheduled posts", ":material/schedule_send:", "posts"),
    PageSpec("pages/team.py", "Team", ":material/groups:", "team"),
    PageSpec("pages/sources.py", "Sources", ":material/sensors:", "sources"),
    PageSpec("pages/sentiment.py", "Sentiment", ":material/sentiment_satisfied:", "sentiment"),
    PageSpec("pages/audit.py", "Audit log", ":material/history:", "audit", Permission.READ_AUDIT),
)


# The tab's icon is a file served by this server: the browser asks no outside host for it.
FAVICON = Path(__file__).resolve().parents[2] / "assets" / "favicon.png"

# serve.py sends frame-ancestors 'none' and X-Frame-Options DENY. For a server
# started as `streamlit run app.py` (no headers), every page also hides itself
# when another site frames it, and tries to take the whole window instead.
# (Our own constant script, never outside text.)
FRAME_GUARD = """<script>
(function () {
  var app = window.parent;
  if (app === window.top) return;
  try { app.document.documentElement.style.display = "none"; } catch (e) {}
  try { window.top.location = app.location.href; } catch (e) {}
})();
</script>"""


def kiosk() -> bool:
    """The wall display URL: ?view=wall."""
    return st.query_params.get("view") == "wall"


def frame() -> tuple[AppContext, Actor]:
    """Page config, context, the access check (stops the run of anyone
    refused), who is signed in, and the banners."""
    st.set_page_config(
        page_title="Crisis Desk", page_icon=str(FAVICON), layout="wide", initial_sidebar_state="collapsed"
    )
    st.iframe(FRAME_GUARD, height=1)
    _run.actor = None
    _run.top = st.container()  # above the banners: see page_top()
    ctx = store_or_outage()
    actor = resolve(ctx)
    _run.actor = actor
    wall_tv = kiosk() or actor.role == "display"
    if wall_tv:  # the wall TV: no navigation or toolbar, everything sized from the screen
        st.html(KIOSK_CSS)
    show_identity(actor, kiosk=wall_tv)
    show_banners(ctx, kiosk=wall_tv)
    return ctx, actor


# --- store outages (H7, issue 20) ---------------------------------------------
def store_or_outage() -> AppContext:
    """The context, with the store answering; otherwise one line saying since
    when it is unreachable and why, a retry every few seconds that brings the
    page back by itself when the store is back (a wall needs no reload), and
    nothing else of the page."""
    try:
        ctx = load_context()
    except store_errors() as exc:
        url, zone = configured_store()
        health.failed(describe(exc, url))
        _outage(zone, url, lambda: load_context() is not None)
    if not probe(ctx.db):
        _outage(ctx.settings.zone, ctx.db.url.render_as_string(), lambda: probe(ctx.db))
    return ctx


def _outage(zone, url: str, ready) -> None:
    if kiosk():
        st.html(KIOSK_CSS)
    st.error(one_line(health.line(zone) or "The database is unreachable; retrying.", 400), icon=":material/cloud_off:")

    @st.fragment(run_every=RETRY_S)
    def retry() -> None:
        try:
            back = ready()
        except store_errors() as exc:
            health.failed(describe(exc, url))
            back = False
        if back:
            st.rerun(scope="app")
        st.caption(f"Last try {datetime.now(zone):%H:%M:%S}; this page comes back by itself.")

    retry()
    st.stop()


# --- end store outages ---------------------------------------------------------


def pages_for(actor: Actor) -> list[PageSpec]:
    return [spec for spec in PAGES if actor.may(spec.needs)]


@contextmanager
def routed_by_app():
    """app.py runs the chosen page inside this, after drawing the frame."""
    _routing.active = True
    try:
        yield
    finally:
        _routing.active = False


def app_context(needs: Permission = Permission.READ) -> AppContext:
    """The shared context, for pages: every page calls this first, naming
    what reading it needs. Anyone whose role does not allow it sees why,
    and nothing of the page."""
    if getattr(_routing, "active", False):
        ctx, actor = load_context(), current_actor()
    else:
        ctx, actor = frame()
    if not actor.may(needs):
        st.error(f"This page needs the role {needs.min_role} or higher; you are {actor.role}.", icon=":material/lock:")
        st.stop()
    return ctx


def page_top():
    """A container above the sign-in line and the banners, for what a page must
    show first (the overview's level on a phone). Outside a framed run it is
    simply the next container."""
    top = getattr(_run, "top", None)
    return top if top is not None else st.container()


def current_actor() -> Actor:
    """Who is acting in this script run (set by frame() before any page runs)."""
    actor = getattr(_run, "actor", None)
    if actor is None:
        raise RuntimeError("current_actor() before frame() resolved who is looking")
    return actor
