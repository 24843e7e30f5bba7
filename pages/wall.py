"""Wall display: the live picture for the war-room screen (kiosk: ?view=wall).

Readable from across the room, no clicks, one screen that never scrolls:
the crisis level since when and why, volume and negative share against
normal, what people are saying, the widest-reaching negative posts (not the
company's own), the latest messages with NEW marks, the internal mood, the
FAQ, alerts and the sources' health, refreshed every few seconds, and STALE
when the data stops coming. On the TV (?view=wall) every size comes from the
screen (pages/common/kiosk.py) and the lists are cut to what fits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal, TypeVar

import altair as alt
import pandas as pd
import streamlit as st

from access.roles import Permission
from crisis.levels import LEVELS
from crisis.snapshot import wall_snapshot
from model.score import UNSCORED_LANGUAGE
from pages.common import engine_status
from pages.common.banners import banners_changed
from pages.common.frame import app_context, kiosk
from pages.common.kiosk import OKABE_ITO
from pages.common.signin import recheck_display_link
from pages.common.text import md_escape, one_line
from pages.common.timefmt import display_time, level_summary, time_header, viewer_zone
from pages.common.wall_text import (
    LEVEL_ICONS,
    delta_text,
    label_symbol,
    level_headline,
    new_mark,
    own_accounts,
    succeeded_at,
)
from pages.common.widgets import narratives_table
from store.health import describe, store_errors
from store.health import health as store_health

# Okabe-Ito, with lightness apart too: negative dark vermillion at the bottom of
# every stack, positive light sky blue; the legend gives each its own shape.
LABEL_COLORS = {
    "negative": OKABE_ITO["vermillion"],
    "neutral": "#7A7A7A",
    "positive": OKABE_ITO["sky_blue"],
    "unscored": "#4A4A4A",
    UNSCORED_LANGUAGE: OKABE_ITO["reddish_purple"],
}
# The legend's words carry the same shapes as the lists (pages/common/wall_text.LABEL_SYMBOLS).
LEGEND_LABELS = (
    "datum.label == 'negative' ? '▼ negative' : datum.label == 'positive' ? '▲ positive'"
    " : datum.label == 'neutral' ? '● neutral' : datum.label == 'unscored' ? '○ unscored' : '◇ language'"
)
NORMAL_RULE = OKABE_ITO["yellow"]
# Chart sizes for a 1080-pixel-high screen; on the TV the page's CSS zooms the
# charts' row with the screen's height (pages/common/kiosk.py), as it sizes text.
AXIS_FONT, TITLE_FONT = 20, 22
# On the TV each chart has a fixed size on a 1920x1080 layout (the 5:5:3 row);
# the page's CSS zooms the row with the screen's width.
TV_CHART_HEIGHT, TV_CHART_WIDTHS = 225, (690, 690, 400)
# The TV: lists cut to what fits one 16:9 screen with every banner showing.
TV_TOP_NEGATIVE, TV_LATEST, TV_NARRATIVES, TV_SOURCES, TV_ALERTS = 7, 7, 3, 4, 2


def share_base(grid: pd.DataFrame) -> pd.Series:
    """What a negative share is a share of: every message but those no engine here can read."""
    return grid.drop(columns=[UNSCORED_LANGUAGE], errors="ignore").sum(axis=1)


TIME_AXIS = alt.Axis(format="%H:%M", title=None, labelAngle=0, labelFontSize=AXIS_FONT, tickCount=6)

ctx = app_context(Permission.READ_WALL)
settings = ctx.settings
zone = viewer_zone(settings.zone)
tv = kiosk()
OWN = own_accounts(settings.brand.own_accounts + (ctx.scenario.own_accounts if ctx.scenario else []))

# A full page reload every few hours keeps a browser that runs for weeks healthy.
# (Our own constant script, never outside text.)
st.iframe(
    f"<script>setTimeout(() => window.parent.location.reload(), {int(settings.wall.reload_h * 3600 * 1000)});</script>",
    height=1,
)


def local(epoch_s: float, fmt: str = "%H:%M:%S", *, with_zone: bool = False) -> str:
    return display_time(epoch_s, zone, fmt, with_zone=with_zone)


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
        .mark_rule(strokeDash=[8, 5], color=NORMAL_RULE, size=3)
        .encode(y="y:Q", tooltip=["what:N", alt.Tooltip("y:Q", format=".2f")])
    )


AnyChart = TypeVar("AnyChart", bound=alt.TopLevelMixin)
WallChart = alt.Chart | alt.LayerChart | alt.FacetChart  # a chart, or one with its dashed "normal" rule on top


def sized(chart: AnyChart, slot: int) -> AnyChart:
    """Large axis, legend and title type; on the TV, the chart's size on the 1080p layout."""
    size = {"height": TV_CHART_HEIGHT, "width": TV_CHART_WIDTHS[slot]} if tv else {"height": 280}
    return (
        chart.properties(**size)
        .configure_axis(labelFontSize=AXIS_FONT, titleFontSize=AXIS_FONT)
        .configure_legend(labelFontSize=AXIS_FONT, symbolSize=200)
        .configure_title(fontSize=TITLE_FONT, anchor="start")
    )


