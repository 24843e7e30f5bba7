from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from model.message import Message
from settings import load_settings
from store.connection import connect
from store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def _fresh_postgres(url: str):
    """The test database emptied: every table of an earlier test dropped."""
    import sqlalchemy as sa

    engine = connect(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """A migrated, empty store: SQLite always, PostgreSQL when TEST_DATABASE_URL
    names a database the tests may wipe (skipped, and reported so, otherwise)."""
    if request.param == "sqlite":
        engine = connect(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    elif not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL store tests need TEST_DATABASE_URL")
    else:
        engine = _fresh_postgres(TEST_DATABASE_URL)
    upgrade(engine)
    yield engine
    engine.dispose()


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def drill_config(tmp_path):
    """A drill config on a temp data dir (no in-app runner unless asked);
    returns a function that writes it (extra TOML appended) and loads it."""

    def make(extra: str = "", scenario: Path | None = None, in_app: bool = False):
        scenario = scenario or ROOT / "scenarios" / "tidewell-camera-leak.jsonl"
        path = write_config(
            tmp_path,
            f'[app]\nmode = "drill"\ndata_dir = "{tmp_path / "data"}"\n'
            f"[runner]\nin_app = {str(in_app).lower()}\n"
            # The lexicon keeps page and process tests fast; engines (and language routing) have tests of their own.
            f'[sentiment]\nengine = "vader"\nlanguages = []\n'
            f'[drill]\nscenario = "{scenario}"\n' + extra,
        )
        return path, load_settings(path)

    return make


def message(external_id: str, text: str = "hello", *, source: str = "x", at: float = 1_800_000_000, **kw) -> Message:
    return Message(
        source=source,
        external_id=external_id,
        created_at=datetime.fromtimestamp(at, tz=timezone.utc),
        text=text,
        **kw,
    )


def write_scenario(path: Path, lines: list[dict], header: dict | None = None) -> Path:
    header = header or {"kind": "scenario", "name": "test", "title": "Test scenario (fictional)", "fictional": True}
    path.write_text("".join(json.dumps(line) + "\n" for line in [header, *lines]), encoding="utf-8")
    return path


@pytest.fixture
def drill_store(drill_config, monkeypatch):
    """A drill store played `minutes_in` minutes into the bundled scenario,
    judged once by the detector, with CRISISDESK_CONFIG pointing at it."""
    from crisis.detector import Detector
    from crisis.presets import PRESETS
    from monitors.replay import ReplayMonitor
    from sentiment.lexicon import VaderEngine
    from worker.runner import Runner
    from worker.service import open_store, restart_drill

    def play(minutes_in: float = 20):
        path, settings = drill_config()
        db = open_store(settings)
        restart_drill(db, settings, at_s=minutes_in * 60)
        runner = Runner(
            db, [ReplayMonitor(settings.scenario_path)], VaderEngine(), detector=Detector(db, PRESETS["medium"])
        )
        runner.run_pending()
        runner.detect_and_notify()
        monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
        return db

    return play
