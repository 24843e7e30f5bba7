"""What every monitor is and returns.

A monitor polls one source with a cursor (an opaque string it gave out last
time, or None the first time) and returns the messages it found plus the
cursor to continue from. The runner persists that cursor in the same
transaction that stores the messages, so a crash never skips or repeats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol

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


@dataclass(frozen=True, slots=True)
class PollResult:
    messages: list[Message] = field(default_factory=list)
    cursor: str | None = None
    # Posts the company scheduled (a drill scenario's), stored with the batch:
    # publishing.posts.NewPost objects, each with an origin_key so replays add nothing twice.
    scheduled_posts: list = field(default_factory=list)
    # Billable reads this poll made (X bills per post read); shown per day.
    reads: int = 0
    # Items that could not become messages, stored with the batch for a person to look at.
    quarantined: list[Quarantined] = field(default_factory=list)
    # Something the Sources page should say although the poll succeeded (e.g. X's
    # since_id was too old and the source restarted from a time): plain words, or "".
    note: str = ""
    # A rate limit that struck after some pages were read (RetryAt): what was read is
    # stored and the source's next poll waits until retry.when, its reason shown as a note.
    retry: RetryAt | None = None


class Monitor(Protocol):
    name: str  # unique per configured source; keys its cursor and health
    interval_s: float

    def poll(self, cursor: str | None) -> PollResult: ...


class SourceStopped(Exception):
    """The source cannot go on until a person fixes something (bad file, bad
    credential). The runner records the reason and stops polling it."""

    status = "stopped"


class NotConfigured(SourceStopped):
    """A source without its credential: shown as "not configured" with what
    to set, never retried in a loop."""

    status = "not_configured"


class RetryAt(Exception):
    """Poll again at `when` (epoch s), not sooner: a rate limit's reset time,
    or a daily cap. Other sources go on meanwhile."""

    def __init__(self, when: float, reason: str, status: str = "backing_off") -> None:
        super().__init__(reason)
        self.when, self.reason, self.status = when, reason, status
