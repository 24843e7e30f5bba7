"""The drill end to end: the poll that raises the level delivers the alert to a
fake Slack ([notify]), a fake Teams webhook and a fake SMTP server ([delivery]
routes), and the Sources page lists what could not be delivered."""

from __future__ import annotations

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from store.schema import alerts, deliveries
from tests.conftest import ROOT
from tests.fake_hooks import FakeHook, FakeSmtp
from tests.fake_slack import FakeSlack
from worker.service import build_runner, open_store, restart_drill


def test_a_level_raise_in_the_drill_reaches_slack_teams_and_email_within_one_poll(drill_config, monkeypatch):
    slack, teams, smtp = FakeSlack(), FakeHook(), FakeSmtp()
    try:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-drill")
        monkeypatch.setenv("TEAMS_WEBHOOK_CRISIS", teams.url)
        monkeypatch.delenv("TEAMS_WEBHOOK_COMMS", raising=False)
        path, settings = drill_config(
            f'[notify]\nslack_base_url = "{slack.base_url}"\ncrisis_team_channel = "#crisis-team"\n'
            "[delivery.routes]\n"
            'crisis_team = ["teams:crisis", "email:crisis@tidewell.example"]\n'
            'internal_comms = ["teams:comms"]\n'
            f'[delivery.smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n'
            'sender = "desk@tidewell.example"\n'
        )
        db = open_store(settings)
        restart_drill(db, settings, at_s=20 * 60)  # the scenario's crisis broke 19 minutes ago
        runner = build_runner(settings, db)
        runner.run_pending()  # one poll ...
        runner.detect_and_notify()  # ... judged, and alerts sent in the same cycle
        with db.connect() as conn:
            levels = conn.execute(sa.select(alerts.c.new_level).where(alerts.c.kind == "level")).scalars().all()
            sent = conn.execute(sa.select(deliveries.c.channel, deliveries.c.status)).all()
        assert levels and max(levels) >= 1
        assert slack.posts() and slack.posts()[0]["body"]["channel"] == "#crisis-team"
        assert slack.posts()[0]["body"]["text"].split(" ", 1)[1].startswith("DRILL · ")  # a drill says so first
        cards = [r for r in teams.received]
        assert cards and teams.json(0)["attachments"][0]["content"]["type"] == "AdaptiveCard"
        assert teams.json(0)["attachments"][0]["content"]["body"][0]["text"].startswith("DRILL · Crisis level")
        assert smtp.messages and smtp.messages[0]["to"] == ["crisis@tidewell.example"]
        assert smtp.messages[0]["mail"]["Subject"].startswith("[Crisis Desk] DRILL · Crisis level")
        statuses = {}
        for channel, status in sent:
            statuses.setdefault(channel, set()).add(status)
        assert statuses["teams:crisis"] == {"sent"} and statuses["email:crisis@tidewell.example"] == {"sent"}
        assert statuses["teams:comms"] == {"failed"}  # no secret for it: said on the Sources page
        monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page("pages/sources.py").run()
        assert not at.exception, at.exception
        texts = [t.value for t in at.text]
        assert any("internal_comms → teams:comms" in t and "TEAMS_WEBHOOK_COMMS" in t for t in texts)
        wall = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        wall.run()  # the wall display's status mark says so too
        assert not wall.exception, wall.exception
        assert any(w.value == "Alerts are not getting through:" for w in wall.warning)
        assert any("teams:comms" in t.value for t in wall.text)
    finally:
        slack.close()
        teams.close()
        smtp.close()
