"""Where posts go: X (tweepy create_tweet), Slack (chat_postMessage), or,
in a drill, nowhere: a dry run that records what would have been sent.

A send either surely failed (refused, or the network never got the
request: it may be tried again) or has an unknown outcome (a timeout, a
dropped connection or a 5xx after the request left: the network may have
published it). An unknown outcome is never retried automatically, not even
inside slack-sdk: a person checks the channel and decides, as after a crash.
"""

from __future__ import annotations

import http.client
import socket
import uuid
from typing import Protocol
from urllib.error import URLError

import requests
import tweepy
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler, RetryHandler


class SendError(Exception):
    """Sending failed; the message says why in plain words (never a secret).
    `unknown`: the request may have arrived, so it may have been published."""

    def __init__(self, message: str, *, unknown: bool = False) -> None:
        super().__init__(message)
        self.unknown = unknown


def never_arrived(exc: BaseException) -> bool:
    """True only when the request surely never reached the server: the
    connection was refused or the name did not resolve."""
    reason = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(reason, (ConnectionRefusedError, socket.gaierror)):
        return True
    return (
        isinstance(exc, requests.exceptions.ConnectionError)
        and not isinstance(exc, requests.exceptions.Timeout)
        and "Connection refused" in str(exc)
    )


class _RetryIfNeverArrived(RetryHandler):
    """slack-sdk retry only for a connection that was never made."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        return response is None and error is not None and never_arrived(error)


def make_send_safe(client: WebClient) -> WebClient:
    """Keep only the retries that cannot repeat a post: 429 (Slack refused it
    unprocessed) and a connection that was never made. slack-sdk's server-error
    and connection-reset retries would post twice when the first one arrived."""
    client.retry_handlers = [RateLimitErrorRetryHandler(max_retry_count=2), _RetryIfNeverArrived(max_retry_count=1)]
    return client


def slack_post(client: WebClient, **message) -> str:
    """chat.postMessage once; returns the message ts or raises SendError
    (unknown=True when Slack may have posted it)."""
    try:
        reply = client.chat_postMessage(**message)
    except SlackApiError as exc:
        status = exc.response.status_code
        error = exc.response.get("error", "error") if isinstance(exc.response.data, dict) else "error"
        if status >= 500:
            raise SendError(f"Slack answered HTTP {status} after receiving the message", unknown=True) from None
        raise SendError(f"Slack said {error} (HTTP {status})") from None
    except (OSError, http.client.HTTPException) as exc:
        if never_arrived(exc):
            raise SendError(f"Slack could not be reached: {_reason(exc)}") from None
        what = "no answer in time" if _timed_out(exc) else f"the connection broke ({_reason(exc)})"
        raise SendError(f"Slack received the request but gave {what}", unknown=True) from None
    return str(reply.get("ts", ""))


def _reason(exc: BaseException) -> str:
    reason = exc.reason if isinstance(exc, URLError) else exc
    return reason.__class__.__name__


def _timed_out(exc: BaseException) -> bool:
    reason = exc.reason if isinstance(exc, URLError) else exc
    return isinstance(reason, TimeoutError)


class Channel(Protocol):
    def send(self, text: str, target: str) -> str:
        """Publish; return the network's id for the post."""
        ...


def full_text(text: str, link: str) -> str:
    return f"{text} {link}".strip() if link else text


class XChannel:
    def __init__(self, client: tweepy.Client) -> None:
        self.client = client

    def send(self, text: str, target: str) -> str:
        try:
            reply = self.client.create_tweet(text=text)
        except tweepy.TooManyRequests:
            raise SendError("X rate limit reached (429)") from None
        except tweepy.TwitterServerError as exc:
            raise SendError(
                f"X answered HTTP {exc.response.status_code} after receiving the post", unknown=True
            ) from None
        except tweepy.HTTPException as exc:
            detail = "; ".join(exc.api_messages) or exc.response.reason
            raise SendError(f"X refused the post (HTTP {exc.response.status_code}): {detail}") from None
        except (tweepy.TweepyException, OSError) as exc:
            if never_arrived(exc) or isinstance(exc, requests.exceptions.ConnectTimeout):
                raise SendError(f"X could not be reached: {exc.__class__.__name__}") from None
            raise SendError(
                f"X received the request but gave no answer ({exc.__class__.__name__})", unknown=True
            ) from None
        data = getattr(reply, "data", None) or {}
        if "id" not in data:
            raise SendError("X answered without a post id")
        return str(data["id"])


class SlackChannel:
    def __init__(self, client: WebClient) -> None:
        self.client = make_send_safe(client)

    def send(self, text: str, target: str) -> str:
        return slack_post(self.client, channel=target, text=text)


class DryRunChannel:
    """For drills: nothing leaves the building; the post is marked as sent
    with a dry-run id, so the drill plays out like the real thing."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, text: str, target: str) -> str:
        self.sent.append((text, target))
        return f"dry-run:{uuid.uuid4().hex[:12]}"


class MissingChannel:
    def __init__(self, why: str) -> None:
        self.why = why

    def send(self, text: str, target: str) -> str:
        raise SendError(self.why)
