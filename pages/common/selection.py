"""Ticked rows that stay on the same messages.

A Streamlit table's selection is a list of row positions. On a live list,
newest first, a rerun with new messages moves every row down, so positions
would point at other messages. While anything is ticked, the list is held
(the rows shown at the first tick are shown again, with a note of how many
arrived since), so positions keep meaning the same message ids; the actions
take those ids. Unticking everything, changing a filter or acting lets the
list move again.
"""

from __future__ import annotations

from typing import Callable, Hashable

import pandas as pd
import streamlit as st


class PinnedList:
    def __init__(self, key: str) -> None:
        self.key = key
        st.session_state.setdefault(f"{key}__gen", 0)

    @property
    def table_key(self) -> str:
        """The table widget's key (a new one clears its selection)."""
        return f"{self.key}__{st.session_state[f'{self.key}__gen']}"

    def ticked(self) -> list[int]:
        """Row positions ticked in the table as the browser last sent them."""
        state = st.session_state.get(self.table_key)
        try:
            return list(state["selection"]["rows"]) if state else []
        except (KeyError, TypeError):
            return []

    def rows(self, signature: Hashable, load: Callable[[], pd.DataFrame]) -> tuple[pd.DataFrame, bool]:
        """(rows to show, held): the held rows while anything is ticked and the
        filters are unchanged, else freshly loaded ones."""
        held = st.session_state.get(f"{self.key}__rows")
        if self.ticked() and held is not None:
            if held[0] == signature:
                return held[1], True
            self.clear()  # the filters changed under a selection: start afresh, nothing ticked
        fresh = load()
        st.session_state[f"{self.key}__rows"] = (signature, fresh)
        return fresh, False

    def ids(self, rows: pd.DataFrame, positions: list[int], column: str = "id") -> list[int]:
        return [int(rows[column].iloc[i]) for i in positions if i < len(rows)]

    def clear(self) -> None:
        """Untick everything (after an action) and let the list move again."""
        st.session_state[f"{self.key}__gen"] += 1
        st.session_state.pop(f"{self.key}__rows", None)
