"""The feed monitor against a local HTTP server: conditional requests,
dedupe, malformed and huge feeds."""

import time

import pytest
import sqlalchemy as sa

from monitors.feeds import FeedError, FeedMonitor, plain
from sentiment.lexicon import VaderEngine
from store.schema import messages
from tests.fake_graph import _certificate
from tests.fake_http import FakeHTTP
from worker.runner import Runner

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>The Daily Ledger</title>
<item><guid>a1</guid><title>Tidewell camera clips found on open server</title>
<description>&lt;p&gt;A researcher found &lt;b&gt;millions&lt;/b&gt; of clips.&lt;/p&gt;</description>
<link>https://ledger.example/a1</link><pubDate>Fri, 15 Jan 2027 08:00:00 GMT</pubDate></item>
<item><title>Regulator asks Tidewell for details</title><link>https://ledger.example/a2</link></item>
</channel></rss>"""
ATOM_MORE = RSS.replace("</channel>", "<item><guid>a3</guid><title>Tidewell shares slide</title></item></channel>")


class FeedServer(FakeHTTP):
    def __init__(self, tls: tuple[str, str] | None = None):
        super().__init__(tls=tls)
        self.document = RSS.encode()  # the feed it serves (FakeHTTP.body reads a request)
        self.trickle_headers_s = 0.0  # send the status line and headers one byte per this many seconds
        self.stall_s = 0.0  # the next request hangs this long (a worker stuck mid-poll)
        self.content_type = "application/rss+xml"
        self.status = 200
        self.trickle_s = 0.0  # send the body one byte per this many seconds (no Content-Length)
        self.redirect_to = ""  # answer 302 to this path first
        self.base = self.base_url
        self.url = f"{self.base}/feed.xml"

    def answer(self, handler) -> None:
        self.requests.append({**dict(handler.headers), "path": handler.path})
        if self.trickle_headers_s:
            head = b"HTTP/1.0 200 OK\r\nContent-Type: application/rss+xml\r\nX-Padding: " + b"a" * 200 + b"\r\n\r\n"
            for i in range(len(head)):  # each byte well within any per-read timeout; the client giving up ends it
                handler.wfile.write(head[i : i + 1])
                handler.wfile.flush()
                time.sleep(self.trickle_headers_s)
            return
        if self.stall_s:
            stall, self.stall_s = self.stall_s, 0.0
            time.sleep(stall)
        if self.redirect_to and not handler.path.startswith(self.redirect_to):
            handler.send_response(302)
            handler.send_header("Location", self.redirect_to)
            handler.end_headers()
            return
        if handler.headers.get("If-None-Match") == '"v1"' and self.document == RSS.encode():
            handler.send_response(304)
            handler.end_headers()
            return
        etag = {"ETag": '"v1"' if self.document == RSS.encode() else '"v2"'}
        if not self.trickle_s:
            return self.send(handler, self.status, self.document, etag)
        handler.send_response(self.status)
        handler.send_header("Content-Type", self.content_type)
        handler.send_header(*etag.popitem())
        handler.end_headers()
        for i in range(len(self.document)):  # the client giving up (OSError) is the point
            handler.wfile.write(self.document[i : i + 1])
            handler.wfile.flush()
            time.sleep(self.trickle_s)


@pytest.fixture
def feed():
    server = FeedServer()
    yield server
    server.server.shutdown()


def test_entries_become_plain_text_messages(feed):
    result = FeedMonitor("ledger", feed.url, reach=400_000).poll(None)
    first, second = result.messages
    assert first.text == "Tidewell camera clips found on open server — A researcher found millions of clips."
    assert (first.source, first.channel, first.reach, first.url) == (
        "news",
        "The Daily Ledger",
        400_000,
        "https://ledger.example/a1",
    )
    assert first.created_at.isoformat() == "2027-01-15T08:00:00+00:00"
    assert second.text == "Regulator asks Tidewell for details"  # no guid: deduped by link


def test_conditional_requests_and_dedupe(feed):
    monitor = FeedMonitor("ledger", feed.url)
    first = monitor.poll(None)
    second = monitor.poll(first.cursor)
    assert second.messages == [] and feed.requests[1]["If-None-Match"] == '"v1"'
    feed.document = ATOM_MORE.encode()
    third = monitor.poll(second.cursor)
    assert [m.text for m in third.messages] == ["Tidewell shares slide"]  # only the new entry


def test_malformed_and_huge_feeds_raise(feed):
    feed.document = b"<html><body>Site maintenance</body>"
    with pytest.raises(FeedError, match="not a readable RSS/Atom feed"):
        FeedMonitor("ledger", feed.url).poll(None)
    feed.document = RSS.replace("<item>", "<item>" + "<x>pad</x>" * 200_000, 1).encode()
    with pytest.raises(FeedError, match="larger than 1,000,000 bytes"):
        FeedMonitor("ledger", feed.url, max_bytes=1_000_000).poll(None)


def test_through_the_runner_nothing_twice(db, feed, clock):
    monitor = FeedMonitor("ledger", feed.url, interval_s=60)
    runner = Runner(db, [monitor], VaderEngine(), clock=clock)
    runner.poll(monitor)
    from store import sources

    sources.set_cursor(db, monitor.name, None)  # lost cursor: full re-read
    clock.advance(61)
    runner.poll(monitor)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 2


def test_plain_strips_markup_and_entities():
    assert plain("<p>Hello &amp; <a href='javascript:x'>bye</a></p>") == "Hello & bye"


# --- Going live without losing data (issue 15, part 4) and feed credentials (issue 16) ---

IDLESS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Tidewell recalls cameras</title><description>Recall covers 2 million units.</description>
<pubDate>Fri, 15 Jan 2027 08:00:00 GMT</pubDate></item>
<item><title>Tidewell CEO to testify</title><pubDate>Fri, 15 Jan 2027 09:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_entries_without_id_or_link_are_kept_once_across_polls(db, feed, clock):
    feed.document = IDLESS.encode()
    monitor = FeedMonitor("wire", feed.url, interval_s=60)
    first = monitor.poll(None)
    assert [m.text for m in first.messages] == [
        "Tidewell recalls cameras — Recall covers 2 million units.",
        "Tidewell CEO to testify",
    ]
    assert monitor.poll(first.cursor).messages == []  # remembered in the cursor
    again = monitor.poll(None)  # cursor lost: the same ids, so the store keeps them once
    assert [m.external_id for m in again.messages] == [m.external_id for m in first.messages]
    from store import sources

    runner = Runner(db, [monitor], VaderEngine(), clock=clock)
    runner.poll(monitor)
    sources.set_cursor(db, monitor.name, None)
    clock.advance(61)
    runner.poll(monitor)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 2


CHARSET_FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>
<item><guid>c1</guid><title>{text}</title></item></channel></rss>"""


