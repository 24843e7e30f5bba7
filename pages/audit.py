"""Audit log (leads and admins): every action taken through Crisis Desk, with
who, when, on what and why; filtered, and exported as CSV."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pandas as pd
import streamlit as st

from access.roles import Permission
from pages.common.exports import drill_frame, export_name
from pages.common.frame import app_context
from pages.common.text import clean_frame, csv_safe, one_line
from pages.common.timefmt import display_time, time_header, viewer_zone
from store import audit

ctx = app_context(Permission.READ_AUDIT)
zone = viewer_zone(ctx.settings.zone)
SHOWN = 1000
EXPORTED = 100_000

st.header("Audit log")
st.caption(
    "Every change made here: posts and the pause switch, triage, label corrections, the FAQ, crisis levels, "
    "the team, key accounts and drills. The FAQ's field-by-field changes are on the Crisis FAQ page."
)
today = datetime.now(timezone.utc).astimezone(zone).date()
f1, f2, f3 = st.columns([2, 2, 2])
period = f1.date_input("Days", (today - timedelta(days=7), today), max_value=today, key="audit_days")
start, end = (period[0], period[-1]) if isinstance(period, tuple) and period else (today, today)
people = f2.multiselect("Who", audit.people(ctx.db), format_func=lambda p: one_line(p, 80), key="audit_who")
kinds = f3.multiselect("What", audit.kinds(ctx.db), key="audit_kinds")
text = st.text_input("Target or reason contains", key="audit_text")

filters = audit.AuditFilter(
    since=datetime.combine(start, datetime.min.time(), tzinfo=zone).timestamp(),
    until=datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=zone).timestamp(),
    people=people,
    kinds=kinds,
    text=text,
)
total, rows = audit.search(ctx.db, filters, SHOWN)
st.caption(f"{total:,} entries match" + (f"; the newest {SHOWN:,} are shown" if total > SHOWN else ""))


def table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            time_header("when", zone): [
                display_time(t, zone, "%Y-%m-%d %H:%M:%S", with_zone=False) for t in frame["at"]
            ],
            "who": frame["who"].map(lambda w: one_line(w, 120)),
            "action": frame["action"],
            "target": frame["target"].map(lambda t: one_line(t, 120)),
            "why": frame["reason"].map(lambda r: one_line(r, 300)),
            "details": frame["details"].map(lambda d: one_line(d, 300)),
        }
    )


st.dataframe(clean_frame(table(rows)), hide_index=True, width="stretch", key="audit_table")


@st.fragment
def export() -> None:
    """The CSV is built only when asked for: up to 100,000 entries, with UTC times."""
    if st.button(f"Prepare CSV of {min(total, EXPORTED):,} entries", key="audit_prepare", disabled=not total):
        _, everything = audit.search(ctx.db, filters, EXPORTED)
        utc = [datetime.fromtimestamp(t, tz=timezone.utc).isoformat() for t in everything["at"]]
        csv = csv_safe(drill_frame(ctx, everything.assign(at=utc)))
        name = export_name(ctx, "audit-log.csv")
        st.download_button(f"Download {name}", csv, name, "text/csv", key="audit_export")


export()
st.caption(f"Read at {display_time(time.time(), zone, '%H:%M:%S')}.")
