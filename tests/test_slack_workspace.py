"""A fresh Slack workspace of 10,000 messages and 200 active threads on a
fake Slack Web API, read through the runner into the store: every message
and every reply stored exactly once (and never fetched twice), with and
without a streak of 429s."""

import json
import random
import time

import pytest
import sqlalchemy as sa

from model.score import Score
from monitors.slack import SlackMonitor, monitor_client
from store import sources
from store.schema import messages
from tests.fake_slack import FakeSlack, Workspace
from worker.runner import Runner

CHANNELS = {"C1": "general", "C2": "support", "C3": "press", "C4": "random"}


class Neutral:
    """A constant engine: this test is about ingestion, not scoring speed."""

    name, version = "neutral", "1"

    def score(self, texts):
        return [Score("neutral", 0.0) for _ in texts]


def build(ws: Workspace, now: float, rng: random.Random) -> tuple[set[str], list[tuple[str, str]]]:
    """10,000 messages over the last 23 h; 150 threads with replies already, 50
    parents without any yet. Returns the ids to expect and the parents (channel, ts)."""
    expected, parents = set(), []
    for i in range(10_000):
        cid = f"C{1 + i % 4}"
        stamp = f"{now - 23 * 3600 + i * 8.0 + rng.random():.6f}"
        ws.history[cid].append({"type": "message", "ts": stamp, "user": f"U{i % 97}", "text": f"message {i}"})
        expected.add(f"{cid}:{stamp}")
    chosen = rng.sample(range(10_000), 200)
    for n, i in enumerate(chosen):
        cid, parent = f"C{1 + i % 4}", ws.history[f"C{1 + i % 4}"][i // 4]["ts"]
        parents.append((cid, parent))
        if n < 150:  # already discussed; one thread is longer than a page
            count = 450 if n == 0 else rng.randint(1, 12)
            expected |= add_replies(ws, cid, parent, count, float(parent) + 1, min(now, float(parent) + 3600) - 1)
    return expected, parents


def add_replies(ws: Workspace, cid: str, parent: str, count: int, start: float, end: float) -> set[str]:
    thread = ws.replies.setdefault(parent, [])
    ids = set()
    for k in range(count):
        # Slack's ts is unique in a channel: a microsecond part from the parent keeps threads apart.
        stamp = f"{int(start + (end - start) * (k + 0.5) / count)}.{parent[-6:]}"
        thread.append({"type": "message", "ts": stamp, "user": f"U{k % 13}", "text": f"reply {k}", "thread_ts": parent})
        ids.add(f"{cid}:{stamp}")
    return ids


def read_all(runner: Runner, monitor: SlackMonitor, clock, expected: int, polls: int) -> int:
    """Poll (a minute apart) until `expected` messages are stored, then a few
    more times; return how many messages the monitor handed over."""
    fetched, extra = 0, 3
    for _ in range(polls):
        outcome = runner.poll(monitor)
        fetched += outcome.fetched
        # Only 429s may hold the source up (waiting out Retry-After is "skipped" until it is due).
        assert outcome.status == "ok" or "429" in outcome.error or outcome.status == "skipped", outcome.error
        clock.advance(61)
        if stored_count(runner.db) >= expected:
            extra -= 1
            if not extra:
                return fetched
    raise AssertionError(f"{stored_count(runner.db)} of {expected} stored after {polls} polls")


def stored_count(db) -> int:
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar()


def sources_cursor(runner: Runner) -> str | None:
    with runner.db.connect() as conn:
        return conn.execute(sa.select(sources.ss.c.cursor).where(sources.ss.c.name == "slack")).scalar()


@pytest.mark.parametrize("streak", [False, True], ids=["calm", "429-streak"])
def test_ten_thousand_messages_and_two_hundred_threads_stored_exactly_once(db, clock, streak):
    started = time.monotonic()
    rng = random.Random(15)
    fake = FakeSlack()
    try:
        ws = Workspace(fake, CHANNELS)
        expected, parents = build(ws, clock.now, rng)
        if streak:  # after every 21 answers, four 429s in a row, some longer than the poll interval
            ws.rate_limit = lambda method, n: (30 if n % 2 else 150) if n % 25 >= 21 else None
        monitor = SlackMonitor(
            monitor_client("xoxb-test", fake.base_url, timeout_s=5),
            list(CHANNELS.values()),
            b"k",
            clock=clock,
            max_calls=60,
            thread_check_s=300,
        )
        runner = Runner(db, [monitor], Neutral(), clock=clock, lease_s=3600)
        fetched = read_all(runner, monitor, clock, len(expected), polls=300)

        # Later: the 50 quiet parents get their first replies after they were read, 50 discussed
        # threads go on, and replies come more than a day after their parents; new messages too.
        clock.advance(30 * 3600)
        for n, (cid, parent) in enumerate(parents):
            if n >= 100:
                expected |= add_replies(ws, cid, parent, rng.randint(1, 6), clock.now - 1800, clock.now - 60)
        for i in range(100):
            stamp = f"{clock.now - 1000 + i * 5:.6f}"
            ws.history["C2"].append({"type": "message", "ts": stamp, "user": "U1", "text": f"new {i}"})
            expected.add(f"C2:{stamp}")
        fetched += read_all(runner, monitor, clock, len(expected), polls=300)

        with db.connect() as conn:
            stored = list(conn.execute(sa.select(messages.c.external_id)).scalars())
        assert len(stored) == len(set(stored)) == len(expected)
        assert set(stored) == expected
        assert fetched == len(expected)  # nothing read twice, even across 429s
        if streak:
            assert ws.limited > 50
        state = json.loads(sources_cursor(runner))
        assert sum(len(ch["threads"]) for ch in state["ch"].values()) == 200  # followed threads, bounded
        assert len(sources_cursor(runner)) < 40_000
        print(
            f"slack_workspace streak={streak} polls_calls={ws.calls} limited={ws.limited} "
            f"seconds={time.monotonic() - started:.1f}"
        )
    finally:
        fake.close()
