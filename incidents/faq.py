"""Incidents, their facts and Q&A, every change kept, publishing to staff.

Each change is written in one transaction with a history row naming who,
when, and each changed field's old and new value, so the record can be read
back, ordered and diffed. Each function checks the acting person's role
itself (access.roles), on the server side, not only by hiding buttons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from access.roles import Actor, Permission, require
from safety.text import md_escape
from store import audit
from store.connection import write
from store.schema import faq_entries, faq_facts, faq_history, faq_publications, incidents

CAUSES = ("known", "suspected", "unknown")


class FaqError(ValueError):
    pass


def _history(conn, incident_id, who, now, kind, item_id, action, changes) -> None:
    conn.execute(
        faq_history.insert().values(
            incident_id=incident_id,
            at=now,
            who=who,
            kind=kind,
            item_id=item_id,
            action=action,
            changes=json.dumps(changes, default=str),
        )
    )
    # The audit log names the change; the field values stay in faq_history.
    audit.record(
        conn, who, f"faq.{kind}.{action}", now, f"{kind}:{item_id}", incident=incident_id, fields=sorted(changes)
    )


def _update(conn, table, item_id, values: dict, who, now, kind, incident_id, action="update") -> dict:
    row = conn.execute(sa.select(table).where(table.c.id == item_id)).one_or_none()
    if row is None:
        raise FaqError(f"{kind} {item_id} does not exist")
    old = row._asdict()
    changes = {k: [old[k], v] for k, v in values.items() if old[k] != v}
    if changes:
        conn.execute(table.update().where(table.c.id == item_id).values(**values))
        _history(conn, incident_id, who, now, kind, item_id, action, changes)
    return changes


# --- incidents ---------------------------------------------------------------


def active(db: sa.Engine):
    with db.connect() as conn:
        return conn.execute(
            sa.select(incidents).where(incidents.c.status == "active").order_by(incidents.c.id.desc()).limit(1)
        ).one_or_none()


def declare(db, name: str, summary: str, keywords: list[str], by: Actor, now: float) -> int:
    require(by, Permission.DECLARE_INCIDENT)
    who = by.name
    if not name.strip():
        raise FaqError("an incident needs a name")
    with write(db) as conn:
        if conn.execute(sa.select(incidents.c.id).where(incidents.c.status == "active")).first():
            raise FaqError("an incident is already active: resolve it first")
        new_id = conn.execute(
            incidents.insert()
            .values(
                name=name.strip(),
                summary=summary,
                keywords=json.dumps([k.strip() for k in keywords if k.strip()]),
                declared_at=now,
                declared_by=who,
                updated_at=now,
            )
            .returning(incidents.c.id)
        ).scalar_one()
        _history(
            conn, new_id, who, now, "incident", new_id, "create", {"name": [None, name], "summary": [None, summary]}
        )
    return new_id


def update_incident(db, incident_id: int, by: Actor, now: float, **fields) -> dict:
    require(by, Permission.EDIT_RECORD)
    who = by.name
    allowed = {"name", "summary", "keywords", "cause_status", "cause"}
    if set(fields) - allowed:
        raise FaqError(f"unknown fields {sorted(set(fields) - allowed)}")
    if "cause_status" in fields and fields["cause_status"] not in CAUSES:
        raise FaqError(f"cause must be one of {CAUSES}")
    if "keywords" in fields:
        fields["keywords"] = json.dumps([k.strip() for k in fields["keywords"] if k.strip()])
    with write(db) as conn:
        changes = _update(
            conn, incidents, incident_id, {**fields, "updated_at": now}, who, now, "incident", incident_id
        )
    return changes


def resolve(db, incident_id: int, by: Actor, now: float) -> None:
    require(by, Permission.DECLARE_INCIDENT)
    who = by.name
    with write(db) as conn:
        _update(
            conn,
            incidents,
            incident_id,
            {"status": "resolved", "resolved_at": now, "updated_at": now},
            who,
            now,
            "incident",
            incident_id,
            action="resolve",
        )


# --- facts and answers ----------------------------------------------------------


def _create(conn, table, values: dict, kind: str, incident_id, who, now, shown: dict) -> int:
    """Insert a fact or an entry, record its creation in the history, touch the incident."""
    item_id = conn.execute(table.insert().values(incident_id=incident_id, **values).returning(table.c.id)).scalar_one()
    _history(conn, incident_id, who, now, kind, item_id, "create", {k: [None, v] for k, v in shown.items()})
    _touch(conn, incident_id, now)
    return item_id


def add_fact(db, incident_id, at: float, statement: str, source: str, verified: bool, by: Actor, now) -> int:
    require(by, Permission.EDIT_RECORD)
    who = by.name
    if not statement.strip():
        raise FaqError("a fact needs a statement")
    with write(db) as conn:
        values = dict(at=at, statement=statement, source=source, verified=verified, updated_at=now)
        return _create(
            conn, faq_facts, values, "fact", incident_id, who, now, {"statement": statement, "verified": verified}
        )


def update_fact(db, fact_id: int, by: Actor, now, **fields) -> dict:
    require(by, Permission.EDIT_RECORD)
    who = by.name
    with write(db) as conn:
        incident_id = conn.execute(sa.select(faq_facts.c.incident_id).where(faq_facts.c.id == fact_id)).scalar_one()
        changes = _update(conn, faq_facts, fact_id, {**fields, "updated_at": now}, who, now, "fact", incident_id)
        _touch(conn, incident_id, now)
    return changes


def add_entry(db, incident_id, question: str, answer: str, owner: str, by: Actor, now) -> int:
    require(by, Permission.EDIT_RECORD)
    who = by.name
    if not question.strip():
        raise FaqError("a Q&A entry needs a question")
    with write(db) as conn:
        values = dict(question=question, answer=answer, owner=owner, updated_at=now, updated_by=who)
        return _create(
            conn,
            faq_entries,
            values,
            "entry",
            incident_id,
            who,
            now,
            {"question": question, "answer": answer, "status": "draft"},
        )


def update_entry(db, entry_id: int, by: Actor, now, **fields) -> dict:
    """Edit an answer; an edited approved answer goes back to draft until approved again."""
    require(by, Permission.EDIT_RECORD)
    who = by.name
    if "status" in fields:
        raise FaqError("use approve() to change an entry's status")
    with write(db) as conn:
        row = conn.execute(sa.select(faq_entries).where(faq_entries.c.id == entry_id)).one()
        content_changes = {k for k in ("question", "answer") if k in fields and fields[k] != getattr(row, k)}
        values = {**fields, "updated_at": now, "updated_by": who}
        if content_changes and row.status == "approved":
            values["status"] = "draft"
        changes = _update(conn, faq_entries, entry_id, values, who, now, "entry", row.incident_id)
        _touch(conn, row.incident_id, now)
    return changes


def approve(db, entry_id: int, by: Actor, now) -> None:
    require(by, Permission.APPROVE_ANSWERS)
    who = by.name
    with write(db) as conn:
        row = conn.execute(sa.select(faq_entries).where(faq_entries.c.id == entry_id)).one()
        if not row.answer.strip():
            raise FaqError("an entry needs an answer before it can be approved")
        _update(
            conn,
            faq_entries,
            entry_id,
            {"status": "approved", "updated_at": now, "updated_by": who},
            who,
            now,
            "entry",
            row.incident_id,
            action="approve",
        )
        _touch(conn, row.incident_id, now)


def _touch(conn, incident_id, now) -> None:
    conn.execute(incidents.update().where(incidents.c.id == incident_id).values(updated_at=now))


# --- reading -------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    incident: sa.Row  # the incidents row
    facts: pd.DataFrame
    entries: pd.DataFrame

    @property
    def keywords(self) -> list[str]:
        return json.loads(self.incident.keywords or "[]")

    def approved(self) -> pd.DataFrame:
        return self.entries[self.entries["status"] == "approved"]


def record(db: sa.Engine, incident_id: int) -> Record:
    with db.connect() as conn:
        incident = conn.execute(sa.select(incidents).where(incidents.c.id == incident_id)).one()
        facts = pd.DataFrame(
            conn.execute(
                sa.select(faq_facts)
                .where(faq_facts.c.incident_id == incident_id, faq_facts.c.deleted.is_(False))
                .order_by(faq_facts.c.at)
            ).all(),
            columns=[c.name for c in faq_facts.columns],
        )
        entries = pd.DataFrame(
            conn.execute(
                sa.select(faq_entries)
                .where(faq_entries.c.incident_id == incident_id, faq_entries.c.deleted.is_(False))
                .order_by(faq_entries.c.id)
            ).all(),
            columns=[c.name for c in faq_entries.columns],
        )
    return Record(incident, facts, entries)


def history(db: sa.Engine, incident_id: int) -> pd.DataFrame:
    h = faq_history.c
    stmt = (
        sa.select(h.id, h.at, h.who, h.kind, h.item_id, h.action, h.changes)
        .where(h.incident_id == incident_id)
        .order_by(h.id)
    )
    with db.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=list(stmt.selected_columns.keys()))


def status_line(db: sa.Engine) -> dict | None:
    """For the wall and the overview: the active incident's FAQ at a glance."""
    incident = active(db)
    if incident is None:
        return None
    rec = record(db, incident.id)
    return {
        "name": incident.name,
        "updated_at": incident.updated_at,
        "approved": int((rec.entries["status"] == "approved").sum()) if len(rec.entries) else 0,
        "draft": int((rec.entries["status"] == "draft").sum()) if len(rec.entries) else 0,
        "facts": len(rec.facts),
    }


