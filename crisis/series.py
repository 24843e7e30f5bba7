"""Per-minute series from the minute rollups: the public total (outside
sources only), each source, and the staff channels together ("internal").
Counts, negatives, reach (all, and of negatives), and the messages a share
is a share of: those an engine here could read. A post stored "unscored:
language" counts in volume but is neither negative nor not: it is left out
of every negative share's denominator."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from model.score import UNSCORED_LANGUAGE
from settings.registry import internal_sources
from store.schema import messages
from store.schema import rollups_minute as r

PUBLIC, INTERNAL = "total", "internal"
RELOAD_RECENT = 120  # minutes re-read on every poll (late arrivals, corrections)
FULL_RELOAD_S = 3600  # and everything once an hour (backfills, old corrections)


@dataclass
class Series:
    first_minute: int  # epoch s of index 0
    total: dict[str, np.ndarray]  # "total", "internal" and each source -> messages per minute
    negative: dict[str, np.ndarray]
    has_data: np.ndarray  # False before the store's history starts
    reach: dict[str, np.ndarray] = field(default_factory=dict)  # summed reach per minute
    negative_reach: dict[str, np.ndarray] = field(default_factory=dict)
    scored: dict[str, np.ndarray] = field(default_factory=dict)  # messages an engine could read (share base)

    def share_base(self, name: str) -> np.ndarray:
        return self.scored.get(name, self.total[name])


def _names(source: str) -> tuple[str, ...]:
    return (INTERNAL, source) if source in internal_sources() else (PUBLIC, source)


def _read(db: sa.Engine, start: int, end_minute: int):
    negative = sa.func.sum(sa.case((r.c.label == "negative", r.c.count), else_=0))
    negative_reach = sa.func.sum(sa.case((r.c.label == "negative", r.c.reach_sum), else_=0))
    scored = sa.func.sum(sa.case((r.c.label == UNSCORED_LANGUAGE, 0), else_=r.c.count))
    stmt = (
        sa.select(
            r.c.minute, r.c.source, sa.func.sum(r.c.count), negative, sa.func.sum(r.c.reach_sum), negative_reach, scored
        )
        .where(r.c.minute >= start, r.c.minute < end_minute)
        .group_by(r.c.minute, r.c.source)
    )
    with db.connect() as conn:
        rows = conn.execute(stmt).all()
        history_start = conn.execute(sa.select(sa.func.min(r.c.minute))).scalar()
    return rows, history_start


def _empty(minutes: int) -> np.ndarray:
    return np.zeros(minutes, dtype=np.int64)


def _fill(series: Series, rows, offset_minute: int) -> None:
    for minute, source, count, negatives, reach, negative_reach, scored in rows:
        i = (minute - offset_minute) // 60
        for name in _names(source):
            for table, value in (
                (series.total, count),
                (series.negative, negatives),
                (series.reach, reach),
                (series.negative_reach, negative_reach),
                (series.scored, scored),
            ):
                if name not in table:
                    table[name] = _empty(len(series.has_data))
                table[name][i] += int(value or 0)


def load_series(db: sa.Engine, end_minute: int, minutes: int) -> Series:
    """The `minutes` complete minutes before `end_minute` (epoch s, a minute start)."""
    start = end_minute - minutes * 60
    rows, history_start = _read(db, start, end_minute)
    series = Series(
        start,
        {PUBLIC: _empty(minutes)},
        {PUBLIC: _empty(minutes)},
        np.zeros(minutes, dtype=bool),
        {PUBLIC: _empty(minutes)},
        {PUBLIC: _empty(minutes)},
        {PUBLIC: _empty(minutes)},
    )
    _fill(series, rows, start)
    first = history_start if history_start is not None else end_minute
    series.has_data = start + np.arange(minutes) * 60 >= first
    return series


def _oldest_new(db: sa.Engine, after_id: int) -> tuple[int, int | None]:
    """The highest message id, and the oldest time among messages stored after `after_id` (a backfill)."""
    m = messages.c
    with db.connect() as conn:
        row = conn.execute(sa.select(sa.func.max(m.id), sa.func.min(m.created_at)).where(m.id > after_id)).one()
    return (int(row[0]) if row[0] is not None else after_id), row[1]


class SeriesCache:
    """Keeps the series between polls: each poll re-reads only the recent
    minutes, so detection costs the same at 10 thousand or 10 million
    stored messages. Everything is re-read once an hour, and at once when
    newly stored messages are older than the re-read minutes (a drill's
    backfill, a source catching up)."""

    def __init__(self) -> None:
        self._series: Series | None = None
        self._end = 0
        self._loaded_at = 0
        self._last_id = 0

    def load(self, db: sa.Engine, end_minute: int, minutes: int) -> Series:
        old = self._series
        shift = (end_minute - self._end) // 60
        self._last_id, oldest = _oldest_new(db, self._last_id)
        backfilled = oldest is not None and oldest < end_minute - (RELOAD_RECENT - 1) * 60
        if (
            old is None
            or backfilled
            or len(old.has_data) != minutes
            or shift < 0
            or shift > RELOAD_RECENT
            or end_minute - self._loaded_at >= FULL_RELOAD_S
        ):
            self._series, self._end, self._loaded_at = load_series(db, end_minute, minutes), end_minute, end_minute
            return self._series
        keep = minutes - shift - RELOAD_RECENT  # minutes kept from the cache
        start = end_minute - minutes * 60
        fresh_from = start + keep * 60
        rows, history_start = _read(db, fresh_from, end_minute)

        def roll(table: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            out = {}
            for name, arr in table.items():
                new = _empty(minutes)
                new[:keep] = arr[shift : shift + keep]
                out[name] = new
            return out

        series = Series(
            start,
            roll(old.total),
            roll(old.negative),
            np.zeros(minutes, dtype=bool),
            roll(old.reach),
            roll(old.negative_reach),
            roll(old.scored),
        )
        _fill(series, rows, start)
        first = history_start if history_start is not None else end_minute
        series.has_data = start + np.arange(minutes) * 60 >= first
        self._series, self._end = series, end_minute
        return series
