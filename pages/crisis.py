"""Crisis level: what the detector sees and why, the alert history, and the
team's own call (declare a crisis, or stand down), recorded with who and why."""

from __future__ import annotations

import time
from datetime import datetime

import pandas as pd
import streamlit as st

from access.roles import NotAllowed, Permission
from crisis import feedback
from crisis.detector import Detector, crisis_status
from crisis.levels import LEVELS
from crisis.presets import PRESETS
from crisis.stand_down import still_hot
from pages.common.delivery import show_delivery_problems
from pages.common.duty import acknowledge_from_link, duty_pages
from pages.common.frame import app_context, current_actor
from pages.common.text import clean_frame, md_escape, one_line
from pages.common.timefmt import display_time, level_summary, time_header, viewer_zone, zone_name
from pages.common.widgets import gate, narratives_table
from publishing import proposals
from store import queries

ctx = app_context()
actor = current_actor()
zone = viewer_zone(ctx.settings.zone)

acknowledge_from_link(ctx, actor)  # ?ack=... from an on-duty alert (delivery.escalation)
status = crisis_status(ctx.db)
data = status["explanation"] or {}
st.header(f"Crisis level: {status['level'].upper()}")
st.text(one_line(level_summary(status, zone), 600))  # "rising since" in the viewer's zone
st.caption(
    f"Since {display_time(status['since'], zone)} · last evaluated {display_time(status['updated_at'], zone)} · "
    f"sensitivity {ctx.settings.detection.sensitivity}" + (" · declared by a person" if status["declared"] else "")
)

if data.get("rising"):
    st.subheader("What rose")
    rising = pd.DataFrame(data["rising"]).rename(
        columns={
            "window_minutes": "window (min)",
            "expected_negative_share": "expected negative share",
            "negative_share": "negative share",
        }
    )
    st.dataframe(clean_frame(rising), hide_index=True, width="stretch")
left, right = st.columns(2)
with left:
    st.subheader("Top narratives at this evaluation")
    st.dataframe(clean_frame(narratives_table(data.get("narratives", []), zone, 160)), hide_index=True, width="stretch")
    st.subheader("Top sources")
    st.dataframe(
        clean_frame(pd.DataFrame(data.get("top_sources", []), columns=["source", "messages"])),
        hide_index=True,
        width="stretch",
    )
with right:
    st.subheader("Top authors by reach")
    st.dataframe(clean_frame(pd.DataFrame(data.get("top_authors", []))), hide_index=True, width="stretch")
    st.subheader("Sample messages")
    samples = pd.DataFrame(data.get("samples", []), columns=["source", "author", "reach", "text"])
    st.dataframe(clean_frame(samples.assign(text=samples["text"].map(one_line))), hide_index=True, width="stretch")

st.subheader("The team's call")
with st.form("override"):
    why = st.text_input("Why (recorded with your name)", key="override_why")
    declare_col, stand_down_col = st.columns(2)
    declare = declare_col.form_submit_button(
        "Declare a crisis", type="primary", **gate(actor, Permission.SET_CRISIS_LEVEL)
    )
    stand_down = stand_down_col.form_submit_button("Stand down", **gate(actor, Permission.SET_CRISIS_LEVEL))


def take_the_call(act: str, reason: str) -> None:
    detector = Detector(
        ctx.db, PRESETS[ctx.settings.detection.sensitivity], sensitive_terms=ctx.settings.publishing.sensitive_terms
    )
    try:
        (detector.declare if act == "declare" else detector.stand_down)(actor, reason, time.time())
    except NotAllowed as exc:
        st.error(md_escape(str(exc), 600))
    else:
        st.session_state.pop("stand_down_pending", None)
        st.rerun()


if declare or stand_down:
    if not why.strip():
        st.error("Say why: the reason goes to the crisis team with the alert.")
    elif stand_down and still_hot(data):
        st.session_state["stand_down_pending"] = why.strip()  # asked below, with the figures
    else:
        take_the_call("declare" if declare else "stand_down", why.strip())
pending = st.session_state.get("stand_down_pending")
if pending:
    hot = still_hot(data)
    with st.container(border=True, key="stand_down_confirm"):
        st.warning(
            f"It is still hot: {hot or 'the figures have just calmed down'}. "
            "Standing down tells the crisis team the crisis is over. Stand down anyway?",
            icon=":material/warning:",
        )
        st.text(f"Reason: {one_line(pending, 300)}")
        yes, no = st.columns(2)
        if yes.button(
            "Yes, stand down", type="primary", key="stand_down_yes", **gate(actor, Permission.SET_CRISIS_LEVEL)
        ):
            take_the_call("stand_down", pending)
        if no.button("No, keep the level", key="stand_down_no"):
            st.session_state.pop("stand_down_pending", None)
            st.rerun()

