"""Small Streamlit pieces several pages share."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from access.roles import Actor, Permission
from pages.common.text import clean_frame, one_line
from pages.common.timefmt import display_time, viewer_zone  # noqa: F401  (pages import them from here too)


def selectable_table(table: pd.DataFrame, key: str, wide: tuple[str, ...] = ("message",)) -> list[int]:
    """A read-only table whose rows can be selected; returns the selected row positions."""
    event = st.dataframe(
        clean_frame(table),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="multi-row",
        key=key,
        column_config={column: st.column_config.TextColumn(width="large") for column in wide if column in table},
    )
    return [i for i in event.selection.rows if i < len(table)]


def gate(actor: Actor, permission: Permission, disabled: bool = False) -> dict:
    """Keyword arguments for a button that takes `permission`: disabled, with
    the reason, for a role below it. (The action function checks again.)"""
    allowed = actor.may(permission)
    return {
        "disabled": disabled or not allowed,
        "help": None if allowed else f"Needs the role {permission.min_role} or higher; you are {actor.role}.",
    }


def narratives_table(stories: list[dict], zone: ZoneInfo, width: int = 200) -> pd.DataFrame:
    """Narratives (crisis.narrative_store.top_narratives) as a table: the representative
    post is outside text, cleaned to one plain line, never Markdown."""
    return pd.DataFrame(
        {
            "what people are saying": [one_line(s["text"], width) for s in stories],
            "posts": [s["posts"] for s in stories],
            "negative": [f"{s['negative_share']:.0%}" for s in stories],
            "reach": [s["reach"] for s in stories],
            "first seen": [display_time(s["first_seen"], zone, "%H:%M") for s in stories],
            "growth": [s["growth"] for s in stories],
        },
        columns=["what people are saying", "posts", "negative", "reach", "first seen", "growth"],
    )
