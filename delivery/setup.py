"""From settings to a running delivery: channels with their secrets, the
router, the on-duty escalation and the scheduled briefs, run once per runner
cycle (worker.runner calls `run_once`)."""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Callable

import sqlalchemy as sa

from delivery.channels import DeliveryFailed, Email, SignedWebhook, SlackRoute, TeamsWebhook
from delivery.router import Router

log = logging.getLogger("crisisdesk.delivery")


class Missing:
    """A channel whose secret is not set: every send fails with what to set (never retried)."""

    def __init__(self, name: str, what: str) -> None:
        self.name, self.what = name, what

    def send(self, content, to=None) -> None:
        raise DeliveryFailed(f"{self.name} is not configured: set {self.what}", retry=False)


def _env(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", name.upper())


def resolver(settings, secret=None, secret_table=None, slack_client=None) -> Callable[[str], tuple[object, list[str]]]:
    if secret is None or secret_table is None:
        from settings import secrets as stored

        secret, secret_table = secret or stored.secret, secret_table or stored.secret_table

    def resolve(entry: str):
        kind, _, name = entry.partition(":")
        if kind == "teams":
            env = f"TEAMS_WEBHOOK_{_env(name)}"
            url = secret(env, "teams_webhook", name)
            return (
                TeamsWebhook(name, url) if url else Missing(f"Teams webhook {name}", f"{env} or [teams_webhook] {name}")
            ), []
        if kind == "webhook":
            table = secret_table("webhook", name)
            url = os.environ.get(f"WEBHOOK_{_env(name)}_URL") or table.get("url")
            key = os.environ.get(f"WEBHOOK_{_env(name)}_KEY") or table.get("hmac_key")
            if not url or not key:
                what = f"WEBHOOK_{_env(name)}_URL and WEBHOOK_{_env(name)}_KEY, or [webhook.{name}] url and hmac_key"
                return Missing(f"webhook {name}", what), []
            return SignedWebhook(name, str(url), str(key)), []
        if kind == "email":
            smtp = settings.delivery.smtp
            password = secret("SMTP_PASSWORD", "smtp", "password") or ""
            if smtp.username and not password:
                return Missing(f"e-mail via {smtp.host}", "SMTP_PASSWORD or [smtp] password"), []
            channel = Email(
                smtp.host,
                smtp.port,
                smtp.sender,
                security=smtp.security,
                username=smtp.username,
                password=password,
                timeout_s=smtp.timeout_s,
            )
            return channel, [a.strip() for a in name.split(",") if a.strip()]
        if kind == "slack":
            token = secret("SLACK_BOT_TOKEN", "slack", "bot_token")
            if not token:
                return Missing(f"Slack {name}", "SLACK_BOT_TOKEN or [slack] bot_token"), []
            if slack_client is None:
                from crisis.notify import slack_client as make
            else:
                make = slack_client
            return SlackRoute(name, make(token, settings.notify.slack_base_url)), []
        raise DeliveryFailed(f"unknown channel kind in {entry!r}", retry=False)

    return resolve


class Delivery:
    """Everything [delivery] does, once per runner cycle; a failure in one part never stops the others."""

    def __init__(self, db: sa.Engine, router: Router, *, escalation=None, briefs=None, digests=None) -> None:
        self.db, self.router, self.escalation, self.briefs, self.digests = db, router, escalation, briefs, digests

    def run_once(self) -> int:
        for part in (self.digests, self.briefs, self.escalation):
            if part is None:
                continue
            try:
                part()
            except Exception:
                log.exception("alert delivery: %s failed this cycle", getattr(part, "__name__", part))
        return self.router.run_once()


def build_delivery(settings, db: sa.Engine, clock: Callable[[], float] = time.time) -> Delivery | None:
    """The delivery for [delivery], or None when it is off or routes nothing."""
    cfg = settings.delivery
    routes = {audience: list(entries) for audience, entries in cfg.routes.items() if entries}
    if not cfg.enabled or not (routes or cfg.briefs.times):
        return None
    from delivery import escalation as esc

    signer = esc.AckSigner.from_settings(settings) if cfg.base_url else None
    router = Router(
        db,
        routes,
        resolver(settings),
        clock=clock,
        max_attempts=cfg.max_attempts,
        retry_base_s=cfg.retry_base_s,
        ack_link=signer.link if signer else None,
        drill=settings.is_drill,
    )
    digests = None
    notify = settings.notify
    if routes.get("executives") and not (notify.enabled and notify.executives_channel):
        from crisis.notify import SlackNotifier

        # Executives get digests through the routing table even without Slack: queued as [notify] would.
        queue = SlackNotifier(
            db,
            None,
            {"executives": "routed"},
            clock=clock,
            digest_active_s=notify.digest_active_min * 60,
            digest_calm_s=notify.digest_calm_h * 3600,
            drill=settings.is_drill,
        )
        digests = queue.queue_digest
    escalation = None
    if routes.get("on_duty"):
        escalation = esc.Escalation(db, routes["on_duty"], ack_s=cfg.ack_minutes * 60, clock=clock).run_once
    briefs = None
    if cfg.briefs.times:
        from delivery.briefs import BriefSchedule

        briefs = BriefSchedule(
            db, cfg.briefs.times, cfg.briefs.channels, settings.zone, clock=clock, drill=settings.is_drill
        ).run_once
    return Delivery(db, router, escalation=escalation, briefs=briefs, digests=digests)
