"""Executive overview: how bad, better or worse than an hour ago, what is
being said, and what the team is doing. Read on a phone as often as on a
laptop: the level and one plain sentence come first, above every banner, and
the page refreshes itself ([overview] refresh_s) saying as of when. The brief
downloads as e-mail-ready HTML, PDF, Markdown or CSV; drill data says DRILL
in every one of them."""

from __future__ import annotations

import time
from typing import Literal, TypedDict

import altair as alt
import pandas as pd
import streamlit as st

from crisis.brief import build_brief
from crisis.brief_html import LEVEL_STYLE, to_html
from crisis.brief_pdf import to_pdf
from crisis.detector import crisis_status
from crisis.headline import headline
from crisis.levels import LEVELS
from pages.common.banners import hold_proposal_line
from pages.common.frame import app_context, page_top
from pages.common.text import clean_frame, md_escape
from pages.common.timefmt import display_time, viewer_zone, zone_name
from pages.common.widgets import narratives_table
from publishing import proposals
from store import queries

ctx = app_context()
zone = viewer_zone(ctx.settings.zone)
REFRESH_S = ctx.settings.overview.refresh_s
STALE_S = 300  # the detector judges every minute; five without a verdict is worth saying
Arrow = Literal["up", "down", "off"]
ARROW: dict[str, Arrow] = {"↑": "up", "↓": "down", "→": "off"}
COLOUR = {"normal": "green", "watch": "orange", "crisis": "red"}
# The level's box in the level's colour (our own constant CSS; the shape beside the word reads without colour).
BOX = {"normal": "#21c354", "watch": "#ffa421", "crisis": "#ff4b4b"}
# The level against an hour ago (1 higher, 0 the same, -1 lower): the arrow beside it.
LEVEL_ARROW: dict[int, Arrow] = {1: "up", 0: "off", -1: "down"}


class Tone(TypedDict):
    delta_color: Literal["inverse", "off"]
    delta_arrow: Arrow


def tone(arrow: Arrow) -> Tone:
    """Up is bad here (more messages, more anger); no change is grey, with no arrow."""
    return {"delta_color": "off" if arrow == "off" else "inverse", "delta_arrow": arrow}


def as_of(now: float) -> str:
    return f"as of {display_time(now, zone, '%H:%M:%S', with_zone=False)} ({zone_name(zone, now)})"


@st.fragment(run_every=REFRESH_S)
def level_first() -> None:
    """The first screen on a phone: the level, one plain sentence, as of when."""
    now = time.time()
    status = crisis_status(ctx.db)
    level = status["level"]
    _colour, shape = LEVEL_STYLE[level]
    hour_ago = LEVELS[queries.level_at(ctx.db, now - 3600)]
    change = (LEVELS.index(level) > LEVELS.index(hour_ago)) - (LEVELS.index(level) < LEVELS.index(hour_ago))
    st.html(
        f"<style>.st-key-overview_level {{border: 3px solid {BOX[level]} !important; background: {BOX[level]}1f;}}"
        f".st-key-overview_level [data-testid='stMetricValue'] {{color: {BOX[level]};}}</style>"
    )
    with st.container(border=True, key="overview_level"):
        st.metric(
            "Crisis level",
            f"{shape} {level.upper()}",
            delta={1: "worse than 1 h ago", 0: "same as 1 h ago", -1: "better than 1 h ago"}[change],
            **tone(LEVEL_ARROW[change]),  # no change: grey, never a red arrow
        )
        st.markdown(f":{COLOUR[level]}[**{md_escape(headline(status['explanation'] or {}), 400)}**]")
        stale = status["updated_at"] is None or now - status["updated_at"] > STALE_S
        note = (
            f" · last judged {display_time(status['updated_at'], zone, '%H:%M')}: figures may be out of date"
            if stale and status["updated_at"]
            else ""
        )
        declared = " · level declared by the crisis team" if status["declared"] else ""
        st.caption(f"{'DRILL · ' if ctx.settings.is_drill else ''}{as_of(now)}{declared}{note}")
    waiting = proposals.pending(ctx.db)  # below the level: posts wait for a person's decision
    if waiting is not None:
        with st.container(key="overview_hold_proposal"):
            st.warning(hold_proposal_line(waiting, ctx, where=False), icon=":material/front_hand:")
            st.page_link(
                "pages/posts.py", label="Accept or dismiss on Scheduled posts", icon=":material/schedule_send:"
            )