@pytest.mark.parametrize(
    "charset, title, text",
    [
        ("EUC-JP", "日本経済新聞", "東京で大規模な情報漏えい"),
        ("GB2312", "新闻", "智能摄像头数据泄露"),
        ("KOI8-R", "Новости", "Утечка данных камер Tidewell"),
        ("Shift_JIS", "ニュース", "カメラの映像が流出"),
        ("windows-1255", "חדשות", "דליפת נתונים מהמצלמות"),
    ],
)
def test_the_content_type_charset_decodes_the_feed(feed, charset, title, text):
    # Declared only in the HTTP header, as many real servers do.
    feed.document = CHARSET_FEED.format(title=title, text=text).encode(charset)
    feed.content_type = f"application/rss+xml; charset={charset}"
    (message,) = FeedMonitor("intl", feed.url).poll(None).messages
    assert (message.text, message.channel) == (text, title)


RELATIVE_RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>
<item><guid>r1</guid><title>Relative story</title><link>/news/2027/tidewell.html</link></item>
<item><guid>r2</guid><title>Sibling story</title><link>story-2.html</link></item></channel></rss>"""
RELATIVE_ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="/blog/">
<title>Blog</title><id>urn:blog</id><updated>2027-01-15T08:00:00Z</updated>
<entry><id>urn:e1</id><title>Atom story</title><updated>2027-01-15T08:00:00Z</updated><link href="posts/1"/></entry>
</feed>"""


