"""A fake Mastodon instance on loopback, written from Mastodon's published API
reference (docs.joinmastodon.org: the Status and Account entities, timelines,
search v2, Link-header pagination, X-RateLimit-* headers, error bodies).

Statuses are kept per hashtag / list; timelines answer newest first with
since_id / max_id / min_id / limit as Mastodon does, and a Link header with
rel="next" (max_id) and rel="prev" (min_id). `script` queues canned answers
(status, headers, body) for the next requests; `hang_s` makes the next
request wait that long before answering.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from tests.fake_http import FakeHTTP

EPOCH = datetime(2027, 1, 15, 8, 0, tzinfo=timezone.utc)


def account(acct: str, followers: int = 100, account_id: str | None = None) -> dict:
    username, _, domain = acct.partition("@")
    host = domain or "mastodon.example"
    return {
        "id": account_id or str(zlib.crc32(acct.encode())),
        "username": username,
        "acct": acct,
        "display_name": username.title(),
        "locked": False,
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "group": False,
        "created_at": "2022-11-01T00:00:00.000Z",
        "note": "<p>Just a person</p>",
        "url": f"https://{host}/@{username}",
        "uri": f"https://{host}/users/{username}",
        "avatar": f"https://{host}/avatars/original/missing.png",
        "avatar_static": f"https://{host}/avatars/original/missing.png",
        "header": f"https://{host}/headers/original/missing.png",
        "header_static": f"https://{host}/headers/original/missing.png",
        "followers_count": followers,
        "following_count": 12,
        "statuses_count": 345,
        "last_status_at": "2027-01-15",
        "hide_collections": None,
        "noindex": False,
        "emojis": [],
        "roles": [],
        "fields": [],
    }


def status(
    status_id: int | str,
    content: str = "<p>Hello</p>",
    *,
    acct: str = "alice",
    followers: int = 100,
    tags: tuple[str, ...] = (),
    minutes: float = 0,
    spoiler_text: str = "",
    language: str | None = "en",
    reblog: dict | None = None,
    media_descriptions: tuple[str, ...] = (),
) -> dict:
    who = account(acct, followers)
    sid = str(status_id)
    host = acct.partition("@")[2] or "mastodon.example"
    return {
        "id": sid,
        "uri": f"https://{host}/users/{who['username']}/statuses/{sid}",
        "url": None if reblog else f"https://{host}/@{who['username']}/{sid}",
        "created_at": (EPOCH + timedelta(minutes=minutes)).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "edited_at": None,
        "account": who,
        "content": "" if reblog else content,
        "visibility": "public",
        "sensitive": bool(spoiler_text),
        "spoiler_text": spoiler_text,
        "media_attachments": [
            {
                "id": f"{sid}{i}",
                "type": "image",
                "url": f"https://{host}/media/{sid}-{i}.png",
                "preview_url": f"https://{host}/media/{sid}-{i}-small.png",
                "remote_url": None,
                "meta": {},
                "description": text,
                "blurhash": "UFBWY:8_0Jxv9FxuWBxu0Kxu~qNGM{xuWBWB",
            }
            for i, text in enumerate(media_descriptions)
        ],
        "application": None if reblog else {"name": "Web", "website": None},
        "mentions": [],
        "tags": [{"name": t, "url": f"https://{host}/tags/{t}"} for t in tags],
        "emojis": [],
        "reblogs_count": 0,
        "favourites_count": 0,
        "replies_count": 0,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "reblog": reblog,
        "poll": None,
        "card": None,
        "language": None if reblog else language,
        "text": None,
        "filtered": [],
    }


def _key(sid: str) -> tuple[int, str]:
    return (len(sid), sid)


class FakeMastodon(FakeHTTP):
    content_type = "application/json; charset=utf-8"

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token  # the access token it accepts; None = public timelines need none
        self.tags: dict[str, list[dict]] = {}
        self.lists: dict[str, list[dict]] = {}
        self.search_results: list[dict] = []
        self.remaining = 300
        self.reset_in_s = 300.0

    def add(self, tag: str, *statuses: dict) -> None:
        self.tags.setdefault(tag, []).extend(statuses)

    # --- the HTTP side ---

    def _rate_headers(self) -> dict:
        reset = datetime.now(timezone.utc) + timedelta(seconds=self.reset_in_s)
        return {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": str(max(0, self.remaining)),
            "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }

    def _send(self, handler, code: int, body, headers: dict | None = None) -> None:
        self.send(handler, code, body, {**self._rate_headers(), **(headers or {})})

    def answer(self, handler) -> None:
        path, params = self.target(handler)
        self.requests.append({"path": path, "params": params, "auth": handler.headers.get("Authorization", "")})
        self.hang()
        self.remaining -= 1
        if path.rstrip("/") == "/api/v2/instance":  # asked by a stock Mastodon.py client (timelines_access)
            return self._send(handler, 200, {"domain": "mastodon.example", "version": "4.3.0", "configuration": {}})
        if scripted := self.scripted():
            code, headers, body = scripted
            return self._send(handler, code, body, headers)
        auth = handler.headers.get("Authorization", "")
        if auth and auth != f"Bearer {self.token}":
            return self._send(handler, 401, {"error": "The access token is invalid"})
        if path.startswith("/api/v1/timelines/tag/"):
            return self._timeline(handler, path, params, self.tags.get(path.rsplit("/", 1)[1], []))
        if path.startswith("/api/v1/timelines/list/"):
            if not auth:
                return self._send(handler, 401, {"error": "The access token is invalid"})
            found = self.lists.get(path.rsplit("/", 1)[1])
            if found is None:
                return self._send(handler, 404, {"error": "Record not found"})
            return self._timeline(handler, path, params, found)
        if path == "/api/v2/search":
            if not auth:
                return self._send(handler, 401, {"error": "The access token is invalid"})
            page = self._page(self.search_results, params)
            return self._send(handler, 200, {"accounts": [], "statuses": page, "hashtags": []})
        return self._send(handler, 404, {"error": "Record not found"})

    @staticmethod
    def _page(statuses: list[dict], params: dict) -> list[dict]:
        limit = min(int(params.get("limit", 20)), 40)
        chosen = sorted(statuses, key=lambda s: _key(s["id"]), reverse=True)
        if "max_id" in params:
            chosen = [s for s in chosen if _key(s["id"]) < _key(params["max_id"])]
        if "since_id" in params:
            chosen = [s for s in chosen if _key(s["id"]) > _key(params["since_id"])]
        if "min_id" in params:  # the statuses immediately newer than min_id
            chosen = [s for s in chosen if _key(s["id"]) > _key(params["min_id"])][-limit:]
        return chosen[:limit]

    def _timeline(self, handler, path: str, params: dict, statuses: list[dict]) -> None:
        page = self._page(statuses, params)
        headers = {}
        if page:
            keep = {k: v for k, v in params.items() if k in ("limit", "local")}
            older = f"{self.base_url}{path}?{urlencode({**keep, 'max_id': page[-1]['id']})}"
            newer = f"{self.base_url}{path}?{urlencode({**keep, 'min_id': page[0]['id']})}"
            headers["Link"] = f'<{older}>; rel="next", <{newer}>; rel="prev"'
        self._send(handler, 200, page, headers)
