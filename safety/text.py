"""Outside text (posts, feed items, Slack messages, names, reasons), shown or
exported: one sanitiser, one Markdown escaper. Pages import these through
pages/common/text.py; exports (the brief, the FAQ) import them here."""

from __future__ import annotations

import re
import unicodedata

# Characters that are not text: control characters (Cc: NUL, BEL, ESC...) and
# format characters (Cf: bidi overrides and isolates U+202A-202E/U+2066-2069,
# zero-width space/joiners U+200B-200D, LRM/RLM, word joiner, BOM, soft hyphen...).
_INVISIBLE = {"Cc", "Cf"}
# Stand-ins for whitespace that a browser would not show as such (Hangul fillers, braille blank).
_BLANKS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def sanitise(text: object, limit: int | None = 5000, *, keep_lines: bool = True) -> str:
    """Control, format (bidi, zero-width) and filler characters removed; line
    breaks kept (as \\n) when `keep_lines`, else every whitespace run is one space;
    at most `limit` characters (None: no cap)."""
    text = "" if text is None else str(text)
    out = []
    for ch in text.replace("\r\n", "\n"):
        if ch in ("\n", "\r", "\u2028", "\u2029", "\x0b", "\x0c", "\x85"):
            out.append("\n" if keep_lines else " ")
        elif ch == "\t" or (ch.isspace() and unicodedata.category(ch) not in _INVISIBLE):
            out.append(" ")
        elif unicodedata.category(ch) in _INVISIBLE or ch in _BLANKS:
            continue
        else:
            out.append(ch)
    cleaned = "".join(out)
    if keep_lines:
        cleaned = "\n".join(" ".join(line.split()) for line in cleaned.split("\n"))
        cleaned = re.sub(r"\n{3,}", "\n\n", cleaned).strip("\n")
    else:
        cleaned = " ".join(cleaned.split())
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned


def one_line(text: object, limit: int = 280) -> str:
    """Sanitised, whitespace collapsed to single spaces, at most `limit` characters."""
    return sanitise(text, limit, keep_lines=False)


# Every character CommonMark, GitHub's extensions, HTML or Streamlit's own
# Markdown (:red[...], :material/icon:, :emoji:, $LaTeX$) give a meaning to.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=\"'&^%])")
# What the browser's Markdown (GitHub's autolink literals) would turn into a
# link even when escaped: a scheme before its colon, "www.", an address's "@".
_AUTOLINK = re.compile(r"(?i)((?:https?|ftp|mailto|javascript|vbscript|data|file|tel|sms)(?=:)|www(?=\.)|@)")
WORD_JOINER = "\u2060"  # invisible, and it ends an autolink literal


def _escape_line(line: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(r"\1" + WORD_JOINER, line))


def md_escape(text: object, limit: int | None = 280, *, multiline: bool = False) -> str:
    """Outside text for a place that renders Markdown (captions, titles,
    alerts, toasts, tooltips, labels, Markdown exports): sanitised, every
    Markdown, HTML and Streamlit directive character backslash-escaped, and
    an invisible word joiner where an autolink would start. One line unless
    `multiline` (exports: each line escaped, no indentation, so no line can
    become a heading, list, quote, table or code block)."""
    if not multiline:
        return _escape_line(one_line(text, limit or 10**9))
    lines = sanitise(text, limit).split("\n")
    return "\n".join(_escape_line(line.strip()) for line in lines)
