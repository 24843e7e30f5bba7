"""The X monitor against a fake X API v2 on loopback, through tweepy."""

import json
import time
import urllib.parse

import pytest
import requests
import sqlalchemy as sa
import tweepy

from monitors.base import RetryAt, SourceStopped
from monitors.x import MalformedPayload, XMonitor, x_client
from sentiment.lexicon import VaderEngine
from store import queries
from store.schema import messages
from tests.fake_x import FakeX, HungX
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
    client = x_client("test-bearer", timeout_s=5)
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
    assert q1["expansions"].split(",") == ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"]
    assert "public_metrics" in q1["user.fields"] and "note_tweet" in q1["tweet.fields"].split(",")
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
    fake_x.script.append((200, {}, {"data": {"id": "1"}, "meta": {}}))  # not a list: the page is not usable
    with pytest.raises(MalformedPayload, match="data: Input should be a valid list"):
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


# --- full text, stale since_id, the monthly cap, bad tweets, hung connections ------

LONG = "Tidewell's camera breach is bigger than reported. " * 12  # a note_tweet: longer than 280


def rich_page():
    """Shaped like X API v2 recent search with referenced_tweets.id expansions and note_tweet."""
    tweet = dict(created_at="2027-01-15T07:59:00.000Z", lang="en", edit_history_tweet_ids=[])
    return (
        200,
        {},
        {
            "data": [
                {
                    **tweet,
                    "id": "201",
                    "author_id": "u2",
                    "text": "RT @mira_secures: Tidewell cameras exposed footage from 40,000 homes &amp; the comp…",
                    "referenced_tweets": [{"type": "retweeted", "id": "150"}],
                },
                {
                    **tweet,
                    "id": "202",
                    "author_id": "u2",
                    "text": "This is bad &amp; getting worse &lt;sigh&gt; https://t.co/q1",
                    "referenced_tweets": [{"type": "quoted", "id": "151"}],
                },
                {
                    **tweet,
                    "id": "203",
                    "author_id": "u1",
                    "text": LONG[:270] + "… https://t.co/n1",
                    "note_tweet": {"text": LONG + "&lt;3 &amp; stay safe", "entities": {"urls": []}},
                },
                {
                    **tweet,
                    "id": "204",
                    "author_id": "u1",
                    "text": "RT @ada: " + LONG[:120] + "…",
                    "referenced_tweets": [{"type": "retweeted", "id": "152"}],
                },
                {
                    **tweet,
                    "id": "205",
                    "author_id": "u2",
                    "text": "RT @gone: this original was deleted…",
                    "referenced_tweets": [{"type": "retweeted", "id": "999"}],
                },
                {**tweet, "id": "206", "author_id": "u1", "text": "literal &amp;copy; stays &amp;copy;"},
            ],
            "includes": {
                "users": USERS,
                "tweets": [
                    {
                        **tweet,
                        "id": "150",
                        "author_id": "u1",
                        "text": "Tidewell cameras exposed footage from 40,000 homes &amp; the company knew for weeks.",
                    },
                    {**tweet, "id": "151", "author_id": "u1", "text": "Tidewell: &quot;no breach&quot; &gt; denial"},
                    {**tweet, "id": "152", "author_id": "u2", "text": LONG[:270] + "…", "note_tweet": {"text": LONG}},
                ],
            },
            "errors": [
                {
                    "value": "999",
                    "detail": "Could not find tweet with referenced_tweets.id: [999].",
                    "title": "Not Found Error",
                    "resource_type": "tweet",
                    "parameter": "referenced_tweets.id",
                    "resource_id": "999",
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            ],
            "meta": {"newest_id": "206", "oldest_id": "201", "result_count": 6},
        },
    )


def test_retweets_quotes_and_long_posts_are_stored_in_full(fake_x, clock):
    fake_x.script.append(rich_page())
    got = {m.external_id: m.text for m in monitor(fake_x, clock).poll(None).messages}
    assert (
        got["201"]
        == "RT @mira_secures: Tidewell cameras exposed footage from 40,000 homes & the company knew for weeks."
    )
    assert got["202"] == (
        "This is bad & getting worse <sigh> https://t.co/q1\n\n"
        "Quoting @mira_secures: Tidewell: &quot;no breach&quot; > denial"
    )
    assert got["203"] == LONG + "<3 & stay safe"
    assert got["204"] == "RT @ada: " + LONG  # a retweet of a long post: the original's note_tweet
    assert got["205"] == "RT @gone: this original was deleted…"  # not in includes (errors): what X sent
    assert got["206"] == "literal &copy; stays &copy;"  # only X's own escaping is undone


def stale_since_id(since_id="100"):
    return (
        400,
        {},
        {
            "errors": [
                {
                    "parameters": {"since_id": [since_id]},
                    "message": f"Invalid 'since_id':'{since_id}'. 'since_id' must be a tweet id created after"
                    " 2027-01-08T08:00Z. Please use a 'start_time' parameter instead.",
                }
            ],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


@pytest.mark.parametrize(
    "newest_time, restart",
    [("2027-01-14T20:00:00Z", "2027-01-14T20:00:00Z"), ("2027-01-01T00:00:00Z", "2027-01-08T08:01:00Z")],
    ids=["from-newest-post", "from-7-days-ago"],
)
def test_a_since_id_older_than_7_days_restarts_from_start_time_and_says_so(fake_x, clock, newest_time, restart):
    fake_x.script.extend([stale_since_id(), page([12, 11])])
    cursor = json.dumps({"since_id": "100", "newest_time": newest_time, "day": "2027-01-15", "reads": 0})
    result = monitor(fake_x, clock).poll(cursor)
    assert [m.external_id for m in result.messages] == ["12", "11"]
    retry = params(fake_x.requests[1])
    assert "since_id" not in retry and retry["start_time"] == restart
    assert "since_id 100" in result.note and restart in result.note
    assert json.loads(result.cursor)["since_id"] == "12"  # and on with since_id from here
    fake_x.script.append(page([]))
    monitor(fake_x, clock).poll(result.cursor)
    assert params(fake_x.requests[2])["since_id"] == "12"


def test_a_stale_since_id_does_not_back_off_forever_through_the_runner(db, fake_x, clock):
    x = monitor(fake_x, clock)
    runner = Runner(db, [x], VaderEngine(), clock=clock)
    fake_x.script.append(page([3, 2, 1]))
    runner.poll(x)
    clock.advance(8 * 86400)  # the source was off for 8 days
    fake_x.script.extend([stale_since_id("3"), page([40, 39])])
    assert runner.poll(x).status == "ok"
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 5
    # The Sources page's notice says so, and keeps saying so after the next, quiet poll.
    health = queries.source_health(db).set_index("name")
    assert "since_id 3" in health.loc["x", "note"] and health.loc["x", "note_at"] == clock.now
    clock.advance(120)
    fake_x.script.append(page([]))
    assert runner.poll(x).status == "ok"
    assert "since_id 3" in queries.source_health(db).set_index("name").loc["x", "note"]


def test_another_400_stops_the_source_with_xs_words(fake_x, clock):
    fake_x.script.append(
        (400, {}, {"errors": [{"parameters": {"query": ["(("]}, "message": "There were errors processing your query"}]})
    )
    with pytest.raises(SourceStopped, match="X rejected the search .*errors processing your query.*query"):
        monitor(fake_x, clock).poll(None)


CAPPED = {
    "account_id": 1234567,
    "product_name": "standard-basic",
    "title": "UsageCapExceeded",
    "period": "Monthly",
    "scope": "Product",
    "detail": "Usage cap exceeded: Monthly product cap",
    "type": "https://api.twitter.com/2/problems/usage-capped",
}


def test_the_monthly_cap_is_capped_until_the_reset_day_not_a_15_minute_wait(db, fake_x, clock):
    soon = str(int(clock.now) + 900)
    fake_x.script.append((429, {"x-rate-limit-reset": soon, "x-rate-limit-remaining": "449"}, CAPPED))
    fake_x.script.append((200, {}, {"data": {"cap_reset_day": 10, "project_cap": "10000", "project_usage": "10012"}}))
    x = monitor(fake_x, clock)
    outcome = Runner(db, [x], VaderEngine(), clock=clock).poll(x)
    assert outcome.status == "capped"
    health = queries.source_health(db).iloc[0]
    assert health["next_poll_at"] == 1_802_217_600  # 2027-02-10 00:00 UTC: clock is 2027-01-15
    assert "monthly post cap" in health["last_error"] and "2027-02-10" in health["last_error"]
    assert fake_x.requests[1]["path"].startswith("/2/usage/tweets")


def test_the_cap_reset_day_from_config_or_a_probe_when_unknown(fake_x, clock):
    fake_x.script.append((429, {}, CAPPED))
    with pytest.raises(RetryAt) as err:
        monitor(fake_x, clock, cap_reset_day=20).poll(None)
    assert (err.value.status, err.value.when) == ("capped", 1_800_403_200)  # 2027-01-20 00:00 UTC
    assert len(fake_x.requests) == 1
    fake_x.script.extend([(429, {}, CAPPED), (403, {}, {"title": "Forbidden"})])  # no usage access
    with pytest.raises(RetryAt) as err:
        monitor(fake_x, clock).poll(None)
    assert err.value.status == "capped" and err.value.when == clock.now + 6 * 3600
    assert "reset day is unknown" in err.value.reason


def test_one_bad_tweet_is_quarantined_and_the_rest_of_the_page_stored(db, fake_x, clock):
    status, headers, body = page([5, 4, 3])
    del body["data"][1]["author_id"]
    body["data"].append({"id": "2", "text": "no date", "author_id": "u1"})
    fake_x.script.append((status, headers, body))
    x = monitor(fake_x, clock)
    result = x.poll(None)
    assert [m.external_id for m in result.messages] == ["5", "3"]
    assert [(q.external_id, q.reason) for q in result.quarantined] == [
        ("4", "X post without a usable author_id: Field required"),
        ("2", "X post without a usable created_at: Field required"),
    ]
    assert json.loads(result.quarantined[0].raw)["text"].startswith("post 4")
    assert result.reads == 4 and json.loads(result.cursor)["since_id"] == "5"  # the source moves on
    fake_x.script.append((status, headers, body))
    assert Runner(db, [x], VaderEngine(), clock=clock).poll(x).stored == 2


def test_a_hung_x_connection_times_out():
    hung = HungX()
    try:
        client = x_client("test-bearer", timeout_s=1)
        hung.attach(client)
        started = time.monotonic()
        with pytest.raises(requests.exceptions.Timeout):
            XMonitor(client, "tidewell").poll(None)
        assert time.monotonic() - started < 5
    finally:
        hung.close()
