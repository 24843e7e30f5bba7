"""Mentions: work through what is said, decide per mention, correct labels."""

from __future__ import annotations

import time
import urllib.parse
from datetime import datetime, timezone

import pandas as pd
import streamlit as st

from access.roles import NotAllowed, Permission
from pages.common.frame import app_context, current_actor
from pages.common.text import csv_safe, md_escape, one_line, plain
from pages.common.widgets import display_time, gate, selectable_table
from sentiment.engine import LABELS
from settings.registry import internal_sources
from store import mentions, queries
from store.corrections import correct

ctx = app_context()
actor = current_actor()
zone = ctx.settings.zone
now = int(time.time())
PAGE = 50
WINDOWS = {"last hour": 3600, "last 6 hours": 6 * 3600, "last 24 hours": 86400, "last 7 days": 7 * 86400}


def local(epoch_s: float) -> str:
    return display_time(epoch_s, zone, "%d %b %H:%M:%S")


st.header("Mentions")
f1, f2, f3, f4 = st.columns(4)
window = f1.selectbox("Time", list(WINDOWS), index=2, key="m_window")
known = sorted(queries.volume_by_source(ctx.db, now - 7 * 86400, now + 1)["source"])
if not actor.reads_internal_text:
    known = [s for s in known if s not in internal_sources()]
    st.caption("Internal (Slack) messages are not listed for your role: the Internal pulse page shows their mood.")
sources = f2.multiselect("Source", known, key="m_sources")
labels = f3.multiselect("Sentiment", [*LABELS, "unscored"], key="m_labels")
decisions = f4.multiselect(
    "Triage", ["untriaged", *mentions.DECISIONS], format_func=lambda d: mentions.DECISIONS.get(d, d), key="m_triage"
)
g1, g2, g3 = st.columns([2, 1, 1])
keyword = g1.text_input("Keyword", key="m_keyword")
min_reach = g2.number_input("Minimum reach", min_value=0, step=1000, key="m_reach")
lang = g3.text_input("Language (e.g. en)", key="m_lang").strip().lower()

filters = mentions.MentionFilter(
    since=now - WINDOWS[window],
    until=now + 1,
    sources=sources,
    labels=labels,
    keyword=keyword,
    min_reach=int(min_reach),
    lang=lang,
    decisions=decisions,
    internal_text=actor.reads_internal_text,
)
total, _ = mentions.page(ctx.db, filters, 0, 1)
pages = max(1, -(-total // PAGE))
p1, p2 = st.columns([1, 3])
page_no = p1.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, key="m_page")
p2.caption(f"{total:,} mentions match")
_, rows = mentions.page(ctx.db, filters, (int(page_no) - 1) * PAGE, PAGE)

table = pd.DataFrame(
    {
        "time": [local(t) for t in rows["created_at"]],
        "source": rows["source"].map(lambda s: one_line(s, 60)),
        "author": rows["author"].map(lambda a: one_line(a, 40)),
        "reach": rows["reach"],
        "sentiment": rows["label"],
        "triage": rows["decision"].map(lambda d: mentions.DECISIONS.get(d, "") if isinstance(d, str) else ""),
        "owner": rows["owner"].fillna("").map(lambda o: one_line(o, 60)),
        "message": rows["text"].map(one_line),
    }
)
selected = [int(rows["id"].iloc[i]) for i in selectable_table(table, "m_table")]

if selected:
    detail = rows[rows["id"] == selected[0]].iloc[0]
    with st.container(border=True):
        # Source, channel and feed title come from outside: escaped like every other Markdown-rendered field.
        where = " · ".join(
            md_escape(part, 120) for part in (detail["source"], detail["channel"]) if isinstance(part, str) and part
        )
        st.caption(f"{local(detail['created_at'])} · {where} · reach {int(detail['reach']):,}")
        st.text(one_line(detail["author"], 80))
        st.text(plain(detail["text"]))  # the whole message, as plain text: no bidi or zero-width characters
        if detail["url"]:
            # Never a live link from outside: the domain, and the address as text.
            domain = one_line(urllib.parse.urlparse(str(detail["url"])).netloc, 120)
            st.text(f"link ({domain}): {one_line(detail['url'], 300)}")

a1, a2, a3, a4 = st.columns([2, 2, 3, 1])
decision = a1.selectbox("Decision", list(mentions.DECISIONS), format_func=mentions.DECISIONS.get, key="m_decision")
owner = a2.text_input("Owner", key="m_owner")
note = a3.text_input("Note", key="m_note")
if a4.button(f"Triage {len(selected)}", key="m_apply_triage", **gate(actor, Permission.TRIAGE, not selected)):
    try:
        done = mentions.decide(ctx.db, selected, decision, owner.strip(), note.strip(), actor, time.time())
    except NotAllowed as exc:
        st.error(md_escape(str(exc), 600))
    else:
        st.toast(f"{done} mention(s): {mentions.DECISIONS[decision]}")
        st.rerun()
b1, b2, _ = st.columns([2, 1, 4])
new_label = b1.selectbox("Correct sentiment to", LABELS, key="m_label")
if b2.button(f"Correct {len(selected)}", key="m_apply_label", **gate(actor, Permission.CORRECT_LABELS, not selected)):
    try:
        changed = correct(ctx.db, selected, new_label, actor, time.time())
    except NotAllowed as exc:
        st.error(md_escape(str(exc), 600))
    else:
        st.toast(f"{changed} mention(s) labelled {new_label}")
        st.rerun()

_, export = mentions.page(ctx.db, filters, 0, 10_000)
st.download_button(
    f"Export {min(total, 10_000):,} mentions (CSV)",
    csv_safe(
        export.drop(columns=["id"]).assign(
            created_at=[datetime.fromtimestamp(t, tz=timezone.utc).isoformat() for t in export["created_at"]]
        )
    ),
    "mentions.csv",
    "text/csv",
    key="m_export",
)
