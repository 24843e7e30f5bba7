"""On-duty pages on the Crisis level page: who was paged for which alert, who
acknowledged, what escalated; and the acknowledge link (?ack=...) from an
on-duty alert, recorded for the signed-in person."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from access.roles import Permission, require
from delivery import escalation
from pages.common.text import md_escape, one_line
from pages.common.timefmt import display_time, viewer_zone
from pages.common.widgets import gate

STEPS = {0: "on duty", 1: "next in the roster", 2: "crisis lead"}


def acknowledge_from_link(ctx, actor) -> None:
    token = st.query_params.get("ack")
    if not token:
        return
    if not ctx.settings.delivery.base_url:
        st.error("Acknowledge links are off: [delivery] base_url is not set.")
        return
    signer = escalation.AckSigner.from_settings(ctx.settings)
    try:
        alert_id, member_id = signer.verify(token)
    except ValueError as exc:
        st.error(str(exc))
        return
    require(actor, Permission.READ)  # the link names the alert; the person opening it is on the team
    person = escalation.member(ctx.db, member_id)
    paged = person.name if person else f"member {member_id}"
    who = actor.name if actor.name.lower() == paged.lower() else f"{actor.name} (link sent to {paged})"
    if escalation.acknowledge(ctx.db, alert_id, who, time.time(), via="link"):
        st.success(f"Alert {alert_id} acknowledged by {md_escape(who, 120)}: escalation stopped.")
    else:
        st.info(f"Alert {alert_id} was already acknowledged, or is no longer waiting.")
    del st.query_params["ack"]


def duty_pages(ctx, actor) -> None:
    st.subheader("On-duty pages")
    pages = escalation.pages(ctx.db)
    if pages.empty:
        route = ctx.settings.delivery.routes.get("on_duty")
        st.caption(
            "No level raise has been paged yet."
            if route
            else 'Nobody is paged: add an on_duty route in [delivery.routes] (e.g. ["email:on-duty"]).'
        )
        return
    zone = viewer_zone(ctx.settings.zone)
    st.dataframe(
        pd.DataFrame(
            {
                "alert": pages["alert"],
                "paged": [one_line(str(n), 120) for n in pages["paged"]],
                "as": [STEPS.get(int(s), f"step {s}") for s in pages["step"]],
                "at": [display_time(t, zone) for t in pages["paged_at"]],
                "escalates at": [
                    display_time(t, zone) if s == "waiting" else "–" for t, s in zip(pages["due_at"], pages["status"])
                ],
                "status": pages["status"],
                "acknowledged by": [one_line(str(w), 120) if isinstance(w, str) else "" for w in pages["acked_by"]],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    waiting = sorted(set(pages.loc[pages["status"] == "waiting", "alert"]))
    for alert_id in waiting:
        if st.button(f"I have it: acknowledge alert {alert_id}", key=f"ack-{alert_id}", **gate(actor, Permission.READ)):
            require(actor, Permission.READ)
            escalation.acknowledge(ctx.db, int(alert_id), actor.name, time.time(), via="page")
            st.rerun()
