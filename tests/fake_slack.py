"""A fake Slack Web API on 127.0.0.1: records requests, replies as scripted
(a script entry ("hang", {}, seconds) receives the request and never answers)."""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.parse
from collections import deque


class FakeSlack:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: deque = deque()  # (status, headers, body) replies to use first
        # method -> function(body) -> (status, headers, body): a stateful fake API
        self.routes: dict = {}
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                url = urllib.parse.urlparse(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                body.update({k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()})
                method = url.path.rsplit("/", 1)[-1]
                fake.requests.append({"method": method, "body": body, "auth": self.headers.get("Authorization")})
                if fake.script:
                    status, headers, reply = fake.script.popleft()
                    if status == "hang":  # received, then no answer for `reply` seconds, then the line drops
                        time.sleep(reply)
                        self.close_connection = True
                        return
                elif method in fake.routes:
                    status, headers, reply = fake.routes[method](body)
                else:
                    status, headers, reply = (200, {}, {"ok": True, "ts": "1.0"})
                data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def posts(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "chat.postMessage"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def sent_level_alert_blocks(db, clock, at: float) -> list[dict]:
    """Store one level alert, let the notifier send it to a fake Slack, return its Block Kit blocks."""
    from crisis.notify import SlackNotifier, slack_client
    from store.schema import alerts

    with db.begin() as conn:
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
    fake = FakeSlack()
    try:
        SlackNotifier(
            db, slack_client("xoxb", fake.base_url, timeout_s=5), {"crisis_team": "#c"}, clock=clock
        ).send_pending()
        blocks = fake.posts()[0]["body"]["blocks"]
        return blocks if isinstance(blocks, list) else json.loads(blocks)
    finally:
        fake.close()
