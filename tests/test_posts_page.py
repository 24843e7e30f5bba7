"""The Scheduled posts page (AppTest): pause with a reason, hold one post,
bulk move to drafts, a proposal to hold posts that waits for a decision
(accepted, dismissed with a reason, or already decided by a colleague),
published posts kept in the list, audit entries."""

import time

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from crisis.detector import Detector
from crisis.presets import PRESETS
from monitors.replay import ReplayMonitor
from publishing import proposals
from publishing.channels import DryRunChannel
from publishing.publisher import Publisher
from sentiment.lexicon import VaderEngine
from store.audit import AuditFilter, search
from store.schema import scheduled_posts as sp
from tests.actors import ANA, BEN
from tests.conftest import ROOT
from worker.runner import Runner
from worker.service import open_store, restart_drill


def recent(db):
    """The audit log, newest first."""
    return search(db, AuditFilter(0, 1e12), 500)[1]


def open_page(drill_config, monkeypatch):
    path, settings = drill_config()
    db = open_store(settings)
    restart_drill(db, settings, at_s=30)
    Runner(db, [ReplayMonitor(settings.scenario_path)], VaderEngine()).run_pending()  # stores the drill's posts
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/posts.py").run()
    assert not at.exception, at.exception
    return at, db


def statuses(db):
    with db.connect() as conn:
        return dict(conn.execute(sa.select(sp.c.text, sp.c.status)).all())


def test_the_drills_posts_are_listed_with_their_risks(drill_config, monkeypatch):
    at, db = open_page(drill_config, monkeypatch)
    table = at.dataframe[0].value
    assert len(table) == 4 and set(table["status"]) == {"scheduled"}
    killer = table[table["post"].str.contains("killer deal")]
    assert "sensitive terms: 'killer deal'" in killer["risk"].item()


def test_pause_all_with_a_reason_then_hold_and_bulk_draft(drill_config, monkeypatch):
    at, db = open_page(drill_config, monkeypatch)
    at.button(key="pause_submit").click().run()
    assert any("needs a reason" in e.value for e in at.error)
    at.text_input(key="pause_reason").input("camera leak breaking")
    at.button(key="pause_submit").click().run()
    assert any(e.value.startswith("**ALL PUBLISHING PAUSED** by local user: camera leak breaking") for e in at.error)

    table = at.dataframe[0].value
    first = int(table.index[table["post"].str.contains("killer deal")][0])
    at.session_state["posts_table"] = {"selection": {"rows": [first], "columns": [], "cells": []}}
    at.run()
    at.selectbox(key="bulk_action").set_value("hold")
    at.text_input(key="bulk_reason").input("tone-deaf during the leak")
    at.button(key="bulk_apply").click().run()
    assert statuses(db)["Black Friday killer deal: Tidewell Cam Indoor 40% off. Never miss a moment at home!"] == "held"

    rows = [i for i, s in enumerate(at.dataframe[0].value["status"]) if s == "scheduled"]
    at.session_state["posts_table"] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()
    at.selectbox(key="bulk_action").set_value("draft")
    at.button(key="bulk_apply").click().run()
    assert sorted(statuses(db).values()) == ["draft", "draft", "draft", "held"]

    log = recent(db)
    assert {"publishing.pause", "post.hold", "post.draft"} <= set(log["action"])
    hold = log[log["action"] == "post.hold"].iloc[0]
    assert (hold["who"], hold["reason"]) == ("local user", "tone-deaf during the leak")
    audit_table = at.dataframe[-1].value  # the audit log is the last table on the page
    assert {"publishing.pause", "post.hold", "post.draft"} <= set(audit_table["action"])


def table_by_key(at, key):
    return next(d for d in at.dataframe if d.proto.id and key in d.proto.id).value


