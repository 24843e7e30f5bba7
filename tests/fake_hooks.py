"""Fakes on loopback for alert delivery: an HTTP endpoint that records POSTs
(a Teams incoming webhook / Workflows URL, or any signed webhook) with canned
answers, and an SMTP server (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import json
import socket
import time
import warnings
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.fake_http import FakeHTTP


class FakeHook(FakeHTTP):
    """Teams answers 200 "1" (incoming webhook) or 202 (Workflows); `script` queues (status, headers, body);
    with `hang_s` set, every request is received and never answered."""

    content_type = "text/plain; charset=utf-8"

    def __init__(self, path: str = "/webhookb2/abc/IncomingWebhook/secret-part-Zz9") -> None:
        super().__init__()
        self.path, self.received = path, self.requests
        self.url = f"{self.base_url}{path}"

    def answer(self, handler) -> None:
        body = self.body(handler)
        if self.hang_s:
            time.sleep(self.hang_s)
            return
        self.received.append({"path": handler.path, "headers": dict(handler.headers), "body": body})
        code, headers, answer = self.scripted() or (200, {}, b"1")
        self.send(handler, code, answer, headers)

    def json(self, index: int = -1) -> dict:
        return json.loads(self.received[index]["body"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeSmtp:
    """aiosmtpd on loopback; `users` turns on AUTH (without TLS, loopback only); `refuse` answers RCPT with a code."""

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.messages: list = []
        self.refuse: str | None = None  # e.g. "451 4.7.1 Rate limited, try later"
        fake = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if fake.refuse:
                    return fake.refuse
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                mail = message_from_bytes(envelope.content, policy=policy.default)
                fake.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "mail": mail})
                return "250 Message accepted for delivery"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = users is not None and users.get(auth_data.login.decode()) == auth_data.password.decode()
            return AuthResult(success=ok, handled=False)

        kwargs: dict[str, Any] = (
            {"authenticator": authenticator, "auth_require_tls": False, "auth_required": True} if users else {}
        )
        self.port = free_port()
        with warnings.catch_warnings():  # AUTH without TLS: on loopback, in a test, on purpose
            warnings.simplefilter("ignore", UserWarning)
            self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()


class SilentServer:
    """Accepts connections and never says a word: a hung mail server."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()
