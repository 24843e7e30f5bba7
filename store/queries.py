"""Reads for pages: small, bucketed or limited results, never whole tables.

Charts read the per-minute rollups; only `latest_messages` touches the
messages table, through the created_at index with a LIMIT.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from model.score import LABELS, UNSCORED_LANGUAGE
from settings.registry import internal_sources
from store.schema import alerts, label_corrections, messages, rollups_minute, source_state

_r = rollups_minute


def volume_by_minute(db: sa.Engine, since: int, until: int) -> pd.DataFrame:
    """Messages per minute and label in [since, until): minute (epoch s, UTC), label, count.
    Minutes without messages are absent."""
    stmt = (
        sa.select(_r.c.minute, _r.c.label, sa.func.sum(_r.c.count).label("count"))
        .where(_r.c.minute >= since - since % 60, _r.c.minute < until)
        .group_by(_r.c.minute, _r.c.label)
        .order_by(_r.c.minute)
    )
    with db.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=["minute", "label", "count"])
    return frame.astype({"minute": "int64", "count": "int64"})


def label_totals(db: sa.Engine, since: int, until: int) -> dict[str, int]:
    """Messages per effective label in [since, until), from the rollups."""
    stmt = (
        sa.select(_r.c.label, sa.func.sum(_r.c.count))
        .where(_r.c.minute >= since - since % 60, _r.c.minute < until)
        .group_by(_r.c.label)
    )
    with db.connect() as conn:
        return {label: int(count) for label, count in conn.execute(stmt).all() if count}


def volume_by_source(db: sa.Engine, since: int, until: int) -> pd.DataFrame:
    """Messages and negative messages per source in [since, until)."""
    negative = sa.func.sum(sa.case((_r.c.label == "negative", _r.c.count), else_=0))
    stmt = (
        sa.select(_r.c.source, sa.func.sum(_r.c.count).label("messages"), negative.label("negative"))
        .where(_r.c.minute >= since - since % 60, _r.c.minute < until)
        .group_by(_r.c.source)
        .order_by(sa.desc("messages"))
    )
    with db.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=["source", "messages", "negative"])
    return frame.astype({"messages": "int64", "negative": "int64"})


def latest_messages(db: sa.Engine, limit: int, until: int | None = None, internal_text: bool = False) -> pd.DataFrame:
    """The newest messages (up to `until`), newest first; created_at in epoch s.
    Internal messages only with `internal_text`: the wall, a shared screen, never asks."""
    m = messages.c
    label = sa.func.coalesce(m.label_override, m.label, "unscored").label("label")
    stmt = sa.select(m.created_at, m.source, m.channel, m.author, m.reach, label, m.score, m.text)
    if not internal_text:
        stmt = stmt.where(m.source.not_in(internal_sources()))
    if until is not None:
        stmt = stmt.where(m.created_at <= until)
    stmt = stmt.order_by(m.created_at.desc(), m.id.desc()).limit(limit)
    with db.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(stmt).all(),
            columns=["created_at", "source", "channel", "author", "reach", "label", "score", "text"],
        )
    return frame.astype({"created_at": "int64"})


def source_health(db: sa.Engine) -> pd.DataFrame:
    s = source_state.c
    stmt = sa.select(
        s.name,
        s.status,
        s.last_success_at,
        s.last_error_at,
        s.last_error,
        s.consecutive_failures,
        s.polls,
        s.messages_total,
        s.next_poll_at,
        s.today,
        s.today_messages,
        s.today_reads,
        s.note,
        s.note_at,
    ).order_by(s.name)
    with db.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=list(stmt.selected_columns.keys()))


def last_success_at(db: sa.Engine) -> float | None:
    """When any source last delivered (or confirmed there was nothing new)."""
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.max(source_state.c.last_success_at))).scalar()


def messages_for_review(
    db: sa.Engine,
    limit: int,
    labels: list[str] | None = None,
    sources: list[str] | None = None,
    internal_text: bool = False,
) -> pd.DataFrame:
    """Newest messages with the engine's label and any correction, for review
    (internal messages only with `internal_text`)."""
    m = messages.c
    effective = sa.func.coalesce(m.label_override, m.label, "unscored")
    stmt = sa.select(
        m.id,
        m.created_at,
        m.source,
        m.author,
        m.text,
        m.label.label("engine_label"),
        m.label_override,
        effective.label("label"),
        m.engine,
    )
    if labels:
        stmt = stmt.where(effective.in_(labels))
    if sources:
        stmt = stmt.where(m.source.in_(sources))
    if not internal_text:
        stmt = stmt.where(m.source.not_in(internal_sources()))
    stmt = stmt.order_by(m.created_at.desc(), m.id.desc()).limit(limit)
    with db.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=list(stmt.selected_columns.keys()))
    return frame


def correction_agreement(db: sa.Engine) -> tuple[int, float | None, pd.DataFrame]:
    """How often the engine agreed with people on the messages they labelled:
    (n, overall agreement, per class: corrected n, engine agreed, recall)."""
    m = messages.c
    stmt = (
        sa.select(m.label_override, m.label, sa.func.count())
        .where(m.label_override.is_not(None), m.label.is_not(None))
        .group_by(m.label_override, m.label)
    )
    with db.connect() as conn:
        pairs = conn.execute(stmt).all()
    rows = []
    for label in LABELS:
        n = sum(c for truth, _, c in pairs if truth == label)
        agreed = sum(c for truth, said, c in pairs if truth == label and said == label)
        rows.append({"label": label, "corrected": n, "engine agreed": agreed, "recall": agreed / n if n else None})
    total = sum(c for _, _, c in pairs)
    agreed = sum(c for truth, said, c in pairs if truth == said)
    return total, (agreed / total if total else None), pd.DataFrame(rows)


def recent_corrections(db: sa.Engine, limit: int = 50, internal_text: bool = False) -> pd.DataFrame:
    """The newest corrections with the message's text (internal messages' text
    only with `internal_text`)."""
    c = label_corrections.c
    text: sa.ColumnElement[str] = messages.c.text
    if not internal_text:
        text = sa.case((messages.c.source.in_(internal_sources()), "(internal message)"), else_=messages.c.text)
    stmt = (
        sa.select(c.at, c.who, c.message_id, c.model_label, c.old_label, c.new_label, text.label("text"))
        .join(messages, messages.c.id == c.message_id)
        .order_by(c.id.desc())
        .limit(limit)
    )
    with db.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=list(stmt.selected_columns.keys()))


def recent_alerts(db: sa.Engine, limit: int = 50) -> list[sa.Row]:
    """Level changes and digests, newest first."""
    a = alerts.c
    stmt = (
        sa.select(a.at, a.kind, a.old_level, a.new_level, a.reason, a.suppressed, a.who, a.summary, a.notified_at)
        .order_by(a.id.desc())
        .limit(limit)
    )
    with db.connect() as conn:
        return list(conn.execute(stmt).all())


def top_negative(
    db: sa.Engine,
    since: int,
    until: int,
    limit: int,
    internal: tuple[str, ...] | None = None,
    own_accounts: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The negative external messages of a time slice with the widest reach
    (`internal`: the sources left out; default the registry's internal ones;
    `own_accounts`: authors left out, compared trimmed, in lower case and
    without a leading "@", as settings.schema.own_account_key gives them)."""
    internal = internal_sources() if internal is None else internal
    m = messages.c
    label = sa.func.coalesce(m.label_override, m.label)
    stmt = (
        sa.select(m.created_at, m.source, m.author, m.reach, m.text)
        .where(m.created_at >= since, m.created_at < until, label == "negative", m.source.not_in(internal))
        .order_by(m.reach.desc(), m.created_at.desc())
        .limit(limit)
    )
    if own_accounts:
        author = sa.func.ltrim(sa.func.lower(sa.func.trim(sa.func.coalesce(m.author, ""))), "@")
        stmt = stmt.where(author.not_in(list(own_accounts)))
    with db.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=["created_at", "source", "author", "reach", "text"])


