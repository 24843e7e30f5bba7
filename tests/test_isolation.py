"""Sources are isolated: one that never answers, or answers after its
deadline, delays no other source, detection or the heartbeat, and what it
returns late is never committed."""

import re
import socket
import threading
import time

import pytest
import sqlalchemy as sa

from monitors.base import PollResult
from monitors.feeds import FeedMonitor
from sentiment.lexicon import VaderEngine
from store import queries, runners
from store.schema import messages, source_state
from tests.conftest import message
from worker.runner import Runner

HANG_S = 300  # what the issue asks for: longer than this test runs


class SilentServer:
    """Accepts every connection and never answers a byte (until closed)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.accepted: list[socket.socket] = []
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/feed.xml"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()


class Steady:
    """A healthy source: one new message per poll, and when each poll came."""

    def __init__(self, name="steady", interval_s=0.3):
        self.name, self.interval_s = name, interval_s
        self.polled_at: list[float] = []

    def poll(self, cursor):
        self.polled_at.append(time.monotonic())
        n = int(cursor or 0)
        item = message(f"{self.name}-{n}", f"steady news {n}", source="news", at=time.time())
        return PollResult([item], str(n + 1))


class Detector:
    def __init__(self):
        self.evaluated_at: list[float] = []

    def evaluate(self, now):
        self.evaluated_at.append(time.monotonic())


class HangingNotifier:
    """Slack answering 429 with a long Retry-After: the retry handler sleeps."""

    client = None

    def __init__(self):
        self.calls = 0

    def queue_digest(self):
        return False

    def send_pending(self):
        self.calls += 1
        time.sleep(HANG_S)


def max_gap(times: list[float]) -> float:
    return max(b - a for a, b in zip(times, times[1:]))


def test_a_source_that_never_answers_delays_no_other_source_nor_detection(db, silent):
    # A client that waits far longer than the test (like tweepy.Client, which has no timeout).
    hung = FeedMonitor("hung", silent.url, interval_s=0.3, timeout_s=HANG_S)
    steady, detector = Steady(), Detector()
    runner = Runner(
        db,
        [hung, steady],  # the hung source first: polled one after another, it would hold up the other
        VaderEngine(),
        poll_deadline_s=0.5,
        lease_s=5,
        backoff_base_s=0.2,
        backoff_max_s=0.4,
        cycle_s=0.1,
        detector=detector,
        notifier=HangingNotifier(),
    )
    thread, stop = runner.start_thread()
    started = time.monotonic()
    try:
        time.sleep(4)
        # The wall's own query shows the steady source's news, polled every interval.
        wall = queries.latest_messages(db, 100)
        assert len(wall) >= 6 and set(wall["source"]) == {"news"}
        gaps = [b - a for a, b in zip(steady.polled_at, steady.polled_at[1:])]
        assert steady.polled_at[0] - started < 1.0
        assert max(gaps) < steady.interval_s + 0.5, gaps  # within one poll interval (plus scheduling slack)
        # Detection kept its pace while the source hung and Slack slept in a retry.
        assert len(detector.evaluated_at) >= 10 and max_gap(detector.evaluated_at) < 1.0
        assert runner.owner in set(runners.alive(db, time.time())["owner"])  # the heartbeat went on
        # The hung source is failing, says why, and has one stuck call at most (no pile of threads).
        with db.connect() as conn:
            row = conn.execute(sa.select(source_state).where(source_state.c.name == "feed:hung")).one()
        assert row.status == "no_answer" and row.last_error.startswith("no answer within 0.5 s")
        assert row.consecutive_failures >= 2 and row.cursor is None
        assert len(silent.accepted) == 1
        assert sum(t.name == "crisisdesk-poll:feed:hung" for t in threading.enumerate()) == 1
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()  # stopping does not wait for the sleeping notifier


class Late:
    """Answers, but only once the test lets it (after the runner gave up)."""

    def __init__(self, name="late", interval_s=10.0):
        self.name, self.interval_s = name, interval_s
        self.go, self.returned = threading.Event(), threading.Event()
        self.calls = 0

    def poll(self, cursor):
        self.calls += 1
        self.go.wait(30)
        try:
            return PollResult([message("late-1", "stale news")], "stale-cursor")
        finally:
            self.returned.set()


def test_a_poll_past_its_deadline_is_abandoned_and_its_late_answer_never_committed(db, clock):
    late = Late()
    runner = Runner(db, [late], VaderEngine(), clock=clock, poll_deadline_s=0.2, lease_s=30, backoff_base_s=5)
    outcome = runner.poll(late)
    assert (outcome.status, outcome.error) == ("no_answer", "no answer within 0.2 s")

    # Due again while the abandoned call still runs: the source is not polled a second time.
    clock.advance(60)
    again = runner.poll(late)
    assert again.status == "no_answer" and "still not returned" in again.error
    assert late.calls == 1

    late.go.set()  # now it answers: nobody is listening
    assert late.returned.wait(5)
    time.sleep(0.2)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 0
        row = conn.execute(sa.select(source_state).where(source_state.c.name == "late")).one()
    assert (row.cursor, row.status, row.consecutive_failures) == (None, "no_answer", 2)

    # Once that call has ended, the next poll asks the source afresh and stores normally.
    clock.advance(60)
    assert runner.poll(late).status == "ok" and late.calls == 2


class OutlivesLease:
    """Returns in time for the deadline, but the runner's clock says the lease ran out (a stalled process)."""

    name, interval_s = "stalled", 10.0

    def __init__(self, clock):
        self.clock = clock

    def poll(self, cursor):
        self.clock.advance(31)
        return PollResult([message("m1", "old news")], "next")


