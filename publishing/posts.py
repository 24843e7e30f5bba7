"""Scheduled posts and what people do with them. Every change runs in one
write transaction with its audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

import pandas as pd
import sqlalchemy as sa

from access.roles import Actor, Permission, require
from store.audit import record
from store.connection import write
from store.ingest import dialect_insert
from store.schema import scheduled_posts as sp

CHANNELS = ("x", "slack")
OPEN = ("scheduled", "held", "draft", "overdue", "failed")  # a person can still change these
X_LIMIT = 280


class PostError(ValueError):
    pass


@dataclass(frozen=True)
class NewPost:
    channel: str
    text: str
    scheduled_at: datetime  # aware
    author: str
    target: str = ""  # the Slack channel; "" for X
    link: str = ""
    timezone: str = "UTC"
    origin: str = "manual"
    origin_key: str | None = None

    def check(self) -> None:
        if self.channel not in CHANNELS:
            raise PostError(f"channel must be one of {CHANNELS}, got {self.channel!r}")
        if not self.text.strip():
            raise PostError("text must not be empty")
        if self.channel == "x" and len(self.text) + (len(self.link) + 1 if self.link else 0) > X_LIMIT:
            raise PostError(f"an X post (text and link) must be at most {X_LIMIT} characters")
        if self.channel == "slack" and not self.target.strip():
            raise PostError("a Slack post needs a target channel")
        if self.scheduled_at.tzinfo is None:
            raise PostError("the scheduled time needs a time zone")
        if not self.author.strip():
            raise PostError("author must not be empty")


def _row(post: NewPost, now: float) -> dict:
    post.check()
    return {
        "origin": post.origin,
        "origin_key": post.origin_key,
        "channel": post.channel,
        "target": post.target,
        "text": post.text,
        "link": post.link,
        "scheduled_at": int(post.scheduled_at.timestamp()),
        "timezone": post.timezone,
        "author": post.author,
        "status": "scheduled",
        "created_at": now,
        "updated_at": now,
    }


def create(db: sa.Engine, post: NewPost, by: Actor, now: float) -> int:
    require(by, Permission.EDIT_POSTS)
    with write(db) as conn:
        new_id = conn.execute(sp.insert().values(**_row(post, now)).returning(sp.c.id)).scalar_one()
        record(
            conn, by.name, "post.create", now, f"post:{new_id}", channel=post.channel, scheduled_at=post.scheduled_at
        )
    return new_id


def import_posts(conn: sa.Connection, posts: Iterable[NewPost], who: str, now: float) -> int:
    """Insert posts inside the caller's transaction; ones whose origin_key is
    already stored are skipped (a replayed drill, a re-imported file)."""
    rows = [_row(p, now) for p in posts]
    if not rows:
        return 0
    stmt = dialect_insert(conn, sp).on_conflict_do_nothing(index_elements=["origin_key"]).returning(sp.c.id)
    added = len(conn.execute(stmt, rows).all())
    if added:
        record(conn, who, "post.import", now, "", count=added, origin=rows[0]["origin"])
    return added


# What each action does to a post in a given status. "resume" and
# "publish_now" are resolved against the post's time in `act`.
TRANSITIONS = {
    "hold": ({"scheduled", "overdue"}, "held"),
    "resume": ({"held"}, "scheduled"),
    "draft": ({"scheduled", "held", "overdue", "failed"}, "draft"),
    "delete": (set(OPEN), "deleted"),
    "publish_now": ({"held", "overdue", "failed", "draft"}, "scheduled"),
}


def act(db: sa.Engine, ids: Sequence[int], action: str, by: Actor, now: float, reason: str = "") -> int:
    """Apply an action to posts; returns how many changed (others are skipped:
    a published post cannot be held, a deleted one cannot be resumed)."""
    if action not in TRANSITIONS:
        raise PostError(f"unknown action {action!r}")
    require(by, Permission.PUBLISH_NOW if action == "publish_now" else Permission.EDIT_POSTS)
    with write(db) as conn:
        return len(act_in(conn, ids, action, by.name, now, reason))


def act_in(
    conn: sa.Connection, ids: Sequence[int], action: str, who: str, now: float, reason: str = "", **details
) -> list[int]:
    """`act` inside the caller's write transaction (the caller checked the
    role); returns the ids that changed, each with its audit entry."""
    allowed, new_status = TRANSITIONS[action]
    changed = []
    # FOR UPDATE (PostgreSQL): a publisher's claim of the same rows waits for
    # this transaction, or this one waits for the claim and sees "publishing".
    rows = conn.execute(
        sa.select(sp.c.id, sp.c.status, sp.c.scheduled_at).where(sp.c.id.in_(list(ids))).with_for_update()
    ).all()
    for row in rows:
        if row.status not in allowed:
            continue
        values = {"status": new_status, "status_reason": reason, "updated_at": now}
        if action == "resume" and row.scheduled_at <= now:
            values["status"] = "overdue"  # its time passed while held: a person decides
            values["status_reason"] = "its time passed while it was held"
        if action == "publish_now":
            values["scheduled_at"] = int(now)
        if not conn.execute(sp.update().where(sp.c.id == row.id, sp.c.status == row.status).values(**values)).rowcount:
            continue
        record(
            conn, who, f"post.{action}", now, f"post:{row.id}", reason, old=row.status, new=values["status"], **details
        )
        changed.append(row.id)
    return changed


def edit(
    db: sa.Engine,
    post_id: int,
    by: Actor,
    now: float,
    *,
    text: str,
    link: str,
    scheduled_at: datetime,
    target: str = "",
    timezone: str = "UTC",
) -> None:
    """Change a post's content or time; a new time in the future makes an
    overdue or failed post scheduled again (a reschedule), which needs the
    role that may publish now (a lead): for an editor, NotAllowed."""
    require(by, Permission.EDIT_POSTS)
    with write(db) as conn:
        row = conn.execute(sa.select(sp).where(sp.c.id == post_id).with_for_update()).one_or_none()
        if row is None:
            raise PostError(f"post {post_id} does not exist")
        if row.status not in OPEN:
            raise PostError(f"post {post_id} is {row.status} and can no longer be edited")
        post = NewPost(row.channel, text, scheduled_at, row.author, target or row.target, link, timezone)
        post.check()
        when = int(scheduled_at.timestamp())
        status = row.status
        if status in ("overdue", "failed") and when > now:
            # A new time makes it send, as "publish now" would: an overdue post or one whose
            # outcome is unknown (it may already be out) needs the same role to be sent again.
            require(by, Permission.PUBLISH_NOW)
            status = "scheduled"
        conn.execute(
            sp.update()
            .where(sp.c.id == post_id)
            .values(
                text=text,
                link=link,
                scheduled_at=when,
                timezone=timezone,
                target=post.target,
                status=status,
                updated_at=now,
            )
        )
        record(
            conn,
            by.name,
            "post.edit",
            now,
            f"post:{post_id}",
            old_text=row.text,
            new_text=text,
            old_time=row.scheduled_at,
            new_time=when,
            old_status=row.status,
            new_status=status,
        )


LISTED = ("scheduled", "held", "overdue", "failed", "draft", "publishing", "published")  # what the review list shows


def listing(
    db: sa.Engine, now: float, days: float = 7, limit: int = 500, statuses: Sequence[str] | None = None
) -> pd.DataFrame:
    """Everything a reviewer must see, soonest first: due in the next `days`,
    every post waiting for a decision (held, overdue, failed, draft), and the
    posts published in the last `days` (they stay, as published, with when).
    `statuses` narrows it to some of LISTED."""
    waiting = sp.c.status.in_(("held", "overdue", "failed", "draft", "publishing"))
    upcoming = sa.and_(sp.c.status == "scheduled", sp.c.scheduled_at <= now + days * 86400)
    published = sa.and_(sp.c.status == "published", sp.c.published_at >= now - days * 86400)
    where = sa.or_(waiting, upcoming, published)
    if statuses is not None:
        where = sa.and_(where, sp.c.status.in_(list(statuses)))
    stmt = sa.select(sp).where(where).order_by(sp.c.scheduled_at, sp.c.id).limit(limit)
    with db.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=[c.name for c in sp.columns])


def due_counts(db: sa.Engine, now: float, within_s: float) -> tuple[int, int]:
    """(scheduled posts whose time has passed, scheduled posts due within `within_s`)."""
    scheduled = sp.c.status == "scheduled"
    stmt = sa.select(
        sa.func.count().filter(scheduled, sp.c.scheduled_at <= now),
        sa.func.count().filter(scheduled, sp.c.scheduled_at > now, sp.c.scheduled_at <= now + within_s),
    )
    with db.connect() as conn:
        passed, soon = conn.execute(stmt).one()
    return int(passed), int(soon)
