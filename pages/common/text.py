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


# What the browser's Markdown (GitHub's autolink literals) would turn into a
# link even when escaped: a scheme before its colon, "www.", an address's "@".
_AUTOLINK = re.compile(r"(?i)((?:https?|ftp|mailto|javascript|vbscript|data|file)(?=:)|www(?=\.)|@)")
WORD_JOINER = "\u2060"  # invisible, and it ends an autolink literal


def md_escape(text: str, limit: int = 280) -> str:
    """For the few places that must go through Markdown (banners, captions):
    every Markdown, HTML and Streamlit directive character backslash-escaped,
    and an invisible word joiner where an autolink would start."""
    return _MD_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(r"\1" + WORD_JOINER, one_line(text, limit)))


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
