"""What every page needs, made once per server process: the settings and the
store. The in-app runner (when config.toml asks for it) is not made here: it
is worker.inapp's one per process, which this only asks for, so clearing
Streamlit's caches can never start a second one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import streamlit as st

from monitors.replay import ScenarioHeader, read_header
from settings import ConfigError, Settings, config_path, load_settings, redact
from store.connection import database_url
from worker.inapp import ensure_runner
from worker.service import open_store


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    db: sa.Engine
    scenario: ScenarioHeader | None  # the drill being played, in drill mode


@st.cache_resource(show_spinner="Starting: opening the store and loading the sentiment model…")
def _context(config_file: str) -> AppContext:
    redact.log_to_stderr(logging.INFO)
    settings = load_settings(Path(config_file))
    db = open_store(settings)
    if settings.runner.in_app:
        ensure_runner(settings)
    scenario = read_header(settings.scenario_path) if settings.is_drill else None
    return AppContext(settings, db, scenario)


def load_context() -> AppContext:
    """The shared context (app.py); a configuration that cannot work (config.toml,
    the data directory, the store URL) stops the page with its message. A store
    that is down raises (frame() says so and retries)."""
    try:
        return _context(str(config_path()))
    except ConfigError as exc:
        st.error(
            "Crisis Desk cannot start: config.toml is invalid, or a place or store URL it names cannot work. "
            "Fix it and reload this page."
        )
        st.code(str(exc), language=None)
        st.stop()


def configured_store() -> tuple[str, object]:
    """The store URL and display zone from the configuration (for the outage line)."""
    settings = load_settings(config_path())
    return database_url(settings), settings.zone


@st.cache_resource(show_spinner="Loading the sentiment model…")
def web_engine(config_file: str):
    """The sentiment engine for this web process (risk flags on posts)."""
    from sentiment.loader import load_engine

    return load_engine(load_settings(Path(config_file))).engine
