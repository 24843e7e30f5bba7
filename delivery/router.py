"""The routing table at work: every new alert becomes one delivery per channel
of each audience it is for ([delivery.routes]); each delivery is claimed,
sent, recorded, and retried with backoff (retry_base_s * 2^(attempt-1), at
most max_attempts). Level changes are for crisis_team and internal_comms
(and on_duty, paged by delivery.escalation); digests and briefs for
executives.

A delivery is sent at most once: it is claimed ("sending") before the send,
and one whose runner stopped mid-send becomes "unknown" (it may have
arrived), never sent again. Failures are kept with their reason for the
Sources page and the wall.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import sqlalchemy as sa

from delivery.channels import DeliveryFailed
from delivery.content import AlertContent
from settings.redact import redact
from store.connection import write
from store.schema import alerts, deliveries

log = logging.getLogger("crisisdesk.delivery")

# Briefs go to their own channels ([delivery.briefs] channels): delivery.briefs plans them.
AUDIENCES = {"level": ("crisis_team", "internal_comms"), "digest": ("executives",)}
PLAN_WINDOW_S = 3600.0  # alerts older than this when first seen are not sent (no flood after a restart)
CLAIM_S = 120.0
MAX_BACKOFF_S = 3600.0
d = deliveries.c


class Router:
    def __init__(
        self,
        db: sa.Engine,
        routes: dict[str, list[str]],
        resolve: Callable[[str], tuple[object, list[str]]],
        *,
        clock: Callable[[], float] = time.time,
        max_attempts: int = 6,
        retry_base_s: float = 30.0,
        ack_link: Callable[[int, int], str] | None = None,
        drill: bool = False,
    ) -> None:
        """`resolve(entry)` gives the channel object for a route entry and its fixed
        addresses (e-mail); it raises DeliveryFailed when a secret is missing."""
        self.db, self.routes, self.resolve, self.clock = db, routes, resolve, clock
        self.max_attempts, self.retry_base_s, self.ack_link = max_attempts, retry_base_s, ack_link
        self._channels: dict[str, tuple[object, list[str]]] = {}
        self.drill = drill  # a drill's alerts say DRILL first, on every channel

    # --- planning ---

    def plan(self) -> int:
        """One delivery row per (new alert, audience, channel); returns how many were added."""
        now = self.clock()
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(alerts.c.id, alerts.c.kind)
                .where(alerts.c.at >= now - PLAN_WINDOW_S, alerts.c.suppressed.is_(False))
                .order_by(alerts.c.id)
            ).all()
            if not rows:
                return 0
            have = {
                (r.alert_id, r.audience, r.channel)
                for r in conn.execute(
                    sa.select(d.alert_id, d.audience, d.channel).where(d.alert_id.in_([r.id for r in rows]))
                )
            }
        wanted = [
            {"alert_id": row.id, "audience": audience, "channel": entry, "recipient": "", "created_at": now}
            for row in rows
            for audience in AUDIENCES.get(row.kind, ())
            for entry in self.routes.get(audience, [])
            if (row.id, audience, entry) not in have
        ]
        return add_deliveries(self.db, wanted)

    # --- sending ---

    def send_due(self, limit: int = 50) -> int:
        """Send what is due; returns how many went out."""
        now = self.clock()
        with write(self.db) as conn:  # a runner that stopped mid-send: it may have arrived, so never again
            conn.execute(
                deliveries.update()
                .where(d.status == "sending", d.next_at < now)
                .values(status="unknown", last_error="outcome unknown: the runner stopped while sending; check there")
            )
        with self.db.connect() as conn:
            due = conn.execute(
                sa.select(deliveries)
                .where(d.status == "pending", sa.or_(d.next_at.is_(None), d.next_at <= now))
                .order_by(d.id)
                .limit(limit)
            ).all()
        sent = 0
        context: dict[int, tuple] = {}
        for row in due:
            if not self._claim(row.id, now):
                continue
            try:
                self._send(row, context)
            except DeliveryFailed as exc:
                self._failed(row, exc)
                continue
            except Exception as exc:  # a bug must not stop the others; kept as a failure with its reason
                log.exception("delivery %s failed unexpectedly", row.id)
                self._failed(row, DeliveryFailed(redact(f"{exc.__class__.__name__}: {exc}")))
                continue
            with write(self.db) as conn:
                conn.execute(
                    deliveries.update()
                    .where(d.id == row.id)
                    .values(status="sent", sent_at=self.clock(), attempts=d.attempts + 1, last_error=None)
                )
            sent += 1
        return sent

    def _claim(self, delivery_id: int, now: float) -> bool:
        with write(self.db) as conn:
            return bool(
                conn.execute(
                    deliveries.update()
                    .where(d.id == delivery_id, d.status == "pending")
                    .values(status="sending", next_at=now + CLAIM_S)
                ).rowcount
            )

    def _send(self, row, context: dict) -> None:
        if row.alert_id not in context:
            context[row.alert_id] = _alert_context(self.db, row.alert_id)
        alert, duty, accounts = context[row.alert_id]
        channel, addresses = self._channel(row.channel)
        content = AlertContent.from_alert(alert, duty, accounts, drill=self.drill)
        to = list(addresses)
        if row.recipient:  # a page to one person on duty: named, with their acknowledge link
            from delivery.escalation import member

            person = member(self.db, int(row.recipient.removeprefix("member:")))
            content.paged = person.name if person else row.recipient
            if self.ack_link and person:
                content.ack_url = self.ack_link(row.alert_id, person.id)
            if "on-duty" in to:
                to.remove("on-duty")
                if person and "@" in (person.contact or ""):
                    to.append(person.contact.strip())
                elif not to:
                    raise DeliveryFailed(
                        f"{content.paged} has no e-mail address as contact on the Team page", retry=False
                    )
        if hasattr(channel, "channel") and hasattr(channel, "client"):  # Slack: the same blocks as [notify]
            channel.send(content, to, row=alert, duty=duty, accounts=accounts, drill=self.drill)
        else:
            channel.send(content, to)

    def _channel(self, entry: str):
        if entry not in self._channels:
            self._channels[entry] = self.resolve(entry)
        return self._channels[entry]

    def _failed(self, row, exc: DeliveryFailed) -> None:
        attempts = row.attempts + 1
        give_up = not exc.retry or attempts >= self.max_attempts
        wait = exc.after_s if exc.after_s else min(MAX_BACKOFF_S, self.retry_base_s * 2 ** (attempts - 1))
        reason = redact(exc.reason)
        log.warning("delivery of alert %s to %s failed (attempt %d): %s", row.alert_id, row.channel, attempts, reason)
        with write(self.db) as conn:
            conn.execute(
                deliveries.update()
                .where(d.id == row.id)
                .values(
                    status="failed" if give_up else "pending",
                    attempts=attempts,
                    last_error=reason,
                    next_at=None if give_up else self.clock() + wait,
                )
            )

    def run_once(self) -> int:
        self.plan()
        return self.send_due()


def add_deliveries(db: sa.Engine, rows: list[dict]) -> int:
    added = 0
    for values in rows:
        try:
            with write(db) as conn:
                conn.execute(deliveries.insert().values(**values))
            added += 1
        except sa.exc.IntegrityError:  # another runner planned it first
            continue
    return added


def _alert_context(db: sa.Engine, alert_id: int):
    from incidents.key_accounts import recent_hits
    from incidents.team import on_duty

    with db.connect() as conn:
        alert = conn.execute(sa.select(alerts).where(alerts.c.id == alert_id)).one()
    accounts = [f"{r.account} ({r.mentions}, owner {r.owner})" for r in recent_hits(db, alert.at - 3600).itertuples()]
    return alert, on_duty(db), accounts
