"""The Slack monitor against a fake Slack Web API on loopback (base_url)."""

import json
import time

import pytest
import sqlalchemy as sa

from monitors.base import RetryAt, SourceStopped
from monitors.slack import SlackMonitor, monitor_client, pseudonym
from sentiment.lexicon import VaderEngine
from store import queries
from store.schema import messages, quarantine
from tests.conftest import FakeClock
from tests.fake_slack import FakeSlack, Workspace
from tests.rate_limits import polled_until_the_reset
from worker.runner import Runner

KEY = b"test-pseudonym-key"
NOW = FakeClock().now  # the tests' clock: message times are relative to it


def ts(seconds_ago: float) -> str:
    return f"{NOW - seconds_ago:.6f}"


@pytest.fixture
def slack():
    fake = FakeSlack()
    yield fake
    fake.close()


def monitor(slack, **kw):
    kw.setdefault("clock", FakeClock())
    return SlackMonitor(monitor_client("xoxb-test", slack.base_url, timeout_s=2), ["general", "#support"], KEY, **kw)


def test_history_pages_threads_and_skipped_messages(slack, clock):
    ws = Workspace(slack)
    ws.history["C1"] = [
        {"ts": ts(300), "user": "U1", "text": "Is the leak real?"},
        {"ts": ts(250), "user": "U2", "text": "joined", "subtype": "channel_join"},
        {"ts": ts(200), "bot_id": "B1", "text": "deploy finished", "user": "U9"},
        {"ts": ts(150), "user": "U3", "text": "Support queue is exploding", "reply_count": 1, "latest_reply": ts(100)},
        {"ts": ts(120), "user": "U1", "text": "Any line from comms yet?"},
    ]
    ws.replies[ts(150)] = [{"ts": ts(100), "user": "U4", "text": "Same here, 900 tickets", "thread_ts": ts(150)}]
    result = monitor(slack, page_size=2, clock=clock).poll(None)
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

    # Next polls: only what is new, and new replies in a followed thread once threads are re-checked.
    ws.history["C1"].append({"ts": ts(50), "user": "U5", "text": "All-hands at 3?"})
    ws.replies[ts(150)].append(
        {"ts": ts(40), "user": "U6", "text": "Customers asking about refunds", "thread_ts": ts(150)}
    )
    clock.advance(301)
    again = monitor(slack, page_size=2, clock=clock, thread_check_s=300).poll(result.cursor)
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


def test_429_is_this_sources_next_poll_not_a_wait_inside_slack_sdk(slack, clock):
    Workspace(slack)
    slack.script.append((429, {"Retry-After": "45"}, {"ok": False, "error": "ratelimited"}))
    started = time.monotonic()
    with pytest.raises(RetryAt) as err:
        monitor(slack, clock=clock).poll(None)
    assert err.value.when == clock.now + 45 and "429" in err.value.reason
    assert len(slack.requests) == 1  # asked once: no retry handler sleeping on the runner's time
    assert time.monotonic() - started < 5


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
        SlackMonitor(monitor_client("xoxb-test", slack.base_url, timeout_s=1), ["general"], KEY).poll(None)
    assert time.monotonic() - started < 10


def test_source_health_through_the_runner(db, slack, clock):
    Workspace(slack)
    slack.script.append((200, {}, {"ok": False, "error": "token_revoked"}))
    m = monitor(slack)
    assert Runner(db, [m], VaderEngine(), clock=clock).poll(m).status == "stopped"
    assert queries.source_health(db).iloc[0]["last_error"].startswith("Slack refused the token (token_revoked)")


# --- subtypes, mentions, threads, backfill, 429s, errors -------------------------

