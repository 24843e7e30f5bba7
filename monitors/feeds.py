"""News feeds (RSS and Atom): one source per feed.

Each poll is a conditional GET (ETag / Last-Modified): a 304 costs nothing.
The whole exchange, status line and headers included, runs under a total
wall-clock deadline (requests' timeout is per read, so a server trickling a
byte a second would otherwise hold the poll for hours: monitors/deadline.py
cuts its connection off), and the body is read up to `max_bytes`. feedparser gets the response headers,
so the Content-Type charset decodes the body (EUC-JP, GB2312, KOI8-R,
Shift_JIS, windows-1255 ...); relative links resolve against the feed's
own address after redirects (and any xml:base in it).

Entries are deduplicated per feed by their id, else their link, else a hash
of their title, summary and date (many real feeds have neither id nor link).
Their HTML summary is reduced to plain text. An entry that cannot become a
message is quarantined with the reason; a malformed feed keeps what the
lenient parser read and says so in a quarantined note. An empty body, or one
with no feed in it, is an error, not a healthy poll.

Credentials: a feed may name `auth = "NAME"`, a `[feeds.NAME]` table in
.streamlit/secrets.toml (`username`/`password` for basic auth, `headers`,
`query`), or CRISISDESK_FEED_NAME_USERNAME / _PASSWORD in the environment.
config.toml never holds them, and every address this module writes into an
error is `display_url`'s: without user-info or query string.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit, urlunsplit

import feedparser
import requests
import urllib3

from model.message import Message, Quarantined
from monitors import deadline
from monitors.base import NotConfigured, PollResult

_TAG = re.compile(r"<[^>]+>")
SEEN_KEEP = 2000  # entry keys remembered per feed
RAW_KEEP = 20_000  # characters of a malformed body kept in its quarantine note
# feedparser's notes that say nothing was lost (a charset header overriding the XML declaration, ...).
_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_ITEM = re.compile(rb"<(?:\w+:)?(?:item|entry)[\s>/]")
# In free error text (an exception's words): user-info and query strings of any address.
_USERINFO = re.compile(r"(?<=//)[^/\s@'\"]+@")
_QUERY = re.compile(r"\?[^\s'\"<>)]+")


class FeedError(ValueError):
    pass


def plain(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment or "")).split())


def display_url(url: str) -> str:
    """A feed address fit for a page, a log line or a stored error: scheme,
    host, port and path only (no user:password@, no ?apikey=...)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return _QUERY.sub("", _USERINFO.sub("", url))
    if ":" in host:
        host = f"[{host}]"
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Free text (an exception's message) without addresses' user-info and
    query strings, and without the given secret values."""
    text = _QUERY.sub("", _USERINFO.sub("", text))
    for value in sorted(secrets, key=len, reverse=True):
        if value:
            text = text.replace(value, "[secret]")
    return text


@dataclass(frozen=True)
class FeedAuth:
    """A feed's credentials, from secrets: never from config.toml."""

    username: str = ""
    password: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)

    def values(self) -> tuple[str, ...]:
        return tuple(v for v in (self.password, *self.headers.values(), *self.query.values()) if v)


def load_auth(name: str, table: dict | None, env=os.environ) -> FeedAuth | None:
    """The credentials called `name`: `[feeds.NAME]` in secrets.toml, then
    CRISISDESK_FEED_NAME_USERNAME / _PASSWORD in the environment (which win).
    None when neither has anything."""
    table = dict(table or {})
    prefix = "CRISISDESK_FEED_" + re.sub(r"\W", "_", name).upper()
    username = env.get(prefix + "_USERNAME") or str(table.get("username") or "")
    password = env.get(prefix + "_PASSWORD") or str(table.get("password") or "")
    headers, query = table.get("headers") or {}, table.get("query") or {}
    if not isinstance(headers, dict) or not isinstance(query, dict):
        raise ValueError(f"[feeds.{name}] in .streamlit/secrets.toml: headers and query must be tables")
    if not (username or password or headers or query):
        return None
    return FeedAuth(
        username, password, {str(k): str(v) for k, v in headers.items()}, {str(k): str(v) for k, v in query.items()}
    )


