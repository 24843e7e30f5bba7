"""The wall display's words and marks, kept apart from the page so they can be
tested alone: the level line ("CRISIS since 01:29 CET · 4 min"), deltas that
say nothing when nothing changed, NEW marks, the sentiment symbols that do not
rely on colour, and the company's own accounts."""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

from pages.common.timefmt import display_time
from settings.schema import own_account_key

# Levels and sentiment: a word and a shape beside every colour (colour-blind safe).
LEVEL_ICONS = {"normal": ":material/check_circle:", "watch": ":material/warning:", "crisis": ":material/report:"}
LABEL_SYMBOLS = {"negative": "▼ negative", "positive": "▲ positive", "neutral": "● neutral"}


def duration(seconds: float) -> str:
    """A level's age for a glance from across the room: "45 s", "4 min", "2 h 05 min", "3 d 4 h"."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def level_headline(level: str, since: float | None, now: float, zone: ZoneInfo) -> str:
    """ "CRISIS since 01:29 CET · 4 min", in the viewer's zone; just "NORMAL" when
    the level has never changed."""
    word = level.upper()
    if since is None:
        return word
    fmt = "%H:%M" if now - since < 20 * 3600 else "%a %H:%M"
    return f"{word} since {display_time(since, zone, fmt)} · {duration(now - since)}"


def delta_text(change: float | int | None, unit: str, versus: str) -> str | None:
    """A metric's delta, or None when there is none or it is zero (a zero change
    is no news: no arrow, no colour)."""
    if change is None or round(change) == 0:
        return None
    return f"{round(change):+,}{unit} {versus}"


def label_symbol(label: str) -> str:
    return LABEL_SYMBOLS.get(label, f"○ {label}")


def is_new(created_at: float, now: float, new_for_min: float) -> bool:
    return new_for_min > 0 and now - created_at <= new_for_min * 60


def new_mark(created_at: float, now: float, new_for_min: float, text: str) -> str:
    """`text` with a NEW mark in front when `created_at` is recent."""
    return f"NEW · {text}" if is_new(created_at, now, new_for_min) else text


def own_accounts(names: list[str]) -> tuple[str, ...]:
    """[brand] own_accounts as the store compares them (store.queries.top_negative)."""
    return tuple(sorted({own_account_key(n) for n in names if own_account_key(n)}))


def succeeded_at(value: object) -> float | None:
    """A source's last success from the health table, or None when it never succeeded: the
    column reads NaN, not None, for such a source once another one has succeeded."""
    if isinstance(value, (int, float)) and not math.isnan(value):
        return float(value)
    return None
