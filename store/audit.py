"""The audit log: every action, who took it, when, on what, and why."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class AuditFilter:
    since: float
    until: float
    people: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # the part before the first dot: post, faq, publishing...
    text: str = ""  # in the target or the reason

    def where(self) -> list:
        a = audit_log.c
        clauses = [a.at >= self.since, a.at < self.until]
        if self.people:
            clauses.append(a.who.in_(self.people))
        if self.kinds:
            clauses.append(sa.or_(*(a.action.startswith(kind + ".", autoescape=True) for kind in self.kinds)))
        if self.text.strip():
            text = self.text.strip()
            clauses.append(sa.or_(a.target.icontains(text, autoescape=True), a.reason.icontains(text, autoescape=True)))
        return clauses


def search(db: sa.Engine, filters: AuditFilter, limit: int) -> tuple[int, pd.DataFrame]:
    """(how many entries match, the newest `limit` of them)."""
    a = audit_log.c
    count = sa.select(sa.func.count()).select_from(audit_log).where(*filters.where())
    stmt = (
        sa.select(a.at, a.who, a.action, a.target, a.reason, a.details)
        .where(*filters.where())
        .order_by(a.at.desc(), a.id.desc())
        .limit(limit)
    )
    with db.connect() as conn:
        total = conn.execute(count).scalar_one()
        rows = pd.DataFrame(conn.execute(stmt).all(), columns=["at", "who", "action", "target", "reason", "details"])
    return total, rows


def people(db: sa.Engine) -> list[str]:
    with db.connect() as conn:
        return sorted(conn.execute(sa.select(audit_log.c.who).distinct()).scalars())


def kinds(db: sa.Engine) -> list[str]:
    with db.connect() as conn:
        actions = conn.execute(sa.select(audit_log.c.action).distinct()).scalars()
        return sorted({action.split(".", 1)[0] for action in actions})
