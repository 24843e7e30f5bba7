"""Judge the series at the end of their per-minute counts: window scores
(1, 5, 15 min), slow change (CUSUM over hours) and impact (who says it),
for the public level; staff channels on their own for the internal one."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from crisis.baseline import Baseline, baseline
from crisis.impact import CRISIS_AUTHORS, distinct_authors
from crisis.levels import LevelChange, LevelState, step
from crisis.presets import Preset
from crisis.slow import SlowChange, slow_change
from crisis.spike import WINDOWS, WindowEvidence, evidence

IMPACT_ENTRY_S = 5 * 60  # a high-impact post this recent raises WATCH ...
IMPACT_STAY_S = 30 * 60  # ... and keeps it this long
VOICES_WITH_PUBLIC_TURN = 2  # high-impact voices that, with a full negative turn of everyone, are a crisis
# Staff channels are quiet and a turn there is worth hearing early: their thresholds are scaled by this.
INTERNAL_SCALE = 0.6


@dataclass(frozen=True)
class SeriesAssessment:
    name: str
    base: Baseline
    best: WindowEvidence  # the window with the strongest evidence
    entry: int
    stay: int
    strength: float
    surge: WindowEvidence | None = None  # a volume spike whose negative share is not up
    windows: tuple = ()


@dataclass(frozen=True)
class Judgement:
    """Everything that decides the public level this minute."""

    series: list[SeriesAssessment]
    slow: SlowChange | None = None
    impact: list[dict] = field(default_factory=list)
    entry: int = 0
    stay: int = 0
    strength: float = 0.0
    reasons: list[str] = field(default_factory=list)

    @property
    def total(self) -> SeriesAssessment | None:
        return next((a for a in self.series if a.name in ("total", "internal")), None)


def usable_mask(has_data: np.ndarray, first_minute: int, excluded) -> np.ndarray:
    """has_data without the minutes of the excluded periods [(start, end) epoch s]."""
    usable = has_data.copy()
    n = len(usable)
    for start, end in excluded:
        lo = max(0, int((start - first_minute) // 60))
        hi = min(n, int(-(-(end - first_minute) // 60)))
        if hi > lo:
            usable[lo:hi] = False
    return usable


def assess_series(
    name: str,
    total: np.ndarray,
    negative: np.ndarray,
    usable: np.ndarray,
    preset: Preset,
    reach: np.ndarray | None = None,
    negative_reach: np.ndarray | None = None,
    internal: bool = False,
    scored: np.ndarray | None = None,
) -> SeriesAssessment | None:
    """None while there is too little history to know what normal is.
    Internal (staff) series are judged on their negative turn alone: staff
    talking more is not a crisis, staff turning negative is. `scored`: the
    messages an engine could read, the negative share's denominator
    (default: total; "unscored: language" posts count in volume only)."""
    end = len(total)
    share_base = total if scored is None else scored
    # One baseline for every window: the normal before the longest window, so a ramp inside it is not learnt.
    base = baseline(total, negative, slice(end - max(WINDOWS), end), usable, reach, negative_reach, scored)
    if base is None:
        return None
    found: list[tuple[WindowEvidence, Baseline]] = []
    for minutes in WINDOWS:
        window = slice(end - minutes, end)
        counts = int(total[window].sum()), int(negative[window].sum()), base, int(share_base[window].sum())
        found.append((evidence(minutes, *counts), base))

    def level(ev: WindowEvidence, scale: float = 1.0) -> int:
        return int(ev.negative_hot(preset, scale * INTERNAL_SCALE)) if internal else ev.level(preset, scale)

    entry = max(level(ev) for ev, _ in found)
    stay = max(level(ev, preset.exit_ratio) for ev, _ in found)
    best, base = max(found, key=lambda item: (level(item[0]), item[0].strength(preset)))
    # Strength against the thresholds this series is judged by (staff: scaled), so "overwhelming"
    # (no persistence wait) means the same multiple of them for both.
    strength = max(
        ev.negative_score / (preset.negative_score * INTERNAL_SCALE) if internal else ev.strength(preset)
        for ev, _ in found
    )
    surges = [ev for ev, _ in found if ev.surge(preset)] if not internal else []
    surge = max(surges, key=lambda ev: ev.volume_score) if surges else None
    return SeriesAssessment(name, base, best, entry, stay, strength, surge, tuple(ev for ev, _ in found))


def judge(
    series: list[SeriesAssessment], slow: SlowChange | None, impact: list[dict], preset: Preset, now: float
) -> Judgement:
    """Combine window scores, slow change and impact into entry/stay levels."""
    entry = max((a.entry for a in series), default=0)
    stay = max((a.stay for a in series), default=0)
    strength = max((a.strength for a in series), default=0.0)
    reasons = [f"{a.name}: {a.best.minutes}-min window" for a in series if a.entry]
    if slow is not None:
        if slow.level(preset):
            entry, reasons = max(entry, 1), reasons + ["slow change"]
            strength = max(strength, slow.strength(preset))
        stay = max(stay, slow.level(preset, preset.exit_ratio))
    recent = [p for p in impact if p["at"] >= now - IMPACT_ENTRY_S]
    if recent:
        entry, reasons = max(entry, 1), reasons + ["high-impact post"]
        strength = max(strength, preset.immediate_ratio)  # one such post is enough: no persistence wait
    if impact:
        stay = max(stay, 1)
    total = next((a for a in series if a.name == "total"), None)
    voices = distinct_authors(impact)
    if total is not None and voices >= CRISIS_AUTHORS:
        w15 = total.windows[-1] if total.windows else total.best
        if w15.share - w15.expected_share >= preset.negative_rise and w15.negative >= preset.min_negative / 2:
            entry, reasons = 2, reasons + ["high-impact voices with a negative turn"]
            strength = max(strength, preset.immediate_ratio * 2)
            stay = max(stay, 2)
    if total is not None and entry < 2 and voices >= VOICES_WITH_PUBLIC_TURN:
        # Big voices and the public joining in: a negative turn of the outside conversation (however
        # few messages a minute: at night min_rate keeps volume from ever counting). The voices stand
        # in for a crisis-size spike, so the same turn counts as with one: at least min_negative
        # negatives and the share up (half the rise a turn alone needs).
        if any(
            ev.negative_hot(preset) or (ev.share_up(preset) and ev.negative >= preset.min_negative)
            for ev in total.windows
        ):
            entry, reasons = 2, reasons + ["high-impact voices and a negative turn among everyone"]
            strength = max(strength, preset.immediate_ratio * 2)  # impact evidence, as with three voices
            stay = max(stay, 2)
    return Judgement(series, slow, impact, entry, stay, strength, reasons)


def simulate(
    total: np.ndarray, negative: np.ndarray, preset: Preset, start: int = 0, slow: bool = True
) -> list[LevelChange]:
    """Evaluate a per-minute series minute by minute (time = minute index * 60),
    with the baseline frozen under raised levels, as the detector does."""
    state, changes = LevelState(), []
    has_data = np.ones(len(total), dtype=bool)
    for end in range(max(start, 1), len(total) + 1):
        now = end * 60.0
        usable = usable_mask(has_data[:end], 0, state.excluded(now))
        found = assess_series("total", total[:end], negative[:end], usable, preset)
        if found is None:
            continue
        change_found = slow_change(total[:end], negative[:end], usable) if slow else None
        j = judge([found], change_found, [], preset, now)
        state, change = step(state, j.entry, j.stay, j.strength, preset, now)
        if change:
            changes.append(change)
    return changes
