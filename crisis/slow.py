"""Slow change: a one-sided CUSUM over the last hours, beside the window scores.

A billing error that makes the negative share creep up over hours never
looks surprising minute by minute, and a trailing baseline slowly learns
it. Here the last 4 hours, in 5-minute bins, are compared with a reference
taken before them (the same hours on previous days when there are enough,
else the usable hours just before), and the standardised excess of the
negative share and of the negative count is accumulated as a
log-likelihood ratio ("the share is now 1.6 times the reference" against
"it is unchanged"): S = max(0, S + llr). S past the preset's `cusum_h` is a
slow turn. The spread of the reference's own bins scales the ratio, so a
noisy source does not look like a trend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from crisis.baseline import DAY, SEASONAL_DAYS, SHARE_PRIOR, SHARE_PRIOR_WEIGHT
from crisis.presets import Preset

LOOKBACK = 240  # minutes judged
BIN = 10  # minutes per step
REFERENCE = 720  # minutes of trailing reference (usable minutes, looked for up to a day back)
SHIFT = 1.6  # the turn the CUSUM is tuned for: the negative share (or count) x1.6 ...
RECENT = 60  # minutes: the share must still be up over the last hour
MIN_REFERENCE = 120
RECENT_Z = 3.0


@dataclass(frozen=True)
class SlowChange:
    share_stat: float  # CUSUM of the negative share
    count_stat: float  # CUSUM of the negative count
    expected_share: float
    recent_share: float  # the last hour
    recent_negative: int
    expected_recent_negative: float
    since_minutes: int  # how long the share CUSUM has been above zero
    method: str
    recent_z: float = 0.0  # the last hour's share, in standard errors above the reference

    def level(self, preset: Preset, scale: float = 1.0) -> int:
        """Watch when the share has turned (or the negative count, with the share half-way there),
        and the last hour still shows it: clearly above the reference, with enough negatives."""
        h = preset.cusum_h * scale
        turned = self.share_stat >= h or (self.count_stat >= h and self.share_stat >= h / 2)
        still_up = (
            self.recent_share - self.expected_share >= preset.negative_rise * scale / 2
            and self.recent_negative >= preset.min_negative * scale
            and self.recent_z >= RECENT_Z * scale
        )
        return 1 if turned and still_up else 0

    def strength(self, preset: Preset) -> float:
        return max(self.share_stat, self.count_stat) / preset.cusum_h


def _bins(a: np.ndarray) -> np.ndarray:
    return a.reshape(-1, BIN).sum(axis=1).astype(float)


def _cusum(llr: np.ndarray) -> tuple[float, int]:
    s, run = 0.0, 0
    for value in llr:
        s = max(0.0, s + value)
        run = run + 1 if s > 0 else 0
    return s, run * BIN


def slow_change(
    total: np.ndarray, negative: np.ndarray, usable: np.ndarray, scored: np.ndarray | None = None
) -> SlowChange | None:
    """`scored`: the messages an engine could read (the share's denominator); default `total`.
    Both CUSUMs run on it: the expected negative count is the expected readable count x the share."""
    if scored is not None:
        total = scored
    end = len(total)
    lo = end - LOOKBACK
    if lo < 0:
        return None
    n, k = _bins(total[lo:end]), _bins(negative[lo:end])
    days = [d for d in range(1, SEASONAL_DAYS + 1) if lo - d * DAY >= 0 and usable[lo - d * DAY : end - d * DAY].all()]
    seasonal = len(days) >= 3
    if seasonal:
        ref_n = np.stack([_bins(total[lo - d * DAY : end - d * DAY]) for d in days])
        ref_k = np.stack([_bins(negative[lo - d * DAY : end - d * DAY]) for d in days])
        expected_n = np.median(ref_n, axis=0)
        method = f"time of day ({len(days)} days)"
    else:
        idx = np.arange(max(0, lo - DAY), lo)[usable[max(0, lo - DAY) : lo]][-REFERENCE:]
        if len(idx) < MIN_REFERENCE:
            return None
        idx = idx[len(idx) % BIN :]
        ref_n, ref_k = _bins(total[idx])[None, :], _bins(negative[idx])[None, :]
        expected_n = np.full(len(n), float(ref_n.mean()))
        method = f"previous {len(idx) // 60} h"
    p0 = float((ref_k.sum() + SHARE_PRIOR * SHARE_PRIOR_WEIGHT) / (ref_n.sum() + SHARE_PRIOR_WEIGHT))
    # The reference is itself a sample: judge against the top of its likely range (one standard error up).
    p0 = min(max(p0 + math.sqrt(p0 * (1 - p0) / max(float(ref_n.sum()), 1.0)), 0.02), 0.95)

    # Log-likelihood-ratio CUSUM (exact for small counts, where a z-score's tail is too heavy):
    # "the share has moved to p1" against "it is still p0", per bin.
    p0_bins = np.full(len(n), p0)
    if seasonal and SEASONAL_DAYS in days:
        # A weekly event (a live show) may carry its own mood: the same hours a week ago count too.
        week = lo - SEASONAL_DAYS * DAY
        wk_n = np.convolve(_bins(total[week : week + LOOKBACK]), np.ones(3), "same")
        wk_k = np.convolve(_bins(negative[week : week + LOOKBACK]), np.ones(3), "same")
        wk = (wk_k + p0 * 10) / (wk_n + 10)
        wk = wk + np.sqrt(wk * (1 - wk) / (wk_n + 10))  # one week is one sample: the top of its likely range
        wk = np.max([np.roll(wk, s) for s in (-2, -1, 0, 1, 2)], axis=0)  # the event may come 20 min earlier or later
        p0_bins = np.maximum(p0_bins, wk)

    def share_llr(kk, nn, base=p0_bins):
        p1 = np.minimum(0.95, np.maximum(SHIFT * base, base + 0.1))
        return kk * np.log(p1 / base) + (nn - kk) * np.log((1 - p1) / (1 - base))

    def count_llr(kk, ee):
        mu0 = np.maximum(ee * p0, 0.5)
        return kk * math.log(SHIFT) - (SHIFT - 1) * mu0

    # Overdispersion: how much more the reference's own bins wander than the binomial says.
    expected_ref = ref_n * p0
    spread = (ref_k - expected_ref) ** 2 / np.maximum(ref_n * p0 * (1 - p0), 1e-9)
    phi = float(np.clip(np.mean(spread[ref_n > 0]) if (ref_n > 0).any() else 1.0, 1.0, 4.0))
    s_share, run = _cusum(share_llr(k, n) / phi)
    recent_bins = slice(len(n) - RECENT // BIN, len(n))
    weights = n[recent_bins]
    p0 = float((weights * p0_bins[recent_bins]).sum() / weights.sum()) if weights.sum() else float(p0_bins[-1])
    # Without previous days the expected count is flat and a daily rise would look like a turn: share only.
    s_count = _cusum(count_llr(k, expected_n) / phi)[0] if seasonal else 0.0
    recent_n, recent_k = int(total[end - RECENT :].sum()), int(negative[end - RECENT :].sum())
    recent_share = recent_k / recent_n if recent_n else 0.0
    expected_recent = float(expected_n[-RECENT // BIN :].sum()) * p0
    recent_z = (recent_k - recent_n * p0) / math.sqrt(max(recent_n, 1) * p0 * (1 - p0) * phi)
    return SlowChange(s_share, s_count, p0, recent_share, recent_k, expected_recent, run, method, recent_z)
