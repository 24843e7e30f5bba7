"""Wall display: the live picture for the war-room screen."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import altair as alt
import pandas as pd
import streamlit as st

from crisis.detector import crisis_status
from crisis.notify import notifier_failures
from pages.common.frame import app_context
from pages.common.text import md_escape, one_line
from store import queries

LABEL_COLORS = {"negative": "#d62728", "neutral": "#9e9e9e", "positive": "#2ca02c", "unscored": "#c7c7c7"}
TIME_AXIS = alt.Axis(format="%H:%M", title=None, labelAngle=0)

ctx = app_context()
settings = ctx.settings
zone = settings.zone


def local(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, tz=timezone.utc).astimezone(zone)


def minute_grid(volume: pd.DataFrame, since: int, until: int) -> pd.DataFrame:
    """One row per minute in [since, until), one column per label, zeros filled."""
    first = since - since % 60
    grid = volume.pivot_table(index="minute", columns="label", values="count", aggfunc="sum", fill_value=0)
    grid = grid.reindex(index=range(first, until, 60), columns=list(LABEL_COLORS), fill_value=0)
    grid.index.name = "minute"
    return grid


def with_local_time(frame: pd.DataFrame) -> pd.DataFrame:
    # Vega-Lite shows naive times as they are: hand it wall-clock time in the display zone.
    times = pd.to_datetime(frame["minute"], unit="s", utc=True).dt.tz_convert(zone).dt.tz_localize(None)
    return frame.assign(time=times)


def volume_chart(grid: pd.DataFrame) -> alt.Chart:
    long = with_local_time(grid.reset_index().melt(id_vars="minute", var_name="label", value_name="count"))
    return (
        alt.Chart(long, title="Messages per minute")
        .mark_area(interpolate="step-after")
        .encode(
            x=alt.X("time:T", axis=TIME_AXIS),
            y=alt.Y("count:Q", title="messages / min", stack="zero"),
            color=alt.Color(
                "label:N",
                scale=alt.Scale(domain=list(LABEL_COLORS), range=list(LABEL_COLORS.values())),
                legend=alt.Legend(orient="top", title=None),
            ),
            order=alt.Order("label:N"),
            tooltip=[alt.Tooltip("time:T", format="%H:%M"), "label:N", "count:Q"],
        )
        .properties(height=260)
    )


def negative_share_chart(grid: pd.DataFrame) -> alt.Chart:
    rolling = grid.rolling(5, min_periods=1).sum()
    total = rolling.sum(axis=1)
    share = (rolling["negative"] / total.where(total > 0)).to_numpy()
    frame = with_local_time(pd.DataFrame({"minute": rolling.index, "share": share}))
    return (
        alt.Chart(frame, title="Negative share (5-minute window)")
        .mark_line(color=LABEL_COLORS["negative"])
        .encode(
            x=alt.X("time:T", axis=TIME_AXIS),
            y=alt.Y("share:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=[alt.Tooltip("time:T", format="%H:%M"), alt.Tooltip("share:Q", format=".0%")],
        )
        .properties(height=260)
    )


def hour_figures(grid: pd.DataFrame, now: int) -> tuple[int, int, float | None, float | None]:
    """Messages and negative share in the last hour and in the hour before."""
    age = now - grid.index.to_numpy()
    this_hour, hour_before = grid[age < 3600], grid[(age >= 3600) & (age < 7200)]
    n_now, n_prev = int(this_hour.to_numpy().sum()), int(hour_before.to_numpy().sum())
    neg_now = int(this_hour["negative"].sum()) / n_now if n_now else None
    neg_prev = int(hour_before["negative"].sum()) / n_prev if n_prev else None
    return n_now, n_prev, neg_now, neg_prev


@st.fragment(run_every=settings.wall.refresh_s)
def live_view() -> None:
    now = int(time.time())
    since = now - int(settings.wall.window_h * 3600)
    grid = minute_grid(queries.volume_by_minute(ctx.db, since, now + 1), since, now + 1)
    by_source = queries.volume_by_source(ctx.db, since, now + 1)
    latest = queries.latest_messages(ctx.db, settings.wall.latest_messages)
    health = queries.source_health(ctx.db)
    last_ok = queries.last_success_at(ctx.db)

    status = crisis_status(ctx.db)
    level_line = f"**{status['level'].upper()}** · {md_escape(status['summary'].split(' · ', 1)[-1], 400)}"
    if status["level"] == "crisis":
        st.error(level_line, icon=":material/crisis_alert:")
    elif status["level"] == "watch":
        st.warning(level_line, icon=":material/visibility:")
    else:
        st.success(level_line, icon=":material/check_circle:")
    for failure in notifier_failures(ctx.db)[:1]:
        st.warning("Slack alerts are not getting through:", icon=":material/notifications_off:")
        st.text(one_line(failure, 300))

    interval = settings.drill.poll_interval_s if settings.is_drill else 60.0
    updated = f"updated {local(now):%H:%M:%S}"
    if last_ok is None:
        st.info(f"Waiting for the first poll · {updated}")
    elif now - last_ok > 2 * interval:
        st.error(f"STALE · no new data since {local(last_ok):%H:%M:%S} · {updated}", icon=":material/warning:")
    else:
        st.caption(f"Live · {updated} ({settings.app.timezone})")
    for row in health[health["status"] == "stopped"].itertuples():
        st.error(f"Source {one_line(row.name, 64)!r} has stopped and needs a person:", icon=":material/error:")
        st.text(one_line(row.last_error or "", 600))

    n_now, n_prev, neg_now, neg_prev = hour_figures(grid, now)
    healthy = int((health["status"] == "ok").sum())
    c1, c2, c3 = st.columns(3)
    c1.metric("Messages, last 60 min", f"{n_now:,}", delta=f"{n_now - n_prev:+,} vs hour before", delta_color="inverse")
    c2.metric(
        "Negative share, last 60 min",
        "–" if neg_now is None else f"{neg_now:.0%}",
        delta=None if neg_now is None or neg_prev is None else f"{(neg_now - neg_prev) * 100:+.0f} pts vs hour before",
        delta_color="inverse",
    )
    c3.metric("Sources healthy", f"{healthy} of {len(health)}")

    if not grid.to_numpy().any():
        st.info(f"No messages in the last {settings.wall.window_h:g} h yet.")
    else:
        left, right = st.columns(2)
        left.altair_chart(volume_chart(grid), width="stretch")
        right.altair_chart(negative_share_chart(grid), width="stretch")

    left, right = st.columns([3, 1])
    with left:
        st.subheader("Latest messages")
        st.dataframe(
            pd.DataFrame(
                {
                    "time": [f"{local(t):%H:%M:%S}" for t in latest["created_at"]],
                    "source": latest["source"],
                    "author": latest["author"].map(lambda a: one_line(a, 40)),
                    "sentiment": latest["label"],
                    "message": latest["text"].map(one_line),
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "time": st.column_config.TextColumn(width=80),
                "source": st.column_config.TextColumn(width=90),
                "author": st.column_config.TextColumn(width=170),
                "sentiment": st.column_config.TextColumn(width=90),
                "message": st.column_config.TextColumn(width="large"),
            },
        )
    with right:
        st.subheader("By source")
        window = f"last {settings.wall.window_h:g} h"
        st.dataframe(by_source.rename(columns={"messages": window}), hide_index=True, width="stretch")
        st.subheader("Sources")
        for row in health.itertuples():
            age = f"{max(0, now - row.last_success_at):.0f} s ago" if row.last_success_at else "never"
            st.text(f"{one_line(row.name, 64)}: {row.status} · last success {age} · {row.messages_total:,} messages")


live_view()