# Shapes from Slack's message subtype reference: what conversations.history returns for each.
SUBTYPES = [
    ({"user": "U1", "text": "plain words"}, "plain words"),
    ({"subtype": "thread_broadcast", "user": "U2", "text": "broadcast reply", "thread_ts": ts(9000), "root": {}}, "b"),
    ({"subtype": "file_share", "user": "U3", "text": "see the screenshot", "files": [{"id": "F1"}]}, "f"),
    ({"subtype": "file_share", "user": "U3", "text": "", "files": [{"id": "F2"}]}, None),  # no words
    ({"subtype": "me_message", "user": "U4", "text": "is on the phone with the press"}, "me"),
    ({"subtype": "channel_join", "user": "U5", "text": "<@U5> has joined the channel"}, None),
    ({"subtype": "channel_leave", "user": "U5", "text": "<@U5> has left the channel"}, None),
    ({"subtype": "group_join", "user": "U5", "text": "<@U5> has joined the group"}, None),
    ({"subtype": "channel_topic", "user": "U6", "text": "set the channel topic: Outage", "topic": "Outage"}, None),
    ({"subtype": "group_topic", "user": "U6", "text": "set the channel topic: Leak", "topic": "Leak"}, None),
    ({"subtype": "group_purpose", "user": "U6", "text": "set the channel purpose: x", "purpose": "x"}, None),
    ({"subtype": "channel_name", "user": "U6", "text": "renamed the channel", "name": "n", "old_name": "o"}, None),
    ({"subtype": "channel_convert_to_private", "user": "U6", "text": "made this channel private"}, None),
    ({"subtype": "reminder_add", "user": "U7", "text": "set up a reminder \u201ccall legal\u201d"}, None),
    ({"subtype": "bot_message", "bot_id": "B1", "username": "deploybot", "text": "deploy done"}, None),
    ({"bot_id": "B2", "user": "U8", "text": "posted by an app", "app_id": "A1"}, None),
    ({"subtype": "pinned_item", "user": "U6", "text": "pinned a message"}, None),
    ({"subtype": "channel_archive", "user": "U6", "text": "archived the channel"}, None),
    ({"subtype": "huddle_thread", "user": "U6", "text": "A huddle started"}, None),
    ({"subtype": "sh_room_created", "user": "U6", "text": ""}, None),
    ({"subtype": "slackbot_response", "user": "USLACKBOT", "text": "canned answer"}, None),
    ({"subtype": "joiner_notification", "user": "U6", "text": "welcome"}, None),
    ({"subtype": "ekm_access_denied", "user": "UREVOKED", "text": "Your admins have suspended access"}, None),
    ({"subtype": "tombstone", "user": "USLACKBOT", "text": "This message was deleted.", "hidden": True}, None),
    ({"subtype": "message_deleted", "hidden": True, "deleted_ts": "1.0", "text": ""}, None),
    ({"subtype": "message_changed", "hidden": True, "message": {"text": "edited"}, "text": ""}, None),
    ({"user": "U9", "text": "hidden plain", "hidden": True}, None),
    ({"subtype": "some_future_subtype", "user": "U9", "text": "unknown kinds are not assumed to be words"}, None),
]


def test_only_peoples_words_are_kept(slack):
    ws = Workspace(slack)
    ws.history["C1"] = [{"type": "message", "ts": ts(1000 - i), **item} for i, (item, _) in enumerate(SUBTYPES)]
    kept = {m.external_id for m in monitor(slack).poll(None).messages}
    expected = {f"C1:{ts(1000 - i)}" for i, (_, words) in enumerate(SUBTYPES) if words}
    assert kept == expected and len(kept) == 4


def test_mentions_channels_and_links_become_plain_text_without_names(slack):
    ws = Workspace(slack)
    text = (
        "<@U1> and <@U2|maria.jansen> said <#C2|support> is swamped, see <https://status.example/x?a=1&amp;b=2|status>"
        " and <https://docs.example/raw> &amp; mail <mailto:maria.j@tidewell.example|maria.j@tidewell.example>"
        " <!here> <!subteam^S1|@comms-team> 3 &lt; 4 &gt; 2"
    )
    ws.history["C1"] = [{"ts": ts(60), "user": "U3", "text": text}, {"ts": ts(50), "user": "U2", "text": "hi <#C1>"}]
    got = {m.external_id: m for m in monitor(slack).poll(None).messages}
    first, second = got[f"C1:{ts(60)}"], got[f"C1:{ts(50)}"]
    assert first.text == (
        f"@{pseudonym(KEY, 'U1')} and @{pseudonym(KEY, 'U2')} said #support is swamped, see status"
        " and https://docs.example/raw & mail [email] @here @comms-team 3 < 4 > 2"
    )
    assert "maria" not in first.text and "U2" not in first.text
    assert second.author == pseudonym(KEY, "U2") and f"@{second.author}" in first.text  # same pseudonym
    assert second.text == "hi #general"


