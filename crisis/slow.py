"""Slow change: a one-sided CUSUM over the last hours, beside the window scores.

A billing error that makes the negative share creep up over hours never
looks surprising minute by minute, and a trailing baseline slowly learns
it. Here the last 4 hours, in 5-minute bins, are compared with a reference
taken before them (the same hours on previous days when there are enough,
else the usable hours just before), and the standardised excess of the
negative share and of the negative count is accumulated:
S = max(0, S + z - K). S past the preset's `cusum_h` is a slow turn.
The spread of the reference's own bins scales z, so a noisy source does
not look like a trend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from crisis.baseline import DAY, SEASONAL_DAYS, SHARE_PRIOR, SHARE_PRIOR_WEIGHT
from crisis.presets import Preset

LOOKBACK = 240  # minutes judged
BIN = 10  # minutes per step
REFERENCE = 360  # minutes of trailing reference
K = 0.5  # allowance per step, in standard deviations
RECENT = 30  # minutes: the share must still be up now
MIN_REFERENCE = 120
RECENT_Z = 2.0


@dataclass(frozen=True)
class SlowChange:
    share_stat: float  # CUSUM of the negative share
    count_stat: float  # CUSUM of the negative count
    expected_share: float
    recent_share: float  # the last 30 minutes
    recent_negative: int
    expected_recent_negative: float
    since_minutes: int  # how long the share CUSUM has been above zero
    method: str
    recent_z: float = 0.0  # the last 30 minutes' share, in standard errors above the reference

    def level(self, preset: Preset, scale: float = 1.0) -> int:
        """Watch when the share has turned (or the negative count, with the share half-way there),
        and the last 30 minutes still show it: clearly above the reference, with enough negatives."""
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


def _cusum(z: np.ndarray) -> tuple[float, int]:
    s, run = 0.0, 0
    for value in z:
        s = max(0.0, s + value - K)
        run = run + 1 if s > 0 else 0
    return s, run * BIN


def slow_change(total: np.ndarray, negative: np.ndarray, usable: np.ndarray) -> SlowChange | None:
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
    p0 = min(max(p0, 0.02), 0.95)

    def share_z(kk, nn):
        return np.where(nn > 0, (kk - nn * p0) / np.sqrt(np.maximum(nn, 1) * p0 * (1 - p0)), 0.0)

    def count_z(kk, ee):
        e = np.maximum(ee * p0, 0.5)
        return (kk - e) / np.sqrt(e)

    phi_s = float(np.clip(np.mean(share_z(ref_k, ref_n) ** 2), 1.0, 4.0))
    ref_expected = np.median(ref_n, axis=0) if ref_n.shape[0] > 1 else np.full(ref_n.shape[1], ref_n.mean())
    phi_c = float(np.clip(np.mean(count_z(ref_k, ref_expected[None, :]) ** 2), 1.0, 9.0))
    s_share, run = _cusum(share_z(k, n) / math.sqrt(phi_s))
    # Without previous days the expected count is flat and a daily rise would look like a turn: share only.
    s_count = _cusum(count_z(k, expected_n) / math.sqrt(phi_c))[0] if seasonal else 0.0
    recent_n, recent_k = int(total[end - RECENT :].sum()), int(negative[end - RECENT :].sum())
    recent_share = recent_k / recent_n if recent_n else 0.0
    expected_recent = float(expected_n[-RECENT // BIN :].sum()) * p0
    recent_z = (recent_k - recent_n * p0) / math.sqrt(max(recent_n, 1) * p0 * (1 - p0) * phi_s)
    return SlowChange(s_share, s_count, p0, recent_share, recent_k, expected_recent, run, method, recent_z)
