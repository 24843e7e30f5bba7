"""Key accounts: matches by handle, domain and name are flagged and escalated once."""

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from crisis.notify import slack_client
from incidents import key_accounts
from model.score import Score
from sentiment.lexicon import VaderEngine
from store.connection import write
from store.ingest import store_messages
from store.schema import key_account_hits
from tests.actors import ANA
from tests.conftest import ROOT, message
from tests.fake_slack import FakeSlack
from worker.runner import Runner

T = 1_800_000_000


def fill(db, batch):
    with write(db) as conn:
        store_messages(conn, batch, [Score("negative", -0.5)] * len(batch), ("kw", "1"), T)


def test_matches_are_flagged_and_escalated_once(db):
    acme = key_accounts.add_account(
        db, "Acme Corp", ["@AcmeCorp"], ["acme.example"], ["Acme"], "Dana", "#cs-acme", ANA, T
    )
    fill(
        db,
        [
            message("1", "Our cameras are down", author="@acmecorp", at=T),  # handle
            message("2", "see https://status.acme.example/incident", at=T + 1),  # domain
            message("3", "Heard ACME is leaving Tidewell", at=T + 2),  # name (alias), any case
            message("4", "acmeish is not a customer; notacme.example neither", at=T + 3),  # no whole-word match
        ],
    )
    assert key_accounts.scan(db, T + 10) == 3
    assert key_accounts.scan(db, T + 20) == 0  # judged once
    with db.connect() as conn:
        matched = dict(conn.execute(sa.select(key_account_hits.c.message_id, key_account_hits.c.matched)).all())
    assert sorted(matched.values()) == ["domain", "handle", "name"]
    slack = FakeSlack()
    try:
        client = slack_client("xoxb", slack.base_url, timeout_s=5)
        slack.script.append((200, {}, {"ok": False, "error": "channel_not_found"}))
        assert key_accounts.escalate(db, client, T + 30) == 2  # one failed, recorded, retried later
        assert key_accounts.escalate(db, client, T + 40) == 1
        assert key_accounts.escalate(db, client, T + 50) == 0  # each mention escalated once
        posts = slack.posts()
        assert {p["body"]["channel"] for p in posts} == {"#cs-acme"}
        assert all("Key account Acme Corp (owner Dana)" in p["body"]["text"] for p in posts)
    finally:
        slack.close()
    assert key_accounts.recent_hits(db, T - 1).values.tolist() == [["Acme Corp", "Dana", 3]]
    assert acme == 1


def test_the_runner_scans_and_every_page_flags_them(drill_store, monkeypatch):
    import time

    db = drill_store(20)  # its runner cycle has already scanned every message
    key_accounts.add_account(db, "Gadget Weekly", [], [], [], "Eve", "", ANA, time.time())
    first = key_accounts.recent_hits(db, 0)  # the last day's mentions are matched when the account is added
    assert first["account"].tolist() == ["Gadget Weekly"] and first["mentions"].iloc[0] > 0
    Runner(db, [], VaderEngine()).detect_and_notify()  # later cycles add nothing twice
    assert key_accounts.recent_hits(db, 0).equals(first)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    banner = [w.value for w in at.warning if "Key accounts mentioned" in w.value]
    assert banner and "Gadget Weekly" in banner[0] and "owner Eve" in banner[0]
    at.switch_page("pages/team.py").run()
    assert not at.exception, at.exception
    assert at.dataframe[-1].value["name"].tolist() == ["Gadget Weekly"]


def test_level_alerts_list_key_accounts_mentioned(db, clock):
    from tests.fake_slack import sent_level_alert_blocks

    key_accounts.add_account(db, "Acme Corp", ["@acmecorp"], [], [], "Dana", "", ANA, T)
    fill(db, [message("1", "cameras down", author="@AcmeCorp", at=T)])
    key_accounts.scan(db, T)
    clock.now = T + 60
    texts = [b.get("text", {}).get("text", "") for b in sent_level_alert_blocks(db, clock, T)]
    assert "Key accounts mentioned in the last hour: Acme Corp (1, owner Dana)" in texts
