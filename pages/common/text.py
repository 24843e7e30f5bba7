"""Showing outside text on a page: the one rendering path.

- Plain text elements (st.text, st.code, table cells) get `plain` or
  `one_line`: control, bidi and zero-width characters removed, length capped.
- Every element that renders Markdown (captions, titles, headers, alerts,
  toasts, help tooltips, labels, expander labels, options) gets `md_escape`.
- Exports get `csv_safe` (every text cell neutralised, every field quoted).

The functions live in safety/ so that the exports outside pages/ use the same ones.
"""

from __future__ import annotations

import pandas as pd

from safety.spreadsheet import frame_to_csv
from safety.text import WORD_JOINER, md_escape, one_line, sanitise

__all__ = ["WORD_JOINER", "clean_frame", "csv_safe", "md_escape", "one_line", "plain"]


def plain(text: object, limit: int = 5000) -> str:
    """For st.text: sanitised, line breaks kept, capped."""
    return sanitise(text, limit, keep_lines=True)


def csv_safe(frame: pd.DataFrame) -> str:
    """CSV for a spreadsheet download (see safety.spreadsheet)."""
    return frame_to_csv(frame)


def clean_frame(frame: pd.DataFrame, limit: int = 280) -> pd.DataFrame:
    """A table for st.dataframe: every text cell (whatever the dtype) on one
    line, sanitised and capped. Numbers and times stay as they are."""
    cleaned = frame.copy()
    for column in cleaned.columns:
        series = cleaned[column]
        if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(series.dtype):
            continue
        cleaned[column] = series.astype(object).map(lambda v: one_line(v, limit) if isinstance(v, str) else v)
    return cleaned