def test_a_declared_crisis_proposal_waits_through_evaluations_and_is_accepted(drill_config, monkeypatch):
    at, db = open_page(drill_config, monkeypatch)
    assert any(c.value.startswith("No proposal to hold posts waits") for c in at.caption)
    detector = Detector(db, PRESETS["medium"])
    detector.declare(ANA, "leak confirmed", time.time())
    at.run()
    assert any(w.value.startswith("Proposal #1: hold 4 post(s). It waits for a decision.") for w in at.warning)
    assert any(t.value.startswith("Proposed by ana (declared a crisis) at ") for t in at.text)
    assert any(t.value.endswith(": leak confirmed") for t in at.text)
    proposed = at.dataframe[0].value
    assert len(proposed) == 4 and set(proposed["status now"]) == {"scheduled"}
    for minute in range(1, 6):  # five evaluations later, it is still there, unchanged
        detector.evaluate(time.time() + 60 * minute)
        at.run()
        assert any(w.value.startswith("Proposal #1: hold 4 post(s)") for w in at.warning)
    at.button(key="proposal_accept").click().run()
    assert not at.exception, at.exception
    assert set(statuses(db).values()) == {"held"}  # all four drill posts are due within 24 h
    assert any(s.value == "Proposal #1 accepted: its posts are held." for s in at.success)
    assert not any(w.value.startswith("Proposal #1") for w in at.warning)  # decided: no longer waiting
    assert "publishing.hold_accepted" in set(recent(db)["action"])
    assert at.dataframe[-1].value.iloc[0]["action"] == "publishing.hold_accepted"  # the audit table


def test_dismissing_the_proposal_needs_a_reason(drill_config, monkeypatch):
    at, db = open_page(drill_config, monkeypatch)
    Detector(db, PRESETS["medium"]).declare(ANA, "leak confirmed", time.time())
    at.run()
    at.button(key="proposal_dismiss").click().run()
    assert any("Dismiss the proposal: NOT done. dismissing a proposal" in e.value for e in at.error)
    assert proposals.pending(db) is not None
    at.text_input(key="proposal_dismiss_reason").input("the posts are unrelated")
    at.button(key="proposal_dismiss").click().run()
    assert proposals.pending(db) is None and set(statuses(db).values()) == {"scheduled"}
    assert any("dismissed: its posts go out as scheduled" in s.value for s in at.success)


def test_a_proposal_a_colleague_decided_meanwhile_is_not_decided_twice(drill_config, monkeypatch):
    at, db = open_page(drill_config, monkeypatch)
    Detector(db, PRESETS["medium"]).declare(ANA, "leak confirmed", time.time())
    at.run()  # this page shows proposal #1
    shown = proposals.open_proposal(db)
    proposals.dismiss(db, shown.id, BEN, "unrelated", time.time(), seen_version=shown.version)
    at.button(key="proposal_accept").click().run()
    assert any(
        e.value.startswith("Hold the proposed posts: NOT done, nothing changed. ben already dismissed this proposal")
        for e in at.error
    )
    assert set(statuses(db).values()) == {"scheduled"}
    assert proposals.get(db, shown.id).decided_by == "ben"


def test_published_posts_stay_listed_as_published_and_can_be_filtered(drill_config, monkeypatch):
    at, db = open_page(drill_config, monkeypatch)
    with db.connect() as conn:
        first = conn.execute(sa.select(sp.c.id).order_by(sp.c.scheduled_at)).scalars().first()
        conn.execute(sp.update().where(sp.c.id == first).values(scheduled_at=int(time.time()) - 1))
        conn.commit()  # its time has come
    channel = DryRunChannel()
    [sent] = Publisher(db, {"x": channel, "slack": channel}, "pub").run_once()
    assert (sent.post_id, sent.status) == (first, "published")
    at.run()
    table = at.dataframe[0].value
    assert len(table) == 4
    done = table[table["status"] == "published"]
    assert len(done) == 1 and done["channel"].item() == "x" and done["published"].item() not in ("", "–")
    at.multiselect(key="posts_status").set_value(["published"]).run()
    only = at.dataframe[0].value
    assert list(only["status"]) == ["published"]
    at.multiselect(key="posts_status").set_value(["scheduled", "held"]).run()
    assert set(at.dataframe[0].value["status"]) == {"scheduled"} and len(at.dataframe[0].value) == 3
