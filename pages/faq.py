"""Crisis FAQ: what happened, the cause, every known fact, and the agreed
answers, one source of truth for everyone. Editors keep it current; every
change is kept and can be diffed; approved answers go to the staff channel."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any, Iterable, cast

import pandas as pd
import streamlit as st

from access.roles import NotAllowed, Permission, require
from crisis.detector import crisis_status
from incidents import faq
from pages.common.exports import drill_markdown, export_name
from pages.common.frame import app_context, current_actor
from pages.common.text import clean_frame, md_escape, one_line, plain
from pages.common.timefmt import display_time, time_header, viewer_zone, zone_name
from pages.common.widgets import gate
from settings.secrets import secret

ctx = app_context()
zone = viewer_zone(ctx.settings.zone)
actor = current_actor()
editor = actor.may(Permission.EDIT_RECORD)

st.header("Crisis FAQ")
incident = faq.active(ctx.db)
if incident is None:
    status = crisis_status(ctx.db)
    if status["level"] == "crisis":
        st.warning("The detector reports a crisis and no incident is declared. Declare one so everyone answers alike.")
    st.info("No active incident.")
    if editor:
        with st.form("declare_form"):
            name = st.text_input("Incident name", key="inc_name")
            summary = st.text_area("What happened (summary)", key="inc_summary")
            keywords = st.text_input("Tracked keywords, comma separated", key="inc_keywords")
            if st.form_submit_button(
                "Declare the incident", type="primary", **gate(actor, Permission.DECLARE_INCIDENT)
            ):
                try:
                    faq.declare(ctx.db, name, summary, keywords.split(","), actor, time.time())
                except (faq.FaqError, NotAllowed) as exc:
                    st.error(md_escape(str(exc), 600))
                else:
                    st.rerun()
    st.stop()

rec = faq.record(ctx.db, incident.id)
st.subheader(md_escape(incident.name, 200), anchor=False)  # no self-link made of outside words
st.caption(
    f"Declared {display_time(incident.declared_at, zone)} by {md_escape(incident.declared_by, 120)} · "
    f"last change {display_time(incident.updated_at, zone)} · keywords: {md_escape(', '.join(rec.keywords)) or '–'}"
)
st.text(plain(incident.summary or "(no summary yet)"))
st.text(plain(f"Cause ({incident.cause_status}): {incident.cause or 'not yet known'}"))

st.subheader("Timeline of facts")
if len(rec.facts):
    st.dataframe(
        clean_frame(
            pd.DataFrame(
                {
                    time_header("when", zone): [display_time(t, zone, with_zone=False) for t in rec.facts["at"]],
                    "fact": rec.facts["statement"].map(lambda s: one_line(s, 400)),
                    "source": rec.facts["source"],
                    "verified": rec.facts["verified"].map({True: "verified", False: "unverified"}),
                }
            )
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.caption("No facts recorded yet.")

st.subheader("Questions and answers")
shown = rec.entries if editor else rec.approved()
for entry in cast(Iterable[Any], shown.itertuples()):  # rows: the columns as attributes
    with st.container(border=True):
        st.text(plain(f"Q: {entry.question}"))
        st.text(plain(f"A: {entry.answer or '(no answer yet)'}"))
        st.caption(
            f"{entry.status} · owner {md_escape(entry.owner or '–', 120)} · "
            f"last change {display_time(entry.updated_at, zone)} by {md_escape(entry.updated_by or '', 120)}"
        )
if not len(shown):
    st.caption("No answers yet.")

if editor:
    st.subheader("Edit")
    with st.expander("Incident: summary, cause, keywords, resolve"):
        with st.form("incident_form"):
            summary = st.text_area("Summary", incident.summary, key="edit_summary")
            cause_status = st.selectbox(
                "Cause", faq.CAUSES, index=faq.CAUSES.index(incident.cause_status), key="edit_cause_status"
            )
            cause = st.text_area("Cause, as known", incident.cause, key="edit_cause")
            keywords = st.text_input("Keywords", ", ".join(rec.keywords), key="edit_keywords")
            if st.form_submit_button("Save"):
                faq.update_incident(
                    ctx.db,
                    incident.id,
                    actor,
                    time.time(),
                    summary=summary,
                    cause_status=cause_status,
                    cause=cause,
                    keywords=keywords.split(","),
                )
                st.rerun()
        if st.button("Resolve the incident", key="resolve", **gate(actor, Permission.DECLARE_INCIDENT)):
            try:
                faq.resolve(ctx.db, incident.id, actor, time.time())
            except NotAllowed as exc:
                st.error(md_escape(str(exc), 600))
            else:
                st.rerun()
    with st.expander("Add a fact"):
        with st.form("fact_form"):
            statement = st.text_area("Fact", key="fact_statement")
            source = st.text_input("Source", key="fact_source")
            verified = st.checkbox("Verified", key="fact_verified")
            c1, c2 = st.columns(2)
            day = c1.date_input("Date", key="fact_day")
            at = c2.time_input(f"Time ({zone_name(zone)})", key="fact_time")
            if st.form_submit_button("Add fact"):
                try:
                    faq.add_fact(
                        ctx.db,
                        incident.id,
                        datetime.combine(day, at, tzinfo=zone).timestamp(),
                        statement,
                        source,
                        verified,
                        actor,
                        time.time(),
                    )
                except faq.FaqError as exc:
                    st.error(md_escape(str(exc), 600))
                else:
                    st.rerun()
    with st.expander("Add a question"):
        with st.form("entry_form"):
            question = st.text_input("Question", key="new_question")
            answer = st.text_area("Answer", key="new_answer")
            owner = st.text_input("Owner", key="new_owner")
            if st.form_submit_button("Add question"):
                try:
                    faq.add_entry(ctx.db, incident.id, question, answer, owner, actor, time.time())
                except faq.FaqError as exc:
                    st.error(md_escape(str(exc), 600))
                else:
                    st.rerun()
    if len(rec.entries):
        with st.expander("Edit or approve an answer", expanded=True):
            entries = rec.entries.set_index("id")
            choice = st.selectbox(
                "Question",
                entries.index.tolist(),
                key="edit_entry",
                format_func=lambda i: f"[{entries.loc[i, 'status']}] {one_line(entries.loc[i, 'question'], 80)}",
            )
            row = entries.loc[choice]
            with st.form("answer_form"):
                answer = st.text_area("Answer", row["answer"], key=f"answer_{choice}")
                owner = st.text_input("Owner", row["owner"], key=f"owner_{choice}")
                c1, c2 = st.columns(2)
                save = c1.form_submit_button("Save")
                approve = c2.form_submit_button("Approve", type="primary", **gate(actor, Permission.APPROVE_ANSWERS))
            if save or approve:
                try:
                    if approve:  # refused before anything changes for a role that may not approve
                        require(actor, Permission.APPROVE_ANSWERS)
                    faq.update_entry(ctx.db, int(choice), actor, time.time(), answer=answer, owner=owner)
                    if approve:
                        faq.approve(ctx.db, int(choice), actor, time.time())
                except (faq.FaqError, NotAllowed) as exc:
                    st.error(md_escape(str(exc), 600))
                else:
                    st.rerun()

st.subheader("Share")
c1, c2 = st.columns(2)
c1.download_button(
    "Export as Markdown",
    drill_markdown(ctx, faq.to_markdown(rec, zone.key)),
    export_name(ctx, "crisis-faq.md"),
    "text/markdown",
)
channel = ctx.settings.notify.staff_channel
token = secret("SLACK_BOT_TOKEN", "slack", "bot_token")
if not channel or not token:
    missing = ([] if channel else ["the staff channel: [notify] staff_channel in config.toml"]) + (
        [] if token else ["the Slack token: SLACK_BOT_TOKEN, or [slack] bot_token in .streamlit/secrets.toml"]
    )
    c2.warning(
        "Publishing to staff on Slack is not set up, so the answers reach nobody from here. Missing: "
        + "; ".join(missing)
        + ".",
        icon=":material/notifications_off:",
    )
elif actor.may(Permission.PUBLISH_FAQ):
    changes_only = c2.checkbox("Only what changed since the last publish", value=True, key="changes_only")
    if c2.button(f"Publish approved answers to {channel}", key="publish"):
        from crisis.notify import slack_client

        try:
            sent = faq.publish(
                ctx.db,
                slack_client(token, ctx.settings.notify.slack_base_url),
                channel,
                incident.id,
                actor,
                time.time(),
                changes_only,
            )
        except Exception as exc:  # Slack down: say so, lose nothing
            c2.error(f"Publishing failed: {exc.__class__.__name__}")
        else:
            c2.success(f"Published {sent} answer(s)." if sent else "Nothing new to publish.")

st.subheader("History")
h = faq.history(ctx.db, incident.id)
st.dataframe(
    clean_frame(
        pd.DataFrame(
            {
                time_header("when", zone): [
                    display_time(t, zone, "%Y-%m-%d %H:%M:%S", with_zone=False) for t in h["at"]
                ],
                "who": h["who"],
                "what": h["kind"] + " " + h["item_id"].astype(str),
                "action": h["action"],
            }
        )
    ),
    hide_index=True,
    width="stretch",
)
if len(h):
    changes = h.to_dict("index")
    pick = st.selectbox(
        "Show the change",
        h.index.tolist()[::-1],
        key="history_pick",
        format_func=lambda i: (
            f"{display_time(changes[i]['at'], zone, '%H:%M:%S')} {one_line(changes[i]['who'], 80)} "
            f"{changes[i]['action']} {changes[i]['kind']}"
        ),
    )
    st.dataframe(
        clean_frame(faq.side_by_side(json.loads(changes[pick]["changes"]), zone)),
        hide_index=True,
        width="stretch",
        column_config={side: st.column_config.TextColumn(width="large") for side in ("before", "after")},
        key="history_diff",
    )
