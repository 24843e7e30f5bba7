"""Sentiment: which engine scores, how often it agrees with people, and
corrections (one message or many)."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from access.roles import NotAllowed, Permission
from access.service import correct_labels
from model.score import LABELS, UNSCORED_LANGUAGE
from pages.common.frame import app_context, current_actor
from pages.common.selection import PinnedList
from pages.common.text import clean_frame, md_escape, one_line
from pages.common.timefmt import display_time, time_header, viewer_zone
from pages.common.widgets import gate, selectable_table
from settings.registry import internal_sources
from store import engine_versions, queries, runners

ctx = app_context()
actor = current_actor()
zone = viewer_zone(ctx.settings.zone)


def _pct_or_n(value):
    if isinstance(value, float):
        return "–" if pd.isna(value) else f"{value:.0%}"
    return value


def local(epoch_s: float) -> str:
    return display_time(epoch_s, zone, "%Y-%m-%d %H:%M:%S", with_zone=False)


st.header("Sentiment")

st.subheader("Engine")
alive = runners.alive(ctx.db, time.time())
if alive.empty:
    st.info(
        "Nothing is being scored right now: new messages are not coming in, so they get no sentiment and "
        "the figures stop at the last scored message. The Sources page says why.",
        icon=":material/pause_circle:",
    )
else:  # which engine scores, for an analyst; the machines that run it are on the Sources page
    engines = alive.sort_values("heartbeat_at").drop_duplicates(["engine", "engine_version"], keep="last")
    st.dataframe(
        clean_frame(
            pd.DataFrame(
                {
                    "engine": engines["engine"],
                    "version": engines["engine_version"],
                    time_header("last scored", zone): [local(t) for t in engines["heartbeat_at"]],
                }
            )
        ),
        hide_index=True,
        width="stretch",
    )

cfg = ctx.settings.sentiment
if cfg.languages:
    other = f"{cfg.multilingual_model} when it is on this machine, else" if cfg.multilingual_model else ""
    st.caption(
        f"Languages: the engine scores {', '.join(cfg.languages)}; posts detected in another language go to "
        f"{other} {UNSCORED_LANGUAGE} (counted in volume, not in the negative share)."
    )

week_ago = int(time.time()) - 7 * 86400
totals = queries.label_totals(ctx.db, week_ago, int(time.time()) + 60)
if totals.get(UNSCORED_LANGUAGE):
    scored = sum(totals.get(label, 0) for label in LABELS)
    st.warning(
        f"{totals[UNSCORED_LANGUAGE]:,} message(s) in the last 7 days are {UNSCORED_LANGUAGE}: written in a language "
        f"the engine does not read and no multilingual model is on this machine ([sentiment] languages, "
        f"multilingual_model). They count in volume but not in the negative share ({scored:,} scored messages)."
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

by_version = engine_versions.accuracy_by_version(ctx.db)
if len(by_version):
    st.caption("Recall per class on your corrected messages, by the engine version that scored them, and by week.")
    st.dataframe(by_version.map(_pct_or_n), hide_index=True, width="stretch")
    by_week = engine_versions.accuracy_by_week(ctx.db)
    by_week["week"] = [display_time(w, zone, "%Y-%m-%d") for w in by_week["week"]]
    st.dataframe(by_week.map(_pct_or_n), hide_index=True, width="stretch")

st.subheader("Correct labels")
f1, f2, f3 = st.columns(3)
labels = f1.multiselect("Current label", [*LABELS, "unscored", UNSCORED_LANGUAGE], key="filter_labels")
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
        changed = correct_labels(ctx.db, selected, new_or_none[pressed], actor, time.time())
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

st.subheader("Retrain from your corrections")
st.caption(
    "Retrains the fine-tuned engine's last layer on its base data plus your corrected messages, tests the result on "
    "held-out parts of both, and switches only when it is better on your corrections and no worse on the base data. "
    "New messages are scored with the new version once the monitors next restart."
)
r1, r2, r3 = st.columns([1, 1, 2])
if r1.button("Retrain now", key="retrain", **gate(actor, Permission.RETRAIN_ENGINE)):
    from sentiment.retrain import retrain_for_settings

    with st.spinner("Retraining: embedding the base data and your corrections..."):
        try:
            result = retrain_for_settings(ctx.settings, ctx.db, actor)
        except NotAllowed as exc:
            st.error(str(exc))
        except (ValueError, FileNotFoundError) as exc:
            st.error(f"Not retrained: {exc}")
        else:
            (st.success if result.switched else st.info)(result.reason)
days = r2.number_input("Rescore the last N days", min_value=1, max_value=90, value=7, key="rescore_days")
if r3.button(
    f"Rescore the last {days} days with the active engine", key="rescore", **gate(actor, Permission.RETRAIN_ENGINE)
):
    from sentiment.retrain import rescore_for_settings

    with st.spinner("Rescoring..."):
        try:
            done = rescore_for_settings(ctx.settings, ctx.db, actor, days)
        except NotAllowed as exc:
            st.error(str(exc))
        else:
            st.success(f"{done:,} message(s) rescored")
history_v = engine_versions.versions(ctx.db, 20)
if len(history_v):
    st.dataframe(
        pd.DataFrame(
            {
                "when": [local(t) for t in history_v["created_at"]],
                "who": history_v["created_by"],
                "version": history_v["version"],
                "status": history_v["status"],
                "corrections (held out): before -> after": [
                    f"{m['corrections']['old_macro_recall']:.0%} -> {m['corrections']['new_macro_recall']:.0%}"
                    f" (n={m['corrections']['held_out_n']})"
                    for m in history_v["metrics"]
                ],
                "base (held out): before -> after": [
                    f"{m['base']['old_macro_recall']:.0%} -> {m['base']['new_macro_recall']:.0%}"
                    f" (n={m['base']['held_out_n']})"
                    for m in history_v["metrics"]
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )

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
