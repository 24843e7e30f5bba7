"""Alert feedback: verdicts on alerts, missed crises, precision over 30 days."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from access.roles import Actor, NotAllowed
from crisis import feedback
from store.connection import write
from store.schema import alert_feedback, alerts, audit_log, missed_crises
from tests.conftest import ROOT

NOW = 1_800_000_000.0
EDITOR = Actor("eddie", "editor")


def add_alert(db, at: float, old: int = 0, new: int = 1, kind: str = "level", reason: str = "detected") -> int:
    with write(db) as conn:
        return conn.execute(
            alerts.insert()
            .values(
                at=at,
                kind=kind,
                audience="crisis_team",
                old_level=old,
                new_level=new,
                reason=reason,
                summary=f"{reason} at {at}",
                explanation=json.dumps({}),
            )
            .returning(alerts.c.id)
        ).scalar_one()


def audit(db) -> list[tuple]:
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(audit_log.c.who, audit_log.c.action, audit_log.c.reason))]


def test_verdicts_precision_and_misses_over_30_days(db):
    useful, late, false, unmarked = (add_alert(db, NOW - k * 3600) for k in (1, 2, 3, 4))
    useful2 = add_alert(db, NOW - 5 * 3600, old=1, new=2)
    old = add_alert(db, NOW - 40 * 86400)  # before the 30 days
    feedback.mark_alert(db, EDITOR, useful, "useful", NOW, "we held the posts in time")
    feedback.mark_alert(db, EDITOR, useful2, "useful", NOW)
    feedback.mark_alert(db, EDITOR, late, "late", NOW)
    feedback.mark_alert(db, EDITOR, false, "useful", NOW)
    feedback.mark_alert(db, Actor("lea", "lead"), false, "false_alarm", NOW + 1, "a newsletter")  # changed: latest wins
    feedback.mark_alert(db, EDITOR, old, "false_alarm", NOW)
    feedback.record_miss(db, EDITOR, NOW - 86400, "the forum outage nobody saw", NOW)
    feedback.record_miss(db, EDITOR, NOW - 31 * 86400, "too long ago to count", NOW)

    judged = feedback.summary(db, NOW + 2)
    assert (judged.alerts, judged.marked, judged.useful, judged.late, judged.false_alarm) == (5, 4, 2, 1, 1)
    assert judged.precision == pytest.approx(3 / 4)  # useful or late, of those marked
    assert [m.note for m in judged.misses] == ["the forum outage nobody saw"]
    rows = {r.id: r for r in feedback.raised_alerts(db, NOW + 2)}
    assert rows[false].verdict == "false_alarm" and rows[false].who == "lea" and rows[false].note == "a newsletter"
    assert rows[unmarked].verdict is None and old not in rows
    trail = audit(db)
    assert ("lea", "crisis.alert_feedback", "a newsletter") in trail
    assert ("eddie", "crisis.missed", "the forum outage nobody saw") in trail


def test_no_verdicts_means_no_precision_yet(db):
    add_alert(db, NOW - 60)
    judged = feedback.summary(db, NOW)
    assert judged.alerts == 1 and judged.marked == 0 and judged.precision is None


def test_bad_input_is_refused_with_the_reason_and_nothing_is_kept(db):
    calmed = add_alert(db, NOW - 60, old=1, new=0, reason="calmed")
    digest = add_alert(db, NOW - 60, old=None, new=0, kind="digest", reason="digest")
    raised = add_alert(db, NOW - 60)
    with pytest.raises(ValueError, match="verdict must be one of"):
        feedback.mark_alert(db, EDITOR, raised, "meh", NOW)
    for not_a_raise in (calmed, digest, 9999):
        with pytest.raises(ValueError, match=f"no raised-level alert with id {not_a_raise}"):
            feedback.mark_alert(db, EDITOR, not_a_raise, "useful", NOW)
    with pytest.raises(ValueError, match="the note is empty"):
        feedback.record_miss(db, EDITOR, NOW - 60, "  ", NOW)
    with pytest.raises(ValueError, match="in the past"):
        feedback.record_miss(db, EDITOR, NOW + 3600, "tomorrow's crisis", NOW)
    with pytest.raises(ValueError, match="at most 2000"):
        feedback.record_miss(db, EDITOR, NOW - 60, "x" * 2001, NOW)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(alert_feedback)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(missed_crises)).scalar() == 0
    assert audit(db) == []


@pytest.mark.parametrize("role", ["display", "viewer"])
def test_roles_below_editor_are_refused(db, role):
    raised = add_alert(db, NOW - 60)
    with pytest.raises(NotAllowed, match="needs the role editor"):
        feedback.mark_alert(db, Actor("someone", role), raised, "useful", NOW)
    with pytest.raises(NotAllowed, match="needs the role editor"):
        feedback.record_miss(db, Actor("someone", role), NOW - 60, "missed", NOW)
    assert feedback.summary(db, NOW).marked == 0 and audit(db) == []


# --- the Crisis level page (AppTest) ---------------------------------------------------


@pytest.fixture
def crisis_page(drill_config, monkeypatch):
    from worker.service import open_store

    def make(role: str = "admin"):
        path, settings = drill_config(f'[access]\nlocal_role = "{role}"\n')
        db = open_store(settings)
        monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
        return db

    return make


def open_crisis_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/crisis.py").run()
    assert not at.exception, at.exception
    return at


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_the_page_marks_an_alert_records_a_miss_and_shows_precision(crisis_page):
    import time

    db = crisis_page("editor")
    first = add_alert(db, time.time() - 3600)
    add_alert(db, time.time() - 1800, old=1, new=2)
    at = open_crisis_page()
    assert metric(at, "Precision of alerts") == "–" and metric(at, "Alerts marked") == "0 of 2"
    at.selectbox(key="feedback_alert").set_value(first)
    at.radio(key="feedback_verdict").set_value("false_alarm")
    at.text_input(key="feedback_note").input("the weekly newsletter")
    next(b for b in at.button if b.label == "Record the verdict").click().run()
    assert not at.exception, at.exception
    assert metric(at, "Alerts marked") == "1 of 2" and metric(at, "Precision of alerts") == "0%"
    assert metric(at, "False alarms") == "1"
    table = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert table["verdict"].tolist() == ["not marked", "false alarm"]
    assert table["note"].tolist() == ["", "the weekly newsletter"]

    at.text_input(key="missed_note").input("<b>forum outage</b> [link](https://evil.example)")
    next(b for b in at.button if b.label == "Record the miss").click().run()
    assert not at.exception, at.exception
    assert metric(at, "Missed crises") == "1"
    misses = next(d.value for d in at.dataframe if "what was missed" in d.value.columns)
    assert misses["what was missed"].tolist() == ["<b>forum outage</b> [link](https://evil.example)"]  # plain text
    assert misses["recorded by"].tolist() == ["local user"]


def test_the_page_refuses_an_empty_miss_with_the_reason(crisis_page):
    crisis_page("editor")
    at = open_crisis_page()
    next(b for b in at.button if b.label == "Record the miss").click().run()
    assert any("the note is empty" in e.value for e in at.error)
    assert metric(at, "Missed crises") == "0"


def test_a_viewer_sees_precision_but_cannot_mark(crisis_page):
    import time

    db = crisis_page("viewer")
    add_alert(db, time.time() - 60)
    at = open_crisis_page()
    assert metric(at, "Alerts marked") == "0 of 1"
    for label in ("Record the verdict", "Record the miss"):
        button = next(b for b in at.button if b.label == label)
        assert button.disabled
