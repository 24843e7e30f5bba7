"""Drop raw message text after a configured age. The rows stay (so counts,
triage decisions, corrections and incident records keep their references),
and so do the minute rollups every chart is drawn from."""

from __future__ import annotations

import sqlalchemy as sa

from store.audit import record
from store.connection import write
from store.schema import messages, quarantine

REMOVED = "[text removed after the retention period]"


def drop_old_text(db: sa.Engine, older_than_days: float, now: float, batch: int = 10_000) -> int:
    """Blank text, author and link of messages older than the age, and delete
    quarantined items older than it; returns how many messages."""
    if older_than_days <= 0:
        return 0
    cutoff = int(now - older_than_days * 86400)
    with write(db) as conn:  # quarantined items are raw message text too
        conn.execute(quarantine.delete().where(quarantine.c.at < cutoff))
    m = messages.c
    total = 0
    while True:
        with write(db) as conn:
            ids = list(
                conn.execute(
                    sa.select(m.id).where(m.created_at < cutoff, m.text != REMOVED).order_by(m.id).limit(batch)
                ).scalars()
            )
            if not ids:
                if total:
                    record(
                        conn,
                        "retention",
                        "store.retention",
                        now,
                        "messages",
                        "",
                        removed=total,
                        older_than_days=older_than_days,
                    )
                return total
            conn.execute(messages.update().where(m.id.in_(ids)).values(text=REMOVED, author="", url=""))
        total += len(ids)
