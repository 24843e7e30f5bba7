"""A fake Bluesky PDS + AppView on loopback, written from the AT Protocol's
published lexicons and docs.bsky.app: com.atproto.server.createSession (app
password login, JWT access/refresh tokens), app.bsky.feed.searchPosts (sort,
since, limit, an opaque cursor, PostView objects) and app.bsky.actor.getProfiles
(ProfileViewDetailed with followersCount), XRPC error bodies
{"error", "message"} and the RateLimit-* headers.

`script` queues canned answers (status, headers, body) for the next XRPC
queries (login excluded); `hang_s` makes the next query wait that long.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from tests.fake_http import FakeHTTP

EPOCH = datetime(2027, 1, 15, 8, 0, tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _jwt(sub: str, scope: str, lifetime_s: float) -> str:
    def part(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"scope": scope, "sub": sub, "iat": now, "exp": now + int(lifetime_s), "aud": "did:web:pds.example"}
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.c2lnbmF0dXJl"


def post(
    rkey: str,
    text: str,
    *,
    handle: str = "alice.bsky.social",
    minutes: float = 0,
    langs: tuple[str, ...] = ("en",),
    likes: int = 0,
    reposts: int = 0,
    replies: int = 0,
) -> dict:
    did = f"did:plc:{handle.split('.')[0]}0000000000000000000"[:32]
    moment = EPOCH + timedelta(minutes=minutes)
    return {
        "uri": f"at://{did}/app.bsky.feed.post/{rkey}",
        "cid": f"bafyreib{rkey}",
        "author": {
            "did": did,
            "handle": handle,
            "displayName": handle.split(".")[0].title(),
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/x@jpeg",
            "labels": [],
            "createdAt": "2023-04-01T00:00:00.000Z",
        },
        "record": {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": _iso(moment),
            "langs": list(langs),
        },
        "replyCount": replies,
        "repostCount": reposts,
        "likeCount": likes,
        "quoteCount": 0,
        "indexedAt": _iso(moment + timedelta(seconds=1)),
        "labels": [],
    }


class FakeBluesky(FakeHTTP):
    content_type = "application/json; charset=utf-8"

    def __init__(self, handle: str = "desk.bsky.social", password: str = "abcd-efgh-ijkl-mnop") -> None:
        super().__init__()
        self.handle, self.password = handle, password
        self.did = "did:plc:desk000000000000000000000"
        self.posts: list[dict] = []  # the search index
        self.followers: dict[str, int] = {}  # did -> followersCount
        self.remaining = 3000
        self.access_lifetime_s = 7200
        self.tokens: set[str] = set()

    def add(self, *posts: dict) -> None:
        self.posts.extend(posts)

    def rate_headers(self) -> dict:
        return {
            "RateLimit-Limit": "3000",
            "RateLimit-Remaining": str(max(0, self.remaining)),
            "RateLimit-Reset": str(int(time.time()) + 300),
            "RateLimit-Policy": "3000;w=300",
        }

    def _send(self, handler, code: int, body, headers: dict | None = None) -> None:
        self.send(handler, code, body, {**self.rate_headers(), **(headers or {})})

    def answer(self, handler) -> None:
        url = urlsplit(handler.path)
        params = parse_qs(url.query)  # every value: getProfiles repeats `actors`
        nsid = url.path.removeprefix("/xrpc/")
        body = self.form(handler) if handler.command == "POST" else {}  # a GET has no form
        auth = handler.headers.get("Authorization", "")
        self.requests.append({"nsid": nsid, "params": params, "auth": auth})
        if nsid == "com.atproto.server.createSession":
            if body.get("identifier") != self.handle or body.get("password") != self.password:
                return self._send(
                    handler, 401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
                )
            access = _jwt(self.did, "com.atproto.appPass", self.access_lifetime_s)
            self.tokens.add(access)
            return self._send(
                handler,
                200,
                {
                    "accessJwt": access,
                    "refreshJwt": _jwt(self.did, "com.atproto.refresh", 90 * 86400),
                    "handle": self.handle,
                    "did": self.did,
                    "active": True,
                },
            )
        self.hang()
        self.remaining -= 1
        if scripted := self.scripted():
            code, headers, answer = scripted
            return self._send(handler, code, answer, headers)
        if auth.removeprefix("Bearer ") not in self.tokens:
            return self._send(handler, 401, {"error": "AuthMissing", "message": "Authentication Required"})
        if nsid == "app.bsky.feed.searchPosts":
            return self._search(handler, params)
        if nsid == "app.bsky.actor.getProfiles":
            return self._profiles(handler, params.get("actors", []))
        return self._send(handler, 501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})

    def _search(self, handler, params: dict) -> None:
        query = params["q"][0].lower()
        limit = min(int(params.get("limit", ["25"])[0]), 100)
        since = params.get("since", [None])[0]
        found = [p for p in self.posts if any(word in p["record"]["text"].lower() for word in query.split(" OR "))]
        found.sort(key=lambda p: p["indexedAt"], reverse=True)
        if since:  # inclusive, on the sort time
            found = [p for p in found if p["indexedAt"] >= since]
        offset = int(params.get("cursor", ["0"])[0])
        page = found[offset : offset + limit]
        answer = {"posts": page, "hitsTotal": len(found)}
        if offset + limit < len(found):
            answer["cursor"] = str(offset + limit)
        self._send(handler, 200, answer)

    def _profiles(self, handler, actors: list[str]) -> None:
        if len(actors) > 25:
            return self._send(handler, 400, {"error": "InvalidRequest", "message": "actors must not have more than 25"})
        profiles = [
            {
                "did": did,
                "handle": f"{did.rsplit(':', 1)[1]}.bsky.social",
                "followersCount": self.followers.get(did, 0),
                "followsCount": 10,
                "postsCount": 100,
                "indexedAt": "2025-01-01T00:00:00.000Z",
            }
            for did in actors
            if did in self.followers
        ]
        self._send(handler, 200, {"profiles": profiles})
