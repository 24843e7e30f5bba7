"""Bring a database to the newest schema with Alembic (store/migrations)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from store.connection import write

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed number: PostgreSQL serialises concurrent upgrades on it.
_PG_LOCK = 7_305_221


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(db: sa.Engine, revision: str = "head") -> None:
    """Safe to call from every process at start-up: on SQLite the write lock,
    on PostgreSQL an advisory lock, makes concurrent callers take turns."""
    cfg = alembic_config()
    with write(db) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(db: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
