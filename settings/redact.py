"""Secrets never reach a log line, a stored error or a page: every log record
made in this process, and every error text shown or stored, has each
configured secret value replaced by [secret].

The values come from .streamlit/secrets.toml (every string in it) and from
the environment variables that may carry one. `install` hooks the record
factory, so it covers every logger and handler (Streamlit's, a worker's,
pytest's capture), and exceptions' tracebacks too.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import tomllib
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from settings.secrets import SECRETS_FILE

MASK = "[secret]"
MIN_LENGTH = 6  # shorter strings ("true", a port) would mask ordinary words
SECRET_ENV = re.compile(r"^(X|SLACK|MASTODON|CRISISDESK)_\w*(TOKEN|SECRET|KEY|PASSWORD)\w*$")
URL_ENV = ("CRISISDESK_DATABASE_URL", "CRISISDESK_DATABASE_URL_DRILL")

_lock = threading.Lock()
_values: tuple[str, ...] = ()
_installed = False


def _strings(node) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [node] if isinstance(node, str) else []


def _url_password(url: str) -> list[str]:
    try:
        password = make_url(url).password
    except ArgumentError:
        return []
    return [str(password)] if password else []


def configured_secrets(path: Path = SECRETS_FILE) -> set[str]:
    """Every secret value this process could know of."""
    found: list[str] = []
    try:
        found += _strings(tomllib.loads(path.read_text(encoding="utf-8")))
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        pass
    found += [value for name, value in os.environ.items() if SECRET_ENV.match(name)]
    for name in URL_ENV:
        found += _url_password(os.environ.get(name, ""))
    return {value for value in found if len(value) >= MIN_LENGTH}


def redact(text: str) -> str:
    for value in _values:
        if value in text:
            text = text.replace(value, MASK)
    return text


def remember(values: set[str]) -> None:
    """Add values (longest first, so a secret containing another is masked whole)."""
    global _values
    with _lock:
        _values = tuple(sorted(set(_values) | values, key=len, reverse=True))


def _redacting(factory):
    def make(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if not _values:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: leave the record for logging to report
            return record
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    return make


def log_to_stderr(level: int, fmt: str = "%(asctime)s %(levelname)s %(name)s: %(message)s") -> None:
    """The processes' logging set-up (dashboard, worker, store commands), with
    secrets masked before the first record is made."""
    install()
    logging.basicConfig(level=level, format=fmt)


def install(path: Path = SECRETS_FILE) -> None:
    """Mask the configured secrets in every log record from now on (idempotent;
    calling it again picks up a rotated secret)."""
    global _installed
    remember(configured_secrets(path))
    with _lock:
        if not _installed:
            logging.setLogRecordFactory(_redacting(logging.getLogRecordFactory()))
            _installed = True