def test_relative_links_resolve_against_the_feed_address_and_xml_base(feed):
    feed.document = RELATIVE_RSS.encode()
    feed.url = f"{feed.base}/feeds/local.xml"
    links = [m.url for m in FeedMonitor("local", feed.url).poll(None).messages]
    assert links == [f"{feed.base}/news/2027/tidewell.html", f"{feed.base}/feeds/story-2.html"]
    feed.document, feed.content_type = RELATIVE_ATOM.encode(), "application/atom+xml"
    (atom,) = FeedMonitor("blog", f"{feed.base}/feeds/atom.xml").poll(None).messages
    assert atom.url == f"{feed.base}/blog/posts/1"


def test_relative_links_resolve_against_the_address_after_a_redirect(feed):
    feed.document = RELATIVE_RSS.encode()
    feed.redirect_to = "/moved/here/local.xml"
    links = [m.url for m in FeedMonitor("local", feed.url).poll(None).messages]
    assert links[1] == f"{feed.base}/moved/here/story-2.html"


def test_a_trickling_server_hits_the_total_deadline(feed):
    feed.document = RSS.encode()  # ~600 bytes at 20 bytes a second: 30 s, each read well within the per-read timeout
    feed.trickle_s = 0.05
    monitor = FeedMonitor("slow", feed.url, timeout_s=3, deadline_s=1.0)
    started = time.monotonic()
    with pytest.raises(FeedError, match=r"did not finish sending the feed within 1 s"):
        monitor.poll(None)
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_server_trickling_its_headers_hits_the_total_deadline(scheme, monkeypatch):
    """requests reads the status line and headers before it returns, each read
    under the per-read timeout only: the deadline must cut that off too."""
    tls = _certificate() if scheme == "https" else None
    feed = FeedServer(tls=tls)
    try:
        feed.trickle_headers_s = 0.5  # a header byte every 0.5 s: 100 s of headers
        if tls:
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls[0])
        monitor = FeedMonitor("slow", feed.url, timeout_s=3, deadline_s=1.5)
        assert feed.url.startswith(f"{scheme}://")
        started = time.monotonic()
        with pytest.raises(FeedError, match=r"did not finish sending the feed within 1.5 s"):
            monitor.poll(None)
        assert time.monotonic() - started < 3  # not the 100 s of headers, nor a 3 s read timeout
        feed.trickle_headers_s = 0.0
        assert len(monitor.poll(None).messages) == 2  # the same monitor reads the feed once the server is well
    finally:
        feed.close()


def test_an_empty_200_or_a_page_without_a_feed_is_an_error(feed):
    feed.document = b""
    with pytest.raises(FeedError, match="answered 200 with an empty body"):
        FeedMonitor("ledger", feed.url).poll(None)
    feed.document = b"  \n"
    with pytest.raises(FeedError, match="empty body"):
        FeedMonitor("ledger", feed.url).poll(None)
    feed.document, feed.content_type = b"<!doctype html><html><body><p>Welcome</p></body></html>", "text/html"
    with pytest.raises(FeedError, match=r"not a readable RSS/Atom feed: no feed .*text/html"):
        FeedMonitor("ledger", feed.url).poll(None)
    # A real feed with no entries (yet) is healthy.
    feed.document = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    assert FeedMonitor("ledger", feed.url).poll(None).messages == []


BOZO = """<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title>
<item><guid>b1</guid><title>First &amp; fine</title></item>
<item><guid>b2</guid><title>Bare & ampersand</title></item>
<item><guid>b3</guid><title></title><description></description></item>
<item><guid>b4</guid><title>Last one</title></item></channel></rss>"""


