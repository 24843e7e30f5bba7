"""Everything one wall refresh reads, in one call: the page renders it, and
bench/pages.py times it. All reads are bucketed (rollups) or limited."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from crisis.detector import crisis_status
from crisis.narrative_store import top_narratives
from delivery.problems import failures as delivery_failures
from incidents import faq
from publishing import pause
from settings.registry import internal_sources
from store import queries


@dataclass(frozen=True)
class WallSnapshot:
    now: int
    status: dict
    notify_failures: list[str]
    volume: pd.DataFrame  # per minute and label, the window
    health: pd.DataFrame
    last_success_at: float | None
    staff_day: tuple[int, int]  # negative, all: internal channels, 24 h
    staff_week: tuple[int, int]
    posts: dict[str, int]
    paused: bool
    top_negative: pd.DataFrame
    latest: pd.DataFrame
    by_source: pd.DataFrame
    alerts: list
    faq: dict | None  # the active incident's FAQ at a glance, or None
    narratives: list[dict]  # the top stories, last 3 h (crisis/narrative_store.py)


def wall_snapshot(
    db: sa.Engine,
    now: int,
    *,
    window_s: int,
    top_n: int,
    latest_n: int,
    internal_source: str | tuple[str, ...] | None = None,
    own_accounts: tuple[str, ...] = (),
) -> WallSnapshot:
    since = now - window_s
    internal_source = internal_sources() if internal_source is None else internal_source
    return WallSnapshot(
        now=now,
        status=crisis_status(db),
        notify_failures=delivery_failures(db, 10),
        volume=queries.volume_by_minute(db, since, now + 1),
        health=queries.source_health(db),
        last_success_at=queries.last_success_at(db),
        staff_day=queries.share_of(db, now - 86400, now + 1, source=internal_source),
        staff_week=queries.share_of(db, now - 7 * 86400, now + 1, source=internal_source),
        posts=queries.posts_by_status(db),
        paused=pause.state(db).paused,
        top_negative=queries.top_negative(db, now - 3600, now + 1, top_n, own_accounts=own_accounts),
        latest=queries.latest_messages(db, latest_n),
        by_source=queries.volume_by_source(db, since, now + 1),
        alerts=queries.recent_alerts(db, 5),
        faq=faq.status_line(db),
        narratives=top_narratives(db, now, limit=3),
    )
