"""Hold proposals: a stored proposal to hold scheduled posts that waits for a
person.

The detector makes one when the level is CRISIS (and a person declaring a
crisis makes one in their own name), naming the scheduled posts due soon that
the risk rules flag. It stays, whatever later evaluations find, until a
person accepts it (exactly its posts are held) or dismisses it. A later
evaluation adds newly due posts to the open proposal (its version goes up)
instead of making another one, and never names a post again that a proposal
made during the same crisis already named. It is never made below CRISIS.

A decision names the version the person saw: a proposal decided by a
colleague meanwhile, or grown since, is refused (ProposalConflict) and
nothing changes. Every step has its audit entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

import sqlalchemy as sa

from access.roles import Actor, Permission, require
from publishing.posts import act_in
from publishing.risk import risk_flags
from store.audit import record
from store.connection import write
from store.ingest import dialect_insert
from store.schema import hold_proposal_posts as hpp
from store.schema import hold_proposals as hp
from store.schema import scheduled_posts as sp

CRISIS = 2  # crisis.levels.LEVELS.index("crisis")
WINDOW_S = 24 * 3600  # posts due within this are proposed
DETECTOR = "detector"


@dataclass(frozen=True)
class ProposedPost:
    post_id: int
    channel: str
    target: str
    text: str
    scheduled_at: int
    status: str  # the post's status now
    reasons: str
    added_at: float
    added_by: str
    outcome: str | None


@dataclass(frozen=True)
class Proposal:
    id: int
    status: str  # open, accepted, dismissed
    version: int
    origin: str  # detector, declaration
    proposed_by: str
    trigger: str
    evaluated_minute: int | None
    crisis_since: float | None
    proposed_at: float
    decided_by: str | None
    decided_at: float | None
    decision_note: str | None
    posts: tuple[ProposedPost, ...]

    @property
    def post_ids(self) -> list[int]:
        return [p.post_id for p in self.posts]

    def proposer(self) -> str:
        """Who proposed it, in words: "the detector" or "ana (declared a crisis)"."""
        return "the detector" if self.origin == DETECTOR else f"{self.proposed_by} (declared a crisis)"


@dataclass(frozen=True)
class PendingHold:
    """What other pages (wall, overview) show: a proposal waits for a decision."""

    id: int
    posts: int
    origin: str
    proposed_by: str
    proposed_at: float

    def proposer(self) -> str:
        """Who proposed it, in words (the name is outside text: escape it where it is shown)."""
        return "the detector" if self.origin == DETECTOR else f"{self.proposed_by} (declared a crisis)"


class ProposalConflict(ValueError):
    """The proposal is not as the person saw it: nothing was changed.
    `current` is the proposal as it is now (None: it does not exist)."""

    def __init__(self, message: str, current: Proposal | None) -> None:
        super().__init__(message)
        self.current = current


def _utc(epoch_s: float | None) -> str:
    return datetime.fromtimestamp(epoch_s, tz=timezone.utc).strftime("%H:%M UTC") if epoch_s else "?"


# --- Proposing (inside the detector's transaction) ------------------------------


def propose_in(
    conn: sa.Connection,
    *,
    level: int,
    crisis_since: float | None,
    now: float,
    by: str,
    origin: str,
    trigger: str,
    evaluated_minute: int | None = None,
    sensitive_terms: Sequence[str] = (),
) -> tuple[int | None, list[dict]]:
    """At CRISIS only: name the scheduled posts due within WINDOW_S that the
    risk rules flag and that no proposal of this crisis named yet, in the open
    proposal or a new one. Returns (the proposal's id or None, the posts named
    now as short dicts for the alert)."""
    if level < CRISIS:
        return None, []
    since = crisis_since if crisis_since is not None else now
    named_in_this_crisis = (
        sa.select(hpp.c.post_id)
        .join(hp, hp.c.id == hpp.c.proposal_id)
        .where(sa.or_(hp.c.status == "open", hp.c.proposed_at >= since))
    )
    due = conn.execute(
        sa.select(sp.c.id, sp.c.channel, sp.c.scheduled_at, sp.c.text)
        .where(
            sp.c.status == "scheduled",
            sp.c.scheduled_at >= now,
            sp.c.scheduled_at <= now + WINDOW_S,
            sp.c.id.not_in(named_in_this_crisis),
        )
        .order_by(sp.c.scheduled_at, sp.c.id)
    ).all()
    if not due:
        return None, []
    flags = risk_flags(
        [r.text for r in due],
        [r.scheduled_at for r in due],
        engine=None,
        sensitive_terms=sensitive_terms,
        crisis_terms=(),
        level="crisis",
        now=now,
    )
    chosen = [(row, reasons) for row, reasons in zip(due, flags) if reasons]
    if not chosen:
        return None, []
    conn.execute(
        dialect_insert(conn, hp)
        .values(
            status="open",
            open_key=1,
            version=0,
            origin=origin,
            proposed_by=by,
            trigger=trigger,
            evaluated_minute=evaluated_minute,
            crisis_since=crisis_since,
            proposed_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["open_key"])
    )
    # The open proposal, locked: a person's decision waits for this, or this sees it decided.
    row = conn.execute(sa.select(hp).where(hp.c.open_key == 1).with_for_update()).one()
    ids = [int(r.id) for r, _ in chosen]
    conn.execute(
        dialect_insert(conn, hpp)
        .values(
            [
                {"proposal_id": row.id, "post_id": int(r.id), "added_at": now, "added_by": by, "reasons": "; ".join(f)}
                for r, f in chosen
            ]
        )
        .on_conflict_do_nothing(index_elements=["proposal_id", "post_id"])
    )
    conn.execute(hp.update().where(hp.c.id == row.id).values(version=row.version + 1, updated_at=now))
    created = row.version == 0
    record(
        conn,
        by,
        "publishing.hold_proposed" if created else "publishing.hold_proposal_grew",
        now,
        f"hold proposal:{row.id}",
        trigger,
        posts=ids,
        origin=origin,
        evaluated_minute=evaluated_minute,
    )
    return int(row.id), [
        {"id": int(r.id), "channel": r.channel, "scheduled_at": int(r.scheduled_at), "text": r.text[:280]}
        for r, _ in chosen
    ]


# --- Reading ---------------------------------------------------------------------


def _load(conn: sa.Connection, row) -> Proposal:
    items = conn.execute(
        sa.select(
            hpp.c.post_id,
            sp.c.channel,
            sp.c.target,
            sp.c.text,
            sp.c.scheduled_at,
            sp.c.status,
            hpp.c.reasons,
            hpp.c.added_at,
            hpp.c.added_by,
            hpp.c.outcome,
        )
        .join(sp, sp.c.id == hpp.c.post_id)
        .where(hpp.c.proposal_id == row.id)
        .order_by(sp.c.scheduled_at, hpp.c.post_id)
    ).all()
    return Proposal(
        id=int(row.id),
        status=row.status,
        version=int(row.version),
        origin=row.origin,
        proposed_by=row.proposed_by,
        trigger=row.trigger,
        evaluated_minute=row.evaluated_minute,
        crisis_since=row.crisis_since,
        proposed_at=row.proposed_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        posts=tuple(
            ProposedPost(
                post_id=int(i.post_id),
                channel=i.channel,
                target=i.target,
                text=i.text,
                scheduled_at=i.scheduled_at,
                status=i.status,
                reasons=i.reasons,
                added_at=i.added_at,
                added_by=i.added_by,
                outcome=i.outcome,
            )
            for i in items
        ),
    )


def open_proposal(db: sa.Engine) -> Proposal | None:
    """The proposal waiting for a decision, with its posts as they are now."""
    with db.connect() as conn:
        row = conn.execute(sa.select(hp).where(hp.c.open_key == 1)).one_or_none()
        return _load(conn, row) if row is not None else None


def get(db: sa.Engine, proposal_id: int) -> Proposal | None:
    with db.connect() as conn:
        row = conn.execute(sa.select(hp).where(hp.c.id == proposal_id)).one_or_none()
        return _load(conn, row) if row is not None else None


def pending(db: sa.Engine | sa.Connection) -> PendingHold | None:
    """A small read for the wall and the overview: the open proposal, if any, and how many posts it names."""
    stmt = (
        sa.select(hp.c.id, sa.func.count(hpp.c.post_id), hp.c.origin, hp.c.proposed_by, hp.c.proposed_at)
        .select_from(hp.outerjoin(hpp, hpp.c.proposal_id == hp.c.id))
        .where(hp.c.open_key == 1)
        .group_by(hp.c.id, hp.c.origin, hp.c.proposed_by, hp.c.proposed_at)
    )
    if isinstance(db, sa.Connection):
        row = db.execute(stmt).one_or_none()
    else:
        with db.connect() as conn:
            row = conn.execute(stmt).one_or_none()
    return PendingHold(int(row[0]), int(row[1]), row[2], row[3], row[4]) if row is not None else None


def decided(db: sa.Engine, limit: int = 20) -> list[Proposal]:
    """The latest decided proposals, newest first."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(hp).where(hp.c.status != "open").order_by(hp.c.decided_at.desc(), hp.c.id.desc()).limit(limit)
        ).all()
        return [_load(conn, row) for row in rows]


