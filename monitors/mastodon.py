"""Mastodon: hashtag timelines, a full-text search and a list, through Mastodon.py.

Each timeline keeps its own cursor: the newest status id read (`since_id`)
and, while a gap is being read back page by page (newest first, as the API
pages), the `max_id` to continue from and the newest id of that read. A poll
reads at most `max_pages` pages of 40 per timeline and the next poll carries
on, so a busy hashtag never skips a status. The very first read of a
timeline takes its newest page only (no unbounded backfill).

Each status becomes a message: its HTML content as plain text (never
rendered), `spoiler_text` (the content warning) in front, its language and
address, and the author's followers as reach. A boost is stored as the
original's text, under the booster (whose followers saw it), with the
original's address. A status that cannot become a message is quarantined.

Rate limits: Mastodon.py runs with ratelimit_method="throw", so it never
sleeps on the runner thread. A 429, or a poll that used up the instance's
X-RateLimit-Remaining, makes X-RateLimit-Reset this source's own next poll
(RetryAt); timelines already read in that poll are kept. 401/403/404 stop
the source with the reason; timeouts and 5xx raise, so the runner backs off.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from html.parser import HTMLParser
from urllib.parse import urlsplit

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from model.message import Message, Quarantined
from monitors import pacing
from monitors.base import NotConfigured, PollResult, SourceStopped
from monitors.feeds import scrub

PAGE_SIZE = 40  # the most Mastodon returns per page
WINDOW_S = 300  # Mastodon's rate-limit window, when an answer gives no reset time
TOKEN_HELP = "MASTODON_ACCESS_TOKEN (environment, or [mastodon] access_token in .streamlit/secrets.toml)"


class MastodonUnavailable(OSError):
    """The instance did not answer, or answered 5xx: the runner backs off."""


class _Client(Mastodon):
    """Mastodon.py, minus its hidden timeline check: before each hashtag read
    it asks /api/v2/instance whether the timeline is public, and it asks again
    on every call while that fails (older instances, a hung server), at a full
    timeout each. The timeline's own 401 says the same, and is reported."""

    def timeline_is_available(self, *args, **kwargs) -> bool:
        return True


