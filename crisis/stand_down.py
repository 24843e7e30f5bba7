"""Whether it is too early to stand down: the volume or the negative share of
the latest evaluation still well above normal. The Crisis level page asks for
a confirmation with these figures before a person stands the level down."""

from __future__ import annotations

VOLUME_FACTOR = 2.0  # still twice the usual volume
SHARE_POINTS = 0.10  # negative share still 10 points above normal
MIN_MESSAGES = 30  # fewer than this in the window is noise, hot or not


def still_hot(explanation: dict) -> str | None:
    """The figures that say it is still hot, in words, or None when it has calmed down."""
    total = (explanation or {}).get("total") or {}
    observed, minutes = int(total.get("observed") or 0), int(total.get("window_minutes") or 0)
    if observed < MIN_MESSAGES or not minutes:
        return None
    expected = float(total.get("expected") or 0)
    share, usual = total.get("negative_share"), total.get("expected_negative_share")
    loud = expected <= 0 or observed >= VOLUME_FACTOR * expected
    angry = share is not None and usual is not None and share >= usual + SHARE_POINTS
    if not (loud or angry):
        return None
    rate = f"{observed / minutes:.0f} messages a minute over the last {minutes} min"
    if expected > 0:
        rate += f" (usually {expected / minutes:.1f})"
    tone = (
        ""
        if share is None
        else f", {share:.0%} of them negative" + ("" if usual is None else f" (usually {usual:.0%})")
    )
    return rate + tone
