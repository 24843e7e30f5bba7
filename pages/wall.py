"""Wall display: the live picture for the war-room screen (kiosk: ?view=wall).

Readable from five metres, no clicks: the crisis level and why, volume and
negative share against normal, the widest-reaching negative posts, the
internal mood, held posts and the sources' health, refreshed every few
seconds, and STALE in red when the data stops coming.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import altair as alt
import pandas as pd
import streamlit as st

from access.roles import Permission
from crisis.levels import LEVELS
from crisis.snapshot import wall_snapshot
from model.score import UNSCORED_LANGUAGE
from pages.common.frame import app_context
from pages.common.signin import recheck_display_link
from pages.common.text import clean_frame, md_escape, one_line
from pages.common.widgets import narratives_table
from store.health import describe, store_errors
from store.health import health as store_health

LABEL_COLORS = {
    "negative": "#e5484d",
    "neutral": "#8b8d98",
    "positive": "#30a46c",
    "unscored": "#5b5d68",
    UNSCORED_LANGUAGE: "#3e63dd",
}


def share_base(grid: pd.DataFrame) -> pd.Series:
    """What a negative share is a share of: every message but those no engine here can read."""
    return grid.drop(columns=[UNSCORED_LANGUAGE], errors="ignore").sum(axis=1)


TIME_AXIS = alt.Axis(format="%H:%M", title=None, labelAngle=0)

ctx = app_context(Permission.READ_WALL)
settings = ctx.settings
zone = settings.zone

# A full page reload every few hours keeps a browser that runs for weeks healthy.
# (Our own constant script, never outside text.)
st.iframe(
    f"<script>setTimeout(() => window.parent.location.reload(), {int(settings.wall.reload_h * 3600 * 1000)});</script>",
    height=1,
)


def local(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, tz=timezone.utc).astimezone(zone)


def age(seconds: float) -> str:
    seconds = max(0, seconds)
    return (
        f"{seconds:.0f} s"
        if seconds < 90
        else f"{seconds / 60:.0f} min"
        if seconds < 5400
        else f"{seconds / 3600:.1f} h"
    )


def minute_grid(volume: pd.DataFrame, since: int, until: int) -> pd.DataFrame:
    """One row per minute in [since, until), one column per label, zeros filled."""
    first = since - since % 60
    grid = volume.pivot_table(index="minute", columns="label", values="count", aggfunc="sum", fill_value=0)
    grid = grid.reindex(index=range(first, until, 60), columns=list(LABEL_COLORS), fill_value=0)
    grid.index.name = "minute"
    return grid


def with_local_time(frame: pd.DataFrame, column: str = "minute") -> pd.DataFrame:
    # Vega-Lite shows naive times as they are: hand it wall-clock time in the display zone.
    times = pd.to_datetime(frame[column], unit="s", utc=True).dt.tz_convert(zone).dt.tz_localize(None)
    return frame.assign(time=times)


def rule(value: float | None, label: str) -> alt.Chart | None:
    if value is None:
        return None
    return (
        alt.Chart(pd.DataFrame({"y": [value], "what": [label]}))
        .mark_rule(strokeDash=[6, 4], color="#f5d90a", size=2)
        .encode(y="y:Q", tooltip=["what:N", alt.Tooltip("y:Q", format=".2f")])
    )


def volume_chart(grid: pd.DataFrame, expected_per_min: float | None) -> alt.Chart:
    long = with_local_time(grid.reset_index().melt(id_vars="minute", var_name="label", value_name="count"))
    chart = (
        alt.Chart(long, title="Messages per minute (dashed: normal)")
        .mark_area(interpolate="step-after")
        .encode(
            x=alt.X("time:T", axis=TIME_AXIS),
            y=alt.Y("count:Q", title=None, stack="zero"),
            color=alt.Color(
                "label:N",
                scale=alt.Scale(domain=list(LABEL_COLORS), range=list(LABEL_COLORS.values())),
                legend=alt.Legend(orient="top", title=None, labelFontSize=16),
            ),
            order=alt.Order("label:N"),
            tooltip=[alt.Tooltip("time:T", format="%H:%M"), "label:N", "count:Q"],
        )
    )
    baseline = rule(expected_per_min, "normal per minute")
    return (chart + baseline if baseline else chart).properties(height=280)


def negative_share_chart(grid: pd.DataFrame, expected_share: float | None) -> alt.Chart:
    rolling = grid.rolling(5, min_periods=1).sum()
    total = share_base(rolling)
    share = (rolling["negative"] / total.where(total > 0)).to_numpy()
    frame = with_local_time(pd.DataFrame({"minute": rolling.index, "share": share}))
    chart = (
        alt.Chart(frame, title="Negative share, 5-minute window (dashed: normal)")
        .mark_line(color=LABEL_COLORS["negative"], size=3)
        .encode(
            x=alt.X("time:T", axis=TIME_AXIS),
            y=alt.Y("share:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=[alt.Tooltip("time:T", format="%H:%M"), alt.Tooltip("share:Q", format=".0%")],
        )
    )
    baseline = rule(expected_share, "normal negative share")
    return (chart + baseline if baseline else chart).properties(height=280)


def source_chart(by_source: pd.DataFrame) -> alt.Chart:
    by_source = by_source.assign(source=by_source["source"].map(lambda s: one_line(s, 40)))
    long = by_source.assign(other=by_source["messages"] - by_source["negative"]).melt(
        id_vars="source", value_vars=["negative", "other"], var_name="kind", value_name="count"
    )
    return (
        alt.Chart(long, title=f"By source, last {settings.wall.window_h:g} h")
        .mark_bar()
        .encode(
            y=alt.Y("source:N", title=None, sort="-x", axis=alt.Axis(labelFontSize=16)),
            x=alt.X("count:Q", title=None),
            color=alt.Color(
                "kind:N", scale=alt.Scale(domain=["negative", "other"], range=["#e5484d", "#5b5d68"]), legend=None
            ),
            tooltip=["source:N", "kind:N", "count:Q"],
        )
        .properties(height=200)
    )


def hour_figures(grid: pd.DataFrame, now: int) -> tuple[int, int, float | None, float | None]:
    """Messages and negative share in the last hour and in the hour before."""
    minutes_old = now - grid.index.to_numpy()
    this_hour, hour_before = grid[minutes_old < 3600], grid[(minutes_old >= 3600) & (minutes_old < 7200)]
    n_now, n_prev = int(this_hour.to_numpy().sum()), int(hour_before.to_numpy().sum())
    base_now, base_prev = int(share_base(this_hour).sum()), int(share_base(hour_before).sum())
    neg_now = int(this_hour["negative"].sum()) / base_now if base_now else None
    neg_prev = int(hour_before["negative"].sum()) / base_prev if base_prev else None
    return n_now, n_prev, neg_now, neg_prev


@st.fragment(run_every=settings.wall.refresh_s)
def live_view() -> None:
    recheck_display_link()  # a rotated display token ends an open wall at this refresh
    now = int(time.time())
    since = now - int(settings.wall.window_h * 3600)
    try:
        snap = wall_snapshot(
            ctx.db,
            now,
            window_s=int(settings.wall.window_h * 3600),
            top_n=settings.wall.top_negative,
            latest_n=settings.wall.latest_messages,
        )
    except store_errors() as exc:  # this fragment keeps refreshing: the wall comes back by itself
        store_health.failed(describe(exc, ctx.db.url.render_as_string()))
        st.error(
            one_line(store_health.line(zone) or "The database is unreachable; retrying.", 400),
            icon=":material/cloud_off:",
        )
        return
    store_health.ok()
    status = snap.status
    total = (status["explanation"] or {}).get("total") or {}
    expected_per_min = total["expected"] / total["window_minutes"] if total.get("window_minutes") else None
    expected_share = total.get("expected_negative_share")

    level_line = f"**{status['level'].upper()}** · {md_escape(status['summary'].split(' · ', 1)[-1], 400)}"
    {"crisis": st.error, "watch": st.warning}.get(status["level"], st.success)(
        level_line, icon=":material/crisis_alert:" if status["level"] != "normal" else ":material/check_circle:"
    )
    surge = (status["explanation"] or {}).get("surge")
    if surge and status["level"] == "normal":  # more talk, not more anger: a note, never a level
        st.info(md_escape(surge["note"], 300), icon=":material/trending_up:")
    for failure in snap.notify_failures[:1]:
        st.warning("Alerts are not getting through:", icon=":material/notifications_off:")
        st.text(one_line(failure, 300))

    grid = minute_grid(snap.volume, since, now + 1)
    health = snap.health
    last_ok = snap.last_success_at
    interval = settings.drill.poll_interval_s if settings.is_drill else 60.0
    updated = f"updated {local(now):%H:%M:%S}"
    if last_ok is None:
        st.info(f"Waiting for the first poll · {updated}")
    elif now - last_ok > 2 * interval:
        st.error(f"STALE · no new data since {local(last_ok):%H:%M:%S} · {updated}", icon=":material/warning:")
    else:
        st.caption(f"Live · {updated} ({settings.app.timezone})")
    for row in health[health["status"] == "stopped"].itertuples():
        st.error(f"Source {md_escape(row.name, 64)} has stopped and needs a person:", icon=":material/error:")
        st.text(one_line(row.last_error or "", 600))

    n_now, n_prev, neg_now, neg_prev = hour_figures(grid, now)
    staff_now, staff_week, posts, paused = snap.staff_day, snap.staff_week, snap.posts, snap.paused
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Messages, last 60 min", f"{n_now:,}", delta=f"{n_now - n_prev:+,} vs hour before", delta_color="inverse")
    c2.metric(
        "Negative share, last 60 min",
        "–" if neg_now is None else f"{neg_now:.0%}",
        delta=None if neg_now is None or neg_prev is None else f"{(neg_now - neg_prev) * 100:+.0f} pts vs hour before",
        delta_color="inverse",
    )
    if staff_now[1]:
        week_share = staff_week[0] / staff_week[1] if staff_week[1] else 0.0
        c3.metric(
            "Staff: negative, last 24 h",
            f"{staff_now[0] / staff_now[1]:.0%}",
            delta=f"{(staff_now[0] / staff_now[1] - week_share) * 100:+.0f} pts vs 7 days",
            delta_color="inverse",
        )
    else:
        c3.metric("Staff: negative, last 24 h", "–")
    c4.metric("Posts held", f"{posts.get('held', 0)}", delta="ALL PAUSED" if paused else None, delta_color="off")

    if not grid.to_numpy().any():
        st.info(f"No messages in the last {settings.wall.window_h:g} h yet.")
    else:
        left, right = st.columns(2)
        left.altair_chart(volume_chart(grid, expected_per_min), width="stretch")
        right.altair_chart(negative_share_chart(grid, expected_share), width="stretch")

    st.subheader("What people are saying, last 3 hours")
    if snap.narratives:
        st.dataframe(
            narratives_table(snap.narratives, zone),
            hide_index=True,
            width="stretch",
            column_config={"what people are saying": st.column_config.TextColumn(width="large")},
        )
    else:
        st.caption("No story has more than one post yet.")

    left, middle, right = st.columns([5, 4, 3])
    with left:
        st.subheader("Widest-reaching negative posts, last hour")
        top = snap.top_negative
        st.dataframe(
            clean_frame(
                pd.DataFrame(
                    {
                        "age": [age(now - t) for t in top["created_at"]],
                        "source": top["source"],
                        "author": top["author"].map(lambda a: one_line(a, 40)),
                        "reach": top["reach"],
                        "message": top["text"].map(one_line),
                    }
                )
            ),
            hide_index=True,
            width="stretch",
            column_config={"message": st.column_config.TextColumn(width="large")},
        )
    with middle:
        st.subheader("Latest messages")
        latest = snap.latest
        st.dataframe(
            clean_frame(
                pd.DataFrame(
                    {
                        "time": [f"{local(t):%H:%M:%S}" for t in latest["created_at"]],
                        "source": latest["source"],
                        "author": latest["author"].map(lambda a: one_line(a, 40)),
                        "sentiment": latest["label"],
                        "message": latest["text"].map(one_line),
                    }
                )
            ),
            hide_index=True,
            width="stretch",
            column_config={"message": st.column_config.TextColumn(width="large")},
        )
    with right:
        by_source = snap.by_source
        if len(by_source):
            st.altair_chart(source_chart(by_source), width="stretch")
        st.subheader("Crisis FAQ")
        if snap.faq:
            st.text(
                f"updated {local(snap.faq['updated_at']):%H:%M} ({age(now - snap.faq['updated_at'])} ago)\n"
                f"{snap.faq['approved']} approved answers, {snap.faq['draft']} drafts"
            )
        else:
            st.caption("No active incident.")
        st.subheader("Alerts")
        recent = [a for a in snap.alerts if a.kind == "level" and a.at >= now - 6 * 3600]
        for alert in recent[:3]:
            st.text(f"{local(alert.at):%H:%M} {LEVELS[alert.new_level].upper()} ({one_line(alert.reason, 200)})")
        if not recent:
            st.caption("None in the last 6 hours.")
        st.subheader("Sources")
        for source in health.to_dict("records"):
            seen = age(now - source["last_success_at"]) + " ago" if source["last_success_at"] else "never"
            st.text(f"{one_line(source['name'], 64)}: {source['status']} · {seen}")


live_view()