class _Text(HTMLParser):
    """Mastodon's status HTML (p, br, a, span) as plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag in ("p", "li", "blockquote") and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(fragment: str) -> str:
    parser = _Text()
    parser.feed(fragment or "")
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def _id_key(status_id) -> tuple[int, str]:
    """Mastodon ids are numeric strings that grow with time; compare them as numbers."""
    text = str(status_id)
    return (len(text), text) if text.isdigit() else (0, text)


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise ValueError(f"created_at is not a time: {value!r}")
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class MastodonMonitor:
    name = "mastodon"

    def __init__(
        self,
        client: Mastodon | None,
        *,
        hashtags: list[str] | tuple[str, ...] = (),
        query: str = "",
        list_id: str = "",
        local_only: bool = False,
        interval_s: float = 60.0,
        max_pages: int = 5,
        page_size: int = PAGE_SIZE,
        missing: str = "",
        clock=time.time,
    ) -> None:
        self.client, self.missing, self.clock = client, missing, clock
        self.interval_s, self.max_pages, self.page_size = interval_s, max_pages, page_size
        self.host = urlsplit(str(client.api_base_url)).netloc if client else ""
        self.timelines: list[tuple[str, str, object]] = []
        for tag in hashtags:
            self.timelines.append((f"tag:{tag}", f"#{tag}", self._hashtag(tag, local_only)))
        if query.strip():
            self.timelines.append(("search", f"search: {query.strip()}"[:200], self._search(query.strip())))
        if list_id:
            self.timelines.append((f"list:{list_id}", f"list {list_id}", self._list(list_id)))

    @property
    def api(self) -> Mastodon:
        """The client; a monitor made without one (no token where one is needed) is not configured."""
        if self.client is None:
            raise NotConfigured(self.missing or "Mastodon needs an access token")
        return self.client

    # One function per kind of timeline: (since_id, max_id) -> the page's statuses, newest first.
    def _hashtag(self, tag: str, local_only: bool):
        return lambda since, max_id: self.api.timeline_hashtag(
            tag, local=local_only, since_id=since, max_id=max_id, limit=self.page_size
        )

    def _list(self, list_id: str):
        return lambda since, max_id: self.api.timeline_list(
            list_id, since_id=since, max_id=max_id, limit=self.page_size
        )

    def _search(self, query: str):
        def page(since, max_id):
            found = self.api.search_v2(
                query, resolve=False, result_type="statuses", min_id=since, max_id=max_id, limit=self.page_size
            )
            return found.get("statuses") or []

        return page

    def poll(self, cursor: str | None) -> PollResult:
        now, state = pacing.begin(self, cursor)
        out: list[Message] = []
        quarantined: list[Quarantined] = []
        retry = None
        for done, (key, channel, fetch) in enumerate(self.timelines):
            try:
                messages, bad, state[key] = self._read(fetch, channel, state.get(key) or {})
            except MastodonRatelimitError:
                # Keep what the earlier timelines read; this one goes on after the reset.
                retry = pacing.keep_or_raise(pacing.limit_reached("Mastodon", self._reset(now)), done > 0)
                break
            out += messages
            quarantined += bad
        if retry is None and getattr(self.client, "ratelimit_remaining", 1) <= 0:
            # The instance said no calls are left in this window: the next poll waits for its reset.
            retry = pacing.limit_used_up("Mastodon", "X-RateLimit-Remaining", self._reset(now))
        return PollResult(out, json.dumps(state), quarantined=quarantined, retry=retry)

    def _read(self, fetch, channel: str, cursor: dict):
        since = cursor.get("since_id")
        pending = cursor.get("pending") or {}
        max_id, newest = pending.get("max_id"), pending.get("newest_id")
        out: list[Message] = []
        bad: list[Quarantined] = []
        for pages in range(1, self.max_pages + 1):
            page = self._call(fetch, since, max_id)
            # A server that ignores since_id must not send this source back through its history.
            statuses = [s for s in page if since is None or not s.get("id") or _id_key(s["id"]) > _id_key(since)]
            short = len(statuses) < len(page)
            ids = [s.get("id") for s in statuses if s.get("id") is not None]
            if ids:
                top = max(ids, key=_id_key)
                newest = str(top) if newest is None or _id_key(top) > _id_key(newest) else newest
            for status in statuses:
                try:
                    message = self._message(status, channel)
                except Exception as exc:  # one odd status never costs the page
                    reason = f"{exc.__class__.__name__}: {exc}"
                    bad.append(Quarantined(self.name, str(status.get("id") or ""), _raw(status), reason))
                    continue
                if isinstance(message, Quarantined):
                    bad.append(message)
                else:
                    out.append(message)
            if since is None or short or len(statuses) < self.page_size or not ids:
                max_id = None  # the first read takes the newest page only; a short page is the last
                break
            following = getattr(page, "_pagination_next", None) or {}
            lowest = min(ids, key=_id_key)
            link = following.get("max_id")
            # The Link header's max_id, unless it would not move past this page.
            max_id = str(link if link is not None and _id_key(str(link)) <= _id_key(lowest) else lowest)
        if max_id is not None:  # more to read back: the next poll carries on from here
            next_cursor = {"since_id": since, "pending": {"max_id": max_id, "newest_id": newest}}
        else:
            next_cursor = {"since_id": newest or since, "pending": None}
        return out, bad, next_cursor

    def _call(self, fetch, since, max_id):
        try:
            return fetch(since, max_id)
        except MastodonRatelimitError:
            raise
        except MastodonUnauthorizedError as exc:
            raise SourceStopped(
                f"Mastodon refused the request (401 {_said(exc)}): "
                + (
                    f"check {TOKEN_HELP}"
                    if self.api.access_token
                    else f"this instance needs an access token for this timeline; set {TOKEN_HELP}"
                )
            ) from None
        except MastodonNotFoundError as exc:
            raise SourceStopped(f"Mastodon: not found on {self.host} (404 {_said(exc)}); check list_id") from None
        except MastodonServerError as exc:
            raise MastodonUnavailable(f"{self.host} answered {_status(exc)} ({_said(exc)})") from None
        except MastodonAPIError as exc:
            code = _status(exc)
            if code == 403:
                raise SourceStopped(
                    f"Mastodon refused the request (403 {_said(exc)}): the token lacks a scope "
                    "(read:statuses; read:search for query, read:lists for list_id)"
                ) from None
            raise
        except MastodonNetworkError as exc:
            words = str(exc)
            if "timed out" in words.lower():
                raise MastodonUnavailable(f"{self.host} did not answer within {self.api.request_timeout:g} s") from None
            raise MastodonUnavailable(f"{self.host} could not be reached: {scrub(words)}") from None

    def _message(self, status, channel: str) -> Message | Quarantined:
        original = status.get("reblog") or status
        account = status.get("account") or {}
        missing = [what for what, value in (("id", status.get("id")), ("account", account.get("acct"))) if not value]
        if missing or not status.get("created_at"):
            what = ", ".join(missing + ([] if status.get("created_at") else ["created_at"]))
            return Quarantined(self.name, str(status.get("id") or ""), _raw(status), f"status without {what}")
        text = html_to_text(original.get("content") or "")
        if not text:  # media or a poll without words: their descriptions are the words
            extra = [m.get("description") or "" for m in original.get("media_attachments") or []]
            extra += [o.get("title") or "" for o in ((original.get("poll") or {}).get("options") or [])]
            text = " / ".join(e.strip() for e in extra if e and e.strip())
        spoiler = " ".join((original.get("spoiler_text") or "").split())
        if spoiler:
            text = f"CW: {spoiler} — {text}" if text else f"CW: {spoiler}"
        if not text:
            return Quarantined(self.name, str(status["id"]), _raw(status), "status has no text, description or CW")
        return Message(
            source="mastodon",
            external_id=f"{self.host}:{status['id']}",
            created_at=_aware(status["created_at"]),
            text=text[:4000],
            channel=channel,
            author=f"@{account['acct']}"[:200],
            reach=max(0, int(account.get("followers_count") or 0)),
            lang=(original.get("language") or "")[:16],
            url=original.get("url") or original.get("uri") or "",
        )

    def _reset(self, now: float) -> float:
        reset = getattr(self.client, "ratelimit_reset", None)
        return float(reset) if reset and reset > now else now + WINDOW_S


def _status(exc: MastodonAPIError) -> int | None:
    return exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None


def _said(exc: MastodonAPIError) -> str:
    """The instance's own words: Mastodon.py's args are (text, status, reason, error)."""
    args = exc.args
    return " ".join(str(a) for a in args[2:4] if a) if len(args) >= 4 else str(exc)


def _raw(status) -> str:
    return json.dumps(status, default=str, ensure_ascii=False)[:20_000]


def build(cfg, secret=None) -> MastodonMonitor:
    """The monitor for `[sources.mastodon]` (settings.schema.MastodonSource).
    `secret(env, section, key)` is settings.secrets.secret: the access token
    is optional for public hashtag timelines, needed for a search or a list."""
    if secret is None:
        from settings.secrets import secret
    token = secret("MASTODON_ACCESS_TOKEN", "mastodon", "access_token")
    kwargs = dict(
        hashtags=cfg.hashtags,
        query=cfg.query,
        list_id=cfg.list_id,
        local_only=cfg.local_only,
        interval_s=cfg.interval_s,
        max_pages=cfg.max_pages,
    )
    if (cfg.query.strip() or cfg.list_id) and not token:
        what = "query" if cfg.query.strip() else "list_id"
        return MastodonMonitor(None, missing=f"[sources.mastodon] {what} needs an access token: set {TOKEN_HELP}")
    client = _Client(
        access_token=token,
        api_base_url=cfg.base_url.rstrip("/"),
        ratelimit_method="throw",  # never sleep on the runner thread; a 429 is this source's RetryAt
        request_timeout=cfg.timeout_s,
        # Known up front, so the client never asks the instance for its version.
        mastodon_version="4.0.0",
        version_check_mode="created",
        user_agent="CrisisDesk/1.0 (+mastodon monitor)",
    )
    return MastodonMonitor(client, **kwargs)
