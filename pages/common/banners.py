"""Banners shown above every page."""

from __future__ import annotations

import time

import streamlit as st

from incidents.key_accounts import recent_hits
from pages.common.context import AppContext
from pages.common.text import md_escape
from pages.common.timefmt import display_time, viewer_zone
from publishing import pause
from store import runners


def show_banners(ctx: AppContext) -> None:
    if ctx.settings.is_drill:
        title = md_escape(ctx.scenario.title) if ctx.scenario else "scenario file unreadable"
        st.warning(f"**DRILL - scenario data** · {title}", icon=":material/theater_comedy:")
    switch = pause.state(ctx.db)
    if switch.paused:
        until = ""
        if switch.resume_at:
            resume = display_time(switch.resume_at, viewer_zone(ctx.settings.zone), "%a %H:%M")
            until = f" · resumes by itself at {resume}"
        by, why = md_escape(switch.by or "?", 80), md_escape(switch.reason or "", 200)
        st.error(f"**ALL PUBLISHING PAUSED** by {by}: {why}{until}", icon=":material/pause_circle:")
    mentioned = recent_hits(ctx.db, time.time() - 86400)
    if len(mentioned):
        listed = ", ".join(
            f"{md_escape(r.account, 80)} ({r.mentions}, owner {md_escape(r.owner, 60)})" for r in mentioned.itertuples()
        )
        st.warning(f"**Key accounts mentioned in the last 24 h:** {listed}", icon=":material/star:")
    alive = runners.alive(ctx.db, time.time())
    if alive.empty:
        st.caption("Sentiment: no runner has reported in the last two minutes, so nothing new is being scored.")
    else:
        notes = sorted(set(alive["engine_note"]))
        st.caption("Sentiment: " + " · ".join(md_escape(note, 300) for note in notes))
