"""Narrowcasting to Slack: every level change to the crisis team, digests to
executives (every 30 minutes while the level is above normal, daily
otherwise).

Messages use Block Kit with a plain-text fallback. Text that comes from
outside (narratives, sample posts, authors) goes into plain_text objects, so a
post can never mention @channel or inject a link into an alert. Each alert
is claimed in the store before sending (one UPDATE whose row count says
whether this runner won it, so two runners never both send it) and sent at
most once: a refusal or a connection that was never made is recorded and
retried with backoff (429 also inside slack-sdk); a 5xx, a timeout or a
crash after the request left is "outcome unknown", shown on the pages and
never sent again by itself (a person checks the channel). Failures never
stop ingestion.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from typing import Callable

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from crisis.detector import crisis_status
from crisis.levels import LEVELS
from publishing.channels import SendError, make_send_safe, slack_post
from settings.redact import error_text
from store.connection import serialize, write
from store.schema import alerts

log = logging.getLogger("crisisdesk.notify")

ICONS = {"normal": ":large_green_circle:", "watch": ":large_yellow_circle:", "crisis": ":red_circle:"}
MAX_ATTEMPTS = 6
CLAIM_S = 120.0
UNKNOWN = "outcome unknown: "
DRILL_PREFIX = "DRILL · "  # first in every alert of a drill: a forwarded one never reads as a real crisis


def drill_title(title: str, drill: bool) -> str:
    return DRILL_PREFIX + title if drill and not title.startswith("DRILL") else title


def slack_client(token: str, base_url: str, timeout_s: int = 10) -> WebClient:
    """A client for reading (monitors): retries freely. Senders make it safe
    with publishing.channels.make_send_safe, so a post is never repeated."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout_s,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=1),
        ],
    )


def _plain(text: str, limit: int = 2900) -> dict:
    return {"type": "plain_text", "text": (text or " ")[:limit], "emoji": False}


def blocks_for(
    row, on_duty: list[str] | None = None, key_accounts: list[str] | None = None, *, drill: bool = False
) -> list[dict]:
    """Block Kit for one alert or digest row (naming who is on duty in level alerts);
    a drill's alert says DRILL first, in its title and its first line."""
    data = json.loads(row.explanation or "{}")
    level = LEVELS[row.new_level]
    title = f"Digest: {level}" if row.kind == "digest" else f"Crisis level {level.upper()}"
    if row.kind == "internal":  # staff channels against their own normal; never names or quotes
        title = f"Internal {level.upper()}: staff channels"
    if row.kind == "level" and row.old_level is not None:
        title += f" (was {LEVELS[row.old_level]}, {row.reason})"
    blocks: list[dict] = [{"type": "header", "text": _plain(drill_title(title, drill), 150)}]
    if drill and not row.summary.startswith("DRILL"):  # a brief's summary already says it
        from crisis.brief import DRILL_MARK

        blocks.append({"type": "section", "text": _plain(DRILL_MARK)})
    blocks.append({"type": "section", "text": _plain(row.summary)})
    if row.who:
        blocks.append({"type": "context", "elements": [_plain(f"By {row.who}: {row.why or ''}", 300)]})
    if row.kind == "level" and on_duty:
        blocks.append({"type": "context", "elements": [_plain("On duty: " + ", ".join(on_duty), 300)]})
    if row.kind == "level" and key_accounts:
        blocks.append(
            {"type": "section", "text": _plain("Key accounts mentioned in the last hour: " + ", ".join(key_accounts))}
        )
    fields = []
    for item in data.get("rising", [])[:4]:
        factor = f" ({item['factor']}x)" if item.get("factor") else ""
        fields.append(
            _plain(
                f"{item['series']}: {item['observed']} in {item['window_minutes']} min vs {item['expected']} "
                f"expected{factor}; negative {item['negative_share']:.0%} vs {item['expected_negative_share']:.0%}",
                300,
            )
        )
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if data.get("narratives"):
        lines = [
            f"{i}. {story['text'][:200]} ({story['posts']} posts, {story['negative_share']:.0%} negative, "
            f"{story['reach']:,} reach, {story['growth']})"
            for i, story in enumerate(data["narratives"][:3], 1)
        ]
        blocks.append({"type": "section", "text": _plain("What people are saying:\n" + "\n".join(lines), 1500)})
    if data.get("top_authors"):
        authors = ", ".join(f"{a['author']} ({a['source']}, {a['reach']:,} reach)" for a in data["top_authors"])
        blocks.append({"type": "section", "text": _plain("Top authors by reach: " + authors)})
    for sample in data.get("samples", [])[:3]:
        blocks.append(
            {"type": "section", "text": _plain(f"{sample['source']} · {sample['author']}: {sample['text']}", 600)}
        )
    proposal = data.get("hold_proposal") or []
    if proposal:
        lines = [
            f"{datetime.fromtimestamp(item['scheduled_at'], tz=timezone.utc):%a %H:%M UTC} · {item['channel']}: "
            f"{item['text'][:120]}"
            for item in proposal[:10]
        ]
        blocks.append(
            {
                "type": "section",
                "text": _plain(
                    f"Proposed for hold: {len(proposal)} scheduled post(s) due in the next 24 h. Accept on the "
                    "Scheduled posts page.\n" + "\n".join(lines),
                    2900,
                ),
            }
        )
    for line in data.get("digest", []):
        blocks.append({"type": "section", "text": _plain(line, 600)})
    return blocks


def fallback_text(row, *, drill: bool = False) -> str:
    return f"{ICONS.get(LEVELS[row.new_level], '')} {drill_title(row.summary, drill)}"[:3000]


