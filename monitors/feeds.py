"""News feeds (RSS and Atom): one source per feed.

Each poll is a conditional GET (ETag / Last-Modified): a 304 costs nothing.
The body is read up to `max_bytes` (a huge feed is an error, not a memory
problem) and parsed with feedparser. Entries are deduplicated per feed by
their id, else their link; their HTML summary is reduced to plain text.
A malformed feed raises, so the runner backs off and the cursor stays.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
import time
from datetime import datetime, timezone

import feedparser
import requests

from monitors.base import Message, PollResult

_TAG = re.compile(r"<[^>]+>")
SEEN_KEEP = 2000  # entry keys remembered per feed


class FeedError(ValueError):
    pass


def plain(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment or "")).split())


class FeedMonitor:
    def __init__(
        self,
        name: str,
        url: str,
        *,
        reach: int = 0,
        interval_s: float = 300.0,
        timeout_s: float = 20.0,
        max_bytes: int = 5_000_000,
        session: requests.Session | None = None,
        clock=time.time,
    ) -> None:
        self.name = f"feed:{name}"
        self.url, self.reach, self.interval_s, self.timeout_s, self.max_bytes = (
            url,
            reach,
            interval_s,
            timeout_s,
            max_bytes,
        )
        self.session = session or requests.Session()
        self.clock = clock

    def poll(self, cursor: str | None) -> PollResult:
        state = json.loads(cursor) if cursor else {}
        headers = {"User-Agent": "CrisisDesk/1.0 (+feed monitor)"}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        with self.session.get(self.url, headers=headers, timeout=self.timeout_s, stream=True) as reply:
            if reply.status_code == 304:
                return PollResult([], cursor)
            if reply.status_code != 200:
                raise FeedError(f"{self.url} answered HTTP {reply.status_code}")
            body = bytearray()
            for chunk in reply.iter_content(65536):
                body += chunk
                if len(body) > self.max_bytes:
                    raise FeedError(f"{self.url} is larger than {self.max_bytes:,} bytes; not read")
            etag, modified = reply.headers.get("ETag"), reply.headers.get("Last-Modified")
        parsed = feedparser.parse(bytes(body))
        if parsed.bozo and not parsed.entries:
            raise FeedError(f"{self.url} is not a readable RSS/Atom feed ({parsed.bozo_exception.__class__.__name__})")
        title = plain(parsed.feed.get("title", "")) or self.name
        seen = list(state.get("seen", []))
        known = set(seen)
        out = []
        for entry in parsed.entries:
            key = entry.get("id") or entry.get("link")
            if not key or key in known:
                continue
            known.add(key)
            seen.append(key)
            text = plain(entry.get("title", ""))
            summary = plain(entry.get("summary", ""))
            if summary and summary != text:
                text = f"{text} — {summary}" if text else summary
            if not text:
                continue
            stamp = entry.get("published_parsed") or entry.get("updated_parsed")
            created = datetime.fromtimestamp(calendar.timegm(stamp) if stamp else self.clock(), tz=timezone.utc)
            out.append(
                Message(
                    source="news",
                    external_id=hashlib.sha256(f"{self.url}\n{key}".encode()).hexdigest()[:32],
                    created_at=created,
                    text=text[:4000],
                    channel=title[:200],
                    author=plain(entry.get("author", ""))[:200] or title[:200],
                    reach=self.reach,
                    url=entry.get("link", ""),
                )
            )
        next_state = {"etag": etag, "modified": modified, "seen": seen[-SEEN_KEEP:]}
        return PollResult(out, json.dumps(next_state))
