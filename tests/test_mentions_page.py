"""The Mentions page (AppTest): ticks stay on their messages while new ones
arrive, no preselected decision, undo, and filters and page from the URL."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from model.score import Score
from store.connection import write
from store.ingest import store_messages
from store.schema import messages, triage
from tests.conftest import ROOT, message
from worker.service import open_store


@pytest.fixture
def page(drill_config, monkeypatch):
    path, settings = drill_config()
    db = open_store(settings)
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    now = time.time()

    def add(prefix: str, n: int, at: float, **kw) -> None:
        with write(db) as conn:
            batch = [message(f"{prefix}{i}", f"{prefix} post {i}", at=at + i, **kw) for i in range(n)]
            store_messages(conn, batch, [Score("negative", -0.5)] * n, ("t", "1"), now)

    def make(**query) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        for key, value in query.items():
            at.query_params[key] = value
        at.switch_page("pages/mentions.py").run()
        assert not at.exception, at.exception
        return at

    make.db, make.add, make.now = db, add, now
    return make


def tick(at: AppTest, rows: list[int]) -> None:
    key = f"m_table__{at.session_state['m_table__gen']}"  # the table widget's current key
    at.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception


def url(at: AppTest, name: str) -> list[str]:
    value = at.query_params.get(name)
    return list(value) if isinstance(value, (list, tuple)) else [value] if value else []


def triaged(db) -> dict[str, str]:
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(messages.c.external_id, triage.c.decision).join(triage, triage.c.message_id == messages.c.id)
        ).all()
    return dict(rows)


def test_ticks_stay_on_their_messages_while_new_ones_arrive(page):
    page.add("old", 5, page.now - 300)
    at = page()
    messages_shown = at.dataframe[0].value["message"].tolist()
    assert messages_shown[0] == "old post 4"
    tick(at, [1, 2])  # "old post 3", "old post 2"
    page.add("new", 3, page.now - 30)  # newer mentions at the top of the live list
    page.add("staff", 1, page.now - 10, source="slack", channel="#general")
    at.run()  # any click re-runs the page
    assert at.dataframe[0].value["message"].tolist() == messages_shown  # held: same rows, same positions
    assert any("list held while rows are ticked" in c.value for c in at.caption)
    triage_button = at.button(key="m_apply_triage")
    assert triage_button.label == "Triage 2"
    assert triage_button.disabled  # no decision is preselected
    assert at.selectbox(key="m_decision").value is None
    at.selectbox(key="m_decision").set_value("monitor").run()
    at.button(key="m_apply_triage").click().run()
    assert not at.exception, at.exception
    assert triaged(page.db) == {"old3": "monitor", "old2": "monitor"}  # exactly the ticked ones
    # After the action, the ticks are gone and the list shows the newer mentions.
    assert at.button(key="m_apply_triage").label == "Triage 0"
    assert at.dataframe[0].value["message"].tolist()[:2] == ["staff post 0", "new post 2"]

    # Undo: back to untriaged, audited, and the button goes away.
    undo = at.button(key="m_undo")
    assert "2 mention(s) set to monitor" in undo.label
    undo.click().run()
    assert triaged(page.db) == {}
    assert any("Undone: 2 mention(s)" in s.value for s in at.success)
    assert not [b for b in at.button if b.key == "m_undo"]


def test_filters_and_page_come_from_and_go_to_the_url(page):
    page.add("a", 60, page.now - 3000)
    page.add("b", 3, page.now - 100, source="news")
    at = page(sentiment="negative", source="x", page="2", window="last hour", q="post")
    assert at.multiselect(key="m_labels").value == ["negative"]
    assert at.multiselect(key="m_sources").value == ["x"]
    assert at.selectbox(key="m_window").value == "last hour"
    assert at.text_input(key="m_keyword").value == "post"
    assert at.number_input(key="m_page").value == 2
    assert len(at.dataframe[0].value) == 10  # 60 from x, page 2 of 50 a page
    at.multiselect(key="m_sources").set_value(["news"]).run()
    assert url(at, "source") == ["news"]
    assert url(at, "page") == []  # page 2 no longer exists: back to page 1, the default
    assert url(at, "window") == ["last hour"]
    at.multiselect(key="m_labels").set_value(["negative", "neutral"]).run()
    assert url(at, "sentiment") == ["negative", "neutral"]
    # Nonsense in the URL is ignored, not an error.
    at = page(sentiment="furious", page="x", window="forever")
    assert at.multiselect(key="m_labels").value == []
    assert at.selectbox(key="m_window").value == "last 24 hours"


def test_the_one_time_formatter_names_the_zone():
    from zoneinfo import ZoneInfo

    from pages.common.timefmt import display_time, time_header, viewer_zone, zone_name

    t = 1_800_000_000  # 2027-01-15 08:00 UTC
    assert display_time(t, ZoneInfo("Europe/Amsterdam"), "%H:%M") == "09:00 CET"
    assert display_time(t, ZoneInfo("America/Sao_Paulo"), "%H:%M") == "05:00 UTC-03:00"  # no letters for this zone
    assert display_time(t, ZoneInfo("UTC"), "%H:%M", with_zone=False) == "08:00"
    assert display_time(None, ZoneInfo("UTC")) == "–"
    assert zone_name(ZoneInfo("Europe/Amsterdam"), t + 200 * 86400) == "CEST"  # summer time
    assert time_header("when", ZoneInfo("UTC")) == "when (UTC)"
    assert viewer_zone(ZoneInfo("Asia/Tokyo")) == ZoneInfo("Asia/Tokyo")  # no browser here: the configured default