@st.fragment(run_every=REFRESH_S)
def overview() -> None:
    now = time.time()
    title = ctx.scenario.title if ctx.scenario else ""
    brief = build_brief(ctx.db, now, zone.key, drill=ctx.settings.is_drill, drill_title=title)
    if brief.surge and brief.level == "normal":  # more talk, not more anger: a note, never a level
        st.info(md_escape(brief.surge["note"], 300), icon=":material/trending_up:")
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "24 h ago",
        brief.level_24h.upper(),
        delta=f"now {brief.trend_24h[2:]}",
        **tone(ARROW[brief.trend_24h[0]]),
    )
    more = brief.messages_1h - brief.messages_prev_1h
    c2.metric(
        "Messages, last hour",
        f"{brief.messages_1h:,}",
        delta=f"{more:+,} vs hour before" if more else "same as the hour before",
        **tone("up" if more > 0 else "down" if more < 0 else "off"),
    )
    points = (
        None
        if brief.expected_negative_share is None or brief.negative_share_1h is None
        else round((brief.negative_share_1h - brief.expected_negative_share) * 100)
    )
    c3.metric(
        "Negative share, last hour",
        "–" if brief.negative_share_1h is None else f"{brief.negative_share_1h:.0%}",
        delta=None if points is None else f"{points:+d} pts vs normal" if points else "as normal",
        **tone("up" if points and points > 0 else "down" if points else "off"),
    )

    hours = brief.hours
    if len(hours):
        hours = hours.assign(
            time=[display_time(h, zone, "%H:%M", with_zone=False) for h in hours["hour"]],
            share=hours["negative"] / hours["scored"].where(hours["scored"] > 0),
        )
        x = alt.X("time:O", title=f"hour ({zone_name(zone, now)})", sort=None, axis=alt.Axis(labelAngle=0))
        left, right = st.columns(2)
        volume = alt.Chart(hours).mark_bar(color="#8b8d98").encode(x=x, y=alt.Y("messages:Q", title=None))
        if brief.expected_per_hour:
            volume += (
                alt.Chart(hours)
                .mark_rule(strokeDash=[6, 4], color="#f5d90a")
                .encode(y=alt.datum(brief.expected_per_hour))
            )
        left.altair_chart(
            volume.properties(height=260, title="Messages per hour, last 24 h (dashed: normal)"), width="stretch"
        )
        share = (
            alt.Chart(hours)
            .mark_line(color="#e5484d", point=True)
            .encode(x=x, y=alt.Y("share:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])))
        )
        if brief.expected_negative_share is not None:
            share += (
                alt.Chart(hours)
                .mark_rule(strokeDash=[6, 4], color="#f5d90a")
                .encode(y=alt.datum(brief.expected_negative_share))
            )
        right.altair_chart(
            share.properties(height=260, title="Negative share per hour (dashed: normal)"), width="stretch"
        )

    st.subheader("Top narratives, last 3 hours")
    if brief.narratives:
        st.dataframe(
            clean_frame(narratives_table(brief.narratives, zone)),
            hide_index=True,
            width="stretch",
            column_config={"what people are saying": st.column_config.TextColumn(width="large")},
        )
    else:
        st.caption("No story has more than one post yet.")
    middle, right = st.columns(2)
    with middle:
        st.subheader("By source, last 24 h")
        st.dataframe(
            clean_frame(pd.DataFrame(brief.sources_24h, columns=["source", "messages", "negative"])),
            hide_index=True,
            width="stretch",
        )
        st.metric("Reach of negative posts, last 24 h", f"{brief.negative_reach_24h:,}")
    with right:
        st.subheader("What the team is doing")
        st.dataframe(
            clean_frame(pd.DataFrame(brief.team_rows(), columns=["", "now"])), hide_index=True, width="stretch"
        )

    st.subheader("The brief, to send on")
    st.caption(
        "The level, the summary, the narratives and the widest-reaching negative posts, as of "
        f"{display_time(now, zone, '%H:%M')}." + (" Every copy is marked DRILL." if brief.drill else "")
    )
    stem = ("DRILL-" if brief.drill else "") + "crisis-brief"
    d1, d2, d3, d4 = st.columns(4)
    # Built when clicked (a PDF takes a moment), from the figures on the screen.
    d1.download_button(
        "E-mail (HTML)", lambda: to_html(brief), f"{stem}.html", "text/html", on_click="ignore", key="brief_html"
    )
    d2.download_button(
        "PDF", lambda: to_pdf(brief), f"{stem}.pdf", "application/pdf", on_click="ignore", key="brief_pdf"
    )
    d3.download_button("Markdown", brief.to_markdown, f"{stem}.md", "text/markdown", on_click="ignore", key="brief_md")
    d4.download_button("CSV", brief.to_csv, f"{stem}.csv", "text/csv", on_click="ignore", key="brief_csv")


with page_top():
    level_first()
st.header("Overview")
overview()