# --- export and publishing --------------------------------------------------------


def _inline(text: str) -> str:
    """One field inside a line of the export (a title, a fact, a question)."""
    return md_escape(text, None)


def to_markdown(rec: Record, zone: str = "UTC", approved_only: bool = True) -> str:
    tz = ZoneInfo(zone)
    inc = rec.incident
    lines = [
        f"# {_inline(inc.name)}",
        "",
        md_escape(inc.summary, None, multiline=True),
        "",
        f"**Cause ({_inline(inc.cause_status)}):** {_inline(inc.cause) or 'not yet known'}",
        "",
    ]
    if len(rec.facts):
        lines += ["## Facts", ""]
        for f in rec.facts.to_dict("records"):
            stamp = datetime.fromtimestamp(f["at"], tz=timezone.utc).astimezone(tz).strftime("%Y-%m-%d %H:%M")
            mark = "verified" if f["verified"] else "unverified"
            source = f" (source: {_inline(f['source'])})" if f["source"] else ""
            lines.append(f"- {stamp} ({mark}): {_inline(f['statement'])}" + source)
        lines.append("")
    entries = rec.approved() if approved_only else rec.entries
    if len(entries):
        lines += ["## Questions and answers", ""]
        for e in entries.to_dict("records"):
            lines += [f"**{_inline(e['question'])}**", "", md_escape(e["answer"], None, multiline=True), ""]
    return "\n".join(lines)


