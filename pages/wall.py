"""Wall display: the live picture for the war-room screen."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import altair as alt
import pandas as pd
import streamlit as st

from pages.common.context import app_context
from pages.common.text import one_line
from store import queries

LABEL_COLORS = {"negative": "#d62728", "neutral": "#9e9e9e", "positive": "#2ca02c", "unscored": "#c7c7c7"}

ctx = app_context()
settings = ctx.settings
zone = settings.zone


def local(moment: datetime | float) -> datetime:
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, tz=timezone.utc)
    return moment.astimezone(zone)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def volume_chart(volume: pd.DataFrame) -> alt.Chart:
    data = volume.assign(minute=volume["minute"].dt.tz_convert(zone).dt.tz_localize(None))
    return (
        alt.Chart(data, title="Messages per minute")
        .mark_area()
        .encode(
            x=alt.X("minute:T", title=None),
            y=alt.Y("count:Q", title="messages / min", stack="zero"),
            color=alt.Color(
                "label:N",
                scale=alt.Scale(domain=list(LABEL_COLORS), range=list(LABEL_COLORS.values())),
                legend=alt.Legend(orient="top", title=None),
            ),
            tooltip=["minute:T", "label:N", "count:Q"],
        )
        .properties(height=260)
    )


def negative_share_chart(volume: pd.DataFrame) -> alt.Chart:
    per_minute = volume.pivot_table(index="minute", columns="label", values="count", aggfunc="sum", fill_value=0)
    per_minute = per_minute.asfreq("min", fill_value=0) if len(per_minute) else per_minute
    rolling = per_minute.rolling(5, min_periods=1).sum()
    negative = rolling.get("negative", pd.Series(0, index=rolling.index))
    frame = pd.DataFrame({"minute": rolling.index.tz_convert(zone).tz_localize(None), "share": negative / rolling.sum(axis=1).where(lambda s: s > 0)})
    return (
        alt.Chart(frame, title="Negative share (5-minute window)")
        .mark_line(color=LABEL_COLORS["negative"])
        .encode(
            x=alt.X("minute:T", title=None),
            y=alt.Y("share:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=["minute:T", alt.Tooltip("share:Q", format=".0%")],
        )
        .properties(height=260)
    )


@st.fragment(run_every=settings.wall.refresh_s)
def live_view() -> None:
    now = int(time.time())
    window_s = int(settings.wall.window_h * 3600)
    volume = queries.volume_by_minute(ctx.db, now - window_s, now + 60)
    by_source = queries.volume_by_source(ctx.db, now - window_s, now + 60)
    latest = queries.latest_messages(ctx.db, settings.wall.latest_messages)
    health = queries.source_health(ctx.db)
    last_ok = queries.last_success_at(ctx.db)

    interval = settings.drill.poll_interval_s if settings.is_drill else 60.0
    updated = f"updated {local(now):%H:%M:%S}"
    if last_ok is None:
        st.info(f"Waiting for the first poll · {updated}")
    elif now - last_ok > 2 * interval:
        st.error(f"STALE · no new data since {local(last_ok):%H:%M:%S} · {updated}", icon=":material/warning:")
    else:
        st.caption(f"Live · {updated} ({settings.app.timezone})")

    minutes = volume.assign(age=now - volume["minute"].astype("int64") // 10**9)
    last_hour = minutes[minutes["age"] < 3600]
    prev_hour = minutes[(minutes["age"] >= 3600) & (minutes["age"] < 7200)]
    n_now, n_prev = int(last_hour["count"].sum()), int(prev_hour["count"].sum())
    neg_now = share(int(last_hour.loc[last_hour["label"] == "negative", "count"].sum()), n_now)
    neg_prev = share(int(prev_hour.loc[prev_hour["label"] == "negative", "count"].sum()), n_prev)
    healthy = int((health["status"] == "ok").sum()) if len(health) else 0

    c1, c2, c3 = st.columns(3)
    c1.metric("Messages, last 60 min", f"{n_now:,}", delta=f"{n_now - n_prev:+,} vs hour before", delta_color="inverse")
    c2.metric(
        "Negative share, last 60 min",
        "–" if neg_now is None else f"{neg_now:.0%}",
        delta=None if neg_now is None or neg_prev is None else f"{(neg_now - neg_prev) * 100:+.0f} pts vs hour before",
        delta_color="inverse",
    )
    c3.metric("Sources healthy", f"{healthy} of {len(health)}")

    if volume.empty:
        st.info(f"No messages in the last {settings.wall.window_h:g} h yet.")
    else:
        left, right = st.columns(2)
        left.altair_chart(volume_chart(volume), width="stretch")
        right.altair_chart(negative_share_chart(volume), width="stretch")

    left, right = st.columns([3, 1])
    with left:
        st.subheader("Latest messages")
        shown = pd.DataFrame(
            {
                "time": latest["created_at"].dt.tz_convert(zone).dt.strftime("%H:%M:%S"),
                "source": latest["source"],
                "author": latest["author"].map(lambda a: one_line(a, 40)),
                "sentiment": latest["label"],
                "message": latest["text"].map(one_line),
            }
        )
        st.dataframe(shown, hide_index=True, width="stretch")
    with right:
        st.subheader("By source")
        st.dataframe(
            by_source.rename(columns={"messages": f"last {settings.wall.window_h:g} h"}), hide_index=True, width="stretch"
        )
        st.subheader("Sources")
        for row in health.itertuples():
            age = f"{now - row.last_success_at:.0f} s ago" if row.last_success_at else "never"
            st.text(f"{row.name}: {row.status} · last success {age} · {row.messages_total:,} messages")
            if row.status != "ok" and row.last_error:
                st.text(f"  last error: {one_line(row.last_error, 400)}")


live_view()
