"""Executive overview: how bad, better or worse than an hour ago, what is
being said, and what the team is doing. A one-page brief to download."""

from __future__ import annotations

import time

import altair as alt
import pandas as pd
import streamlit as st

from crisis.brief import build_brief
from pages.common.frame import app_context
from pages.common.text import md_escape
from store import queries

ctx = app_context()
zone = ctx.settings.zone
now = time.time()
brief = build_brief(ctx.db, now, ctx.settings.app.timezone)

st.header("Overview")
st.markdown(f"**{md_escape(brief.summary, 400)}**")
c1, c2, c3, c4 = st.columns(4)
c1.metric("Crisis level", brief.level.upper(), delta=f"{brief.trend_1h} than 1 h ago", delta_color="off")
c2.metric("24 h ago", brief.level_24h.upper(), delta=brief.trend_24h, delta_color="off")
c3.metric(
    "Messages, last hour",
    f"{brief.messages_1h:,}",
    delta=f"{brief.messages_1h - brief.messages_prev_1h:+,} vs hour before",
    delta_color="inverse",
)
c4.metric(
    "Negative share, last hour",
    "–" if brief.negative_share_1h is None else f"{brief.negative_share_1h:.0%}",
    delta=None
    if brief.expected_negative_share is None or brief.negative_share_1h is None
    else f"{(brief.negative_share_1h - brief.expected_negative_share) * 100:+.0f} pts vs normal",
    delta_color="inverse",
)

hours = queries.volume_by_hour(ctx.db, int(now) - 24 * 3600, int(now) + 1)
if len(hours):
    hours = hours.assign(
        time=pd.to_datetime(hours["hour"], unit="s", utc=True).dt.tz_convert(zone).dt.tz_localize(None),
        share=hours["negative"] / hours["messages"].where(hours["messages"] > 0),
    )
    left, right = st.columns(2)
    volume = (
        alt.Chart(hours, title="Messages per hour, last 24 h")
        .mark_bar(color="#8b8d98")
        .encode(x=alt.X("time:T", title=None, axis=alt.Axis(format="%H:%M")), y=alt.Y("messages:Q", title=None))
    )
    if brief.expected_per_hour:
        volume += (
            alt.Chart(pd.DataFrame({"y": [brief.expected_per_hour]}))
            .mark_rule(strokeDash=[6, 4], color="#f5d90a")
            .encode(y="y:Q")
        )
    left.altair_chart(volume.properties(height=260), width="stretch")
    share = (
        alt.Chart(hours, title="Negative share per hour")
        .mark_line(color="#e5484d", point=True)
        .encode(
            x=alt.X("time:T", title=None, axis=alt.Axis(format="%H:%M")),
            y=alt.Y("share:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        )
    )
    if brief.expected_negative_share is not None:
        share += (
            alt.Chart(pd.DataFrame({"y": [brief.expected_negative_share]}))
            .mark_rule(strokeDash=[6, 4], color="#f5d90a")
            .encode(y="y:Q")
        )
    right.altair_chart(share.properties(height=260), width="stretch")

left, middle, right = st.columns(3)
with left:
    st.subheader("Top narratives")
    st.dataframe(pd.DataFrame(brief.narratives, columns=["term", "messages"]), hide_index=True, width="stretch")
with middle:
    st.subheader("By source, last 24 h")
    st.dataframe(
        pd.DataFrame(brief.sources_24h, columns=["source", "messages", "negative"]), hide_index=True, width="stretch"
    )
    st.metric("Reach of negative posts, last 24 h", f"{brief.negative_reach_24h:,}")
with right:
    st.subheader("What the team is doing")
    st.dataframe(pd.DataFrame(brief.rows()[6:], columns=["", "now"]), hide_index=True, width="stretch")

d1, d2 = st.columns(2)
d1.download_button("Download the brief (Markdown)", brief.to_markdown(), "crisis-brief.md", "text/markdown")
d2.download_button("Download the brief (CSV)", brief.to_csv(), "crisis-brief.csv", "text/csv")
