"""The feed monitor against a local HTTP server: conditional requests,
dedupe, malformed and huge feeds."""

import http.server
import threading
import time

import pytest
import sqlalchemy as sa

from monitors.feeds import FeedError, FeedMonitor, plain
from sentiment.lexicon import VaderEngine
from store.schema import messages
from worker.runner import Runner

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>The Daily Ledger</title>
<item><guid>a1</guid><title>Tidewell camera clips found on open server</title>
<description>&lt;p&gt;A researcher found &lt;b&gt;millions&lt;/b&gt; of clips.&lt;/p&gt;</description>
<link>https://ledger.example/a1</link><pubDate>Fri, 15 Jan 2027 08:00:00 GMT</pubDate></item>
<item><title>Regulator asks Tidewell for details</title><link>https://ledger.example/a2</link></item>
</channel></rss>"""
ATOM_MORE = RSS.replace("</channel>", "<item><guid>a3</guid><title>Tidewell shares slide</title></item></channel>")


class FeedServer:
    def __init__(self):
        self.body, self.requests = RSS.encode(), []
        self.stall_s = 0.0  # the next request hangs this long (a worker stuck mid-poll)
        srv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                srv.requests.append(dict(self.headers))
                if srv.stall_s:
                    stall, srv.stall_s = srv.stall_s, 0.0
                    time.sleep(stall)
                if self.headers.get("If-None-Match") == '"v1"' and srv.body == RSS.encode():
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", '"v1"' if srv.body == RSS.encode() else '"v2"')
                self.send_header("Content-Length", str(len(srv.body)))
                self.end_headers()
                self.wfile.write(srv.body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/feed.xml"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


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
    feed.body = ATOM_MORE.encode()
    third = monitor.poll(second.cursor)
    assert [m.text for m in third.messages] == ["Tidewell shares slide"]  # only the new entry


def test_malformed_and_huge_feeds_raise(feed):
    feed.body = b"<html><body>Site maintenance</body>"
    with pytest.raises(FeedError, match="not a readable RSS/Atom feed"):
        FeedMonitor("ledger", feed.url).poll(None)
    feed.body = RSS.replace("<item>", "<item>" + "<x>pad</x>" * 200_000, 1).encode()
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
