"""Reddit: subreddits' new posts and a search, through `praw`.

Each listing (r/NAME/new, and the search sorted new) keeps its own cursor:
the newest post id read (Reddit's base-36 ids grow with time) and, while a
gap is read back page by page (newest first, as Reddit pages with `after`),
the `after` to continue from. A poll reads at most `max_pages` pages of 100
per listing and the next poll carries on, so nothing new is skipped; the
very first read takes the newest page only. Each post becomes a message: its
title and body, its score plus comments as reach (how far it travelled on
Reddit), its subreddit as channel.

Rate limits: praw's own sleeping and retrying are switched off (never a
sleep on the runner thread): X-Ratelimit-Remaining 0, or a 429, makes
X-Ratelimit-Reset this source's own next poll (RetryAt). Refused
credentials stop the source with what to set; a timeout or a 5xx raises, so
the runner backs off.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import praw
import prawcore
from prawcore.rate_limit import RateLimiter
from prawcore.sessions import FiniteRetryStrategy

from model.message import Message, Quarantined
from monitors import pacing
from monitors.base import NotConfigured, PollResult, SourceStopped

PAGE_SIZE = 100  # the most a Reddit listing returns per page
WINDOW_S = 600  # Reddit's rate-limit window, when an answer gives no reset time
CREDENTIALS_HELP = (
    "REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET (environment, or [reddit] client_id / client_secret in "
    ".streamlit/secrets.toml; username / password too for a script app)"
)


class RedditUnavailable(OSError):
    """Reddit did not answer, or answered 5xx: the runner backs off."""


class _Requestor(prawcore.Requestor):
    """prawcore's requestor with this source's timeout on every request (prawcore
    passes its own 16 s otherwise), remembering the last answer's rate-limit headers."""

    headers: dict = {}

    def request(self, *args, timeout=None, **kwargs):
        response = super().request(*args, timeout=self.timeout, **kwargs)
        self.headers = {k.lower(): v for k, v in response.headers.items() if k.lower().startswith("x-ratelimit")}
        return response


class _NeverSleeps(RateLimiter):
    """The monitor paces itself from the headers (RetryAt); praw must not sleep on the runner thread."""

    def delay(self) -> None:
        return None


@dataclass(frozen=True)
class _NoRetry(FiniteRetryStrategy):
    """The runner backs off and retries; praw retrying timeouts would hold the thread three times as long."""

    retries: int = 0

    def _sleep_seconds(self) -> float | None:
        return None


def _id_number(post_id: str) -> int:
    return int(post_id, 36)


