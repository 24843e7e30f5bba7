"""X (Twitter) recent search through tweepy's API v2 Client.

Cursor: the newest post id seen (`since_id`), or a `start_time` while there
is none; an unfinished pagination (`next_token` with the newest id of its
first page, so a poll that stopped at `max_pages` continues where it left
off and nothing is skipped); the newest post time seen; and the day's
billable reads. X bills per post read: at `daily_read_cap` the source is
"capped" until midnight UTC, and says so.

Text: retweets are stored in full ("RT @user: " + the original's full text,
from the `referenced_tweets.id` expansion), quotes with the quoted post,
long posts from `note_tweet`, and X's HTML escapes (&amp; &lt; &gt;) undone.
One tweet that cannot become a message (no author, no date) is quarantined
with the reason; the rest of the page is stored.

Errors: a `since_id` older than X's 7 days (400) restarts from `start_time`
(the newest post time seen, or 7 days ago) and says so in the poll's note;
the monthly post cap (429 UsageCapExceeded) is "capped" until the cap's
reset day; any other 429 waits until `x-rate-limit-reset` (or 15 minutes)
as this source's own next poll, never sleeping the runner; 401/403 and a
rejected query stop the source with the reason; 5xx, timeouts and malformed
pages raise, so the runner backs off with jitter and the cursor stays.
"""

from __future__ import annotations

import calendar
import json
import logging
import time
from datetime import datetime, timezone
from typing import Any

import requests
import tweepy
from pydantic import BaseModel, ValidationError

from model.message import Message, Quarantined
from monitors.base import PollResult, RetryAt, SourceStopped

log = logging.getLogger("crisisdesk.x")

FIELDS = dict(
    expansions=["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"],
    user_fields=["username", "public_metrics"],
    tweet_fields=["created_at", "lang", "author_id", "referenced_tweets", "note_tweet"],
)
RECENT_SEARCH_S = 7 * 86400  # recent search reaches back 7 days
CAP_PROBE_S = 6 * 3600  # when the cap's reset day is unknown, try again this often


class MalformedPayload(ValueError):
    pass