class SlackNotifier:
    def __init__(
        self,
        db: sa.Engine,
        client: WebClient | None,
        channels: dict[str, str],
        *,
        clock: Callable[[], float] = time.time,
        digest_active_s: float = 1800,
        digest_calm_s: float = 86400,
        drill: bool = False,
    ) -> None:
        # No client: a queue only (digests for the [delivery] routes when Slack is not set up).
        self.client = make_send_safe(client) if client is not None else None
        self.db, self.channels, self.clock = db, channels, clock
        self.digest_active_s, self.digest_calm_s = digest_active_s, digest_calm_s
        self.drill = drill  # a drill's alerts say DRILL first

    def send_pending(self, limit: int = 20) -> int:
        """Send alerts not yet delivered; returns how many went out."""
        if self.client is None:
            return 0  # a queue only: the [delivery] routes send what it queues
        now = self.clock()
        self._mark_stale_claims(now)
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(alerts)
                .where(
                    alerts.c.notified_at.is_(None),
                    alerts.c.notify_claimed_at.is_(None),
                    alerts.c.suppressed.is_(False),
                    alerts.c.notify_attempts < MAX_ATTEMPTS,
                    sa.or_(alerts.c.notify_next_at.is_(None), alerts.c.notify_next_at <= now),
                )
                .order_by(alerts.c.id)
                .limit(limit)
            ).all()
        from incidents.key_accounts import recent_hits
        from incidents.team import on_duty

        duty = on_duty(self.db) if rows else []
        accounts = (
            [f"{r.account} ({r.mentions}, owner {r.owner})" for r in recent_hits(self.db, now - 3600).itertuples()]
            if rows
            else []
        )
        sent = 0
        for row in rows:
            channel = self.channels.get(row.audience)
            if not channel or not self._claim(row.id, now):
                continue
            try:
                slack_post(
                    self.client,
                    channel=channel,
                    text=fallback_text(row, drill=self.drill),
                    blocks=blocks_for(row, duty, accounts, drill=self.drill),
                )
            except SendError as exc:
                self._failed(row, exc)
                continue
            with write(self.db) as conn:
                conn.execute(
                    alerts.update()
                    .where(alerts.c.id == row.id)
                    .values(notified_at=self.clock(), notify_attempts=alerts.c.notify_attempts + 1, notify_error=None)
                )
            sent += 1
        return sent

    def _claim(self, alert_id: int, now: float) -> bool:
        """One UPDATE: on PostgreSQL a second claimer waits for the first and
        then finds the row claimed (row count 0); on SQLite writers queue."""
        with write(self.db) as conn:
            return (
                conn.execute(
                    alerts.update()
                    .where(
                        alerts.c.id == alert_id,
                        alerts.c.notified_at.is_(None),
                        alerts.c.notify_claimed_at.is_(None),
                        sa.or_(alerts.c.notify_next_at.is_(None), alerts.c.notify_next_at <= now),
                    )
                    .values(notify_claimed_at=now)
                ).rowcount
                == 1
            )

    def _mark_stale_claims(self, now: float) -> None:
        """A claim with no result after CLAIM_S: the runner stopped while sending."""
        with write(self.db) as conn:
            conn.execute(
                alerts.update()
                .where(
                    alerts.c.notified_at.is_(None),
                    alerts.c.notify_claimed_at < now - CLAIM_S,
                    alerts.c.notify_error.is_(None),
                )
                .values(notify_error=UNKNOWN + "the runner stopped while sending; check the channel")
            )

    def _failed(self, row, exc: SendError) -> None:
        attempts = row.notify_attempts + 1
        reason = error_text(exc)
        values: dict = {"notify_attempts": attempts}
        if exc.unknown:
            # Slack may have posted it: the claim stays, so it is never sent again by itself.
            values["notify_error"] = f"{UNKNOWN}{reason}; check the channel"
        else:
            values.update(notify_error=reason, notify_claimed_at=None, notify_next_at=self.clock() + 30 * 2**attempts)
        log.warning("alert %s to %s failed (attempt %d): %s", row.id, row.audience, attempts, values["notify_error"])
        with write(self.db) as conn:
            conn.execute(alerts.update().where(alerts.c.id == row.id).values(**values))

    def queue_digest(self) -> bool:
        """Add an executives' digest when one is due; True if one was queued."""
        if "executives" not in self.channels:
            return False
        now = self.clock()
        status = crisis_status(self.db)
        every = self.digest_active_s if status["level"] != "normal" else self.digest_calm_s
        with self.db.connect() as conn:
            last = conn.execute(sa.select(sa.func.max(alerts.c.at)).where(alerts.c.kind == "digest")).scalar()
            changes = conn.execute(
                sa.select(sa.func.count()).where(alerts.c.kind == "level", alerts.c.at >= now - every)
            ).scalar()
        if last is not None and now - last < every:
            return False
        from crisis.brief import build_brief

        data = dict(status["explanation"] or {})
        brief = build_brief(self.db, now, "UTC")
        # Level, trend, volume and negative share vs normal, narratives, what the team did.
        lines = [f"{label}: {value}" for label, value in brief.rows()]
        lines.insert(1, f"Level changes in this period: {changes}")
        data["digest"] = lines
        with write(self.db) as conn:
            # Two runners may both have found a digest due: the first to take
            # the lock queues it, the second sees it and queues none.
            serialize(conn, "crisisdesk.digest")
            last = conn.execute(sa.select(sa.func.max(alerts.c.at)).where(alerts.c.kind == "digest")).scalar()
            if last is not None and now - last < every:
                return False
            conn.execute(
                alerts.insert().values(
                    at=now,
                    kind="digest",
                    audience="executives",
                    old_level=None,
                    new_level=LEVELS.index(status["level"]),
                    reason="digest",
                    suppressed=False,
                    summary=status["summary"],
                    explanation=json.dumps(data),
                )
            )
        return True
