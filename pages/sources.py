"""Sources: is every monitor working, and if not, why, in plain words."""

from __future__ import annotations

import time
from typing import Any, Iterable, cast

import pandas as pd
import streamlit as st

from pages.common import engine_status
from pages.common.delivery import show_delivery_problems
from pages.common.frame import app_context, current_actor
from pages.common.text import clean_frame, one_line, plain
from pages.common.timefmt import display_time, time_header, viewer_zone
from settings.registry import monitor_is_internal
from store import quarantine, queries, runners

RAW_SHOWN_CHARS = 4000  # of a quarantined item's raw text, per item on the page
LATEST_QUARANTINED = 5

ctx = app_context()
actor = current_actor()
zone = viewer_zone(ctx.settings.zone)
now = time.time()
price = ctx.settings.sources.x.usd_per_1000_reads
RATE_LIMITED = ("bluesky", "reddit")  # sources whose PollResult.reads counts API calls, not billed reads


def next_poll(epoch_s) -> str:
    if not epoch_s or pd.isna(epoch_s):
        return "–"
    if epoch_s == float("inf"):
        return "never (needs a person)"
    return display_time(epoch_s, zone, "%H:%M:%S", with_zone=False)


def ago(epoch_s) -> str:
    if not epoch_s or pd.isna(epoch_s):
        return "never"
    seconds = max(0, now - epoch_s)
    return (
        f"{seconds:.0f} s ago"
        if seconds < 120
        else f"{seconds / 60:.0f} min ago"
        if seconds < 7200
        else f"{seconds / 3600:.1f} h ago"
    )


def state(row) -> str:
    if row.status == "ok":
        return "healthy"
    if row.status == "backing_off":
        return "failing" if row.consecutive_failures >= 3 else "backing off"
    return {
        "no_answer": "failing (no answer)",
        "not_configured": "not configured",
        "capped": "capped (daily limit)",
        "stopped": "failing (stopped)",
        "new": "starting",
    }.get(row.status, row.status)


st.header("Sources")
health = queries.source_health(ctx.db)
today = time.strftime("%Y-%m-%d", time.gmtime(now))
if health.empty:
    st.info(
        "No source has been polled yet."
        if ctx.settings.is_drill
        or ctx.settings.sources.x.enabled
        or ctx.settings.sources.slack.enabled
        or ctx.settings.sources.mastodon.enabled
        or ctx.settings.sources.bluesky.enabled
        or ctx.settings.sources.reddit.enabled
        or ctx.settings.sources.teams.enabled
        or ctx.settings.sources.feeds
        else "No live source is configured: enable [sources.x], [sources.slack], [sources.mastodon], "
        "[sources.bluesky], [sources.reddit] or [sources.teams], "
        "or add [[sources.feeds]]."
    )
else:
    rows = []
    for row in cast(Iterable[Any], health.itertuples()):  # rows: the columns as attributes
        counts_today = row.today == today
        reads = int(row.today_reads) if counts_today else 0
        rows.append(
            {
                "source": row.name,
                "state": state(row),
                "last success": ago(row.last_success_at),
                "last error": one_line(row.last_error, 300) if isinstance(row.last_error, str) else "",
                "notice": f"{one_line(row.note, 300)} ({ago(row.note_at)})" if isinstance(row.note, str) else "",
                "messages today": int(row.today_messages) if counts_today else 0,
                # X bills per post read; Bluesky and Reddit limit API calls per window (README: each source).
                "reads today": reads if row.name == "x" else None,
                "API calls today": reads if row.name in RATE_LIMITED else None,
                "est. spend today": (f"${reads * price / 1000:,.2f}" if price else "set usd_per_1000_reads")
                if row.name == "x"
                else "",
                time_header("next poll", zone): next_poll(row.next_poll_at)
                if row.status not in ("stopped", "not_configured")
                else "after a fix and restart",
            }
        )
    st.dataframe(
        clean_frame(pd.DataFrame(rows)),
        hide_index=True,
        width="stretch",
        column_config={
            "last error": st.column_config.TextColumn(width="large"),
            "notice": st.column_config.TextColumn(width="medium"),
        },
    )
    if (health["status"] == "capped").any():
        st.warning(f"X reading stopped for today at the daily cap of {ctx.settings.sources.x.daily_read_cap:,} posts.")

st.subheader("Alert delivery")  # [notify] Slack channels and [delivery] routes: Teams, e-mail, webhooks, Slack
if not show_delivery_problems(ctx, limit=10).any:
    st.caption("Every alert was delivered on every configured route.")

st.subheader("Quarantined items")
held = quarantine.counts(ctx.db)
if held.empty:
    st.caption("Nothing quarantined: every item the sources returned was stored.")
else:
    st.caption(
        "Items a source returned that could not be stored as messages (malformed, or refused by the store). "
        "The source went on without them; they are kept here as received, with the reason."
    )
    st.dataframe(
        clean_frame(
            pd.DataFrame(
                {
                    "source": held["source"],
                    "items": held["items"].astype(int),
                    "latest": [ago(t) for t in held["latest"]],
                }
            )
        ),
        hide_index=True,
        width="stretch",
    )
    st.markdown(f"**The latest {LATEST_QUARANTINED}**")
    for item in cast(Iterable[Any], quarantine.latest(ctx.db, LATEST_QUARANTINED).itertuples()):
        with st.container(border=True):
            # Everything here came from outside: plain text elements only, never Markdown.
            st.text(
                f"{display_time(item.at, zone, '%Y-%m-%d %H:%M:%S')} · {one_line(item.source, 80)} · "
                f"{one_line(item.external_id, 120) if item.external_id else 'no id'}"
            )
            st.text(one_line(item.reason, 500))
            if monitor_is_internal(item.source) and not actor.reads_internal_text:
                st.caption("Internal (staff) text: shown only to the roles allowed to read it.")
            else:
                raw = plain(item.raw, RAW_SHOWN_CHARS)
                total = int(item.raw_chars)
                cut = f"\n… (the first {len(raw):,} of {total:,} characters received)" if total > len(raw) else ""
                st.code(raw + cut, language=None)

st.subheader("Runners")
alive = runners.alive(ctx.db, now)
if alive.empty:
    st.warning("No runner has reported in the last two minutes: nothing is being polled.")
else:
    st.dataframe(
        clean_frame(
            pd.DataFrame(
                {
                    "runner": alive["owner"],
                    "engine": alive["engine"],
                    "last seen": [ago(t) for t in alive["heartbeat_at"]],
                }
            )
        ),
        hide_index=True,
        width="stretch",
    )

engine_status.show_on_sources(ctx, now)
