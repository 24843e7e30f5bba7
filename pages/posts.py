"""Scheduled posts: see what is about to go out and what went out, pause
everything, decide on a proposal to hold posts, and decide post by post
(hold, resume, edit, save as draft, delete)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pandas as pd
import streamlit as st

from access.roles import NotAllowed, Permission
from crisis.detector import crisis_status
from incidents import faq
from pages.common.context import web_engine
from pages.common.exports import drill_frame, export_name
from pages.common.frame import app_context, current_actor
from pages.common.text import clean_frame, csv_safe, md_escape, one_line
from pages.common.timefmt import display_time, viewer_zone
from pages.common.widgets import gate, selectable_table
from publishing import pause, posts, proposals
from publishing.csv_import import AlreadyImported, CsvImportError, TooLarge, import_csv
from publishing.risk import risk_flags
from settings import config_path
from store import audit
from store.health import StoreBusy, retry_locked, store_errors

ctx = app_context()
settings = ctx.settings
zone = settings.zone
now = time.time()
actor = current_actor()
ACTIONS = {
    "hold": "Hold",
    "resume": "Resume",
    "draft": "Move to drafts",
    "delete": "Delete",
    "publish_now": "Publish now",
}


def local(epoch_s: float | None) -> str:
    """Shown in the viewer's zone, named (the forms below take times in [app] timezone)."""
    return display_time(epoch_s, viewer_zone(zone), "%a %d %b %H:%M")


st.header("Scheduled posts")

# --- The proposal to hold posts -------------------------------------------------
# Made by the detector at CRISIS or by a person declaring a crisis, it waits
# for a person. A decision is judged against the proposal this page showed
# ("proposal_seen": its id and version): one decided or grown since is refused.
# It comes first on the page: it is the decision waiting.
WRITE_WAIT_S = 60.0  # a write that meets another writer's lock is retried this long (pause, resume, proposal)
shown = st.session_state.get("proposal_seen")


def proposal_write(what: str, action) -> bool:
    """Run an accept/dismiss; on failure say why and what is true now."""
    try:
        retry_locked(action, budget_s=WRITE_WAIT_S)
    except proposals.ProposalConflict as exc:
        current = exc.current
        if current is not None and current.status != "open":
            st.error(
                f"{what}: NOT done, nothing changed. {one_line(current.decided_by or '?', 120)} already "
                f"{current.status} this proposal at {local(current.decided_at)}.",
                icon=":material/block:",
            )
        else:
            st.error(f"{what}: NOT done, nothing changed.", icon=":material/block:")
            st.text(one_line(str(exc), 400))
    except StoreBusy as exc:
        st.error(f"{what}: NOT recorded. {md_escape(str(exc), 400)}. Try again.", icon=":material/lock_clock:")
    except (ValueError, NotAllowed) as exc:
        st.error(f"{what}: NOT done. " + md_escape(str(exc), 600))
    else:
        return True
    return False


if st.session_state.get("proposal_accept") and shown:
    if proposal_write(
        "Hold the proposed posts",
        lambda: proposals.accept(ctx.db, shown[0], actor, time.time(), seen_version=shown[1]),
    ):
        st.session_state["proposal_notice"] = f"Proposal #{shown[0]} accepted: its posts are held."
        st.rerun()
elif st.session_state.get("proposal_dismiss") and shown:
    why = str(st.session_state.get("proposal_dismiss_reason") or "").strip()
    if proposal_write(
        "Dismiss the proposal",
        lambda: proposals.dismiss(ctx.db, shown[0], actor, why, time.time(), seen_version=shown[1]),
    ):
        st.session_state["proposal_notice"] = f"Proposal #{shown[0]} dismissed: its posts go out as scheduled."
        st.rerun()
if notice := st.session_state.pop("proposal_notice", None):
    st.success(notice, icon=":material/check_circle:")

