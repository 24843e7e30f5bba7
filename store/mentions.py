"""Mentions for comms staff: filtered, paged, and triaged (each decision audited)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from access.roles import Actor, Permission, require
from settings.registry import internal_sources
from store.audit import record
from store.connection import write
from store.ingest import dialect_insert
from store.schema import messages, triage

DECISIONS = {
    "respond_publicly": "respond publicly",
    "respond_privately": "respond privately",
    "monitor": "monitor",
    "ignore": "ignore",
}
m = messages.c


@dataclass(frozen=True)
class MentionFilter:
    since: int
    until: int
    sources: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    keyword: str = ""
    min_reach: int = 0
    lang: str = ""
    decisions: list[str] = field(default_factory=list)  # "untriaged" for none
    internal_text: bool = False  # include internal (Slack) messages: only for roles allowed to read them

    def where(self):
        label = sa.func.coalesce(m.label_override, m.label, "unscored")
        clauses = [m.created_at >= self.since, m.created_at < self.until]
        if not self.internal_text:
            clauses.append(m.source.not_in(internal_sources()))
        if self.sources:
            clauses.append(m.source.in_(self.sources))
        if self.labels:
            clauses.append(label.in_(self.labels))
        if self.keyword.strip():
            clauses.append(m.text.icontains(self.keyword.strip(), autoescape=True))
        if self.min_reach:
            clauses.append(m.reach >= self.min_reach)
        if self.lang:
            clauses.append(m.lang == self.lang)
        if self.decisions:
            wanted = [d for d in self.decisions if d != "untriaged"]
            either = [triage.c.decision.in_(wanted)] if wanted else []
            if "untriaged" in self.decisions:
                either.append(triage.c.decision.is_(None))
            clauses.append(sa.or_(*either))
        return clauses


def page(db: sa.Engine, filters: MentionFilter, offset: int, limit: int) -> tuple[int, pd.DataFrame]:
    """(total matching, one page newest first)."""
    label = sa.func.coalesce(m.label_override, m.label, "unscored").label("label")
    joined = messages.outerjoin(triage, triage.c.message_id == m.id)
    count = sa.select(sa.func.count()).select_from(joined).where(*filters.where())
    stmt = (
        sa.select(
            m.id,
            m.created_at,
            m.source,
            m.channel,
            m.author,
            m.reach,
            m.lang,
            label,
            m.score,
            m.text,
            m.url,
            triage.c.decision,
            triage.c.owner,
            triage.c.note,
        )
        .select_from(joined)
        .where(*filters.where())
        .order_by(m.created_at.desc(), m.id.desc())
        .offset(offset)
        .limit(limit)
    )
    with db.connect() as conn:
        total = conn.execute(count).scalar()
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=list(stmt.selected_columns.keys()))
    return total, frame


def decide(db: sa.Engine, message_ids: list[int], decision: str, owner: str, note: str, by: Actor, now: float) -> int:
    require(by, Permission.TRIAGE)
    who = by.name
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {list(DECISIONS)}, got {decision!r}")
    with write(db) as conn:
        insert = dialect_insert(conn, triage)
        stmt = insert.on_conflict_do_update(
            index_elements=["message_id"],
            set_={
                "decision": insert.excluded.decision,
                "owner": insert.excluded.owner,
                "note": insert.excluded.note,
                "who": insert.excluded.who,
                "at": insert.excluded.at,
            },
        )
        rows = [
            {"message_id": int(i), "decision": decision, "owner": owner, "note": note, "who": who, "at": now}
            for i in message_ids
        ]
        if rows:
            conn.execute(stmt, rows)
            for i in message_ids:
                record(conn, who, "mention.triage", now, f"message:{int(i)}", note, decision=decision, owner=owner)
    return len(rows)
