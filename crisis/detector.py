"""The detector: once a minute, judge the series, move the level, explain,
and record level changes as alerts (which the notifier sends)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from typing import Callable

import sqlalchemy as sa

from access.roles import Actor, Permission, require
from crisis.assess import assess_series
from crisis.baseline import DAY, SEASONAL_DAYS, SEASONAL_HALF_WIDTH
from crisis.explain import explain
from crisis.levels import LEVELS, LevelChange, LevelState, declare, stand_down, step
from crisis.presets import Preset
from crisis.series import load_series
from crisis.spike import WINDOWS
from store.audit import record
from store.connection import write
from store.ingest import dialect_insert
from store.schema import alerts, crisis_state

log = logging.getLogger("crisisdesk.crisis")
SPAN = SEASONAL_DAYS * DAY + SEASONAL_HALF_WIDTH + max(WINDOWS)


def _load_state(raw: str) -> LevelState:
    data = json.loads(raw) if raw else {}
    data["last_raise"] = {int(k): v for k, v in data.get("last_raise", {}).items()}
    return LevelState(**data)


def _dump_state(state: LevelState) -> str:
    return json.dumps(asdict(state))


class Detector:
    def __init__(self, db: sa.Engine, preset: Preset, clock: Callable[[], float] = time.time) -> None:
        self.db, self.preset, self.clock = db, preset, clock

    def _claim(self, conn: sa.Connection, end_minute: int) -> LevelState | None:
        conn.execute(
            dialect_insert(conn, crisis_state)
            .values(id=1, state=_dump_state(LevelState()), summary="NORMAL · first evaluation in progress")
            .on_conflict_do_nothing()
        )
        claimed = conn.execute(
            crisis_state.update()
            .where(
                crisis_state.c.id == 1,
                sa.or_(crisis_state.c.evaluated_minute.is_(None), crisis_state.c.evaluated_minute < end_minute),
            )
            .values(evaluated_minute=end_minute)
        ).rowcount
        if not claimed:
            return None
        return _load_state(conn.execute(sa.select(crisis_state.c.state).where(crisis_state.c.id == 1)).scalar())

    def evaluate(self, now: float | None = None) -> LevelChange | None:
        """Judge the minutes completed by `now`; once per minute across all runners."""
        now = self.clock() if now is None else now
        end_minute = int(now - now % 60)
        with write(self.db) as conn:
            state = self._claim(conn, end_minute)
        if state is None:
            return None
        series = load_series(self.db, end_minute, SPAN)
        found = [
            a
            for name in series.total
            if (a := assess_series(name, series.total[name], series.negative[name], series.has_data, self.preset))
        ]
        if not found:
            self._save(state, "Learning what normal looks like: less than an hour of history.", {}, now, None)
            return None
        entry = max(a.entry for a in found)
        stay = max(a.stay for a in found)
        strength = max(a.strength for a in found)
        state, change = step(state, entry, stay, strength, self.preset, now)
        data = explain(self.db, found, state.level, now, state.rising_since)
        data["hold_proposal"] = self._hold_proposal(change, now)
        self._save(state, data["summary"], data, now, change)
        if change:
            log.warning("crisis level %s -> %s: %s", LEVELS[change.old], LEVELS[change.new], data["summary"])
        return change

    def declare(self, by: Actor, why: str, now: float | None = None) -> LevelChange:
        return self._override(declare, by, why, now)

    def stand_down(self, by: Actor, why: str, now: float | None = None) -> LevelChange:
        return self._override(stand_down, by, why, now)

    def _override(self, action, by: Actor, why: str, now: float | None) -> LevelChange:
        require(by, Permission.SET_CRISIS_LEVEL)
        if not why.strip():
            raise ValueError("declaring or standing down needs a reason")
        who = by.name
        now = self.clock() if now is None else now
        with write(self.db) as conn:
            conn.execute(
                dialect_insert(conn, crisis_state)
                .values(id=1, state=_dump_state(LevelState()))
                .on_conflict_do_nothing()
            )
            raw = conn.execute(sa.select(crisis_state.c.state, crisis_state.c.explanation)).one()
            state, change = action(_load_state(raw.state), now)
            data = {**json.loads(raw.explanation or "{}"), "level": LEVELS[state.level]}
            data["hold_proposal"] = self._hold_proposal(change, now)
            line = f"{LEVELS[state.level].upper()} · {change.reason} by {who}: {why}"
            self._write(conn, state, line, data, now, change, who=who, why=why)
            record(conn, who, f"crisis.{action.__name__}", now, "crisis level", why, level=LEVELS[state.level])
        return change

    def _hold_proposal(self, change: LevelChange | None, now: float) -> list[dict]:
        """On a rise to crisis: the scheduled posts due in the next 24 h, proposed for hold."""
        if change is None or change.new < 2 or change.old >= 2:
            return []
        from publishing.posts import due_within

        due = due_within(self.db, now, 24)
        return [
            {"id": int(r.id), "channel": r.channel, "scheduled_at": int(r.scheduled_at), "text": r.text[:280]}
            for r in due.itertuples()
        ]

    def _save(self, state, line, data, now, change) -> None:
        with write(self.db) as conn:
            self._write(conn, state, line, data, now, change)

    @staticmethod
    def _write(conn, state, line, data, now, change, who=None, why=None) -> None:
        conn.execute(
            crisis_state.update()
            .where(crisis_state.c.id == 1)
            .values(state=_dump_state(state), summary=line, explanation=json.dumps(data), updated_at=now)
        )
        if change:
            conn.execute(
                alerts.insert().values(
                    at=now,
                    kind="level",
                    audience="crisis_team",
                    old_level=change.old,
                    new_level=change.new,
                    reason=change.reason,
                    suppressed=change.suppressed,
                    who=who,
                    why=why,
                    summary=line,
                    explanation=json.dumps(data),
                )
            )


def crisis_status(db: sa.Engine) -> dict:
    """The level now, since when, its one-line and full explanation."""
    with db.connect() as conn:
        row = conn.execute(sa.select(crisis_state).where(crisis_state.c.id == 1)).one_or_none()
    if row is None:
        return {
            "level": "normal",
            "since": None,
            "summary": "No evaluation yet.",
            "explanation": {},
            "updated_at": None,
            "declared": False,
        }
    state = _load_state(row.state)
    return {
        "level": LEVELS[state.level],
        "since": state.since,
        "summary": row.summary,
        "explanation": json.loads(row.explanation or "{}"),
        "updated_at": row.updated_at,
        "declared": state.declared,
    }
