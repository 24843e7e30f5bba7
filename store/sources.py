"""Per-source state in the store: cursor, health, schedule and lease.

A runner polls a source only after claiming it: one UPDATE that succeeds
only when the source is due and nobody else holds an unexpired lease. The
claim is released (and the next poll time set) when the poll is recorded, so
any number of runners share the sources, each source polled once per
interval, and a runner that dies frees its sources when its lease expires.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from settings.redact import error_text
from store.connection import write
from store.ingest import dialect_insert
from store.schema import source_state as ss


class LeaseLost(Exception):
    """Another runner took the source over while this one was polling it."""


@dataclass(frozen=True)
class Claim:
    name: str
    cursor: str | None
    consecutive_failures: int


def claim(db: sa.Engine, name: str, owner: str, now: float, lease_s: float) -> Claim | None:
    with write(db) as conn:
        conn.execute(dialect_insert(conn, ss).values(name=name).on_conflict_do_nothing(index_elements=["name"]))
        taken = conn.execute(
            ss.update()
            .where(
                ss.c.name == name,
                ss.c.status.not_in(("stopped", "not_configured")),
                sa.or_(ss.c.next_poll_at.is_(None), ss.c.next_poll_at <= now),
                sa.or_(ss.c.lease_owner.is_(None), ss.c.lease_owner == owner, ss.c.lease_expires_at < now),
            )
            .values(lease_owner=owner, lease_expires_at=now + lease_s, last_poll_at=now)
        ).rowcount
        if not taken:
            return None
        row = conn.execute(sa.select(ss.c.cursor, ss.c.consecutive_failures).where(ss.c.name == name)).one()
    return Claim(name, row.cursor, row.consecutive_failures)


def next_poll_at(db: sa.Engine, name: str) -> float | None:
    """When the source is next due (or its lease runs out), as the store sees it."""
    with db.connect() as conn:
        row = conn.execute(
            sa.select(ss.c.next_poll_at, ss.c.lease_expires_at, ss.c.status).where(ss.c.name == name)
        ).one_or_none()
    if row is None:
        return None
    if row.status in ("stopped", "not_configured"):
        return float("inf")
    return max(row.next_poll_at or 0.0, row.lease_expires_at or 0.0)


def _day(now: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(now))


def record_success(
    conn: sa.Connection,
    name: str,
    owner: str,
    cursor: str | None,
    stored: int,
    now: float,
    next_at: float,
    reads: int = 0,
    note: str = "",
) -> None:
    """Advance the cursor; call inside the transaction that stored the batch.
    A notice from the source (`note`) is kept, with when, until another replaces it.

    Only while `owner` still holds an unexpired lease: past it, another runner
    may have polled the source already, so this batch and cursor are stale and
    LeaseLost rolls the whole transaction back."""
    today = _day(now)
    same_day = ss.c.today == today
    done = conn.execute(
        ss.update()
        .where(ss.c.name == name, ss.c.lease_owner == owner, ss.c.lease_expires_at >= now)
        .values(
            cursor=cursor,
            status="ok",
            last_success_at=now,
            consecutive_failures=0,
            polls=ss.c.polls + 1,
            messages_total=ss.c.messages_total + stored,
            today=today,
            today_messages=sa.case((same_day, ss.c.today_messages + stored), else_=stored),
            today_reads=sa.case((same_day, ss.c.today_reads + reads), else_=reads),
            next_poll_at=next_at,
            lease_owner=None,
            lease_expires_at=None,
            **({"note": error_text(note), "note_at": now} if note else {}),
        )
    ).rowcount
    if not done:
        raise LeaseLost(f"source {name!r}: lease lost (or run out) before the batch was stored")


def record_failure(
    db: sa.Engine, name: str, owner: str, error: str, now: float, next_at: float | None, status: str | None = None
) -> None:
    """A failed poll: next_at None stops the source until a person resets it."""
    status = status or ("stopped" if next_at is None else "backing_off")
    with write(db) as conn:
        conn.execute(
            ss.update()
            .where(ss.c.name == name, ss.c.lease_owner == owner)
            .values(
                status=status,
                last_error=error_text(error),  # masked here too, whoever calls
                last_error_at=now,
                consecutive_failures=ss.c.consecutive_failures + 1,
                polls=ss.c.polls + 1,
                next_poll_at=next_at,
                lease_owner=None,
                lease_expires_at=None,
            )
        )


def set_cursor(db: sa.Engine, name: str, cursor: str | None) -> None:
    """Start a source over from `cursor` at its next poll (a person's decision)."""
    with write(db) as conn:
        conn.execute(ss.delete().where(ss.c.name == name))
        conn.execute(ss.insert().values(name=name, cursor=cursor))


def retry_stopped(db: sa.Engine, names: list[str]) -> None:
    """At a runner's start: sources stopped for a reason a person may have
    fixed (config, credentials) get another try; their cursors are kept."""
    if not names:
        return
    with write(db) as conn:
        conn.execute(
            ss.update()
            .where(ss.c.name.in_(names), ss.c.status.in_(("stopped", "not_configured")))
            .values(status="new", next_poll_at=None)
        )


def reset(db: sa.Engine, name: str) -> None:
    """Forget a source's cursor and health: it starts from scratch next poll."""
    with write(db) as conn:
        conn.execute(ss.delete().where(ss.c.name == name))
