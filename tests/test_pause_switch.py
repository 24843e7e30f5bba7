"""The pause switch as versioned state: Resume lifts only the pause it names,
a second Pause never overwrites the one in force, a write that meets a long
lock is retried within a bound and says whether it was recorded."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from publishing import pause
from store.connection import connect
from store.health import StoreBusy, retry_locked
from store.migrate import upgrade
from tests.actors import ANA, BEN, CLEO
from tests.conftest import ROOT, TEST_DATABASE_URL, _fresh_postgres

T0 = 1_800_000_000


def test_resume_names_the_pause_it_lifts_and_a_newer_one_stays(db):
    first = pause.pause(db, ANA, "tragedy in the industry", T0)
    pause.resume(db, BEN, "statement out", T0 + 60, lifts=first)
    second = pause.pause(db, CLEO, "legal hold", T0 + 120)
    with pytest.raises(pause.PauseConflict, match="a newer pause by cleo at .* is in force") as caught:
        pause.resume(db, ANA, "my page said paused by ana", T0 + 180, lifts=first)
    assert caught.value.current.pause_id == second
    state = pause.state(db)
    assert (state.paused, state.by, state.reason, state.pause_id) == (True, "cleo", "legal hold", second)


def test_a_second_pause_is_refused_with_the_pause_in_force(db):
    first = pause.pause(db, ANA, "tragedy in the industry", T0, resume_at=T0 + 3600)
    with pytest.raises(pause.PauseConflict, match="already paused: pause #1 by ana") as caught:
        pause.pause(db, BEN, "another reason", T0 + 10)
    assert caught.value.current.reason == "tragedy in the industry"
    state = pause.state(db)
    assert (state.by, state.reason, state.resume_at, state.pause_id) == (
        "ana",
        "tragedy in the industry",
        T0 + 3600,
        first,
    )


def test_resume_when_nothing_is_paused_is_refused(db):
    first = pause.pause(db, ANA, "x", T0)
    pause.resume(db, BEN, "over", T0 + 1, lifts=first)
    with pytest.raises(pause.PauseConflict, match="not paused any more"):
        pause.resume(db, BEN, "again", T0 + 2, lifts=first)


def hold_sqlite_write_lock(path, seconds: float) -> threading.Thread:
    """Another process's long write: BEGIN IMMEDIATE held for `seconds`."""
    ready = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        other.execute("ROLLBACK")
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(5)
    return thread


@pytest.fixture
def short_busy_sqlite(tmp_path):
    path = tmp_path / "store.sqlite3"
    db = connect(f"sqlite:///{path}", busy_timeout_s=0.3)
    upgrade(db)
    yield db, path
    db.dispose()


def test_sqlite_a_pause_under_a_lock_longer_than_the_busy_timeout_is_retried_and_recorded(short_busy_sqlite):
    db, path = short_busy_sqlite
    holder = hold_sqlite_write_lock(path, 1.2)  # four busy timeouts
    pause_id = retry_locked(lambda: pause.pause(db, ANA, "breaking", T0), budget_s=10)
    holder.join()
    assert pause.state(db).paused and pause_id == 1


def test_sqlite_a_lock_that_outlasts_the_bound_says_nothing_was_recorded(short_busy_sqlite):
    db, path = short_busy_sqlite
    holder = hold_sqlite_write_lock(path, 2.5)
    started = time.monotonic()
    with pytest.raises(StoreBusy, match="nothing was recorded"):
        retry_locked(lambda: pause.pause(db, ANA, "breaking", T0), budget_s=1.0)
    assert time.monotonic() - started < 2.5  # bounded: the person hears back before the lock ends
    holder.join()
    assert not pause.state(db).paused  # the truth: it was not recorded


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL store tests need TEST_DATABASE_URL")
def test_postgresql_a_row_lock_longer_than_lock_timeout_is_retried_then_recorded():
    _fresh_postgres(TEST_DATABASE_URL).dispose()
    db = connect(TEST_DATABASE_URL, busy_timeout_s=0.3)
    upgrade(db)
    pause.pause(db, ANA, "first", T0)
    ready = threading.Event()

    def hold() -> None:
        with db.connect() as conn, conn.begin():
            conn.execute(sa.text("SELECT * FROM publishing_state WHERE id = 1 FOR UPDATE"))
            ready.set()
            time.sleep(1.2)

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(5)
    assert retry_locked(lambda: pause.resume(db, BEN, "over", T0 + 5, lifts=1), budget_s=10) == 0
    thread.join()
    assert not pause.state(db).paused
    db.dispose()