proposal = proposals.open_proposal(ctx.db)
if proposal is None:
    st.session_state.pop("proposal_seen", None)
    st.caption(
        "No proposal to hold posts waits for a decision. When the level reaches CRISIS, the detector proposes "
        "holding the posts due in the next 24 h; declaring a crisis does the same in your name."
    )
else:
    st.session_state["proposal_seen"] = (proposal.id, proposal.version)
    st.subheader("Proposal to hold posts")
    with st.container(border=True, key="hold_proposal"):
        st.warning(
            f"Proposal #{proposal.id}: hold {len(proposal.posts)} post(s). It waits for a decision.",
            icon=":material/front_hand:",
        )
        by_line = f"Proposed by {one_line(proposal.proposer(), 160)} at {local(proposal.proposed_at)}"
        if proposal.evaluated_minute is not None:
            by_line += f" (its evaluation of {display_time(proposal.evaluated_minute, zone, '%H:%M')})"
        st.text(by_line + ": " + one_line(proposal.trigger, 300))
        st.dataframe(
            clean_frame(
                pd.DataFrame(
                    {
                        "due": [local(p.scheduled_at) for p in proposal.posts],
                        "channel": [p.channel + (f" {p.target}" if p.target else "") for p in proposal.posts],
                        "post": [one_line(p.text) for p in proposal.posts],
                        "status now": [p.status for p in proposal.posts],
                        "why proposed": [one_line(p.reasons, 200) for p in proposal.posts],
                        "added": [f"{local(p.added_at)} by {one_line(p.added_by, 60)}" for p in proposal.posts],
                    }
                )
            ),
            hide_index=True,
            width="stretch",
            key="proposal_table",
        )
        accept_col, dismiss_col = st.columns(2)
        accept_col.button(
            f"Hold these {len(proposal.posts)} posts",
            type="primary",
            icon=":material/front_hand:",
            key="proposal_accept",
            **gate(actor, Permission.EDIT_POSTS),
        )
        with dismiss_col:
            st.text_input("Why dismiss (required, recorded)", key="proposal_dismiss_reason")
            st.button(
                "Dismiss: let them go out as scheduled",
                type="secondary",
                key="proposal_dismiss",
                **gate(actor, Permission.DISMISS_HOLD),
            )
earlier = proposals.decided(ctx.db, 20)
if earlier:
    with st.expander(f"Earlier proposals ({len(earlier)})"):
        st.dataframe(
            clean_frame(
                pd.DataFrame(
                    {
                        "proposed": [f"{local(p.proposed_at)} by {one_line(p.proposer(), 80)}" for p in earlier],
                        "posts": [len(p.posts) for p in earlier],
                        "decision": [p.status for p in earlier],
                        "by": [one_line(p.decided_by or "", 80) for p in earlier],
                        "when": [local(p.decided_at) for p in earlier],
                        "note": [one_line(p.decision_note or "", 200) for p in earlier],
                    }
                )
            ),
            hide_index=True,
            width="stretch",
            key="proposal_history",
        )

# --- Pause all -------------------------------------------------------------
# The switch is versioned: Resume names the pause this page showed, a second
# Pause is refused with the pause in force, and a write that meets another
# writer's lock is retried for up to WRITE_WAIT_S; the person is told whether
# it was recorded.


def switch_write(what: str, action):
    """Run a pause/resume write; on failure say why and what is true now. Returns its result, or None."""
    try:
        return retry_locked(action, budget_s=WRITE_WAIT_S)
    except pause.PauseConflict as exc:
        st.error(f"{what}: NOT done, nothing changed.", icon=":material/block:")
        st.text(one_line(str(exc), 400))
    except StoreBusy as exc:
        st.error(f"{what}: NOT recorded. {md_escape(str(exc), 400)}. Try again.", icon=":material/lock_clock:")
    except (ValueError, NotAllowed) as exc:
        st.error(md_escape(str(exc), 600))
        return None
    try:
        now_state = pause.state(ctx.db)
    except store_errors():
        st.warning("The switch could not be read back; reload this page to see its state.")
        return None
    st.text(
        "Now: publishing is " + (f"PAUSED ({one_line(now_state.describe(), 300)})" if now_state.paused else "running")
    )
    return None


