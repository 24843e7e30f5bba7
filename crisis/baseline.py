"""What is normal for a minute: the same time of day on previous days when
there are enough of them, else the trailing hours, as robust statistics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = 1440  # minutes
SEASONAL_HALF_WIDTH = 30  # minutes either side of the same time of day
SEASONAL_DAYS = 7
MIN_SEASONAL_DAYS = 3
TRAILING = 180  # minutes
MIN_HISTORY = 60  # minutes of history before anything is judged
RATE_FLOOR = 0.2  # messages per minute: a silent baseline is not "zero"
SHARE_FLOOR = 0.05
# The negative share of a quiet baseline is uncertain: blend it with a prior
# of 25 % worth 20 messages, so three negatives after silence prove nothing.
SHARE_PRIOR, SHARE_PRIOR_WEIGHT = 0.25, 20


@dataclass(frozen=True)
class Baseline:
    rate: float  # expected messages per minute (robust median)
    spread: float  # 1.4826 * MAD of the per-minute counts
    negative_share: float  # expected share of negative messages
    method: str  # "time of day (N days)" or "trailing 3 h"


def baseline(total: np.ndarray, negative: np.ndarray, observed: slice, has_data: np.ndarray) -> Baseline | None:
    """`total` and `negative` are per-minute counts, oldest first, ending with
    the evaluated window `observed`; `has_data[i]` is False before the
    store's history starts. None when there is too little history."""
    end = observed.start
    days = []
    for d in range(1, SEASONAL_DAYS + 1):
        lo, hi = end - d * DAY - SEASONAL_HALF_WIDTH, end - d * DAY + SEASONAL_HALF_WIDTH
        if lo >= 0 and has_data[lo:hi].all():
            days.append(slice(lo, hi))
    if len(days) >= MIN_SEASONAL_DAYS:
        idx = np.concatenate([np.arange(s.start, s.stop) for s in days])
        method = f"time of day ({len(days)} days)"
    else:
        lo = max(0, end - TRAILING)
        idx = np.arange(lo, end)[has_data[lo:end]]
        if len(idx) < MIN_HISTORY:
            return None
        method = f"trailing {len(idx) // 60} h" if len(idx) >= 120 else f"trailing {len(idx)} min"
    counts = total[idx].astype(float)
    median = float(np.median(counts))
    spread = 1.4826 * float(np.median(np.abs(counts - median)))
    share = float((negative[idx].sum() + SHARE_PRIOR * SHARE_PRIOR_WEIGHT) / (counts.sum() + SHARE_PRIOR_WEIGHT))
    return Baseline(max(median, float(counts.mean()) * 0.5, RATE_FLOOR), spread, max(share, SHARE_FLOOR), method)