def open_posts_page(drill_config, monkeypatch):
    from worker.service import open_store

    path, settings = drill_config()
    db = open_store(settings)
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/posts.py").run()
    assert not at.exception, at.exception
    return at, db


def test_page_a_resume_pressed_on_a_page_drawn_before_a_newer_pause_is_refused(drill_config, monkeypatch):
    at, db = open_posts_page(drill_config, monkeypatch)
    first = pause.pause(db, ANA, "tragedy", time.time())
    at.run()  # the page now shows pause #1
    assert any("pause #1" in t.value for t in at.text)
    # Meanwhile a colleague lifts it and pauses again for a legal hold.
    pause.resume(db, BEN, "over", time.time(), lifts=first)
    pause.pause(db, CLEO, "legal hold", time.time())
    at.text_input(key="resume_reason").input("done")
    at.button(key="resume_submit").click().run()
    at.button(key="resume_yes").click().run()  # the confirmation names pause #1, the one this page showed
    assert any(e.value.startswith("Resume: NOT done") for e in at.error)
    assert any("a newer pause by cleo at" in t.value and "is in force" in t.value for t in at.text)
    assert pause.state(db).by == "cleo" and pause.state(db).paused


def test_page_a_second_pause_shows_the_pause_in_force(drill_config, monkeypatch):
    at, db = open_posts_page(drill_config, monkeypatch)
    pause.pause(db, BEN, "legal hold", time.time())  # after this page was drawn unpaused
    at.text_input(key="pause_reason").input("my reason")
    at.button(key="pause_submit").click().run()
    assert any(e.value.startswith("Pause: NOT done") for e in at.error)
    assert any("already paused: pause #1 by ben" in t.value for t in at.text)
    assert pause.state(db).reason == "legal hold"


def test_page_pause_then_resume_each_recorded_once(drill_config, monkeypatch):
    from store.audit import AuditFilter, search

    at, db = open_posts_page(drill_config, monkeypatch)
    at.text_input(key="pause_reason").input("breaking")
    at.button(key="pause_submit").click().run()
    assert not at.exception and not [e for e in at.error if "NOT" in e.value]
    assert pause.state(db).paused
    at.text_input(key="resume_reason").input("over")
    at.button(key="resume_submit").click().run()
    at.button(key="resume_yes").click().run()
    at.run()
    assert not [e for e in at.error if "NOT" in e.value]
    assert not pause.state(db).paused
    actions = list(search(db, AuditFilter(0, time.time() + 1, kinds=["publishing"]), 10)[1]["action"])
    assert sorted(actions) == ["publishing.pause", "publishing.resume"]


def test_page_resume_needs_a_reason_then_a_confirmation_and_is_not_styled_like_pause(drill_config, monkeypatch):
    from store.audit import AuditFilter, search

    at, db = open_posts_page(drill_config, monkeypatch)
    assert at.button(key="pause_submit").proto.type == "primary"
    pause.pause(db, ANA, "tragedy in the industry", time.time())
    at.run()
    assert at.button(key="resume_submit").proto.type == "secondary"  # not the red of Pause
    at.button(key="resume_submit").click().run()  # no reason
    assert any(e.value.startswith("Resume: NOT done. Say why") for e in at.error)
    assert pause.state(db).paused and not [b for b in at.button if b.key == "resume_yes"]

    at.text_input(key="resume_reason").input("statement published")
    at.button(key="resume_submit").click().run()
    assert pause.state(db).paused  # not yet: the confirmation comes first
    assert any(w.value.startswith("Resume publishing? This lifts pause #1.") for w in at.warning)
    assert any(t.value == "Your reason: statement published" for t in at.text)
    assert at.button(key="resume_yes").proto.type == "secondary"
    at.button(key="resume_no").click().run()  # cancelled: still paused, the form again
    assert pause.state(db).paused and at.button(key="resume_submit")

    at.text_input(key="resume_reason").input("statement published")
    at.button(key="resume_submit").click().run()
    at.button(key="resume_yes").click().run()
    at.run()
    assert not pause.state(db).paused
    log = search(db, AuditFilter(0, time.time() + 1, kinds=["publishing"]), 10)[1]
    resumed = log[log["action"] == "publishing.resume"].iloc[0]
    assert (resumed["who"], resumed["reason"]) == ("local user", "statement published")


def test_resume_without_a_reason_is_refused_by_the_action_itself(db):
    first = pause.pause(db, ANA, "tragedy", T0)
    with pytest.raises(ValueError, match="resuming publishing needs a reason"):
        pause.resume(db, BEN, "  ", T0 + 60, lifts=first)
    assert pause.state(db).paused
