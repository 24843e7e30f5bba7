"""Internal pulse: how colleagues feel, from the Slack and Teams channels, in
aggregate. No individual is named or quoted here."""

from __future__ import annotations

import time

import altair as alt
import pandas as pd
import streamlit as st

from crisis.detector import crisis_status
from crisis.explain import new_terms, terms
from pages.common.frame import app_context
from pages.common.text import clean_frame, md_escape, one_line
from pages.common.timefmt import display_time, viewer_zone, zone_name
from settings.registry import internal_sources
from store import queries

ctx = app_context()
zone = viewer_zone(ctx.settings.zone)
now = int(time.time())
SOURCE = internal_sources()  # Slack and Microsoft Teams: staff talking

st.header("Internal pulse")
st.caption(
    "From the monitored Slack and Teams channels, in aggregate: counts and terms, never names or individual messages."
)
internal = crisis_status(ctx.db)["internal"]
if internal.get("level") == "watch":
    # Staff turned negative against their own normal: a signal for internal comms, not the public level.
    st.warning(
        f"**INTERNAL WATCH** · {md_escape(internal['summary'].split(' · ', 1)[-1], 300)} · routed to internal comms",
        icon=":material/groups:",
    )
elif internal.get("summary"):
    st.caption(md_escape(internal["summary"], 300))
day = queries.share_of(ctx.db, now - 86400, now + 1, source=SOURCE)
week = queries.share_of(ctx.db, now - 7 * 86400, now + 1, source=SOURCE)
hour = queries.share_of(ctx.db, now - 3600, now + 1, source=SOURCE)
if not week[1]:
    st.info("No internal messages in the last 7 days: is [sources.slack] or [sources.teams] enabled, reading channels?")
    st.stop()

week_share = week[0] / week[1]
c1, c2, c3 = st.columns(3)
c1.metric(
    "Negative, last 24 h",
    f"{day[0] / day[1]:.0%}" if day[1] else "–",
    delta=f"{(day[0] / day[1] - week_share) * 100:+.0f} pts vs 7 days" if day[1] else None,
    delta_color="inverse",
)
c2.metric(
    "Messages, last 24 h", f"{day[1]:,}", delta=f"{day[1] - week[1] / 7:+,.0f} vs daily average", delta_color="off"
)
c3.metric("Messages, last hour", f"{hour[1]:,}")

trend = queries.channel_trend(ctx.db, SOURCE, now - 7 * 86400, now + 1)
trend = trend.assign(
    time=[display_time(h, zone, "%a %H:%M", with_zone=False) for h in trend["hour"]],
    share=trend["negative"] / trend["messages"],
    channel=trend["channel"].map(lambda c: one_line(c, 60)),  # chart labels: outside names, sanitised
)
x = alt.X("time:O", title=f"hour ({zone_name(zone)})", sort=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True))
left, right = st.columns(2)
left.altair_chart(
    alt.Chart(trend, title="Messages per hour by channel")
    .mark_bar()
    .encode(x=x, y=alt.Y("messages:Q", title=None, stack="zero"), color="channel:N")
    .properties(height=280),
    width="stretch",
)
right.altair_chart(
    alt.Chart(trend, title="Negative share per hour by channel")
    .mark_line(point=True)
    .encode(
        x=x,
        y=alt.Y("share:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color="channel:N",
    )
    .properties(height=280),
    width="stretch",
)
recent = queries.texts_of(ctx.db, SOURCE, now - 2 * 3600, now + 1)
before = queries.texts_of(ctx.db, SOURCE, now - 7 * 86400, now - 2 * 3600)
if len(before) >= 50:
    st.subheader("Top concerns: terms new in the last 2 hours")
    concerns = new_terms(recent, before)
else:
    st.subheader("Top concerns: most frequent terms, last 2 hours")
    st.caption("Too little earlier history to tell what is new, so these are simply the most frequent terms.")
    concerns = [(term, n) for term, n in terms(recent).most_common(6) if n >= 3]
st.dataframe(clean_frame(pd.DataFrame(concerns, columns=["term", "messages"])), hide_index=True, width="stretch")
