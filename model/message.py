"""A message as every layer sees it: what a monitor found, what the store
keeps, what the pages show; and a quarantined item, what a source returned
that could not become a message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

# What no store can keep and no text should carry: NUL (PostgreSQL refuses
# it), lone surrogates (not encodable as UTF-8: the store raises and the
# source would never advance) and Unicode noncharacters.
_INVALID = re.compile(
    "[\x00\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
    + "]"
)


def clean_text(value: str) -> str:
    """`value` with every code point no store can keep replaced by U+FFFD."""
    return _INVALID.sub("\ufffd", value)


def _clean_fields(obj, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(obj, name)
        if not isinstance(value, str):
            raise TypeError(f"{name} must be text, got {type(value).__name__}")
        cleaned = clean_text(value)
        if cleaned != value:
            object.__setattr__(obj, name, cleaned)


@dataclass(frozen=True, slots=True)
class Message:
    source: str  # the network it came from: "x", "slack", "news", ...
    external_id: str  # the source's own id; (source, external_id) is the key
    created_at: datetime  # aware, UTC
    text: str
    channel: str = ""
    author: str = ""
    reach: int = 0  # followers (or audience) of the author
    lang: str = ""
    url: str = ""

    def __post_init__(self) -> None:
        # Any text arrives: whatever a store cannot keep becomes U+FFFD here, on the way in.
        _clean_fields(self, ("source", "external_id", "text", "channel", "author", "lang", "url"))
        if not self.source or not self.external_id:
            raise ValueError("a message needs a source and an external_id")
        if self.created_at.tzinfo is None:
            raise ValueError(f"created_at must be timezone-aware, got {self.created_at!r}")
        if self.reach < 0:
            raise ValueError(f"reach must not be negative, got {self.reach}")
        if self.created_at.utcoffset():
            object.__setattr__(self, "created_at", self.created_at.astimezone(timezone.utc))


@dataclass(frozen=True, slots=True)
class Quarantined:
    """One item a source returned that could not become a Message (a tweet
    without an author, a feed entry that fails to parse): kept raw with the
    reason and shown on the Sources page, so one bad item never stalls a
    source and nothing is silently dropped."""

    source: str  # the monitor's name
    external_id: str  # the source's own id when the item had one, else ""
    raw: str  # the payload as received (JSON or XML text); the store caps its length
    reason: str  # plain words: what was wrong with it

    def __post_init__(self) -> None:
        if isinstance(self.raw, (bytes, bytearray)):
            object.__setattr__(self, "raw", bytes(self.raw).decode("utf-8", "replace"))
        elif not isinstance(self.raw, str):
            object.__setattr__(self, "raw", repr(self.raw))
        _clean_fields(self, ("source", "external_id", "raw", "reason"))
