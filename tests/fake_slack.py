"""A fake Slack Web API on 127.0.0.1: records requests, replies as scripted
(a script entry ("hang", {}, seconds) receives the request and never answers);
and a stateful fake workspace (channels, history, threads) answering
conversations.list / history / replies as Slack's Web API reference
describes them: newest-first history bounded by oldest/latest (exclusive
unless inclusive=1), limit, has_more and response_metadata.next_cursor;
parents carrying thread_ts, reply_count, reply_users_count and latest_reply
once they have replies; replies oldest first with the parent on the first
page; 429 with Retry-After when a test asks for rate limits."""

from __future__ import annotations

import json
import time

from tests.fake_http import FakeHTTP


class FakeSlack(FakeHTTP):
    def __init__(self) -> None:
        super().__init__()
        # method -> function(body) -> (status, headers, body): a stateful fake API
        self.routes: dict = {}
        self.base_url += "/api/"

    def answer(self, handler) -> None:
        path, query = self.target(handler)
        body = {**self.form(handler), **query}
        method = path.rsplit("/", 1)[-1]
        self.requests.append({"method": method, "body": body, "auth": handler.headers.get("Authorization")})
        if scripted := self.scripted():
            status, headers, reply = scripted
            if status == "hang":  # received, then no answer for `reply` seconds, then the line drops
                time.sleep(reply)
                handler.close_connection = True
                return
        elif method in self.routes:
            status, headers, reply = self.routes[method](body)
        else:
            status, headers, reply = (200, {}, {"ok": True, "ts": "1.0"})
        self.send(handler, status, reply, headers)

    def posts(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "chat.postMessage"]


def _stamp(ts) -> float | None:
    try:
        return float(ts)
    except (TypeError, ValueError):
        return None


def _inside(ts: str, body: dict) -> bool:
    inclusive = str(body.get("inclusive", "0")) in ("1", "true")
    value = _stamp(ts)
    if value is None:  # a malformed ts (a test's broken message): in every window, as a broken API would send it
        return True
    if "oldest" in body:
        oldest = float(body["oldest"])
        if value < oldest or (value == oldest and not inclusive):
            return False
    if "latest" in body:
        latest = float(body["latest"])
        if value > latest or (value == latest and not inclusive):
            return False
    return True


class Workspace:
    """A Slack workspace behind a FakeSlack: `history[channel_id]` holds the
    channel's messages (parents and broadcasts), `replies[parent_ts]` a
    thread's replies. Parents get their thread fields from `replies`, as Slack
    computes them. `rate_limit(method, n)` may return a Retry-After (seconds)
    to answer the n-th call with a 429 instead."""

    def __init__(self, fake: FakeSlack, channels: dict[str, str] | None = None):
        self.channels = [
            {"id": cid, "name": name} for cid, name in (channels or {"C1": "general", "C2": "support"}).items()
        ]
        self.history: dict[str, list[dict]] = {c["id"]: [] for c in self.channels}
        self.replies: dict[str, list[dict]] = {}
        self.rate_limit = None
        self.calls = 0
        self.limited = 0
        fake.routes.update(
            {
                "conversations.list": self._limited(self.list_page),
                "conversations.history": self._limited(self.history_page),
                "conversations.replies": self._limited(self.replies_page),
            }
        )

    def _limited(self, handler):
        def answer(body):
            self.calls += 1
            retry = self.rate_limit(handler.__name__, self.calls) if self.rate_limit else None
            if retry is not None:
                self.limited += 1
                return 429, {"Retry-After": str(retry)}, {"ok": False, "error": "ratelimited"}
            return handler(body)

        return answer

    def list_page(self, body):
        return 200, {}, {"ok": True, "channels": self.channels, "response_metadata": {"next_cursor": ""}}

    def _with_thread(self, message: dict) -> dict:
        replies = self.replies.get(message["ts"])
        if not replies or message.get("thread_ts", message["ts"]) != message["ts"]:
            return message
        return {
            **message,
            "thread_ts": message["ts"],
            "reply_count": len(replies),
            "reply_users_count": len({r.get("user") for r in replies}),
            "latest_reply": max((r["ts"] for r in replies), key=lambda t: _stamp(t) or 0.0),
        }

    @staticmethod
    def _page(items: list[dict], body: dict, cap: int) -> tuple[list[dict], dict]:
        start = int(body.get("cursor") or 0)
        limit = min(int(body.get("limit") or 100), cap)
        page = items[start : start + limit]
        more = start + limit < len(items)
        return page, {"has_more": more, "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def history_page(self, body):
        if body.get("channel") not in self.history:
            return 200, {}, {"ok": False, "error": "channel_not_found"}
        items = [m for m in self.history[body["channel"]] if _inside(m["ts"], body)]
        items.sort(key=lambda m: -(_stamp(m["ts"]) or 0.0))
        page, meta = self._page(items, body, 999)
        return 200, {}, {"ok": True, "messages": [self._with_thread(m) for m in page], **meta}

    def replies_page(self, body):
        parent = next(
            (m for m in self.history.get(body.get("channel"), []) if m["ts"] == body.get("ts")),
            None,
        )
        if parent is None:
            return 200, {}, {"ok": False, "error": "thread_not_found"}
        thread = sorted(
            [r for r in self.replies.get(parent["ts"], []) if _inside(r["ts"], body)],
            key=lambda r: _stamp(r["ts"]) or 0.0,
        )
        page, meta = self._page(thread, body, 1000)
        if not body.get("cursor"):
            page = [self._with_thread(parent), *page]  # Slack puts the parent first
        return 200, {}, {"ok": True, "messages": page, **meta}


def store_level_alert(db, at: float) -> None:
    """A crisis-level alert (0 -> 2, for the crisis team) waiting for the notifier to send it."""
    from store.connection import write
    from store.schema import alerts

    with write(db) as conn:
        conn.execute(
            alerts.insert().values(
                at=at,
                kind="level",
                audience="crisis_team",
                old_level=0,
                new_level=2,
                reason="detected",
                summary="CRISIS",
                explanation="{}",
            )
        )


def sent_level_alert_blocks(db, clock, at: float) -> list[dict]:
    """Store one level alert, let the notifier send it to a fake Slack, return its Block Kit blocks."""
    from crisis.notify import SlackNotifier, slack_client

    store_level_alert(db, at)
    fake = FakeSlack()
    try:
        SlackNotifier(
            db, slack_client("xoxb", fake.base_url, timeout_s=5), {"crisis_team": "#c"}, clock=clock
        ).send_pending()
        blocks = fake.posts()[0]["body"]["blocks"]
        return blocks if isinstance(blocks, list) else json.loads(blocks)
    finally:
        fake.close()
