"""The Sentiment page (AppTest): engine shown, corrections applied and counted."""

import time

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from store import runners
from store.schema import label_corrections, messages
from tests.conftest import ROOT
from worker.service import build_runner, open_store, restart_drill


def start(drill_config, monkeypatch):
    path, settings = drill_config()
    db = open_store(settings)
    restart_drill(db, settings, at_s=1800)
    runner = build_runner(settings, db)
    runner.heartbeat()
    runner.run_pending()
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/sentiment.py").run()
    assert not at.exception, at.exception
    return at, db


def test_engine_and_empty_accuracy_are_shown(drill_config, monkeypatch):
    at, _ = start(drill_config, monkeypatch)
    assert at.header[0].value == "Sentiment"
    # The engine's own note is for whoever runs the system (Sources page), not a caption on every page.
    assert not any(c.value.startswith("Sentiment: ") for c in at.caption)
    engines = at.dataframe[0].value
    assert list(engines["engine"]) == ["vader"]
    # Which machine runs it and why this engine: the Sources page, not the analyst's page.
    assert "runner" not in engines.columns and "why this engine" not in engines.columns
    assert not any("runner" in t.value.lower() for t in [*at.info, *at.caption, *at.markdown])
    assert any("No corrected messages yet" in i.value for i in at.info)


def test_bulk_correction_from_the_page(drill_config, monkeypatch):
    at, db = start(drill_config, monkeypatch)
    review = at.dataframe[1].value
    at.session_state["review_table__0"] = {"selection": {"rows": [0, 1, 2], "columns": [], "cells": []}}
    at.run()
    at.selectbox(key="new_label").set_value("negative")
    at.button[0].click().run()
    assert not at.exception, at.exception
    with db.connect() as conn:
        corrected = conn.execute(
            sa.select(messages.c.text, messages.c.label_override).where(messages.c.label_override.is_not(None))
        ).all()
        history = conn.execute(sa.select(label_corrections.c.who, label_corrections.c.new_label)).all()
    assert {text for text, _ in corrected} == set(review["message"].iloc[:3])
    assert {label for _, label in corrected} == {"negative"}
    assert history == [("local user", "negative")] * 3
    # The page now shows the team's accuracy figure and the history.
    assert at.metric[0].label == "Engine agreed with people"
    assert len(at.dataframe[-1].value) == 3


def test_no_runner_is_said_plainly(drill_config, monkeypatch):
    at, db = start(drill_config, monkeypatch)
    runners.unregister(db, runners.alive(db, time.time())["owner"].iloc[0])
    at.run()
    assert any(
        c.value == "New messages are not being collected or scored right now: see the Sources page." for c in at.caption
    )
    assert any(i.value.startswith("Nothing is being scored right now") for i in at.info)
    assert not any("runner" in e.value.lower() for e in [*at.info, *at.caption, *at.markdown, *at.subheader])


def test_corrections_hit_the_ticked_messages_while_new_ones_arrive(drill_config, monkeypatch):
    from model.score import Score
    from store.connection import write
    from store.ingest import store_messages
    from tests.conftest import message

    at, db = start(drill_config, monkeypatch)
    shown = at.dataframe[1].value["message"].tolist()
    at.session_state["review_table__0"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    now = time.time()
    with write(db) as conn:  # newer messages arrive at the top
        store_messages(
            conn,
            [message(f"n{i}", f"newer {i}", at=now + i) for i in range(3)],
            [Score("neutral", 0)] * 3,
            ("t", "1"),
            now,
        )
    at.run()
    assert at.dataframe[1].value["message"].tolist() == shown  # held while ticked
    at.selectbox(key="new_label").set_value("positive")
    at.button[0].click().run()
    with db.connect() as conn:
        corrected = conn.execute(sa.select(messages.c.text).where(messages.c.label_override == "positive")).scalars()
        assert set(corrected) == set(shown[:2])
    review = next(df.value for df in at.dataframe if "corrected to" in df.value.columns)
    assert review["message"].iloc[0].startswith("newer")  # unticked after acting: the list moves
    assert review.columns[0] == "time (UTC)"  # the zone is named


def test_retrain_button_says_why_it_did_not_retrain(drill_config, monkeypatch):
    at, _ = start(drill_config, monkeypatch)
    at.button(key="retrain").click().run()
    assert not at.exception, at.exception
    assert any("Not retrained: 0 corrected messages; retraining needs at least 8" in e.value for e in at.error)


def test_rescore_button_rescores_the_last_days_and_per_version_accuracy_is_shown(drill_config, monkeypatch):
    at, db = start(drill_config, monkeypatch)
    with db.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar()
        first = conn.execute(sa.select(messages.c.id).order_by(messages.c.id).limit(3)).scalars().all()
        conn.execute(messages.update().where(messages.c.id.in_(first)).values(engine_version="old"))
        conn.commit()
    at.number_input(key="rescore_days").set_value(3650)
    at.run()
    at.button(key="rescore").click().run()
    assert not at.exception, at.exception
    assert any(f"{stored:,} message(s) rescored" in s.value for s in at.success)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(messages.c.engine_version == "old")).scalar() == 0
    # Corrections show up per engine version.
    at.session_state["review_table__0"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    at.selectbox(key="new_label").set_value("negative")
    at.button[0].click().run()
    frames = [d.value for d in at.dataframe]
    assert any("engine version" in f.columns for f in frames)


def test_retrain_and_rescore_need_a_lead(drill_config, monkeypatch):
    from access.roles import Actor, NotAllowed, Permission
    from sentiment.retrain import rescore_for_settings, retrain_for_settings

    _, settings = drill_config()
    db = open_store(settings)
    editor = Actor("ed", "editor")
    assert Permission.RETRAIN_ENGINE.min_role == "lead"
    import pytest

    with pytest.raises(NotAllowed):
        retrain_for_settings(settings, db, editor)
    with pytest.raises(NotAllowed):
        rescore_for_settings(settings, db, editor, 1)


def test_the_engine_and_why_are_on_the_sources_page(drill_config, monkeypatch):
    at, db = start(drill_config, monkeypatch)
    at.switch_page("pages/sources.py").run()
    assert not at.exception, at.exception
    assert "Sentiment scoring" in [s.value for s in at.subheader]
    assert any(s.value == "Sentiment is scored by the configured model." for s in at.success)
    assert any(t.value == "VADER lexicon" for t in at.text)  # the runner's own note, for whoever runs the system
    runners.register(
        db, "second", "minilm", "1", "MiniLM head (offline) - fine-tuned MiniLM not available: x", time.time()
    )
    at.run()
    assert any(i.value.startswith("Sentiment is scored by a backup model") for i in at.info)
