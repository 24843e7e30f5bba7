"""Per-minute series (total and per source) from the minute rollups."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa

from store.schema import rollups_minute as r


@dataclass(frozen=True)
class Series:
    first_minute: int  # epoch s of index 0
    total: dict[str, np.ndarray]  # "total" and each source -> messages per minute
    negative: dict[str, np.ndarray]
    has_data: np.ndarray  # False before the store's history starts


def load_series(db: sa.Engine, end_minute: int, minutes: int) -> Series:
    """The `minutes` complete minutes before `end_minute` (epoch s, a minute start)."""
    start = end_minute - minutes * 60
    negative = sa.func.sum(sa.case((r.c.label == "negative", r.c.count), else_=0))
    stmt = (
        sa.select(r.c.minute, r.c.source, sa.func.sum(r.c.count), negative)
        .where(r.c.minute >= start, r.c.minute < end_minute)
        .group_by(r.c.minute, r.c.source)
    )
    with db.connect() as conn:
        rows = conn.execute(stmt).all()
        history_start = conn.execute(sa.select(sa.func.min(r.c.minute))).scalar()
    total = {"total": np.zeros(minutes, dtype=np.int64)}
    neg = {"total": np.zeros(minutes, dtype=np.int64)}
    for minute, source, count, negatives in rows:
        i = (minute - start) // 60
        for name in ("total", source):
            total.setdefault(name, np.zeros(minutes, dtype=np.int64))[i] += count
            neg.setdefault(name, np.zeros(minutes, dtype=np.int64))[i] += negatives
    first = history_start if history_start is not None else end_minute
    has_data = start + np.arange(minutes) * 60 >= first
    return Series(start, total, neg, has_data)
