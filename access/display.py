"""The wall display's link: a long random token, so a TV needs no person's
sign-in. The token lives in .streamlit/secrets.toml ([display] token) or
CRISISDESK_DISPLAY_TOKEN; rotating it writes a new one there, and the old
link stops working on its next refresh."""

from __future__ import annotations

import hmac
import secrets as token_source
from pathlib import Path

import tomlkit

from settings.secrets import SECRETS_FILE, secret

ENV = "CRISISDESK_DISPLAY_TOKEN"
MIN_LENGTH = 32


class DisplayTokenError(ValueError):
    pass


def configured_token(path: Path = SECRETS_FILE) -> str | None:
    """The display token, or None when there is none; a short one is an error."""
    token = secret(ENV, "display", "token", path)
    if token is not None and len(token) < MIN_LENGTH:
        raise DisplayTokenError(
            f"the display token ({ENV} or [display] token in {path.name}) must be at least {MIN_LENGTH} "
            "characters; create one with `python -m access rotate-display-token`"
        )
    return token


def matches(given: str, path: Path = SECRETS_FILE) -> bool:
    """Whether `given` is the current display token (constant-time compare)."""
    token = configured_token(path)
    if not token:
        return False
    return hmac.compare_digest(given.encode(), token.encode())


def rotate(path: Path = SECRETS_FILE) -> str:
    """Write a new random token to `path` ([display] token), keeping the rest
    of the file as it was, and return it."""
    token = token_source.token_urlsafe(32)  # 43 characters, 256 random bits
    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    if "display" not in document:
        document["display"] = tomlkit.table()
    document["display"]["token"] = token
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(tomlkit.dumps(document), encoding="utf-8")
    temporary.chmod(0o600)
    temporary.replace(path)
    return token


def wall_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/wall?view=wall&token={token}"