def volume_chart(grid: pd.DataFrame, expected_per_min: float | None) -> WallChart:
    long = with_local_time(grid.reset_index().melt(id_vars="minute", var_name="label", value_name="count"))
    long = long.assign(rank=long["label"].map({label: i for i, label in enumerate(LABEL_COLORS)}))
    chart = (
        alt.Chart(long, title="Messages per minute (dashed: normal)")
        .mark_area(interpolate="step-after")
        .encode(
            x=alt.X("time:T", axis=TIME_AXIS),
            y=alt.Y("count:Q", title=None, stack="zero"),
            color=alt.Color(
                "label:N",
                scale=alt.Scale(domain=list(LABEL_COLORS), range=list(LABEL_COLORS.values())),
                legend=alt.Legend(orient="top", title=None, labelExpr=LEGEND_LABELS, symbolType="square"),
            ),
            order=alt.Order("rank:Q"),
            tooltip=[alt.Tooltip("time:T", format="%H:%M"), "label:N", "count:Q"],
        )
    )
    baseline = rule(expected_per_min, "normal per minute")
    return sized(chart + baseline if baseline else chart, 0)


def negative_share_chart(grid: pd.DataFrame, expected_share: float | None) -> WallChart:
    rolling = grid.rolling(5, min_periods=1).sum()
    total = share_base(rolling)
    share = (rolling["negative"] / total.where(total > 0)).to_numpy()
    frame = with_local_time(pd.DataFrame({"minute": rolling.index, "share": share}))
    chart = (
        alt.Chart(frame, title="Negative share, 5-minute window (dashed: normal)")
        .mark_line(color=LABEL_COLORS["negative"], size=4)
        .encode(
            x=alt.X("time:T", axis=TIME_AXIS),
            y=alt.Y("share:Q", title=None, axis=alt.Axis(format="%", tickCount=4), scale=alt.Scale(domain=[0, 1])),
            tooltip=[alt.Tooltip("time:T", format="%H:%M"), alt.Tooltip("share:Q", format=".0%")],
        )
    )
    baseline = rule(expected_share, "normal negative share")
    return sized(chart + baseline if baseline else chart, 1)


def source_chart(by_source: pd.DataFrame) -> WallChart:
    """All messages per source as a hollow bar, the negative ones as a solid bar
    inside it, labelled: negative and the rest differ in fill, not only hue."""
    by_source = by_source.assign(source=by_source["source"].map(lambda s: one_line(s, 24))).nlargest(
        TV_SOURCES if tv else len(by_source), "messages"
    )
    by_source = by_source.assign(
        label=[f"▼ {n:,} of {m:,}" for n, m in zip(by_source["negative"], by_source["messages"])]
    )
    y = alt.Y(
        "source:N",
        title=None,
        sort=alt.EncodingSortField("messages", order="descending"),
        axis=alt.Axis(labelFontSize=AXIS_FONT),
    )
    base = alt.Chart(by_source, title=f"By source, last {settings.wall.window_h:g} h (solid ▼: negative)")
    total = base.mark_bar(fill=None, stroke="#BBBBBB", strokeWidth=2).encode(
        y=y, x=alt.X("messages:Q", title=None, axis=alt.Axis(tickCount=3)), tooltip=["source:N", "messages:Q"]
    )
    negative = base.mark_bar(color=LABEL_COLORS["negative"]).encode(
        y=y, x="negative:Q", tooltip=["source:N", "negative:Q"]
    )
    labels = base.mark_text(align="left", dx=6, color="#FFFFFF", fontSize=AXIS_FONT).encode(
        y=y, x=alt.value(4), text="label:N"
    )
    return sized(total + negative + labels, 2)


def hour_figures(grid: pd.DataFrame, now: int) -> tuple[int, int, float | None, float | None]:
    """Messages and negative share in the last hour and in the hour before."""
    minutes_old = now - grid.index.to_numpy()
    this_hour, hour_before = grid[minutes_old < 3600], grid[(minutes_old >= 3600) & (minutes_old < 7200)]
    n_now, n_prev = int(this_hour.to_numpy().sum()), int(hour_before.to_numpy().sum())
    base_now, base_prev = int(share_base(this_hour).sum()), int(share_base(hour_before).sum())
    neg_now = int(this_hour["negative"].sum()) / base_now if base_now else None
    neg_prev = int(hour_before["negative"].sum()) / base_prev if base_prev else None
    return n_now, n_prev, neg_now, neg_prev


