"""Mentions for comms staff: filtered, paged, and triaged (each decision audited)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd
import sqlalchemy as sa

from settings.registry import internal_sources
from store.audit import record
from store.connection import write
from store.ingest import dialect_insert
from store.schema import audit_log, messages, triage

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


def count(db: sa.Engine, filters: MentionFilter) -> int:
    """How many mentions match (the join to triage only when filtering on it)."""
    source = messages.outerjoin(triage, triage.c.message_id == m.id) if filters.decisions else messages
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(source).where(*filters.where())).scalar_one()


def page(
    db: sa.Engine, filters: MentionFilter, offset: int, limit: int, with_total: bool = True
) -> tuple[int | None, pd.DataFrame]:
    """(total matching, or None without with_total; one page newest first)."""
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
        total = conn.execute(count).scalar() if with_total else None
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=list(stmt.selected_columns.keys()))
    return total, frame


BATCH = "mention.triage_batch"  # one audit entry per triage action: what each message had before
UNDO = "mention.triage_undo"


def internal_among(db: sa.Engine, message_ids: Sequence[int]) -> list[int]:
    """Which of these messages came from an internal source (Slack, Teams)."""
    ids = sorted({int(i) for i in message_ids})
    if not ids:
        return []
    with db.connect() as conn:
        found = conn.execute(sa.select(m.id, m.source).where(m.id.in_(ids))).all()
    internal = internal_sources()
    return [row.id for row in found if row.source in internal]


def decide(
    db: sa.Engine, message_ids: Sequence[int], decision: str, owner: str, note: str, who: str, now: float
) -> int:
    """Triage exactly these messages for `who` (who may: access.service.triage decides)."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {list(DECISIONS)}, got {decision!r}")
    ids = sorted({int(i) for i in message_ids})
    if not ids:
        return 0
    with write(db) as conn:
        found = dict(conn.execute(sa.select(m.id, m.source).where(m.id.in_(ids))).all())
        missing = [i for i in ids if i not in found]
        if missing:
            raise ValueError(f"no such message(s): {missing[:10]}; nothing was triaged")
        t = triage.c
        before = {
            row.message_id: {
                "decision": row.decision,
                "owner": row.owner,
                "note": row.note,
                "who": row.who,
                "at": row.at,
            }
            for row in conn.execute(sa.select(triage).where(t.message_id.in_(ids))).all()
        }
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
        conn.execute(
            stmt,
            [{"message_id": i, "decision": decision, "owner": owner, "note": note, "who": who, "at": now} for i in ids],
        )
        for i in ids:
            record(conn, who, "mention.triage", now, f"message:{i}", note, decision=decision, owner=owner)
        record(
            conn,
            who,
            BATCH,
            now,
            f"{len(ids)} message(s)",
            note,
            decision=decision,
            ids=ids,
            before={str(i): before.get(i) for i in ids},
        )
    return len(ids)


@dataclass(frozen=True)
class TriageAction:
    audit_id: int
    at: float
    decision: str
    ids: list[int]
    before: dict[str, dict | None]


UNDO_WINDOW_S = 86400  # how far back undo looks (the audit log's time index keeps the look-up short)


def last_action(db: sa.Engine, who: str, now: float | None = None) -> TriageAction | None:
    """This person's latest triage action of the last day not yet undone (None when there is none)."""
    a = audit_log.c
    since = (time.time() if now is None else now) - UNDO_WINDOW_S
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(a.id, a.at, a.action, a.details)
            .where(a.at >= since, a.who == who, a.action.in_([BATCH, UNDO]))
            .order_by(a.id.desc())
            .limit(200)
        ).all()
    undone = set()
    for row in rows:
        details = json.loads(row.details)
        if row.action == UNDO:
            undone.add(int(details["undoes"]))
        elif row.id not in undone:
            return TriageAction(
                row.id, row.at, details["decision"], [int(i) for i in details["ids"]], details["before"]
            )
    return None


def undo_last(db: sa.Engine, who: str, now: float) -> tuple[int, int]:
    """Put back what this person's last triage action replaced. A message
    someone triaged again since keeps that newer decision (skipped).
    Returns (restored, skipped); audited."""
    action = last_action(db, who, now)
    if action is None:
        raise ValueError("you have no triage action to undo")
    t = triage.c
    restored, skipped = [], []
    with write(db) as conn:
        now_rows = {
            row.message_id: row for row in conn.execute(sa.select(triage).where(t.message_id.in_(action.ids))).all()
        }
        for i in action.ids:
            row = now_rows.get(i)
            if row is None or row.who != who or row.at != action.at or row.decision != action.decision:
                skipped.append(i)
                continue
            previous = action.before.get(str(i))
            if previous is None:
                conn.execute(triage.delete().where(t.message_id == i))
            else:
                conn.execute(triage.update().where(t.message_id == i).values(**previous))
            restored.append(i)
        record(
            conn,
            who,
            UNDO,
            now,
            f"{len(restored)} message(s)",
            "",
            undoes=action.audit_id,
            restored=restored,
            skipped=skipped,
        )
    return len(restored), len(skipped)
