"""Who may change what, checked before the store writes: the actions the
Mentions and Sentiment pages take on stored messages. The store functions
behind them just write for a named person; every caller that acts for a
person (a page, a script) comes through here, so a request that bypasses a
page's hidden button is refused the same way."""

from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa

from access.roles import Actor, NotAllowed, Permission, require
from store import corrections, mentions


def triage(
    db: sa.Engine, message_ids: Sequence[int], decision: str, owner: str, note: str, by: Actor, now: float
) -> int:
    """Triage exactly these messages. An internal message is refused for a role
    that may not read internal text (it was never shown to them)."""
    require(by, Permission.TRIAGE)
    if not by.reads_internal_text:
        hidden = mentions.internal_among(db, message_ids)
        if hidden:
            raise NotAllowed(
                f"{len(hidden)} internal message(s) are not shown to your role and cannot be triaged by you; "
                "nothing was triaged"
            )
    return mentions.decide(db, message_ids, decision, owner, note, by.name, now)


def undo_triage(db: sa.Engine, by: Actor, now: float) -> tuple[int, int]:
    """Put back what this person's last triage action replaced: (restored, skipped)."""
    require(by, Permission.TRIAGE)
    return mentions.undo_last(db, by.name, now)


def correct_labels(db: sa.Engine, message_ids: Sequence[int], label: str | None, by: Actor, now: float) -> int:
    """Set (or with None remove) the human label of these messages; how many changed."""
    if label is not None:
        corrections.check_label(label)  # a bad label is named before a permission is asked for
    require(by, Permission.CORRECT_LABELS)
    return corrections.correct(db, message_ids, label, by.name, now)
