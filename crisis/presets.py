"""Sensitivity presets: how much evidence raises the crisis level."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    name: str
    # Volume: -log10 of the Poisson tail probability, and observed/expected.
    watch_score: float
    crisis_score: float
    watch_factor: float
    crisis_factor: float
    min_count: int  # messages in the window before volume can count at all
    min_rate: float  # ... and messages per minute: a jump from 0 to 3 a minute is not a crisis
    # Negative share: -log10 of the binomial tail, and the rise in share.
    negative_score: float
    negative_rise: float
    min_negative: int
    # Evaluations in a row a higher level must hold before it is raised ...
    persistence: int
    # ... unless the evidence is this many times the threshold.
    immediate_ratio: float
    # Minutes the calmer level must hold (with relaxed thresholds) before lowering.
    calm_minutes: int
    # A repeat alert for the same level within this many minutes is not sent.
    cooldown_minutes: int
    # Exit thresholds are entry thresholds times this (hysteresis).
    exit_ratio: float = 0.6
    # Slow change: the CUSUM (in standard deviations) a slow turn must pass (crisis/slow.py).
    cusum_h: float = 7.0


PRESETS = {
    "low": Preset("low", 8, 14, 2.5, 4.0, 15, 5.0, 8, 0.25, 10, 3, 2.5, 20, 90, cusum_h=9.0),
    "medium": Preset("medium", 6, 10, 2.0, 3.0, 10, 4.0, 6, 0.20, 8, 2, 1.5, 15, 60, cusum_h=7.0),
    "high": Preset("high", 5, 8, 1.8, 2.5, 6, 4.0, 5, 0.15, 6, 2, 2.0, 10, 30, cusum_h=6.0),
}
