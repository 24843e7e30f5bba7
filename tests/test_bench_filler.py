"""The scale benchmarks' shared history (bench/filler.py): what bench.pages and
bench.detection_scale both measure on, and detection_scale's line."""

from __future__ import annotations

import argparse

import sqlalchemy as sa

from bench import detection_scale
from bench.filler import DAYS, END, add_store_arguments, fill, filled_stores
from bench.stores import fresh_store
from store.schema import messages


def test_each_size_gets_a_fresh_store_of_that_many_messages_over_30_days():
    seen = []
    for db, kind, n, fill_s in filled_stores([300, 120], None):
        with db.connect() as conn:
            count, first, last = conn.execute(
                sa.select(sa.func.count(), sa.func.min(messages.c.created_at), sa.func.max(messages.c.created_at))
            ).one()
        seen.append((kind, n, count))
        assert fill_s >= 0
        assert last - first > (DAYS - 2) * 86400 and last <= END  # spread over the 30 days up to now
    assert seen == [("sqlite", 300, 300), ("sqlite", 120, 120)]  # a fresh store each: 120, not 420


def test_the_arguments_every_scale_benchmark_takes():
    parser = argparse.ArgumentParser()
    add_store_arguments(parser, [5])
    assert vars(parser.parse_args([])) == {"sizes": [5], "database_url": None}
    assert parser.parse_args(["--sizes", "1", "2", "--database-url", "postgresql://x"]).sizes == [1, 2]


def test_detection_scale_prints_one_line_per_size(capsys):
    detection_scale.main(["--sizes", "200", "--polls", "3"])
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("store=")]
    fields = dict(part.split("=", 1) for part in line.split())
    assert (fields["store"], fields["messages"]) == ("sqlite", "200")
    assert float(fields["detect_ms_first"]) > 0 and float(fields["detect_ms_median"]) > 0


def test_the_fill_is_the_same_every_time_on_each_store(db):
    """Both benchmarks, and both stores, measure the same history."""
    fill(db, 50, seed=3)
    with fresh_store(None) as (other, _):
        fill(other, 50, seed=3)
        query = sa.select(messages.c.external_id, messages.c.created_at, messages.c.text).order_by(
            messages.c.external_id
        )
        with db.connect() as conn, other.connect() as again:
            first, second = conn.execute(query).all(), again.execute(query).all()
    assert len(first) == 50 and [tuple(r) for r in first] == [tuple(r) for r in second]