def metrics_row(snap, grid: pd.DataFrame, now: int) -> None:
    n_now, n_prev, neg_now, neg_prev = hour_figures(grid, now)
    staff_now, staff_week, posts, paused = snap.staff_day, snap.staff_week, snap.posts, snap.paused
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        "Messages, last 60 min",
        f"{n_now:,}",
        delta=delta_text(n_now - n_prev, "", "vs hour before"),
        delta_color="inverse",
    )
    c2.metric(
        "Negative share, last 60 min",
        "–" if neg_now is None else f"{neg_now:.0%}",
        delta=None
        if neg_now is None or neg_prev is None
        else delta_text((neg_now - neg_prev) * 100, " pts", "vs hour before"),
        delta_color="inverse",
    )
    if staff_now[1]:
        week_share = staff_week[0] / staff_week[1] if staff_week[1] else 0.0
        c3.metric(
            "Staff: negative, last 24 h",
            f"{staff_now[0] / staff_now[1]:.0%}",
            delta=delta_text((staff_now[0] / staff_now[1] - week_share) * 100, " pts", "vs 7 days"),
            delta_color="inverse",
        )
    else:
        c3.metric("Staff: negative, last 24 h", "–")
    held = posts.get("held", 0)
    if paused:  # the banner says ALL PAUSED; here: what is waiting because of it
        waiting = sum(posts.get(status, 0) for status in ("scheduled", "overdue", "held"))
        c4.metric("Posts waiting (publishing paused)", f"{waiting}")
    else:
        c4.metric("Posts held", f"{held}")


def level_banner(status: dict, now: int) -> None:
    level = status["level"]
    headline = level_headline(level, status["since"], now, zone)
    why = md_escape(level_summary(status, zone).split(" · ", 1)[-1], 400)  # "rising since" in the viewer's zone
    show = {"crisis": st.error, "watch": st.warning}.get(level, st.success)
    with st.container(key=f"wall-level-{level}"):
        show(f"**{headline}**\n\n{why}", icon=LEVEL_ICONS.get(level, LEVEL_ICONS["normal"]))


def freshness(snap, now: int) -> None:
    """Live or STALE, and when; plus the small sentiment status mark."""
    last_ok = snap.last_success_at
    interval = settings.drill.poll_interval_s if settings.is_drill else 60.0
    updated = f"updated {local(now, with_zone=True)}"
    mark = engine_status.current(ctx, now).mark
    if last_ok is None:
        st.info(f"Waiting for the first poll · {updated} · {mark}")
    elif now - last_ok > 2 * interval:
        st.error(f"STALE · no new data since {local(last_ok)} · {updated} · {mark}", icon=":material/warning:")
    else:
        st.caption(f"Live · {updated} · {mark}")


def text_table(frame: pd.DataFrame, key: str) -> None:
    """A small table whose cells are outside text: each cell escaped for the
    Markdown st.table renders (pages/common/text.md_escape), one line, capped."""
    shown = frame.copy()
    for column in shown.columns:
        if not pd.api.types.is_numeric_dtype(shown[column].dtype):
            shown[column] = shown[column].map(lambda v: md_escape(v, 200))
    with st.container(key=key):
        st.table(shown, hide_index=True, border="horizontal")


def top_negative_table(snap, now: int) -> None:
    st.subheader("Widest-reaching negative posts, last hour")
    top = snap.top_negative.head(TV_TOP_NEGATIVE if tv else len(snap.top_negative))
    if top.empty:
        st.caption("No negative post from outside in the last hour.")
        return
    text_table(
        pd.DataFrame(
            {
                "age": [new_mark(t, now, settings.wall.new_for_min, age(now - t)) for t in top["created_at"]],
                "reach": [f"{int(r):,}" for r in top["reach"].fillna(0)],
                "who: what": [
                    f"{one_line(a, 40)}: {one_line(t)}" if isinstance(a, str) and a else one_line(t)
                    for a, t in zip(top["author"], top["text"])
                ],
            }
        ),
        "wall-top-negative",
    )


def latest_table(snap, now: int) -> None:
    st.subheader("Latest messages")
    latest = snap.latest.head(TV_LATEST if tv else len(snap.latest))
    text_table(
        pd.DataFrame(
            {
                time_header("time", zone): [
                    new_mark(t, now, settings.wall.new_for_min, local(t, "%H:%M")) for t in latest["created_at"]
                ],
                "▼ negative ▲ positive ● neutral": [
                    f"{label_symbol(label).split()[0]} {one_line(a, 30)}: {one_line(t)}"
                    if isinstance(a, str) and a
                    else f"{label_symbol(label).split()[0]} {one_line(t)}"
                    for label, a, t in zip(latest["label"], latest["author"], latest["text"])
                ],
            }
        ),
        "wall-latest",
    )


