"""Showing untrusted text: inert, single-line, capped."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=\"'&])")


def one_line(text: str, limit: int = 280) -> str:
    """Control and format characters (RTL overrides, zero-width) removed,
    whitespace collapsed, and at most `limit` characters."""
    cleaned = "".join(
        " " if ch.isspace() else ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch.isspace()
    )
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def md_escape(text: str, limit: int = 280) -> str:
    """For the few places that must go through Markdown (banners, captions):
    every Markdown, HTML and Streamlit directive character backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text, limit))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> str:
    """CSV for a spreadsheet: a text cell that starts like a formula (=, +, -, @)
    gets a leading apostrophe, so a hostile post cannot run one on opening."""
    guarded = frame.copy()
    for column in guarded.columns:
        if guarded[column].dtype == object:
            guarded[column] = guarded[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v
            )
    return guarded.to_csv(index=False)
