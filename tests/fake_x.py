"""A fake X API v2 on 127.0.0.1, and a requests adapter that sends tweepy's
calls for https://api.twitter.com there: tweepy builds and signs the real
request, and nothing leaves this machine."""

from __future__ import annotations

import json
import socket

from requests.adapters import HTTPAdapter

from tests.fake_http import FakeHTTP


class FakeX(FakeHTTP):
    def __init__(self) -> None:
        super().__init__()
        self.url = self.base_url

    def answer(self, handler) -> None:
        raw = self.body(handler).decode()
        self.requests.append(
            {
                "method": handler.command,
                "path": handler.path,
                "body": json.loads(raw or "null"),
                "auth": handler.headers.get("Authorization", ""),
            }
        )
        default: tuple[int, dict[str, str], dict] = (
            201,
            {},
            {"data": {"id": str(1000 + len(self.requests)), "text": "ok"}},
        )
        status, headers, body = self.scripted() or default
        self.send(handler, status, body, headers)

    def attach(self, client) -> None:
        """Route a tweepy.Client's requests to this server."""
        url = self.url

        class ToLoopback(HTTPAdapter):
            def send(self, request, **kwargs):
                request.url = request.url.replace("https://api.twitter.com", url, 1)
                return super().send(request, **kwargs)

        client.session.mount("https://api.twitter.com", ToLoopback())


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
