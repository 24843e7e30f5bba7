"""The check each paged social monitor's rate limit goes through with the runner."""

from __future__ import annotations

import time

import pytest

from sentiment.lexicon import VaderEngine
from store import queries
from tests.conftest import FakeClock
from worker.runner import PollOutcome, Runner


def polled_until_the_reset(db, watch, asked, reset_in_s: float, words: str) -> tuple[Runner, FakeClock, PollOutcome]:
    """Poll `watch` once through a runner whose limit runs out in that poll:
    what was read is stored, the source's next poll is the reset time (in the
    store, for every runner) with `words` as its notice, and nothing asks the
    server (`asked()` counts its requests) before it, although the interval is over."""
    clock = FakeClock(time.time())
    watch.clock = clock
    runner = Runner(db, [watch], VaderEngine(), clock=clock)
    outcome = runner.poll(watch)
    assert outcome.status == "ok"
    health = queries.source_health(db).iloc[0]
    assert health["next_poll_at"] == pytest.approx(clock.now + reset_in_s, abs=2)  # not the interval
    assert words in health["note"]
    before = asked()
    clock.advance(watch.interval_s + 1)
    assert runner.run_pending() == [] and asked() == before
    return runner, clock, outcome
