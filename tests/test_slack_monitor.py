"""The Slack monitor against a fake Slack Web API on loopback (base_url)."""

import time

import pytest
import sqlalchemy as sa

from crisis.notify import slack_client
from monitors.base import RetryAt, SourceStopped
from monitors.slack import SlackMonitor, pseudonym
from sentiment.lexicon import VaderEngine
from store import queries
from store.schema import messages
from tests.fake_slack import FakeSlack
from worker.runner import Runner

KEY = b"test-pseudonym-key"
NOW = time.time()


def ts(seconds_ago: float) -> str:
    return f"{NOW - seconds_ago:.6f}"


class Workspace:
    """A tiny Slack: channels, their histories, threads; history pages of 2."""

    def __init__(self, fake: FakeSlack):
        self.channels = [{"id": "C1", "name": "general"}, {"id": "C2", "name": "support"}]
        self.history = {"C1": [], "C2": []}
        self.replies: dict[str, list] = {}
        fake.routes.update(
            {
                "conversations.list": lambda body: (200, {}, {"ok": True, "channels": self.channels}),
                "conversations.history": self.history_page,
                "conversations.replies": self.replies_page,
            }
        )

    def history_page(self, body):
        items = [m for m in self.history[body["channel"]] if float(m["ts"]) > float(body.get("oldest", 0))]
        items.sort(key=lambda m: -float(m["ts"]))
        start = int(body.get("cursor") or 0)
        page = items[start : start + 2]
        meta = {"next_cursor": str(start + 2)} if start + 2 < len(items) else {}
        return 200, {}, {"ok": True, "messages": page, "response_metadata": meta}

    def replies_page(self, body):
        thread = self.replies.get(body["ts"], [])
        items = [m for m in thread if float(m["ts"]) > float(body.get("oldest", 0))]
        return 200, {}, {"ok": True, "messages": [{"ts": body["ts"], "text": "parent", "user": "U1"}, *items]}


@pytest.fixture
def slack():
    fake = FakeSlack()
    yield fake
    fake.close()


def monitor(slack, **kw):
    return SlackMonitor(slack_client("xoxb-test", slack.base_url, timeout_s=2), ["general", "#support"], KEY, **kw)


def test_history_pages_threads_and_skipped_messages(slack):
    ws = Workspace(slack)
    ws.history["C1"] = [
        {"ts": ts(300), "user": "U1", "text": "Is the leak real?"},
        {"ts": ts(250), "user": "U2", "text": "joined", "subtype": "channel_join"},
        {"ts": ts(200), "bot_id": "B1", "text": "deploy finished", "user": "U9"},
        {"ts": ts(150), "user": "U3", "text": "Support queue is exploding", "reply_count": 1, "latest_reply": ts(100)},
        {"ts": ts(120), "user": "U1", "text": "Any line from comms yet?"},
    ]
    ws.replies[ts(150)] = [{"ts": ts(100), "user": "U4", "text": "Same here, 900 tickets", "thread_ts": ts(150)}]
    result = monitor(slack).poll(None)
    texts = sorted(m.text for m in result.messages)
    assert texts == [
        "Any line from comms yet?",
        "Is the leak real?",
        "Same here, 900 tickets",
        "Support queue is exploding",
    ]
    authors = {m.text: m.author for m in result.messages}
    assert authors["Is the leak real?"] == pseudonym(KEY, "U1") and authors["Is the leak real?"].startswith("staff-")
    assert "U1" not in authors["Is the leak real?"]  # no Slack id, no name
    assert {m.channel for m in result.messages} == {"#general"}
    history_calls = [
        r for r in slack.requests if r["method"] == "conversations.history" and r["body"]["channel"] == "C1"
    ]
    assert len(history_calls) == 3  # five messages, pages of two

    # Next poll: only what is new, including a new reply in a followed thread.
    ws.history["C1"].append({"ts": ts(50), "user": "U5", "text": "All-hands at 3?"})
    ws.replies[ts(150)].append(
        {"ts": ts(40), "user": "U6", "text": "Customers asking about refunds", "thread_ts": ts(150)}
    )
    again = monitor(slack).poll(result.cursor)
    assert sorted(m.text for m in again.messages) == ["All-hands at 3?", "Customers asking about refunds"]


def test_same_page_twice_stores_nothing_twice(db, slack, clock):
    ws = Workspace(slack)
    ws.history["C2"] = [{"ts": ts(10), "user": "U1", "text": "hello"}]
    slack_monitor = monitor(slack)
    runner = Runner(db, [slack_monitor], VaderEngine(), clock=clock)
    runner.poll(slack_monitor)
    # A restart that lost its cursor reads the same page again.
    from store import sources

    sources.set_cursor(db, "slack", None)
    clock.advance(120)
    runner.poll(slack_monitor)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 1


@pytest.mark.parametrize(
    "reply, expected",
    [
        ((200, {}, {"ok": False, "error": "invalid_auth"}), SourceStopped),
        ((200, {}, {"ok": False, "error": "internal_error"}), RuntimeError),
        ((500, {}, b"oops"), RuntimeError),
        ((200, {}, b"{not json"), Exception),
    ],
)
def test_errors(slack, reply, expected):
    Workspace(slack)
    slack.script.extend([reply] * 3)  # also exhausts slack-sdk's own retries on 5xx
    with pytest.raises(expected):
        monitor(slack).poll(None)


def test_429_with_retry_after_becomes_this_sources_wait(slack, clock):
    Workspace(slack)
    slack.script.extend([(429, {"Retry-After": "0"}, {"ok": False, "error": "ratelimited"})] * 2)
    slack.script.append((429, {"Retry-After": "30"}, {"ok": False, "error": "ratelimited"}))
    with pytest.raises(RetryAt) as err:
        monitor(slack, clock=clock).poll(None)
    assert err.value.when == clock.now + 30


def test_unknown_channel_names_stop_the_source(slack):
    ws = Workspace(slack)
    ws.channels = [{"id": "C1", "name": "general"}]
    with pytest.raises(SourceStopped, match="not found .* #support"):
        monitor(slack).poll(None)


def test_slow_responses_time_out(slack):
    Workspace(slack)

    def slow(body):
        time.sleep(3)
        return 200, {}, {"ok": True, "channels": []}

    slack.routes["conversations.list"] = slow
    started = time.monotonic()
    with pytest.raises(Exception):
        SlackMonitor(slack_client("xoxb-test", slack.base_url, timeout_s=1), ["general"], KEY).poll(None)
    assert time.monotonic() - started < 10


def test_source_health_through_the_runner(db, slack, clock):
    Workspace(slack)
    slack.script.append((200, {}, {"ok": False, "error": "token_revoked"}))
    m = monitor(slack)
    assert Runner(db, [m], VaderEngine(), clock=clock).poll(m).status == "stopped"
    assert queries.source_health(db).iloc[0]["last_error"].startswith("Slack refused the token (token_revoked)")
