"""The Bluesky monitor through the atproto package against a fake PDS/AppView on
loopback: app-password sign-in, posts as messages with followers as reach,
since + cursor paging that never skips, rate limits as the source's own next
poll, a refused password, a hung server."""

from __future__ import annotations

import json
import time

import pytest

from monitors.base import NotConfigured, RetryAt, SourceStopped
from monitors.bluesky import BlueskyMonitor, BlueskyUnavailable, build
from settings.schema import BlueskySource
from tests.fake_bluesky import FakeBluesky, post
from tests.rate_limits import polled_until_the_reset

PASSWORD = "zq7x-secret-app-pass"


@pytest.fixture
def fake():
    server = FakeBluesky(password=PASSWORD)
    yield server
    server.close()


def monitor(fake, password: str | None = PASSWORD, timeout_s: float = 5, **section) -> BlueskyMonitor:
    cfg = BlueskySource(
        enabled=True,
        base_url=fake.base_url,
        handle=fake.handle,
        timeout_s=timeout_s,
        **{"query": "tidewell", **section},
    )
    return build(cfg, lambda env, sec, key: password if key == "app_password" else None)


def searches(fake) -> list[dict]:
    return [r for r in fake.requests if r["nsid"] == "app.bsky.feed.searchPosts"]


def test_posts_become_messages_with_followers_as_reach(fake):
    reporter = post(
        "3kx1", "Tidewell cameras leaked footage", handle="reporter.press.example", minutes=2, langs=("en",)
    )
    fan = post("3kx0", "tidewell kamera lek", handle="fan.bsky.social", minutes=1, langs=("nl",))
    fake.add(reporter, fan, post("3kz9", "unrelated weather talk", minutes=3))
    fake.followers[reporter["author"]["did"]] = 48_000
    watch = monitor(fake)
    result = watch.poll(None)
    first, second = result.messages
    assert (first.source, first.text, first.author, first.reach, first.lang) == (
        "bluesky",
        "Tidewell cameras leaked footage",
        "@reporter.press.example",
        48_000,
        "en",
    )
    assert first.external_id == reporter["uri"]
    assert first.url == "https://bsky.app/profile/reporter.press.example/post/3kx1"
    assert first.channel == "search: tidewell"
    assert (second.reach, second.lang) == (0, "nl")  # no profile: reach unknown, the post is kept
    (login,) = [r for r in fake.requests if r["nsid"] == "com.atproto.server.createSession"]
    (search,) = searches(fake)
    assert search["params"]["sort"] == ["latest"] and search["auth"].startswith("Bearer ")
    # Profiles are cached: a second poll asks only for authors it has not seen.
    fake.add(post("3ky5", "tidewell again", handle="reporter.press.example", minutes=5))
    fake.requests.clear()
    again = watch.poll(result.cursor)
    assert [m.text for m in again.messages if m.text == "tidewell again"]
    assert not [
        r
        for r in fake.requests
        if r["nsid"] == "app.bsky.actor.getProfiles" and reporter["author"]["did"] in r["params"]["actors"]
    ]
    assert not [r for r in fake.requests if r["nsid"] == "com.atproto.server.createSession"]  # session kept


def test_since_and_cursor_paging_reads_every_new_post_once(fake):
    fake.add(*[post(f"old{i:03d}", f"tidewell old {i}", minutes=i) for i in range(30)])
    watch = monitor(fake, max_pages=2)
    watch.page_size = 10
    first = watch.poll(None)
    assert len(first.messages) == 10  # a first read takes the newest page only
    fake.add(*[post(f"new{i:03d}", f"tidewell new {i}", minutes=100 + i) for i in range(35)])
    fake.requests.clear()
    second = watch.poll(first.cursor)  # two pages of 10: the gap is not closed yet
    assert json.loads(second.cursor)["pending"]["cursor"] == "20"
    third = watch.poll(second.cursor)
    fourth = watch.poll(third.cursor)
    texts = {m.text for m in second.messages + third.messages + fourth.messages}
    assert {f"tidewell new {i}" for i in range(35)} <= texts
    assert not {t for t in texts if t.startswith("tidewell old") and int(t.rsplit(" ", 1)[1]) < 29}
    since = json.loads(first.cursor)["since"]
    assert all(r["params"]["since"] == [since] for r in searches(fake)[:4])
    assert json.loads(fourth.cursor)["since"] > since and json.loads(fourth.cursor)["pending"] is None


