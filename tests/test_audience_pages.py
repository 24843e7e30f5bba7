"""Overview, Mentions and Internal pulse (AppTest) on a store filled by the drill."""

import time

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from crisis.brief import build_brief
from store import queries
from store.schema import messages, triage
from tests.conftest import ROOT


def open_page(page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def metrics(at):
    return {m.label: (m.value, m.delta) for m in at.metric}


def test_overview_shows_the_brief_and_offers_downloads(drill_store):
    db = drill_store()
    at = open_page("pages/overview.py")
    brief = build_brief(db, time.time(), "UTC")
    figures = metrics(at)
    assert figures["Crisis level"][0] in ("▲ WATCH", "■ CRISIS")  # a shape beside the colour
    assert figures["Crisis level"][1] == "worse than 1 h ago"
    assert figures["24 h ago"][0] == "NORMAL"
    assert figures["Messages, last hour"][0] == f"{brief.messages_1h:,}"
    narratives = at.dataframe[0].value
    assert list(narratives["what people are saying"]) == [s["text"] for s in brief.narratives]
    assert 0 < len(narratives) <= 5 and list(narratives["posts"]) == sorted(narratives["posts"], reverse=True)
    markdown = brief.to_markdown()
    assert markdown.startswith("# Crisis brief, ") and "| Crisis level |" in markdown  # (drill=False: no DRILL)
    # The representative post is quoted and escaped like every outside text.
    assert '| Narrative 1 | \\"' in markdown and f"\\({brief.narratives[0]['posts']} posts, " in markdown
    assert "Narrative 1" in brief.to_csv()
    assert brief.to_csv().splitlines()[0] == '"item","value"'
    assert len(at.get("download_button")) == 4  # HTML, PDF, Markdown, CSV


def test_mentions_filters_change_the_result(drill_store):
    drill_store()
    at = open_page("pages/mentions.py")
    everything = int(at.caption[-1].value.split()[0].replace(",", ""))
    assert everything > 500
    at.multiselect(key="m_sources").set_value(["news"]).run()
    news = int(at.caption[-1].value.split()[0].replace(",", ""))
    assert 0 < news < everything and set(at.dataframe[0].value["source"]) == {"news"}
    at.multiselect(key="m_sources").set_value([]).run()
    at.text_input(key="m_keyword").input("PUBLIC website").run()
    table = at.dataframe[0].value
    assert len(table) > 0 and all("public website" in m.lower() for m in table["message"])
    at.number_input(key="m_reach").set_value(50_000).run()
    assert all(r >= 50_000 for r in at.dataframe[0].value["reach"])


def test_triage_and_correction_are_stored_and_reflected(drill_store):
    db = drill_store()
    at = open_page("pages/mentions.py")
    at.text_input(key="m_keyword").input("Unplugging every Tidewell camera").run()
    before = queries.share_of(db, 0, 2**40, label="positive")
    at.session_state[f"m_table__{at.session_state['m_table__gen']}"] = {
        "selection": {"rows": [0, 1], "columns": [], "cells": []}
    }
    at.run()
    at.selectbox(key="m_decision").set_value("respond_publicly").run()  # chosen: nothing is preselected
    at.text_input(key="m_owner").input("Ana (spokesperson)")
    at.text_input(key="m_note").input("answer with the FAQ link")
    at.button(key="m_apply_triage").click().run()
    with db.connect() as conn:
        rows = conn.execute(sa.select(triage.c.decision, triage.c.owner, triage.c.note)).all()
    assert [tuple(r) for r in rows] == [("respond_publicly", "Ana (spokesperson)", "answer with the FAQ link")] * 2
    assert set(at.dataframe[0].value["triage"][:2]) == {"respond publicly"}

    at.session_state[f"m_table__{at.session_state['m_table__gen']}"] = {
        "selection": {"rows": [0, 1], "columns": [], "cells": []}
    }
    at.run()
    at.selectbox(key="m_label").set_value("positive")
    at.button(key="m_apply_label").click().run()
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(messages.c.label_override == "positive")).scalar() == 2
    after = queries.share_of(db, 0, 2**40, label="positive")
    assert after[0] == before[0] + 2  # the two (negative) mentions moved to positive in the rollups
    assert after[1] == before[1]  # and nothing was added or lost
    assert set(at.dataframe[0].value["sentiment"][:2]) == {"positive"}


def test_mentions_detail_shows_links_as_text_only(drill_store):
    drill_store(50)
    at = open_page("pages/mentions.py")
    at.text_input(key="m_keyword").input("We have closed the misconfigured storage").run()
    at.session_state[f"m_table__{at.session_state['m_table__gen']}"] = {
        "selection": {"rows": [0], "columns": [], "cells": []}
    }
    at.run()
    assert any(t.value == "link (tidewell.example): https://tidewell.example/security" for t in at.text)
    assert not any("https://tidewell.example" in m.value for m in at.markdown)


def test_internal_pulse_is_aggregate_only(drill_store):
    db = drill_store()
    at = open_page("pages/pulse.py")
    figures = metrics(at)
    n, total = queries.share_of(db, int(time.time()) - 86400, int(time.time()) + 1, source="slack")
    assert figures["Messages, last 24 h"][0] == f"{total:,}"
    assert figures["Negative, last 24 h"][0] == f"{n / total:.0%}"
    assert len(at.get("vega_lite_chart")) == 2
    shown = " ".join(str(v) for df in at.dataframe for v in df.value.to_numpy().ravel())
    assert "staff-" not in shown and "U1" not in shown  # no pseudonym, no id, no name


def test_internal_pulse_shows_the_internal_watch_routed_to_internal_comms(drill_config, monkeypatch):
    from datetime import datetime, timezone

    from crisis.detector import Detector, crisis_status
    from crisis.presets import PRESETS
    from model.message import Message
    from model.score import Score
    from store.connection import write
    from store.ingest import store_messages
    from worker.service import open_store

    path, settings = drill_config()
    db = open_store(settings)
    now = int(time.time()) // 60 * 60
    # Four calm hours in the staff channels, then ten minutes of staff turning negative.
    rows = [(t, "negative" if i % 4 == 0 else "neutral") for i, t in enumerate(range(now - 4 * 3600, now - 600, 180))]
    rows += [(t, "negative") for t in range(now - 600, now, 20)]
    msgs = [
        Message("slack", f"s{t}", datetime.fromtimestamp(t, tz=timezone.utc), "staff text", "#general", f"U{t}")
        for t, _ in rows
    ]
    labels = {"negative": Score("negative", -0.7), "neutral": Score("neutral", 0.0)}
    with write(db) as conn:
        store_messages(conn, msgs, [labels[label] for _, label in rows], ("test", "1"), now)
    detector = Detector(db, PRESETS["medium"])
    for minute in (1, 2, 3):
        detector.evaluate(now + 60 * minute - 59)
    assert crisis_status(db)["internal"]["level"] == "watch"
    assert crisis_status(db)["level"] == "normal"
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = open_page("pages/pulse.py")
    warnings = " ".join(w.value for w in at.warning)
    assert "INTERNAL WATCH" in warnings and "routed to internal comms" in warnings
    assert "U1" not in warnings  # counts and shares, never who
