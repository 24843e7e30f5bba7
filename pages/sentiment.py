"""Sentiment: which engine scores, how often it agrees with people, and
corrections (one message or many)."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from access.roles import NotAllowed, Permission
from pages.common.frame import app_context, current_actor
from pages.common.selection import PinnedList
from pages.common.text import clean_frame, md_escape, one_line
from pages.common.timefmt import display_time, time_header, viewer_zone
from pages.common.widgets import gate, selectable_table
from sentiment.engine import LABELS
from settings.registry import internal_sources
from store import queries, runners
from store.corrections import correct

ctx = app_context()
actor = current_actor()
zone = viewer_zone(ctx.settings.zone)


def local(epoch_s: float) -> str:
    return display_time(epoch_s, zone, "%Y-%m-%d %H:%M:%S", with_zone=False)


st.header("Sentiment")

st.subheader("Engine")
alive = runners.alive(ctx.db, time.time())
if alive.empty:
    st.info("No runner has reported in the last two minutes.")
else:
    st.dataframe(
        clean_frame(
            pd.DataFrame(
                {
                    "runner": alive["owner"],
                    "engine": alive["engine"],
                    "version": alive["engine_version"],
                    "why this engine": alive["engine_note"],
                    time_header("last seen", zone): [local(t) for t in alive["heartbeat_at"]],
                }
            )
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Accuracy on your corrected messages")
n, agreement, per_class = queries.correction_agreement(ctx.db)
if not n:
    st.info("No corrected messages yet. Correct labels below: they become the team's own test set.")
else:
    c1, c2 = st.columns([1, 3])
    c1.metric("Engine agreed with people", f"{agreement:.0%}", help=f"on {n:,} corrected messages")
    c2.dataframe(
        clean_frame(per_class.assign(recall=per_class["recall"].map(lambda r: "–" if pd.isna(r) else f"{r:.0%}"))),
        hide_index=True,
        width="stretch",
    )

st.subheader("Correct labels")
f1, f2, f3 = st.columns(3)
labels = f1.multiselect("Current label", [*LABELS, "unscored"], key="filter_labels")
week = int(time.time()) - 7 * 86400
known = sorted(queries.volume_by_source(ctx.db, week, week + 8 * 86400)["source"])
if not actor.reads_internal_text:
    known = [s for s in known if s not in internal_sources()]
sources = f2.multiselect("Source", known, key="filter_sources")
limit = f3.selectbox("Show", [50, 100, 200, 500], key="limit")
pinned = PinnedList("review_table")
review, is_held = pinned.rows(
    (str(labels), str(sources), limit),
    lambda: queries.messages_for_review(ctx.db, limit, labels or None, sources or None, actor.reads_internal_text),
)
if is_held:
    st.caption("List held while rows are ticked, so your ticks stay on the same messages; untick all to refresh.")
table = pd.DataFrame(
    {
        time_header("time", zone): [local(t) for t in review["created_at"]],
        "source": review["source"],
        "message": review["text"].map(one_line),
        "engine said": review["engine_label"].fillna("unscored"),
        "corrected to": review["label_override"].fillna(""),
    }
)
selected = pinned.ids(review, selectable_table(table, pinned.table_key))
a1, a2, a3 = st.columns([1, 1, 2])
new_label = a1.selectbox("Set label to", LABELS, key="new_label")
new_or_none = {"apply": new_label, "remove": None}
pressed = None
if a2.button(
    f"Apply to {len(selected)} selected", type="primary", **gate(actor, Permission.CORRECT_LABELS, not selected)
):
    pressed = "apply"
if a3.button(
    f"Remove correction from {len(selected)} selected", **gate(actor, Permission.CORRECT_LABELS, not selected)
):
    pressed = "remove"
if pressed:
    try:
        changed = correct(ctx.db, selected, new_or_none[pressed], actor, time.time())
    except NotAllowed as exc:
        st.error(md_escape(str(exc), 600))
    else:
        st.toast(
            f"{changed} message(s) labelled {new_label}"
            if pressed == "apply"
            else f"correction removed from {changed} message(s)"
        )
        pinned.clear()
        st.rerun()

st.subheader("Recent corrections")
history = queries.recent_corrections(ctx.db, 50, actor.reads_internal_text)
if history.empty:
    st.caption("None yet.")
else:
    st.dataframe(
        clean_frame(
            pd.DataFrame(
                {
                    time_header("when", zone): [local(t) for t in history["at"]],
                    "who": history["who"],
                    "message": history["text"].map(one_line),
                    "engine said": history["model_label"].fillna("unscored"),
                    "from": history["old_label"].fillna("(none)"),
                    "to": history["new_label"].fillna("(removed)"),
                }
            )
        ),
        hide_index=True,
        width="stretch",
    )
