"""Bluesky: a post search (app.bsky.feed.searchPosts) through the `atproto` package.

Signs in with an app password (com.atproto.server.createSession; the
session refreshes itself), then reads the search newest first (sort=latest)
with `since` = the newest post time already read. A poll reads at most
`max_pages` pages of 100, following the search's own cursor; a gap longer
than that is read on by the next poll from the cursor kept with it, so a
busy query never skips a post. The very first read takes its newest page
only. Each post becomes a message (its text, the authors' followers as
reach from app.bsky.actor.getProfiles, cached for `profile_ttl_s`); a post
that cannot become one is quarantined.

Rate limits: a 429, or an answer with RateLimit-Remaining 0, makes
RateLimit-Reset this source's own next poll (RetryAt), never a sleep; pages
already read are kept. A refused app password stops the source with what to
set; a timeout or a 5xx raises, so the runner backs off.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from atproto import Client, models
from atproto_client.exceptions import (
    BadRequestError,
    InvokeTimeoutError,
    NetworkError,
    RateLimitExceededError,
    RequestException,
    UnauthorizedError,
)
from atproto_client.request import Request

from model.message import Message, Quarantined
from monitors import pacing
from monitors.base import NotConfigured, PollResult, SourceStopped

PAGE_SIZE = 100  # the most searchPosts returns per page
PROFILES_PER_CALL = 25  # getProfiles' limit
WINDOW_S = 300  # the AppView's rate-limit window, when an answer gives no reset time
PASSWORD_HELP = "BLUESKY_APP_PASSWORD (environment, or [bluesky] app_password in .streamlit/secrets.toml)"


class BlueskyUnavailable(OSError):
    """The server did not answer, or answered 5xx: the runner backs off."""


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class BlueskyMonitor:
    name = "bluesky"

    def __init__(
        self,
        client: Client | None,
        *,
        handle: str = "",
        password: str = "",
        query: str = "",
        lang: str = "",
        interval_s: float = 60.0,
        max_pages: int = 5,
        page_size: int = PAGE_SIZE,
        timeout_s: float = 20.0,
        profile_ttl_s: float = 6 * 3600,
        missing: str = "",
        clock=time.time,
    ) -> None:
        self.client, self.handle, self._password = client, handle, password
        self.query, self.lang, self.missing, self.clock = query.strip(), lang, missing, clock
        self.interval_s, self.max_pages, self.page_size, self.timeout_s = interval_s, max_pages, page_size, timeout_s
        self.profile_ttl_s = profile_ttl_s
        self.host = urlsplit(client._base_url).netloc if client else ""
        self._signed_in = False
        self.calls = 0  # XRPC queries this poll: counted on the Sources page against the rate limit
        self._followers: dict[str, tuple[int, float]] = {}  # did -> (followers, fetched at)

    # --- calls ---

    @property
    def api(self) -> Client:
        """The client; a monitor made without one (no account configured) is not configured."""
        if self.client is None:
            raise NotConfigured(self.missing or "Bluesky needs an account to search with")
        return self.client

    def _sign_in(self) -> None:
        try:
            self.api.login(self.handle, self._password, fetch_bsky_profile=False)
        except UnauthorizedError as exc:
            raise SourceStopped(
                f"Bluesky refused the sign-in of {self.handle} ({_said(exc)}): check {PASSWORD_HELP} "
                "(an app password from Settings > Privacy and security > App passwords) and [sources.bluesky] handle"
            ) from None
        except BadRequestError as exc:
            raise SourceStopped(f"Bluesky refused the sign-in of {self.handle} ({_said(exc)})") from None
        self._signed_in = True

    def _query(self, nsid: str, params):
        """One XRPC query as raw JSON (so one odd post never fails its page); signs in again once when refused."""
        for attempt in (1, 2):
            self.calls += 1
            if not self._signed_in:
                self._call(self._sign_in)
            try:
                return self._call(lambda: self.api.invoke_query(nsid, params=params))
            except UnauthorizedError as exc:
                self._signed_in = False  # an expired or revoked session: sign in afresh, once
                if attempt == 2:
                    raise SourceStopped(f"Bluesky refused {nsid} after a fresh sign-in ({_said(exc)})") from None
        raise AssertionError("unreachable")

    def _call(self, fn):
        try:
            return fn()
        except (RateLimitExceededError, UnauthorizedError, SourceStopped):
            raise
        except InvokeTimeoutError:
            raise BlueskyUnavailable(f"{self.host} did not answer within {self.timeout_s:g} s") from None
        except NetworkError as exc:
            raise BlueskyUnavailable(f"{self.host} could not be reached or answered {_said(exc)}") from None
        except BadRequestError as exc:
            raise SourceStopped(f"Bluesky refused the search ({_said(exc)}): check [sources.bluesky] query") from None
        except RequestException as exc:
            raise BlueskyUnavailable(f"{self.host} answered {_said(exc)}") from None

    # --- polling ---

    def poll(self, cursor: str | None) -> PollResult:
        now, state = pacing.begin(self, cursor)
        self.calls = 0
        since = state.get("since")
        pending = state.get("pending") or {}
        page_cursor, newest = pending.get("cursor"), pending.get("newest")
        posts: list[dict] = []
        remaining, reset, retry = None, None, None
        for number in range(1, self.max_pages + 1):
            params = {"q": self.query, "sort": "latest", "limit": self.page_size}
            for key, value in (("since", since), ("cursor", page_cursor), ("lang", self.lang)):
                if value:
                    params[key] = value
            try:
                answer = self._query("app.bsky.feed.searchPosts", models.AppBskyFeedSearchPosts.Params(**params))
            except RateLimitExceededError as exc:
                # Keep what was read; the rest is read after the reset.
                retry = pacing.keep_or_raise(pacing.limit_reached("Bluesky", self._reset(exc, now)), number > 1)
                break
            remaining = _int(answer.headers.get("ratelimit-remaining"))
            reset = _int(answer.headers.get("ratelimit-reset"))
            body = answer.content if isinstance(answer.content, dict) else {}
            page = [p for p in body.get("posts") or [] if isinstance(p, dict)]
            # A server that ignores `since` must not send this source back through its history.
            fresh = [p for p in page if not since or str(p.get("indexedAt") or "") >= since]
            for item in fresh:
                stamp = str(item.get("indexedAt") or "")
                newest = stamp if stamp and (newest is None or stamp > newest) else newest
            posts += fresh
            page_cursor = body.get("cursor")
            if since is None or not page_cursor or len(fresh) < len(page) or not page:
                page_cursor = None  # the first read takes the newest page only; the search has no more
                break
            if remaining is not None and remaining <= 0:
                break
        if page_cursor:
            state = {"since": since, "pending": {"cursor": page_cursor, "newest": newest}}
        else:
            state = {"since": newest or since, "pending": None}
        reach = self._reach({did for p in posts if isinstance(did := (p.get("author") or {}).get("did"), str)}, now)
        messages, quarantined = [], []
        for item in posts:
            try:
                messages.append(self._message(item, reach))
            except Exception as exc:  # one odd post never costs the page
                raw = json.dumps(item, default=str, ensure_ascii=False)[:20_000]
                quarantined.append(
                    Quarantined(self.name, str(item.get("uri") or ""), raw, f"{exc.__class__.__name__}: {exc}")
                )
        if retry is None and remaining is not None and remaining <= 0:
            when = reset if reset is not None and reset > now else now + WINDOW_S
            retry = pacing.limit_used_up("Bluesky", "RateLimit-Remaining", when)
        return PollResult(messages, json.dumps(state), reads=self.calls, quarantined=quarantined, retry=retry)

    def _reach(self, dids: set[str], now: float) -> dict[str, int]:
        """Followers per author, from getProfiles, cached: a failed look-up leaves reach 0, never the post."""
        stale = sorted(d for d in dids if d not in self._followers or now - self._followers[d][1] > self.profile_ttl_s)
        for start in range(0, len(stale), PROFILES_PER_CALL):
            try:
                batch = stale[start : start + PROFILES_PER_CALL]
                answer = self._query("app.bsky.actor.getProfiles", models.AppBskyActorGetProfiles.Params(actors=batch))
            except (RateLimitExceededError, BlueskyUnavailable):
                break
            for profile in (answer.content or {}).get("profiles") or []:
                if isinstance(profile, dict) and profile.get("did"):
                    self._followers[profile["did"]] = (max(0, int(profile.get("followersCount") or 0)), now)
        return {d: self._followers[d][0] for d in dids if d in self._followers}

    def _message(self, item: dict, reach: dict[str, int]) -> Message:
        author, record = item.get("author") or {}, item.get("record") or {}
        if not item.get("uri") or not author.get("handle"):
            raise ValueError("post without uri or author handle")
        text = str(record.get("text") or "").strip()
        if not text:  # images only: their alt texts are the words
            images = ((item.get("embed") or {}).get("images")) or []
            text = " / ".join(str(i.get("alt") or "").strip() for i in images if str(i.get("alt") or "").strip())
        if not text:
            raise ValueError("post has no text or alt text")
        created = record.get("createdAt") or item.get("indexedAt")
        if not created:
            raise ValueError("post without createdAt")
        langs = record.get("langs") or []
        rkey = item["uri"].rsplit("/", 1)[-1]
        return Message(
            source="bluesky",
            external_id=item["uri"],
            created_at=_aware(str(created)),
            text=text[:4000],
            channel=f"search: {self.query}"[:200],
            author=f"@{author['handle']}"[:200],
            reach=reach.get(str(author.get("did")), 0),
            lang=str(langs[0])[:16] if langs else "",
            url=f"https://bsky.app/profile/{author['handle']}/post/{rkey}",
        )

    def _reset(self, exc: RateLimitExceededError, now: float) -> float:
        reset = exc.reset_at
        if reset and reset.timestamp() > now:
            return reset.timestamp()
        after = exc.retry_after
        return now + (after if after else WINDOW_S)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _said(exc) -> str:
    return str(exc) or exc.__class__.__name__


def build(cfg, secret=None) -> BlueskyMonitor:
    """The monitor for `[sources.bluesky]` (settings.schema.BlueskySource).
    `secret(env, section, key)` is settings.secrets.secret."""
    if secret is None:
        from settings.secrets import secret
    password = secret("BLUESKY_APP_PASSWORD", "bluesky", "app_password")
    handle = cfg.handle or secret("BLUESKY_HANDLE", "bluesky", "handle") or ""
    if not password or not handle:
        what = PASSWORD_HELP if not password else "[sources.bluesky] handle (the account the app password belongs to)"
        return BlueskyMonitor(None, missing=f"Bluesky needs an account to search with: set {what}")
    client = Client(base_url=cfg.base_url.rstrip("/"), request=Request(timeout=cfg.timeout_s))
    return BlueskyMonitor(
        client,
        handle=handle,
        password=password,
        query=cfg.query,
        lang=cfg.lang,
        interval_s=cfg.interval_s,
        max_pages=cfg.max_pages,
        timeout_s=cfg.timeout_s,
    )
