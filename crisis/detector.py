"""The detector: once a minute, judge the series, move the level, explain,
and record level changes as alerts (which the notifier sends)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from typing import Callable, Sequence

import sqlalchemy as sa

from access.roles import Actor, Permission, require
from crisis.assess import IMPACT_STAY_S, assess_series, judge, usable_mask
from crisis.baseline import DAY, SEASONAL_DAYS, SEASONAL_HALF_WIDTH
from crisis.explain import explain, internal_summary
from crisis.impact import high_impact
from crisis.levels import LEVELS, LevelChange, LevelState, declare, stand_down, step
from crisis.presets import Preset
from crisis.series import INTERNAL, PUBLIC, SeriesCache
from crisis.slow import LOOKBACK, slow_change
from settings.registry import internal_sources
from store.audit import record
from store.connection import write
from store.ingest import dialect_insert
from store.schema import alerts, crisis_state

log = logging.getLogger("crisisdesk.crisis")
SPAN = SEASONAL_DAYS * DAY + LOOKBACK + SEASONAL_HALF_WIDTH + 15


def _level_state(data: dict) -> LevelState:
    data = dict(data)
    data["last_raise"] = {int(k): v for k, v in data.get("last_raise", {}).items()}
    data["raised"] = [list(p) for p in data.get("raised", [])]
    return LevelState(**data)


def _load_states(raw: str) -> tuple[LevelState, LevelState]:
    """The public level's state and the internal (staff) one."""
    data = json.loads(raw) if raw else {}
    internal = data.pop("internal", {})
    return _level_state(data), _level_state(internal)


def _load_state(raw: str) -> LevelState:
    return _load_states(raw)[0]


def _dump_state(state: LevelState, internal: LevelState | None = None) -> str:
    return json.dumps({**asdict(state), "internal": asdict(internal or LevelState())})


def _usual_top(series, usable, sources: list[str], minutes: int = DAY) -> dict[str, float]:
    """Per source, the widest reach of one usable minute in the last day (the usual big voices)."""
    out = {}
    hi = len(usable) - IMPACT_STAY_S // 60  # not the recent posts being judged
    lo = max(0, hi - minutes)
    for name in sources:
        reach = series.reach.get(name)
        if reach is not None and hi > lo:
            ok = usable[lo:hi]
            out[name] = float(reach[lo:hi][ok].max()) if ok.any() else 0.0
    return out