def test_a_parent_read_before_its_first_reply_still_gets_its_replies(slack, clock):
    ws = Workspace(slack)
    parent = ts(600)
    ws.history["C1"] = [{"ts": parent, "user": "U1", "text": "Who is answering the journalist?"}]
    m = monitor(slack, clock=clock, thread_check_s=300)
    first = m.poll(None)
    assert [x.text for x in first.messages] == ["Who is answering the journalist?"]
    # The first reply comes after the parent was read: history with oldest never returns the parent again.
    clock.advance(120)
    ws.replies[parent] = [{"ts": f"{clock.now:.6f}", "user": "U2", "text": "Comms is on it", "thread_ts": parent}]
    clock.advance(60)
    assert m.poll(first.cursor).messages == []  # not yet time to re-check threads
    second_cursor = m.poll(first.cursor).cursor
    clock.advance(300)
    third = m.poll(second_cursor)
    assert [x.text for x in third.messages] == ["Comms is on it"]
    # Replies long after the old 24 h window are still read while the thread is followed (7 days).
    clock.advance(3 * 86400)
    ws.replies[parent].append({"ts": f"{clock.now:.6f}", "user": "U3", "text": "Statement is out", "thread_ts": parent})
    clock.advance(301)
    fourth = m.poll(third.cursor)
    assert [x.text for x in fourth.messages] == ["Statement is out"]
    # After the window the thread is no longer followed, and the cursor forgets it (bounded state).
    clock.advance(5 * 86400)
    ws.replies[parent].append({"ts": f"{clock.now:.6f}", "user": "U3", "text": "late", "thread_ts": parent})
    clock.advance(301)
    fifth = m.poll(fourth.cursor)
    assert fifth.messages == [] and parent not in json.loads(fifth.cursor)["ch"]["C1"]["threads"]


def test_a_tombstoned_parent_keeps_its_thread(slack, clock):
    ws = Workspace(slack)
    parent = ts(600)
    ws.history["C1"] = [
        {"ts": parent, "subtype": "tombstone", "user": "USLACKBOT", "text": "This message was deleted.", "hidden": True}
    ]
    ws.replies[parent] = [{"ts": ts(500), "user": "U2", "text": "still relevant", "thread_ts": parent}]
    assert [x.text for x in monitor(slack, clock=clock).poll(None).messages] == ["still relevant"]


def test_first_poll_backfills_only_the_configured_window(slack, clock):
    ws = Workspace(slack)
    ws.history["C1"] = [
        {"ts": f"{clock.now - 3 * 3600:.6f}", "user": "U1", "text": "recent"},
        {"ts": f"{clock.now - 30 * 3600:.6f}", "user": "U1", "text": "too old"},
    ]
    result = monitor(slack, clock=clock, backfill_s=24 * 3600).poll(None)
    assert [x.text for x in result.messages] == ["recent"]
    oldest = {float(r["body"]["oldest"]) for r in slack.requests if r["method"] == "conversations.history"}
    assert oldest == {clock.now - 24 * 3600}


def test_a_429_mid_backfill_keeps_the_pages_already_read(slack, clock):
    ws = Workspace(slack)
    ws.history["C1"] = [{"ts": f"{clock.now - 60 * i:.6f}", "user": "U1", "text": f"m{i}"} for i in range(1, 11)]
    ws.rate_limit = lambda method, n: 90 if n == 5 else None  # list, C1, C2 (empty), C1, then 429
    m = monitor(slack, clock=clock, page_size=3)
    first = m.poll(None)
    assert len(first.messages) == 6  # two pages kept, not thrown away
    # Retry-After is the source's next poll (the runner schedules it, in the store).
    assert first.retry.when == clock.now + 90 and first.retry.reason == "Slack rate limit (429): waiting 90 s"
    clock.advance(91)
    second = m.poll(first.cursor)
    assert {x.text for x in first.messages} | {x.text for x in second.messages} == {f"m{i}" for i in range(1, 11)}
    assert not {x.external_id for x in first.messages} & {x.external_id for x in second.messages}


def test_missing_scope_names_the_scope(slack):
    Workspace(slack)
    slack.script.append(
        (200, {}, {"ok": False, "error": "missing_scope", "needed": "channels:read", "provided": "chat:write"})
    )
    with pytest.raises(SourceStopped, match="lacks the scope channels:read .*has: chat:write"):
        monitor(slack).poll(None)


@pytest.mark.parametrize("error, advice", [("not_in_channel", "invite the bot"), ("channel_not_found", "deleted")])
def test_channel_errors_name_the_channel(slack, error, advice):
    ws = Workspace(slack)
    ws.history["C2"] = [{"ts": ts(10), "user": "U1", "text": "x"}]

    def refuse(body):
        if body["channel"] == "C2":
            return 200, {}, {"ok": False, "error": error}
        return ws.history_page(body)

    slack.routes["conversations.history"] = refuse
    with pytest.raises(SourceStopped, match=rf"#support \(C2\): {error}: .*{advice}"):
        monitor(slack).poll(None)


def test_the_monitors_client_has_a_timeout_and_no_rate_limit_retry():
    from slack_sdk.http_retry import RateLimitErrorRetryHandler

    client = monitor_client("xoxb-test", "http://127.0.0.1:9/api/", timeout_s=7)
    assert client.timeout == 7
    assert not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers)


