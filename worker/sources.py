"""Builds each kind of source's monitors from the settings, as the registry
(settings/registry.py) names them. Every client gets a timeout: a request
that never answers fails after [runner] client_timeout_s, and the runner's
per-poll deadline ([runner] poll_deadline_s) covers whatever a client does
not (a retry handler's sleeps, a trickling body).
"""

from __future__ import annotations

import importlib
import logging

from monitors.base import Monitor
from settings import Settings
from settings.registry import KINDS, SourceKind
from settings.secrets import secret

log = logging.getLogger("crisisdesk.runner")


class NotConfiguredMonitor:
    """Stands in for a source that lacks its credential: says what to set."""

    def __init__(self, name: str, what: str, interval_s: float = 60.0) -> None:
        self.name, self.what, self.interval_s = name, what, interval_s

    def poll(self, cursor):
        from monitors.base import NotConfigured

        raise NotConfigured(self.what)


def _secrets(kind: SourceKind) -> list[str | None]:
    return [secret(s.env, s.table, s.key) for s in kind.secrets]


def _timeout(settings: Settings, own_s: float) -> float:
    """A source's own client timeout, never over the runner's."""
    return min(own_s, settings.runner.client_timeout_s)


def build_x(settings: Settings) -> list[Monitor]:
    cfg = settings.sources.x
    if not cfg.enabled:
        return []
    (token,) = _secrets(KINDS["x"])
    if not token:
        return [NotConfiguredMonitor("x", KINDS["x"].missing_hint())]
    from monitors.x import XMonitor, x_client

    return [
        XMonitor(
            x_client(token, timeout_s=_timeout(settings, cfg.timeout_s)),
            cfg.query,
            lang=cfg.lang,
            interval_s=cfg.interval_s,
            max_pages=cfg.max_pages,
            daily_read_cap=cfg.daily_read_cap,
            cap_reset_day=cfg.cap_reset_day,
        )
    ]


def build_slack(settings: Settings) -> list[Monitor]:
    cfg = settings.sources.slack
    if not cfg.enabled:
        return []
    (token,) = _secrets(KINDS["slack"])
    if not token:
        return [NotConfiguredMonitor("slack", KINDS["slack"].missing_hint())]
    from monitors.slack import SlackMonitor, monitor_client
    from worker.service import pseudonym_key

    return [
        SlackMonitor(
            monitor_client(token, cfg.base_url, timeout_s=_timeout(settings, cfg.timeout_s)),
            cfg.channels,
            pseudonym_key(settings),
            interval_s=cfg.interval_s,
            thread_window_s=cfg.thread_window_h * 3600,
            thread_check_s=cfg.thread_check_min * 60,
            backfill_s=cfg.backfill_h * 3600,
            max_calls=cfg.max_calls_per_poll,
        )
    ]


def build_feeds(settings: Settings) -> list[Monitor]:
    """One monitor per `[[sources.feeds]]` table, its credentials from
    secrets.toml. A feed's own timeout and total deadline never exceed the
    runner's client timeout and per-poll deadline."""
    from monitors import feeds

    runner = settings.runner
    return [
        feeds.build(
            f.model_copy(
                update={
                    "timeout_s": min(f.timeout_s, runner.client_timeout_s),
                    "deadline_s": min(f.deadline_s, runner.poll_deadline_s),
                }
            )
        )
        for f in settings.sources.feeds
    ]


def build_mastodon(settings: Settings) -> list[Monitor]:
    cfg = settings.sources.mastodon
    if not cfg.enabled:
        return []
    from monitors import mastodon

    return [mastodon.build(cfg, secret)]


def build_bluesky(settings: Settings) -> list[Monitor]:
    cfg = settings.sources.bluesky
    if not cfg.enabled:
        return []
    from monitors import bluesky

    return [bluesky.build(cfg, secret)]


def build_reddit(settings: Settings) -> list[Monitor]:
    cfg = settings.sources.reddit
    if not cfg.enabled:
        return []
    from monitors import reddit

    return [reddit.build(cfg, secret)]


def build_teams(settings: Settings) -> list[Monitor]:
    cfg = settings.sources.teams
    if not cfg.enabled:
        return []
    from monitors import teams
    from worker.service import pseudonym_key

    return [teams.build(cfg, pseudonym_key(settings), secret)]


def build_drill(settings: Settings) -> list[Monitor]:
    from monitors.replay import ReplayMonitor

    drill = settings.drill
    return [ReplayMonitor(settings.scenario_path, speed=drill.speed, interval_s=drill.poll_interval_s)]


def builder(kind: SourceKind):
    module, _, function = kind.builder.partition(":")
    return getattr(importlib.import_module(module), function)


def build_monitors(settings: Settings) -> list[Monitor]:
    """A drill plays its scenario and nothing else; live, every registered
    kind but the drill builds the monitors its settings ask for."""
    if settings.is_drill:
        return builder(KINDS["drill"])(settings)
    monitors: list[Monitor] = []
    for kind in KINDS.values():
        if kind.kind != "drill":
            monitors += builder(kind)(settings)
    return monitors
