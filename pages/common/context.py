"""What every page needs, made once per server process: the settings, the
store, and the runner thread when config.toml asks for it in-app."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import streamlit as st

from monitors.replay import ScenarioHeader, read_header
from monitors.service import build_runner, open_store
from settings import ConfigError, Settings, config_path, load_settings


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    db: sa.Engine
    scenario: ScenarioHeader | None  # the drill being played, in drill mode
    runner_in_app: bool


@st.cache_resource(show_spinner="Opening the store…")
def _context(config_file: str) -> AppContext:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings(Path(config_file))
    db = open_store(settings)
    if settings.runner.in_app:
        build_runner(settings, db).start_thread()
    scenario = read_header(settings.scenario_path) if settings.is_drill else None
    return AppContext(settings, db, scenario, settings.runner.in_app)


_routing = threading.local()


@contextmanager
def routed_by_app():
    """app.py wraps each page run in this, so pages know they came through it."""
    _routing.active = True
    try:
        yield
    finally:
        _routing.active = False


def load_context() -> AppContext:
    """The shared context (app.py); a broken config.toml stops the page with its message."""
    try:
        return _context(str(config_path()))
    except ConfigError as exc:
        st.error("Crisis Desk cannot start: config.toml is invalid. Fix it and reload this page.")
        st.code(str(exc), language=None)
        st.stop()


def app_context() -> AppContext:
    """The shared context, for pages: every page calls this first.

    Until the first run of a fresh server calls st.navigation, Streamlit
    treats pages/ as a legacy multipage folder and runs a requested page file
    directly, without app.py (its banners, and any check app.py makes). Such
    a run is sent back through app.py.
    """
    if not getattr(_routing, "active", False):
        st.switch_page("app.py", query_params=st.query_params.to_dict())
    return load_context()
