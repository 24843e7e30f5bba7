"""Crisis levels with persistence, hysteresis and cooldown.

Each evaluation proposes two levels: `entry` (what the evidence supports
with the preset's thresholds) and `stay` (with thresholds relaxed by
`exit_ratio`). A higher level is raised once `entry` has held for
`persistence` evaluations in a row (or at once for overwhelming evidence);
a level is lowered only after `stay` has been below it for `calm_minutes`.
Raising to a level that was already raised within `cooldown_minutes` is
recorded but marked suppressed, so nobody is paged twice for one wave.
A person can declare a crisis or stand down; detection never lowers a
declared crisis.

`raised` keeps the periods spent above normal (from the first evidence to
the return to normal), so the baseline can leave them out: it never learns
a crisis as the new normal.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from crisis.presets import Preset

LEVELS = ("normal", "watch", "crisis")


@dataclass(frozen=True)
class LevelState:
    level: int = 0
    since: float | None = None
    pending_level: int = 0
    pending_count: int = 0
    rising_since: float | None = None
    calm_minutes: float = 0.0
    last_raise: dict[int, float] = field(default_factory=dict)
    declared: bool = False
    last_evaluated: float | None = None
    raised: list[list[float]] = field(default_factory=list)  # [[start, end], ...] epoch s, periods above normal

    def frozen_from(self) -> float | None:
        """The start of the current raised (or rising) period, or None when all is normal."""
        if self.rising_since is not None:
            return self.rising_since
        return self.since if self.level > 0 else None

    def excluded(self, now: float, keep_s: float = 8 * 86400) -> list[tuple[float, float]]:
        """Periods the baseline must leave out: past raised periods and the current one."""
        out = [(a, b) for a, b in self.raised if b >= now - keep_s]
        start = self.frozen_from()
        if start is not None:
            out.append((start - RAISED_LEAD_S, now + 60))
        return out


RAISED_LEAD_S = 15 * 60  # the minutes before the first evidence are left out too (the longest window)
RAISED_KEEP_S = 8 * 86400


def _closed(state: LevelState, now: float) -> list[list[float]]:
    start = state.frozen_from()
    kept = [p for p in state.raised if p[1] >= now - RAISED_KEEP_S]
    return kept + [[start - RAISED_LEAD_S, now]] if start is not None else kept


@dataclass(frozen=True)
class LevelChange:
    at: float
    old: int
    new: int
    reason: str  # "detected", "calmed", "declared", "stood down"
    suppressed: bool = False
    rising_since: float | None = None


def step(
    state: LevelState, entry: int, stay: int, strength: float, preset: Preset, now: float
) -> tuple[LevelState, LevelChange | None]:
    elapsed_min = 0.0 if state.last_evaluated is None else max(0.0, (now - state.last_evaluated) / 60)
    state = replace(state, last_evaluated=now)
    if entry > state.level:
        count = state.pending_count + 1 if state.pending_level >= state.level + 1 else 1
        rising_since = state.rising_since if state.rising_since is not None else now
        immediate = strength >= preset.immediate_ratio * (2 if entry == 2 else 1)
        if count < preset.persistence and not immediate and entry == 2 and state.level == 0:
            # Crisis evidence not yet confirmed, but overwhelming for watch: raise watch now
            # (it would have been, were it only watch evidence) and keep counting towards crisis.
            if strength >= preset.immediate_ratio:
                watch_state, change = step(state, 1, stay, strength, preset, now)
                return replace(watch_state, pending_level=2, pending_count=count), change
        if count >= preset.persistence or immediate:
            suppressed = now - state.last_raise.get(entry, -1e18) < preset.cooldown_minutes * 60
            change = LevelChange(now, state.level, entry, "detected", suppressed, rising_since)
            last_raise = {**state.last_raise, entry: now}
            return (
                replace(
                    state,
                    level=entry,
                    since=now,
                    pending_level=0,
                    pending_count=0,
                    calm_minutes=0.0,
                    last_raise=last_raise,
                    rising_since=rising_since,
                ),
                change,
            )
        return replace(state, pending_level=entry, pending_count=count, rising_since=rising_since), None
    state = replace(state, pending_level=0, pending_count=0)
    if stay < state.level and not state.declared:
        calm = state.calm_minutes + elapsed_min
        if calm >= preset.calm_minutes:
            change = LevelChange(now, state.level, stay, "calmed")
            if stay > 0:  # still raised: the baseline stays frozen
                return replace(state, level=stay, since=now, calm_minutes=0.0), change
            raised = _closed(state, now)
            return replace(state, level=0, since=now, calm_minutes=0.0, rising_since=None, raised=raised), change
        return replace(state, calm_minutes=calm), None
    if entry == 0 and state.level == 0:
        state = replace(state, rising_since=None)
    return replace(state, calm_minutes=0.0), None


def declare(state: LevelState, now: float) -> tuple[LevelState, LevelChange]:
    change = LevelChange(now, state.level, 2, "declared")
    return replace(
        state, level=2, since=now, declared=True, calm_minutes=0.0, last_raise={**state.last_raise, 2: now}
    ), change


def stand_down(state: LevelState, now: float) -> tuple[LevelState, LevelChange]:
    change = LevelChange(now, state.level, 0, "stood down")
    return replace(
        state,
        level=0,
        since=now,
        declared=False,
        pending_level=0,
        pending_count=0,
        calm_minutes=0.0,
        rising_since=None,
        raised=_closed(state, now),
    ), change
