"""Store a batch of scored messages: idempotent, with rollups in step.

Messages are keyed by (source, external_id). A message already stored is
left alone and not counted again, so ingesting the same batch twice changes
nothing. Rollups grow only by the rows this call really inserted, inside the
same transaction, so they always agree with the messages table.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from model.message import Message
from model.score import Score
from store.schema import UNSCORED, messages, rollups_minute
from store.timeconv import minute_of, to_epoch


def dialect_insert(conn: sa.Connection, table: sa.Table):
    """INSERT with ON CONFLICT support for the connection's database."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def store_messages(
    conn: sa.Connection,
    batch: Sequence[Message],
    scores: Sequence[Score | None],
    engine: tuple[str, str] | None,
    now: float,
) -> int:
    """Insert what is new in `batch`; return how many rows were new.

    `scores[i]` belongs to `batch[i]`; None (or engine None) stores the
    message unscored, to be scored later, never dropped.
    """
    if len(batch) != len(scores):
        raise ValueError(f"{len(batch)} messages but {len(scores)} scores")
    rows: dict[tuple[str, str], dict] = {}
    for message, score in zip(batch, scores):
        decided_by = (score.engine or engine) if score is not None else None
        kept = score if decided_by is not None else None  # a score without an engine to name is not kept
        rows.setdefault(
            (message.source, message.external_id),
            {
                "source": message.source,
                "external_id": message.external_id,
                "channel": message.channel,
                "author": message.author,
                "reach": message.reach,
                "lang": message.lang,
                "url": message.url,
                "text": message.text,
                "created_at": to_epoch(message.created_at),
                "ingested_at": int(now),
                "label": kept.label if kept else None,
                "score": kept.score if kept else None,
                "engine": decided_by[0] if decided_by else None,
                "engine_version": decided_by[1] if decided_by else None,
            },
        )
    if not rows:
        return 0
    stmt = (
        dialect_insert(conn, messages)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(messages.c.source, messages.c.external_id)
    )
    inserted = conn.execute(stmt, list(rows.values())).all()
    add_to_rollups(conn, (rows[(r.source, r.external_id)] for r in inserted))
    return len(inserted)


def add_to_rollups(conn: sa.Connection, rows, sign: int = 1) -> None:
    """Add (or with sign=-1 remove) message rows to the minute rollups."""
    totals: dict[tuple[int, str, str], list] = defaultdict(lambda: [0, 0.0, 0])
    for row in rows:
        label = row.get("label_override") or row["label"] or UNSCORED
        bucket = totals[(minute_of(row["created_at"]), row["source"], label)]
        bucket[0] += sign
        bucket[1] += sign * (row["score"] or 0.0)
        bucket[2] += sign * row["reach"]
    if not totals:
        return
    insert = dialect_insert(conn, rollups_minute)
    stmt = insert.on_conflict_do_update(
        index_elements=["minute", "source", "label"],
        set_={
            "count": rollups_minute.c.count + insert.excluded.count,
            "score_sum": rollups_minute.c.score_sum + insert.excluded.score_sum,
            "reach_sum": rollups_minute.c.reach_sum + insert.excluded.reach_sum,
        },
    )
    conn.execute(
        stmt,
        [
            {"minute": minute, "source": source, "label": label, "count": c, "score_sum": s, "reach_sum": r}
            for (minute, source, label), (c, s, r) in sorted(totals.items())
        ],
    )
