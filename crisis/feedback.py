"""Alert feedback: was an alert useful, a false alarm, or late, and which
crises did the detector miss. The Crisis level page turns it into the
precision of alerts and the misses over 30 days.

Only raises count as alerts to judge (a level change upwards, detected or
declared); marking is for editors and up, and every mark is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from access.roles import Actor, Permission, require
from crisis.levels import LEVELS
from store.audit import record
from store.connection import write
from store.ingest import dialect_insert
from store.schema import alert_feedback, alerts, missed_crises

VERDICTS = {"useful": "useful", "false_alarm": "false alarm", "late": "late"}
PERIOD_S = 30 * 86400
NOTE_MAX = 2000


def _raise_clause():
    a = alerts.c
    return sa.and_(a.kind == "level", a.new_level > sa.func.coalesce(a.old_level, 0))


def mark_alert(db: sa.Engine, by: Actor, alert_id: int, verdict: str, now: float, note: str = "") -> None:
    """Record (or change) the verdict on one alert."""
    require(by, Permission.ALERT_FEEDBACK)
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {sorted(VERDICTS)}, got {verdict!r}")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValueError(f"the note is {len(note)} characters; at most {NOTE_MAX}")
    with write(db) as conn:
        row = conn.execute(
            sa.select(alerts.c.id, alerts.c.at, alerts.c.new_level).where(alerts.c.id == alert_id, _raise_clause())
        ).one_or_none()
        if row is None:
            raise ValueError(f"there is no raised-level alert with id {alert_id}")
        values = {"verdict": verdict, "note": note, "who": by.name, "at": now}
        insert = dialect_insert(conn, alert_feedback).values(alert_id=alert_id, **values)
        conn.execute(insert.on_conflict_do_update(index_elements=["alert_id"], set_=values))
        record(
            conn,
            by.name,
            "crisis.alert_feedback",
            now,
            f"alert {alert_id} ({LEVELS[row.new_level]})",
            note,
            verdict=verdict,
        )


def record_miss(db: sa.Engine, by: Actor, at: float, note: str, now: float) -> int:
    """'We missed a crisis here': when it began and what it was. Returns its id."""
    require(by, Permission.ALERT_FEEDBACK)
    note = note.strip()
    if not note:
        raise ValueError("say what was missed: the note is empty")
    if len(note) > NOTE_MAX:
        raise ValueError(f"the note is {len(note)} characters; at most {NOTE_MAX}")
    if at > now:
        raise ValueError("a missed crisis must have begun in the past")
    with write(db) as conn:
        new_id = conn.execute(
            missed_crises.insert().values(at=at, note=note, who=by.name, recorded_at=now).returning(missed_crises.c.id)
        ).scalar_one()
        record(conn, by.name, "crisis.missed", now, f"missed crisis {new_id}", note, began_at=at)
    return int(new_id)


@dataclass(frozen=True)
class FeedbackSummary:
    alerts: int  # raised-level alerts in the period
    marked: int
    useful: int
    false_alarm: int
    late: int
    misses: list  # rows: id, at, note, who

    @property
    def precision(self) -> float | None:
        """Of the alerts people judged, the share that were real (useful or late)."""
        real = self.useful + self.late
        return real / self.marked if self.marked else None


def summary(db: sa.Engine, now: float, period_s: float = PERIOD_S) -> FeedbackSummary:
    since = now - period_s
    a, f = alerts.c, alert_feedback.c
    with db.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).where(_raise_clause(), a.at >= since)).scalar() or 0
        counts: dict[str, int] = dict(
            conn.execute(
                sa.select(f.verdict, sa.func.count())
                .select_from(alert_feedback.join(alerts, a.id == f.alert_id))
                .where(_raise_clause(), a.at >= since)
                .group_by(f.verdict)
            ).all()
        )
        misses = conn.execute(
            sa.select(missed_crises.c.id, missed_crises.c.at, missed_crises.c.note, missed_crises.c.who)
            .where(missed_crises.c.at >= since)
            .order_by(missed_crises.c.at.desc())
            .limit(200)
        ).all()
    return FeedbackSummary(
        alerts=int(total),
        marked=int(sum(counts.values())),
        useful=int(counts.get("useful", 0)),
        false_alarm=int(counts.get("false_alarm", 0)),
        late=int(counts.get("late", 0)),
        misses=list(misses),
    )


def raised_alerts(db: sa.Engine, now: float, period_s: float = PERIOD_S, limit: int = 100) -> list[sa.Row]:
    """Raised-level alerts of the period with their verdict (None if unmarked), newest first."""
    a, f = alerts.c, alert_feedback.c
    stmt = (
        sa.select(a.id, a.at, a.old_level, a.new_level, a.reason, a.summary, f.verdict, f.who, f.note)
        .select_from(alerts.outerjoin(alert_feedback, f.alert_id == a.id))
        .where(_raise_clause(), a.at >= now - period_s)
        .order_by(a.at.desc())
        .limit(limit)
    )
    with db.connect() as conn:
        return list(conn.execute(stmt).all())
