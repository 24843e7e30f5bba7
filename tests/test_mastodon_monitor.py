"""The Mastodon monitor through Mastodon.py against a fake instance on
loopback: statuses as plain text, since_id paging over Link headers, boosts,
the instance's rate limits, refused tokens and a hung server."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from monitors.base import NotConfigured, RetryAt, SourceStopped
from monitors.mastodon import MastodonMonitor, MastodonUnavailable, build, html_to_text
from sentiment.lexicon import VaderEngine
from settings.schema import MastodonSource
from store.schema import messages
from tests.fake_mastodon import FakeMastodon, status
from tests.rate_limits import polled_until_the_reset
from worker.runner import Runner

TOKEN = "mastodon-token-Zx81-secret-4471"


@pytest.fixture
def fake():
    server = FakeMastodon(token=TOKEN)
    yield server
    server.close()


def monitor(fake, token: str | None = None, timeout_s: float = 5, **section) -> MastodonMonitor:
    cfg = MastodonSource(enabled=True, base_url=fake.base_url, timeout_s=timeout_s, **section)
    return build(cfg, lambda env, sec, key: token)


def timeline_requests(fake) -> list[dict]:
    return [r for r in fake.requests if r["path"].startswith("/api/v1/timelines/")]


def test_statuses_become_plain_text_messages(fake):
    fake.add(
        "tidewell",
        status(
            103,
            '<p>Tidewell <a href="https://mastodon.example/tags/tidewell" class="mention hashtag">#<span>tidewell'
            '</span></a> leaked our clips &amp; said nothing</p><p>See <a href="https://news.example/a">'
            '<span class="invisible">https://</span><span class="ellipsis">news.example/a</span></a></p>',
            acct="carol@social.example",
            followers=5400,
            tags=("tidewell",),
            minutes=3,
            language="en",
        ),
        status(
            102,
            "<p>Kamera-Leck bei Tidewell</p>",
            acct="dieter",
            followers=80,
            language="de",
            minutes=2,
            spoiler_text="Datenschutz",
        ),
        status(101, '<p><script>alert(1)</script><img src=x onerror="alert(2)">Hostile?</p>', minutes=1),
    )
    result = monitor(fake, hashtags=["tidewell"]).poll(None)
    first, second, third = result.messages
    assert first.text == "Tidewell #tidewell leaked our clips & said nothing\n\nSee https://news.example/a"
    assert (first.source, first.channel, first.author, first.reach, first.lang) == (
        "mastodon",
        "#tidewell",
        "@carol@social.example",
        5400,
        "en",
    )
    assert first.url == "https://social.example/@carol/103"
    assert first.external_id == f"{fake.base_url.removeprefix('http://')}:103"
    assert first.created_at == datetime(2027, 1, 15, 8, 3, tzinfo=timezone.utc)
    assert (second.text, second.lang) == ("CW: Datenschutz — Kamera-Leck bei Tidewell", "de")
    assert third.text == "alert(1)Hostile?"  # markup is dropped, never rendered; the words stay plain text
    assert result.quarantined == []
    (request,) = timeline_requests(fake)
    assert request["path"] == "/api/v1/timelines/tag/tidewell" and request["auth"] == ""  # public: no token needed


def test_since_id_pagination_reads_every_new_status_once(fake):
    fake.add("tidewell", *[status(1000 + i, f"<p>old {i}</p>", minutes=i) for i in range(60)])
    watch = monitor(fake, hashtags=["#tidewell"], max_pages=2)
    first = watch.poll(None)
    assert len(first.messages) == 40  # a first read takes the newest page only
    assert [r["params"].get("since_id") for r in timeline_requests(fake)] == [None]
    fake.add("tidewell", *[status(2000 + i, f"<p>new {i}</p>", minutes=100 + i) for i in range(95)])
    fake.requests.clear()
    second = watch.poll(first.cursor)  # two pages of 40: the gap is not closed yet
    third = watch.poll(second.cursor)  # the last 15, then the gap is closed
    fourth = watch.poll(third.cursor)
    texts = [m.text for m in second.messages + third.messages]
    assert len(second.messages) == 80 and sorted(texts) == sorted(f"new {i}" for i in range(95))
    assert fourth.messages == []
    # Every request carried the cursor; a page after the first followed the Link header's max_id.
    asked = [(r["params"].get("since_id"), r["params"].get("max_id")) for r in timeline_requests(fake)]
    assert asked == [("1059", None), ("1059", "2055"), ("1059", "2015"), ("2094", None)]
    assert all(r["params"]["limit"] == "40" for r in timeline_requests(fake))


def test_a_boost_is_stored_as_the_original_text(fake):
    original = status(
        500, "<p>Tidewell knew for weeks</p>", acct="reporter@press.example", followers=90_000, language="en"
    )
    fake.add("tidewell", status(501, acct="bob", followers=1200, reblog=original, minutes=5))
    (boost,) = monitor(fake, hashtags=["tidewell"]).poll(None).messages
    assert boost.text == "Tidewell knew for weeks"
    assert (boost.author, boost.reach) == ("@bob", 1200)  # the booster's followers saw it
    assert boost.url == "https://press.example/@reporter/500" and boost.lang == "en"


def test_a_status_without_words_or_account_is_quarantined_not_dropped(fake):
    broken = status(11, "<p>no author</p>")
    del broken["account"]
    fake.add(
        "tidewell",
        status(12, "<p>fine</p>"),
        broken,
        status(10, "", media_descriptions=("A leaked camera still of a kitchen",)),
        status(9, ""),
    )
    result = monitor(fake, hashtags=["tidewell"]).poll(None)
    assert [m.text for m in result.messages] == ["fine", "A leaked camera still of a kitchen"]
    reasons = {q.external_id: q.reason for q in result.quarantined}
    assert reasons == {"11": "status without account", "9": "status has no text, description or CW"}
    assert "no author" in result.quarantined[0].raw


def test_a_429_waits_for_the_instance_reset_without_sleeping(fake):
    fake.reset_in_s = 240
    fake.script.append((429, {}, {"error": "Too many requests"}))
    watch = monitor(fake, hashtags=["tidewell"])
    started = time.time()
    with pytest.raises(RetryAt) as retry:
        watch.poll(None)
    assert time.time() - started < 2  # Mastodon.py did not sleep on the runner thread
    assert started + 235 < retry.value.when < started + 245
    assert retry.value.reason.startswith("Mastodon rate limit reached (429): waiting until")


def test_a_used_up_limit_keeps_what_was_read_and_waits(fake):
    fake.add("tidewell", status(1, "<p>one</p>"))
    fake.add("recall", status(2, "<p>two</p>"))
    fake.reset_in_s = 120
    watch = monitor(fake, hashtags=["tidewell", "recall"])
    fake.script.append((200, {"X-RateLimit-Remaining": "5"}, [status(1, "<p>one</p>")]))
    fake.script.append((429, {}, {"error": "Too many requests"}))
    started = time.time()
    partial = watch.poll(None)
    assert [m.text for m in partial.messages] == ["one"]  # the first hashtag's page is kept
    # The rest waits for the reset: the source's next poll, set by the runner.
    assert partial.retry.reason.startswith("Mastodon rate limit reached (429): waiting until")
    assert started + 115 < partial.retry.when < started + 125
    assert "tag:recall" not in json.loads(partial.cursor)  # the second hashtag is read after the reset
    fresh = monitor(fake, hashtags=["tidewell"])
    fake.remaining = 1  # the next answer says 0 left
    result = fresh.poll(None)
    assert [m.text for m in result.messages] == ["one"]
    assert "X-RateLimit-Remaining 0" in result.retry.reason and started + 115 < result.retry.when < started + 125
    fake.remaining = 100
    assert fresh.poll(result.cursor).retry is None  # calls left: the usual interval


def test_through_the_runner_a_used_up_limit_is_the_sources_next_poll(db, fake):
    fake.add("tidewell", status(1, "<p>one</p>"))
    fake.reset_in_s, fake.remaining = 600, 1
    watch = monitor(fake, hashtags=["tidewell"])
    _, _, outcome = polled_until_the_reset(
        db, watch, lambda: len(timeline_requests(fake)), 600, "X-RateLimit-Remaining 0"
    )
    assert outcome.stored == 1


def test_a_refused_token_stops_the_source_and_never_shows_the_token(fake):
    with pytest.raises(SourceStopped) as stopped:
        monitor(fake, token="wrong-token-value-123", hashtags=["tidewell"]).poll(None)
    assert str(stopped.value).startswith("Mastodon refused the request (401 Unauthorized)")
    assert "check MASTODON_ACCESS_TOKEN" in str(stopped.value) and "wrong-token" not in str(stopped.value)
    fake.script.append((401, {}, {"error": "This API requires an authenticated user"}))
    with pytest.raises(SourceStopped, match="this instance needs an access token for this timeline"):
        monitor(fake, hashtags=["tidewell"]).poll(None)


def test_search_and_lists_use_the_token(fake):
    fake.search_results = [status(70, "<p>found by search</p>")]
    fake.lists["42"] = [status(80, "<p>from the list</p>")]
    result = monitor(fake, token=TOKEN, query="tidewell leak", list_id="42").poll(None)
    assert sorted(m.channel for m in result.messages) == ["list 42", "search: tidewell leak"]
    assert all(r["auth"] == f"Bearer {TOKEN}" for r in fake.requests)
    search = next(r for r in fake.requests if r["path"] == "/api/v2/search")
    assert search["params"]["type"] == "statuses" and search["params"]["q"] == "tidewell leak"
    with pytest.raises(NotConfigured, match="query needs an access token: set MASTODON_ACCESS_TOKEN"):
        monitor(fake, query="tidewell").poll(None)
    with pytest.raises(SourceStopped, match="not found .*404.*check list_id"):
        monitor(fake, token=TOKEN, list_id="7").poll(None)


def test_a_hung_instance_times_out(fake):
    fake.hang_s = 5
    started = time.monotonic()
    with pytest.raises(MastodonUnavailable, match=r"did not answer within 1 s"):
        monitor(fake, timeout_s=1, hashtags=["tidewell"]).poll(None)
    assert time.monotonic() - started < 3


def test_through_the_runner(db, fake, clock):
    fake.add("tidewell", *[status(300 + i, f"<p>post {i}</p>", minutes=i) for i in range(5)])
    watch = monitor(fake, hashtags=["tidewell"])
    runner = Runner(db, [watch], VaderEngine(), clock=clock)
    assert runner.poll(watch).status == "ok"
    fake.add("tidewell", status(400, "<p>later</p>", minutes=30))
    clock.advance(61)
    assert runner.poll(watch).stored == 1
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 6


def test_html_to_text_keeps_paragraphs_and_lines():
    assert html_to_text("<p>a<br>b</p><p>c &lt;3</p>") == "a\nb\n\nc <3"


@pytest.mark.parametrize(
    "section, words",
    [
        ({"enabled": True}, "set hashtags"),
        ({"hashtags": ["tide well"]}, "letters, digits and _ only"),
        ({"base_url": "mastodon.social"}, "String should match pattern"),
        ({"list_id": "abc"}, "String should match pattern"),
    ],
)
def test_invalid_mastodon_config(section, words):
    with pytest.raises(ValueError, match=words):
        MastodonSource(**section)


def test_wired_from_config_with_the_token_from_the_environment(tmp_path, monkeypatch, fake):
    from settings import load_settings
    from tests.test_live_sources import live_config
    from worker.service import build_monitors

    section = f'[sources.mastodon]\nenabled = true\nbase_url = "{fake.base_url}"\nquery = "tidewell"\n'
    monkeypatch.delenv("MASTODON_ACCESS_TOKEN", raising=False)
    (missing,) = build_monitors(load_settings(live_config(tmp_path, section)))
    with pytest.raises(NotConfigured, match="set MASTODON_ACCESS_TOKEN"):
        missing.poll(None)
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", TOKEN)
    fake.search_results = [status(5, "<p>searched</p>")]
    (live,) = build_monitors(load_settings(live_config(tmp_path, section)))
    assert [m.text for m in live.poll(None).messages] == ["searched"]
    assert fake.requests[-1]["auth"] == f"Bearer {TOKEN}"
    from settings import redact

    redact.install(tmp_path / "no-secrets.toml")  # the token is an environment secret: masked in every log line
    assert redact.redact(f"echoed {TOKEN}") == f"echoed {redact.MASK}"


def test_a_server_that_ignores_since_id_does_not_replay_history(fake):
    fake.add("tidewell", *[status(100 + i, f"<p>s {i}</p>") for i in range(80)])
    watch = monitor(fake, hashtags=["tidewell"], max_pages=3)
    first = watch.poll(None)
    ignoring = FakeMastodon._page
    FakeMastodon._page = staticmethod(lambda statuses, params: ignoring(statuses, {**params, "since_id": "0"}))
    try:
        again = watch.poll(first.cursor)
    finally:
        FakeMastodon._page = staticmethod(ignoring)
    assert again.messages == [] and len(timeline_requests(fake)) == 2
