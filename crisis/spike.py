"""How surprising a window is, given its baseline.

Volume: -log10 P(X >= observed) for X ~ Poisson(expected), so a jump from
0 to 3 messages is no evidence, and 300 where 30 were expected is a lot.
Negative share: -log10 P(K >= negative) for K ~ Binomial(n, expected share),
n the messages an engine could read (not those stored "unscored: language").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import binom, poisson

from crisis.baseline import Baseline
from crisis.presets import Preset

WINDOWS = (1, 5, 15)  # minutes; a sharp onset shows in 1, a slow burn in 15
_MAX_SCORE = 300.0


def _score(p: float) -> float:
    return _MAX_SCORE if p <= 0 else min(_MAX_SCORE, -math.log10(p))


@dataclass(frozen=True)
class WindowEvidence:
    minutes: int
    observed: int
    expected: float
    negative: int
    share: float
    expected_share: float
    volume_score: float
    negative_score: float
    scored: int | None = None  # the share's denominator (None: observed)

    @property
    def factor(self) -> float:
        return self.observed / self.expected if self.expected else math.inf

    def volume_level(self, preset: Preset, scale: float = 1.0) -> int:
        """0 normal, 1 watch, 2 crisis, by volume alone."""
        if self.observed < preset.min_count * scale or self.observed / self.minutes < preset.min_rate * scale:
            return 0
        if self.volume_score >= preset.crisis_score * scale and self.factor >= 1 + (preset.crisis_factor - 1) * scale:
            return 2
        if self.volume_score >= preset.watch_score * scale and self.factor >= 1 + (preset.watch_factor - 1) * scale:
            return 1
        return 0

    def negative_hot(self, preset: Preset, scale: float = 1.0) -> bool:
        return (
            self.negative >= preset.min_negative * scale
            and self.share - self.expected_share >= preset.negative_rise * scale
            and self.negative_score >= preset.negative_score * scale
        )

    def share_up(self, preset: Preset, scale: float = 1.0) -> bool:
        """The negative share is up at all (half the rise and half the score a negative turn needs)."""
        return (
            self.share - self.expected_share >= preset.negative_rise * scale / 2
            and self.negative_score >= preset.negative_score * scale / 2
        )

    def level(self, preset: Preset, scale: float = 1.0) -> int:
        """crisis needs a crisis-size volume spike with a negative turn; a
        negative turn alone, or a volume spike whose negative share is up, is
        watch. A volume spike whose negative share is not up is a surge
        (good or neutral news): no level at all."""
        volume, negative = self.volume_level(preset, scale), self.negative_hot(preset, scale)
        # A crisis-size spike needs a negative turn; at that size half the usual rise is enough
        # (sarcasm and other languages hide part of the anger from the engine), never a flat share.
        turned = negative or (self.share_up(preset, scale) and self.negative >= preset.min_negative * scale)
        if volume == 2 and turned:
            return 2
        if negative or (volume and self.share_up(preset, scale)):
            return 1
        return 0

    def surge(self, preset: Preset) -> bool:
        """A volume spike with the negative share not up: a note, never a level."""
        return bool(self.volume_level(preset)) and not self.share_up(preset) and not self.negative_hot(preset)

    def strength(self, preset: Preset) -> float:
        """How far past the watch thresholds (for 'immediate' raises and ranking)."""
        return max(self.volume_score / preset.watch_score, self.negative_score / preset.negative_score)


def evidence(window: int, observed: int, negative: int, base: Baseline, scored: int | None = None) -> WindowEvidence:
    """`observed` messages (volume), `negative` of the `scored` ones an engine could read (share; default all)."""
    expected = base.rate * window
    volume = _score(float(poisson.sf(observed - 1, expected))) if observed > 0 else 0.0
    n = observed if scored is None else scored
    share = negative / n if n else 0.0
    neg = _score(float(binom.sf(negative - 1, n, base.negative_share))) if negative > 0 and n else 0.0
    return WindowEvidence(window, observed, expected, negative, share, base.negative_share, volume, neg, n)