def test_a_malformed_feed_keeps_what_parses_and_quarantines_the_rest_once(feed):
    feed.document = BOZO.encode()
    monitor = FeedMonitor("broken", feed.url)
    first = monitor.poll(None)
    assert [m.text for m in first.messages] == ["First & fine", "Bare & ampersand", "Last one"]
    reasons = [q.reason for q in first.quarantined]
    assert reasons[0].startswith("malformed feed (") and "not well-formed" in reasons[0]
    assert "read 4 entries of about 4" in reasons[0] and "Bare & ampersand" in first.quarantined[0].raw
    assert first.quarantined[1].reason == "entry has neither title nor summary text"
    assert first.quarantined[1].external_id == "b3" and first.quarantined[0].source == "feed:broken"
    second = monitor.poll(first.cursor)  # the same broken body: nothing new, no second note
    assert second.messages == [] and second.quarantined == []


# Credentials -------------------------------------------------------------------------------

PASSWORD, API_KEY, HEADER_TOKEN = "pw-Hunter2-partner-5150", "key-77ab19cd-partner", "tok-9f8e7d6c5b4a-hdr"


def partner_auth():
    from monitors.feeds import FeedAuth

    return FeedAuth("newsdesk", PASSWORD, {"X-Api-Token": HEADER_TOKEN}, {"apikey": API_KEY})


def test_feed_credentials_are_sent_but_never_in_an_error(feed):
    feed.status = 500
    monitor = FeedMonitor("partner", f"{feed.url}?format=rss", auth=partner_auth())
    with pytest.raises(FeedError) as err:
        monitor.poll(None)
    sent = feed.requests[-1]
    assert f"apikey={API_KEY}" in sent["path"] and "format=rss" in sent["path"]
    assert sent["X-Api-Token"] == HEADER_TOKEN and sent["Authorization"].startswith("Basic ")
    assert str(err.value) == f"{feed.url} answered HTTP 500"
    # Unreachable: requests' own message names the URL with its query; it never reaches the error.
    down = FeedMonitor("partner", "http://127.0.0.1:9/rss?format=rss", auth=partner_auth(), timeout_s=2)
    with pytest.raises(FeedError) as err:
        down.poll(None)
    assert "could not be read" in str(err.value) and "127.0.0.1:9/rss" in str(err.value)
    for value in (PASSWORD, API_KEY, HEADER_TOKEN, "format=rss"):
        assert value not in str(err.value)


def test_display_url_and_scrub_drop_user_info_and_query():
    from monitors.feeds import display_url, scrub

    assert display_url("https://bob:s3cret@feeds.example:8443/a/rss.xml?apikey=k&x=1#f") == (
        "https://feeds.example:8443/a/rss.xml"
    )
    text = "HTTPSConnectionPool(host='x', port=443): Max retries exceeded with url: /rss?apikey=k1 (Caused by ...)"
    assert scrub(text) == "HTTPSConnectionPool(host='x', port=443): Max retries exceeded with url: /rss (Caused by ...)"
    assert scrub("see https://bob:pw@host/p?q=1 now") == "see https://host/p now"
    assert scrub("the word pw-secret here", ("pw-secret",)) == "the word [secret] here"


def test_auth_comes_from_secrets_toml_or_the_environment(tmp_path):
    from settings.schema import FeedSource
    from settings.secrets import secret_table

    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[feeds.partnerwire]\nusername = "newsdesk"\npassword = "pw-from-file-1234"\n'
        '[feeds.partnerwire.query]\napikey = "k-from-file"\n',
        encoding="utf-8",
    )
    from monitors.feeds import build

    def table(section, name):
        return secret_table(section, name, path=secrets)

    cfg = FeedSource(name="partner", url="https://wire.example/rss", auth="partnerwire")
    monitor = build(cfg, table, env={})
    assert (monitor.auth.username, monitor.auth.password, monitor.auth.query) == (
        "newsdesk",
        "pw-from-file-1234",
        {"apikey": "k-from-file"},
    )
    env = {"CRISISDESK_FEED_PARTNERWIRE_PASSWORD": "pw-from-env-5678"}
    assert build(cfg, table, env=env).auth.password == "pw-from-env-5678"
    missing = build(FeedSource(name="other", url="https://o.example/rss", auth="nowhere"), table, env={})
    from monitors.base import NotConfigured

    with pytest.raises(NotConfigured, match=r"add \[feeds.nowhere\] to .streamlit/secrets.toml"):
        missing.poll(None)


