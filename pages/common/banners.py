"""Banners shown above every page."""

from __future__ import annotations

import streamlit as st

from pages.common.context import AppContext
from pages.common.text import md_escape


def show_banners(ctx: AppContext) -> None:
    if ctx.settings.is_drill:
        title = md_escape(ctx.scenario.title) if ctx.scenario else "scenario file unreadable"
        st.warning(f"**DRILL - scenario data** · {title}", icon=":material/theater_comedy:")
