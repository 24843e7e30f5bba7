"""Internal Slack channels through slack-sdk's WebClient.

Channels are configured by name and resolved with conversations_list. Each
channel keeps its own `oldest` cursor (the newest message ts seen), read
with conversations_history and cursor pagination. Threads with replies
newer than what was seen, and active within `thread_window_s`, are read
with conversations_replies. Joins, leaves, bot and other system messages
are skipped. Authors are stored as a keyed hash of their Slack user id
("staff-3f9a..."), never as a name: the product counts colleagues, it does
not watch them.

429s are retried inside slack-sdk (RateLimitErrorRetryHandler) and then by
the runner's backoff; a revoked or wrong token, or a channel the bot is
not in, stops the source with the reason.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timezone

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from monitors.base import Message, PollResult, RetryAt, SourceStopped

SKIPPED_SUBTYPES = {
    "channel_join",
    "channel_leave",
    "bot_message",
    "channel_topic",
    "channel_purpose",
    "channel_name",
    "channel_archive",
    "channel_unarchive",
    "group_join",
    "group_leave",
    "pinned_item",
    "unpinned_item",
}
AUTH_ERRORS = {"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired", "missing_scope"}


def pseudonym(key: bytes, user_id: str) -> str:
    return "staff-" + hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()[:10]


class SlackMonitor:
    name = "slack"

    def __init__(
        self,
        client: WebClient,
        channels: list[str],
        pseudonym_key: bytes,
        *,
        interval_s: float = 60.0,
        thread_window_s: float = 86400.0,
        page_size: int = 200,
        clock=time.time,
    ) -> None:
        if not channels:
            raise ValueError("the Slack monitor needs at least one channel")
        self.client, self.key = client, pseudonym_key
        self.channels = [c.lstrip("#") for c in channels]
        self.interval_s, self.thread_window_s, self.page_size, self.clock = (
            interval_s,
            thread_window_s,
            page_size,
            clock,
        )

    # --- API calls, with errors mapped to what the runner should do ----------

    def _call(self, method: str, **kwargs) -> dict:
        try:
            reply = getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error", "") if isinstance(exc.response.data, dict) else ""
            status = exc.response.status_code
            if error in AUTH_ERRORS or status in (401, 403):
                raise SourceStopped(
                    f"Slack refused the token ({error or status}): check SLACK_BOT_TOKEN and its scopes"
                )
            if error in ("channel_not_found", "not_in_channel"):
                raise SourceStopped(f"Slack: {error} for {kwargs.get('channel')}: invite the bot to the channel")
            if status == 429 or error == "ratelimited":
                retry = float(exc.response.headers.get("Retry-After", 60) or 60)
                raise RetryAt(self.clock() + retry, f"Slack rate limit (429): waiting {retry:.0f} s") from None
            raise RuntimeError(f"Slack {method} failed: {error or f'HTTP {status}'}") from None
        data = reply.data
        if not isinstance(data, dict):
            raise ValueError(f"Slack {method} answered with something that is not a JSON object")
        return data

    def _paged(self, method: str, key: str, **kwargs) -> list[dict]:
        items, cursor = [], None
        while True:
            data = self._call(method, limit=self.page_size, **({"cursor": cursor} if cursor else {}), **kwargs)
            page = data.get(key)
            if not isinstance(page, list):
                raise ValueError(f"Slack {method} answered without a {key!r} list")
            items += page
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return items

    # --- polling ------------------------------------------------------------

    def _resolve(self, known: dict[str, str]) -> dict[str, str]:
        if all(name in known for name in self.channels):
            return known
        found = {
            c["name"]: c["id"]
            for c in self._paged(
                "conversations_list", "channels", types="public_channel,private_channel", exclude_archived=True
            )
            if isinstance(c, dict) and "name" in c and "id" in c
        }
        missing = [f"#{n}" for n in self.channels if n not in found]
        if missing:
            raise SourceStopped(f"Slack channels not found (or not visible to the bot): {', '.join(missing)}")
        return {name: found[name] for name in self.channels}

    def poll(self, cursor: str | None) -> PollResult:
        state = json.loads(cursor) if cursor else {}
        ids = self._resolve(state.get("ids", {}))
        oldest: dict[str, str] = dict(state.get("oldest", {}))
        threads: dict[str, dict[str, str]] = {k: dict(v) for k, v in state.get("threads", {}).items()}
        now = self.clock()
        out: list[Message] = []
        for name, channel_id in ids.items():
            since = oldest.get(channel_id)
            history = self._paged(
                "conversations_history", "messages", channel=channel_id, **({"oldest": since} if since else {})
            )
            seen = threads.setdefault(channel_id, {})
            for item in history:
                message = self._message(item, channel_id, name)
                if message:
                    out.append(message)
                if item.get("reply_count") and item.get("latest_reply"):
                    seen.setdefault(item["ts"], item["ts"])
                if since is None or float(item.get("ts", 0)) > float(since):
                    since = item.get("ts", since)
            if since:
                oldest[channel_id] = since
            for thread_ts, last in list(seen.items()):
                if now - float(thread_ts) > self.thread_window_s:
                    del seen[thread_ts]  # no longer followed
                    continue
                replies = self._paged(
                    "conversations_replies", "messages", channel=channel_id, ts=thread_ts, oldest=last
                )
                for item in replies:
                    if item.get("ts") == thread_ts or float(item.get("ts", 0)) <= float(last):
                        continue
                    message = self._message(item, channel_id, name)
                    if message:
                        out.append(message)
                    seen[thread_ts] = max(seen[thread_ts], item["ts"], key=float)
        next_state = {"ids": ids, "oldest": oldest, "threads": threads}
        return PollResult(out, json.dumps(next_state))

    def _message(self, item: dict, channel_id: str, name: str) -> Message | None:
        if not isinstance(item, dict) or item.get("subtype") in SKIPPED_SUBTYPES or item.get("bot_id"):
            return None
        ts, text, user = item.get("ts"), item.get("text"), item.get("user")
        if not ts or not isinstance(text, str) or not text.strip() or not user:
            return None
        try:
            created = datetime.fromtimestamp(float(ts), tz=timezone.utc)
        except ValueError:
            raise ValueError(f"Slack message in #{name} has a malformed ts {ts!r}") from None
        return Message(
            source="slack",
            external_id=f"{channel_id}:{ts}",
            created_at=created,
            text=text,
            channel=f"#{name}",
            author=pseudonym(self.key, user),
        )
