"""CSV for a spreadsheet, whatever opens it: every text cell that could start
a formula is neutralised, and every field is quoted, so no CR or LF is ever
inside an unquoted field."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import pandas as pd

# What Excel, LibreOffice and Google Sheets take as the start of a formula
# (tab and CR too: some importers strip them and read what follows).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def cell(value: object) -> object:
    """One cell: a text that starts like a formula gets a leading apostrophe
    (also behind leading spaces, which some importers strip)."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_START):
        return "'" + value
    return value


def write_rows(rows: Iterable[Iterable[object]]) -> str:
    """Rows (the first being the header) as CSV: every text neutralised, every field quoted."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def frame_to_csv(frame: pd.DataFrame) -> str:
    """A DataFrame as CSV: every string cell neutralised, whatever the column's
    dtype (object, pandas' str, category, mixed), and every field quoted."""
    guarded = frame.copy()
    guarded.columns = [cell(str(c)) for c in guarded.columns]
    for column in guarded.columns:
        series = guarded[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        if not (pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(series.dtype)):
            guarded[column] = series.astype(object).map(cell)
    return guarded.to_csv(index=False, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
