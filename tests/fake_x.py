"""A fake X API v2 on 127.0.0.1, and a requests adapter that sends tweepy's
calls for https://api.twitter.com there: tweepy builds and signs the real
request, and nothing leaves this machine."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections import deque

from requests.adapters import HTTPAdapter


class FakeX:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: deque = deque()  # (status, headers, body) replies to use first
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _reply(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                fake.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "body": json.loads(raw or "null"),
                        "auth": self.headers.get("Authorization", ""),
                    }
                )
                default = (201, {}, {"data": {"id": str(1000 + len(fake.requests)), "text": "ok"}})
                status, headers, body = fake.script.popleft() if fake.script else default
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _reply

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def attach(self, client) -> None:
        """Route a tweepy.Client's requests to this server."""
        url = self.url

        class ToLoopback(HTTPAdapter):
            def send(self, request, **kwargs):
                request.url = request.url.replace("https://api.twitter.com", url, 1)
                return super().send(request, **kwargs)

        client.session.mount("https://api.twitter.com", ToLoopback())

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class HungX:
    """An X API that accepts connections and never answers a byte."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)  # the kernel completes the handshake; nobody ever reads or replies
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    attach = FakeX.attach

    def close(self) -> None:
        self.sock.close()