class _TimeoutSession(requests.Session):
    """A requests session that gives every request a timeout (tweepy sets none)."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self.timeout_s = timeout_s

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout_s
        return super().request(method, url, *args, **kwargs)


def x_client(bearer_token: str, timeout_s: float = 10.0) -> tweepy.Client:
    """The monitor's tweepy client: app-only auth, JSON dicts, no sleeping on
    rate limits, and a timeout on every request, so a hung connection fails
    within `timeout_s` (per connect and per read)."""
    client = tweepy.Client(bearer_token=bearer_token, return_type=dict, wait_on_rate_limit=False)
    client.session = _TimeoutSession(timeout_s)
    return client


class _User(BaseModel):
    id: str
    username: str
    public_metrics: dict = {}


class _Ref(BaseModel):
    type: str
    id: str


class _Note(BaseModel):
    text: str


class _Tweet(BaseModel):
    id: str
    text: str
    author_id: str
    created_at: datetime
    lang: str = ""
    referenced_tweets: list[_Ref] = []
    note_tweet: _Note | None = None


class _Meta(BaseModel):
    newest_id: str | None = None
    next_token: str | None = None
    result_count: int = 0


class _Page(BaseModel):
    data: list[dict] = []
    includes: dict = {}
    meta: _Meta = _Meta()
    errors: list[dict] = []


def _next_midnight(now: float) -> float:
    return (now // 86400 + 1) * 86400


def _next_reset(now: float, day: int) -> float:
    """00:00 UTC on the next `day` of a month (the last day in shorter months)."""
    t = time.gmtime(now)
    year, month = t.tm_year, t.tm_mon
    for _ in range(3):
        last = calendar.monthrange(year, month)[1]
        when = calendar.timegm((year, month, min(day, last), 0, 0, 0))
        if when > now:
            return float(when)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("unreachable")


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def unescape(text: str) -> str:
    """Undo X's escaping of &, < and > (and nothing else: a literal "&copy;" stays)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


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
        cap_reset_day: int = 0,
        clock=time.time,
    ) -> None:
        self.client = client
        self.query = f"{query} lang:{lang}" if lang else query
        self.interval_s, self.max_pages, self.daily_read_cap, self.clock = interval_s, max_pages, daily_read_cap, clock
        self.cap_reset_day = cap_reset_day

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
        since_id, start_time = state.get("since_id"), state.get("start_time")
        newest_time = state.get("newest_time")
        pending = state.get("pending") or {}
        token, newest = pending.get("next_token"), pending.get("newest_id")
        if pending.get("start_time"):
            start_time = pending["start_time"]
        elif start_time and not since_id:
            start_time = _iso(max(_parse_iso(start_time), now - RECENT_SEARCH_S + 60))
        out: list[Message] = []
        bad: list[Quarantined] = []
        note = ""
        this_poll = 0
        for _ in range(self.max_pages):
            try:
                page = self._page(since_id, start_time, token)
            except _StaleSinceId as stale:
                # X keeps 7 days: restart from the newest post seen (or 7 days ago), and say so.
                restart = max(_parse_iso(newest_time) if newest_time else 0.0, now - RECENT_SEARCH_S + 60)
                since_id, start_time, token, newest = None, _iso(restart), None, None
                note = (
                    f"X no longer accepts since_id {stale.since_id} (older than 7 days); "
                    f"restarted from {start_time}: posts between may be missing"
                )
                log.warning("x: %s", note)
                page = self._page(since_id, start_time, token)
            messages, quarantined = self._messages(page)
            out += messages
            bad += quarantined
            this_poll += len(page.data)
            for m in messages:
                stamp = m.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                if not newest_time or stamp > newest_time:
                    newest_time = stamp
            newest = newest or page.meta.newest_id
            token = page.meta.next_token
            if not token or reads + this_poll >= self.daily_read_cap:
                break
        if token:
            pending = {"next_token": token, "newest_id": newest}
            if start_time and not since_id:
                pending["start_time"] = start_time  # a next_token needs the same query as its first page
            next_state = {"since_id": since_id, "pending": pending}
        elif newest or since_id:
            next_state = {"since_id": newest or since_id, "pending": None}
        else:
            next_state = {"since_id": None, "start_time": start_time, "pending": None}
        next_state.update(day=day, reads=reads + this_poll, newest_time=newest_time)
        return PollResult(out, json.dumps(next_state), reads=this_poll, quarantined=bad, note=note)

    def _page(self, since_id: str | None, start_time: str | None, token: str | None) -> _Page:
        kwargs = dict(query=self.query, max_results=100, **FIELDS)
        if since_id:
            kwargs["since_id"] = since_id
        elif start_time:
            kwargs["start_time"] = start_time
        if token:
            kwargs["next_token"] = token
        try:
            raw = self.client.search_recent_tweets(**kwargs)
        except tweepy.TooManyRequests as exc:
            problem = _problem(exc.response)
            if problem.get("title") == "UsageCapExceeded" or "usage-capped" in str(problem.get("type", "")):
                raise self._capped(problem) from None
            reset = exc.response.headers.get("x-rate-limit-reset")
            when = float(reset) if reset and reset.isdigit() else self.clock() + 900
            stamp = time.strftime("%H:%M:%S UTC", time.gmtime(when))
            raise RetryAt(when, f"X rate limit reached (429): waiting until {stamp}") from None
        except tweepy.BadRequest as exc:
            if since_id and _about_since_id(exc):
                raise _StaleSinceId(since_id) from None
            raise SourceStopped(
                f"X rejected the search (400): {'; '.join(exc.api_messages) or exc.response.reason}: "
                "check [sources.x] query"
            ) from None
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

    def _capped(self, problem: dict) -> RetryAt:
        now = self.clock()
        day = self.cap_reset_day or self._usage_reset_day()
        detail = problem.get("detail") or "Usage cap exceeded"
        if day:
            when = _next_reset(now, day)
            return RetryAt(
                when,
                f"X monthly post cap reached ({detail}): capped until {time.strftime('%Y-%m-%d', time.gmtime(when))}"
                " 00:00 UTC, the cap's reset day",
                status="capped",
            )
        when = now + CAP_PROBE_S
        return RetryAt(
            when,
            f"X monthly post cap reached ({detail}): the reset day is unknown (set [sources.x] cap_reset_day); "
            f"trying again at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(when))}",
            status="capped",
        )

    def _usage_reset_day(self) -> int:
        """The cap's reset day from X's usage endpoint (0 when X does not say)."""
        try:
            response = self.client.request("GET", "/2/usage/tweets", params={"usage.fields": "cap_reset_day"})
            day = int(response.json()["data"]["cap_reset_day"])
        except Exception as exc:  # any failure: the cap still holds, only its end is unknown
            log.info("x: usage endpoint did not give the cap's reset day: %s", exc)
            return 0
        return day if 1 <= day <= 31 else 0

    def _messages(self, page: _Page) -> tuple[list[Message], list[Quarantined]]:
        users = {}
        for raw in page.includes.get("users") or []:
            try:
                user = _User.model_validate(raw)
            except ValidationError:
                continue
            users[user.id] = user
        referenced = {t["id"]: t for t in page.includes.get("tweets") or [] if isinstance(t, dict) and "id" in t}
        out, bad = [], []
        for raw in page.data:
            try:
                tweet = _Tweet.model_validate(raw)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                bad.append(
                    Quarantined(
                        source=self.name,
                        external_id=str(raw.get("id", "")) if isinstance(raw, dict) else "",
                        raw=json.dumps(raw)[:20000],
                        reason=f"X post without a usable {where}: {err['msg']}",
                    )
                )
                continue
            author = users.get(tweet.author_id)
            handle = f"@{author.username}" if author else f"user:{tweet.author_id}"
            out.append(
                Message(
                    source="x",
                    external_id=tweet.id,
                    created_at=tweet.created_at.astimezone(timezone.utc),
                    text=unescape(self._full_text(tweet, referenced, users)),
                    channel="search",
                    author=handle,
                    reach=int((author.public_metrics or {}).get("followers_count", 0)) if author else 0,
                    lang=tweet.lang,
                    url=f"https://x.com/{author.username if author else 'i'}/status/{tweet.id}",
                )
            )
        return out, bad

    @staticmethod
    def _full_text(tweet: _Tweet, referenced: dict[str, dict], users: dict[str, _User]) -> str:
        def full(raw: dict) -> str:
            note = raw.get("note_tweet")
            if isinstance(note, dict) and isinstance(note.get("text"), str):
                return note["text"]
            text = raw.get("text")
            return text if isinstance(text, str) else ""

        def who(raw: dict) -> str:
            user = users.get(str(raw.get("author_id", "")))
            return f"@{user.username}" if user else "someone"

        own = tweet.note_tweet.text if tweet.note_tweet else tweet.text
        for ref in tweet.referenced_tweets:
            original = referenced.get(ref.id)
            if not original or not full(original):
                continue  # withheld or deleted: keep what X sent
            if ref.type == "retweeted":
                return f"RT {who(original)}: {full(original)}"
            if ref.type == "quoted":
                own = f"{own}\n\nQuoting {who(original)}: {full(original)}"
        return own


class _StaleSinceId(Exception):
    def __init__(self, since_id: str) -> None:
        super().__init__(since_id)
        self.since_id = since_id


def _problem(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _about_since_id(exc: tweepy.BadRequest) -> bool:
    for error in exc.api_errors:
        if isinstance(error, dict) and ("since_id" in (error.get("parameters") or {})):
            return True
    return any("since_id" in message for message in exc.api_messages)


def _parse_iso(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
