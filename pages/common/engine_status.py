"""Is sentiment being scored, and by the model the configuration asked for?

In plain words for people: a small mark on the wall, one line on every page
only when nothing is being scored, and the full story (which model, why not
a better one) on the Sources page. The runners' own notes (model names and
load errors) appear only there, as plain text, for whoever runs the system.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from pages.common.context import AppContext
from pages.common.text import plain
from store import runners

FALLBACK_MARK = " not available"  # sentiment.loader: each skipped engine's reason says so


@dataclass(frozen=True)
class EngineStatus:
    state: str  # "ok", "backup" (a simpler model than configured) or "stopped" (nothing is scored)
    mark: str  # a few words for the wall's status line
    line: str  # one plain sentence for people
    notes: tuple[str, ...]  # the runners' own notes, for the Sources page only


def engine_status(alive: pd.DataFrame) -> EngineStatus:
    """The state from the runners that reported recently (store.runners.alive)."""
    if alive.empty:
        return EngineStatus(
            "stopped",
            "sentiment: not scoring",
            "New messages are not being collected or scored right now: see the Sources page.",
            (),
        )
    notes = tuple(sorted({str(note) for note in alive["engine_note"]}))
    if any(FALLBACK_MARK in note for note in notes):
        return EngineStatus(
            "backup",
            "sentiment: backup model",
            "Sentiment is scored by a backup model, because the preferred one is not available on this machine. "
            "Scores are usable; the details are below.",
            notes,
        )
    return EngineStatus("ok", "sentiment: ok", "Sentiment is scored by the configured model.", notes)


def current(ctx: AppContext, now: float | None = None) -> EngineStatus:
    return engine_status(runners.alive(ctx.db, time.time() if now is None else now))


def show_on_sources(ctx: AppContext, now: float | None = None) -> None:
    """The Sources page's section: the plain state, then the runners' notes."""
    status = current(ctx, now)
    st.subheader("Sentiment scoring")
    show = {"ok": st.success, "backup": st.info, "stopped": st.warning}[status.state]
    show(status.line)
    if status.notes:
        with st.expander("Which model, and why (for whoever runs Crisis Desk)"):
            for note in status.notes:
                st.text(plain(note, 1000))
