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
from crisis.notify import notifier_failures
from crisis.presets import PRESETS
from pages.common.duty import acknowledge_from_link, duty_pages
from pages.common.frame import app_context, current_actor
from pages.common.text import clean_frame, md_escape, one_line
from pages.common.widgets import display_time, gate, narratives_table
from store import queries

ctx = app_context()
actor = current_actor()
zone = ctx.settings.zone


def local(epoch_s: float | None) -> str:
    return display_time(epoch_s, zone) if epoch_s else "–"


acknowledge_from_link(ctx, actor)  # ?ack=... from an on-duty alert (delivery.escalation)
status = crisis_status(ctx.db)
data = status["explanation"] or {}
st.header(f"Crisis level: {status['level'].upper()}")
st.text(one_line(status["summary"], 600))
st.caption(
    f"Since {local(status['since'])} · last evaluated {local(status['updated_at'])} · "
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
if declare or stand_down:
    if not why.strip():
        st.error("Say why: the reason goes to the crisis team with the alert.")
    else:
        detector = Detector(ctx.db, PRESETS[ctx.settings.detection.sensitivity])
        try:
            (detector.declare if declare else detector.stand_down)(actor, why.strip(), time.time())
        except NotAllowed as exc:
            st.error(md_escape(str(exc), 600))
        else:
            st.rerun()

st.subheader("Alerts")
for failure in notifier_failures(ctx.db):
    st.warning("Slack delivery failing:", icon=":material/notifications_off:")
    st.text(one_line(failure, 300))
history = queries.recent_alerts(ctx.db, 50)
st.dataframe(
    clean_frame(
        pd.DataFrame(
            {
                "when": [local(r.at) for r in history],
                "what": [r.kind for r in history],
                "from": [LEVELS[r.old_level] if r.old_level is not None else "" for r in history],
                "to": [LEVELS[r.new_level] for r in history],
                "why": [r.reason + (" (repeat, not sent)" if r.suppressed else "") for r in history],
                "who": [r.who or "" for r in history],
                "sent to Slack": [local(r.notified_at) if r.notified_at else "no" for r in history],
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
                "when": [local(r.at) for r in raised],
                "to": [LEVELS[r.new_level] for r in raised],
                "why": [r.reason for r in raised],
                "verdict": [feedback.VERDICTS.get(r.verdict, "not marked") for r in raised],
                "by": [r.who or "" for r in raised],
                "note": [one_line(r.note or "", 200) for r in raised],
                "summary": [one_line(r.summary, 300) for r in raised],
            },
            columns=["when", "to", "why", "verdict", "by", "note", "summary"],
        )
    ),
    hide_index=True,
    width="stretch",
)
mark_col, miss_col = st.columns(2)
with mark_col, st.form("alert_feedback"):
    labels = {r.id: f"{local(r.at)} · {LEVELS[r.new_level].upper()} ({r.reason})" for r in raised}
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
        f"began at ({ctx.settings.app.timezone})",
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
                    "began": [local(r.at) for r in judged.misses],
                    "what was missed": [one_line(r.note, 300) for r in judged.misses],
                    "recorded by": [r.who for r in judged.misses],
                }
            )
        ),
        hide_index=True,
        width="stretch",
    )