# A click is handled from the session state before the forms are drawn, so it
# counts even when the switch changed since the page was drawn (the form the
# person pressed is then no longer drawn), and is judged against the pause
# this page showed them ("switch_seen"), never the one in force now. Resume
# takes two steps: the reason (required), then a confirmation.
seen = st.session_state.get("switch_seen")
if st.session_state.get("resume_submit"):
    why = str(st.session_state.get("resume_reason") or "").strip()
    if not why:
        st.error("Resume: NOT done. Say why publishing may resume; the reason is recorded and shown to the team.")
    else:
        lifts = seen if seen is not None else pause.state(ctx.db).pause_id
        st.session_state["resume_pending"] = {"lifts": lifts, "why": why}
elif st.session_state.get("resume_yes") and "resume_pending" in st.session_state:
    pending = st.session_state.pop("resume_pending")
    overdue = switch_write(
        "Resume", lambda: pause.resume(ctx.db, actor, pending["why"], time.time(), lifts=pending["lifts"])
    )
    if overdue is not None:
        st.toast(f"Publishing resumed; {overdue} post(s) whose time passed now wait for your decision")
        st.rerun()  # the banners above were drawn before the change
elif st.session_state.get("resume_no"):
    st.session_state.pop("resume_pending", None)
elif st.session_state.get("pause_submit"):
    why = str(st.session_state.get("pause_reason") or "").strip()
    resume_at = None
    if st.session_state.get("pause_auto"):
        day, at = st.session_state.get("pause_day"), st.session_state.get("pause_time")
        resume_at = datetime.combine(day, at, tzinfo=zone).timestamp() if day and at else None
    if switch_write("Pause", lambda: pause.pause(ctx.db, actor, why, time.time(), resume_at)):
        st.toast("All publishing paused")
        st.rerun()

switch = pause.state(ctx.db)
st.session_state["switch_seen"] = switch.pause_id
pending = st.session_state.get("resume_pending")
if not switch.paused:
    st.session_state.pop("resume_pending", None)
    with st.form("pause_form"):
        st.text_input("Why pause (required, recorded, shown on every screen)", key="pause_reason")
        st.checkbox("Resume by itself at a set time", key="pause_auto")
        c1, c2 = st.columns(2)
        c1.date_input("Resume date", key="pause_day")
        c2.time_input("Resume time", key="pause_time")
        st.form_submit_button(
            "Pause all publishing", type="primary", key="pause_submit", **gate(actor, Permission.PAUSE_PUBLISHING)
        )
elif pending:
    passed, soon = posts.due_counts(ctx.db, time.time(), 3600)
    with st.container(border=True, key="resume_confirm"):
        st.warning(
            f"Resume publishing? This lifts pause #{pending['lifts']}. Scheduled posts go out again at their "
            f"time: {soon} in the next hour. {passed} post(s) whose time passed during the pause are not sent; "
            "they wait for your decision.",
            icon=":material/play_circle:",
        )
        st.text("Your reason: " + one_line(pending["why"], 300))
        yes, no, _ = st.columns([1, 1, 2])
        yes.button(
            "Yes, resume publishing",
            key="resume_yes",
            type="secondary",
            icon=":material/play_arrow:",
            **gate(actor, Permission.RESUME_PUBLISHING),
        )
        no.button("Cancel", key="resume_no")
else:
    with st.form("resume_form"):
        st.text(f"Paused by {one_line(switch.by or '?', 120)} at {local(switch.at)} (pause #{switch.pause_id}).")
        st.text_input("Why resume now (required, recorded)", key="resume_reason")
        st.form_submit_button(
            "Resume publishing…",
            type="secondary",
            icon=":material/play_arrow:",
            key="resume_submit",
            **gate(actor, Permission.RESUME_PUBLISHING),
        )
