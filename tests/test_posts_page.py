"""The Scheduled posts page (AppTest): pause with a reason, hold one post,
bulk move to drafts, accept the detector's proposal, audit entries."""

import time

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from crisis.detector import Detector
from crisis.presets import PRESETS
from monitors.replay import ReplayMonitor
from sentiment.lexicon import VaderEngine
from store.audit import AuditFilter, search
from store.schema import scheduled_posts as sp
from tests.actors import ANA
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


def test_the_detectors_hold_proposal_is_accepted_in_one_click(drill_config, monkeypatch):
    at, db = open_page(drill_config, monkeypatch)
    Detector(db, PRESETS["medium"]).declare(ANA, "leak confirmed", time.time())
    at.run()
    assert any("proposes holding" in w.value for w in at.warning)
    at.button(key="accept_proposal").click().run()
    assert set(statuses(db).values()) == {"held"}  # all four drill posts are due within 24 h
    assert not any("proposes holding" in w.value for w in at.warning)  # accepted: the proposal is gone