def snapshot(rec: Record) -> dict[str, list[str]]:
    return {str(e["id"]): [e["question"], e["answer"]] for e in rec.approved().to_dict("records")}


def last_publication(db: sa.Engine, incident_id: int) -> dict[str, list[str]]:
    with db.connect() as conn:
        raw = conn.execute(
            sa.select(faq_publications.c.snapshot)
            .where(faq_publications.c.incident_id == incident_id)
            .order_by(faq_publications.c.id.desc())
            .limit(1)
        ).scalar()
    return json.loads(raw) if raw else {}


def publish(db, client, channel: str, incident_id: int, by: Actor, now: float, changes_only: bool) -> int:
    """Post the approved answers (or only those new or changed since the last
    publish) to the staff channel; returns how many answers were posted."""
    require(by, Permission.PUBLISH_FAQ)
    who = by.name
    rec = record(db, incident_id)
    current = snapshot(rec)
    previous = last_publication(db, incident_id) if changes_only else {}
    to_send = {k: v for k, v in current.items() if previous.get(k) != v}
    if not to_send:
        return 0
    header = f"Crisis FAQ: {rec.incident.name}" + (
        " (changes since the last update)" if changes_only and previous else ""
    )
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": header[:150]}}]
    if not (changes_only and previous):
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": (rec.incident.summary or " ")[:2900]}})
    for question, answer in to_send.values():
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": f"Q: {question}\nA: {answer}"[:2900]}})
    text = header + "\n" + "\n".join(f"Q: {q}\nA: {a}" for q, a in to_send.values())
    client.chat_postMessage(channel=channel, text=text[:3000], blocks=blocks[:50])
    with write(db) as conn:
        conn.execute(
            faq_publications.insert().values(
                incident_id=incident_id, at=now, who=who, channel=channel, snapshot=json.dumps(current)
            )
        )
        _history(
            conn,
            incident_id,
            who,
            now,
            "incident",
            incident_id,
            "publish",
            {"published": [None, sorted(to_send)], "channel": [None, channel]},
        )
    return len(to_send)


# --- reading a change -------------------------------------------------------------

TIME_FIELDS = ("at", "updated_at", "declared_at", "resolved_at", "published_at")


def _field_text(field: str, value, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if field in TIME_FIELDS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), tz=timezone.utc).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def side_by_side(changes: dict, zone: ZoneInfo) -> pd.DataFrame:
    """One change of the history as rows a person reads across: the field,
    what it said before, what it says after, and whether the line was
    changed, added or removed (unchanged lines of long text shown once on
    each side for context). Times are shown in `zone`, not as Unix seconds."""
    import difflib

    rows = []
    for field, (old, new) in changes.items():
        before = _field_text(field, old, zone).splitlines() or [""]
        after = _field_text(field, new, zone).splitlines() or [""]
        name = field.replace("_", " ")
        for op, a0, a1, b0, b1 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
            if op == "equal":
                rows += [{"field": name, "before": line, "after": line, "change": ""} for line in before[a0:a1]]
                continue
            olds, news = before[a0:a1], after[b0:b1]
            for i in range(max(len(olds), len(news))):
                left = olds[i] if i < len(olds) else ""
                right = news[i] if i < len(news) else ""
                kind = "changed" if i < len(olds) and i < len(news) else ("removed" if i < len(olds) else "added")
                if kind == "changed" and not left:
                    kind = "added"
                elif kind == "changed" and not right:
                    kind = "removed"
                rows.append({"field": name, "before": left, "after": right, "change": kind})
    return pd.DataFrame(rows, columns=["field", "before", "after", "change"])
