"""The executive brief (crisis.brief) sent at set times while the level is
above normal ([delivery.briefs] times, in [app] timezone), to its own
channels (e-mail, Teams, webhooks, Slack), besides the executives' digest.

Each brief is an alerts row of kind "brief" (its lines the brief's rows,
its deliveries recorded and retried like any alert's); [notify]'s Slack
notifier leaves it alone. A slot missed while no runner ran is sent up to
`grace_s` late, never twice.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crisis.notify import MAX_ATTEMPTS
from store.connection import write
from store.schema import alerts

GRACE_S = 1800.0


def latest_slot(times: list[str], zone: ZoneInfo, now: float) -> float | None:
    """The most recent scheduled time at or before `now` (epoch s), today or yesterday."""
    local = datetime.fromtimestamp(now, tz=zone)
    slots = []
    for day in (local.date() - timedelta(days=1), local.date()):
        for hhmm in times:
            hour, minute = map(int, hhmm.split(":"))
            slots.append(datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).timestamp())
    due = [s for s in slots if s <= now]
    return max(due) if due else None


class BriefSchedule:
    def __init__(
        self,
        db: sa.Engine,
        times: list[str],
        channels: list[str],
        zone: ZoneInfo,
        *,
        clock: Callable[[], float] = time.time,
        grace_s: float = GRACE_S,
        drill: bool = False,
    ) -> None:
        self.drill = drill  # a drill's brief says DRILL first, wherever it is sent
        self.db, self.times, self.channels, self.zone, self.clock, self.grace_s = (
            db,
            times,
            channels,
            zone,
            clock,
            grace_s,
        )

    def run_once(self) -> bool:
        """Queue the brief when a slot is due during a crisis; True if one was queued."""
        from crisis.brief import build_brief
        from crisis.detector import crisis_status
        from crisis.levels import LEVELS
        from delivery.router import add_deliveries

        now = self.clock()
        slot = latest_slot(self.times, self.zone, now)
        if slot is None or now - slot > self.grace_s:
            return False
        status = crisis_status(self.db)
        if status["level"] == "normal":
            return False
        with self.db.connect() as conn:
            done = conn.execute(
                sa.select(sa.func.count()).where(alerts.c.kind == "brief", alerts.c.at >= slot)
            ).scalar()
        if done:
            return False
        brief = build_brief(self.db, now, str(self.zone), drill=self.drill)
        label = datetime.fromtimestamp(slot, tz=self.zone).strftime("%H:%M")
        with write(self.db) as conn:
            alert_id = conn.execute(
                alerts.insert()
                .values(
                    at=now,
                    kind="brief",
                    audience="executives",
                    old_level=None,
                    new_level=LEVELS.index(status["level"]),
                    reason=f"brief {label}",
                    suppressed=False,
                    summary=(f"{brief.drill_line}: " if self.drill else "") + brief.headline,
                    explanation=json.dumps(
                        {
                            "digest": [
                                *([brief.drill_line] if self.drill else []),
                                *(f"{k}: {v}" for k, v in brief.rows()),
                            ]
                        }
                    ),
                    notify_attempts=MAX_ATTEMPTS,  # not for [notify]'s Slack notifier: its deliveries are below
                )
                .returning(alerts.c.id)
            ).scalar_one()
        add_deliveries(
            self.db,
            [
                {"alert_id": alert_id, "audience": "executives", "channel": c, "recipient": "", "created_at": now}
                for c in self.channels
            ],
        )
        return True