def test_without_groups_read_public_channels_still_resolve(slack):
    ws = Workspace(slack)
    ws.history["C1"] = [{"ts": ts(10), "user": "U1", "text": "public words"}]
    lists = ws.list_page

    def no_private(body):
        if "private_channel" in body.get("types", ""):
            return (
                200,
                {},
                {"ok": False, "error": "missing_scope", "needed": "groups:read", "provided": "channels:read"},
            )
        return lists(body)

    slack.routes["conversations.list"] = no_private
    assert [m.text for m in monitor(slack).poll(None).messages] == ["public words"]


def test_a_deleted_thread_is_dropped_not_retried_forever(slack, clock):
    ws = Workspace(slack)
    gone, kept = ts(600), ts(500)
    ws.history["C1"] = [{"ts": gone, "user": "U1", "text": "a"}, {"ts": kept, "user": "U1", "text": "b"}]
    ws.replies[gone] = [{"ts": ts(400), "user": "U2", "text": "r1", "thread_ts": gone}]
    ws.replies[kept] = [{"ts": ts(300), "user": "U2", "text": "r2", "thread_ts": kept}]
    replies = ws.replies_page
    slack.routes["conversations.replies"] = lambda body: (
        (200, {}, {"ok": False, "error": "thread_not_found"}) if body["ts"] == gone else replies(body)
    )
    result = monitor(slack, clock=clock).poll(None)
    assert sorted(m.text for m in result.messages) == ["a", "b", "r2"]
    assert list(json.loads(result.cursor)["ch"]["C1"]["threads"]) == [kept]


def test_a_message_with_a_malformed_ts_is_quarantined_with_the_reason_not_skipped(db, slack, clock):
    ws = Workspace(slack)
    parent = ts(300)
    ws.history["C1"] = [
        {"ts": ts(400), "user": "U1", "text": "fine"},
        {"ts": "not-a-time", "user": "U2", "text": "Is <@U7> answering the press?"},
        {"ts": "nan", "user": "U3", "text": "float() would take this one"},
        {"ts": "5", "user": "U4", "text": "joined", "subtype": "channel_join"},  # not words: skipped as ever
        {"ts": parent, "user": "U1", "text": "thread", "reply_count": 2, "latest_reply": ts(200)},
    ]
    ws.replies[parent] = [
        {"ts": ts(200), "user": "U5", "text": "a reply", "thread_ts": parent},
        {"ts": "12:00", "user": "U6", "text": "a reply with a broken ts", "thread_ts": parent},
    ]
    watch = monitor(slack, clock=clock)
    result = watch.poll(None)
    assert sorted(m.text for m in result.messages) == ["a reply", "fine", "thread"]
    bad = {q.external_id: q for q in result.quarantined}
    assert set(bad) == {"C1:not-a-time", "C1:nan", "C1:12:00"}
    assert bad["C1:not-a-time"].reason == "Slack message with a malformed ts: 'not-a-time'"
    raw = json.loads(bad["C1:not-a-time"].raw)
    # As pseudonymous as a stored message: no user id, mentions as pseudonyms.
    assert raw["author"] == pseudonym(KEY, "U2") and "U2" not in bad["C1:not-a-time"].raw
    assert raw["text"] == f"Is @{pseudonym(KEY, 'U7')} answering the press?"
    # Through the runner: quarantined in the poll's transaction, shown on the Sources page, once.
    runner = Runner(db, [monitor(slack, clock=clock)], VaderEngine(), clock=clock)
    assert runner.poll(runner.monitors[0]).stored == 3
    clock.advance(120)
    runner.poll(runner.monitors[0])
    with db.connect() as conn:
        rows = conn.execute(sa.select(quarantine.c.external_id, quarantine.c.reason)).all()
    assert sorted(r.external_id for r in rows) == ["C1:12:00", "C1:nan", "C1:not-a-time"]


def test_through_the_runner_a_429_mid_poll_is_the_sources_next_poll(db, slack):
    ws = Workspace(slack)
    now = time.time()
    ws.history["C1"] = [{"ts": f"{now - 60 * i:.6f}", "user": "U1", "text": f"m{i}"} for i in range(1, 11)]
    ws.rate_limit = lambda method, n: 90 if n == 5 else None  # list, C1, C2 (empty), C1, then 429
    watch = monitor(slack, page_size=3)
    _, _, outcome = polled_until_the_reset(db, watch, lambda: len(slack.requests), 90, "Slack rate limit (429)")
    assert outcome.stored == 6  # the pages read before the 429
