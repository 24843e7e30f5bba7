"""The publisher: sends due posts, obeying the pause switch and holds, and
sending each post at most once.

One cycle:
1. In one write transaction: read the pause switch (and resume it if its
   automatic resume time has come); if paused, stop. Posts whose time
   passed more than `max_lateness_s` ago (the runner was down) become
   overdue. Posts left "publishing" by a publisher that died become failed
   with "outcome unknown". Then the due posts are claimed: marked
   "publishing" before anything is sent; with the automatic hold on
   ([publishing] auto_hold_in_crisis) and the level at CRISIS, the due posts
   are held instead, each saying why, except those a person released or
   changed since the crisis began (publish now, resume, edit, a new post).
   Because the claim re-reads the switch and each post's status in the same
   transaction, a pause or a hold that commits first always wins, even a
   second before the post is due.
2. Each claimed post is sent, then marked published (with the network's
   id) or failed (with the reason). A crash between the two leaves it
   "publishing", which the next cycle turns into a failure to check by
   hand, never into a second send.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from publishing.channels import Channel, SendError, full_text
from publishing.pause import ensure_switch, resume_in, state
from settings.redact import error_text
from store.audit import record
from store.connection import write
from store.schema import crisis_state
from store.schema import scheduled_posts as sp

log = logging.getLogger("crisisdesk.publisher")
STALE_CLAIM_S = 300.0
CRISIS = 2  # crisis.levels.LEVELS.index("crisis")


@dataclass(frozen=True)
class Published:
    post_id: int
    status: str  # published / failed
    detail: str


class Publisher:
    def __init__(
        self,
        db: sa.Engine,
        channels: dict[str, Channel],
        owner: str,
        *,
        clock: Callable[[], float] = time.time,
        max_lateness_s: float = 600.0,
        batch: int = 20,
        auto_hold: bool = False,
        zone: ZoneInfo = ZoneInfo("UTC"),
    ) -> None:
        self.db, self.channels, self.owner, self.clock = db, channels, owner, clock
        self.max_lateness_s, self.batch = max_lateness_s, batch
        self.auto_hold, self.zone = auto_hold, zone  # hold posts due while the level is CRISIS; times in `zone`

    def claim(self) -> list:
        """Mark due posts "publishing" for this owner and return only the rows
        this call changed. Atomic on both stores: SQLite's write transaction
        takes the database lock up front (BEGIN IMMEDIATE); on PostgreSQL the
        switch row is locked (a pause, which updates it, waits for this claim
        or is seen by it), due rows are selected FOR UPDATE SKIP LOCKED (a
        hold in flight keeps its row), and the UPDATE re-checks the status and
        returns the rows it changed, so two loops never both claim a post."""
        now = self.clock()
        with write(self.db) as conn:
            ensure_switch(conn)
            switch = state(conn, lock=True)
            if switch.paused:
                if switch.resume_at is None or switch.resume_at > now:
                    return []
                resume_in(conn, "automatic resume", f"resume time set by {switch.by}", now)
            self._tidy(conn, now)
            if self.auto_hold:
                self._hold_in_crisis(conn, now)  # what is left due was released by a person during the crisis
            due = (
                sa.select(sp.c.id)
                .where(sp.c.status == "scheduled", sp.c.scheduled_at <= now)
                .order_by(sp.c.scheduled_at, sp.c.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            )
            ids = conn.execute(due).scalars().all()
            if not ids:
                return []
            claimed = conn.execute(
                sp.update()
                .where(sp.c.id.in_(ids), sp.c.status == "scheduled", sp.c.scheduled_at <= now)
                .values(status="publishing", claimed_by=self.owner, updated_at=now)
                .returning(*sp.c)
            ).all()
        return sorted(claimed, key=lambda post: (post.scheduled_at, post.id))

    def _hold_in_crisis(self, conn: sa.Connection, now: float) -> None:
        """While the level is CRISIS: hold every due post that no person released since it began, saying why."""
        raw = conn.execute(sa.select(crisis_state.c.state).where(crisis_state.c.id == 1)).scalar()
        state = json.loads(raw) if raw else {}
        if state.get("level", 0) < CRISIS:
            return
        since = state.get("since")
        when = datetime.fromtimestamp(since, tz=timezone.utc).astimezone(self.zone) if since else None
        reason = "held automatically: CRISIS" + (f" since {when:%H:%M} {when.tzname()}" if when else "")
        # A post a person released or changed since the CRISIS began (publish now, resume, edit, a
        # new post: the statement, say) was decided with the crisis in view: it goes out.
        # SKIP LOCKED, as the claim: a person's action in flight keeps its row (the next cycle sees it).
        due = (
            sa.select(sp.c.id)
            .where(sp.c.status == "scheduled", sp.c.scheduled_at <= now, sp.c.updated_at < (since or now))
            .order_by(sp.c.id)
            .with_for_update(skip_locked=True)
        )
        ids = conn.execute(due).scalars().all()
        held = (
            conn.execute(
                sp.update()
                .where(sp.c.id.in_(ids), sp.c.status == "scheduled")
                .values(status="held", status_reason=reason, updated_at=now)
                .returning(sp.c.id)
            )
            .scalars()
            .all()
            if ids
            else []
        )
        for post_id in held:
            record(conn, "publisher", "post.hold", now, f"post:{post_id}", reason, old="scheduled", new="held")
        if held:
            log.warning("%d due post(s) %s", len(held), reason)

    def _tidy(self, conn: sa.Connection, now: float) -> None:
        late = conn.execute(
            sp.update()
            .where(sp.c.status == "scheduled", sp.c.scheduled_at < now - self.max_lateness_s)
            .values(status="overdue", status_reason="its time passed while publishing was not running", updated_at=now)
        ).rowcount
        stale = conn.execute(
            sp.update()
            .where(sp.c.status == "publishing", sp.c.updated_at < now - STALE_CLAIM_S)
            .values(
                status="failed",
                status_reason="outcome unknown: the publisher stopped while sending; check the channel before "
                "publishing again",
                updated_at=now,
            )
        ).rowcount
        if late or stale:
            record(conn, "publisher", "publishing.tidy", now, "", overdue=late, outcome_unknown=stale)

    def run_once(self) -> list[Published]:
        results = []
        for post in self.claim():
            channel = self.channels.get(post.channel)
            try:
                if channel is None:
                    raise SendError(f"no {post.channel} channel is configured")
                external_id = channel.send(full_text(post.text, post.link), post.target)
            except SendError as exc:
                detail = error_text(exc)
                if exc.unknown:
                    # The network may have published it: never sent again by
                    # itself; a person checks the channel first.
                    detail = f"outcome unknown: {detail}; check the channel before publishing again"
                results.append(self._finish(post.id, "failed", detail, None))
                continue
            results.append(self._finish(post.id, "published", external_id, external_id))
        return results

    def _finish(self, post_id: int, status: str, detail: str, external_id: str | None) -> Published:
        now = self.clock()
        with write(self.db) as conn:
            conn.execute(
                sp.update()
                .where(sp.c.id == post_id, sp.c.status == "publishing", sp.c.claimed_by == self.owner)
                .values(
                    status=status,
                    status_reason="" if status == "published" else detail,
                    external_id=external_id,
                    published_at=now if status == "published" else None,
                    updated_at=now,
                )
            )
            record(conn, "publisher", f"post.{status}", now, f"post:{post_id}", "" if status == "published" else detail)
        (log.info if status == "published" else log.warning)("post %s %s: %s", post_id, status, detail)
        return Published(post_id, status, detail)
