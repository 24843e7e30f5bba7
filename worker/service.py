"""Wires settings to a store, monitors, an engine and a runner.

Used by app.py (runner as a background thread) and by `python -m worker`
(runner as its own process); both get the same pipeline.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa

from access.roles import Actor, Permission, require
from monitors.replay import ReplayMonitor, drill_cursor
from sentiment.loader import load_engine
from settings import Settings
from store import drill, sources
from store.connection import connect, database_url
from store.migrate import upgrade
from worker.runner import Runner
from worker.sources import NotConfiguredMonitor, build_monitors

__all__ = ["NotConfiguredMonitor", "build_monitors", "build_runner", "open_store", "restart_drill", "start_drill"]

log = logging.getLogger("crisisdesk.runner")


def open_store(settings: Settings) -> sa.Engine:
    """Connect to the configured store and bring its schema up to date."""
    db = connect(database_url(settings))
    upgrade(db)
    return db


def pseudonym_key(settings: Settings) -> bytes:
    """The key that turns Slack user ids into pseudonyms: from secrets, else a
    random key made once and kept in the data directory (readable by owner only)."""
    import os
    import secrets as random_source

    from settings.secrets import secret

    configured = secret("CRISISDESK_PSEUDONYM_KEY", "slack", "pseudonym_key")
    if configured:
        return configured.encode()
    path = settings.data_dir / "pseudonym.key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(random_source.token_hex(32))
    return path.read_text().strip().encode()


def restart_drill(db: sa.Engine, settings: Settings, at_s: float = 0.0) -> None:
    """Empty the drill store and start the scenario again, `at_s` seconds in."""
    if not settings.is_drill:
        raise ValueError('restart_drill needs [app] mode = "drill"')
    drill.wipe(db)
    sources.set_cursor(db, ReplayMonitor.name, drill_cursor(time.time() - at_s / settings.drill.speed))


def start_drill(settings: Settings, by: Actor, at_s: float = 0.0) -> None:
    """Start the scenario again in the drill store (never the live one) and
    record the rehearsal in this deployment's own store. A runner in drill mode
    (`streamlit run app.py` or `python -m worker` with [app] mode = "drill")
    plays it."""
    from incidents.team import log_drill

    require(by, Permission.RUN_DRILL)
    drill_settings = settings.model_copy(update={"app": settings.app.model_copy(update={"mode": "drill"})})
    drill_db = open_store(drill_settings)
    restart_drill(drill_db, drill_settings, at_s)
    drill_db.dispose()
    db = open_store(settings)
    log_drill(db, by.name, str(settings.drill.scenario), at_s, time.time())
    db.dispose()


def build_notifier(settings: Settings, db: sa.Engine):
    """The Slack notifier, or None (and why, in the log) when it is not configured."""
    from crisis.notify import SlackNotifier, slack_client
    from settings.secrets import secret

    cfg = settings.notify
    channels = {
        audience: channel
        for audience, channel in (
            ("crisis_team", cfg.crisis_team_channel),
            ("executives", cfg.executives_channel),
            ("internal_comms", cfg.internal_comms_channel),
        )
        if channel
    }
    token = secret("SLACK_BOT_TOKEN", "slack", "bot_token")
    if not cfg.enabled or not channels or not token:
        missing = "disabled" if not cfg.enabled else "no channels in [notify]" if not channels else "no SLACK_BOT_TOKEN"
        # Channels without a token is a mistake worth a warning; nothing configured is a choice.
        (log.warning if channels and cfg.enabled else log.info)("Slack notifications off: %s", missing)
        return None
    return SlackNotifier(
        db,
        slack_client(token, cfg.slack_base_url),
        channels,
        digest_active_s=cfg.digest_active_min * 60,
        digest_calm_s=cfg.digest_calm_h * 3600,
        drill=settings.is_drill,
    )


def build_publisher(settings: Settings, db: sa.Engine, owner: str):
    """Drills publish nowhere (dry run); live, each channel needs its credentials."""
    import tweepy

    from crisis.notify import slack_client
    from publishing.channels import Channel, DryRunChannel, MissingChannel, SlackChannel, XChannel
    from publishing.publisher import Publisher
    from settings.secrets import secret

    channels: dict[str, Channel]
    if settings.is_drill:
        dry = DryRunChannel()
        channels = {"x": dry, "slack": dry}
    else:
        keys = {
            name: secret(f"X_{name.upper()}", "x", name)
            for name in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
        }
        x: Channel
        if all(keys.values()):
            x = XChannel(tweepy.Client(**keys))
        else:
            missing = ", ".join(f"X_{k.upper()}" for k, v in keys.items() if not v)
            x = MissingChannel(f"X publishing is not configured: set {missing}")
        token = secret("SLACK_BOT_TOKEN", "slack", "bot_token")
        slack: Channel = (
            SlackChannel(slack_client(token, settings.notify.slack_base_url))
            if token
            else MissingChannel("Slack publishing is not configured: set SLACK_BOT_TOKEN")
        )
        channels = {"x": x, "slack": slack}
    return Publisher(
        db,
        channels,
        owner,
        max_lateness_s=settings.publishing.max_lateness_min * 60,
        auto_hold=settings.auto_hold_applies,
        zone=settings.zone,
    )


def build_runner(settings: Settings, db: sa.Engine) -> Runner:
    from crisis.detector import Detector
    from crisis.presets import PRESETS

    choice = load_engine(settings)
    runner = Runner(
        db,
        build_monitors(settings),
        choice.engine,
        engine_note=choice.description,
        detector=Detector(
            db, PRESETS[settings.detection.sensitivity], sensitive_terms=settings.publishing.sensitive_terms
        ),
        notifier=build_notifier(settings, db),
        batch_size=settings.runner.batch_size,
        lease_s=settings.runner.lease_s,
        poll_deadline_s=settings.runner.poll_deadline_s,
        backoff_base_s=settings.runner.backoff_base_s,
        backoff_max_s=settings.runner.backoff_max_s,
        interval_jitter=settings.runner.interval_jitter,
        retain_text_days=settings.store.retain_text_days,
    )
    runner.publisher = build_publisher(settings, db, runner.owner)
    from delivery.setup import build_delivery

    runner.delivery = build_delivery(settings, db)
    return runner
