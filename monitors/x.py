"""X (Twitter) recent search through tweepy's API v2 Client.

Cursor: the newest post id seen (`since_id`), an unfinished pagination
(`next_token` with the newest id of its first page, so a poll that stopped
at `max_pages` continues where it left off and nothing is skipped), and the
day's billable reads. X bills per post read: at `daily_read_cap` the
source is "capped" until midnight UTC, and says so.

Errors: 429 waits until `x-rate-limit-reset` (or 15 minutes) as this
source's own next poll, never sleeping the runner (tweepy's
`wait_on_rate_limit` would); 401/403 stop the source with the reason; 5xx,
timeouts and malformed payloads raise, so the runner backs off with jitter
and the cursor stays where it was.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import tweepy
from pydantic import BaseModel, ValidationError

from monitors.base import Message, PollResult, RetryAt, SourceStopped

FIELDS = dict(
    expansions=["author_id"],
    user_fields=["username", "public_metrics"],
    tweet_fields=["created_at", "lang", "author_id"],
)


class MalformedPayload(ValueError):
    pass


class _User(BaseModel):
    id: str
    username: str
    public_metrics: dict = {}


class _Tweet(BaseModel):
    id: str
    text: str
    author_id: str
    created_at: datetime
    lang: str = ""


class _Includes(BaseModel):
    users: list[_User] = []


class _Meta(BaseModel):
    newest_id: str | None = None
    next_token: str | None = None
    result_count: int = 0


class _Page(BaseModel):
    data: list[_Tweet] = []
    includes: _Includes = _Includes()
    meta: _Meta = _Meta()


def _next_midnight(now: float) -> float:
    return (now // 86400 + 1) * 86400


class XMonitor:
    name = "x"

    def __init__(
        self,
        client: tweepy.Client,
        query: str,
        *,
        lang: str = "",
        interval_s: float = 60.0,
        max_pages: int = 5,
        daily_read_cap: int = 10_000,
        clock=time.time,
    ) -> None:
        self.client = client
        self.query = f"{query} lang:{lang}" if lang else query
        self.interval_s, self.max_pages, self.daily_read_cap, self.clock = interval_s, max_pages, daily_read_cap, clock

    def poll(self, cursor: str | None) -> PollResult:
        now = self.clock()
        state = json.loads(cursor) if cursor else {}
        day = time.strftime("%Y-%m-%d", time.gmtime(now))
        reads = state.get("reads", 0) if state.get("day") == day else 0
        if reads >= self.daily_read_cap:
            raise RetryAt(
                _next_midnight(now),
                f"daily read cap of {self.daily_read_cap:,} posts reached; resumes at 00:00 UTC",
                status="capped",
            )
        since_id = state.get("since_id")
        pending = state.get("pending") or {}
        token, newest = pending.get("next_token"), pending.get("newest_id")
        out: list[Message] = []
        this_poll = 0
        for _ in range(self.max_pages):
            page = self._page(since_id, token)
            out += self._messages(page)
            this_poll += len(page.data)
            newest = newest or page.meta.newest_id
            token = page.meta.next_token
            if not token or reads + this_poll >= self.daily_read_cap:
                break
        if token:
            next_state = {"since_id": since_id, "pending": {"next_token": token, "newest_id": newest}}
        else:
            next_state = {"since_id": newest or since_id, "pending": None}
        next_state.update(day=day, reads=reads + this_poll)
        return PollResult(out, json.dumps(next_state), reads=this_poll)

    def _page(self, since_id: str | None, token: str | None) -> _Page:
        kwargs = dict(query=self.query, max_results=100, **FIELDS)
        if since_id:
            kwargs["since_id"] = since_id
        if token:
            kwargs["next_token"] = token
        try:
            raw = self.client.search_recent_tweets(**kwargs)
        except tweepy.TooManyRequests as exc:
            reset = exc.response.headers.get("x-rate-limit-reset")
            when = float(reset) if reset and reset.isdigit() else self.clock() + 900
            stamp = time.strftime("%H:%M:%S UTC", time.gmtime(when))
            raise RetryAt(when, f"X rate limit reached (429): waiting until {stamp}") from None
        except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
            code = exc.response.status_code
            raise SourceStopped(
                f"X refused the request ({code}): check X_BEARER_TOKEN and the app's access level "
                f"({'; '.join(exc.api_messages) or exc.response.reason})"
            ) from None
        if not isinstance(raw, dict):
            raise MalformedPayload(f"X answered with {type(raw).__name__}, not a JSON object")
        try:
            return _Page.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise MalformedPayload(f"X sent a malformed search page: {where}: {err['msg']}") from None

    @staticmethod
    def _messages(page: _Page) -> list[Message]:
        users = {u.id: u for u in page.includes.users}
        out = []
        for tweet in page.data:
            user = users.get(tweet.author_id)
            handle = f"@{user.username}" if user else f"user:{tweet.author_id}"
            out.append(
                Message(
                    source="x",
                    external_id=tweet.id,
                    created_at=tweet.created_at.astimezone(timezone.utc),
                    text=tweet.text,
                    channel="search",
                    author=handle,
                    reach=int((user.public_metrics or {}).get("followers_count", 0)) if user else 0,
                    lang=tweet.lang,
                    url=f"https://x.com/{user.username if user else 'i'}/status/{tweet.id}",
                )
            )
        return out
