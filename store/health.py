"""Is the store there? Said out loud, with since-when, and retried.

- `health` remembers, per process, since when the store has been failing and
  why, in plain words (the file or the URL, never a password); pages show
  `health.line()` in one line, workers log it.
- `wait_for_store(open_fn)` opens the store at start, retrying until it
  answers (a worker started while the database is down, or with a data
  directory it cannot write, waits and says so instead of exiting).
- `retry_locked(fn)` runs a write again when it hit another writer's lock
  (SQLite busy, PostgreSQL lock_timeout), within a bounded wait, and raises
  StoreBusy, saying that nothing was recorded, when the lock outlasts it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, TypeVar

import sqlalchemy as sa

from settings import ConfigError

log = logging.getLogger("crisisdesk.store")
T = TypeVar("T")
# How often a process retries a store that is down (seconds); the environment
# variable exists for tests that wait for a retry.
RETRY_S = float(os.environ.get("CRISISDESK_STORE_RETRY_S") or 5.0)


class StoreBusy(Exception):
    """A write waited for another writer's lock longer than its bound; it was not recorded."""


def is_lock_wait(exc: BaseException) -> bool:
    """The statement failed only because another transaction held a lock."""
    orig = getattr(exc, "orig", exc)
    if "database is locked" in str(orig) or "database table is locked" in str(orig):
        return True
    return getattr(orig, "sqlstate", None) == "55P03"  # PostgreSQL lock_not_available (lock_timeout)


def store_errors() -> tuple[type[BaseException], ...]:
    """What a store that is down or unusable raises (not a bug in a query)."""
    return (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError, OSError)


def describe(exc: BaseException, url: str | None = None) -> str:
    """One line for a person: what failed, where (the file or the host), why."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split())
    where = ""
    if url:
        parsed = sa.make_url(url)
        if parsed.get_backend_name() == "sqlite":
            where = _sqlite_problem(parsed.database or "")
            if where:
                return where
            where = f"the SQLite file {parsed.database}"
        else:
            where = f"PostgreSQL at {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
    if "Connection refused" in text:
        why = "connection refused (is the server running?)"
    elif "timeout" in text.lower() or "timed out" in text.lower():
        why = "no answer in time"
    elif "does not exist" in text:
        why = text.split("FATAL:")[-1].strip()
    elif "password authentication failed" in text:
        why = "password authentication failed"
    elif "could not translate host name" in text or "Name or service not known" in text:
        why = "the host name does not resolve"
    else:
        why = text[:200]
    return f"{where}: {why}" if where else why


def _sqlite_problem(path: str) -> str:
    """Why a SQLite file cannot be opened for writing, naming the path; '' if no reason found."""
    if not path or path == ":memory:":
        return ""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.exists(folder) and not os.path.isdir(folder):
        return f"the data directory {folder} is a file, not a directory"
    if not os.path.isdir(folder):
        return f"the data directory {folder} does not exist"
    if os.path.isdir(path):
        return f"the SQLite file {path} is a directory"
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return f"the SQLite file {path} is read-only (check its owner and permissions)"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the data directory {folder} is not writable (check its owner and permissions)"
    return ""


@dataclass
class _State:
    down_since: float | None = None
    reason: str = ""
    attempts: int = 0
    up_since: float | None = None


class Health:
    """Per process: the store's state as last seen by anyone here."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _State()

    def ok(self, now: float | None = None) -> None:
        with self._lock:
            if self._state.down_since is not None:
                log.info("the database is reachable again (it was down since %s)", _clock(self._state.down_since))
                self._state = _State(up_since=now or time.time())

    def failed(self, reason: str, now: float | None = None) -> None:
        with self._lock:
            if self._state.down_since is None:
                self._state.down_since = now or time.time()
            self._state.reason = reason
            self._state.attempts += 1

    @property
    def down_since(self) -> float | None:
        return self._state.down_since

    def line(self, zone=None, retry_s: float | None = None) -> str | None:
        """'The database is unreachable since 02:14 (why), retrying every 5 s', or None when up."""
        state, retry_s = self._state, retry_s or RETRY_S
        if state.down_since is None:
            return None
        return (
            f"The database is unreachable since {_clock(state.down_since, zone)} ({state.reason}); "
            f"retrying every {retry_s:g} s, {state.attempts} attempt(s) so far. Nothing on this page is current."
        )


def _clock(epoch_s: float, zone=None) -> str:
    return datetime.fromtimestamp(epoch_s, tz=zone).strftime("%H:%M:%S")


health = Health()


def probe(db: sa.Engine, url: str | None = None) -> bool:
    """One cheap round trip; records the outcome in `health`."""
    try:
        with db.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except store_errors() as exc:
        health.failed(describe(exc, url or db.url.render_as_string()))
        return False
    health.ok()
    return True


def wait_for_store(
    open_fn: Callable[[], T],
    *,
    url: str,
    say: Callable[[str], None],
    stop: threading.Event | None = None,
    retry_s: float | None = None,
) -> T | None:
    """open_fn() until it succeeds; each failure said once per change of
    reason (and every minute), never as a traceback. None if `stop` is set
    first. A ConfigError (a URL that cannot work) is raised at once."""
    stop = stop or threading.Event()
    retry_s = retry_s or RETRY_S
    said, said_at = "", 0.0
    while not stop.is_set():
        try:
            result = open_fn()
        except ConfigError:
            raise
        except store_errors() as exc:
            reason = describe(exc, url)
            health.failed(reason)
            if reason != said or time.time() - said_at >= 60:
                say(f"the database is not usable: {reason}; retrying every {retry_s:g} s")
                said, said_at = reason, time.time()
            stop.wait(retry_s)
            continue
        if said:
            say("the database is usable again; starting")
        health.ok()
        return result
    return None


def retry_locked(fn: Callable[[], T], *, budget_s: float = 60.0, pause_s: float = 0.5) -> T:
    """fn() again while it fails only on another writer's lock, for at most
    `budget_s` (each attempt itself waits up to the engine's busy timeout).
    Raises StoreBusy when the lock outlasts the budget: nothing was written
    (the transaction never began or was rolled back)."""
    started = time.monotonic()
    while True:
        try:
            return fn()
        except sa.exc.OperationalError as exc:
            if not is_lock_wait(exc):
                raise
            waited = time.monotonic() - started
            if waited + pause_s >= budget_s:
                raise StoreBusy(
                    f"another write held the database for more than {waited:.0f} s; nothing was recorded"
                ) from None
            log.warning("write waiting for another writer's lock (%.0f s so far)", waited)
            time.sleep(pause_s)


def open_when_ready(
    open_fn: Callable[[], T], url: str, *, say: Callable[[str], None], stop: threading.Event | None = None
) -> T | None:
    """For a process's start (the worker): the store opened (and migrated) by
    open_fn, waiting while it is down or unusable and saying why, in one line
    per change, naming the file or the server. None if stopped while waiting."""
    return wait_for_store(open_fn, url=url, say=say, stop=stop)
