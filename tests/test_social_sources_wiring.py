"""Bluesky and Reddit from config.toml through the runner into the store, and
on the Sources page with their API calls and rate-limit waits."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from sentiment.lexicon import VaderEngine
from settings import load_settings
from store import queries
from tests.conftest import ROOT
from tests.fake_bluesky import FakeBluesky, post
from tests.fake_reddit import FakeReddit, submission
from tests.test_live_sources import live_config
from worker.runner import Runner
from worker.service import build_monitors, open_store


def test_bluesky_and_reddit_are_polled_into_the_store_and_shown_with_their_calls(tmp_path, monkeypatch):
    bluesky, reddit = FakeBluesky(), FakeReddit()
    try:
        monkeypatch.setenv("BLUESKY_APP_PASSWORD", bluesky.password)
        monkeypatch.setenv("REDDIT_CLIENT_ID", reddit.client_id)
        monkeypatch.setenv("REDDIT_CLIENT_SECRET", reddit.client_secret)
        for var in ("REDDIT_USERNAME", "REDDIT_PASSWORD", "BLUESKY_HANDLE"):
            monkeypatch.delenv(var, raising=False)
        bluesky.add(post("3a1", "tidewell leak on bluesky", minutes=1), post("3a2", "tidewell again", minutes=2))
        reddit.add(submission(10, "Tidewell leak thread", score=10, comments=5))
        reddit.script.append((429, {"x-ratelimit-reset": "300"}, {"message": "Too Many Requests", "error": 429}))
        path = live_config(
            tmp_path,
            f'[sources.bluesky]\nenabled = true\nbase_url = "{bluesky.base_url}"\nhandle = "{bluesky.handle}"\n'
            'query = "tidewell"\n'
            f'[sources.reddit]\nenabled = true\nsubreddits = ["tidewell"]\nreddit_url = "{reddit.base_url}"\n'
            f'oauth_url = "{reddit.base_url}"\n',
        )
        settings = load_settings(path)
        monitors = build_monitors(settings)
        assert [m.name for m in monitors] == ["bluesky", "reddit"]
        db = open_store(settings)
        outcomes = {o.source: o.status for o in Runner(db, monitors, VaderEngine()).run_pending()}
        assert outcomes == {"bluesky": "ok", "reddit": "backing_off"}
        health = queries.source_health(db).set_index("name")
        assert health.loc["bluesky", "messages_total"] == 2
        assert health.loc["bluesky", "today_reads"] == 2  # one search, one profile look-up
        assert health.loc["reddit", "next_poll_at"] > time.time() + 250  # the reset, not the usual backoff
        monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page("pages/sources.py").run()
        assert not at.exception, at.exception
        table = at.dataframe[0].value.set_index("source")
        assert table.loc["bluesky", "state"] == "healthy" and table.loc["bluesky", "API calls today"] == 2
        assert table.loc["reddit", "last error"].startswith("Reddit rate limit reached (429)")
    finally:
        bluesky.close()
        reddit.close()


def test_teams_messages_are_stored_as_internal_with_slacks_pseudonyms(tmp_path, monkeypatch):
    from monitors.slack import pseudonym
    from settings.registry import internal_sources
    from tests.fake_graph import FakeGraph, chat_message
    from worker.service import pseudonym_key

    graph = FakeGraph()
    try:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", graph.ca_path)
        monkeypatch.setenv("TEAMS_CLIENT_SECRET", graph.client_secret)
        monkeypatch.setenv("CRISISDESK_PSEUDONYM_KEY", "shared-key")
        graph.add_channel("team-1", "19:c@thread.tacv2", "incident-room")
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - 60))
        message = chat_message("1", "<p>We are <b>worried</b> about the leak</p>", user_id="aad-jane")
        message["createdDateTime"] = message["lastModifiedDateTime"] = stamp
        graph.post("team-1", "19:c@thread.tacv2", message)
        path = live_config(
            tmp_path,
            f'[sources.teams]\nenabled = true\ntenant_id = "{graph.tenant}"\nclient_id = "{graph.client_id}"\n'
            f'channels = ["team-1/19:c@thread.tacv2"]\nauthority_url = "{graph.base_url}"\n'
            f'graph_url = "{graph.base_url}/v1.0"\n',
        )
        settings = load_settings(path)
        db = open_store(settings)
        (outcome,) = Runner(db, build_monitors(settings), VaderEngine()).run_pending()
        assert (outcome.source, outcome.status, outcome.stored) == ("teams", "ok", 1)
        assert "teams" in internal_sources()
        assert queries.share_of(db, int(now) - 3600, int(now) + 1, source=internal_sources())[1] == 1
        assert queries.channel_trend(db, internal_sources(), int(now) - 3600, int(now) + 1)["channel"].tolist() == [
            "#incident-room"
        ]
        import sqlalchemy as sa

        from store.schema import messages

        with db.connect() as conn:
            (row,) = conn.execute(sa.select(messages.c.source, messages.c.author, messages.c.text)).all()
        assert row == ("teams", pseudonym(pseudonym_key(settings), "aad-jane"), "We are worried about the leak")
    finally:
        graph.close()
