"""The crisis team: who does what, who is on duty (named in every alert),
who reports to whom, and the drills the team has run."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from access.roles import NotAllowed, Permission
from incidents import key_accounts, team
from pages.common.frame import app_context, current_actor
from pages.common.text import clean_frame, md_escape, one_line
from pages.common.timefmt import display_time, time_header, viewer_zone
from pages.common.widgets import gate
from worker.service import start_drill

ctx = app_context()
zone = viewer_zone(ctx.settings.zone)
actor = current_actor()

st.header("Team")
members = team.roster(ctx.db)
if members.empty:
    st.info("No one on the roster yet. Clear roles before the crisis: add the team below.")
else:
    names = dict(zip(members["id"], members["name"]))
    st.dataframe(
        clean_frame(
            pd.DataFrame(
                {
                    "name": members["name"],
                    "role": members["role"].str.replace("_", " "),
                    "contact": members["contact"],
                    "on duty": members["on_duty"].map({True: "ON DUTY", False: ""}),
                    "reports to": members["reports_to"].map(lambda i: names.get(i, "") if pd.notna(i) else ""),
                }
            )
        ),
        hide_index=True,
        width="stretch",
    )
    st.subheader("Responsibilities")
    st.dataframe(clean_frame(team.matrix(members)), hide_index=True, width="stretch")
    c1, c2, c3 = st.columns([2, 1, 1])
    member = c1.selectbox(
        "Team member", members["id"].tolist(), format_func=lambda i: one_line(names[i], 80), key="duty_member"
    )
    duty = None
    if c2.button("Put on duty", key="duty_on", **gate(actor, Permission.MANAGE_TEAM)):
        duty = True
    if c3.button("Take off duty", key="duty_off", **gate(actor, Permission.MANAGE_TEAM)):
        duty = False
    if duty is not None:
        try:
            team.set_on_duty(ctx.db, int(member), duty, actor, time.time())
        except NotAllowed as exc:
            st.error(md_escape(str(exc), 600))
        else:
            st.rerun()

with st.expander("Add a team member", expanded=members.empty):
    with st.form("member_form"):
        name = st.text_input("Name", key="member_name")
        member_role = st.selectbox(
            "Role", list(team.ROLES), format_func=lambda r: f"{r.replace('_', ' ')}: {team.ROLES[r]}", key="member_role"
        )
        contact = st.text_input("Contact (phone, Slack handle)", key="member_contact")
        options = [None, *members["id"].tolist()] if len(members) else [None]
        reports_to = st.selectbox(
            "Reports to",
            options,
            key="member_reports_to",
            format_func=lambda i: "–" if i is None else one_line(dict(zip(members["id"], members["name"]))[i], 80),
        )
        if st.form_submit_button("Add", **gate(actor, Permission.MANAGE_TEAM)):
            try:
                team.add_member(
                    ctx.db,
                    name,
                    member_role,
                    contact,
                    actor,
                    time.time(),
                    int(reports_to) if reports_to is not None else None,
                )
            except (ValueError, NotAllowed) as exc:
                st.error(md_escape(str(exc), 600))
            else:
                st.rerun()

st.subheader("Drills")
st.caption(
    "Rehearse at least once a year. A drill plays the scenario into the drill store, never into live data; "
    "watch it on a dashboard running in drill mode."
)
c1, c2 = st.columns([1, 3])
minutes_in = c1.number_input(
    "Start how many minutes into the scenario", min_value=0, max_value=600, value=0, key="drill_at"
)
if c2.button("Start a drill…", key="drill_start", **gate(actor, Permission.RUN_DRILL)):
    st.session_state["drill_confirm"] = float(minutes_in)
if "drill_confirm" in st.session_state:
    with st.container(border=True):
        st.warning(
            f"Start the drill {st.session_state['drill_confirm']:.0f} minutes into the scenario? This empties the "
            "drill store: its messages, alerts, crisis level, triage, corrections, FAQ, pause and scheduled posts "
            "start again from scratch. Live data is never touched."
        )
        y, n, _ = st.columns([1, 1, 3])
        if y.button("Yes, start the drill", key="drill_yes", type="primary", **gate(actor, Permission.RUN_DRILL)):
            at_min = st.session_state.pop("drill_confirm")
            try:
                start_drill(ctx.settings, actor, at_min * 60)
            except NotAllowed as exc:
                st.error(md_escape(str(exc), 600))
            else:
                st.toast("Drill started in the drill store")
                st.rerun()
        if n.button("Cancel", key="drill_no"):
            st.session_state.pop("drill_confirm")
            st.rerun()
log = team.drills(ctx.db)
if log.empty:
    st.caption("No drill on record.")
else:
    st.dataframe(
        clean_frame(
            pd.DataFrame(
                {
                    time_header("when", zone): [display_time(t, zone, with_zone=False) for t in log["at"]],
                    "who": log["who"],
                    "scenario": log["scenario"],
                    "started at (min)": log["start_offset_s"] / 60,
                }
            )
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Key accounts")
st.caption(
    "Mentions from or about these customers are flagged on every page and in alerts, and sent once to the "
    "account owner's Slack."
)
table = key_accounts.accounts(ctx.db)
if len(table):
    st.dataframe(
        clean_frame(table[["name", "handles", "domains", "aliases", "owner", "owner_slack"]]),
        hide_index=True,
        width="stretch",
    )
with st.expander("Add a key account"):
    with st.form("account_form"):
        account = st.text_input("Customer name", key="ka_name")
        handles = st.text_input("Handles, comma separated (e.g. @acme)", key="ka_handles")
        domains = st.text_input("Domains, comma separated (e.g. acme.example)", key="ka_domains")
        aliases = st.text_input("Other names, comma separated", key="ka_aliases")
        owner = st.text_input("Account manager", key="ka_owner")
        owner_slack = st.text_input("Escalate to (Slack channel or user id)", key="ka_slack")
        if st.form_submit_button("Add", **gate(actor, Permission.KEY_ACCOUNTS)):
            try:
                key_accounts.add_account(
                    ctx.db,
                    account,
                    handles.split(","),
                    domains.split(","),
                    aliases.split(","),
                    owner,
                    owner_slack,
                    actor,
                    time.time(),
                )
            except (ValueError, NotAllowed) as exc:
                st.error(md_escape(str(exc), 600))
            else:
                st.rerun()
