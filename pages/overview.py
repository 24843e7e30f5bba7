"""Executive overview: how bad, better or worse than an hour ago, what is
being said, and what the team is doing. A one-page brief to download."""

from __future__ import annotations

import time
from typing import Literal

import altair as alt
import pandas as pd
import streamlit as st

from crisis.brief import build_brief
from pages.common.frame import app_context
from pages.common.text import clean_frame, md_escape
from pages.common.widgets import narratives_table

ctx = app_context()
zone = ctx.settings.zone
now = time.time()
brief = build_brief(ctx.db, now, ctx.settings.app.timezone)

st.header("Overview")
st.markdown(f"**{md_escape(brief.summary, 400)}**")
if brief.surge and brief.level == "normal":  # more talk, not more anger: a note, never a level
    st.info(md_escape(brief.surge["note"], 300), icon=":material/trending_up:")
c1, c2, c3, c4 = st.columns(4)
ARROW: dict[str, Literal["up", "down", "off"]] = {"↑": "up", "↓": "down", "→": "off"}
c1.metric(
    "Crisis level",
    brief.level.upper(),
    delta=f"{brief.trend_1h[2:]} than 1 h ago",
    delta_color="inverse",
    delta_arrow=ARROW[brief.trend_1h[0]],
)
c2.metric(
    "24 h ago",
    brief.level_24h.upper(),
    delta=f"now {brief.trend_24h[2:]}",
    delta_color="inverse",
    delta_arrow=ARROW[brief.trend_24h[0]],
)
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

hours = brief.hours
if len(hours):
    hours = hours.assign(
        time=pd.to_datetime(hours["hour"], unit="s", utc=True).dt.tz_convert(zone).dt.strftime("%H:%M"),
        share=hours["negative"] / hours["messages"].where(hours["messages"] > 0),
    )
    x = alt.X("time:O", title=None, sort=None, axis=alt.Axis(labelAngle=0))
    left, right = st.columns(2)
    volume = alt.Chart(hours).mark_bar(color="#8b8d98").encode(x=x, y=alt.Y("messages:Q", title=None))
    if brief.expected_per_hour:
        volume += (
            alt.Chart(hours).mark_rule(strokeDash=[6, 4], color="#f5d90a").encode(y=alt.datum(brief.expected_per_hour))
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
    right.altair_chart(share.properties(height=260, title="Negative share per hour (dashed: normal)"), width="stretch")

st.subheader("Top narratives, last 3 hours")
if brief.narratives:
    st.dataframe(
        clean_frame(narratives_table(brief.narratives, ctx.settings.zone)),
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
    st.dataframe(clean_frame(pd.DataFrame(brief.team_rows(), columns=["", "now"])), hide_index=True, width="stretch")

d1, d2 = st.columns(2)
d1.download_button("Download the brief (Markdown)", brief.to_markdown(), "crisis-brief.md", "text/markdown")
d2.download_button("Download the brief (CSV)", brief.to_csv(), "crisis-brief.csv", "text/csv")
