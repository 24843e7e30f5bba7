"""Where posts go: X (tweepy create_tweet), Slack (chat_postMessage), or,
in a drill, nowhere: a dry run that records what would have been sent."""

from __future__ import annotations

import uuid
from typing import Protocol

import tweepy
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


class SendError(Exception):
    """Sending failed; the message says why in plain words (never a secret)."""


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
        except tweepy.HTTPException as exc:
            detail = "; ".join(exc.api_messages) or exc.response.reason
            raise SendError(f"X refused the post (HTTP {exc.response.status_code}): {detail}") from None
        except (tweepy.TweepyException, OSError) as exc:
            raise SendError(f"X could not be reached: {exc.__class__.__name__}") from None
        data = getattr(reply, "data", None) or {}
        if "id" not in data:
            raise SendError("X answered without a post id")
        return str(data["id"])


class SlackChannel:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def send(self, text: str, target: str) -> str:
        try:
            reply = self.client.chat_postMessage(channel=target, text=text)
        except SlackApiError as exc:
            raise SendError(
                f"Slack said {exc.response.get('error', 'error')} (HTTP {exc.response.status_code})"
            ) from None
        except OSError as exc:
            raise SendError(f"Slack could not be reached: {exc.__class__.__name__}") from None
        return str(reply.get("ts", ""))


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
