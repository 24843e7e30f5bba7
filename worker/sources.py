"""Builds each kind of source's monitors from the settings, as the registry
(settings/registry.py) names them. Every client gets a timeout: a request
that never answers fails after [runner] client_timeout_s, and the runner's
per-poll deadline ([runner] poll_deadline_s) covers whatever a client does
not (a retry handler's sleeps, a trickling body).
"""

from __future__ import annotations

import importlib
import logging

import requests

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


class TimeoutSession(requests.Session):
    """A requests session whose every request has a timeout (tweepy.Client
    sends its requests without one: a server that accepts and never answers
    would hold the poll forever)."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self.timeout_s = timeout_s

    def request(self, method, url, *args, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout_s
        return super().request(method, url, *args, **kwargs)


def _secrets(kind: SourceKind) -> list[str | None]:
    return [secret(s.env, s.table, s.key) for s in kind.secrets]


def build_x(settings: Settings) -> list[Monitor]:
    cfg = settings.sources.x
    if not cfg.enabled:
        return []
    (token,) = _secrets(KINDS["x"])
    if not token:
        return [NotConfiguredMonitor("x", KINDS["x"].missing_hint())]
    import tweepy

    from monitors.x import XMonitor

    client = tweepy.Client(bearer_token=token, return_type=dict, wait_on_rate_limit=False)
    client.session = TimeoutSession(settings.runner.client_timeout_s)
    return [
        XMonitor(
            client,
            cfg.query,
            lang=cfg.lang,
            interval_s=cfg.interval_s,
            max_pages=cfg.max_pages,
            daily_read_cap=cfg.daily_read_cap,
        )
    ]


def build_slack(settings: Settings) -> list[Monitor]:
    cfg = settings.sources.slack
    if not cfg.enabled:
        return []
    (token,) = _secrets(KINDS["slack"])
    if not token:
        return [NotConfiguredMonitor("slack", KINDS["slack"].missing_hint())]
    from crisis.notify import slack_client
    from monitors.slack import SlackMonitor
    from worker.service import pseudonym_key

    client = slack_client(token, cfg.base_url, timeout_s=max(1, round(settings.runner.client_timeout_s)))
    return [
        SlackMonitor(
            client,
            cfg.channels,
            pseudonym_key(settings),
            interval_s=cfg.interval_s,
            thread_window_s=cfg.thread_window_h * 3600,
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
