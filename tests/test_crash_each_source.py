"""For each live source: a runner killed between fetch and commit, then
restarted, loses nothing and duplicates nothing (exact message sets)."""

import pytest
import sqlalchemy as sa
import tweepy

import store.sources
from crisis.notify import slack_client
from monitors.feeds import FeedMonitor
from monitors.slack import SlackMonitor
from monitors.x import XMonitor
from sentiment.lexicon import VaderEngine
from store.schema import messages
from tests.fake_slack import FakeSlack
from tests.fake_x import FakeX
from tests.test_feeds_monitor import FeedServer
from tests.test_slack_monitor import Workspace, ts
from tests.test_x_monitor import page
from worker.runner import Runner


def x_source(clock):
    fake = FakeX()
    fake.script.extend([page([3, 2, 1]), page([3, 2, 1]), page([])])  # the crashed poll is asked again
    client = tweepy.Client(bearer_token="t", return_type=dict)
    fake.attach(client)
    return XMonitor(client, "tidewell", clock=clock), fake.close, {"1", "2", "3"}


def slack_source(clock):
    fake = FakeSlack()
    ws = Workspace(fake)
    ws.history["C1"] = [{"ts": ts(30), "user": "U1", "text": "one"}, {"ts": ts(20), "user": "U2", "text": "two"}]
    monitor = SlackMonitor(slack_client("xoxb", fake.base_url, timeout_s=5), ["general"], b"k", clock=clock)
    return monitor, fake.close, {f"C1:{ts(30)}", f"C1:{ts(20)}"}


def feed_source(clock):
    server = FeedServer()
    monitor = FeedMonitor("ledger", server.url, interval_s=60, clock=clock)
    return monitor, server.server.shutdown, None  # ids are hashes: compared by count and text below


@pytest.mark.parametrize("make", [x_source, slack_source, feed_source], ids=["x", "slack", "feed"])
def test_killed_between_fetch_and_commit(db, clock, monkeypatch, make):
    monitor, close, expected = make(clock)
    try:
        runner = Runner(db, [monitor], VaderEngine(), clock=clock, lease_s=30)

        def killed(*args, **kwargs):
            raise KeyboardInterrupt("killed between fetch and commit")

        monkeypatch.setattr(store.sources, "record_success", killed)
        with pytest.raises(KeyboardInterrupt):
            runner.poll(monitor)
        monkeypatch.undo()
        with db.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 0  # nothing half-stored

        clock.advance(31)  # the dead runner's lease runs out
        restarted = Runner(db, [monitor], VaderEngine(), clock=clock)
        assert restarted.poll(monitor).status == "ok"
        clock.advance(monitor.interval_s + 1)
        assert restarted.poll(monitor).status == "ok"  # polling on adds nothing twice
        with db.connect() as conn:
            stored = list(conn.execute(sa.select(messages.c.external_id)).scalars())
        assert len(stored) == len(set(stored))
        if expected is not None:
            assert set(stored) == expected
        else:
            assert len(stored) == 2
    finally:
        close()
