"""The runner: stores with the cursor, resumes from it, survives failures."""

import threading

import pytest
import sqlalchemy as sa

from model.score import Score
from monitors.base import PollResult, SourceStopped
from store import queries
from store.schema import messages, source_state
from tests.conftest import message
from worker.runner import Runner, backoff_delay


class ListMonitor:
    """Serves numbered messages from a list; the cursor is the next index."""

    def __init__(self, items, name="fake", page=3, interval_s=10.0):
        self.items, self.name, self.page, self.interval_s = items, name, page, interval_s
        self.calls: list[str | None] = []
        self.fail_with: Exception | None = None

    def poll(self, cursor):
        self.calls.append(cursor)
        if self.fail_with is not None:
            raise self.fail_with
        start = int(cursor or 0)
        return PollResult(self.items[start : start + self.page], str(min(start + self.page, len(self.items))))


class CountingEngine:
    name, version = "counting", "1"

    def __init__(self):
        self.batches: list[int] = []
        self.broken = False

    def score(self, texts):
        if self.broken:
            raise RuntimeError("model crashed")
        self.batches.append(len(texts))
        return [Score("negative" if "bad" in t else "neutral", -0.5 if "bad" in t else 0.0) for t in texts]


def stored_ids(db):
    with db.connect() as conn:
        return sorted(conn.execute(sa.select(messages.c.external_id)).scalars(), key=int)


def state(db, name="fake"):
    with db.connect() as conn:
        return conn.execute(sa.select(source_state).where(source_state.c.name == name)).one()


@pytest.fixture
def items():
    return [message(str(i), "bad news" if i % 2 else "ok", at=1_800_000_000 + i) for i in range(7)]


def test_runner_stores_batches_and_persists_cursor(db, clock, items):
    monitor = ListMonitor(items)
    engine = CountingEngine()
    runner = Runner(db, [monitor], engine, batch_size=2, clock=clock)
    outcome = runner.poll(monitor)
    assert (outcome.status, outcome.fetched, outcome.stored) == ("ok", 3, 3)
    assert engine.batches == [2, 1]  # scored in batches of batch_size
    row = state(db)
    assert (row.cursor, row.status, row.messages_total, row.polls) == ("3", "ok", 3, 1)
    assert row.next_poll_at == clock.now + monitor.interval_s
    with db.connect() as conn:
        labels = dict(conn.execute(sa.select(messages.c.external_id, messages.c.label)).all())
    assert labels == {"0": "neutral", "1": "negative", "2": "neutral"}


def test_a_new_runner_resumes_from_the_persisted_cursor(db, clock, items):
    first = ListMonitor(items)
    Runner(db, [first], CountingEngine(), clock=clock).poll(first)
    clock.advance(10)
    # A new process: new runner, new monitor object, same store.
    second = ListMonitor(items)
    runner = Runner(db, [second], CountingEngine(), clock=clock)
    runner.poll(second)
    clock.advance(10)
    runner.poll(second)
    assert second.calls == ["3", "6"]
    assert stored_ids(db) == [str(i) for i in range(7)]


def test_sources_are_polled_only_when_due(db, clock, items):
    monitor = ListMonitor(items)
    runner = Runner(db, [monitor], CountingEngine(), clock=clock)
    assert [o.status for o in runner.run_pending()] == ["ok"]
    clock.advance(5)
    assert runner.run_pending() == []
    assert runner.seconds_until_due() == 5
    clock.advance(5)
    assert [o.status for o in runner.run_pending()] == ["ok"]
    assert len(monitor.calls) == 2


def test_crash_between_fetch_and_commit_loses_and_duplicates_nothing(db, clock, items, monkeypatch):
    monitor = ListMonitor(items)
    runner = Runner(db, [monitor], CountingEngine(), clock=clock, lease_s=30)
    runner.poll(monitor)
    clock.advance(10)

    import store.sources

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed between fetch and commit")

    monkeypatch.setattr(store.sources, "record_success", crash)
    with pytest.raises(KeyboardInterrupt):
        runner.poll(monitor)  # fetched 3..5, died before the commit
    monkeypatch.undo()
    assert stored_ids(db) == ["0", "1", "2"]
    assert state(db).cursor == "3"

    clock.advance(31)  # the dead runner's lease expires
    restarted = Runner(db, [ListMonitor(items)], CountingEngine(), clock=clock)
    for _ in range(3):
        restarted.poll(restarted.monitors[0])
        clock.advance(10)
    assert stored_ids(db) == [str(i) for i in range(7)]
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 7


