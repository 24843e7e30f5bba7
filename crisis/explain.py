"""Why the level is what it is, in data and in one line.

The same explanation is shown on the pages and sent to Slack: which series
rose (observed vs expected, the factor, the window), since when, the top
narratives (crisis/narrative_store.py: stories, each with a real outside post), the
terms that are new compared with the baseline (for the posts' risk flags), the
top sources, the top external authors by reach, and three sample messages. Internal (Slack) messages
never appear by author or text: staff are counted, not quoted.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import datetime, timezone
from typing import Callable

import sqlalchemy as sa

from crisis.assess import SeriesAssessment
from crisis.levels import LEVELS
from crisis.narrative_store import top_narratives
from crisis.narratives import STOP_WORDS, story_line
from settings.registry import internal_sources
from store.schema import messages

_WORD = re.compile(r"[#@]?[a-z][a-z0-9'’-]{2,}")
_STOP = set(
    """the and for you your are was were with this that have has had not but all any can our out who what when
    why how its it's just now they them their there then than too very from into about after again also been being right
    more most some such only own same will would should could does did doing done get got over under off
    http user yes one two new day today tomorrow know think make see say said like really still even""".split()
)


def terms(texts: list[str]) -> Counter:
    counts: Counter = Counter()
    for text in texts:
        counts.update({w.strip("'’-") for w in _WORD.findall(text.lower())} - _STOP - STOP_WORDS)
    return counts


def new_terms(window: list[str], before: list[str], top: int = 6) -> list[tuple[str, int]]:
    """Terms frequent now and rare before, by count x log(rate ratio)."""
    now, then = terms(window), terms(before)
    n_now, n_then = max(len(window), 1), max(len(before), 1)
    scored = []
    for term, count in now.items():
        if count < 3:
            continue
        ratio = (count / n_now) / ((then.get(term, 0) + 0.5) / n_then)
        if ratio > 2:
            scored.append((count * math.log(ratio), term, count))
    chosen = sorted(scored, reverse=True)[:top]
    return [(term, count) for _, term, count in sorted(chosen, key=lambda c: (-c[2], c[1]))]  # shown by count


def _texts(conn, since: int, until: int, limit: int, external_only: bool = False):
    m = messages.c
    stmt = sa.select(m.text, m.source, m.author, m.reach, sa.func.coalesce(m.label_override, m.label).label("label"))
    stmt = stmt.where(m.created_at >= since, m.created_at < until)
    if external_only:
        stmt = stmt.where(m.source.not_in(internal_sources()))
    return conn.execute(stmt.order_by(m.created_at.desc()).limit(limit)).all()


def explain(
    db: sa.Engine, found: list[SeriesAssessment], level: int, now: float, since: float | None, judgement=None
) -> dict:
    """The explanation of the current assessment (found: every series judged;
    judgement: the slow change, the high-impact posts and the reasons)."""
    rising = sorted((a for a in found if a.entry > 0), key=lambda a: -a.strength)
    total = next((a for a in found if a.name == "total"), None)
    focus = rising[0] if rising else total
    window_min = focus.best.minutes if focus else 15
    end = int(now - now % 60)
    start = end - window_min * 60
    # A calm minute with nothing rising needs no posts read: the one line says so (detection stays cheap).
    calm = judgement is not None and level == 0 and not rising and not judgement.impact
    with db.connect() as conn:
        window_rows = [] if calm else _texts(conn, start, end, 3000)
        before_rows = [] if calm else _texts(conn, end - 4 * 3600, start, 5000)
        external = [r for r in window_rows if r.source not in internal_sources()]
    authors: dict[str, tuple[str, int]] = {}
    for row in sorted(external, key=lambda r: -r.reach):
        if row.author and row.author not in authors and len(authors) < 3:
            authors[row.author] = (row.source, row.reach)
    samples = [r for r in sorted(external, key=lambda r: -r.reach) if r.label == "negative"][:3]
    sources = Counter(r.source for r in window_rows)
    data = {
        "level": LEVELS[level],
        "evaluated_at": now,
        "since": since,
        "window_minutes": window_min,
        "rising": [_series(a) for a in rising[:4]],
        "total": _series(total) if total else None,
        "new_terms": new_terms([r.text for r in window_rows], [r.text for r in before_rows]),
        "narratives": top_narratives(db, now, limit=3),
        "top_sources": sources.most_common(4),
        "top_authors": [{"author": a, "source": s, "reach": r} for a, (s, r) in authors.items()],
        "samples": [{"source": r.source, "author": r.author, "reach": r.reach, "text": r.text[:280]} for r in samples],
    }
    data.update(_judgement(judgement, total, level))
    data["summary"] = summary(data)
    return data


def _judgement(judgement, total: SeriesAssessment | None, level: int) -> dict:
    """Slow change, high-impact posts, reasons, and a surge note (volume up, negative share not)."""
    if judgement is None:
        return {}
    out: dict = {"reasons": judgement.reasons, "impact": judgement.impact[:5]}
    slow = judgement.slow
    if slow is not None:
        out["slow_change"] = {
            "share_cusum": round(slow.share_stat, 1),
            "count_cusum": round(slow.count_stat, 1),
            "recent_negative_share": round(slow.recent_share, 3),
            "expected_negative_share": round(slow.expected_share, 3),
            "rising_minutes": slow.since_minutes,
            "reference": slow.method,
        }
    surge = total.surge if total is not None else None
    if surge is not None and level < 2:
        out["surge"] = {
            "window_minutes": surge.minutes,
            "observed": surge.observed,
            "expected": round(surge.expected, 1),
            "factor": round(surge.factor, 1) if math.isfinite(surge.factor) else None,
            "negative_share": round(surge.share, 3),
            "expected_negative_share": round(surge.expected_share, 3),
            "note": surge_note(surge.observed, surge.minutes, surge.expected, surge.share, surge.expected_share),
        }
    return out


def surge_note(observed: int, minutes: int, expected: float, share: float, expected_share: float) -> str:
    factor = f" ({observed / expected:.1f}x)" if expected else ""
    return (
        f"Surge: {observed} messages in {minutes} min vs {expected:.0f} expected{factor}, "
        f"negative share {share:.0%} vs {expected_share:.0%} normal: more talk, not more anger. Not a crisis."
    )


def internal_summary(found: SeriesAssessment, slow, level: int, since: float | None, rising: float | None) -> dict:
    """The staff channels' state, in aggregate only: counts and shares, never names or text."""
    ev = found.best
    parts = [f"INTERNAL {LEVELS[level].upper()}"]
    parts.append(
        f"staff channels: {ev.negative} negative of {ev.observed} in {ev.minutes} min, "
        f"{ev.share:.0%} vs {ev.expected_share:.0%} normal ({found.base.method})"
    )
    if slow is not None and slow.share_stat > 0:
        parts.append(f"slow turn {slow.share_stat:.1f} (over {slow.since_minutes} min)")
    if level and since:
        parts.append("since " + datetime.fromtimestamp(since, tz=timezone.utc).strftime("%H:%M UTC"))
    return {
        "level": LEVELS[level],
        "since": since if level else None,
        "rising_since": rising,
        "window_minutes": ev.minutes,
        "observed": ev.observed,
        "negative": ev.negative,
        "negative_share": round(ev.share, 3),
        "expected_negative_share": round(ev.expected_share, 3),
        "baseline": found.base.method,
        "summary": " · ".join(parts),
        "route": "internal comms",
    }


