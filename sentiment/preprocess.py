"""Text normalisation before scoring, as the Twitter models' cards do it:
user mentions become "@user" and links become "http". Messages keep their
original text for display; only the scored copy is normalised."""

from __future__ import annotations

import re

_MENTION = re.compile(r"(?<![\w@])@\w+(?:@[\w.-]+)?")  # @handle and Mastodon's @handle@server
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def for_model(text: str) -> str:
    return _LINK.sub("http", _MENTION.sub("@user", text)).strip()
