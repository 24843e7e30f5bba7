"""The audit log: every action, who took it, when, on what, and why."""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa

from store.schema import audit_log


def record(
    conn: sa.Connection, who: str, action: str, now: float, target: str = "", reason: str = "", **details
) -> None:
    """Call inside the transaction that carries out the action."""
    conn.execute(
        audit_log.insert().values(
            at=now, who=who, action=action, target=target, reason=reason, details=json.dumps(details, default=str)
        )
    )


def recent(db: sa.Engine, limit: int = 200, action_prefix: str | None = None) -> pd.DataFrame:
    a = audit_log.c
    stmt = sa.select(a.at, a.who, a.action, a.target, a.reason, a.details).order_by(a.id.desc()).limit(limit)
    if action_prefix:
        stmt = stmt.where(a.action.startswith(action_prefix))
    with db.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=["at", "who", "action", "target", "reason", "details"])
