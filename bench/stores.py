"""A fresh, migrated store for a benchmark: SQLite in a temp dir, or a
PostgreSQL database named by --database-url that the benchmark may empty."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import sqlalchemy as sa

from store.connection import connect
from store.migrate import upgrade


@contextlib.contextmanager
def fresh_store(database_url: str | None):
    if database_url:
        db = connect(database_url)
        if db.dialect.name != "postgresql":
            raise SystemExit("--database-url must be a PostgreSQL URL (SQLite is the default)")
        with db.begin() as conn:  # the benchmark owns this database: start from nothing
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade(db)
        try:
            yield db, "postgresql"
        finally:
            db.dispose()
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        upgrade(db)
        try:
            yield db, "sqlite"
        finally:
            db.dispose()