@pytest.mark.parametrize(
    "url, words",
    [
        ("https://bob:pw-in-config-1@wire.example/rss", "holds a user name or password"),
        ("https://wire.example/rss?format=rss&apikey=key-in-config-1", "query holds a credential (apikey)"),
    ],
)
def test_config_refuses_a_feed_url_with_credentials_and_does_not_echo_it(tmp_path, url, words):
    from settings import ConfigError, load_settings
    from tests.test_live_sources import live_config

    with pytest.raises(ConfigError) as err:
        load_settings(live_config(tmp_path, f'[[sources.feeds]]\nname = "wire"\nurl = "{url}"\n'))
    assert words in str(err.value) and "[feeds.NAME]" in str(err.value)
    assert "in-config-1" not in str(err.value)


def test_feed_credentials_never_reach_the_sources_page_the_store_or_the_log(tmp_path, monkeypatch, caplog, clock):
    import logging

    from streamlit.testing.v1 import AppTest

    from monitors.feeds import build
    from settings import load_settings, redact
    from settings.secrets import secret_table
    from store import queries
    from tests.conftest import ROOT
    from tests.test_live_sources import live_config
    from worker.service import open_store

    server = FeedServer()
    server.status = 503
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'[feeds.partnerwire]\nusername = "newsdesk"\npassword = "{PASSWORD}"\n'
        f'[feeds.partnerwire.headers]\nX-Api-Token = "{HEADER_TOKEN}"\n'
        f'[feeds.partnerwire.query]\napikey = "{API_KEY}"\n',
        encoding="utf-8",
    )
    redact.install(secrets)  # as the app and the worker do at start-up
    caplog.set_level(logging.DEBUG)
    try:
        path = live_config(
            tmp_path,
            f'[[sources.feeds]]\nname = "partner"\nurl = "{server.url}?edition=eu"\nauth = "partnerwire"\n'
            '[[sources.feeds]]\nname = "down"\nurl = "http://127.0.0.1:9/rss?edition=eu"\nauth = "partnerwire"\n'
            "timeout_s = 2\n",
        )
        settings = load_settings(path)
        db = open_store(settings)
        feeds = [build(f, lambda s, n: secret_table(s, n, path=secrets), env={}) for f in settings.sources.feeds]
        Runner(db, feeds, VaderEngine(), clock=clock).run_pending()
        health = queries.source_health(db).set_index("name")
        monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page("pages/sources.py").run()
        assert not at.exception, at.exception
        page = "\n".join(
            [str(e.value) for kind in ("markdown", "caption", "text", "error", "warning") for e in getattr(at, kind)]
            + [df.value.to_string() for df in at.dataframe]
        )
    finally:
        server.server.shutdown()
    assert any(API_KEY in r["path"] for r in server.requests)  # not vacuous: the secrets went out
    stored = " ".join(health["last_error"])
    assert f"{server.url} answered HTTP 503" in stored and "127.0.0.1:9/rss could not be read" in stored
    table = at.dataframe[0].value.set_index("source")
    assert "answered HTTP 503" in table.loc["feed:partner", "last error"]
    for value in (PASSWORD, API_KEY, HEADER_TOKEN, "newsdesk:"):
        assert value not in stored
        assert value not in page
        assert value not in caplog.text
    # The rest of a query string stays off the page and out of stored errors too (urllib3's DEBUG
    # request line in the log keeps it, with the secret values masked there).
    assert "edition=eu" not in stored and "edition=eu" not in page
