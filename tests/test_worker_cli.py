"""`python -m worker`: the runner as its own process."""

import os
import subprocess
import sys
import time

import sqlalchemy as sa

from store.schema import messages
from tests.conftest import ROOT
from worker.service import open_store


def run_worker(config_path, *args):
    env = {**os.environ, "CRISISDESK_CONFIG": str(config_path)}
    return subprocess.run(
        [sys.executable, "-m", "worker", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def next_poll_at(settings):
    from store import sources

    db = open_store(settings)
    try:
        return sources.next_poll_at(db, "drill")
    finally:
        db.dispose()


def count(settings):
    db = open_store(settings)
    with db.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar()
    db.dispose()
    return n


def test_once_plays_the_backfill_into_the_drill_store(drill_config):
    # Polled every hour, not every 5 s: the second process below starts well inside the
    # interval however slowly a loaded machine starts it (a 5 s window failed now and then).
    path, settings = drill_config("poll_interval_s = 3600\n")
    done = run_worker(path, "--once")
    assert done.returncode == 0, done.stderr
    assert "source=drill status=ok" in done.stdout
    stored = count(settings)
    assert stored > 500  # six hours of calm
    assert (settings.data_dir / "drill.sqlite3").exists()
    assert not (settings.data_dir / "live.sqlite3").exists()  # a drill never touches the live store
    next_poll = next_poll_at(settings)
    assert next_poll > time.time() + 3000  # the next poll is an hour away, and the store says so

    again = run_worker(path, "--once")
    assert again.returncode == 0, again.stderr
    assert "source=drill status=skipped" in again.stdout  # not due yet: the schedule lives in the store
    assert count(settings) == stored and next_poll_at(settings) == next_poll

    restarted = run_worker(path, "--once", "--restart-drill")
    assert "source=drill status=ok" in restarted.stdout
    assert count(settings) == stored  # a fresh drill: same backfill, nothing doubled


def test_invalid_config_exits_with_the_message(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[drill]\nspeed = 'fast'\n")
    done = run_worker(path, "--once")
    assert done.returncode == 2
    assert f"{path}: invalid configuration" in done.stderr
    assert "[drill] speed: Input should be a valid number" in done.stderr


def test_restart_drill_refuses_live_mode(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(f'[app]\nmode = "live"\ndata_dir = "{tmp_path}"\n')
    done = run_worker(path, "--once", "--restart-drill")
    assert done.returncode == 2
    assert "--restart-drill needs" in done.stderr


def test_restart_drill_at_begins_inside_the_scenario(drill_config):
    path, settings = drill_config()
    calm_only = run_worker(path, "--once")
    assert calm_only.returncode == 0
    calm = count(settings)
    done = run_worker(path, "--once", "--restart-drill", "--at", "1800")
    assert done.returncode == 0, done.stderr
    assert count(settings) > calm + 500  # thirty minutes of the crisis played at once


def test_sentiment_rescore_command_rescores_with_the_configured_engine(drill_config):
    path, settings = drill_config()
    assert run_worker(path, "--once").returncode == 0
    env = {**os.environ, "CRISISDESK_CONFIG": str(path)}
    done = subprocess.run(
        [sys.executable, "-m", "sentiment", "rescore", "--batch-size", "200"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    stored = count(settings)
    assert "engine: VADER lexicon (vader 3.3.2)" in done.stdout
    assert f"rescored 200 of {stored:,}" in done.stdout
    assert f"done: {stored:,} messages rescored" in done.stdout
    upgrade = subprocess.run(
        [sys.executable, "-m", "store", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    from alembic.script import ScriptDirectory

    from store.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert upgrade.stdout.strip() == f"store at revision {head}"
