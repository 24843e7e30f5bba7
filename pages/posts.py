"""Scheduled posts: see what is about to go out, pause everything, and
decide post by post (hold, resume, edit, save as draft, delete)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pandas as pd
import streamlit as st

from crisis.detector import crisis_status
from incidents import faq
from pages.common.context import current_user, web_engine
from pages.common.frame import app_context
from pages.common.text import one_line
from pages.common.widgets import display_time, selectable_table
from publishing import pause, posts
from publishing.csv_import import CsvImportError, import_csv
from publishing.risk import risk_flags
from settings import config_path
from store import audit

ctx = app_context()
settings = ctx.settings
zone = settings.zone
now = time.time()
who = current_user()
ACTIONS = {
    "hold": "Hold",
    "resume": "Resume",
    "draft": "Move to drafts",
    "delete": "Delete",
    "publish_now": "Publish now",
}


def local(epoch_s: float | None) -> str:
    return display_time(epoch_s, zone, "%a %d %b %H:%M")


st.header("Scheduled posts")

# --- Pause all -------------------------------------------------------------
switch = pause.state(ctx.db)
if switch.paused:
    with st.form("resume_form"):
        st.write(f"Paused by {switch.by} at {local(switch.at)}.")
        reason = st.text_input("Why resume now (recorded)", key="resume_reason")
        if st.form_submit_button("Resume publishing", type="primary"):
            overdue = pause.resume(ctx.db, who, reason.strip(), time.time())
            st.toast(f"Publishing resumed; {overdue} post(s) whose time passed now wait for your decision")
            st.rerun()
else:
    with st.form("pause_form"):
        reason = st.text_input("Why pause (required, recorded, shown on every screen)", key="pause_reason")
        auto = st.checkbox("Resume by itself at a set time", key="pause_auto")
        c1, c2 = st.columns(2)
        day = c1.date_input("Resume date", key="pause_day")
        at = c2.time_input("Resume time", key="pause_time")
        if st.form_submit_button("Pause all publishing", type="primary"):
            resume_at = datetime.combine(day, at, tzinfo=zone).timestamp() if auto else None
            try:
                pause.pause(ctx.db, who, reason.strip(), time.time(), resume_at)
            except ValueError as exc:
                st.error(str(exc))
            else:
                st.rerun()

# --- The detector's proposal --------------------------------------------------
listing = posts.listing(ctx.db, now, settings.publishing.review_days)
status = crisis_status(ctx.db)
proposed = [p["id"] for p in (status["explanation"] or {}).get("hold_proposal", [])]
still_open = listing[listing["id"].isin(proposed) & (listing["status"] == "scheduled")]
if len(still_open):
    st.warning(
        f"The detector raised the level to crisis and proposes holding {len(still_open)} post(s) due in the next 24 h.",
        icon=":material/front_hand:",
    )
    if st.button(f"Hold all {len(still_open)} proposed posts", type="primary", key="accept_proposal"):
        held = posts.act(
            ctx.db, still_open["id"].tolist(), "hold", who, time.time(), "proposed by the detector at crisis level"
        )
        st.toast(f"{held} post(s) held")
        st.rerun()

# --- Review ------------------------------------------------------------------
st.subheader(f"Due in the next {settings.publishing.review_days:g} days, and waiting for a decision")
if listing.empty:
    st.info("No scheduled posts.")
    selected: list[int] = []
else:
    explanation = status["explanation"] or {}
    flags = risk_flags(
        listing["text"].tolist(),
        listing["scheduled_at"].tolist(),
        engine=web_engine(str(config_path())),
        sensitive_terms=settings.publishing.sensitive_terms,
        crisis_terms=[t for t, _ in explanation.get("new_terms", [])],
        level=status["level"],
        now=now,
        incident_terms=json.loads(incident.keywords) if (incident := faq.active(ctx.db)) else [],
    )
    table = pd.DataFrame(
        {
            "due": [local(t) for t in listing["scheduled_at"]],
            "channel": listing["channel"] + listing["target"].map(lambda t: f" {t}" if t else ""),
            "post": listing["text"].map(one_line),
            "status": listing["status"],
            "why": listing["status_reason"].map(lambda r: one_line(r, 120)),
            "risk": ["; ".join(f) for f in flags],
        }
    )
    selected = [int(listing["id"].iloc[i]) for i in selectable_table(table, "posts_table", ("post", "risk"))]
    c1, c2, c3 = st.columns([1, 2, 1])
    action = c1.selectbox("Action", list(ACTIONS), format_func=ACTIONS.get, key="bulk_action")
    why = c2.text_input("Reason (recorded)", key="bulk_reason")
    if c3.button(f"Apply to {len(selected)} selected", disabled=not selected, key="bulk_apply"):
        changed = posts.act(ctx.db, selected, action, who, time.time(), why.strip())
        st.toast(f"{ACTIONS[action]}: {changed} of {len(selected)} post(s) changed")
        st.rerun()

    editable = listing[listing["status"].isin(posts.OPEN)]
    if len(editable):
        with st.expander("Edit or reschedule a post"):
            choice = st.selectbox(
                "Post",
                editable["id"].tolist(),
                key="edit_id",
                format_func=lambda i: (
                    f"#{i} · {local(editable.set_index('id').loc[i, 'scheduled_at'])} · "
                    + one_line(editable.set_index("id").loc[i, "text"], 60)
                ),
            )
            row = editable.set_index("id").loc[choice]
            when = datetime.fromtimestamp(row["scheduled_at"], tz=timezone.utc).astimezone(zone)
            with st.form("edit_form"):
                text = st.text_area("Text", row["text"], key=f"edit_text_{choice}")
                link = st.text_input("Link", row["link"], key=f"edit_link_{choice}")
                c1, c2 = st.columns(2)
                day = c1.date_input("Date", when.date(), key=f"edit_day_{choice}")
                at = c2.time_input("Time", when.time(), key=f"edit_time_{choice}")
                if st.form_submit_button("Save"):
                    try:
                        posts.edit(
                            ctx.db,
                            int(choice),
                            who,
                            time.time(),
                            text=text,
                            link=link,
                            scheduled_at=datetime.combine(day, at, tzinfo=zone),
                            timezone=settings.app.timezone,
                        )
                    except posts.PostError as exc:
                        st.error(str(exc))
                    else:
                        st.rerun()

# --- Compose and import -------------------------------------------------------
with st.expander("Schedule a new post"):
    with st.form("compose_form"):
        channel = st.selectbox("Channel", list(posts.CHANNELS), key="new_channel")
        target = st.text_input("Slack channel (for Slack posts)", key="new_target")
        text = st.text_area("Text", key="new_text")
        link = st.text_input("Link", key="new_link")
        c1, c2 = st.columns(2)
        day = c1.date_input("Date", key="new_day")
        at = c2.time_input("Time", key="new_time")
        if st.form_submit_button("Schedule"):
            new = posts.NewPost(
                channel, text, datetime.combine(day, at, tzinfo=zone), who, target, link, settings.app.timezone
            )
            try:
                posts.create(ctx.db, new, who, time.time())
            except posts.PostError as exc:
                st.error(str(exc))
            else:
                st.rerun()

with st.expander("Import posts from CSV"):
    st.caption(
        "Columns: channel (x or slack), text, scheduled_at (e.g. 2026-12-01 09:30), and optionally timezone, "
        "target (Slack channel), link, author. One bad row rejects the whole file; nothing is half-imported."
    )
    upload = st.file_uploader("CSV file", type=["csv"], key="csv_file")
    if upload is not None and st.button("Import", key="csv_import"):
        try:
            added = import_csv(ctx.db, upload.getvalue(), settings.app.timezone, who, time.time())
        except CsvImportError as exc:
            st.error(f"Nothing was imported: {len(exc.problems)} problem(s).")
            st.text("\n".join(one_line(p, 300) for p in exc.problems[:50]))
        else:
            st.success(f"Imported {added} post(s).")

# --- Audit -------------------------------------------------------------------
st.subheader("Audit log")
log = audit.recent(ctx.db, 500)
log = log[log["action"].str.startswith(("post.", "publishing."))]
shown = pd.DataFrame(
    {
        "when": [local(t) for t in log["at"]],
        "who": log["who"],
        "action": log["action"],
        "target": log["target"],
        "reason": log["reason"].map(lambda r: one_line(r, 200)),
    }
)
st.dataframe(shown, hide_index=True, width="stretch", key="audit_table")
st.download_button("Export the audit log (CSV)", shown.to_csv(index=False), "publishing-audit.csv", "text/csv")