# --- Deciding ----------------------------------------------------------------------


def _lock_open(conn: sa.Connection, proposal_id: int, seen_version: int) -> Proposal:
    row = conn.execute(sa.select(hp).where(hp.c.id == proposal_id).with_for_update()).one_or_none()
    if row is None:
        raise ProposalConflict(f"hold proposal #{proposal_id} does not exist; nothing changed", None)
    current = _load(conn, row)
    if row.status != "open":
        raise ProposalConflict(
            f"hold proposal #{proposal_id} was already {row.status} by {row.decided_by} at {_utc(row.decided_at)}; "
            "nothing changed",
            current,
        )
    if row.version != seen_version:
        raise ProposalConflict(
            f"hold proposal #{proposal_id} changed since you saw it: it now names {len(current.posts)} post(s) "
            f"(version {row.version}, you saw {seen_version}); nothing changed. Read it again, then decide",
            current,
        )
    return current


def _close(conn: sa.Connection, current: Proposal, status: str, who: str, now: float, note: str) -> None:
    closed = conn.execute(
        hp.update()
        .where(hp.c.id == current.id, hp.c.status == "open", hp.c.version == current.version)
        .values(status=status, open_key=None, decided_by=who, decided_at=now, decision_note=note, updated_at=now)
    ).rowcount
    if not closed:  # only where the lock above was not taken: another decision came first
        raise ProposalConflict(
            f"hold proposal #{current.id} was decided by someone else meanwhile; nothing changed", None
        )