if settings.auto_hold_applies:
    st.caption(
        "Automatic hold is on"
        + (" for drills" if settings.publishing.auto_hold_in_crisis == "drill" else "")
        + ": while the level is CRISIS, every post that falls due is held, not sent, and says why."
    )

# --- Review ------------------------------------------------------------------
status = crisis_status(ctx.db)
st.subheader(f"Posts: due in the next {settings.publishing.review_days:g} days, waiting for a decision, published")
show = st.multiselect(
    "Show",
    list(posts.LISTED),
    default=list(posts.LISTED),
    key="posts_status",
    help="Published posts stay listed with when and where they went out.",
)
listing = posts.listing(ctx.db, now, settings.publishing.review_days, statuses=show)
if listing.empty:
    st.info("No posts to show." if show else "Choose which posts to show.")
    selected: list[int] = []
else:
    explanation = status["explanation"] or {}
    unsent = listing["status"] != "published"
    flags = risk_flags(
        listing.loc[unsent, "text"].tolist(),
        listing.loc[unsent, "scheduled_at"].tolist(),
        engine=web_engine(str(config_path())),
        sensitive_terms=settings.publishing.sensitive_terms,
        crisis_terms=[t for t, _ in explanation.get("new_terms", [])],
        level=status["level"],
        now=now,
        incident_terms=json.loads(incident.keywords) if (incident := faq.active(ctx.db)) else [],
    )
    risk = pd.Series("", index=listing.index)
    risk[unsent] = pd.Series(["; ".join(f) for f in flags], index=listing.index[unsent])
    table = pd.DataFrame(
        {
            "due": [local(t) for t in listing["scheduled_at"]],
            "channel": listing["channel"] + listing["target"].map(lambda t: f" {t}" if t else ""),
            "post": listing["text"].map(one_line),
            "status": listing["status"],
            "published": [local(t) if pd.notna(t) else "" for t in listing["published_at"]],
            "why": listing["status_reason"].map(lambda r: one_line(r, 120)),
            "risk": risk.tolist(),
        }
    )
    selected = [int(listing["id"].iloc[i]) for i in selectable_table(table, "posts_table", ("post", "risk"))]
    c1, c2, c3 = st.columns([1, 2, 1])
    action = c1.selectbox("Action", list(ACTIONS), format_func=lambda a: ACTIONS[a], key="bulk_action")
    why = c2.text_input("Reason (recorded)", key="bulk_reason")
    needed = Permission.PUBLISH_NOW if action == "publish_now" else Permission.EDIT_POSTS
    if c3.button(f"Apply to {len(selected)} selected", key="bulk_apply", **gate(actor, needed, not selected)) and (
        action is not None
    ):
        try:
            changed = posts.act(ctx.db, selected, action, actor, time.time(), why.strip())
        except NotAllowed as exc:
            st.error(md_escape(str(exc), 600))
        else:
            st.toast(f"{ACTIONS[action]}: {changed} of {len(selected)} post(s) changed")
            st.rerun()

    editable = listing[listing["status"].isin(posts.OPEN)]
    if len(editable):
        with st.expander("Edit or reschedule a post"):
            by_id = editable.set_index("id").to_dict("index")
            choice = st.selectbox(
                "Post",
                editable["id"].tolist(),
                key="edit_id",
                format_func=lambda i: f"#{i} · {local(by_id[i]['scheduled_at'])} · " + one_line(by_id[i]["text"], 60),
            )
            row = editable.set_index("id").loc[choice]
            when = datetime.fromtimestamp(row["scheduled_at"], tz=timezone.utc).astimezone(zone)
            with st.form("edit_form"):
                text = st.text_area("Text", row["text"], key=f"edit_text_{choice}")
                link = st.text_input("Link", row["link"], key=f"edit_link_{choice}")
                c1, c2 = st.columns(2)
                day = c1.date_input("Date", when.date(), key=f"edit_day_{choice}")
                at = c2.time_input("Time", when.time(), key=f"edit_time_{choice}")
                if st.form_submit_button("Save", **gate(actor, Permission.EDIT_POSTS)):
                    try:
                        posts.edit(
                            ctx.db,
                            int(choice),
                            actor,
                            time.time(),
                            text=text,
                            link=link,
                            scheduled_at=datetime.combine(day, at, tzinfo=zone),
                            timezone=settings.app.timezone,
                        )
                    except (posts.PostError, NotAllowed) as exc:
                        st.error(md_escape(str(exc), 600))
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
        if st.form_submit_button("Schedule", **gate(actor, Permission.EDIT_POSTS)):
            new = posts.NewPost(
                channel, text, datetime.combine(day, at, tzinfo=zone), actor.name, target, link, settings.app.timezone
            )
            try:
                posts.create(ctx.db, new, actor, time.time())
            except (posts.PostError, NotAllowed) as exc:
                st.error(md_escape(str(exc), 600))
            else:
                st.rerun()

