"""The crisis level on the wall and on its own page (AppTest)."""

import json
import re

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from store.schema import alerts
from tests.conftest import ROOT


def test_the_wall_shows_the_crisis_level_with_its_explanation(drill_store):
    drill_store(20)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    banner = at.error[0].value
    assert re.match(r"\*\*(CRISIS|WATCH) since \d\d:\d\d UTC · \d+ (s|min)\*\*\n\n", banner), banner
    assert "expected" in banner


def test_the_wall_is_calm_before_the_onset(drill_store):
    drill_store(0.5)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert at.success[0].value.startswith("**NORMAL**")


def test_declare_and_stand_down_from_the_crisis_page(drill_store):
    db = drill_store(0.5)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/crisis.py").run()
    assert not at.exception, at.exception
    assert at.header[0].value == "Crisis level: NORMAL"
    at.button[0].click().run()  # no reason given
    assert any("Say why" in e.value for e in at.error)
    at.text_input(key="override_why").input("reporter from the Ledger is calling")
    at.button[0].click().run()
    assert at.header[0].value == "Crisis level: CRISIS"
    at.text_input(key="override_why").input("statement published")
    at.button[1].click().run()
    assert at.header[0].value == "Crisis level: NORMAL"
    with db.connect() as conn:
        rows = conn.execute(sa.select(alerts.c.reason, alerts.c.who, alerts.c.why)).all()
    assert [tuple(r) for r in rows] == [
        ("declared", "local user", "reporter from the Ledger is calling"),
        ("stood down", "local user", "statement published"),
    ]
    history = next(d.value for d in at.dataframe if "sent to Slack" in d.value.columns)
    assert history["why"].tolist() == ["stood down", "declared"]


def test_the_crisis_page_and_the_summary_name_the_top_narratives(drill_store):
    from crisis.detector import crisis_status

    db = drill_store(20)
    status = crisis_status(db)
    stories = status["explanation"]["narratives"]
    assert stories and 'top story: "' in status["summary"]
    assert stories == sorted(stories, key=lambda s: -s["posts"])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/crisis.py").run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "what people are saying" in d.value.columns)
    assert list(table["posts"]) == [s["posts"] for s in stories]
    lines = [json.loads(line) for line in (ROOT / "scenarios" / "tidewell-camera-leak.jsonl").open()][1:]
    lines = [x for x in lines if x.get("kind", "message") == "message"]
    outside = {x["text"] for x in lines if x["source"] != "slack"}
    staff = {x["text"] for x in lines if x["source"] == "slack"}
    assert set(table["what people are saying"]) <= outside - staff  # real outside posts, never a staff message


def test_declaring_a_crisis_proposes_holding_the_posts_in_the_persons_name(drill_store):
    from publishing import proposals

    db = drill_store(0.5)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/crisis.py").run()
    assert proposals.pending(db) is None and not any("A proposal to hold" in w.value for w in at.warning)
    at.text_input(key="override_why").input("reporter from the Ledger is calling")
    at.button[0].click().run()
    proposal = proposals.open_proposal(db)
    assert (proposal.origin, proposal.proposed_by, proposal.trigger) == (
        "declaration",
        "local user",
        "reporter from the Ledger is calling",
    )
    assert len(proposal.posts) == 4  # the drill's posts, all due within 24 h
    assert any(
        w.value.startswith("A proposal to hold 4 scheduled post(s), made by local user at ")
        and w.value.endswith("waits for a decision.")
        for w in at.warning
    )
    at.text_input(key="override_why").input("statement published")
    at.button[1].click().run()  # standing down leaves the decision to a person
    assert proposals.pending(db).id == proposal.id


def test_the_crisis_page_says_since_when_in_the_viewers_zone(drill_store, monkeypatch):
    """The stored summary says "rising since HH:MM UTC"; the page renders it from
    the stored time in the viewer's zone (here India, UTC+5:30), and keeps the rest."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from crisis.detector import crisis_status
    from pages.common import timefmt

    db = drill_store(20)
    status = crisis_status(db)
    since = status["explanation"]["since"]
    utc = datetime.fromtimestamp(since, tz=timezone.utc).strftime("%H:%M UTC")
    assert f"rising since {utc}" in status["summary"]  # the stored line, as alerts and the audit read it
    india = datetime.fromtimestamp(since, tz=ZoneInfo("Asia/Kolkata")).strftime("%H:%M IST")
    monkeypatch.setattr(timefmt, "viewer_zone", lambda default: ZoneInfo("Asia/Kolkata"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/crisis.py").run()
    assert not at.exception, at.exception
    line = at.text[0].value
    assert f"rising since {india}" in line and "UTC" not in line
    assert line == status["summary"].replace(f"rising since {utc}", f"rising since {india}")[: len(line)]


def test_a_summary_the_detector_did_not_build_is_shown_as_stored():
    from zoneinfo import ZoneInfo

    from pages.common.timefmt import level_summary

    zone = ZoneInfo("Asia/Kolkata")
    declared = {"summary": "CRISIS · declared by Dana: reporter calling", "explanation": {"since": 1_800_000_000}}
    assert level_summary(declared, zone) == declared["summary"]
    assert level_summary({"summary": "No evaluation yet.", "explanation": {}}, zone) == "No evaluation yet."