def _content_id(entry) -> str:
    """A stable key for an entry with neither id nor link."""
    parts = [str(entry.get(k, "")) for k in ("title", "summary", "published")]
    return "sha256:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _decode(data: bytes, encoding: str | None) -> str:
    try:
        return data.decode(encoding or "utf-8", "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def _raw(entry) -> str:
    return json.dumps(entry, default=str, ensure_ascii=False)[:RAW_KEEP]


class FeedMonitor:
    def __init__(
        self,
        name: str,
        url: str,
        *,
        reach: int = 0,
        interval_s: float = 300.0,
        timeout_s: float = 20.0,
        deadline_s: float = 60.0,
        max_bytes: int = 5_000_000,
        auth: FeedAuth | None = None,
        missing: str = "",
        session: requests.Session | None = None,
        clock=time.time,
    ) -> None:
        self.name = f"feed:{name}"
        self.url, self.reach, self.interval_s, self.timeout_s, self.deadline_s, self.max_bytes = (
            url,
            reach,
            interval_s,
            timeout_s,
            deadline_s,
            max_bytes,
        )
        self.auth, self.missing = auth or FeedAuth(), missing
        self.safe_url = display_url(url)
        self._base = ""  # the address the last body came from
        # Its connections can be cut off at the poll's total deadline, headers included.
        self.session = deadline.mount(session or requests.Session())
        self.clock = clock

    def poll(self, cursor: str | None) -> PollResult:
        if self.missing:
            raise NotConfigured(self.missing)
        state = json.loads(cursor) if cursor else {}
        fetched = self._fetch(state)
        if fetched is None:
            return PollResult([], cursor)
        body, response_headers, etag, modified = fetched
        # A BytesIO, never bytes: feedparser opens a bytes value that looks like a path or URL.
        parsed = feedparser.parse(io.BytesIO(body), response_headers=response_headers)
        if not parsed.entries and not parsed.get("version"):
            why = parsed.get("bozo_exception")
            kind = response_headers.get("content-type") or "no Content-Type"
            raise FeedError(
                f"{self.safe_url} is not a readable RSS/Atom feed: no feed in the {len(body):,}-byte answer "
                f"({kind}{'; ' + scrub(str(why), self.auth.values()) if why else ''})"
            )
        quarantined: list[Quarantined] = []
        next_state = {"etag": etag, "modified": modified}
        bozo = parsed.get("bozo_exception") if parsed.bozo else None
        if bozo is not None and not isinstance(bozo, _HARMLESS_BOZO):
            digest = hashlib.sha256(body).hexdigest()[:16]
            next_state["bozo"] = digest
            if state.get("bozo") != digest:  # one note per distinct broken body, not one per poll
                items = len(_ITEM.findall(body))
                quarantined.append(
                    Quarantined(
                        self.name,
                        "",
                        _decode(body[:RAW_KEEP], parsed.get("encoding")),
                        f"malformed feed ({scrub(str(bozo), self.auth.values())}): the lenient parser read "
                        f"{len(parsed.entries)} entries of about {items} in the body, which is kept here as received",
                    )
                )
        title = plain(parsed.feed.get("title", "")) or self.name
        seen = list(state.get("seen", []))
        known = set(seen)
        out = []
        for entry in parsed.entries:
            key = entry.get("id") or entry.get("link") or _content_id(entry)
            if key in known:
                continue
            known.add(key)
            seen.append(key)
            try:
                message = self._message(entry, key, title)
            except Exception as exc:  # one odd entry never costs the rest of the feed
                quarantined.append(Quarantined(self.name, key, _raw(entry), f"{exc.__class__.__name__}: {exc}"))
                continue
            if message is None:
                quarantined.append(Quarantined(self.name, key, _raw(entry), "entry has neither title nor summary text"))
            else:
                out.append(message)
        next_state["seen"] = seen[-SEEN_KEEP:]
        return PollResult(out, json.dumps(next_state), quarantined=quarantined)

    def _message(self, entry, key: str, title: str) -> Message | None:
        text = plain(entry.get("title", ""))
        summary = plain(entry.get("summary", ""))
        if summary and summary != text:
            text = f"{text} — {summary}" if text else summary
        if not text:
            return None
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        created = datetime.fromtimestamp(calendar.timegm(stamp) if stamp else self.clock(), tz=timezone.utc)
        return Message(
            source="news",
            external_id=hashlib.sha256(f"{self.url}\n{key}".encode()).hexdigest()[:32],
            created_at=created,
            text=text[:4000],
            channel=title[:200],
            author=plain(entry.get("author", ""))[:200] or title[:200],
            reach=self.reach,
            url=self._link(entry),
        )

    def _link(self, entry) -> str:
        """The entry's link made absolute against the feed's address (an
        xml:base in the feed is already applied by feedparser). Not given to
        feedparser as Content-Location: it would rewrite relative guids too,
        and so change the ids that earlier polls stored."""
        link = entry.get("link", "")
        if not link or (entry.get("guidislink") and link == entry.get("id") and not urlsplit(link).scheme):
            return ""  # no link, or only a guid that is no address
        link = urljoin(self._base or self.safe_url, link)
        return link if urlsplit(link).scheme in ("http", "https") else ""

    def _fetch(self, state: dict):
        """(body, headers for feedparser, etag, last-modified), or None on 304."""
        headers = {"User-Agent": "CrisisDesk/1.0 (+feed monitor)", **self.auth.headers}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        basic = (self.auth.username, self.auth.password) if self.auth.username or self.auth.password else None
        started = time.monotonic()
        # Each read waits at most this long; the whole exchange, headers and body, ends at the deadline.
        read_timeout = min(self.timeout_s, self.deadline_s)
        with deadline.deadline(self.deadline_s) as cutoff:
            try:
                fetched = self._get(headers, basic, read_timeout, started)
            except Exception:
                if not cutoff.fired:
                    raise
                fetched = None
            if cutoff.fired:  # cut off: an error, or what looks like the end of a (truncated) body
                raise FeedError(
                    f"{self.safe_url} did not finish sending the feed within {self.deadline_s:g} s; abandoned"
                )
            return fetched

    def _get(self, headers: dict, basic, read_timeout: float, started: float):
        try:
            with self.session.get(
                self.url,
                headers=headers,
                params=self.auth.query or None,
                auth=basic,
                timeout=(min(self.timeout_s, 10.0), read_timeout),
                stream=True,
            ) as reply:
                if reply.status_code == 304:
                    return None
                if reply.status_code in (401, 403):
                    raise FeedError(
                        f"{self.safe_url} refused the request (HTTP {reply.status_code}): check the feed's auth "
                        "credentials in .streamlit/secrets.toml"
                    )
                if reply.status_code != 200:
                    raise FeedError(f"{self.safe_url} answered HTTP {reply.status_code}")
                body = bytearray()
                while True:
                    if time.monotonic() - started > self.deadline_s:
                        raise FeedError(
                            f"{self.safe_url} did not finish sending the feed within {self.deadline_s:g} s "
                            f"({len(body):,} bytes so far); abandoned"
                        )
                    chunk = reply.raw.read1(65536, decode_content=True)
                    if not chunk:
                        break
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FeedError(f"{self.safe_url} is larger than {self.max_bytes:,} bytes; not read")
                response_headers = {"content-type": reply.headers.get("Content-Type", "")}
                if reply.headers.get("Content-Language"):
                    response_headers["content-language"] = reply.headers["Content-Language"]
                etag, modified = reply.headers.get("ETag"), reply.headers.get("Last-Modified")
                # The final address (after redirects), never its query: the base for relative links.
                self._base = display_url(reply.url)
        except (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError) as exc:
            raise FeedError(
                f"{self.safe_url} did not answer within {read_timeout:g} s ({exc.__class__.__name__})"
            ) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise FeedError(
                f"{self.safe_url} could not be read: {exc.__class__.__name__}: {scrub(str(exc), self.auth.values())}"
            ) from None
        if not body.strip():
            raise FeedError(f"{self.safe_url} answered 200 with an empty body: there is no feed to read")
        return bytes(body), response_headers, etag, modified


def build(feed, secret_table=None, env=os.environ) -> FeedMonitor:
    """The monitor for one `[[sources.feeds]]` table (settings.schema.FeedSource).
    `secret_table(section, name)` reads `[section.name]` from secrets.toml
    (settings.secrets.secret_table); a feed whose `auth` names credentials
    that are nowhere is "not configured", with what to set."""
    if secret_table is None:
        from settings.secrets import secret_table
    auth, missing = None, ""
    if feed.auth:
        auth = load_auth(feed.auth, secret_table("feeds", feed.auth), env)
        if auth is None:
            var = "CRISISDESK_FEED_" + re.sub(r"\W", "_", feed.auth).upper()
            missing = (
                f"feed {feed.name!r} names auth {feed.auth!r}: add [feeds.{feed.auth}] to .streamlit/secrets.toml "
                f"(username/password, or headers/query), or set {var}_USERNAME and {var}_PASSWORD"
            )
    return FeedMonitor(
        feed.name,
        feed.url,
        reach=feed.reach,
        interval_s=feed.interval_s,
        timeout_s=feed.timeout_s,
        deadline_s=feed.deadline_s,
        auth=auth,
        missing=missing,
    )
