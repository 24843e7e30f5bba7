"""Open the database: the URL from config or environment, SQLite tuned for a
reader-heavy dashboard with one writer, PostgreSQL as it is."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import sqlalchemy as sa

from settings import ConfigError, Settings
from settings.load import mask_url, store_url_problem

DATABASE_URL_ENV = "CRISISDESK_DATABASE_URL"


class StoreUrlError(ConfigError):
    """The store URL cannot name a store (the message names it, password masked)."""


_IMMEDIATE = "crisisdesk_begin_immediate"


def database_url(settings: Settings) -> str:
    """Environment first (a team deployment's secret-bearing URL stays out of
    config.toml), then config.toml, then a SQLite file under the data dir.
    Drills always get a store of their own, so they never mix with live data.
    A URL that cannot work is a StoreUrlError naming where it came from."""
    if settings.is_drill:
        env, key = DATABASE_URL_ENV + "_DRILL", "[store] drill_url"
        url = os.environ.get(env) or settings.store.drill_url
        fallback = f"sqlite:///{settings.data_dir / 'drill.sqlite3'}"
    else:
        env, key = DATABASE_URL_ENV, "[store] url"
        url = os.environ.get(env) or settings.store.url
        fallback = f"sqlite:///{settings.data_dir / 'live.sqlite3'}"
    if url:
        problem = store_url_problem(url)
        if problem:
            where = env if os.environ.get(env) else f"{key} in config.toml"
            raise StoreUrlError(f"{where}: {mask_url(url)!r}: {problem}")
        return url
    return fallback


def connect(url: str, *, busy_timeout_s: float = 30.0) -> sa.Engine:
    """An engine for the store. A write that waits for another's lock longer
    than `busy_timeout_s` fails (SQLite: "database is locked"; PostgreSQL:
    lock_timeout) instead of hanging, so the caller can retry or say so
    (store.health.retry_locked). A URL that cannot name a store is a
    StoreUrlError (a ConfigError) naming the URL, its password masked."""
    parsed = _parse(url)
    if parsed.get_backend_name() != "sqlite":
        # lock_timeout once per connection (no extra round trip per transaction);
        # a URL that sets its own options keeps them.
        extra = {} if "options" in parsed.query else {"options": f"-c lock_timeout={int(busy_timeout_s * 1000)}"}
        try:
            return sa.create_engine(parsed, pool_pre_ping=True, connect_args=extra)
        except (ImportError, sa.exc.ArgumentError) as exc:
            raise StoreUrlError(f"store URL {parsed.render_as_string()}: {exc}") from None
    if parsed.database and parsed.database != ":memory:":
        folder = os.path.dirname(os.path.abspath(parsed.database))
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise StoreUrlError(f"store URL {url}: {folder} is a file, not a directory")
        os.makedirs(folder, exist_ok=True)
    db = sa.create_engine(parsed, connect_args={"check_same_thread": False, "timeout": busy_timeout_s})
    busy_ms = int(busy_timeout_s * 1000)

    @sa.event.listens_for(db, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy, not the driver, say when transactions begin (see
        # SQLAlchemy's "Serializable isolation / Savepoints" pysqlite notes).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.close()

    @sa.event.listens_for(db, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock up front; a deferred transaction that
        # upgrades from read to write can fail at once in WAL mode.
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return db


def _parse(url: str) -> sa.URL:
    problem = store_url_problem(url)
    if problem:
        raise StoreUrlError(f"store URL {mask_url(url)!r}: {problem}")
    return sa.make_url(url)


@contextmanager
def write(db: sa.Engine) -> Iterator[sa.Connection]:
    """A write transaction: committed when the block ends, rolled back if it raises."""
    with db.connect() as conn:
        conn = conn.execution_options(**{_IMMEDIATE: True})
        with conn.begin():
            yield conn


def serialize(conn: sa.Connection, name: str) -> None:
    """Inside a write transaction: wait until no other transaction holding
    the same name is open. PostgreSQL: a transaction-scoped advisory lock;
    SQLite: nothing to do, a write transaction already holds the database's
    only write lock (BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
