"""The Reddit monitor through praw against a fake Reddit on loopback: new posts
and a search as messages with score + comments as reach, `after` paging since
the newest post read, rate limits as the source's own next poll (praw never
sleeps), refused credentials, a hung server."""

from __future__ import annotations

import json
import time

import pytest

from monitors.base import NotConfigured, RetryAt, SourceStopped
from monitors.reddit import RedditMonitor, RedditUnavailable, build
from settings.schema import RedditSource
from tests.fake_reddit import FakeReddit, submission
from tests.rate_limits import polled_until_the_reset

SECRET = "app-secret-xyz"


@pytest.fixture
def fake():
    server = FakeReddit(client_secret=SECRET)
    yield server
    server.close()


def monitor(fake, secrets: dict | None = None, timeout_s: float = 5, **section) -> RedditMonitor:
    given = {"client_id": fake.client_id, "client_secret": SECRET, **(secrets or {})}
    cfg = RedditSource(
        enabled=True,
        reddit_url=fake.base_url,
        oauth_url=fake.base_url,
        timeout_s=timeout_s,
        **{"subreddits": ["tidewell"], **section},
    )
    return build(cfg, lambda env, sec, key: given.get(key))


def listings(fake) -> list[dict]:
    return [r for r in fake.requests if r["path"] != "/api/v1/access_token"]


def test_new_posts_and_search_become_messages(fake):
    fake.add(
        submission(
            1001,
            "Tidewell camera leaked my living room",
            selftext="Support says nothing.",
            score=250,
            comments=80,
            author="homeowner42",
            minutes=2,
        ),
        submission(1000, "Anyone else get the Tidewell email?", score=-3, comments=4, minutes=1),
        submission(999, "Tidewell leak megathread", subreddit="homesecurity", score=40, comments=12, minutes=3),
    )
    result = monitor(fake, query="tidewell leak").poll(None)
    first, second, found = result.messages
    assert first.text == "Tidewell camera leaked my living room\n\nSupport says nothing."
    assert (first.source, first.channel, first.author, first.reach) == ("reddit", "r/tidewell", "u/homeowner42", 330)
    assert first.external_id == "t3_" + "rt" and first.url.startswith("https://www.reddit.com/r/tidewell/comments/rt/")
    assert first.created_at.timestamp() == 1_800_000_000 + 120
    assert second.reach == 4  # a negative score adds nothing; the comments still count
    assert (found.text, found.channel) == ("Tidewell leak megathread", "r/homesecurity")
    new, search = listings(fake)
    assert new["path"] == "/r/tidewell/new" and new["params"]["limit"] == "100"
    assert search["path"] == "/r/all/search" and search["params"]["q"] == "tidewell leak"
    assert search["params"]["sort"] == "new"
    token = [r for r in fake.requests if r["path"] == "/api/v1/access_token"][0]
    assert token["form"]["grant_type"] == "client_credentials"  # app-only without a username


def test_script_app_signs_in_with_the_accounts_password(fake):
    fake.add(submission(5, "tidewell"))
    monitor(fake, {"username": "deskbot", "password": "bot-password"}).poll(None)
    token = [r for r in fake.requests if r["path"] == "/api/v1/access_token"][0]
    assert token["form"]["grant_type"] == "password" and token["form"]["username"] == "deskbot"


def test_after_paging_reads_every_new_post_once(fake):
    fake.add(*[submission(2000 + i, f"old {i}", minutes=i) for i in range(30)])
    watch = monitor(fake, max_pages=2)
    watch.page_size = 10
    first = watch.poll(None)
    assert len(first.messages) == 10  # the newest page only
    fake.add(*[submission(3000 + i, f"new {i}", minutes=100 + i) for i in range(35)])
    fake.requests.clear()
    second = watch.poll(first.cursor)
    assert json.loads(second.cursor)["r/tidewell"]["pending"]["after"]
    third = watch.poll(second.cursor)
    fourth = watch.poll(third.cursor)
    texts = [m.text for m in second.messages + third.messages + fourth.messages]
    assert sorted(texts) == sorted(f"new {i}" for i in range(35))  # each once, no old post again
    assert [r["params"].get("after") for r in listings(fake)][:2] == [None, "t3_" + second_page_after(fake)]


def second_page_after(fake) -> str:
    from tests.fake_reddit import b36

    return b36(3000 + 25)  # the 10th newest of the new posts closes the first page


def test_a_post_without_a_time_is_quarantined_not_dropped(fake):
    broken = submission(77, "tidewell broken")
    del broken["data"]["created_utc"]
    fake.add(broken, submission(78, "tidewell fine", minutes=1))
    result = monitor(fake).poll(None)
    assert [m.text for m in result.messages] == ["tidewell fine"]
    (bad,) = result.quarantined
    assert bad.external_id == broken["data"]["name"] and "created_utc" in bad.reason


