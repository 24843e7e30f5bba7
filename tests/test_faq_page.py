"""The Crisis FAQ page (AppTest), and the FAQ on the wall, the brief and the posts' risks."""

import re
import time
from zoneinfo import ZoneInfo

from streamlit.testing.v1 import AppTest

from crisis.brief import build_brief
from incidents import faq
from publishing.risk import risk_flags
from tests.actors import ANA
from tests.conftest import ROOT


def open_faq():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/faq.py").run()
    assert not at.exception, at.exception
    return at


def test_declare_add_approve_read_and_diff(drill_store):
    db = drill_store(20)
    at = open_faq()
    assert any("No active incident" in i.value for i in at.info)
    assert any("detector reports a crisis" in w.value for w in at.warning)  # the level suggests declaring
    at.text_input(key="inc_name").input("Camera clip leak")
    at.text_area(key="inc_summary").input("Customers' clips were exposed on an open bucket.")
    at.text_input(key="inc_keywords").input("leak, clips, bucket")
    at.button(key="FormSubmitter:declare_form-Declare the incident").click().run()
    assert at.subheader[0].value == "Camera clip leak"

    at.text_input(key="new_question").input("Were my clips exposed?")
    at.text_area(key="new_answer").input("We are checking the logs.")
    at.button(key="FormSubmitter:entry_form-Add question").click().run()
    entry_id = int(faq.record(db, faq.active(db).id).entries["id"].iloc[0])
    at.text_area(key=f"answer_{entry_id}").input("Clips from 1-15 January may have been exposed.")
    at.button(key="FormSubmitter:answer_form-Approve").click().run()
    assert not at.exception, at.exception
    entries = faq.record(db, faq.active(db).id).entries
    assert entries[["answer", "status"]].values.tolist() == [
        ["Clips from 1-15 January may have been exposed.", "approved"]
    ]
    assert any(t.value == "A: Clips from 1-15 January may have been exposed." for t in at.text)

    history = at.dataframe[-2].value  # then the change picked below it
    assert history["action"].tolist() == ["create", "create", "update", "approve"]
    at.selectbox(key="history_pick").set_value(2).run()  # the answer's edit
    diff = at.dataframe[-1].value  # side by side, readable: no unified-diff markers, no Unix seconds
    answer = diff[diff["field"] == "answer"].iloc[0]
    assert (answer["before"], answer["after"], answer["change"]) == (
        "We are checking the logs.",
        "Clips from 1-15 January may have been exposed.",
        "changed",
    )
    stamp = diff[diff["field"] == "updated at"].iloc[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", stamp["after"]), stamp["after"]
    assert not at.code
    assert len(at.get("download_button")) == 1


def test_the_wall_brief_and_posts_know_the_faq(drill_store):
    db = drill_store(20)
    inc = faq.declare(db, "Camera clip leak", "Clips exposed.", ["leak", "clips"], ANA, time.time())
    e = faq.add_entry(db, inc, "Q?", "A.", "Ben", ANA, time.time())
    faq.approve(db, e, ANA, time.time())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert any(t.value.startswith("1 approved, 0 drafts · updated ") for t in at.text)  # the wall's FAQ tile
    rows = dict(build_brief(db, time.time(), "UTC").rows())
    assert rows["Crisis FAQ"].startswith("Camera clip leak: 1 approved answers, 0 drafts, 0 facts; updated ")
    [flags] = risk_flags(
        ["Share your favourite clips!"],
        [time.time() + 600],
        engine=None,
        sensitive_terms=[],
        crisis_terms=[],
        level="normal",
        now=time.time(),
        incident_terms=["leak", "clips"],
    )
    assert flags == ["overlaps the active incident's keywords: 'clips'"]


def test_the_faq_read_view_without_an_incident_for_anyone(drill_store):
    drill_store(0.5)
    at = open_faq()
    assert any("No active incident" in i.value for i in at.info)


def test_a_change_reads_side_by_side_in_local_time():
    changes = {
        "answer": ["Line one\nWe are checking.\nLine three", "Line one\nClips were exposed.\nLine three\nNew line"],
        "updated_at": [1_800_000_000.0, 1_800_003_600.5],
        "verified": [False, True],
        "question": [None, "Were my clips exposed?"],
    }
    rows = faq.side_by_side(changes, ZoneInfo("Europe/Amsterdam")).values.tolist()
    assert rows == [
        ["answer", "Line one", "Line one", ""],
        ["answer", "We are checking.", "Clips were exposed.", "changed"],
        ["answer", "Line three", "Line three", ""],
        ["answer", "", "New line", "added"],
        ["updated at", "2027-01-15 09:00:00 CET", "2027-01-15 10:00:00 CET", "changed"],
        ["verified", "no", "yes", "changed"],
        ["question", "", "Were my clips exposed?", "added"],
    ]
