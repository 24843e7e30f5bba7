"""A fake Reddit on loopback, written from Reddit's published API reference
(reddit.com/dev/api, github.com/reddit-archive/reddit/wiki/OAuth2): the token
endpoint POST /api/v1/access_token (HTTP Basic client id/secret; grant_type
password for a script app, client_credentials for app-only), listings
GET /r/{sub}/new and /r/{sub}/search (sort=new) as {"kind": "Listing",
"data": {"after", "before", "dist", "children": [{"kind": "t3", "data"}]}},
paged newest first with `after` = the last child's fullname, and the
X-Ratelimit-Used / -Remaining / -Reset (seconds to reset) headers.

`script` queues canned answers (status, headers, body) for the next API
requests (the token endpoint excluded); `hang_s` makes the next one wait.
"""

from __future__ import annotations

import base64
import time

from tests.fake_http import FakeHTTP

EPOCH = 1_800_000_000  # 2027-01-15 08:00 UTC


def b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def submission(
    number: int,
    title: str,
    *,
    subreddit: str = "tidewell",
    selftext: str = "",
    author: str | None = "alice",
    score: int = 1,
    comments: int = 0,
    minutes: float = 0,
) -> dict:
    sid = b36(number)
    return {
        "kind": "t3",
        "data": {
            "id": sid,
            "name": f"t3_{sid}",
            "title": title,
            "selftext": selftext,
            "selftext_html": None,
            "author": author if author is not None else "[deleted]",
            "author_fullname": f"t2_{author}" if author else None,
            "subreddit": subreddit,
            "subreddit_name_prefixed": f"r/{subreddit}",
            "subreddit_id": "t5_2qh1i",
            "created_utc": float(EPOCH + minutes * 60),
            "score": score,
            "ups": max(score, 0),
            "upvote_ratio": 0.9,
            "num_comments": comments,
            "permalink": f"/r/{subreddit}/comments/{sid}/{title.lower().replace(' ', '_')[:30]}/",
            "url": f"https://www.reddit.com/r/{subreddit}/comments/{sid}/",
            "is_self": bool(selftext),
            "over_18": False,
            "stickied": False,
            "locked": False,
            "domain": f"self.{subreddit}",
        },
    }


class FakeReddit(FakeHTTP):
    content_type = "application/json; charset=UTF-8"

    def __init__(self, client_id: str = "app-id-123", client_secret: str = "app-secret-xyz") -> None:
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.users = {"deskbot": "bot-password"}
        self.posts: dict[str, list[dict]] = {}  # subreddit -> submissions
        self.remaining = 600.0
        self.reset_s = 300
        self.tokens: set[str] = set()

    def add(self, *posts: dict) -> None:
        for item in posts:
            self.posts.setdefault(item["data"]["subreddit"].lower(), []).append(item)

    def _rate(self) -> dict:
        return {
            "x-ratelimit-used": str(int(600 - self.remaining)),
            "x-ratelimit-remaining": f"{max(0.0, self.remaining):.1f}",
            "x-ratelimit-reset": str(self.reset_s),
        }

    def answer(self, handler) -> None:
        path, params = self.target(handler)
        form = self.form(handler)
        auth = handler.headers.get("Authorization", "")
        self.requests.append({"path": path, "params": params, "auth": auth, "form": form})
        if path == "/api/v1/access_token":
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if auth != f"Basic {expected}":
                return self.send(handler, 401, {"message": "Unauthorized", "error": 401})
            grant = form.get("grant_type")
            if grant == "password" and self.users.get(form.get("username", "")) != form.get("password"):
                return self.send(handler, 200, {"error": "invalid_grant"})
            token = f"tok-{len(self.tokens)}-{time.monotonic_ns()}"
            self.tokens.add(token)
            return self.send(
                handler, 200, {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
            )
        self.hang()
        self.remaining -= 1
        if scripted := self.scripted():
            code, headers, body = scripted
            return self.send(handler, code, body, {**self._rate(), **headers})
        if auth.removeprefix("bearer ").removeprefix("Bearer ") not in self.tokens:
            return self.send(handler, 401, {"message": "Unauthorized", "error": 401}, self._rate())
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "r" and parts[2] in ("new", "search"):
            sub = parts[1].lower()
            if parts[2] == "new":
                if sub not in self.posts:
                    return self.send(handler, 404, {"message": "Not Found", "error": 404}, self._rate())
                found = list(self.posts[sub])
            else:
                query = params.get("q", "").lower()
                pool = [p for posts in self.posts.values() for p in posts] if sub == "all" else self.posts.get(sub, [])
                found = [p for p in pool if query in (p["data"]["title"] + " " + p["data"]["selftext"]).lower()]
            return self.send(handler, 200, self._listing(found, params), self._rate())
        return self.send(handler, 404, {"message": "Not Found", "error": 404}, self._rate())

    @staticmethod
    def _listing(found: list[dict], params: dict) -> dict:
        found = sorted(found, key=lambda p: int(p["data"]["id"], 36), reverse=True)  # ids grow with time
        limit = min(int(params.get("limit", 25)), 100)
        if params.get("after"):
            names = [p["data"]["name"] for p in found]
            found = found[names.index(params["after"]) + 1 :] if params["after"] in names else []
        page = found[:limit]
        after = page[-1]["data"]["name"] if len(found) > limit else None
        return {
            "kind": "Listing",
            "data": {"after": after, "before": None, "dist": len(page), "modhash": "", "children": page},
        }
