"""Live sources from config.toml: built with credentials, 'not configured'
without, shown on the Sources page; two worker processes share one store."""

import os
import subprocess
import sys
import time

import pytest
from streamlit.testing.v1 import AppTest

from sentiment.lexicon import VaderEngine
from settings import ConfigError, load_settings
from store import queries
from tests.conftest import ROOT, write_config
from tests.test_feeds_monitor import FeedServer
from worker.runner import Runner
from worker.service import build_monitors, open_store


def live_config(tmp_path, extra=""):
    return write_config(
        tmp_path,
        f'[app]\nmode = "live"\ndata_dir = "{tmp_path / "data"}"\n[runner]\nin_app = false\n'
        f'[sentiment]\nengine = "vader"\n' + extra,
    )


def test_sources_without_credentials_are_not_configured_and_say_what_to_set(tmp_path, monkeypatch, clock):
    for var in ("X_BEARER_TOKEN", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    settings = load_settings(
        live_config(
            tmp_path,
            '[sources.x]\nenabled = true\nquery = "tidewell"\n'
            '[sources.slack]\nenabled = true\nchannels = ["general"]\n',
        )
    )
    monitors = build_monitors(settings)
    assert [m.name for m in monitors] == ["x", "slack"]
    db = open_store(settings)
    runner = Runner(db, monitors, VaderEngine(), clock=clock)
    assert [o.status for o in runner.run_pending()] == ["not_configured", "not_configured"]
    clock.advance(3600)
    assert runner.run_pending() == []  # never an error loop
    errors = dict(zip(queries.source_health(db)["name"], queries.source_health(db)["last_error"]))
    assert errors["x"].startswith("set X_BEARER_TOKEN")
    assert errors["slack"].startswith("set SLACK_BOT_TOKEN")


def test_sources_with_credentials_are_built(tmp_path, monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", "x-token")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-token")
    settings = load_settings(
        live_config(
            tmp_path,
            '[sources.x]\nenabled = true\nquery = "tidewell"\n[sources.slack]\nenabled = true\nchannels = ["general"]\n'
            '[[sources.feeds]]\nname = "ledger"\nurl = "http://127.0.0.1:9/rss"\n',
        )
    )
    names = [type(m).__name__ for m in build_monitors(settings)]
    assert names == ["XMonitor", "SlackMonitor", "FeedMonitor"]
    key = settings.data_dir / "pseudonym.key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    "toml, message",
    [
        ("[sources.x]\nenabled = true\n", "[sources] x: query: set a search query"),
        ("[sources.slack]\nenabled = true\n", "[sources] slack: channels: name at least one channel"),
        ('[[sources.feeds]]\nname = "a"\nurl = "ftp://x"\n', "[sources] feeds.0.url: String should match pattern"),
        (
            '[[sources.feeds]]\nname = "a"\nurl = "http://x"\n[[sources.feeds]]\nname = "a"\nurl = "http://y"\n',
            "feed names must be unique",
        ),
    ],
)
def test_invalid_source_config(tmp_path, toml, message):
    with pytest.raises(ConfigError) as err:
        load_settings(live_config(tmp_path, toml))
    assert message in str(err.value)


def test_sources_page_shows_states_in_plain_words(tmp_path, monkeypatch, clock):
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    feed = FeedServer()
    try:
        path = live_config(
            tmp_path,
            f'[sources.x]\nenabled = true\nquery = "t"\n[[sources.feeds]]\nname = "ledger"\nurl = "{feed.url}"\n',
        )
        settings = load_settings(path)
        db = open_store(settings)
        Runner(db, build_monitors(settings), VaderEngine()).run_pending()
        monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page("pages/sources.py").run()
        assert not at.exception, at.exception
        table = at.dataframe[0].value.set_index("source")
        assert table.loc["x", "state"] == "not configured"
        assert table.loc["x", "last error"].startswith("set X_BEARER_TOKEN")
        assert table.loc["feed:ledger", "state"] == "healthy"
        assert table.loc["feed:ledger", "messages today"] == 2
    finally:
        feed.server.shutdown()


def test_two_worker_processes_poll_each_source_once_per_interval(tmp_path):
    feed = FeedServer()
    try:
        path = live_config(tmp_path, f'[[sources.feeds]]\nname = "ledger"\nurl = "{feed.url}"\ninterval_s = 30\n')
        open_store(load_settings(path)).dispose()  # migrate once up front
        env = {**os.environ, "CRISISDESK_CONFIG": str(path)}
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "worker"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        # Both workers start (slowly on a busy machine); once one has polled, the
        # other must leave the source alone for the rest of the interval.
        deadline = time.monotonic() + 90
        while not feed.requests and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(8)
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(10)
        assert len(feed.requests) == 1  # one poll in the 30 s interval, not one per worker
        health = queries.source_health(open_store(load_settings(path))).set_index("name")
        assert health.loc["feed:ledger", "messages_total"] == 2
    finally:
        feed.server.shutdown()