def test_failure_backs_off_and_is_recorded_without_touching_other_sources(db, clock, items):
    broken, healthy = ListMonitor(items, name="broken"), ListMonitor(items, name="healthy")
    broken.fail_with = TimeoutError("read timed out")
    runner = Runner(db, [broken, healthy], CountingEngine(), clock=clock, backoff_base_s=5, backoff_max_s=60)
    outcomes = {o.source: o for o in runner.run_pending()}
    assert outcomes["broken"].status == "backing_off"
    assert outcomes["healthy"].status == "ok"
    row = state(db, "broken")
    assert (row.status, row.consecutive_failures) == ("backing_off", 1)
    assert row.last_error == "TimeoutError: read timed out"
    assert clock.now + 2.5 <= row.next_poll_at <= clock.now + 5
    for failures in (2, 3):
        clock.now = row.next_poll_at
        runner.poll(broken)
        row = state(db, "broken")
        assert row.consecutive_failures == failures
    broken.fail_with = None
    clock.now = row.next_poll_at
    assert runner.poll(broken).status == "ok"
    row = state(db, "broken")
    assert (row.status, row.consecutive_failures, row.cursor) == ("ok", 0, "3")
    assert row.last_error == "TimeoutError: read timed out"  # kept for the sources page


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    assert [backoff_delay(n, 5, 60, rand=lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 40, 60]
    assert backoff_delay(3, 5, 60, rand=lambda: 0.0) == 10


def test_stopped_source_is_not_polled_again(db, clock, items):
    monitor = ListMonitor(items)
    monitor.fail_with = SourceStopped("bad.jsonl line 4: reach: must be >= 0")
    runner = Runner(db, [monitor], CountingEngine(), clock=clock)
    assert runner.poll(monitor).status == "stopped"
    clock.advance(3600)
    assert runner.run_pending() == []
    assert runner.poll(monitor).status == "skipped"  # the store refuses the claim too
    assert len(monitor.calls) == 1
    health = queries.source_health(db).iloc[0]
    assert (health["status"], health["last_error"]) == ("stopped", "bad.jsonl line 4: reach: must be >= 0")


def test_engine_failure_stores_messages_unscored(db, clock, items):
    engine = CountingEngine()
    engine.broken = True
    monitor = ListMonitor(items)
    assert Runner(db, [monitor], engine, clock=clock).poll(monitor).stored == 3
    with db.connect() as conn:
        assert set(conn.execute(sa.select(messages.c.label, messages.c.engine)).all()) == {(None, None)}


def test_two_runners_never_poll_one_source_at_once(db, clock, items):
    a_monitor, b_monitor = ListMonitor(items), ListMonitor(items)
    a = Runner(db, [a_monitor], CountingEngine(), clock=clock, owner="a")
    b = Runner(db, [b_monitor], CountingEngine(), clock=clock, owner="b")
    polled = []
    for _ in range(6):
        for runner in (a, b):
            polled += [runner.owner for o in runner.run_pending() if o.status == "ok"]
        clock.advance(10)
    assert len(polled) == 6  # once per interval in total, not once per runner
    assert len(a_monitor.calls) + len(b_monitor.calls) == 6
    assert stored_ids(db) == [str(i) for i in range(7)]


def test_runner_thread_runs_until_stopped(db, items):
    monitor = ListMonitor(items, interval_s=0.05)
    runner = Runner(db, [monitor], CountingEngine())
    thread, stop = runner.start_thread()
    try:
        for _ in range(200):
            if len(stored_ids(db)) == 7:
                break
            threading.Event().wait(0.02)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert stored_ids(db) == [str(i) for i in range(7)]


def test_intervals_have_jitter_when_asked(db, clock, items):
    monitor = ListMonitor(items, interval_s=100)
    runner = Runner(db, [monitor], CountingEngine(), clock=clock, interval_jitter=0.1)
    gaps = set()
    for _ in range(5):
        runner.poll(monitor)
        gaps.add(round(state(db).next_poll_at - clock.now, 6))
        clock.now = state(db).next_poll_at
    assert all(95 <= g <= 105 for g in gaps) and len(gaps) > 1
