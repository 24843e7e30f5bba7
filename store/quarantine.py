"""Quarantined items: what a source returned that could not become a stored
message, kept raw (capped) with the reason, for the Sources page.

Written in the transaction that stores the batch, so an item is quarantined
exactly when its batch's cursor advances; idempotent on (source,
external_id, digest of the raw item), so polling the same page again adds
nothing.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import pandas as pd
import sqlalchemy as sa

from model.message import Quarantined
from store.ingest import dialect_insert
from store.schema import quarantine as q

RAW_MAX_CHARS = 64 * 1024
REASON_MAX_CHARS = 2000


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def add(conn: sa.Connection, items: Sequence[Quarantined], now: float) -> int:
    """Store what is new in `items`; return how many rows were new."""
    rows: dict[tuple[str, str, str], dict] = {}
    for item in items:
        key = (item.source[:64], item.external_id[:200], _digest(item.raw))
        row = {
            "source": key[0],
            "external_id": key[1],
            "digest": key[2],
            "raw": item.raw[:RAW_MAX_CHARS],
            "raw_chars": len(item.raw),
            "reason": item.reason[:REASON_MAX_CHARS] or "no reason given",
            "at": now,
        }
        rows.setdefault(key, row)
    if not rows:
        return 0
    stmt = (
        dialect_insert(conn, q)
        .on_conflict_do_nothing(index_elements=["source", "external_id", "digest"])
        .returning(q.c.id)
    )
    return len(conn.execute(stmt, list(rows.values())).all())


def counts(db: sa.Engine) -> pd.DataFrame:
    """Quarantined items per source: source, items, latest (epoch s)."""
    stmt = (
        sa.select(q.c.source, sa.func.count().label("items"), sa.func.max(q.c.at).label("latest"))
        .group_by(q.c.source)
        .order_by(q.c.source)
    )
    with db.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=["source", "items", "latest"])


def latest(db: sa.Engine, limit: int = 10) -> pd.DataFrame:
    """The newest quarantined items, newest first, with their (capped) raw text."""
    stmt = (
        sa.select(q.c.at, q.c.source, q.c.external_id, q.c.reason, q.c.raw, q.c.raw_chars)
        .order_by(q.c.at.desc(), q.c.id.desc())
        .limit(limit)
    )
    with db.connect() as conn:
        return pd.DataFrame(
            conn.execute(stmt).all(), columns=["at", "source", "external_id", "reason", "raw", "raw_chars"]
        )
