"""The person on duty is paged with a signed acknowledge link; nobody answers in
N minutes: the next person in the roster, then the crisis lead; every step in
the audit log and on the Crisis level page. On a simulated clock."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from delivery import escalation
from delivery.escalation import AckSigner, Escalation, acknowledge
from delivery.router import Router
from delivery.setup import resolver
from incidents import team
from settings.schema import DeliverySettings, Settings
from store.connection import write
from store.schema import alerts, audit_log, deliveries
from tests.actors import ANA
from tests.conftest import ROOT
from tests.fake_hooks import FakeHook
from tests.test_delivery import add_level_alert

T0 = 1_800_000_000


def roster(db):
    """Ana leads; Ben is on duty; Cy is next in the roster; Dee is a spokesperson after Cy."""
    ana = team.add_member(db, "Ana", "lead", "ana@tidewell.example", ANA, T0)
    ben = team.add_member(db, "Ben", "monitor", "ben@tidewell.example", ANA, T0)
    cy = team.add_member(db, "Cy", "analyst", "+31 6 1234", ANA, T0)
    team.add_member(db, "Dee", "spokesperson", "dee@tidewell.example", ANA, T0)
    team.set_on_duty(db, ben, True, ANA, T0)
    return ana, ben, cy


def pager(db, clock, hook):
    signer = AckSigner("ack-key-for-tests", "https://crisis.tidewell.example")
    settings = Settings(delivery=DeliverySettings(routes={"on_duty": ["teams:duty"]}))
    resolve = resolver(settings, lambda env, s, k: hook.url if env == "TEAMS_WEBHOOK_DUTY" else None, lambda s, n: {})
    router = Router(db, {}, resolve, clock=clock, ack_link=signer.link)
    return Escalation(db, ["teams:duty"], ack_s=600, clock=clock), router, signer


def actions(db) -> list[tuple[str, str, str]]:
    with db.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(audit_log.c.action, audit_log.c.target, audit_log.c.reason)
                .where(audit_log.c.action.startswith("alert."))
                .order_by(audit_log.c.id)
            )
        ]


@pytest.fixture
def hook():
    fake = FakeHook()
    yield fake
    fake.close()


def test_unacknowledged_page_escalates_to_the_next_person_then_the_lead(db, clock, hook):
    ana, ben, cy = roster(db)
    alert = add_level_alert(db)
    esc, router, signer = pager(db, clock, hook)
    esc.run_once()
    router.run_once()
    card = hook.json(0)["attachments"][0]["content"]
    assert any("Paged: Ben \\(on duty\\)" == b["text"] for b in card["body"])
    link = card["actions"][0]["url"]
    assert link.startswith("https://crisis.tidewell.example/crisis?ack=")
    assert signer.verify(link.split("ack=")[1]) == (alert, ben)
    clock.advance(599)
    assert esc.run_once() == 0  # not yet
    clock.advance(1)
    assert esc.run_once() == 1  # ten minutes without an answer: Cy, next in the roster
    router.run_once()
    assert signer.verify(hook.json(1)["attachments"][0]["content"]["actions"][0]["url"].split("ack=")[1]) == (alert, cy)
    clock.advance(600)
    esc.run_once()  # then the crisis lead
    router.run_once()
    assert signer.verify(hook.json(2)["attachments"][0]["content"]["actions"][0]["url"].split("ack=")[1]) == (
        alert,
        ana,
    )
    clock.advance(600)
    assert esc.run_once() == 0  # nobody left: recorded, not looped
    assert [(a, r) for a, _, r in actions(db)] == [
        ("alert.page", "Ben (on duty)"),
        ("alert.escalate", "Ben did not acknowledge in 10 min"),
        ("alert.page", "Cy (next in the roster)"),
        ("alert.escalate", "Cy did not acknowledge in 10 min"),
        ("alert.page", "Ana (crisis lead)"),
        ("alert.escalate", "Ana did not acknowledge in 10 min"),
        ("alert.unanswered", "nobody acknowledged; no one left to page"),
    ]
    assert {t for _, t, _ in actions(db)} == {f"alert:{alert}"}
    clock.advance(3600)
    assert esc.run_once() == 0 and len(hook.received) == 3


def test_an_acknowledgement_stops_the_escalation(db, clock, hook):
    _, ben, _ = roster(db)
    alert = add_level_alert(db)
    esc, router, _ = pager(db, clock, hook)
    esc.run_once()
    router.run_once()
    clock.advance(300)
    assert acknowledge(db, alert, "Ben", clock(), via="link")
    assert not acknowledge(db, alert, "Ben", clock())  # once
    clock.advance(3600)
    assert esc.run_once() == 0 and len(hook.received) == 1
    assert actions(db)[-1] == ("alert.ack", f"alert:{alert}", "acknowledged (link)")
    pages = escalation.pages(db)
    assert pages[["paged", "status", "acked_by"]].values.tolist() == [["Ben", "acknowledged", "Ben"]]


def test_on_duty_email_goes_to_the_paged_persons_contact(db, clock):
    from tests.fake_hooks import FakeSmtp

    smtp = FakeSmtp()
    try:
        roster(db)
        add_level_alert(db)
        settings = Settings(
            delivery=DeliverySettings(
                routes={"on_duty": ["email:on-duty"]},
                smtp={"host": "127.0.0.1", "port": smtp.port, "security": "none", "sender": "desk@tidewell.example"},
            )
        )
        signer = AckSigner("k", "https://crisis.tidewell.example")
        router = Router(db, {}, resolver(settings, lambda *a: None, lambda s, n: {}), clock=clock, ack_link=signer.link)
        esc = Escalation(db, ["email:on-duty"], ack_s=600, clock=clock)
        esc.run_once()
        router.run_once()
        (got,) = smtp.messages
        assert got["to"] == ["ben@tidewell.example"]
        plain = got["mail"].get_body(("plain",)).get_content()
        assert "You are paged as the person on duty (Ben)." in plain and "Acknowledge: https://crisis." in plain
        clock.advance(600)
        esc.run_once()
        router.run_once()  # Cy's contact is a phone number: said, not guessed
        with db.connect() as conn:
            failed = conn.execute(sa.select(deliveries.c.last_error).where(deliveries.c.status == "failed")).scalar()
        assert failed == "Cy has no e-mail address as contact on the Team page"
    finally:
        smtp.close()


def test_calming_alerts_and_old_raises_page_nobody(db, clock, hook):
    roster(db)
    add_level_alert(db, level=0, old=2)  # stand down: nobody is woken
    add_level_alert(db, at=T0 - 7200)
    esc, _, _ = pager(db, clock, hook)
    assert esc.run_once() == 0


def test_a_link_that_was_altered_or_expired_is_refused():
    signer = AckSigner("key", "https://x.example", max_age_s=60)
    token = signer.token(5, 7)
    with pytest.raises(ValueError, match="not valid"):
        signer.verify(token[:-2] + ("aa" if not token.endswith("aa") else "bb"))
    with pytest.raises(ValueError, match="not valid"):
        AckSigner("other-key", "https://x.example").verify(token)
    assert signer.verify(token) == (5, 7)


def test_the_link_acknowledges_on_the_crisis_level_page_and_shows_every_step(drill_config, monkeypatch):
    monkeypatch.setenv("CRISISDESK_ACK_KEY", "page-ack-key")
    path, settings = drill_config(
        '[delivery]\nbase_url = "https://crisis.tidewell.example"\n[delivery.routes]\non_duty = ["teams:duty"]\n'
    )
    from worker.service import open_store

    db = open_store(settings)
    _, ben, _ = roster(db)
    with write(db) as conn:
        alert = conn.execute(
            alerts.insert()
            .values(
                at=T0,
                kind="level",
                audience="crisis_team",
                old_level=0,
                new_level=2,
                reason="detected",
                suppressed=False,
                summary="CRISIS",
                explanation=json.dumps({}),
            )
            .returning(alerts.c.id)
        ).scalar_one()
    Escalation(db, ["teams:duty"], ack_s=600, clock=lambda: T0).run_once()
    token = AckSigner.from_settings(settings).token(alert, ben)
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/crisis.py")
    at.query_params["ack"] = token
    at.run()
    assert not at.exception, at.exception
    assert any(f"Alert {alert} acknowledged by" in s.value and "Ben" in s.value for s in at.success)
    table = next(d.value for d in at.dataframe if {"paged", "as", "status"} <= set(d.value.columns))
    assert table[["paged", "as", "status"]].values.tolist() == [["Ben", "on duty", "acknowledged"]]
    at.query_params["ack"] = token[:-3] + "xyz"
    at.run()
    assert any("not valid" in e.value for e in at.error)
