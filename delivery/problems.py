"""Are alerts getting through? One answer for every page that must say so
(Crisis level, Sources, the wall's status mark): the routes that cannot send
because a setting or secret is missing, and the latest failed sends of both
senders ([notify]'s Slack notifier and the [delivery] router), newest first,
in one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from store.schema import alerts, deliveries

WORDS = {"failed": "gave up", "unknown": "outcome unknown", "pending": "retrying"}


@dataclass
class DeliveryProblems:
    not_configured: list[str] = field(default_factory=list)  # "what: set WHICH SETTING"
    failures: list[str] = field(default_factory=list)  # the latest failed or retried sends, newest first
    nowhere: bool = False  # no alert route at all: alerts show on the pages only

    @property
    def any(self) -> bool:
        return bool(self.not_configured or self.failures or self.nowhere)


def failures(db: sa.Engine, limit: int = 10) -> list[str]:
    """Sends that failed or are being retried after an error, of the Slack
    notifier (alerts) and the router (deliveries), newest first."""
    a, d = alerts.c, deliveries.c
    slack = sa.select(
        a.at.label("at"),
        a.audience.label("audience"),
        sa.literal("slack ([notify])").label("channel"),
        sa.literal("notify").label("status"),
        a.notify_attempts.label("attempts"),
        a.notify_error.label("error"),
    ).where(a.notified_at.is_(None), a.notify_error.is_not(None))
    routed = sa.select(
        d.created_at.label("at"),
        d.audience.label("audience"),
        d.channel.label("channel"),
        d.status.label("status"),
        d.attempts.label("attempts"),
        d.last_error.label("error"),
    ).where(sa.or_(d.status.in_(("failed", "unknown")), sa.and_(d.status == "pending", d.last_error.is_not(None))))
    both = sa.union_all(slack, routed).subquery()
    with db.connect() as conn:
        rows = conn.execute(sa.select(both).order_by(both.c.at.desc()).limit(limit)).all()
    return [
        f"{r.audience} → {r.channel}: {r.error} ("
        + (
            f"attempt {r.attempts}"
            if r.status == "notify"
            else f"{WORDS.get(r.status, r.status)}, attempt {r.attempts}"
        )
        + ")"
        for r in rows
    ]


def missing_settings(settings, secret=None, resolve=None) -> tuple[list[str], bool]:
    """(what cannot send and which setting it needs, whether no route exists at all)."""
    if secret is None:
        from settings.secrets import secret
    notify = settings.notify
    slack_channels = [
        c for c in (notify.crisis_team_channel, notify.executives_channel, notify.internal_comms_channel) if c
    ]
    missing: list[str] = []
    if notify.enabled and slack_channels and not secret("SLACK_BOT_TOKEN", "slack", "bot_token"):
        missing.append("Slack alerts ([notify]): set SLACK_BOT_TOKEN or [slack] bot_token")
    cfg = settings.delivery
    entries = sorted({e for es in cfg.routes.values() for e in es}) if cfg.enabled else []
    if entries:
        if resolve is None:
            from delivery.setup import resolver

            resolve = resolver(settings)
        from delivery.setup import Missing

        for entry in entries:
            try:
                channel, _ = resolve(entry)
            except Exception as exc:  # a route the resolver refuses: say which and why
                missing.append(f"{entry}: {exc}")
                continue
            if isinstance(channel, Missing):
                missing.append(f"{channel.name}: set {channel.what}")
    nowhere = not (notify.enabled and slack_channels) and not entries
    return missing, nowhere


def delivery_problems(settings, db: sa.Engine, limit: int = 10, secret=None) -> DeliveryProblems:
    missing, nowhere = missing_settings(settings, secret)
    return DeliveryProblems(not_configured=missing, failures=failures(db, limit), nowhere=nowhere)
