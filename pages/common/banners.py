"""Banners shown above every page."""

from __future__ import annotations

import time

import streamlit as st

from incidents.key_accounts import recent_hits
from pages.common import engine_status
from pages.common.context import AppContext
from pages.common.text import md_escape
from pages.common.timefmt import display_time, viewer_zone
from publishing import pause, proposals


def hold_proposal_line(waiting: proposals.PendingHold, ctx: AppContext, *, where: bool = True) -> str:
    """One line for a waiting hold proposal, Markdown with the proposer's name
    escaped (outside text); `where`: says where to decide."""
    at = display_time(waiting.proposed_at, viewer_zone(ctx.settings.zone), "%H:%M")
    posts = f"{waiting.posts} post{'' if waiting.posts == 1 else 's'}"
    line = f"**HOLD PROPOSAL WAITING:** {posts}, by {md_escape(waiting.proposer(), 120)} at {at}"
    return line + (" · accept or dismiss on the Scheduled posts page" if where else "")


SHOWN_KEY = "kiosk_banners_shown"


def kiosk_state(ctx: AppContext, switch=None, waiting=False) -> tuple:
    """What the wall TV's pause and hold-proposal banners depend on; the wall's
    refresh reruns the whole page when it changes (banners_changed)."""
    switch = switch or pause.state(ctx.db)
    waiting = proposals.pending(ctx.db) if waiting is False else waiting
    return (switch.paused, switch.by, switch.reason, switch.resume_at, waiting and (waiting.id, waiting.posts))


def banners_changed(ctx: AppContext) -> bool:
    """On the wall TV: a banner would now read differently (a pause, a new or grown or decided proposal)."""
    return SHOWN_KEY in st.session_state and st.session_state[SHOWN_KEY] != kiosk_state(ctx)


def show_banners(ctx: AppContext, *, kiosk: bool = False) -> None:
    """The drill, the pause switch and key accounts, each in a keyed container
    (the wall's CSS gives each its own colour, icon and word); on the wall TV
    they share one row, so the level and the figures stay on the screen."""
    shown = []  # (container key, alert, text, icon)
    if ctx.settings.is_drill:
        title = md_escape(ctx.scenario.title) if ctx.scenario else "scenario file unreadable"
        shown.append(("banner-drill", st.warning, f"**DRILL - scenario data** · {title}", ":material/theater_comedy:"))
    switch = pause.state(ctx.db)
    if switch.paused:
        until = ""
        if switch.resume_at:
            resume = display_time(switch.resume_at, viewer_zone(ctx.settings.zone), "%a %H:%M")
            until = f" · resumes by itself at {resume}"
        by, why = md_escape(switch.by or "?", 80), md_escape(switch.reason or "", 200)
        text = f"**ALL PUBLISHING PAUSED** by {by}: {why}{until}"
        shown.append(("banner-paused", st.error, text, ":material/pause_circle:"))
    mentioned = recent_hits(ctx.db, time.time() - 86400)
    if len(mentioned):
        listed = ", ".join(
            f"{md_escape(r.account, 80)} ({r.mentions}, owner {md_escape(r.owner, 60)})" for r in mentioned.itertuples()
        )
        shown.append(
            (
                "banner-key-accounts",
                st.warning,
                f"**Key accounts mentioned in the last 24 h:** {listed}",
                ":material/star:",
            )
        )
    if kiosk:  # the wall TV: a hold proposal waits for a person (decided on the Scheduled posts page)
        waiting = proposals.pending(ctx.db)
        st.session_state[SHOWN_KEY] = kiosk_state(ctx, switch, waiting)
        if waiting is not None:
            shown.append(
                ("banner-hold-proposal", st.warning, hold_proposal_line(waiting, ctx), ":material/front_hand:")
            )
    slots = st.columns(len(shown)) if kiosk and len(shown) > 1 else [st.container() for _ in shown]
    for slot, (key, alert, text, icon) in zip(slots, shown):
        with slot, st.container(key=key):
            alert(text, icon=icon)
    # Engine details (which model, why not a better one) live on the Sources page; every
    # page but the wall (which has its own status mark) says only when nothing is scored.
    status = engine_status.current(ctx)
    if status.state == "stopped" and not kiosk:
        st.caption(status.line)
