"""CSV import refuses a file it already imported, naming when and by whom
(SQLite and PostgreSQL), also on the Scheduled posts page (AppTest)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from publishing.csv_import import AlreadyImported, content_hash, import_csv
from store.schema import csv_imports
from store.schema import scheduled_posts as sp
from tests.actors import ANA, BEN
from tests.conftest import ROOT
from worker.service import open_store

CSV = """channel,text,scheduled_at,timezone,target,link
x,Our new cam is here,2031-06-10 09:00,Europe/Amsterdam,,https://tidewell.example/cam
slack,Town hall at 4pm,2031-06-10T15:00:00+00:00,,#general,
"""
T0 = 1_800_000_000.0


def count(db) -> int:
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(sp)).scalar()


def test_the_same_file_is_refused_the_second_time_naming_when_and_by_whom(db):
    assert import_csv(db, CSV.encode(), "UTC", ANA, T0, filename="week-48.csv") == 2
    with pytest.raises(AlreadyImported) as refused:
        import_csv(db, CSV.encode(), "UTC", BEN, T0 + 3600, filename="copy of week-48.csv")
    assert str(refused.value) == (
        f"this file was already imported on 2027-01-15 08:00 UTC by {ANA.name} (as 'week-48.csv', 2 posts)"
    )
    assert (refused.value.at, refused.value.who) == (T0, ANA.name)
    assert count(db) == 2  # nothing imported twice
    # The same file saved on Windows (CRLF) or with a byte order mark is the same file.
    for variant in (CSV.replace("\n", "\r\n").encode(), b"\xef\xbb\xbf" + CSV.encode()):
        with pytest.raises(AlreadyImported):
            import_csv(db, variant, "UTC", BEN, T0 + 7200)
    # A changed file is a new file.
    assert import_csv(db, CSV.replace("09:00", "10:00").encode(), "UTC", BEN, T0 + 7200) == 2
    assert count(db) == 4
    with db.connect() as conn:
        rows = conn.execute(sa.select(csv_imports.c.who, csv_imports.c.posts, csv_imports.c.sha256)).all()
    assert sorted((r.who, r.posts) for r in rows) == sorted([(ANA.name, 2), (BEN.name, 2)])
    assert content_hash(CSV) in {r.sha256 for r in rows}


def test_a_refused_file_leaves_no_hash_behind(db):
    bad = CSV + "x,,2031-06-10 09:00,,,\n"  # an empty text: the whole file is refused
    with pytest.raises(ValueError):
        import_csv(db, bad.encode(), "UTC", ANA, T0)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(csv_imports)).scalar() == 0
    assert import_csv(db, CSV.encode(), "UTC", ANA, T0) == 2  # the fixed file goes in


def test_two_people_importing_the_same_file_at_once_import_it_once(db):
    results: list[object] = []

    def go(actor):
        try:
            results.append(import_csv(db, CSV.encode(), "UTC", actor, T0))
        except AlreadyImported as exc:
            results.append(exc)

    threads = [threading.Thread(target=go, args=(a,)) for a in (ANA, BEN)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(type(r).__name__ for r in results) == ["AlreadyImported", "int"]
    assert count(db) == 2


def test_the_posts_page_refuses_a_repeated_file_with_when_and_who(drill_config, monkeypatch):
    path, settings = drill_config()
    db = open_store(settings)
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.context["timezone"] = "Europe/Amsterdam"
    at.switch_page("pages/posts.py").run()
    assert not at.exception, at.exception
    at.file_uploader(key="csv_file").set_value(("week-48.csv", CSV.encode(), "text/csv")).run()
    at.button(key="csv_import").click().run()
    assert [s.value for s in at.success] == ["Imported 2 post(s)."]
    before = count(db)
    at.button(key="csv_import").click().run()
    [error] = [e.value.replace("\\", "") for e in at.error if "already imported" in e.value]  # (Markdown-escaped)
    assert error.startswith("Nothing was imported: this file was already imported on ")
    assert " CET by local user (as week-48.csv, 2 posts)." in error or " CEST by local user (as " in error
    assert count(db) == before
