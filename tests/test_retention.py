"""Retention drops old raw text but keeps rows and rollups."""

import sqlalchemy as sa

from model.score import Score
from sentiment.lexicon import VaderEngine
from store import queries
from store.connection import write
from store.ingest import store_messages
from store.retention import REMOVED, drop_old_text
from store.schema import messages
from tests.conftest import message
from worker.runner import Runner

DAY = 86400
NOW = 1_800_000_000


def fill(db):
    batch = [message(str(i), f"post {i} https://x.example", at=NOW - i * DAY, author=f"@a{i}") for i in range(10)]
    with write(db) as conn:
        store_messages(conn, batch, [Score("negative", -0.5)] * 10, ("kw", "1"), NOW)


def test_old_text_goes_rows_and_rollups_stay(db):
    fill(db)
    rollups_before = queries.share_of(db, 0, 2**40)
    assert drop_old_text(db, 3.5, NOW, batch=2) == 6  # days 4..9
    with db.connect() as conn:
        rows = dict(conn.execute(sa.select(messages.c.external_id, messages.c.text)).all())
        authors = set(conn.execute(sa.select(messages.c.author).where(messages.c.text == REMOVED)).scalars())
    assert sum(t == REMOVED for t in rows.values()) == 6 and rows["0"] == "post 0 https://x.example"
    assert authors == {""} and len(rows) == 10
    assert queries.share_of(db, 0, 2**40) == rollups_before
    assert drop_old_text(db, 3.5, NOW) == 0  # already done
    assert drop_old_text(db, 0, NOW) == 0  # 0 = keep forever
    from store.audit import AuditFilter, search

    assert search(db, AuditFilter(0, 1e12), 10)[1]["action"].tolist() == ["store.retention"]


def test_the_runner_applies_retention_hourly(db, clock):
    fill(db)
    clock.now = NOW
    runner = Runner(db, [], VaderEngine(), clock=clock, retain_text_days=5)
    assert runner.apply_retention() == 4  # days 6..9; day 5 is exactly at the cutoff and stays
    assert runner.apply_retention() == 0  # not again within the hour
