"""Judge one series (total or one source) at the end of its per-minute counts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crisis.baseline import Baseline, baseline
from crisis.levels import LevelChange, LevelState, step
from crisis.presets import Preset
from crisis.spike import WINDOWS, WindowEvidence, evidence


@dataclass(frozen=True)
class SeriesAssessment:
    name: str
    base: Baseline
    best: WindowEvidence  # the window with the strongest evidence
    entry: int
    stay: int
    strength: float


def assess_series(
    name: str, total: np.ndarray, negative: np.ndarray, has_data: np.ndarray, preset: Preset
) -> SeriesAssessment | None:
    """None while there is too little history to know what normal is."""
    end = len(total)
    found: list[tuple[WindowEvidence, Baseline]] = []
    for minutes in WINDOWS:
        window = slice(end - minutes, end)
        base = baseline(total, negative, window, has_data)
        if base is None:
            return None
        found.append((evidence(minutes, int(total[window].sum()), int(negative[window].sum()), base), base))
    entry = max(ev.level(preset) for ev, _ in found)
    stay = max(ev.level(preset, preset.exit_ratio) for ev, _ in found)
    best, base = max(found, key=lambda item: (item[0].level(preset), item[0].strength(preset)))
    return SeriesAssessment(name, base, best, entry, stay, max(ev.strength(preset) for ev, _ in found))


def simulate(total: np.ndarray, negative: np.ndarray, preset: Preset, start: int = 0) -> list[LevelChange]:
    """Evaluate a per-minute series minute by minute (time = minute index * 60)."""
    state, changes = LevelState(), []
    has_data = np.ones(len(total), dtype=bool)
    for end in range(max(start, 1), len(total) + 1):
        found = assess_series("total", total[:end], negative[:end], has_data[:end], preset)
        if found is None:
            continue
        state, change = step(state, found.entry, found.stay, found.strength, preset, end * 60.0)
        if change:
            changes.append(change)
    return changes
