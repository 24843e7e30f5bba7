"""Which runners are alive and which engine each one scores with."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from store.connection import write
from store.ingest import dialect_insert
from store.schema import runners

ALIVE_WITHIN_S = 120


def register(db: sa.Engine, owner: str, engine: str, version: str, note: str, now: float) -> None:
    with write(db) as conn:
        insert = dialect_insert(conn, runners).values(
            owner=owner, started_at=now, heartbeat_at=now, engine=engine, engine_version=version, engine_note=note
        )
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["owner"],
                set_={"heartbeat_at": now, "engine": engine, "engine_version": version, "engine_note": note},
            )
        )


def heartbeat(db: sa.Engine, owner: str, now: float) -> None:
    with write(db) as conn:
        conn.execute(runners.update().where(runners.c.owner == owner).values(heartbeat_at=now))


def unregister(db: sa.Engine, owner: str) -> None:
    with write(db) as conn:
        conn.execute(runners.delete().where(runners.c.owner == owner))


def alive(db: sa.Engine, now: float, within_s: float = ALIVE_WITHIN_S) -> pd.DataFrame:
    stmt = sa.select(runners).where(runners.c.heartbeat_at >= now - within_s).order_by(runners.c.heartbeat_at.desc())
    with db.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=[c.name for c in runners.columns])
