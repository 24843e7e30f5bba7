"""What is normal for a window: the same time of day (and day of week) on
previous days when there are enough of them, else the trailing hours.

Only *usable* minutes count: minutes under a raised level (and the run-up
to it) are left out, so the baseline never learns the crisis; while a level
is raised the baseline stays what it was at the level's start.

Seasonal: for each previous day, the rate at this time of day is read over
a 15-minute block at a few small shifts (so a 09:00 newsletter that comes
at 09:04 one day still counts) and the busiest shift is kept; the days are
then combined by their median, so one odd day changes nothing. The same
time one week ago also counts when its day of week had a peak there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = 1440  # minutes
SEASONAL_HALF_WIDTH = 30  # minutes either side of the same time of day (the share's pool)
SEASONAL_DAYS = 7
MIN_SEASONAL_DAYS = 3
BLOCK = 15  # minutes: a day's rate at a time of day is read over this block
SHIFTS = (-10, -5, 0, 5, 10)  # minutes: the block is read at these shifts, the busiest kept
TRAILING = 180  # minutes
TRAILING_LOOKBACK = DAY  # the trailing minutes are looked for this far back (past raised periods)
MIN_HISTORY = 60  # minutes of history before anything is judged
RATE_FLOOR = 0.2  # messages per minute: a silent baseline is not "zero"
SHARE_FLOOR = 0.05
# The negative share of a quiet baseline is uncertain: blend it with a prior
# of 25 % worth 20 messages, so three negatives after silence prove nothing.
SHARE_PRIOR, SHARE_PRIOR_WEIGHT = 0.25, 20


@dataclass(frozen=True)
class Baseline:
    rate: float  # expected messages per minute
    spread: float  # 1.4826 * MAD of the per-minute counts
    negative_share: float  # expected share of negative messages
    method: str  # "time of day (N days)", "... and day of week" or "trailing 3 h"
    negative_reach: float = 0.0  # expected reach of negative messages per minute
    reach_per_message: float = 0.0  # a typical message's reach (median over minutes of reach / count)


def _block_rate(total: np.ndarray, usable: np.ndarray, stop: int) -> float | None:
    """The busiest of the shifted 15-minute blocks ending near `stop`, per minute; None if unusable."""
    best = None
    for shift in SHIFTS:
        lo, hi = stop - BLOCK + shift, stop + shift
        if lo < 0 or hi > len(total) or not usable[lo:hi].all():
            continue
        rate = float(total[lo:hi].mean())
        best = rate if best is None else max(best, rate)
    return best


def seasonal_days(usable: np.ndarray, end: int) -> list[int]:
    """Previous days whose same-time-of-day hour is usable."""
    out = []
    for d in range(1, SEASONAL_DAYS + 1):
        lo, hi = end - d * DAY - SEASONAL_HALF_WIDTH, end - d * DAY + SEASONAL_HALF_WIDTH
        if lo >= 0 and usable[lo:hi].all():
            out.append(d)
    return out


def baseline(
    total: np.ndarray,
    negative: np.ndarray,
    observed: slice,
    usable: np.ndarray,
    reach: np.ndarray | None = None,
    negative_reach: np.ndarray | None = None,
    scored: np.ndarray | None = None,
) -> Baseline | None:
    """`total` and `negative` are per-minute counts, oldest first, ending with
    the evaluated window `observed`; `usable[i]` is False before the store's
    history starts and for minutes under a raised level. `scored`: the
    messages an engine could read, the share's denominator (default: total).
    None when there is too little history."""
    base = total if scored is None else scored
    end = observed.start
    days = seasonal_days(usable, end)
    if len(days) >= MIN_SEASONAL_DAYS:
        rates = [r for d in days if (r := _block_rate(total, usable, observed.stop - d * DAY)) is not None]
        rate = float(np.median(rates)) if rates else 0.0
        method = f"time of day ({len(days)} days)"
        week_share = None
        if SEASONAL_DAYS in days:
            week = _block_rate(total, usable, observed.stop - SEASONAL_DAYS * DAY)
            if week is not None and week > rate:
                rate, method = week, method + " and day of week"
                # ... and its mood: a weekly event may draw more complaints than the usual hour.
                wk = slice(end - SEASONAL_DAYS * DAY - SEASONAL_HALF_WIDTH, end - SEASONAL_DAYS * DAY + BLOCK)
                week_share = float(negative[wk].sum() + SHARE_PRIOR * 10) / float(base[wk].sum() + 10)
        idx = np.concatenate(
            [np.arange(end - d * DAY - SEASONAL_HALF_WIDTH, end - d * DAY + SEASONAL_HALF_WIDTH) for d in days]
        )
        counts = total[idx].astype(float)
        rate = max(rate, RATE_FLOOR)
    else:
        week_share = None
        lo = max(0, end - TRAILING_LOOKBACK)
        idx = np.arange(lo, end)[usable[lo:end]][-TRAILING:]
        if len(idx) < MIN_HISTORY:
            return None
        method = f"trailing {len(idx) // 60} h" if len(idx) >= 120 else f"trailing {len(idx)} min"
        counts = total[idx].astype(float)
        rate = max(float(np.median(counts)), float(counts.mean()) * 0.5, RATE_FLOOR)
    median = float(np.median(counts))
    spread = 1.4826 * float(np.median(np.abs(counts - median)))
    share = float((negative[idx].sum() + SHARE_PRIOR * SHARE_PRIOR_WEIGHT) / (base[idx].sum() + SHARE_PRIOR_WEIGHT))
    if week_share is not None:
        share = max(share, week_share)
    neg_reach = typical = 0.0
    if reach is not None and negative_reach is not None:
        # Reach is heavy-tailed: one big account must not set the norm, so each minute is capped at the 90th percentile.
        nr = negative_reach[idx].astype(float)
        neg_reach = float(np.minimum(nr, np.percentile(nr, 90)).mean()) if len(nr) else 0.0
        busy = counts > 0
        typical = float(np.median(reach[idx][busy] / counts[busy])) if busy.any() else 0.0
    return Baseline(rate, spread, max(share, SHARE_FLOOR), method, neg_reach, typical)
