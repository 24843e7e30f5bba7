"""The incident record and crisis FAQ: history, roles, publishing, export."""

import json

import pytest
from markdown_it import MarkdownIt

from access.roles import NotAllowed
from crisis.notify import slack_client
from incidents import faq
from tests.actors import ANA, BEN, CLEO, VIC
from tests.fake_slack import FakeSlack

T = 1_800_000_000


def incident(db):
    return faq.declare(db, "Camera clip leak", "Clips were exposed on an open bucket.", ["leak", "clips"], ANA, T)


def test_history_is_complete_and_ordered(db):
    inc = incident(db)
    entry = faq.add_entry(db, inc, "Were my clips exposed?", "", "Ben", ANA, T + 1)
    faq.update_entry(db, entry, BEN, T + 2, answer="We are checking.")
    faq.update_entry(db, entry, BEN, T + 3, answer="Clips from 1-15 Jan may have been exposed.")
    faq.approve(db, entry, CLEO, T + 4)
    faq.update_incident(db, inc, ANA, T + 5, cause_status="known", cause="A bucket policy change in a deploy.")
    h = faq.history(db, inc)
    assert list(h["at"]) == sorted(h["at"]) and list(h["id"]) == sorted(h["id"])
    assert [(r.who, r.kind, r.action) for r in h.itertuples()] == [
        ("ana", "incident", "create"),
        ("ana", "entry", "create"),
        ("ben", "entry", "update"),
        ("ben", "entry", "update"),
        ("cleo", "entry", "approve"),
        ("ana", "incident", "update"),
    ]
    third = json.loads(h.iloc[3]["changes"])
    assert third["answer"] == ["We are checking.", "Clips from 1-15 Jan may have been exposed."]
    assert json.loads(h.iloc[4]["changes"])["status"] == ["draft", "approved"]


def test_only_editors_change_the_record_and_approve(db):
    inc = incident(db)
    entry = faq.add_entry(db, inc, "Q?", "A.", "Ben", ANA, T)
    with pytest.raises(NotAllowed, match="vic is viewer"):
        faq.approve(db, entry, VIC, T + 1)
    with pytest.raises(NotAllowed):
        faq.update_entry(db, entry, VIC, T + 1, answer="changed")
    with pytest.raises(faq.FaqError, match="use approve"):
        faq.update_entry(db, entry, ANA, T + 1, status="approved")
    assert faq.record(db, inc).entries["status"].tolist() == ["draft"]
    faq.approve(db, entry, ANA, T + 2)
    # Editing an approved answer sends it back to draft until approved again.
    faq.update_entry(db, entry, ANA, T + 3, answer="A, corrected.")
    assert faq.record(db, inc).entries["status"].tolist() == ["draft"]
    with pytest.raises(faq.FaqError, match="already active"):
        faq.declare(db, "Another", "", [], ANA, T)


def test_publishing_sends_exactly_the_approved_entries_then_only_changes(db):
    inc = incident(db)
    a = faq.add_entry(db, inc, "Were my clips exposed?", "Clips from 1-15 Jan.", "Ben", ANA, T)
    b = faq.add_entry(db, inc, "What should I tell customers?", "Point them to the FAQ page.", "Ben", ANA, T)
    faq.add_entry(db, inc, "Will there be refunds?", "Not decided.", "Ben", ANA, T)  # stays a draft
    faq.approve(db, a, ANA, T)
    faq.approve(db, b, ANA, T)
    slack = FakeSlack()
    try:
        client = slack_client("xoxb-test", slack.base_url, timeout_s=5)
        assert faq.publish(db, client, "#staff", inc, ANA, T + 10, changes_only=True) == 2
        [post] = slack.posts()
        assert post["body"]["channel"] == "#staff"
        assert (
            "Were my clips exposed?" in post["body"]["text"] and "What should I tell customers?" in post["body"]["text"]
        )
        assert "refunds" not in post["body"]["text"]
        # Nothing changed: nothing to send.
        assert faq.publish(db, client, "#staff", inc, ANA, T + 20, changes_only=True) == 0
        faq.update_entry(db, b, ANA, T + 30, answer="Point them to tidewell.example/security.")
        faq.approve(db, b, ANA, T + 31)
        assert faq.publish(db, client, "#staff", inc, ANA, T + 40, changes_only=True) == 1
        second = slack.posts()[1]["body"]["text"]
        assert "changes since the last update" in second and "tidewell.example/security" in second
        assert "Were my clips exposed?" not in second
    finally:
        slack.close()


def test_markdown_export_escapes_and_shows_only_approved(db):
    inc = incident(db)
    faq.add_fact(db, inc, T, "Bucket closed at [10:42](javascript:x)", "engineering", True, ANA, T)
    e = faq.add_entry(db, inc, "Is it *over*?", "Yes.", "Ben", ANA, T)
    faq.add_entry(db, inc, "Draft question", "", "Ben", ANA, T)
    faq.approve(db, e, ANA, T)
    text = faq.to_markdown(faq.record(db, inc))
    assert "\\[10\\:42\\]\\(javascript\u2060\\:x\\)" in text and "Is it \\*over\\*?" in text
    tokens = [
        t
        for block in MarkdownIt("commonmark", {"linkify": True}).enable("linkify").parse(text)
        for t in [block, *(block.children or [])]
    ]
    assert not [t for t in tokens if t.type in ("link_open", "image", "em_open")]
    assert "(verified)" in text and "Draft question" not in text


def test_status_line_for_the_wall(db):
    assert faq.status_line(db) is None
    inc = incident(db)
    e = faq.add_entry(db, inc, "Q?", "A.", "Ben", ANA, T + 5)
    faq.approve(db, e, ANA, T + 9)
    line = faq.status_line(db)
    assert (line["name"], line["approved"], line["draft"], line["updated_at"]) == ("Camera clip leak", 1, 0, T + 9)
    faq.resolve(db, inc, ANA, T + 10)
    assert faq.status_line(db) is None
