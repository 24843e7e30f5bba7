"""What every monitor is and returns.

A monitor polls one source with a cursor (an opaque string it gave out last
time, or None the first time) and returns the messages it found plus the
cursor to continue from. The runner persists that cursor in the same
transaction that stores the messages, so a crash never skips or repeats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from model.message import Message, Quarantined


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