def side_tiles(snap, health: pd.DataFrame, now: int) -> None:
    st.subheader("Crisis FAQ")
    if snap.faq:
        st.text(
            f"{snap.faq['approved']} approved, {snap.faq['draft']} drafts · "
            f"updated {local(snap.faq['updated_at'], '%H:%M')} ({age(now - snap.faq['updated_at'])} ago)"
        )
    else:
        st.caption("No active incident.")
    st.subheader("Alerts")
    recent = [a for a in snap.alerts if a.kind == "level" and a.at >= now - 6 * 3600]
    for alert in recent[: TV_ALERTS if tv else 3]:
        line = f"{local(alert.at, '%H:%M')} {LEVELS[alert.new_level].upper()} ({one_line(alert.reason, 200)})"
        st.text(new_mark(alert.at, now, settings.wall.new_for_min, line))
    if not recent:
        st.caption("None in the last 6 hours.")
    st.subheader("Sources")
    ordered = health.assign(fine=health["status"] == "ok").sort_values("fine", kind="stable")  # trouble first
    shown = ordered.head(TV_SOURCES if tv and len(ordered) > TV_SOURCES + 1 else len(ordered))
    for row in shown.itertuples():
        last = succeeded_at(row.last_success_at)
        seen = age(now - last) + " ago" if last is not None else "never"
        st.text(f"{'✓' if row.status == 'ok' else '✕'} {one_line(row.name, 64)}: {row.status} · {seen}")
    if len(shown) < len(ordered):
        rest = ordered.iloc[len(shown) :]
        st.text(f"… {len(rest)} more, {int(rest['fine'].sum())} of them ok")


@st.fragment(run_every=settings.wall.refresh_s)
def live_view() -> None:
    recheck_display_link()  # a rotated display token ends an open wall at this refresh
    now = int(time.time())
    since = now - int(settings.wall.window_h * 3600)
    try:
        if banners_changed(ctx):  # paused, resumed, a hold proposal made or decided: the banner row anew
            st.rerun()
        snap = wall_snapshot(
            ctx.db,
            now,
            window_s=int(settings.wall.window_h * 3600),
            top_n=settings.wall.top_negative,
            latest_n=settings.wall.latest_messages,
            own_accounts=OWN,
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

    level_banner(status, now)
    surge = (status["explanation"] or {}).get("surge")
    notes: list[Callable[[], object]] = []  # banners drawn side by side on the TV
    if surge and status["level"] == "normal":  # more talk, not more anger: a note, never a level
        notes.append(lambda: st.info(md_escape(surge["note"], 300), icon=":material/trending_up:"))
    for failure in snap.notify_failures[:1]:

        def undelivered(failure=failure) -> None:
            st.warning("Alerts are not getting through:", icon=":material/notifications_off:")
            st.text(one_line(failure, 300))

        notes.append(undelivered)
    health = snap.health
    for row in health[health["status"] == "stopped"].itertuples():

        def stopped(row=row) -> None:
            st.error(f"Source {md_escape(row.name, 64)} has stopped and needs a person:", icon=":material/error:")
            st.text(one_line(row.last_error or "", 600))

        notes.append(stopped)
    for slot, note in zip(st.columns(len(notes)) if tv and len(notes) > 1 else [st.container() for _ in notes], notes):
        with slot:
            note()
    freshness(snap, now)
    metrics_row(snap, grid := minute_grid(snap.volume, since, now + 1), now)

    with st.container(key="wall-charts"):
        if not grid.to_numpy().any():
            st.info(f"No messages in the last {settings.wall.window_h:g} h yet.")
        else:
            left, middle, right = st.columns([5, 5, 3])
            width: Literal["content", "stretch"] = "content" if tv else "stretch"
            left.altair_chart(volume_chart(grid, expected_per_min), width=width)
            middle.altair_chart(negative_share_chart(grid, expected_share), width=width)
            if len(snap.by_source):
                right.altair_chart(source_chart(snap.by_source), width=width)

    with st.container(key="wall-bottom"):
        narratives, negative, latest, side = st.columns([3, 5, 5, 3])
        with narratives:
            st.subheader("What people say, last 3 h")
            if snap.narratives:
                stories = narratives_table(snap.narratives[: TV_NARRATIVES if tv else 3], zone)
                text_table(stories[["posts", "what people are saying"]], "wall-narratives")
            else:
                st.caption("No story has more than one post yet.")
        with negative:
            top_negative_table(snap, now)
        with latest:
            latest_table(snap, now)
        with side:
            side_tiles(snap, health, now)


live_view()
