"""Microsoft Teams as an internal source: msal client credentials against a fake
token endpoint and channel-message delta queries against a fake Graph, both on
loopback over HTTPS. Authors become the same pseudonyms as Slack's, HTML
becomes plain text, system and bot messages are skipped, and the messages are
internal everywhere Slack's are."""

from __future__ import annotations

import json
import time

import pytest

from monitors.base import NotConfigured, RetryAt, SourceStopped
from monitors.slack import pseudonym
from monitors.teams import TeamsMonitor, TeamsUnavailable, build
from settings.registry import internal_sources
from settings.schema import TeamsSource
from tests.fake_graph import FakeGraph, chat_message

KEY = b"pseudonym-key-for-tests"
SECRET = "graph-secret-Qq9-never-shown"
TEAM, CHANNEL = "team-1", "19:channel@thread.tacv2"


@pytest.fixture
def graph(monkeypatch):
    fake = FakeGraph(client_secret=SECRET)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca_path)  # trust the fake's self-signed certificate
    fake.add_channel(TEAM, CHANNEL, "incident-room")
    yield fake
    fake.close()


def monitor(graph, secret: str | None = SECRET, timeout_s: float = 5, **section) -> TeamsMonitor:
    cfg = TeamsSource(
        enabled=True,
        tenant_id=graph.tenant,
        client_id=graph.client_id,
        channels=[f"{TEAM}/{CHANNEL}"],
        authority_url=graph.base_url,
        graph_url=f"{graph.base_url}/v1.0",
        timeout_s=timeout_s,
        **section,
    )
    watch = build(cfg, KEY, lambda env, sec, key: secret)
    watch.clock = lambda: 1_800_000_000 + 3600  # 2027-01-15 09:00 UTC, an hour after the fake's first message
    return watch


def graph_calls(graph) -> list[dict]:
    return [r for r in graph.requests if r["path"].startswith("/v1.0/")]


def test_messages_become_pseudonymous_plain_text_and_system_messages_are_skipped(graph):
    graph.post(
        TEAM,
        CHANNEL,
        chat_message(
            "1001",
            '<p>Customers are <b>furious</b> about the leak &amp; <at id="0">Bob Smith</at> agrees</p><p>Escalate?</p>',
            user_id="aad-jane",
            name="Jane Doe",
            minutes=1,
            mentions=[{"id": 0, "mentionText": "Bob Smith", "mentioned": {"user": {"id": "aad-bob"}}}],
            subject="Leak",
        ),
        chat_message("1002", "<systemEventMessage/>", message_type="systemEventMessage", minutes=2),
        chat_message("1003", "<p>Build 42 passed</p>", user_id=None, minutes=3),  # a bot
        chat_message("1004", "<script>alert(1)</script>plain words", user_id="aad-bob", minutes=4),
    )
    result = monitor(graph).poll(None)
    first, second = result.messages
    assert (
        first.text == f"Leak\n\nCustomers are furious about the leak & @{pseudonym(KEY, 'aad-bob')} agrees\n\nEscalate?"
    )
    assert (first.source, first.channel, first.author) == ("teams", "#incident-room", pseudonym(KEY, "aad-jane"))
    assert "Jane" not in json.dumps([m.__repr__() for m in result.messages]) and "Bob" not in first.text
    assert first.external_id == f"{CHANNEL}:1001" and first.url.startswith("https://teams.microsoft.com/")
    assert second.text == "alert(1)plain words"  # markup dropped, never rendered
    assert "teams" in internal_sources()
    token = [r for r in graph.requests if r["path"].endswith("/oauth2/v2.0/token")][0]
    assert token["form"]["grant_type"] == "client_credentials"
    assert token["form"]["scope"] == "https://graph.microsoft.com/.default"
    delta = [r for r in graph_calls(graph) if r["path"].endswith("/messages/delta")][0]
    assert delta["params"]["$filter"] == "lastModifiedDateTime gt 2027-01-14T09:00:00.000Z"  # backfill_h = 24
    assert delta["auth"].startswith("Bearer graph-token-")


