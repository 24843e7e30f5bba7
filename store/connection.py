"""Open the database: the URL from config or environment, SQLite tuned for a
reader-heavy dashboard with one writer, PostgreSQL as it is."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import sqlalchemy as sa

from settings import Settings

DATABASE_URL_ENV = "CRISISDESK_DATABASE_URL"
_IMMEDIATE = "crisisdesk_begin_immediate"


def database_url(settings: Settings) -> str:
    """Environment first (a team deployment's secret-bearing URL stays out of
    config.toml), then config.toml, then a SQLite file under the data dir.
    Drills always get a store of their own, so they never mix with live data."""
    if settings.is_drill:
        url = os.environ.get(DATABASE_URL_ENV + "_DRILL") or settings.store.drill_url
        return url or f"sqlite:///{settings.data_dir / 'drill.sqlite3'}"
    url = os.environ.get(DATABASE_URL_ENV) or settings.store.url
    return url or f"sqlite:///{settings.data_dir / 'live.sqlite3'}"


def connect(url: str) -> sa.Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
    db = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @sa.event.listens_for(db, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy, not the driver, say when transactions begin (see
        # SQLAlchemy's "Serializable isolation / Savepoints" pysqlite notes).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @sa.event.listens_for(db, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock up front; a deferred transaction that
        # upgrades from read to write can fail at once in WAL mode.
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return db


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


def is_sqlite(db: sa.Engine | sa.Connection) -> bool:
    return db.dialect.name == "sqlite"
