"""What the paged social monitors (Bluesky, Reddit, Mastodon) share: how a
poll starts, and how a rate limit becomes this source's own next poll.

A rate limit is never a sleep and never a hold-off kept inside the monitor:
it is a `RetryAt` for the runner, which schedules the source's next poll at
the reset time (in the store, so every runner sees it). Raised when the limit
struck before anything was read; returned with the poll's result
(`PollResult.retry`) when earlier pages were read, so they are stored and
the cursor moves on, and only the rest waits for the reset.
"""

from __future__ import annotations

import json
import time

from monitors.base import NotConfigured, RetryAt


def begin(monitor, cursor: str | None) -> tuple[float, dict]:
    """The start of a poll: a source without its credential stops here (with
    what to set); otherwise the time now and the cursor's state."""
    if monitor.missing:
        raise NotConfigured(monitor.missing)
    return monitor.clock(), (json.loads(cursor) if cursor else {})


def clock_time(epoch_s: float) -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime(epoch_s))


def limit_reached(network: str, when: float) -> RetryAt:
    """A 429: the next poll waits for the reset."""
    return RetryAt(when, f"{network} rate limit reached (429): waiting until {clock_time(when)}")


def limit_used_up(network: str, header: str, when: float) -> RetryAt:
    """The server said no calls are left in this window: the next poll waits for its reset."""
    return RetryAt(when, f"{network} rate limit used up ({header} 0): next poll at {clock_time(when)}")


def keep_or_raise(retry: RetryAt, read_anything: bool) -> RetryAt:
    """A limit struck part-way: with nothing read, the poll fails with it;
    otherwise it is returned, for the result that keeps what was read."""
    if not read_anything:
        raise retry from None
    return retry
