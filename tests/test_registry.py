"""The source registry: one place says each kind's settings, secrets, whether
it is internal, and how its monitors are built; store queries and pages
derive "internal" from it."""

import subprocess
import sys

import pytest

from settings import load_settings
from settings.registry import (
    KINDS,
    Secret,
    SourceKind,
    internal_sources,
    kind_of_monitor,
    monitor_is_internal,
    register,
    unregister,
)
from store import queries
from store.connection import write
from store.ingest import store_messages
from store.mentions import MentionFilter, page
from tests.conftest import ROOT, message, write_config
from worker.sources import build_monitors


def test_the_registry_says_which_sources_are_internal():
    assert set(KINDS) >= {"x", "slack", "feeds", "drill"}
    assert internal_sources() == ("slack", "teams")
    assert kind_of_monitor("feed:ledger") is KINDS["feeds"] and kind_of_monitor("x") is KINDS["x"]
    assert monitor_is_internal("slack") and not monitor_is_internal("feed:slack") and not monitor_is_internal("x")
    assert KINDS["slack"].missing_hint() == (
        "set SLACK_BOT_TOKEN (environment, or [slack] bot_token in .streamlit/secrets.toml)"
    )


@pytest.fixture
def yammer():
    """A new internal kind (say Viva Engage), registered for one test."""
    kind = register(
        SourceKind(
            "yammer",
            "sources.yammer",
            "tests.test_registry:build_yammer",
            message_source="yammer",
            internal=True,
            secrets=(Secret("YAMMER_TOKEN", "yammer", "token"),),
        )
    )
    yield kind
    unregister("yammer")


def build_yammer(settings):
    from worker.sources import NotConfiguredMonitor

    return [NotConfiguredMonitor("yammer", KINDS["yammer"].missing_hint())]


def test_a_new_internal_kind_is_hidden_by_every_query_without_changing_them(db, yammer):
    assert internal_sources() == ("slack", "teams", "yammer")
    batch = [message("1", "staff grumble", source="yammer"), message("2", "public post", source="x")]
    with write(db) as conn:
        store_messages(conn, batch, [None, None], None, 1_800_000_000)
    assert list(queries.latest_messages(db, 10)["source"]) == ["x"]
    assert set(queries.latest_messages(db, 10, internal_text=True)["source"]) == {"x", "yammer"}
    window = MentionFilter(since=1_700_000_000, until=1_900_000_000)
    total, rows = page(db, window, offset=0, limit=10)
    assert (total, list(rows["source"])) == (1, ["x"])


def test_build_monitors_builds_every_registered_kind(tmp_path, yammer, monkeypatch):
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    path = write_config(
        tmp_path,
        f'[app]\nmode = "live"\ndata_dir = "{tmp_path / "data"}"\n'
        '[sources.x]\nenabled = true\nquery = "tidewell"\n'
        '[[sources.feeds]]\nname = "ledger"\nurl = "http://127.0.0.1:9/rss"\n',
    )
    monitors = build_monitors(load_settings(path))
    assert [m.name for m in monitors] == ["x", "feed:ledger", "yammer"]
    assert monitors[2].what.startswith("set YAMMER_TOKEN")


def test_store_and_crisis_never_import_monitors_or_worker():
    code = (
        "import sys; import store.queries, store.mentions, store.quarantine, store.ingest, store.sources, "
        "crisis.explain, settings.registry; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('monitors', 'worker')))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
