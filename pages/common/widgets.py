"""Small Streamlit pieces several pages share."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from access.roles import Actor, Permission
from pages.common.text import clean_frame
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
