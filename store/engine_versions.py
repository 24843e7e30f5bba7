"""Engine versions made by retraining: each attempt, its figures, and which one is active."""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa

from model.score import LABELS
from store.audit import record
from store.connection import write
from store.schema import engine_versions, messages

_v = engine_versions.c


def corrected_messages(db: sa.Engine) -> list[tuple[int, str, str]]:
    """(id, text, the person's label) of every corrected message whose text is still kept."""
    m = messages.c
    stmt = sa.select(m.id, m.text, m.label_override).where(m.label_override.in_(LABELS), m.text != "").order_by(m.id)
    with db.connect() as conn:
        return [(r.id, r.text, r.label_override) for r in conn.execute(stmt).all()]


def record_version(
    db: sa.Engine, engine: str, version: str, replaces: str, active: bool, metrics: dict, who: str, now: float
) -> int:
    """One retraining attempt; an active one retires the version active before."""
    with write(db) as conn:
        if active:
            conn.execute(
                engine_versions.update().where(_v.engine == engine, _v.status == "active").values(status="retired")
            )
        row_id = conn.execute(
            engine_versions.insert().returning(_v.id),
            {
                "engine": engine,
                "version": version,
                "replaces": replaces,
                "status": "active" if active else "rejected",
                "metrics": json.dumps(metrics, sort_keys=True),
                "created_by": who,
                "created_at": now,
            },
        ).scalar_one()
        record(conn, who, "engine.retrain", now, f"engine:{engine}", old=replaces, new=version if active else None)
    return row_id


def versions(db: sa.Engine, limit: int = 50) -> pd.DataFrame:
    stmt = sa.select(engine_versions).order_by(_v.created_at.desc(), _v.id.desc()).limit(limit)
    with db.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=list(stmt.selected_columns.keys()))
    frame["metrics"] = frame["metrics"].map(json.loads) if len(frame) else frame["metrics"]
    return frame


def accuracy_by_version(db: sa.Engine) -> pd.DataFrame:
    """Per engine version and class: the team's corrected messages and the engine's recall on them."""
    m = messages.c
    stmt = (
        sa.select(m.engine_version, m.label_override, m.label, sa.func.count())
        .where(m.label_override.in_(LABELS), m.label.in_(LABELS))
        .group_by(m.engine_version, m.label_override, m.label)
    )
    with db.connect() as conn:
        rows = conn.execute(stmt).all()
    return _recall_table(rows, "engine version")


def accuracy_by_week(db: sa.Engine) -> pd.DataFrame:
    """Per week (of the message) and class: corrected messages and the engine's recall on them."""
    m = messages.c
    week = (m.created_at - m.created_at % (7 * 86400)).label("week")
    stmt = (
        sa.select(week, m.label_override, m.label, sa.func.count())
        .where(m.label_override.in_(LABELS), m.label.in_(LABELS))
        .group_by(week, m.label_override, m.label)
    )
    with db.connect() as conn:
        rows = conn.execute(stmt).all()
    return _recall_table(rows, "week")


def _recall_table(rows, key: str) -> pd.DataFrame:
    out = []
    for group in sorted({r[0] for r in rows}, key=lambda g: (g is None, g)):
        record_ = {key: group}
        for label in LABELS:
            n = sum(c for g, truth, _, c in rows if g == group and truth == label)
            hit = sum(c for g, truth, said, c in rows if g == group and truth == label and said == label)
            record_[f"{label} n"] = n
            record_[f"{label} recall"] = hit / n if n else None
        out.append(record_)
    return pd.DataFrame(out, columns=[key, *(f"{label} {w}" for label in LABELS for w in ("n", "recall"))])
