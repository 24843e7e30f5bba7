"""Internal Slack channels through slack-sdk's WebClient.

Channels are configured by name and resolved with conversations.list.

History: each channel keeps a high-water mark (every message up to it was
read) and, while reading, a window (`oldest`, `latest`) that moves down
page by page through conversations.history (newest first). The first poll's
window starts `backfill_s` ago, not at the channel's beginning. The window
is in the cursor, committed with the pages already read, so a 429 streak or
a restart continues where it stopped and nothing is read twice.

Threads: conversations.history never returns a parent again once it is
older than `oldest`, so a parent read before its first reply would lose its
thread. Every parent seen with replies is followed while it is younger than
`thread_window_s`: the cursor keeps, per parent, the newest reply read and the
newest reply known (`latest_reply`). Every `thread_check_s` the history of
that window is scanned again for `latest_reply` / `reply_count` (one call
per page, not per thread), and conversations.replies is called only for
threads that changed, from the newest reply read.

Only messages that are people's words are kept: an allow-list of subtypes
(plain messages, thread broadcasts, file shares with a comment, /me). Joins,
topics, reminders, bots, tombstones, hidden and edited-event records are
skipped. Authors and mentions are stored as a keyed hash of the Slack user
id ("staff-3f9a..."), never as a name: the product counts colleagues, it does
not watch them. Channel links become "#name", links their label. Someone's
message with a malformed `ts` is quarantined (pseudonymous, like a message)
with the reason, never silently skipped.

429: this source's own next poll, at Retry-After; never a sleep inside
slack-sdk (the monitor's client has no rate-limit retry handler). Pages read
before the 429 are committed. A wrong token or a missing scope stops the
source with the scope's name; a channel the bot cannot read stops it with
the channel's name and what to do.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from datetime import datetime, timezone

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from model.message import Message, Quarantined
from monitors.base import PollResult, RetryAt, SourceStopped

log = logging.getLogger("crisisdesk.slack")

# Subtypes whose text is a person's own words (Slack's message subtype reference);
# everything else (channel_join, group_topic, reminder_add, bot_message, tombstone,
# message_changed, huddle_thread, ...) is skipped. None is a plain message.
PEOPLE_SUBTYPES = {None, "thread_broadcast", "reply_broadcast", "file_share", "me_message"}
AUTH_ERRORS = {"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired"}
CHANNEL_ERRORS = {"channel_not_found", "not_in_channel", "is_archived"}
MAX_THREADS_PER_CHANNEL = 2000
STATE_VERSION = 2

_MARKUP = re.compile(r"<([^<>]*)>")
# Slack's message timestamps: epoch seconds, a dot and the microseconds ("1512085950.000216").
_TS = re.compile(r"\d{1,11}(?:\.\d{1,9})?")


def pseudonym(key: bytes, user_id: str) -> str:
    return "staff-" + hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()[:10]


def monitor_client(token: str, base_url: str = "https://slack.com/api/", timeout_s: float = 10.0) -> WebClient:
    """The monitor's own client: a timeout on every call, retries for dropped
    connections and 5xx, and none for 429 (the monitor turns a 429 into this
    source's next poll instead of blocking in slack-sdk for Retry-After)."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=int(max(1, timeout_s)),
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1), ServerErrorRetryHandler(max_retry_count=1)],
    )


def _f(ts) -> float:
    return float(ts)


class _RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class _OutOfCalls(Exception):
    pass


class _ThreadGone(Exception):
    pass


