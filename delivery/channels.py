"""The channels an alert can go to. Each `send(content, to)` returns on success
or raises DeliveryFailed: `retry` False when only a person can fix it (a
refused password, a revoked webhook), `after_s` when the far side said how
long to wait (429 Retry-After). Secrets (webhook URLs, the SMTP password, HMAC
keys) are held here, never put in an error, and come only from env or
.streamlit/secrets.toml (see build_channel)."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import socket
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import requests

from delivery.content import AlertContent


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, retry: bool = True, after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry, self.after_s = reason, retry, after_s


def _retry_after(answer: requests.Response) -> float | None:
    try:
        return max(0.0, float(answer.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _post(url: str, name: str, body: bytes, headers: dict, timeout_s: float) -> None:
    """POST to a webhook; the URL is a secret, so errors name the channel, never the address."""
    try:
        answer = requests.post(url, data=body, headers=headers, timeout=timeout_s, allow_redirects=False)
    except requests.Timeout:
        raise DeliveryFailed(f"{name} did not answer within {timeout_s:g} s") from None
    except requests.RequestException as exc:
        raise DeliveryFailed(f"{name} could not be reached ({type(exc).__name__})") from None
    if 200 <= answer.status_code < 300:
        return
    if answer.status_code == 429:
        raise DeliveryFailed(f"{name} is rate limiting (429)", after_s=_retry_after(answer))
    if answer.status_code in (408,) or answer.status_code >= 500:
        raise DeliveryFailed(f"{name} answered {answer.status_code}")
    raise DeliveryFailed(
        f"{name} refused the message ({answer.status_code}): the URL may be revoked or wrong; set it again",
        retry=False,
    )


class TeamsWebhook:
    """A Teams incoming webhook or a Workflows 'post to a channel when a webhook request is received' URL."""

    def __init__(self, name: str, url: str, timeout_s: float = 15.0) -> None:
        self.name, self._url, self.timeout_s = name, url, timeout_s

    def send(self, content: AlertContent, to: list[str] | None = None) -> None:
        body = json.dumps(content.card(), ensure_ascii=False).encode()
        _post(self._url, f"Teams webhook {self.name}", body, {"Content-Type": "application/json"}, self.timeout_s)


class SignedWebhook:
    """JSON to any URL, signed: X-CrisisDesk-Signature = "sha256=" + HMAC-SHA256(key, "{timestamp}.{body}"),
    with X-CrisisDesk-Timestamp (epoch s), so the receiver can check origin and refuse replays."""

    def __init__(self, name: str, url: str, key: str, timeout_s: float = 15.0, clock=time.time) -> None:
        self.name, self._url, self._key, self.timeout_s, self.clock = name, url, key.encode(), timeout_s, clock

    def headers(self, body: bytes) -> dict:
        stamp = str(int(self.clock()))
        digest = hmac.new(self._key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/json",
            "X-CrisisDesk-Timestamp": stamp,
            "X-CrisisDesk-Signature": f"sha256={digest}",
        }

    def send(self, content: AlertContent, to: list[str] | None = None) -> None:
        body = content.json()
        _post(self._url, f"webhook {self.name}", body, self.headers(body), self.timeout_s)


class SlackRoute:
    """A Slack channel in the routing table: the bot posts what [notify] posts (blocks and fallback)."""

    def __init__(self, channel: str, client) -> None:
        self.name, self.channel, self.client = f"Slack {channel}", channel, client

    def send(
        self, content: AlertContent, to: list[str] | None = None, row=None, duty=None, accounts=None, drill=False
    ) -> None:
        from slack_sdk.errors import SlackApiError

        from crisis.notify import blocks_for, fallback_text

        blocks = blocks_for(row, duty, accounts, drill=drill) if row is not None else []
        if content.ack_url:
            blocks.append(
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Acknowledge"},
                            "url": content.ack_url,
                        }
                    ],
                }
            )
        try:
            self.client.chat_postMessage(
                channel=self.channel,
                text=fallback_text(row, drill=drill) if row is not None else content.title,
                blocks=blocks,
            )
        except SlackApiError as exc:
            error = exc.response.get("error", "error")
            permanent = error in ("channel_not_found", "not_in_channel", "invalid_auth", "token_revoked", "not_authed")
            raise DeliveryFailed(
                f"Slack said {error} (HTTP {exc.response.status_code})",
                retry=not permanent,
                after_s=float(exc.response.headers.get("Retry-After", 0) or 0) or None,
            ) from None
        except OSError as exc:
            raise DeliveryFailed(f"Slack could not be reached ({type(exc).__name__})") from None


class Email:
    """Plain text + HTML through SMTP (smtplib): STARTTLS, implicit TLS, or none (a local relay)."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        security: str = "starttls",
        username: str = "",
        password: str = "",
        timeout_s: float = 20.0,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.name = f"e-mail via {host}:{port}"
        self.host, self.port, self.sender, self.security = host, port, sender, security
        self.username, self._password, self.timeout_s = username, password, timeout_s
        self.context = context

    def message(self, content: AlertContent, to: list[str]) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = " ".join(content.subject.split())  # one line: no header injection from outside text
        mail["From"] = self.sender
        mail["To"] = ", ".join(to)
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail.set_content(content.text())
        mail.add_alternative(content.html(), subtype="html")
        return mail

    def send(self, content: AlertContent, to: list[str] | None = None) -> None:
        if not to:
            raise DeliveryFailed("no e-mail address to send to", retry=False)
        mail = self.message(content, to)
        try:
            server: smtplib.SMTP
            if self.security == "ssl":
                server = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout_s, context=self.context or ssl.create_default_context()
                )
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            with server:
                if self.security == "starttls":
                    server.starttls(context=self.context or ssl.create_default_context())
                if self.username:
                    server.login(self.username, self._password)
                refused = server.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryFailed(
                f"the mail server refused the login of {self.username} ({exc.smtp_code}): check SMTP_PASSWORD",
                retry=False,
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = ", ".join(f"{addr} ({code})" for addr, (code, _) in exc.recipients.items())
            temporary = all(400 <= code < 500 for code, _ in exc.recipients.values())
            raise DeliveryFailed(f"the mail server refused {codes}", retry=temporary) from None
        except smtplib.SMTPResponseException as exc:
            said = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            temporary = 400 <= exc.smtp_code < 500  # 421/450/451/452: busy or rate limited, try later
            raise DeliveryFailed(
                f"the mail server said {exc.smtp_code} {' '.join(said.split())[:200]}", retry=temporary
            )
        except (socket.timeout, TimeoutError):
            raise DeliveryFailed(f"the mail server did not answer within {self.timeout_s:g} s") from None
        except smtplib.SMTPServerDisconnected as exc:
            if "timed out" in str(exc):  # smtplib's words for a greeting that never came
                raise DeliveryFailed(f"the mail server did not answer within {self.timeout_s:g} s") from None
            raise DeliveryFailed("the mail server closed the connection") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"the mail server could not be reached ({type(exc).__name__})") from None
        if refused:
            raise DeliveryFailed(f"the mail server refused {', '.join(refused)}", retry=False)
