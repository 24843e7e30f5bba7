"""A person's label wins: corrections move messages between rollup buckets
in the same transaction, and every change is kept in label_corrections."""

from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa

from model.score import LABELS
from store.audit import record
from store.connection import write
from store.ingest import add_to_rollups
from store.schema import label_corrections, messages

_CHUNK = 500  # ids per IN (...) list
ROLLUP_COLUMNS = (
    messages.c.id,
    messages.c.source,
    messages.c.created_at,
    messages.c.label,
    messages.c.score,
    messages.c.reach,
    messages.c.label_override,
)


def check_label(label: str) -> None:
    """Raise ValueError unless `label` is one a person may give a message."""
    if label not in LABELS:
        raise ValueError(f"label must be one of {LABELS} or None, got {label!r}")


def correct(db: sa.Engine, message_ids: Sequence[int], label: str | None, who: str, now: float) -> int:
    """Set (or with label None remove) the human label of these messages.
    Returns how many messages changed; the others already had that label."""
    if label is not None:
        check_label(label)
    ids = sorted(set(int(i) for i in message_ids))
    changed = 0
    with write(db) as conn:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows = [
                r._asdict()
                for r in conn.execute(sa.select(*ROLLUP_COLUMNS).where(messages.c.id.in_(chunk))).all()
                if r.label_override != label
            ]
            if not rows:
                continue
            add_to_rollups(conn, rows, sign=-1)
            conn.execute(
                messages.update().where(messages.c.id.in_([r["id"] for r in rows])).values(label_override=label)
            )
            add_to_rollups(conn, [{**r, "label_override": label} for r in rows])
            conn.execute(
                label_corrections.insert(),
                [
                    {
                        "message_id": r["id"],
                        "model_label": r["label"],
                        "old_label": r["label_override"],
                        "new_label": label,
                        "who": who,
                        "at": now,
                    }
                    for r in rows
                ],
            )
            for r in rows:
                record(conn, who, "label.correct", now, f"message:{r['id']}", old=r["label_override"], new=label)
            changed += len(rows)
    return changed