class SlackMonitor:
    name = "slack"

    def __init__(
        self,
        client: WebClient,
        channels: list[str],
        pseudonym_key: bytes,
        *,
        interval_s: float = 60.0,
        thread_window_s: float = 7 * 86400.0,
        thread_check_s: float = 300.0,
        backfill_s: float = 86400.0,
        page_size: int = 200,
        max_calls: int = 50,
        clock=time.time,
    ) -> None:
        if not channels:
            raise ValueError("the Slack monitor needs at least one channel")
        self.client, self.key = client, pseudonym_key
        self.channels = [c.lstrip("#") for c in channels]
        self.interval_s = interval_s
        self.thread_window_s, self.thread_check_s, self.backfill_s = thread_window_s, thread_check_s, backfill_s
        self.page_size, self.max_calls, self.clock = page_size, max_calls, clock
        self._names: dict[str, str] = {}

    # --- API calls, with errors mapped to what the runner should do ----------

    def _call(self, method: str, **kwargs) -> dict:
        if self._calls_left <= 0:
            raise _OutOfCalls()
        self._calls_left -= 1
        try:
            reply = getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            raise self._mapped(exc, method, kwargs) from None
        data = reply.data
        self._ok_calls += 1
        if not isinstance(data, dict):
            raise ValueError(f"Slack {method} answered with something that is not a JSON object")
        return data

    def _mapped(self, exc: SlackApiError, method: str, kwargs: dict) -> Exception:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error, status = data.get("error", ""), exc.response.status_code
        if status == 429 or error == "ratelimited":
            retry = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after") or 60
            try:
                return _RateLimited(max(0.0, float(retry)))
            except ValueError:
                return _RateLimited(60.0)
        if error == "missing_scope":
            needed = data.get("needed") or "a scope"
            return SourceStopped(
                f"Slack {method}: the bot token lacks the scope {needed} (it has: {data.get('provided') or 'none'}): "
                "add it under OAuth & Permissions, reinstall the app and update SLACK_BOT_TOKEN"
            )
        if error == "thread_not_found":
            return _ThreadGone(kwargs.get("ts"))
        if error in AUTH_ERRORS or status in (401, 403):
            return SourceStopped(f"Slack refused the token ({error or status}): check SLACK_BOT_TOKEN and its scopes")
        if error in CHANNEL_ERRORS:
            channel_id = kwargs.get("channel", "")
            where = f"#{self._names.get(channel_id, '?')} ({channel_id})"
            advice = {
                "not_in_channel": f"invite the bot to it (/invite @yourbot in {where.split()[0]})",
                "is_archived": "it was archived: remove it from [sources.slack] channels",
            }.get(error, "it was deleted or the bot cannot see it: invite the bot, or remove it from channels")
            return SourceStopped(f"Slack cannot read {where}: {error}: {advice}")
        return RuntimeError(f"Slack {method} failed: {error or f'HTTP {status}'}")

    def _list(self, data: dict, method: str, key: str = "messages") -> list[dict]:
        items = data.get(key)
        if not isinstance(items, list):
            raise ValueError(f"Slack {method} answered without a {key!r} list")
        return [item for item in items if isinstance(item, dict)]

    # --- polling ------------------------------------------------------------

    def _resolve(self, known: dict[str, str]) -> dict[str, str]:
        if all(name in known for name in self.channels):
            return {name: known[name] for name in self.channels}
        found, cursor, types = {}, None, "public_channel,private_channel"
        while True:
            try:
                data = self._call(
                    "conversations_list",
                    types=types,
                    exclude_archived=True,
                    limit=1000,
                    **({"cursor": cursor} if cursor else {}),
                )
            except SourceStopped as exc:
                if "groups:read" not in str(exc) or types == "public_channel":
                    raise
                types, cursor = "public_channel", None  # no private channels without groups:read: public ones only
                continue
            for c in self._list(data, "conversations.list", "channels"):
                if "name" in c and "id" in c:
                    found[c["name"]] = c["id"]
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        missing = [f"#{n}" for n in self.channels if n not in found]
        if missing:
            raise SourceStopped(
                f"Slack channels not found (or not visible to the bot): {', '.join(missing)}: check the names; "
                "for a private channel invite the bot and give it groups:read and groups:history"
            )
        return {name: found[name] for name in self.channels}

    def poll(self, cursor: str | None) -> PollResult:
        state = json.loads(cursor) if cursor else {}
        if state.get("v") != STATE_VERSION:
            state = _upgrade(state)
        now = self.clock()
        state.pop("retry_at", None)  # an earlier monitor's hold-off: the runner schedules the next poll now
        retry = None
        self._calls_left, self._ok_calls = self.max_calls, 0
        self._out: dict[str, Message] = {}
        self._bad: dict[tuple[str, str], Quarantined] = {}
        try:
            ids = self._resolve(state.get("ids", {}))
            state["ids"] = ids
            self._names = {cid: name for name, cid in ids.items()}
            # A channel taken out of the config is forgotten: the cursor stays bounded.
            channels = state["ch"] = {cid: ch for cid, ch in state.get("ch", {}).items() if cid in ids.values()}
            for cid in ids.values():
                ch = channels.setdefault(cid, {})
                ch.setdefault("floor", f"{now - self.backfill_s:.6f}")
                ch.setdefault("threads", {})
                if ch.get("win") is None:
                    ch["win"] = {"oldest": ch.get("hw") or ch["floor"], "latest": None, "top": None}
                self._forget_old_threads(ch, now)
            # New messages first, then threads known to have new replies, then the scheduled
            # thread scan and what it found; one page per channel in turn, so one busy channel
            # never starves another, and a scan never starves known work.
            for step in (self._history_step, self._replies_step, self._scan_step, self._replies_step):
                busy = set(ids.values())
                while busy:
                    for cid in list(busy):
                        if not step(cid, channels[cid], now):
                            busy.discard(cid)
        except _OutOfCalls:
            pass
        except _RateLimited as limited:
            # Keep what was read; the runner makes Retry-After this source's next poll.
            retry = RetryAt(now + limited.retry_after, f"Slack rate limit (429): waiting {limited.retry_after:.0f} s")
            if not self._ok_calls:
                raise retry from None
            log.warning("slack: 429 mid-poll; keeping %d messages read", len(self._out))
        state["v"] = STATE_VERSION
        return PollResult(
            list(self._out.values()),
            json.dumps(state, separators=(",", ":")),
            quarantined=list(self._bad.values()),
            retry=retry,
        )

    def _forget_old_threads(self, ch: dict, now: float) -> None:
        horizon = now - self.thread_window_s
        threads = ch["threads"]
        for parent in [p for p in threads if _f(p) < horizon]:
            del threads[parent]
        if len(threads) > MAX_THREADS_PER_CHANNEL:  # keep the most recently active ones
            ranked = sorted(threads, key=lambda p: _f(threads[p][1] or p), reverse=True)
            for parent in ranked[MAX_THREADS_PER_CHANNEL:]:
                del threads[parent]

    def _history_page(self, cid: str, win: dict) -> tuple[list[dict], bool]:
        kwargs = dict(channel=cid, limit=self.page_size, oldest=win["oldest"], inclusive=False)
        if win.get("latest"):
            kwargs["latest"] = win["latest"]
        data = self._call("conversations_history", **kwargs)
        return self._list(data, "conversations.history"), bool(data.get("has_more"))

    def _history_step(self, cid: str, ch: dict, now: float) -> bool:
        """Read one page of the channel's window; False when the window is done."""
        win = ch.get("win")
        if win is None:
            return False
        items, more = self._history_page(cid, win)
        for item in items:
            self._keep(item, cid)
            self._note_thread(ch, item)
        stamps = [item["ts"] for item in items if _is_ts(item.get("ts"))]
        if stamps:
            newest, oldest = max(stamps, key=_f), min(stamps, key=_f)
            if not win.get("top") or _f(newest) > _f(win["top"]):
                win["top"] = newest
            win["latest"] = oldest
        if not more or not stamps:
            if win.get("top") and (not ch.get("hw") or _f(win["top"]) > _f(ch["hw"])):
                ch["hw"] = win["top"]
            ch["win"] = None
            ch.setdefault("next_scan", now + self.thread_check_s)
            return False
        return True

    def _note_thread(self, ch: dict, item: dict) -> None:
        """Remember a parent with replies (whatever its subtype: a deleted
        parent's tombstone keeps its thread) and the newest reply Slack knows."""
        ts, latest = item.get("ts"), item.get("latest_reply")
        if not _is_ts(ts) or not item.get("reply_count") or not _is_ts(latest):
            return
        if item.get("thread_ts") not in (None, ts):
            return  # a broadcast reply, not a parent
        if _f(ts) < self.clock() - self.thread_window_s:
            return  # too old to follow
        seen, known = ch["threads"].get(ts, [None, None])
        if not known or _f(latest) > _f(known):
            ch["threads"][ts] = [seen, latest]

    def _replies_step(self, cid: str, ch: dict, now: float) -> bool:
        """Read one page of the thread with the newest unread activity."""
        todo = [p for p, (seen, known) in ch["threads"].items() if known and (not seen or _f(known) > _f(seen))]
        if not todo:
            return False
        parent = max(todo, key=lambda p: _f(ch["threads"][p][1]))
        seen = ch["threads"][parent][0]
        # A thread first seen now is read from its start, but never from before the backfill.
        oldest = seen or (parent if _f(parent) >= _f(ch["floor"]) else ch["floor"])
        try:
            data = self._call(
                "conversations_replies", channel=cid, ts=parent, oldest=oldest, inclusive=False, limit=self.page_size
            )
        except _ThreadGone:
            del ch["threads"][parent]  # the whole thread was deleted: nothing left to follow
            return True
        items = self._list(data, "conversations.replies")
        newest = seen
        for item in items:
            ts = item.get("ts")
            if not _is_ts(ts):
                self._keep(item, cid)  # someone's reply with a malformed ts is quarantined, not lost
                continue
            if ts == parent or _f(ts) <= _f(oldest):
                continue
            self._keep(item, cid)
            if not newest or _f(ts) > _f(newest):
                newest = ts
        if not bool(data.get("has_more")) or not newest or newest == seen:
            # Done with what Slack has: mark it read up to the newest reply known.
            known = ch["threads"][parent][1]
            newest = max([t for t in (newest, known) if t], key=_f)
        ch["threads"][parent][0] = newest
        return True

    def _scan_step(self, cid: str, ch: dict, now: float) -> bool:
        """The scheduled re-read of the followed window's parents, for latest_reply."""
        scan = ch.get("scan")
        if scan is None:
            if ch.get("win") is not None or now < ch.get("next_scan", 0):
                return False
            oldest = max(now - self.thread_window_s, _f(ch["floor"]))
            scan = ch["scan"] = {"oldest": f"{oldest:.6f}", "latest": None, "top": None, "started": now}
        items, more = self._history_page(cid, scan)
        for item in items:
            self._note_thread(ch, item)
        stamps = [item["ts"] for item in items if _is_ts(item.get("ts"))]
        if stamps:
            scan["latest"] = min(stamps, key=_f)
        if not more or not stamps:
            ch["next_scan"] = now + self.thread_check_s
            ch["scan"] = None
            return False
        return True

    # --- one message --------------------------------------------------------

    def _keep(self, item: dict, cid: str) -> None:
        message = self._message(item, cid)
        if isinstance(message, Quarantined):
            self._bad.setdefault((message.external_id, message.raw), message)
        elif message is not None:
            self._out.setdefault(message.external_id, message)

    def _message(self, item: dict, cid: str) -> Message | Quarantined | None:
        if item.get("subtype") not in PEOPLE_SUBTYPES or item.get("hidden") or item.get("bot_id"):
            return None
        ts, text, user = item.get("ts"), item.get("text"), item.get("user")
        if not isinstance(text, str) or not text.strip() or not isinstance(user, str) or not user:
            return None
        if not _is_ts(ts):  # someone's words, but no time to file them under: kept for a person to look at
            return self._quarantined(item, cid, f"Slack message with a malformed ts: {ts!r}"[:300])
        name = self._names.get(cid, cid)
        return Message(
            source="slack",
            external_id=f"{cid}:{ts}",
            created_at=datetime.fromtimestamp(_f(ts), tz=timezone.utc),
            text=self.plain_text(text),
            channel=f"#{name}",
            author=pseudonym(self.key, user),
        )

    def _quarantined(self, item: dict, cid: str, reason: str) -> Quarantined:
        """The item as a pseudonymous record (as a stored message would be: no user id, no profile)."""
        raw = {
            "ts": item.get("ts"),
            "channel": f"#{self._names.get(cid, cid)}",
            "author": pseudonym(self.key, item["user"]),
            "text": self.plain_text(item["text"]),
            **{k: item[k] for k in ("subtype", "thread_ts") if k in item},
        }
        dumped = json.dumps(raw, default=str, ensure_ascii=False)[:20_000]
        return Quarantined(self.name, f"{cid}:{item.get('ts')}"[:200], dumped, reason)

    def plain_text(self, text: str) -> str:
        """Slack's markup as plain words: mentions as the same pseudonyms the
        authors get, channel links as #name, links as their label."""

        def one(match: re.Match) -> str:
            inner = match.group(1)
            target, _, label = inner.partition("|")
            if target.startswith("@"):
                return "@" + pseudonym(self.key, target[1:])
            if target.startswith("#"):
                return "#" + (label or self._names.get(target[1:], "channel"))
            if target.startswith("!"):
                special = target[1:].split("^", 1)[0]
                if special in ("here", "channel", "everyone"):
                    return "@" + special
                return label or ("@group" if special == "subteam" else "")
            if target.startswith("mailto:"):
                return "[email]"
            if target.startswith("tel:"):
                return "[phone]"
            return label or target

        return _MARKUP.sub(one, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _is_ts(value) -> bool:
    """A Slack timestamp ("1512085950.000216"): not "nan", "1e400", " 12" or "1_0", which float() takes."""
    return isinstance(value, str) and _TS.fullmatch(value) is not None


def _upgrade(old: dict) -> dict:
    """A cursor from the earlier monitor ({"ids", "oldest", "threads"}): keep
    each channel's high-water mark, so an upgrade neither re-reads nor skips."""
    state = {"ids": old.get("ids", {}), "ch": {}}
    for cid, hw in (old.get("oldest") or {}).items():
        state["ch"][cid] = {"hw": hw, "floor": hw, "threads": {}}
    return state
