"""Impact, not just counts: who is saying it.

A negative post is high-impact when its author reaches far more people
than the brand's usual conversation on that source (at least
`REACH_MULTIPLE` times a typical message's reach, twice the widest reach
the source had in the last day, and never under `HIGH_REACH_MIN`
followers), when it is a news outlet's clearly negative headline, or when
the author is a key account. One such post
raises WATCH on its own, at any hour, however quiet the night; three from
different authors with a negative turn is a crisis.
"""

from __future__ import annotations

import sqlalchemy as sa

from settings.registry import internal_sources
from store.schema import key_account_hits, messages

HIGH_REACH_MIN = 50_000
REACH_MULTIPLE = 100
NEWS_SOURCES = ("news",)
NEWS_REACH_MIN = 10_000  # a news outlet counts from this audience up ...
NEWS_SCORE_MAX = -0.5  # ... when the headline is clearly negative (a price cut is not a crisis)
TOP_MULTIPLE = 2  # a source's usual widest reach, times this
CRISIS_AUTHORS = 3


def reach_threshold(typical_reach: float, usual_top: float = 0.0) -> int:
    return int(max(HIGH_REACH_MIN, REACH_MULTIPLE * typical_reach, TOP_MULTIPLE * usual_top))


def _followers(n: int) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n / 1e3:.0f}k" if n >= 1e3 else str(n)


def high_impact(
    db: sa.Engine,
    since: float,
    until: float,
    typical_reach: float,
    usual_top: dict[str, float] | None = None,
    limit: int = 20,
) -> list[dict]:
    """Negative outside posts in [since, until) that count on their own, widest reach first.
    usual_top: per source, the widest reach of a minute in the last day (the source's usual big voices)."""
    m = messages.c
    usual_top = usual_top or {}
    default = reach_threshold(typical_reach)
    by_source = {s: reach_threshold(typical_reach, top) for s, top in usual_top.items()}
    wide = sa.or_(
        sa.and_(m.source.not_in(list(by_source)), m.reach >= default),
        *[sa.and_(m.source == s, m.reach >= t) for s, t in by_source.items()],
    )
    key_author = sa.select(key_account_hits.c.message_id).where(key_account_hits.c.matched == "handle")
    label = sa.func.coalesce(m.label_override, m.label)
    clearly = sa.or_(m.label_override == "negative", m.score <= NEWS_SCORE_MAX)
    stmt = (
        sa.select(m.id, m.author, m.source, m.reach, m.created_at, m.text, m.id.in_(key_author).label("key"))
        .where(
            m.created_at >= int(since),
            m.created_at < int(until),
            label == "negative",
            m.source.not_in(internal_sources()),
            sa.or_(
                sa.and_(m.source.not_in(NEWS_SOURCES), wide),
                sa.and_(m.source.in_(NEWS_SOURCES), m.reach >= NEWS_REACH_MIN, clearly),
                m.id.in_(key_author),
            ),
        )
        .order_by(m.reach.desc())
        .limit(limit)
    )
    with db.connect() as conn:
        rows = conn.execute(stmt).all()
    out = []
    for row in rows:
        why = "key account" if row.key else "news outlet" if row.source in NEWS_SOURCES else "high reach"
        out.append(
            {
                "author": row.author,
                "source": row.source,
                "reach": int(row.reach),
                "at": int(row.created_at),
                "why": why,
                "line": f"{row.author or row.source}, {_followers(int(row.reach))} followers, negative"
                + ("" if why == "high reach" else f" ({why})"),
                "text": row.text[:280],
            }
        )
    return out


def distinct_authors(posts: list[dict]) -> int:
    return len({p["author"] or p["source"] for p in posts})