def test_a_batch_is_not_committed_after_its_lease_ran_out(db, clock):
    monitor = OutlivesLease(clock)
    runner = Runner(db, [monitor], VaderEngine(), clock=clock, lease_s=30)
    assert runner.poll(monitor).status == "skipped"  # LeaseLost: another runner may hold it now
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 0
        assert conn.execute(sa.select(source_state.c.cursor)).scalar() is None


def test_poll_deadline_must_be_less_than_the_lease(db):
    with pytest.raises(ValueError, match="poll_deadline_s"):
        Runner(db, [], VaderEngine(), lease_s=10, poll_deadline_s=10)


def test_every_source_client_is_built_with_a_timeout(tmp_path, monkeypatch, silent):
    import requests

    from settings import load_settings
    from tests.conftest import write_config
    from worker.sources import build_monitors

    monkeypatch.setenv("X_BEARER_TOKEN", "x-token")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-token")
    monkeypatch.setenv("CRISISDESK_PSEUDONYM_KEY", "k")
    path = write_config(
        tmp_path,
        f'[app]\nmode = "live"\ndata_dir = "{tmp_path / "data"}"\n[runner]\nclient_timeout_s = 0.5\n'
        '[sources.x]\nenabled = true\nquery = "tidewell"\n[sources.slack]\nenabled = true\nchannels = ["general"]\n'
        f'[[sources.feeds]]\nname = "ledger"\nurl = "{silent.url}"\n',
    )
    x, slack, feed = build_monitors(load_settings(path))
    assert slack.client.timeout == 1  # slack-sdk takes whole seconds
    assert feed.timeout_s == 0.5
    # tweepy.Client sends without a timeout; its session adds one: a silent server fails fast.
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        x.client.session.get(silent.url)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    "runner, says",
    [
        ("lease_s = 60\npoll_deadline_s = 60\n", "poll_deadline_s (60) must be less than lease_s (60)"),
        ("poll_deadline_s = 5\nclient_timeout_s = 10\n", "client_timeout_s (10) must not exceed poll_deadline_s (5)"),
        ("poll_deadline_s = 0\n", "poll_deadline_s"),
    ],
)
def test_config_refuses_a_deadline_the_lease_or_a_timeout_would_outlive(tmp_path, runner, says):
    from settings import ConfigError, load_settings
    from tests.conftest import write_config

    with pytest.raises(ConfigError, match=re.escape(says)):
        load_settings(write_config(tmp_path, f"[runner]\n{runner}"))


class OneAtATime:
    """An engine that is not thread-safe (like a fast tokenizer): it fails if called concurrently."""

    name, version = "one-at-a-time", "1"

    def __init__(self):
        self.busy = threading.Lock()
        self.calls = 0

    def score(self, texts):
        from model.score import Score

        if not self.busy.acquire(blocking=False):
            raise RuntimeError("Already borrowed")
        try:
            self.calls += 1
            time.sleep(0.05)
            return [Score("neutral", 0.0) for _ in texts]
        finally:
            self.busy.release()


def test_sources_on_their_own_threads_never_score_at_the_same_time(db):
    engine = OneAtATime()
    monitors = [Steady(name=f"s{i}", interval_s=0.05) for i in range(4)]
    runner = Runner(db, monitors, engine, poll_deadline_s=1, lease_s=5, cycle_s=0.1)
    thread, stop = runner.start_thread()
    time.sleep(1.5)
    stop.set()
    thread.join(10)
    with db.connect() as conn:
        unscored = conn.execute(sa.select(sa.func.count()).where(messages.c.label.is_(None))).scalar()
    assert engine.calls >= 8 and unscored == 0