def _of(column, source: str | tuple[str, ...]):
    """One source by name, or several (the internal ones: Slack and Teams)."""
    return column == source if isinstance(source, str) else column.in_(source)


def share_of(
    db: sa.Engine, since: int, until: int, label: str = "negative", source: str | tuple[str, ...] | None = None
) -> tuple[int, int]:
    """(messages with `label`, the messages it is a share of) in [since, until), from
    the rollups. A share is of the messages an engine here could read: those stored
    "unscored: language" are left out of the whole (unless they are what is counted)."""
    hit = sa.func.sum(sa.case((_r.c.label == label, _r.c.count), else_=0))
    whole = (
        sa.func.sum(_r.c.count)
        if label == UNSCORED_LANGUAGE
        else sa.func.sum(sa.case((_r.c.label == UNSCORED_LANGUAGE, 0), else_=_r.c.count))
    )
    stmt = sa.select(hit, whole).where(_r.c.minute >= since - since % 60, _r.c.minute < until)
    if source:
        stmt = stmt.where(_of(_r.c.source, source))
    with db.connect() as conn:
        part, whole = conn.execute(stmt).one()
    return int(part or 0), int(whole or 0)


def negative_reach(db: sa.Engine, since: int, until: int) -> int:
    stmt = sa.select(sa.func.sum(_r.c.reach_sum)).where(
        _r.c.minute >= since - since % 60, _r.c.minute < until, _r.c.label == "negative"
    )
    with db.connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)