def test_a_post_without_author_is_quarantined_not_dropped(fake):
    broken = post("3kb1", "tidewell broken", minutes=1)
    del broken["author"]["handle"]
    fake.add(broken, post("3kb2", "tidewell fine", minutes=2))
    result = monitor(fake).poll(None)
    assert [m.text for m in result.messages] == ["tidewell fine"]
    (bad,) = result.quarantined
    assert bad.external_id == broken["uri"] and "author" in bad.reason and "tidewell broken" in bad.raw


def test_rate_limit_is_this_sources_next_poll_not_a_sleep(fake):
    reset = int(time.time()) + 240
    fake.script.append(
        (
            429,
            {"RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)},
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        )
    )
    started = time.monotonic()
    with pytest.raises(RetryAt) as caught:
        monitor(fake).poll(None)
    assert caught.value.when == reset and "429" in caught.value.reason
    assert time.monotonic() - started < 3


def test_remaining_zero_paces_the_next_poll(fake):
    fake.remaining = 1  # this search uses the last call of the window
    fake.add(post("3kr1", "tidewell", minutes=1))
    watch = monitor(fake)
    result = watch.poll(None)
    assert len(result.messages) == 1
    assert result.retry.reason.startswith("Bluesky rate limit used up (RateLimit-Remaining 0): next poll at")
    assert 290 < result.retry.when - time.time() < 310  # the answer's RateLimit-Reset
    fake.remaining = 100
    assert watch.poll(result.cursor).retry is None  # calls left: the usual interval


def test_a_429_on_a_later_page_keeps_the_pages_read(fake):
    fake.add(post("3p00", "tidewell 0"))
    watch = monitor(fake)
    watch.page_size = 1
    first = watch.poll(None)  # the first read: the newest page only
    fake.add(*[post(f"3q{i:02d}", f"tidewell later {i}", minutes=10 + i) for i in range(3)])
    reset = int(time.time()) + 240
    searches_before = len(searches(fake))
    fake.script += [  # page one answers, page two is refused
        (200, {}, {"posts": [post("3q02", "tidewell later 2", minutes=12)], "cursor": "1"}),
        (429, {"RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)}, {"error": "RateLimitExceeded"}),
    ]
    result = watch.poll(first.cursor)
    assert len(searches(fake)) == searches_before + 2
    assert [m.text for m in result.messages] == ["tidewell later 2"]
    assert result.retry.when == reset and result.retry.reason.startswith("Bluesky rate limit reached (429)")
    assert json.loads(result.cursor)["pending"]["cursor"] == "1"  # the rest is read on from here after the reset


def test_through_the_runner_remaining_zero_is_the_sources_next_poll(db, fake):
    fake.remaining = 1
    fake.add(post("3kr1", "tidewell", minutes=1))
    _, _, outcome = polled_until_the_reset(db, monitor(fake), lambda: len(searches(fake)), 300, "RateLimit-Remaining 0")
    assert outcome.stored == 1


def test_a_refused_app_password_stops_the_source_without_echoing_it(fake):
    with pytest.raises(SourceStopped) as caught:
        monitor(fake, password="wrong-" + PASSWORD).poll(None)
    words = str(caught.value)
    assert "BLUESKY_APP_PASSWORD" in words and "Invalid identifier or password" in words
    assert PASSWORD not in words


def test_a_revoked_session_signs_in_again_once(fake):
    fake.add(post("3ks1", "tidewell", minutes=1))
    watch = monitor(fake)
    watch.poll(None)
    fake.tokens.clear()  # the server forgot the session
    fake.add(post("3ks2", "tidewell later", minutes=2))
    result = watch.poll(None)
    assert "tidewell later" in [m.text for m in result.messages]
    assert len([r for r in fake.requests if r["nsid"] == "com.atproto.server.createSession"]) == 2


def test_a_hung_server_times_out(fake):
    watch = monitor(fake, timeout_s=0.5)
    watch.poll(None)  # signed in
    fake.hang_s = 3
    started = time.monotonic()
    with pytest.raises(BlueskyUnavailable, match="did not answer within 0.5 s"):
        watch.poll(None)
    assert time.monotonic() - started < 2.5


def test_without_a_password_it_says_what_to_set():
    cfg = BlueskySource(enabled=True, handle="desk.bsky.social", query="tidewell")
    with pytest.raises(NotConfigured, match="BLUESKY_APP_PASSWORD"):
        build(cfg, lambda env, sec, key: None).poll(None)


def test_config_needs_a_query_when_enabled():
    with pytest.raises(ValueError, match="query"):
        BlueskySource(enabled=True)
