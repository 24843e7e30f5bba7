"""Mentions: work through what is said, decide per mention, correct labels.

Ticked rows stay on their messages (pages.common.selection holds the list
while anything is ticked); actions take message ids. Filters and page live in
the URL, so a reload or a shared link shows the same list. The list and its
actions are one fragment: a tick or a click reruns only that part."""

from __future__ import annotations

import time
import urllib.parse
from datetime import datetime, timezone

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from access.roles import NotAllowed, Permission
from access.service import correct_labels, triage, undo_triage
from model.score import LABELS
from pages.common.exports import drill_frame, export_name
from pages.common.frame import app_context, current_actor
from pages.common.selection import PinnedList
from pages.common.text import csv_safe, md_escape, one_line, plain
from pages.common.timefmt import display_time, time_header, viewer_zone
from pages.common.widgets import gate, selectable_table
from settings.registry import internal_sources
from store import mentions, queries

ctx = app_context()
actor = current_actor()
zone = viewer_zone(ctx.settings.zone)
PAGE = 50
WINDOWS = {"last hour": 3600, "last 6 hours": 6 * 3600, "last 24 hours": 86400, "last 7 days": 7 * 86400}
DEFAULT_WINDOW = "last 24 hours"
# URL parameter -> widget key; lists are repeated parameters (?source=x&source=news).
URL_LISTS = {"source": "m_sources", "sentiment": "m_labels", "triage": "m_triage"}
URL_TEXT = {"window": "m_window", "q": "m_keyword", "lang": "m_lang"}
URL_INTS = {"reach": "m_reach", "page": "m_page"}


@st.cache_data(ttl=60, max_entries=8, show_spinner=False)
def known_sources(_db, store: str, minute: int) -> list[str]:
    """Sources seen in the last 7 days (one query a minute, not one a click)."""
    now = minute * 60
    return sorted(queries.volume_by_source(_db, now - 7 * 86400, now + 61)["source"])


def from_url(known: list[str]) -> None:
    """Once per browser session: the filters the URL names, where valid."""
    if st.session_state.get("m_from_url"):
        return
    st.session_state["m_from_url"] = True
    params = st.query_params
    allowed = {
        "m_sources": set(known),
        "m_labels": {*LABELS, "unscored"},
        "m_triage": {"untriaged", *mentions.DECISIONS},
    }
    for name, key in URL_LISTS.items():
        values = [v for v in params.get_all(name) if v in allowed[key]]
        if values:
            st.session_state[key] = values
    if params.get("window") in WINDOWS:
        st.session_state["m_window"] = params["window"]
    for name in ("q", "lang"):
        if params.get(name):
            st.session_state[URL_TEXT[name]] = params[name][:200]
    for name, key in URL_INTS.items():
        value = params.get(name, "")
        if value.isdigit():
            st.session_state[key] = max(int(value), 1 if name == "page" else 0)


def to_url() -> None:
    """Write the filters and page into the URL (defaults left out)."""
    wanted: dict[str, str | list[str]] = {}
    for name, key in URL_LISTS.items():
        if st.session_state.get(key):
            wanted[name] = list(st.session_state[key])
    if st.session_state.get("m_window", DEFAULT_WINDOW) != DEFAULT_WINDOW:
        wanted["window"] = st.session_state["m_window"]
    for name in ("q", "lang"):
        if str(st.session_state.get(URL_TEXT[name], "")).strip():
            wanted[name] = str(st.session_state[URL_TEXT[name]]).strip()
    if int(st.session_state.get("m_reach", 0) or 0):
        wanted["reach"] = str(int(st.session_state["m_reach"]))
    if int(st.session_state.get("m_page", 1) or 1) > 1:
        wanted["page"] = str(int(st.session_state["m_page"]))
    for name in [*URL_LISTS, *URL_TEXT, *URL_INTS]:
        current = st.query_params.get_all(name)
        target = wanted.get(name)
        target = target if isinstance(target, list) else ([target] if target else [])
        if current != target:
            if target:
                st.query_params[name] = target if len(target) > 1 else target[0]
            else:
                del st.query_params[name]


def local(epoch_s: float) -> str:
    return display_time(epoch_s, zone, "%d %b %H:%M:%S", with_zone=False)


def rerun_view() -> None:
    """Redraw the list after an action: only this fragment when the click came
    from it (the usual case), the whole page when it ran as part of a full run."""
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:
        st.rerun()


st.header("Mentions")
if not actor.reads_internal_text:
    st.caption("Internal (Slack) messages are not listed for your role: the Internal pulse page shows their mood.")