if waiting := proposals.pending(ctx.db):
    who = "the detector" if waiting.origin == "detector" else one_line(waiting.proposed_by, 80)
    st.warning(
        f"A proposal to hold {waiting.posts} scheduled post(s), made by {who} at "
        f"{display_time(waiting.proposed_at, zone)}, "
        "waits for a decision.",
        icon=":material/front_hand:",
    )
    st.page_link("pages/posts.py", label="Decide on the Scheduled posts page", icon=":material/schedule_send:")

st.subheader("Alerts")
problems = show_delivery_problems(ctx)
slack_on = ctx.settings.notify.enabled and not problems.nowhere
history = queries.recent_alerts(ctx.db, 50)
st.dataframe(
    clean_frame(
        pd.DataFrame(
            {
                time_header("when", zone): [display_time(r.at, zone, with_zone=False) for r in history],
                "what": [r.kind for r in history],
                "from": [LEVELS[r.old_level] if r.old_level is not None else "" for r in history],
                "to": [LEVELS[r.new_level] for r in history],
                "why": [r.reason + (" (repeat, not sent)" if r.suppressed else "") for r in history],
                "who": [r.who or "" for r in history],
                "sent to Slack": [
                    display_time(r.notified_at, zone, "%H:%M:%S")
                    if r.notified_at
                    else "no"
                    if slack_on
                    else "Slack not set up"
                    for r in history
                ],
                "summary": [one_line(r.summary, 300) for r in history],
            }
        )
    ),
    hide_index=True,
    width="stretch",
)

duty_pages(ctx, actor)

st.subheader("Alert feedback, last 30 days")
st.caption(
    "Mark each raised alert useful, a false alarm or late, and record the crises the detector missed: "
    "this is how the team learns whether to trust the sensitivity."
)
now = time.time()
judged = feedback.summary(ctx.db, now)
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric(
    "Precision of alerts",
    "–" if judged.precision is None else f"{judged.precision:.0%}",
    help="Of the alerts people marked: useful or late (a real crisis), not a false alarm.",
)
m2.metric("Alerts marked", f"{judged.marked} of {judged.alerts}")
m3.metric("False alarms", judged.false_alarm)
m4.metric("Late", judged.late)
m5.metric("Missed crises", len(judged.misses))

raised = feedback.raised_alerts(ctx.db, now)
st.dataframe(
    clean_frame(
        pd.DataFrame(
            {
                time_header("when", zone): [display_time(r.at, zone, with_zone=False) for r in raised],
                "to": [LEVELS[r.new_level] for r in raised],
                "why": [r.reason for r in raised],
                "verdict": [feedback.VERDICTS.get(r.verdict, "not marked") for r in raised],
                "by": [r.who or "" for r in raised],
                "note": [one_line(r.note or "", 200) for r in raised],
                "summary": [one_line(r.summary, 300) for r in raised],
            },
            columns=[time_header("when", zone), "to", "why", "verdict", "by", "note", "summary"],
        )
    ),
    hide_index=True,
    width="stretch",
)
mark_col, miss_col = st.columns(2)
with mark_col, st.form("alert_feedback"):
    labels = {r.id: f"{display_time(r.at, zone)} · {LEVELS[r.new_level].upper()} ({r.reason})" for r in raised}
    alert_id = st.selectbox("Alert", list(labels), format_func=lambda i: labels[i], key="feedback_alert")
    verdict = st.radio(
        "Verdict",
        list(feedback.VERDICTS),
        format_func=lambda v: feedback.VERDICTS[v],
        horizontal=True,
        key="feedback_verdict",
    )
    note = st.text_input("Note (optional)", key="feedback_note")
    mark = st.form_submit_button("Record the verdict", **gate(actor, Permission.ALERT_FEEDBACK, disabled=not labels))
if mark and alert_id is not None:
    try:
        feedback.mark_alert(ctx.db, actor, int(alert_id), verdict, time.time(), note)
    except (NotAllowed, ValueError) as exc:
        st.error(md_escape(str(exc), 600))
    else:
        st.rerun()
with miss_col, st.form("missed_crisis"):
    today = datetime.now(zone)
    day = st.date_input("We missed a crisis here: day", value=today.date(), key="missed_day")
    at = st.time_input(
        f"began at ({zone_name(zone)})",
        value=today.time().replace(second=0, microsecond=0),
        key="missed_time",
    )
    what = st.text_input("What was missed", key="missed_note")
    missed = st.form_submit_button("Record the miss", **gate(actor, Permission.ALERT_FEEDBACK))
if missed:
    try:
        began = datetime.combine(day, at, tzinfo=zone).timestamp()
        feedback.record_miss(ctx.db, actor, began, what, time.time())
    except (NotAllowed, ValueError) as exc:
        st.error(md_escape(str(exc), 600))
    else:
        st.rerun()
if judged.misses:
    st.dataframe(
        clean_frame(
            pd.DataFrame(
                {
                    time_header("began", zone): [display_time(r.at, zone, with_zone=False) for r in judged.misses],
                    "what was missed": [one_line(r.note, 300) for r in judged.misses],
                    "recorded by": [r.who for r in judged.misses],
                }
            )
        ),
        hide_index=True,
        width="stretch",
    )