def test_a_429_is_this_sources_next_poll_not_a_sleep(fake):
    fake.script.append((429, {"x-ratelimit-reset": "200"}, {"message": "Too Many Requests", "error": 429}))
    started = time.monotonic()
    with pytest.raises(RetryAt) as caught:
        monitor(fake).poll(None)
    assert "429" in caught.value.reason and 190 < caught.value.when - time.time() < 210
    assert time.monotonic() - started < 3


def test_a_used_up_window_waits_for_the_reset_without_sleeping(fake):
    fake.add(submission(1, "tidewell one"), submission(2, "tidewell two", subreddit="homesecurity"))
    fake.remaining, fake.reset_s = 1, 120  # the first listing uses the window's last call
    watch = monitor(fake, subreddits=["tidewell", "homesecurity"])
    started = time.monotonic()
    result = watch.poll(None)
    assert [m.text for m in result.messages] == ["tidewell one"]  # kept; the second listing waits
    assert [r["path"] for r in listings(fake)] == ["/r/tidewell/new"]  # no call past the last one
    assert "X-Ratelimit-Remaining 0" in result.retry.reason and 100 < result.retry.when - time.time() < 125
    assert time.monotonic() - started < 3


def test_a_429_part_way_keeps_the_first_listing_and_waits_for_the_reset(fake):
    fake.add(submission(1, "tidewell one"), submission(2, "tidewell two", subreddit="homesecurity"))
    fake.script.append((200, {}, {"kind": "Listing", "data": {"after": None, "children": [submission(1, "one")]}}))
    fake.script.append((429, {"x-ratelimit-reset": "200"}, {"message": "Too Many Requests", "error": 429}))
    result = monitor(fake, subreddits=["tidewell", "homesecurity"]).poll(None)
    assert [m.text for m in result.messages] == ["one"]
    assert result.retry.reason.startswith("Reddit rate limit reached (429): waiting until")
    assert 190 < result.retry.when - time.time() < 210
    cursor = json.loads(result.cursor)
    assert cursor["r/tidewell"]["newest"] == submission(1, "one")["data"]["id"] and "r/homesecurity" not in cursor


def test_through_the_runner_a_used_up_window_is_the_sources_next_poll(db, fake):
    fake.add(submission(1, "tidewell one"), submission(2, "tidewell two", subreddit="homesecurity"))
    fake.remaining, fake.reset_s = 1, 400
    watch = monitor(fake, subreddits=["tidewell", "homesecurity"])
    runner, clock, outcome = polled_until_the_reset(
        db, watch, lambda: len(listings(fake)), 400, "Reddit rate limit used up (X-Ratelimit-Remaining 0)"
    )
    assert outcome.stored == 1  # the first subreddit
    fake.remaining = 600
    clock.advance(400)
    (outcome,) = runner.run_pending()
    assert outcome.status == "ok" and outcome.stored == 1  # the second subreddit, after the reset


def test_refused_app_credentials_stop_the_source_without_echoing_them(fake):
    with pytest.raises(SourceStopped) as caught:
        monitor(fake, {"client_secret": "wrong-" + SECRET}).poll(None)
    assert "401" in str(caught.value) and "REDDIT_CLIENT_SECRET" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_wrong_account_password_stops_the_source(fake):
    with pytest.raises(SourceStopped, match="invalid_grant"):
        monitor(fake, {"username": "deskbot", "password": "nope"}).poll(None)


def test_a_private_subreddit_stops_the_source_with_its_name(fake):
    fake.script.append((403, {}, {"message": "Forbidden", "error": 403, "reason": "private"}))
    with pytest.raises(SourceStopped, match="403 for r/tidewell/new"):
        monitor(fake).poll(None)


def test_a_hung_server_times_out_once_without_retries(fake):
    fake.add(submission(1, "tidewell"))
    watch = monitor(fake, timeout_s=0.5)
    watch.poll(None)
    fake.hang_s = 3
    started = time.monotonic()
    with pytest.raises(RedditUnavailable, match="did not answer within 0.5 s"):
        watch.poll(None)
    assert time.monotonic() - started < 2.5  # praw's own retries (with sleeps) are off


def test_without_an_app_it_says_what_to_set():
    with pytest.raises(NotConfigured, match="REDDIT_CLIENT_ID"):
        build(RedditSource(enabled=True, subreddits=["tidewell"]), lambda env, sec, key: None).poll(None)


def test_config_checks_subreddit_names():
    assert RedditSource(subreddits=["r/Tidewell", "/r/homesecurity"]).subreddits == ["Tidewell", "homesecurity"]
    with pytest.raises(ValueError, match="subreddit name"):
        RedditSource(subreddits=["no spaces"])
    with pytest.raises(ValueError, match="subreddits"):
        RedditSource(enabled=True)