def _series(a: SeriesAssessment) -> dict:
    ev = a.best
    return {
        "series": a.name,
        "window_minutes": ev.minutes,
        "observed": ev.observed,
        "expected": round(ev.expected, 1),
        "factor": round(ev.factor, 1) if math.isfinite(ev.factor) else None,
        "negative_share": round(ev.share, 3),
        "expected_negative_share": round(ev.expected_share, 3),
        "baseline": a.base.method,
    }


def utc_hhmm(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, tz=timezone.utc).strftime("%H:%M UTC")


def summary(data: dict, when: Callable[[float], str] = utc_hhmm) -> str:
    """One line: level, what rose and by how much, since when, the top story.
    Stored with `when` in UTC; a page renders the same line with the viewer's
    zone by passing its own `when`."""
    parts = [data["level"].upper()]
    lead = data["rising"][0] if data["rising"] else data["total"]
    if lead:
        what = "outside sources" if lead["series"] == "total" else lead["series"]
        parts.append(
            f"{what}: {lead['observed']} messages in {lead['window_minutes']} min vs {lead['expected']:g} expected"
            + (f" ({lead['factor']:g}x)" if lead["factor"] else "")
            + f", negative {lead['negative_share']:.0%} vs {lead['expected_negative_share']:.0%}"
        )
    if data.get("impact"):
        parts.append("; ".join(p["line"] for p in data["impact"][:2]))
    if "slow change" in data.get("reasons", []):
        slow = data["slow_change"]
        parts.append(
            f"slow turn over {slow['rising_minutes']} min: negative {slow['recent_negative_share']:.0%} "
            f"vs {slow['expected_negative_share']:.0%} before"
        )
    if data.get("surge") and data["level"] == "normal":
        parts.append(data["surge"]["note"])
    if data["since"] and (data["rising"] or data.get("reasons")):
        parts.append("rising since " + when(data["since"]))
    if data.get("narratives"):
        parts.append("top story: " + story_line(data["narratives"][0], 80))
    return " · ".join(parts)