@st.fragment
def mentions_view() -> None:
    now = int(time.time())
    known = known_sources(ctx.db, str(ctx.db.url), now // 60)
    if not actor.reads_internal_text:
        known = [s for s in known if s not in internal_sources()]
    from_url(known)
    st.session_state.setdefault("m_window", DEFAULT_WINDOW)
    f1, f2, f3, f4 = st.columns(4)
    window = f1.selectbox("Time", list(WINDOWS), key="m_window")
    kept = [s for s in st.session_state.get("m_sources", []) if s not in known]
    sources = f2.multiselect("Source", known + kept, key="m_sources")
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
    pinned = PinnedList("m_table")
    sig = (window, *map(str, (sources, labels, decisions)), keyword, int(min_reach), lang)
    held = st.session_state.get("m_held")
    if pinned.ticked() and held and held["sig"] == sig:
        total = held["total"]  # the list is held while rows are ticked: no count needed
    else:
        total = mentions.count(ctx.db, filters)
    pages = max(1, -(-total // PAGE))
    st.session_state["m_page"] = min(max(int(st.session_state.get("m_page", 1) or 1), 1), pages)
    p1, p2 = st.columns([1, 3])
    page_no = int(p1.number_input(f"Page (of {pages})", min_value=1, max_value=pages, key="m_page"))
    rows, is_held = pinned.rows(
        (*sig, page_no), lambda: mentions.page(ctx.db, filters, (page_no - 1) * PAGE, PAGE, with_total=False)[1]
    )
    if is_held:
        p2.caption(
            f"{total:,} mentions matched · list held while rows are ticked, so your ticks stay on the same "
            "messages; untick all (or act) to see newer ones"
        )
    else:
        st.session_state["m_held"] = {"sig": sig, "total": total}
        p2.caption(f"{total:,} mentions match")
    to_url()

    table = pd.DataFrame(
        {
            time_header("time", zone): [local(t) for t in rows["created_at"]],
            "source": rows["source"].map(lambda s: one_line(s, 60)),
            "author": rows["author"].map(lambda a: one_line(a, 40)),
            "reach": rows["reach"],
            "sentiment": rows["label"],
            "triage": rows["decision"].map(lambda d: mentions.DECISIONS.get(d, "") if isinstance(d, str) else ""),
            "owner": rows["owner"].fillna("").map(lambda o: one_line(o, 60)),
            "message": rows["text"].map(one_line),
        }
    )
    selected = pinned.ids(rows, selectable_table(table, pinned.table_key))

    if selected:
        detail = rows[rows["id"] == selected[0]].iloc[0]
        with st.container(border=True):
            # Source, channel and feed title come from outside: escaped like every other Markdown-rendered field.
            where = " · ".join(
                md_escape(part, 120) for part in (detail["source"], detail["channel"]) if isinstance(part, str) and part
            )
            st.caption(
                f"{display_time(detail['created_at'], zone, '%d %b %H:%M:%S')} · {where} · "
                f"reach {int(detail['reach']):,}"
            )
            st.text(one_line(detail["author"], 80))
            st.text(plain(detail["text"]))  # the whole message, as plain text: no bidi or zero-width characters
            if detail["url"]:
                # Never a live link from outside: the domain, and the address as text.
                domain = one_line(urllib.parse.urlparse(str(detail["url"])).netloc, 120)
                st.text(f"link ({domain}): {one_line(detail['url'], 300)}")

    a1, a2, a3, a4 = st.columns([2, 2, 3, 1])
    decision = a1.selectbox(
        "Decision",
        list(mentions.DECISIONS),
        index=None,
        placeholder="Choose a decision",
        format_func=lambda d: mentions.DECISIONS[d],
        key="m_decision",
    )
    owner = a2.text_input("Owner", key="m_owner")
    note = a3.text_input("Note", key="m_note")
    if (
        a4.button(
            f"Triage {len(selected)}",
            key="m_apply_triage",
            **gate(actor, Permission.TRIAGE, not selected or decision is None),
        )
        and decision is not None
    ):
        try:
            done = triage(ctx.db, selected, decision, owner.strip(), note.strip(), actor, time.time())
        except (NotAllowed, ValueError) as exc:
            st.error(md_escape(str(exc), 600))
        else:
            st.session_state["m_flash"] = f"{done} mention(s): {mentions.DECISIONS[decision]}"
            pinned.clear()
            rerun_view()
    b1, b2, b3 = st.columns([2, 1, 4])
    new_label = b1.selectbox("Correct sentiment to", LABELS, key="m_label")
    if b2.button(
        f"Correct {len(selected)}", key="m_apply_label", **gate(actor, Permission.CORRECT_LABELS, not selected)
    ):
        try:
            changed = correct_labels(ctx.db, selected, new_label, actor, time.time())
        except NotAllowed as exc:
            st.error(md_escape(str(exc), 600))
        else:
            st.session_state["m_flash"] = f"{changed} mention(s) labelled {new_label}"
            pinned.clear()
            rerun_view()
    last = mentions.last_action(ctx.db, actor.name) if actor.may(Permission.TRIAGE) else None
    if last is not None and b3.button(
        f"Undo my last triage ({len(last.ids)} mention(s) set to {mentions.DECISIONS[last.decision]} at "
        f"{display_time(last.at, zone, '%H:%M:%S')})",
        key="m_undo",
    ):
        try:
            restored, skipped = undo_triage(ctx.db, actor, time.time())
        except (NotAllowed, ValueError) as exc:
            st.error(md_escape(str(exc), 600))
        else:
            left = f"; {skipped} triaged again by someone since, left as they are" if skipped else ""
            st.session_state["m_flash"] = f"Undone: {restored} mention(s) back to their previous triage{left}"
            pinned.clear()
            rerun_view()
    if selected and decision is None:
        st.caption("Choose a decision for the ticked mentions: nothing is preselected.")
    if "m_flash" in st.session_state:
        st.success(st.session_state.pop("m_flash"))

    def export_csv() -> str:
        _, export = mentions.page(ctx.db, filters, 0, 10_000, with_total=False)
        return csv_safe(
            drill_frame(
                ctx,
                export.drop(columns=["id"]).assign(
                    created_at=[datetime.fromtimestamp(t, tz=timezone.utc).isoformat() for t in export["created_at"]]
                ),
            )
        )

    st.download_button(
        f"Export {min(total, 10_000):,} mentions (CSV, times in UTC)",
        export_csv,  # made when clicked, not on every click on the page
        export_name(ctx, "mentions.csv"),
        "text/csv",
        key="m_export",
    )


mentions_view()