class Detector:
    def __init__(
        self,
        db: sa.Engine,
        preset: Preset,
        clock: Callable[[], float] = time.time,
        sensitive_terms: Sequence[str] = (),  # [publishing] sensitive_terms: reasons in the hold proposal
    ) -> None:
        self.db, self.preset, self.clock = db, preset, clock
        self.sensitive_terms = tuple(sensitive_terms)
        self.cache = SeriesCache()

    def _claim(self, conn: sa.Connection, end_minute: int) -> tuple[LevelState, LevelState] | None:
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
        return _load_states(conn.execute(sa.select(crisis_state.c.state).where(crisis_state.c.id == 1)).scalar_one())

    def evaluate(self, now: float | None = None) -> LevelChange | None:
        """Judge the minutes completed by `now`; once per minute across all runners.
        Returns the public level's change, if any (the internal one is recorded as its own alert)."""
        now = self.clock() if now is None else now
        end_minute = int(now - now % 60)
        with write(self.db) as conn:
            states = self._claim(conn, end_minute)
        if states is None:
            return None
        state, internal = states
        series = self.cache.load(self.db, end_minute, SPAN)
        internal, internal_change, internal_data = self._internal(series, internal, now)
        usable = usable_mask(series.has_data, series.first_minute, state.excluded(now))
        staff = internal_sources()
        names = [PUBLIC] + sorted(n for n in series.total if n not in (PUBLIC, INTERNAL) and n not in staff)
        found = [
            a
            for name in names
            if (
                a := assess_series(
                    name,
                    series.total[name],
                    series.negative[name],
                    usable,
                    self.preset,
                    series.reach.get(name),
                    series.negative_reach.get(name),
                    scored=series.share_base(name),
                )
            )
        ]
        if not found:
            data = {"internal": internal_data} if internal_data else {}
            line = "Learning what normal looks like: less than an hour of history."
            self._save(state, line, data, now, None, internal, internal_change)
            return None
        total = next((a for a in found if a.name == PUBLIC), found[0])
        slow = slow_change(series.total[PUBLIC], series.negative[PUBLIC], usable, series.share_base(PUBLIC))
        impact = high_impact(
            self.db, now - IMPACT_STAY_S, now, total.base.reach_per_message, _usual_top(series, usable, names[1:])
        )
        judgement = judge(found, slow, impact, self.preset, now)
        state, change = step(state, judgement.entry, judgement.stay, judgement.strength, self.preset, now)
        data = explain(self.db, found, state.level, now, state.rising_since, judgement=judgement)
        if internal_data:
            data["internal"] = internal_data
        self._save(state, data["summary"], data, now, change, internal, internal_change)
        if change:
            log.warning("crisis level %s -> %s: %s", LEVELS[change.old], LEVELS[change.new], data["summary"])
        return change

    def _internal(self, series, internal: LevelState, now: float):
        """The staff channels against their own baseline: an internal WATCH, routed to internal comms."""
        if INTERNAL not in series.total:
            return internal, None, None
        usable = usable_mask(series.has_data, series.first_minute, internal.excluded(now))
        total, negative = series.total[INTERNAL], series.negative[INTERNAL]
        scored = series.share_base(INTERNAL)
        found = assess_series(INTERNAL, total, negative, usable, self.preset, internal=True, scored=scored)
        if found is None:
            return internal, None, None
        slow = slow_change(total, negative, usable, scored)
        entry, stay, strength = found.entry, found.stay, found.strength
        if slow is not None:
            entry = max(entry, slow.level(self.preset))
            stay = max(stay, slow.level(self.preset, self.preset.exit_ratio))
            strength = max(strength, slow.strength(self.preset) if slow.level(self.preset) else 0.0)
        internal, change = step(internal, min(entry, 1), min(stay, 1), strength, self.preset, now)
        data = internal_summary(found, slow, internal.level, internal.since, internal.rising_since)
        return internal, change, data

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
            public, internal = _load_states(raw.state)
            state, change = action(public, now)
            data = {**json.loads(raw.explanation or "{}"), "level": LEVELS[state.level]}
            line = f"{LEVELS[state.level].upper()} · {change.reason} by {who}: {why}"
            self._propose_hold(conn, state, data, now, by=who, trigger=why, origin="declaration")
            self._write(conn, state, line, data, now, change, internal, who=who, why=why)
            record(conn, who, f"crisis.{action.__name__}", now, "crisis level", why, level=LEVELS[state.level])
        return change

    def _propose_hold(
        self, conn, state: LevelState, data: dict, now: float, *, by: str, trigger: str, origin: str = "detector"
    ) -> None:
        """At CRISIS, the posts due soon go into the stored hold proposal that waits for a
        person (publishing.proposals); the explanation lists the ones named now, for the alert."""
        from publishing.proposals import propose_in

        proposal, named = propose_in(
            conn,
            level=state.level,
            crisis_since=state.since,
            now=now,
            by=by,
            origin=origin,
            trigger=trigger,
            evaluated_minute=int(now - now % 60) if origin == "detector" else None,
            sensitive_terms=self.sensitive_terms,
        )
        data["hold_proposal"] = named
        data.pop("hold_proposal_id", None)
        if proposal is not None:
            data["hold_proposal_id"] = proposal

    def _save(self, state, line, data, now, change, internal=None, internal_change=None) -> None:
        with write(self.db) as conn:
            self._propose_hold(conn, state, data, now, by="detector", trigger=line)
            self._write(conn, state, line, data, now, change, internal)
            if internal_change:
                info = data.get("internal") or {}
                conn.execute(
                    alerts.insert().values(
                        at=now,
                        kind="internal",
                        audience="internal_comms",
                        old_level=internal_change.old,
                        new_level=internal_change.new,
                        reason=internal_change.reason,
                        suppressed=internal_change.suppressed,
                        summary=info.get("summary", "INTERNAL"),
                        explanation=json.dumps(info),
                    )
                )

    @staticmethod
    def _write(conn, state, line, data, now, change, internal=None, who=None, why=None) -> None:
        conn.execute(
            crisis_state.update()
            .where(crisis_state.c.id == 1)
            .values(state=_dump_state(state, internal), summary=line, explanation=json.dumps(data), updated_at=now)
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
            "internal": {"level": "normal"},
        }
    state = _load_state(row.state)
    return {
        "level": LEVELS[state.level],
        "since": state.since,
        "summary": row.summary,
        "explanation": json.loads(row.explanation or "{}"),
        "updated_at": row.updated_at,
        "declared": state.declared,
        "internal": json.loads(row.explanation or "{}").get("internal") or {"level": "normal"},
    }
