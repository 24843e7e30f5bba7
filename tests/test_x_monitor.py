"""The X monitor against a fake X API v2 on loopback, through tweepy."""

import json
import urllib.parse

import pytest
import sqlalchemy as sa
import tweepy

from monitors.base import RetryAt, SourceStopped
from monitors.x import MalformedPayload, XMonitor
from sentiment.lexicon import VaderEngine
from store import queries
from store.schema import messages
from tests.fake_x import FakeX
from worker.runner import Runner

USERS = [
    {"id": "u1", "username": "mira_secures", "public_metrics": {"followers_count": 84000}},
    {"id": "u2", "username": "ada", "public_metrics": {"followers_count": 120}},
]


def page(ids, next_token=None, newest=None):
    data = [
        {
            "id": str(i),
            "text": f"post {i} about @TidewellHome https://t.co/x{i}",
            "author_id": "u1" if i % 2 else "u2",
            "created_at": f"2027-01-15T08:00:{i % 60:02d}.000Z",
            "lang": "en",
        }
        for i in ids
    ]
    meta = {"result_count": len(data)}
    if data:
        meta["newest_id"] = newest or str(max(ids))
    if next_token:
        meta["next_token"] = next_token
    return (200, {}, {"data": data, "includes": {"users": USERS}, "meta": meta})


@pytest.fixture
def fake_x():
    fake = FakeX()
    yield fake
    fake.close()


def monitor(fake_x, clock, **kw):
    client = tweepy.Client(bearer_token="test-bearer", return_type=dict)
    fake_x.attach(client)
    return XMonitor(client, "tidewell -is:retweet", lang="en", clock=clock, **kw)


def params(request):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(request["path"]).query))


def test_pages_users_and_since_id(fake_x, clock):
    fake_x.script.extend([page([12, 11], next_token="t2"), page([10, 9])])
    result = monitor(fake_x, clock).poll(None)
    assert [m.external_id for m in result.messages] == ["12", "11", "10", "9"]
    first = result.messages[1]
    assert (first.author, first.reach, first.url) == ("@mira_secures", 84000, "https://x.com/mira_secures/status/11")
    assert "https://t.co/x11" in first.text  # links kept for display
    assert result.reads == 4
    q1, q2 = params(fake_x.requests[0]), params(fake_x.requests[1])
    assert q1["query"] == "tidewell -is:retweet lang:en" and "since_id" not in q1
    assert q1["expansions"] == "author_id" and "public_metrics" in q1["user.fields"]
    assert q2["next_token"] == "t2"
    assert fake_x.requests[0]["auth"] == "Bearer test-bearer"
    # The next poll asks only for what is newer.
    fake_x.script.append(page([]))
    again = monitor(fake_x, clock).poll(result.cursor)
    assert again.messages == [] and params(fake_x.requests[2])["since_id"] == "12"


def test_pagination_cut_short_continues_next_poll(fake_x, clock):
    fake_x.script.extend([page([30, 29], next_token="a"), page([28, 27], next_token="b")])
    x = monitor(fake_x, clock, max_pages=2)
    first = x.poll(None)
    assert json.loads(first.cursor)["pending"] == {"next_token": "b", "newest_id": "30"}
    fake_x.script.append(page([26]))
    second = x.poll(first.cursor)
    assert [m.external_id for m in second.messages] == ["26"]
    assert params(fake_x.requests[2])["next_token"] == "b"
    assert json.loads(second.cursor)["since_id"] == "30"


def test_429_waits_until_the_reset_time(fake_x, clock):
    fake_x.script.append((429, {"x-rate-limit-reset": str(int(clock.now) + 600)}, {"title": "Too Many Requests"}))
    with pytest.raises(RetryAt) as err:
        monitor(fake_x, clock).poll(None)
    assert err.value.when == int(clock.now) + 600 and "429" in err.value.reason
    fake_x.script.append((429, {}, {"title": "Too Many Requests"}))
    with pytest.raises(RetryAt) as err:
        monitor(fake_x, clock).poll(None)
    assert err.value.when == clock.now + 900


def test_401_stops_the_source_with_the_reason(fake_x, clock):
    fake_x.script.append((401, {}, {"title": "Unauthorized", "detail": "Unauthorized", "status": 401}))
    with pytest.raises(SourceStopped, match=r"X refused the request \(401\): check X_BEARER_TOKEN"):
        monitor(fake_x, clock).poll(None)


def test_503_and_malformed_payloads_raise_for_backoff(fake_x, clock):
    fake_x.script.append((503, {}, {"title": "Service Unavailable"}))
    with pytest.raises(tweepy.TwitterServerError):
        monitor(fake_x, clock).poll(None)
    fake_x.script.append((200, {}, {"data": [{"id": "1", "text": "no author"}], "meta": {}}))
    with pytest.raises(MalformedPayload, match="data.0.author_id: Field required"):
        monitor(fake_x, clock).poll(None)
    fake_x.script.append((200, {}, b"<html>gateway</html>"))
    with pytest.raises(Exception):
        monitor(fake_x, clock).poll(None)


def test_empty_result_keeps_the_cursor(fake_x, clock):
    fake_x.script.append(page([]))
    result = monitor(fake_x, clock).poll(json.dumps({"since_id": "99", "day": "2027-01-15", "reads": 3}))
    assert result.messages == [] and json.loads(result.cursor)["since_id"] == "99"


def test_daily_read_cap_stops_until_midnight(fake_x, clock):
    fake_x.script.extend([page(list(range(50, 40, -1)), next_token="more")])
    x = monitor(fake_x, clock, daily_read_cap=10)
    first = x.poll(None)
    assert first.reads == 10 and len(fake_x.requests) == 1  # stopped paging at the cap
    with pytest.raises(RetryAt) as err:
        x.poll(first.cursor)
    assert err.value.status == "capped" and err.value.when % 86400 == 0


def test_through_the_runner_the_same_page_twice_stores_nothing_twice(db, fake_x, clock):
    x = monitor(fake_x, clock)
    runner = Runner(db, [x], VaderEngine(), clock=clock)
    fake_x.script.extend([page([3, 2, 1]), page([3, 2, 1])])  # X repeats itself
    runner.poll(x)
    clock.advance(60)
    runner.poll(x)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 3
    health = queries.source_health(db).iloc[0]
    assert (health["status"], health["today_reads"]) == ("ok", 6)  # both pages were billed
    clock.advance(60)
    reset = int(clock.now) + 300
    fake_x.script.append((429, {"x-rate-limit-reset": str(reset)}, {}))
    assert runner.poll(x).status == "backing_off"
    health = queries.source_health(db).iloc[0]
    assert health["next_poll_at"] == reset  # waits for X's reset, not a generic backoff
    assert health["last_error"].startswith("X rate limit reached (429): waiting until")
