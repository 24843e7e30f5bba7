"""Drill stores only: start the scenario again from scratch."""

from __future__ import annotations

import sqlalchemy as sa

from store.connection import write
from store.schema import metadata

# What a drill store keeps across restarts: the people (team, key accounts and
# who runs the drills), the runners' heartbeats, and the audit trail of it all.
KEEP = frozenset({"team_members", "drill_log", "key_accounts", "audit_log", "runners", "alembic_version"})


def wipe(db: sa.Engine) -> list[str]:
    """Empty everything a drill made, in one transaction: messages, rollups,
    source state and cursors, alerts, crisis state, triage, corrections,
    incidents and the FAQ, the pause, scheduled posts (so the scenario's posts
    are imported once, never on top of old ones), quarantine, key-account hits,
    and any table a later version adds (narratives...), children first.
    Returns the tables emptied."""
    present = set(sa.inspect(db).get_table_names())
    known = [t.name for t in reversed(metadata.sorted_tables)]
    extra = sorted(present - set(known) - KEEP)  # tables added by migrations this module does not know
    emptied = []
    with write(db) as conn:
        for name in [*extra, *known]:
            if name in present and name not in KEEP:
                conn.execute(sa.text(f'DELETE FROM "{name}"'))
                emptied.append(name)
    return emptied