def accept(db: sa.Engine, proposal_id: int, by: Actor, now: float, *, seen_version: int, note: str = "") -> list[int]:
    """Hold exactly the proposal's posts (those still scheduled or overdue);
    returns the ids held. Refused (ProposalConflict) when it was decided or
    grew since the person saw `seen_version`."""
    require(by, Permission.EDIT_POSTS)
    with write(db) as conn:
        current = _lock_open(conn, proposal_id, seen_version)
        _close(conn, current, "accepted", by.name, now, note.strip())
        reason = f"hold proposal #{current.id} accepted (proposed by {current.proposer()})"
        held = act_in(conn, current.post_ids, "hold", by.name, now, reason, proposal=current.id)
        outcomes = {}
        for item in current.posts:
            if item.post_id in held:
                outcome = "held"
            else:
                outcome = "already held" if item.status == "held" else f"not held: it was {item.status}"
            outcomes[item.post_id] = outcome
            conn.execute(
                hpp.update()
                .where(hpp.c.proposal_id == current.id, hpp.c.post_id == item.post_id)
                .values(outcome=outcome)
            )
        record(
            conn,
            by.name,
            "publishing.hold_accepted",
            now,
            f"hold proposal:{current.id}",
            note.strip(),
            held=held,
            outcomes=json.dumps(outcomes),
            version=current.version,
        )
    return held


def dismiss(db: sa.Engine, proposal_id: int, by: Actor, reason: str, now: float, *, seen_version: int) -> None:
    """Let the proposal's posts go out as scheduled: a lead's decision, with a
    reason. Refused (ProposalConflict) like `accept`."""
    require(by, Permission.DISMISS_HOLD)
    if not reason.strip():
        raise ValueError("dismissing a proposal to hold posts needs a reason")
    with write(db) as conn:
        current = _lock_open(conn, proposal_id, seen_version)
        _close(conn, current, "dismissed", by.name, now, reason.strip())
        conn.execute(hpp.update().where(hpp.c.proposal_id == current.id).values(outcome="not held: dismissed"))
        record(
            conn,
            by.name,
            "publishing.hold_dismissed",
            now,
            f"hold proposal:{current.id}",
            reason.strip(),
            posts=current.post_ids,
            version=current.version,
        )