class RedditMonitor:
    name = "reddit"

    def __init__(
        self,
        reddit: praw.Reddit | None,
        *,
        subreddits: list[str] | tuple[str, ...] = (),
        query: str = "",
        interval_s: float = 120.0,
        max_pages: int = 3,
        page_size: int = PAGE_SIZE,
        timeout_s: float = 20.0,
        missing: str = "",
        clock=time.time,
    ) -> None:
        self.reddit, self.missing, self.clock = reddit, missing, clock
        self.interval_s, self.max_pages, self.page_size, self.timeout_s = interval_s, max_pages, page_size, timeout_s
        self.calls = 0  # API requests this poll: counted on the Sources page against the rate limit
        self.listings: list[tuple[str, str, str, dict]] = [  # (cursor key, channel, path, params)
            (f"r/{name.lower()}", f"r/{name}", f"r/{name}/new", {}) for name in subreddits
        ]
        if query.strip():
            params = {"q": query.strip(), "sort": "new", "restrict_sr": "false", "t": "all", "type": "link"}
            self.listings.append(("search", f"search: {query.strip()}"[:200], "r/all/search", params))
        if reddit is not None:
            for core in {
                id(c): c
                for c in (getattr(reddit, "_core", None), getattr(reddit, "_read_only_core", None))
                if c is not None
            }.values():
                core._rate_limiter = _NeverSleeps(window_size=core._rate_limiter.window_size)
                core._retry_strategy_class = _NoRetry

    @property
    def _headers(self) -> dict:
        core = getattr(self.reddit, "_core", None)
        requestor = getattr(core, "requestor", None)
        return getattr(requestor, "headers", {}) if requestor else {}

    def poll(self, cursor: str | None) -> PollResult:
        now, state = pacing.begin(self, cursor)
        self.calls = 0
        out: list[Message] = []
        quarantined: list[Quarantined] = []
        retry = None
        for done, (key, channel, path, params) in enumerate(self.listings):
            try:
                messages, bad, state[key] = self._read(path, params, channel, state.get(key) or {})
            except prawcore.TooManyRequests:
                # Keep what the earlier listings read; this one goes on after the reset.
                retry = pacing.keep_or_raise(pacing.limit_reached("Reddit", self._reset(now)), done > 0)
                break
            out += messages
            quarantined += bad
            if self._used_up():  # the rest waits for the reset; what was read is kept
                retry = pacing.limit_used_up("Reddit", "X-Ratelimit-Remaining", self._reset(now))
                break
        return PollResult(out, json.dumps(state), reads=self.calls, quarantined=quarantined, retry=retry)

    def _read(self, path: str, params: dict, channel: str, cursor: dict):
        since = cursor.get("newest")
        pending = cursor.get("pending") or {}
        after, newest = pending.get("after"), pending.get("newest")
        out: list[Message] = []
        bad: list[Quarantined] = []
        for _ in range(self.max_pages):
            page = self._call(
                path, {**params, "limit": self.page_size, "raw_json": 1, **({"after": after} if after else {})}
            )
            items = [vars(child) for child in getattr(page, "children", [])]
            fresh = [i for i in items if since is None or _id_number(str(i.get("id") or "0")) > _id_number(since)]
            for item in fresh:
                if item.get("id") and (newest is None or _id_number(item["id"]) > _id_number(newest)):
                    newest = item["id"]
                try:
                    out.append(self._message(item, channel))
                except Exception as exc:  # one odd post never costs the page
                    raw = json.dumps({k: v for k, v in item.items() if not k.startswith("_")}, default=str)[:20_000]
                    bad.append(Quarantined(self.name, str(item.get("name") or ""), raw, f"{exc}"))
            after = getattr(page, "after", None)
            if since is None or not after or len(fresh) < len(items) or not items or self._used_up():
                after = None  # the first read takes the newest page only; an older post closes the gap
                break
        if after:
            return out, bad, {"newest": since, "pending": {"after": after, "newest": newest}}
        return out, bad, {"newest": newest or since, "pending": None}

    @property
    def api(self) -> praw.Reddit:
        """The client; a monitor made without one (no app configured) is not configured."""
        if self.reddit is None:
            raise NotConfigured(self.missing or f"Reddit needs an app: set {CREDENTIALS_HELP}")
        return self.reddit

    def _call(self, path: str, params: dict):
        self.calls += 1
        try:
            return self.api.get(path, params=params)
        except prawcore.TooManyRequests:
            raise
        except prawcore.OAuthException as exc:
            raise SourceStopped(
                f"Reddit refused the sign-in ({exc.error}): check the username and password in {CREDENTIALS_HELP}"
            ) from None
        except (prawcore.Forbidden, prawcore.NotFound, prawcore.Redirect) as exc:
            code = exc.response.status_code
            raise SourceStopped(
                f"Reddit answered {code} for {path}: a private, banned or misspelt subreddit; check [sources.reddit]"
            ) from None
        except prawcore.ResponseException as exc:
            code = exc.response.status_code
            if code == 401:
                raise SourceStopped(f"Reddit refused the app's credentials (401): check {CREDENTIALS_HELP}") from None
            raise RedditUnavailable(f"Reddit answered {code} for {path}") from None
        except prawcore.RequestException as exc:
            original = exc.original_exception
            if "timeout" in type(original).__name__.lower() or "timed out" in str(original).lower():
                raise RedditUnavailable(f"Reddit did not answer within {self.timeout_s:g} s") from None
            raise RedditUnavailable(f"Reddit could not be reached ({type(original).__name__})") from None

    def _message(self, item: dict, channel: str) -> Message:
        missing = [k for k in ("id", "name", "created_utc") if not item.get(k)]
        if missing:
            raise ValueError(f"post without {', '.join(missing)}")
        title = " ".join(str(item.get("title") or "").split())
        body = str(item.get("selftext") or "").strip()
        text = f"{title}\n\n{body}" if body and body not in ("[removed]", "[deleted]") else title
        if not text:
            raise ValueError("post without title or text")
        author = item.get("author")
        author = str(getattr(author, "name", author) or "[deleted]")
        subreddit = item.get("subreddit")
        subreddit = str(getattr(subreddit, "display_name", subreddit) or "")
        permalink = str(item.get("permalink") or "")
        return Message(
            source="reddit",
            external_id=item["name"],
            created_at=datetime.fromtimestamp(float(item["created_utc"]), tz=timezone.utc),
            text=text[:4000],
            channel=f"r/{subreddit}" if subreddit and channel.startswith("search") else channel,
            author=("u/" + author if author != "[deleted]" else author)[:200],
            reach=max(0, int(item.get("score") or 0)) + max(0, int(item.get("num_comments") or 0)),
            url=f"https://www.reddit.com{permalink}" if permalink.startswith("/") else str(item.get("url") or ""),
        )

    def _used_up(self) -> bool:
        remaining = self._headers.get("x-ratelimit-remaining")
        try:
            return remaining is not None and float(remaining) < 1
        except ValueError:
            return False

    def _reset(self, now: float) -> float:
        try:
            return now + max(1.0, float(self._headers.get("x-ratelimit-reset", "")))
        except (TypeError, ValueError):
            return now + WINDOW_S


def build(cfg, secret=None) -> RedditMonitor:
    """The monitor for `[sources.reddit]` (settings.schema.RedditSource). A Reddit
    app's id and secret (a "script" app also takes the username and password of
    the account it belongs to; without them it reads app-only)."""
    if secret is None:
        from settings.secrets import secret
    client_id = secret("REDDIT_CLIENT_ID", "reddit", "client_id")
    client_secret = secret("REDDIT_CLIENT_SECRET", "reddit", "client_secret")
    if not client_id or not client_secret:
        return RedditMonitor(None, missing=f"Reddit needs an app: set {CREDENTIALS_HELP}")
    username = secret("REDDIT_USERNAME", "reddit", "username")
    password = secret("REDDIT_PASSWORD", "reddit", "password")
    login = {"username": username, "password": password} if username and password else {}
    reddit = praw.Reddit(
        client_id=client_id,
        client_secret=client_secret,
        user_agent="CrisisDesk/1.0 (brand monitoring; +reddit monitor)",
        reddit_url=cfg.reddit_url.rstrip("/"),
        oauth_url=cfg.oauth_url.rstrip("/"),
        requestor_class=_Requestor,
        requestor_kwargs={"timeout": cfg.timeout_s},
        check_for_updates=False,
        check_for_async=False,
        **login,
    )
    reddit.read_only = not login
    return RedditMonitor(
        reddit,
        subreddits=cfg.subreddits,
        query=cfg.query,
        interval_s=cfg.interval_s,
        max_pages=cfg.max_pages,
        timeout_s=cfg.timeout_s,
    )