def volume_by_hour(db: sa.Engine, since: int, until: int) -> pd.DataFrame:
    """Messages, negative messages and the share's base (messages an engine could read:
    not "unscored: language") per hour (epoch s, UTC) from the rollups."""
    hour = (_r.c.minute - _r.c.minute % 3600).label("hour")
    negative = sa.func.sum(sa.case((_r.c.label == "negative", _r.c.count), else_=0))
    scored = sa.func.sum(sa.case((_r.c.label == UNSCORED_LANGUAGE, 0), else_=_r.c.count))
    stmt = (
        sa.select(hour, sa.func.sum(_r.c.count), negative, scored)
        .where(_r.c.minute >= since - since % 3600, _r.c.minute < until)
        .group_by(hour)
        .order_by(hour)
    )
    with db.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=["hour", "messages", "negative", "scored"])
    return frame.astype({"hour": "int64", "messages": "int64", "negative": "int64", "scored": "int64"})


def channel_trend(db: sa.Engine, source: str | tuple[str, ...], since: int, until: int) -> pd.DataFrame:
    """Per channel and hour: messages and negative ones (a bounded, indexed slice
    of one source, e.g. the internal Slack channels of the last days)."""
    m = messages.c
    hour = (m.created_at - m.created_at % 3600).label("hour")
    label = sa.func.coalesce(m.label_override, m.label)
    negative = sa.func.sum(sa.case((label == "negative", 1), else_=0))
    stmt = (
        sa.select(m.channel, hour, sa.func.count(), negative)
        .where(_of(m.source, source), m.created_at >= since, m.created_at < until)
        .group_by(m.channel, hour)
        .order_by(hour)
    )
    with db.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=["channel", "hour", "messages", "negative"])
    return frame.astype({"hour": "int64", "messages": "int64", "negative": "int64"})


def texts_of(db: sa.Engine, source: str | tuple[str, ...], since: int, until: int, limit: int = 3000) -> list[str]:
    m = messages.c
    stmt = (
        sa.select(m.text)
        .where(_of(m.source, source), m.created_at >= since, m.created_at < until)
        .order_by(m.created_at.desc())
        .limit(limit)
    )
    with db.connect() as conn:
        return list(conn.execute(stmt).scalars())


def level_at(db: sa.Engine, at: float) -> int:
    """The crisis level (0-2) in force at a past moment, from the level changes."""
    stmt = (
        sa.select(alerts.c.new_level)
        .where(alerts.c.kind == "level", alerts.c.at <= at)
        .order_by(alerts.c.at.desc(), alerts.c.id.desc())
        .limit(1)
    )
    with db.connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)


def alerts_sent(db: sa.Engine, since: float) -> int:
    stmt = sa.select(sa.func.count()).where(alerts.c.notified_at.is_not(None), alerts.c.at >= since)
    with db.connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)


def posts_by_status(db: sa.Engine) -> dict[str, int]:
    from store.schema import scheduled_posts as sp

    stmt = sa.select(sp.c.status, sa.func.count()).group_by(sp.c.status)
    with db.connect() as conn:
        return {status: int(n) for status, n in conn.execute(stmt).all()}
