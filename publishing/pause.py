"""Pause all: one switch that stops every post, with who, why and an
optional time to resume by itself.

The switch is versioned: each pause gets the next pause_id. A Resume names
the pause it lifts and is refused when another pause came since (a page
rendered before a colleague's newer pause never lifts it), and a second
Pause while one is in force is refused with the one in force, never
overwriting it. Every change locks the switch row, so on PostgreSQL a pause
and a publisher's claim never interleave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

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
    pause_id: int = 0  # the latest pause's number (0: never paused)

    def when(self) -> str:
        return datetime.fromtimestamp(self.at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if self.at else "?"

    def describe(self) -> str:
        return f"pause #{self.pause_id} by {self.by or '?'} at {self.when()} ({self.reason or 'no reason'})"


class PauseConflict(ValueError):
    """The switch is not in the state the person saw: nothing was changed.
    `current` is the switch as it is now."""

    def __init__(self, message: str, current: PauseState) -> None:
        super().__init__(message)
        self.current = current


def ensure_switch(conn: sa.Connection) -> None:
    conn.execute(dialect_insert(conn, ps).values(id=1, paused=False).on_conflict_do_nothing())


def _read(conn: sa.Connection, *, lock: bool = False) -> PauseState:
    stmt = sa.select(ps).where(ps.c.id == 1)
    row = conn.execute(stmt.with_for_update() if lock else stmt).one_or_none()
    if row is None:
        return PauseState(False)
    if not row.paused:
        return PauseState(False, pause_id=row.pause_id)
    return PauseState(True, row.paused_by, row.paused_reason, row.paused_at, row.resume_at, row.pause_id)


def state(db: sa.Engine | sa.Connection, *, lock: bool = False) -> PauseState:
    """The switch as it is. `lock` (inside a write on a Connection): the row stays
    locked until the transaction ends, so a pause waits for it (PostgreSQL)."""
    if isinstance(db, sa.Connection):
        return _read(db, lock=lock)
    with db.connect() as conn:
        return _read(conn)


def pause(db: sa.Engine, by: Actor, reason: str, now: float, resume_at: float | None = None) -> int:
    """Pause every post; returns the new pause's id. Refused (PauseConflict,
    naming the pause in force) when publishing is already paused."""
    require(by, Permission.PAUSE_PUBLISHING)
    if not reason.strip():
        raise ValueError("pausing all posts needs a reason")
    if resume_at is not None and resume_at <= now:
        raise ValueError("the automatic resume time must be in the future")
    with write(db) as conn:
        ensure_switch(conn)
        current = _read(conn, lock=True)
        if current.paused:
            raise PauseConflict(f"publishing is already paused: {current.describe()}; nothing changed", current)
        pause_id = current.pause_id + 1
        conn.execute(
            ps.update()
            .where(ps.c.id == 1)
            .values(
                paused=True,
                pause_id=pause_id,
                paused_by=by.name,
                paused_reason=reason,
                paused_at=now,
                resume_at=resume_at,
            )
        )
        record(conn, by.name, "publishing.pause", now, "all posts", reason, resume_at=resume_at, pause_id=pause_id)
    return pause_id


def resume(db: sa.Engine, by: Actor, reason: str, now: float, *, lifts: int) -> int:
    """Lift the pause numbered `lifts` (the one the person saw), with a
    reason (required). Refused (PauseConflict) when a newer pause is in force
    or nothing is paused.
    Returns how many posts became overdue."""
    require(by, Permission.RESUME_PUBLISHING)
    if not reason.strip():
        raise ValueError("resuming publishing needs a reason")
    with write(db) as conn:
        ensure_switch(conn)
        current = _read(conn, lock=True)
        if not current.paused:
            raise PauseConflict("publishing is not paused any more (someone resumed it); nothing changed", current)
        if current.pause_id != lifts:
            raise PauseConflict(
                f"a newer pause by {current.by} at {current.when()} is in force ({current.reason}); "
                f"it was not lifted (you saw pause #{lifts}, this is #{current.pause_id}). Read it, then decide",
                current,
            )
        return resume_in(conn, by.name, reason, now)


def resume_in(conn: sa.Connection, who: str, reason: str, now: float) -> int:
    """Resume inside a transaction (the switch row already read or locked by
    the caller); posts whose time passed during the pause become overdue
    (never published without a person's decision). Returns how many became
    overdue."""
    ensure_switch(conn)
    lifted = conn.execute(sa.select(ps.c.pause_id).where(ps.c.id == 1)).scalar_one()
    conn.execute(ps.update().where(ps.c.id == 1).values(paused=False, resume_at=None))
    overdue = conn.execute(
        sp.update()
        .where(sp.c.status == "scheduled", sp.c.scheduled_at <= now)
        .values(status="overdue", status_reason="its time passed while publishing was paused", updated_at=now)
    ).rowcount
    record(conn, who, "publishing.resume", now, "all posts", reason, overdue=overdue, pause_id=lifted)
    return overdue
