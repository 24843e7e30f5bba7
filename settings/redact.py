"""Secrets never reach a log line, a stored error or a page: every log record
made in this process, and every error text shown or stored, has each
configured secret value replaced by [secret].

The values come from .streamlit/secrets.toml (every string in it) and from
the environment variables that may carry one. `install` hooks the record
factory, so it covers every logger and handler (Streamlit's, a worker's,
pytest's capture), and exceptions' tracebacks too.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import re
import threading
import tomllib
import urllib.parse
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from settings.secrets import SECRETS_FILE

MASK = "[secret]"
MIN_LENGTH = 6  # shorter strings ("true", a port) would mask ordinary words
SECRET_ENV = re.compile(
    r"^((X|SLACK|MASTODON|BLUESKY|REDDIT|TEAMS|SMTP|WEBHOOK|CRISISDESK)_\w*(TOKEN|SECRET|KEY|PASSWORD)\w*"
    r"|TEAMS_WEBHOOK_\w+|WEBHOOK_\w+_URL)$"
)
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


def _forms(value: str) -> set[str]:
    """The ways a secret turns up in an error or a log line: as it is,
    URL-encoded (either case of hex, '+' or %20 for a space) and URL-decoded,
    JSON-escaped (a '/' as '\\/', unicode escapes), HTML-escaped, and base64
    of the secret alone ('user:secret' for basic auth is caught by decoding,
    whatever the user name: _decodes_to_secret)."""
    forms = {value, urllib.parse.unquote(value), urllib.parse.unquote_plus(value)}
    for form in list(forms):
        for quoted in (
            urllib.parse.quote(form, safe=""),
            urllib.parse.quote_plus(form, safe=""),
            urllib.parse.quote(form),
        ):
            forms |= {quoted, re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quoted)}
        json_form = json.dumps(form)[1:-1]
        forms |= {
            json_form,
            json_form.replace("/", "\\/"),
            json.dumps(form, ensure_ascii=False)[1:-1],
            form.replace("/", "\\/"),
            html.escape(form),
            base64.b64encode(form.encode()).decode().rstrip("="),
        }
    return {f for f in forms if len(f) >= MIN_LENGTH}


_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
# A URL: its user-info (user:password@) and its query and fragment go; scheme, host, port and path stay.
_URL = re.compile(
    r"(?i)\b([a-z][a-z0-9+.-]{1,15}://)([^\s/?#@'\"<>]*@)?([^\s/?#'\"<>]*)([^\s?#'\"<>]*)(\?[^\s#'\"<>]*)?(#[^\s'\"<>]*)?"
)
# "Basic <base64>" and "Bearer <token>" headers echoed back in an error.
_AUTH_HEADER = re.compile(r"(?i)\b(authorization:\s*)?(basic|bearer)\s+[A-Za-z0-9._~+/=-]{8,}")


def _decodes_to_secret(token: str) -> bool:
    """Whether a base64 run (standard or URL-safe) decodes to text holding a secret, e.g. 'user:secret'."""
    padded = token + "=" * (-len(token) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            decoded = decode(padded.encode()).decode("utf-8", "ignore")
        except (ValueError, TypeError):
            continue
        if decoded and any(value in decoded for value in _values):
            return True
    return False


def strip_urls(text: str) -> str:
    """Every URL without its user-info, query string and fragment (they carry keys: ?apikey=, user:pass@)."""

    def shorten(m: re.Match) -> str:
        scheme, userinfo, host, path, query, fragment = m.groups()
        return scheme + ("[user]@" if userinfo else "") + host + path + ("?[query]" if query or fragment else "")

    return _URL.sub(shorten, text)


def redact(text: str) -> str:
    """Text with every configured secret masked (in every form _forms names,
    split across lines, and inside base64, as in basic auth), Authorization
    header values masked, and URLs without user-info or query."""
    text = str(text)
    if _values:
        for value in _forms_all():
            if value in text:
                text = text.replace(value, MASK)
        # A secret split across lines or wrapped (whitespace or a backslash-newline inside it).
        for _, pattern in _split_patterns():
            text = pattern.sub(MASK, text)
        text = _BASE64.sub(lambda m: MASK if _decodes_to_secret(m.group(0)) else m.group(0), text)
    text = strip_urls(text)
    return _AUTH_HEADER.sub(lambda m: (m.group(1) or "") + m.group(2) + " " + MASK, text)


def error_text(error: BaseException | str, prefix: str = "") -> str:
    """The one way an error becomes text that is stored, shown or logged (sources,
    Slack alerts, the publisher, key-account escalations): masked as `redact`
    does, on one line, at most 1,000 characters. An exception without a
    message is named by its class."""
    if isinstance(error, BaseException):
        message = str(error).strip() or error.__class__.__name__
    else:
        message = str(error)
    text = " ".join(redact(prefix + message).split())
    return text if len(text) <= 1000 else text[:999] + "…"


_cache: dict[tuple[str, ...], tuple[list[str], list[tuple[str, re.Pattern]]]] = {}


def _compiled() -> tuple[list[str], list[tuple[str, re.Pattern]]]:
    values = _values
    if values not in _cache:
        forms = sorted({f for v in values for f in _forms(v)}, key=len, reverse=True)
        splits = [
            (v, re.compile(r"(?:\\?\s+|\\\n)?".join(re.escape(ch) for ch in v)))
            for v in values
            if len(v) >= 12  # short values split across lines would match ordinary text
        ]
        _cache.clear()
        _cache[values] = (forms, splits)
    return _cache[values]


def _forms_all() -> list[str]:
    return _compiled()[0]


def _split_patterns() -> list[tuple[str, re.Pattern]]:
    return _compiled()[1]


def remember(values: set[str]) -> None:
    """Add values (longest first, so a secret containing another is masked whole)."""
    global _values
    with _lock:
        _values = tuple(sorted(set(_values) | values, key=len, reverse=True))


def _redacting(factory):
    def make(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
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
