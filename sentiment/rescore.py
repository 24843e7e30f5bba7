"""Score stored messages again: after switching engines (all of them), or
the ones stored unscored when the engine failed. Batches are keyed by id,
each written in one transaction with its rollup changes. Run by
`python -m sentiment rescore` and by a lead's "rescore" (access.service)."""

from __future__ import annotations

from typing import Callable

import sqlalchemy as sa

from access.roles import Actor, Permission, require
from model.score import UNSCORED_LANGUAGE
from sentiment.engine import Engine
from store.audit import record
from store.connection import write
from store.corrections import ROLLUP_COLUMNS
from store.ingest import add_to_rollups
from store.schema import messages

m = messages.c


def rescore(
    db: sa.Engine,
    engine: Engine,
    *,
    only_unscored: bool = False,
    only_language: bool = False,
    since: int | None = None,
    batch_size: int = 256,
    max_batches: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rescore messages in id order; returns how many were rescored.
    only_unscored: those stored unscored (engine failure); only_language: those
    stored "unscored: language" (once a multilingual model is here); since:
    only messages created at or after this epoch second (the last N days)."""
    where: list[sa.ColumnElement[bool]] = [m.label.is_(None)] if only_unscored else []
    if only_language:
        where.append(m.label == UNSCORED_LANGUAGE)
    if since is not None:
        where.append(m.created_at >= since)
    with db.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(messages).where(*where)).scalar_one()
    done, last_id, batches = 0, 0, 0
    engine_id = (engine.name, engine.version)
    while max_batches is None or batches < max_batches:
        with db.connect() as conn:
            batch = conn.execute(
                sa.select(m.id, m.text).where(m.id > last_id, *where).order_by(m.id).limit(batch_size)
            ).all()
        if not batch:
            break
        scores = engine.score([row.text for row in batch])
        new = {row.id: s for row, s in zip(batch, scores)}
        with write(db) as conn:
            # Re-read inside the write: a correction may have come in meanwhile.
            current = [r._asdict() for r in conn.execute(sa.select(*ROLLUP_COLUMNS).where(m.id.in_(list(new)))).all()]
            add_to_rollups(conn, current, sign=-1)
            conn.execute(
                messages.update()
                .where(m.id == sa.bindparam("_id"))
                .values(
                    label=sa.bindparam("_label"),
                    score=sa.bindparam("_score"),
                    engine=sa.bindparam("_engine"),
                    engine_version=sa.bindparam("_version"),
                ),
                [
                    {
                        "_id": r["id"],
                        "_label": new[r["id"]].label,
                        "_score": new[r["id"]].score,
                        "_engine": (new[r["id"]].engine or engine_id)[0],
                        "_version": (new[r["id"]].engine or engine_id)[1],
                    }
                    for r in current
                ],
            )
            add_to_rollups(conn, [{**r, "label": new[r["id"]].label, "score": new[r["id"]].score} for r in current])
        done += len(batch)
        last_id = batch[-1].id
        batches += 1
        if progress:
            progress(done, total)
    return done


def rescore_recent(db: sa.Engine, engine: Engine, by: Actor, days: float, now: float) -> int:
    """A lead's "rescore the last N days" (after retraining): permission checked, audited."""
    require(by, Permission.RETRAIN_ENGINE)
    if not days > 0:
        raise ValueError(f"days must be more than 0, got {days!r}")
    done = rescore(db, engine, since=int(now - days * 86400))
    with write(db) as conn:
        record(
            conn, by.name, "engine.rescore", now, f"engine:{engine.name}", new=f"{engine.version}: {done} in {days:g} d"
        )
    return done
