"""Idempotent upsert: the same batch twice gives the same rows and rollups."""

import sqlalchemy as sa

from model.score import Score
from store.connection import write
from store.ingest import store_messages
from store.schema import messages, rollups_minute
from tests.conftest import message

ENGINE = ("test-engine", "1")


def rows(db):
    with db.connect() as conn:
        msgs = conn.execute(
            sa.select(messages.c.source, messages.c.external_id, messages.c.label, messages.c.created_at).order_by(
                messages.c.source, messages.c.external_id
            )
        ).all()
        rollups = conn.execute(sa.select(rollups_minute).order_by(*rollups_minute.primary_key.columns)).all()
    return msgs, rollups


def ingest(db, batch, scores, engine=ENGINE):
    with write(db) as conn:
        return store_messages(conn, batch, scores, engine, now=1_800_000_500)


def test_same_batch_twice_changes_nothing(db):
    t = 1_800_000_000
    batch = [
        message("1", "bad", at=t + 5, reach=10),
        message("2", "fine", at=t + 30, reach=20),
        message("3", "great", at=t + 70, reach=30),
        message("1", "bad", source="slack", at=t + 75),  # same id, other source: another message
    ]
    scores = [Score("negative", -0.8), Score("neutral", 0.0), Score("positive", 0.9), Score("negative", -0.5)]
    assert ingest(db, batch, scores) == 4
    first = rows(db)
    assert ingest(db, batch, scores) == 0
    assert rows(db) == first
    msgs, rollups = first
    assert len(msgs) == 4
    as_dict = {(r.minute, r.source, r.label): (r.count, r.score_sum, r.reach_sum) for r in rollups}
    assert as_dict == {
        (t - t % 60, "x", "negative"): (1, -0.8, 10),
        (t - t % 60, "x", "neutral"): (1, 0.0, 20),
        (t - t % 60 + 60, "x", "positive"): (1, 0.9, 30),
        (t - t % 60 + 60, "slack", "negative"): (1, -0.5, 0),
    }


def test_overlapping_batch_counts_only_new_messages(db):
    ingest(db, [message("1"), message("2")], [Score("neutral", 0.0)] * 2)
    assert ingest(db, [message("2"), message("3")], [Score("neutral", 0.0)] * 2) == 1
    msgs, rollups = rows(db)
    assert [m.external_id for m in msgs] == ["1", "2", "3"]
    assert sum(r.count for r in rollups) == 3


def test_duplicate_inside_one_batch_is_stored_once(db):
    assert ingest(db, [message("1"), message("1")], [Score("neutral", 0.0)] * 2) == 1
    assert sum(r.count for r in rows(db)[1]) == 1


def test_unscored_messages_are_kept_and_counted_as_unscored(db):
    assert ingest(db, [message("1"), message("2")], [None, None], engine=None) == 2
    msgs, rollups = rows(db)
    assert [m.label for m in msgs] == [None, None]
    assert [(r.label, r.count) for r in rollups] == [("unscored", 2)]


def test_rollups_equal_an_aggregate_of_the_messages(db):
    t = 1_800_000_000
    batch = [message(str(i), at=t + i * 17, source="x" if i % 3 else "news") for i in range(200)]
    labels = ["negative", "neutral", "positive"]
    scores = [Score(labels[i % 3], 0.0) for i in range(200)]
    ingest(db, batch[:120], scores[:120])
    ingest(db, batch[80:], scores[80:])
    m = messages.c
    minute = (m.created_at - m.created_at % 60).label("minute")
    with db.connect() as conn:
        expected = conn.execute(
            sa.select(minute, m.source, m.label, sa.func.count()).group_by(minute, m.source, m.label)
        ).all()
    got = {(r.minute, r.source, r.label): r.count for r in rows(db)[1]}
    assert got == {(r[0], r[1], r[2]): r[3] for r in expected}
    assert sum(got.values()) == 200
