"""The HTTP plumbing every fake API in tests/ shares: a threaded server on
127.0.0.1 (HTTPS when given a certificate), started on a free port and
stopped by close(), a log of the requests it received, canned answers
(`script`), a hang for the next request (`hang_s`) and JSON answers.

A subclass answers one request in `answer(handler)`; `handler` is the
request's http.server.BaseHTTPRequestHandler.

One request per connection (HTTP/1.0, as real APIs behind a proxy may do):
with keep-alive, a client's pooled connection that the server had already
finished with failed now and then (the fake Reddit: a ConnectionError in 3
of 7 runs on a loaded machine), and every client here reconnects as it must.
"""

from __future__ import annotations

import http.server
import json
import ssl
import threading
import time
from urllib.parse import parse_qs, urlsplit


class FakeHTTP:
    content_type = "application/json"

    def __init__(self, *, tls: tuple[str, str] | None = None) -> None:
        """`tls`: (certificate, key) PEM files: serve HTTPS with them."""
        self.requests: list[dict] = []
        self.script: list[tuple] = []  # (status, headers, body) answers to give first, in order
        self.hang_s = 0.0  # the next request waits this long before it is answered
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _one(self):
                try:
                    fake.answer(self)
                except OSError:  # the client gave up waiting (a hang test): nothing to answer
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _one

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, handler) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- reading a request ---

    @staticmethod
    def target(handler) -> tuple[str, dict]:
        """The request's path and its query parameters (the last value of each)."""
        url = urlsplit(handler.path)
        return url.path, {k: v[-1] for k, v in parse_qs(url.query).items()}

    @staticmethod
    def body(handler) -> bytes:
        return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))

    @classmethod
    def form(cls, handler) -> dict:
        """The body as a form (the last value of each field), or as JSON when it says so."""
        raw = cls.body(handler).decode()
        if handler.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(raw or "{}")
        return {k: v[-1] for k, v in parse_qs(raw).items()}

    # --- answering ---

    def hang(self) -> None:
        """Wait `hang_s` once (then answer as usual): a server that is slow to answer."""
        if self.hang_s:
            hang, self.hang_s = self.hang_s, 0.0
            time.sleep(hang)

    def scripted(self) -> tuple | None:
        """The next canned answer, if a test queued one."""
        return self.script.pop(0) if self.script else None

    def send(self, handler, code: int, body, headers: dict | None = None) -> None:
        """Answer `body` (JSON, or bytes as they are) with `headers`."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = headers or {}
        handler.send_response(code)
        if not any(name.lower() == "content-type" for name in headers):
            handler.send_header("Content-Type", self.content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
