"""Triage by message id: exactly the ticked messages, never an internal one
the person was not shown, and an undo that puts back what was there."""

import json

import pytest
import sqlalchemy as sa

from access import service
from access.roles import Actor, NotAllowed
from model.score import Score
from store import mentions
from store.connection import write
from store.ingest import store_messages
from store.schema import audit_log, triage
from tests.actors import ANA, BEN
from tests.conftest import message

T = 1_800_000_000


def seed(db) -> dict[str, int]:
    with write(db) as conn:
        batch = [message(f"x{i}", f"post {i}", at=T - 100 + i) for i in range(4)]
        batch.append(message("s1", "staff only", source="slack", channel="#general", at=T - 10))
        store_messages(conn, batch, [Score("negative", -0.5)] * 5, ("t", "1"), T)
    with db.connect() as conn:
        return dict(conn.execute(sa.text("SELECT external_id, id FROM messages")).all())


def decisions(db) -> dict[int, tuple]:
    with db.connect() as conn:
        return {r.message_id: (r.decision, r.who) for r in conn.execute(sa.select(triage)).all()}


def test_triage_hits_exactly_the_ids_and_never_an_unseen_internal_message(db):
    ids = seed(db)
    assert service.triage(db, [ids["x1"], ids["x2"]], "monitor", "", "", ANA, T) == 2
    assert decisions(db) == {ids["x1"]: ("monitor", "ana"), ids["x2"]: ("monitor", "ana")}
    with pytest.raises(NotAllowed, match="internal message"):
        service.triage(db, [ids["x3"], ids["s1"]], "ignore", "", "", ANA, T + 1)
    assert ids["x3"] not in decisions(db)  # nothing was triaged
    staff_reader = Actor("lee", "lead", reads_internal_text=True)
    assert service.triage(db, [ids["s1"]], "monitor", "", "", staff_reader, T + 2) == 1
    with pytest.raises(ValueError, match="no such message"):
        service.triage(db, [999_999], "monitor", "", "", ANA, T)


def test_undo_restores_the_previous_state_audited_and_keeps_newer_decisions(db):
    ids = seed(db)
    a, b, c = ids["x0"], ids["x1"], ids["x2"]
    assert mentions.last_action(db, ANA.name, T + 60) is None
    service.triage(db, [a], "respond_privately", "Ana", "dm sent", ANA, T)
    service.triage(db, [a, b, c], "ignore", "", "", ANA, T + 10)
    service.triage(db, [c], "monitor", "", "", BEN, T + 20)  # someone else since: theirs stays
    last = mentions.last_action(db, ANA.name, T + 60)
    assert (last.decision, last.ids) == ("ignore", sorted([a, b, c]))
    assert service.undo_triage(db, ANA, T + 30) == (2, 1)
    assert decisions(db) == {a: ("respond_privately", "ana"), c: ("monitor", "ben")}
    with db.connect() as conn:
        owner, note = conn.execute(sa.select(triage.c.owner, triage.c.note).where(triage.c.message_id == a)).one()
        entry = conn.execute(
            sa.select(audit_log.c.details).where(audit_log.c.action == mentions.UNDO).order_by(audit_log.c.id.desc())
        ).scalar()
    assert (owner, note) == ("Ana", "dm sent")
    assert json.loads(entry)["skipped"] == [c]
    # Undo again: the action before (the first one) is undone next.
    assert mentions.last_action(db, ANA.name, T + 60).ids == [a]
    assert service.undo_triage(db, ANA, T + 40) == (1, 0)
    assert a not in decisions(db)
    with pytest.raises(ValueError, match="no triage action to undo"):
        service.undo_triage(db, ANA, T + 50)
    assert mentions.last_action(db, BEN.name, T + 60).ids == [c]  # each person undoes only their own
    assert mentions.last_action(db, BEN.name, T + 20 + 86400 + 1) is None  # a day later: nothing to undo