with st.expander("Import posts from CSV"):
    caps = settings.publishing
    st.caption(
        "Columns: channel (x or slack), text, scheduled_at (e.g. 2026-12-01 09:30), and optionally timezone, "
        "target (Slack channel), link, author. One bad row rejects the whole file; nothing is half-imported. "
        f"At most {caps.import_max_mb} MB and {caps.import_max_rows:,} rows."
    )
    if not actor.may(Permission.EDIT_POSTS):
        # No uploader at all below editor: a file is never held in this session's memory.
        st.caption(f"Importing needs the role {Permission.EDIT_POSTS.min_role} or higher; you are {actor.role}.")
    else:
        upload = st.file_uploader("CSV file", type=["csv"], key="csv_file", max_upload_size=caps.import_max_mb)
        if upload is not None and st.button("Import", key="csv_import", **gate(actor, Permission.EDIT_POSTS)):
            try:
                added = import_csv(
                    ctx.db,
                    upload.getvalue(),
                    settings.app.timezone,
                    actor,
                    time.time(),
                    max_bytes=caps.import_max_mb * 1_000_000,
                    max_rows=caps.import_max_rows,
                    filename=upload.name,
                )
            except AlreadyImported as exc:
                st.error(
                    md_escape(
                        f"Nothing was imported: this file was already imported on {local(exc.at)} by {exc.who}"
                        + (f" (as {exc.filename}, {exc.posts} posts)" if exc.filename else f" ({exc.posts} posts)")
                        + ". To schedule its posts again on purpose, change the file (their times, say).",
                        600,
                    ),
                    icon=":material/content_copy:",
                )
            except TooLarge as exc:
                st.error(md_escape(f"Nothing was imported: {exc}", 600))
            except CsvImportError as exc:
                st.error(f"Nothing was imported: {len(exc.problems)} problem(s).")
                st.text("\n".join(one_line(p, 300) for p in exc.problems[:50]))
            except NotAllowed as exc:
                st.error(md_escape(str(exc), 600))
            else:
                st.success(f"Imported {added} post(s).")

# --- Audit -------------------------------------------------------------------
st.subheader("Audit log")
if not actor.may(Permission.READ_AUDIT):
    st.caption("Who held, paused or changed posts is in the audit log, open to leads and admins.")
    st.stop()
total, log = audit.search(ctx.db, audit.AuditFilter(0, time.time() + 1, kinds=["post", "publishing"]), 500)
shown = pd.DataFrame(
    {
        "when": [local(t) for t in log["at"]],
        "who": log["who"].map(lambda w: one_line(w, 120)),
        "action": log["action"],
        "target": log["target"],
        "reason": log["reason"].map(lambda r: one_line(r, 200)),
    }
)
st.caption(f"The newest {len(log):,} of {total:,} entries for posts and the pause switch; all actions: Audit log page.")
st.dataframe(clean_frame(shown), hide_index=True, width="stretch", key="audit_table")
st.download_button(
    "Export these entries (CSV)",
    csv_safe(drill_frame(ctx, shown)),
    export_name(ctx, "publishing-audit.csv"),
    "text/csv",
)
