"""Secrets never reach a log line, a stored error or a page, even when an API
echoes a token back in its error: a full run of the sources and the notifier,
captured at DEBUG level (every library's logger included)."""

from __future__ import annotations

import logging

from streamlit.testing.v1 import AppTest

from crisis.notify import slack_client
from sentiment.lexicon import VaderEngine
from settings import load_settings, redact
from store import queries
from tests.conftest import ROOT
from tests.fake_slack import FakeSlack
from tests.fake_x import FakeX
from tests.test_live_sources import live_config
from worker.runner import Runner
from worker.service import build_monitors, open_store

SECRETS = {
    "X_BEARER_TOKEN": "x-bearer-AAAAsecretBBBB1234567890",
    "SLACK_BOT_TOKEN": "xoxb-0000-secret-slack-token-99",
    "CRISISDESK_PSEUDONYM_KEY": "pseudonym-key-secret-5555",
    "CRISISDESK_DISPLAY_TOKEN": "display-token-secret-abcdefghijklmnopqrstuvwxyz",
}
FILE_SECRETS = {"client_secret": "oidc-client-secret-7777", "cookie_secret": "cookie-secret-8888-8888"}


def test_a_full_run_logs_stores_and_shows_no_secret(tmp_path, monkeypatch, caplog, clock):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text("[auth]\n" + "".join(f'{k} = "{v}"\n' for k, v in FILE_SECRETS.items()), encoding="utf-8")
    redact.install(secrets_file)
    everything = [*SECRETS.values(), *FILE_SECRETS.values()]
    slack, x = FakeSlack(), FakeX()
    token = SECRETS["SLACK_BOT_TOKEN"]
    # Both APIs refuse, echoing the credential they were sent (some do).
    slack.routes["conversations.list"] = lambda body: (200, {}, {"ok": False, "error": "invalid_auth", "got": token})
    slack.routes["chat.postMessage"] = lambda body: (200, {}, {"ok": False, "error": "not_authed", "got": token})
    x.script.append((401, {}, {"title": "Unauthorized", "detail": f"Bearer {SECRETS['X_BEARER_TOKEN']} is not valid"}))
    caplog.set_level(logging.DEBUG)
    try:
        path = live_config(
            tmp_path,
            '[sources.x]\nenabled = true\nquery = "tidewell"\n'
            f'[sources.slack]\nenabled = true\nchannels = ["general"]\nbase_url = "{slack.base_url}"\n'
            f'[notify]\nstaff_channel = "#staff"\nslack_base_url = "{slack.base_url}"\n',
        )
        settings = load_settings(path)
        db = open_store(settings)
        monitors = build_monitors(settings)
        x.attach(next(m for m in monitors if m.name == "x").client)
        Runner(db, monitors, VaderEngine(), clock=clock).run_pending()
        client = slack_client(token, slack.base_url, timeout_s=5)
        try:
            client.chat_postMessage(channel="#staff", text="test")
        except Exception:
            logging.getLogger("crisisdesk.test").exception("sending failed with %s", token)
        try:
            raise RuntimeError(f"connection string had {FILE_SECRETS['client_secret']}")
        except RuntimeError:
            logging.getLogger("crisisdesk.test").exception("unexpected")
        health = queries.source_health(db)
        monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page("pages/sources.py").run()
        assert not at.exception
        page = "\n".join(
            [
                str(e.value)
                for kind in ("header", "markdown", "caption", "text", "error", "warning", "code")
                for e in getattr(at, kind)
            ]
            + [df.value.to_string() for df in at.dataframe]
        )
    finally:
        slack.close()
        x.close()

    # Not vacuous: the credentials went out, the APIs echoed them, and the errors were logged and stored.
    assert any(r["auth"] == f"Bearer {token}" for r in slack.requests)
    assert any(SECRETS["X_BEARER_TOKEN"] in r["auth"] for r in x.requests)
    stored = " ".join(str(e) for e in health["last_error"])
    assert "invalid_auth" in stored and "refused the request (401)" in stored and redact.MASK in stored
    assert redact.MASK in caplog.text and "Traceback" in caplog.text
    assert "Sources" in page
    for secret in everything:
        assert secret not in caplog.text
        assert secret not in stored
        assert secret not in page
