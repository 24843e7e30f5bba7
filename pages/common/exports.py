"""Every file a page hands out says DRILL when it holds drill data, first
thing (a CSV's first column on every row, a Markdown file's first line, the
file's name), so a forwarded drill export never reads as a real crisis."""

from __future__ import annotations

import pandas as pd

from crisis.brief import DRILL_MARK
from pages.common.context import AppContext
from pages.common.text import md_escape


def drill_frame(ctx: AppContext, frame: pd.DataFrame) -> pd.DataFrame:
    """A table for a CSV export, with a first column DRILL on every row in drill mode."""
    if not ctx.settings.is_drill:
        return frame
    marked = frame.copy()
    marked.insert(0, "DRILL", DRILL_MARK)
    return marked


def drill_markdown(ctx: AppContext, text: str) -> str:
    """A Markdown export, with a first line saying DRILL in drill mode."""
    if not ctx.settings.is_drill:
        return text
    return f"**{md_escape(DRILL_MARK, None)}**\n\n{text}"


def export_name(ctx: AppContext, name: str) -> str:
    """'DRILL-mentions.csv' for drill data."""
    return f"DRILL-{name}" if ctx.settings.is_drill else name
