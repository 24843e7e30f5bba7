"""Wires settings to a store, monitors, an engine and a runner.

Used by app.py (runner as a background thread) and by `python -m monitors`
(runner as its own process); both get the same pipeline.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from monitors.base import Monitor
from monitors.replay import ReplayMonitor, drill_cursor
from monitors.runner import Runner
from sentiment.loader import load_engine
from settings import Settings
from store import drill, sources
from store.connection import connect, database_url
from store.migrate import upgrade


def open_store(settings: Settings) -> sa.Engine:
    """Connect to the configured store and bring its schema up to date."""
    db = connect(database_url(settings))
    upgrade(db)
    return db


def build_monitors(settings: Settings) -> list[Monitor]:
    if settings.is_drill:
        return [
            ReplayMonitor(settings.scenario_path, speed=settings.drill.speed, interval_s=settings.drill.poll_interval_s)
        ]
    return []  # live sources (X, Slack, feeds) are configured per source


def restart_drill(db: sa.Engine, settings: Settings, at_s: float = 0.0) -> None:
    """Empty the drill store and start the scenario again, `at_s` seconds in."""
    if not settings.is_drill:
        raise ValueError('restart_drill needs [app] mode = "drill"')
    drill.wipe(db)
    sources.set_cursor(db, ReplayMonitor.name, drill_cursor(time.time() - at_s / settings.drill.speed))


def build_runner(settings: Settings, db: sa.Engine) -> Runner:
    choice = load_engine(settings)
    return Runner(
        db,
        build_monitors(settings),
        choice.engine,
        engine_note=choice.description,
        batch_size=settings.runner.batch_size,
        lease_s=settings.runner.lease_s,
        backoff_base_s=settings.runner.backoff_base_s,
        backoff_max_s=settings.runner.backoff_max_s,
    )
