"""Pause all: one switch that stops every post, with who, why and an
optional time to resume by itself."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from access.roles import Actor, Permission, require
from store.audit import record
from store.connection import write
from store.ingest import dialect_insert
from store.schema import publishing_state as ps
from store.schema import scheduled_posts as sp


@dataclass(frozen=True)
class PauseState:
    paused: bool
    by: str | None = None
    reason: str | None = None
    at: float | None = None
    resume_at: float | None = None


def _ensure(conn: sa.Connection) -> None:
    conn.execute(dialect_insert(conn, ps).values(id=1, paused=False).on_conflict_do_nothing())


def state(db: sa.Engine | sa.Connection) -> PauseState:
    def read(conn):
        row = conn.execute(sa.select(ps).where(ps.c.id == 1)).one_or_none()
        if row is None or not row.paused:
            return PauseState(False)
        return PauseState(True, row.paused_by, row.paused_reason, row.paused_at, row.resume_at)

    if isinstance(db, sa.Connection):
        return read(db)
    with db.connect() as conn:
        return read(conn)


def pause(db: sa.Engine, by: Actor, reason: str, now: float, resume_at: float | None = None) -> None:
    require(by, Permission.PAUSE_PUBLISHING)
    if not reason.strip():
        raise ValueError("pausing all posts needs a reason")
    if resume_at is not None and resume_at <= now:
        raise ValueError("the automatic resume time must be in the future")
    with write(db) as conn:
        _ensure(conn)
        conn.execute(
            ps.update()
            .where(ps.c.id == 1)
            .values(paused=True, paused_by=by.name, paused_reason=reason, paused_at=now, resume_at=resume_at)
        )
        record(conn, by.name, "publishing.pause", now, "all posts", reason, resume_at=resume_at)


def resume(db: sa.Engine, by: Actor, reason: str, now: float) -> int:
    require(by, Permission.RESUME_PUBLISHING)
    with write(db) as conn:
        return resume_in(conn, by.name, reason, now)


def resume_in(conn: sa.Connection, who: str, reason: str, now: float) -> int:
    """Resume inside a transaction; posts whose time passed during the pause
    become overdue (never published without a person's decision). Returns
    how many became overdue."""
    _ensure(conn)
    conn.execute(ps.update().where(ps.c.id == 1).values(paused=False, resume_at=None))
    overdue = conn.execute(
        sp.update()
        .where(sp.c.status == "scheduled", sp.c.scheduled_at <= now)
        .values(status="overdue", status_reason="its time passed while publishing was paused", updated_at=now)
    ).rowcount
    record(conn, who, "publishing.resume", now, "all posts", reason, overdue=overdue)
    return overdue
