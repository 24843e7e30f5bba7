"""Drill stores only: start the scenario again from scratch."""

from __future__ import annotations

import sqlalchemy as sa

from store.connection import write
from store.schema import messages, quarantine, rollups_minute, source_state


def wipe(db: sa.Engine) -> None:
    """Empty the drill store (messages, rollups, source state, quarantine) in one step."""
    with write(db) as conn:
        for table in (messages, rollups_minute, source_state, quarantine):
            conn.execute(table.delete())