def test_delta_links_are_the_cursor_and_only_new_messages_come_back(graph):
    graph.post(TEAM, CHANNEL, *[chat_message(f"{i}", f"<p>old {i}</p>", minutes=i) for i in range(7)])
    watch = monitor(graph, max_pages=2)
    watch.page_size = 3
    first = watch.poll(None)  # two pages of three; the third page waits for the next poll
    assert len(first.messages) == 6 and "skiptoken" in json.loads(first.cursor)["links"][f"{TEAM}/{CHANNEL}"]
    second = watch.poll(first.cursor)
    assert [m.text for m in second.messages] == ["old 6"]
    assert "deltatoken" in json.loads(second.cursor)["links"][f"{TEAM}/{CHANNEL}"]
    graph.post(TEAM, CHANNEL, chat_message("100", "<p>new one</p>", minutes=30))
    third = watch.poll(second.cursor)
    assert [m.text for m in third.messages] == ["new one"]
    assert watch.poll(third.cursor).messages == []
    # One token for all of it: msal caches it.
    assert len([r for r in graph.requests if r["path"].endswith("/token")]) == 1


def test_replies_of_recent_threads_are_read_once(graph):
    graph.post(TEAM, CHANNEL, chat_message("500", "<p>Who talks to the press?</p>", minutes=5))
    graph.reply("500", chat_message("501", "<p>Comms does</p>", user_id="aad-bob", minutes=6, reply_to="500"))
    watch = monitor(graph)
    first = watch.poll(None)
    assert [m.text for m in first.messages] == ["Who talks to the press?", "Comms does"]
    graph.reply("500", chat_message("502", "<p>Not legal?</p>", user_id="aad-ann", minutes=7, reply_to="500"))
    second = watch.poll(first.cursor)
    assert [m.text for m in second.messages] == ["Not legal?"]
    assert second.messages[0].external_id == f"{CHANNEL}:502"


def test_throttling_is_this_sources_next_poll(graph):
    graph.script.append((429, {"Retry-After": "45"}, {"error": {"code": "TooManyRequests", "message": "Slow down"}}))
    with pytest.raises(RetryAt) as caught:
        monitor(graph).poll(None)
    assert "429" in caught.value.reason and caught.value.when == 1_800_000_000 + 3600 + 45


def test_a_refused_secret_stops_the_source_without_echoing_it(graph):
    with pytest.raises(SourceStopped) as caught:
        monitor(graph, secret="wrong-" + SECRET).poll(None)
    assert "AADSTS7000215" in str(caught.value) and "TEAMS_CLIENT_SECRET" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_missing_permission_says_which(graph):
    graph.script.append((403, {}, {"error": {"code": "Forbidden", "message": "Missing role permissions"}}))
    with pytest.raises(SourceStopped, match="ChannelMessage.Read.All"):
        monitor(graph).poll(None)


def test_a_hung_graph_times_out(graph):
    watch = monitor(graph, timeout_s=0.5)
    watch.poll(None)
    graph.hang_s = 3
    started = time.monotonic()
    with pytest.raises(TeamsUnavailable, match="did not answer within 0.5 s"):
        watch.poll(None)
    assert time.monotonic() - started < 2.5


def test_without_a_secret_it_says_what_to_set():
    cfg = TeamsSource(enabled=True, tenant_id="t", client_id="c", channels=["team/channel"])
    with pytest.raises(NotConfigured, match="TEAMS_CLIENT_SECRET"):
        build(cfg, KEY, lambda env, sec, key: None).poll(None)


def test_config_needs_team_and_channel_ids():
    with pytest.raises(ValueError, match="team-id/channel-id"):
        TeamsSource(channels=["general"])
    with pytest.raises(ValueError, match="tenant_id"):
        TeamsSource(enabled=True, channels=["t/c"])


def test_only_the_most_recently_active_threads_are_followed(graph):
    graph.post(TEAM, CHANNEL, *[chat_message(f"{900 + i}", f"<p>root {i}</p>", minutes=i) for i in range(60)])
    result = monitor(graph, max_pages=2).poll(None)
    followed = json.loads(result.cursor)["threads"][f"{TEAM}/{CHANNEL}"]
    assert len(followed) == 50 and "900" not in followed and "959" in followed
    assert len([r for r in graph_calls(graph) if r["path"].endswith("/replies")]) == 50
