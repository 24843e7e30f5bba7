"""Narratives in the store: the runner's hook, updates, and what pages read.

The stories live in the store (narratives, narrative_members,
narrative_buckets), so every web replica and worker reads the same ones. The
runner that stored a poll's messages updates them (`observe`), in one
transaction that first locks the narrative_state row: two workers polling
different sources take turns, and members keyed by message make a repeated
update change nothing. Internal (staff) messages are never clustered, so a
representative post is always an outside post. The grouping itself is
crisis/narratives.py.
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import sqlalchemy as sa

from crisis.narratives import HASH_DIM, THRESHOLDS, Post, Story, cluster, hashed_counts, text_key, unit
from settings.registry import internal_sources
from store.connection import write
from store.ingest import dialect_insert
from store.schema import (
    messages,
    narrative_buckets,
    narrative_members,
    narrative_state,
    narratives,
)
from store.timeconv import to_epoch

log = logging.getLogger("crisisdesk.narratives")

ACTIVE_S = 6 * 3600  # stories seen within this long are candidates for new posts
MAX_ACTIVE = 400  # at most this many candidates (the most recent): bounds a poll's cost
BUCKET_S = 600
RETAIN_S = 48 * 3600  # stories, members and buckets older than this are dropped
SMALL_AFTER_S = 3 * 3600  # a one-post story not joined for this long is dropped
PRUNE_EVERY_S = 600
MEAN_WEIGHT = 5000.0  # the running mean of sentence vectors remembers about this many posts
WINDOW_S = 3 * 3600  # what the pages list: stories by posts in the last 3 hours


def vectors_for(engine, texts: Sequence[str]) -> tuple[np.ndarray | None, str]:
    """The engine's own sentence embeddings when it has them (unwrapping phrase rules), else None: hashed."""
    inner = engine
    for _ in range(4):  # phrase rules (.inner) and language routing (.engine) wrap the engine
        inner = getattr(inner, "inner", None) or getattr(inner, "engine", None) or inner
    if hasattr(inner, "embeddings_for") and getattr(inner, "vector_kind", None):
        return inner.embeddings_for(texts), inner.vector_kind
    return None, "hashed"


def observe(db: sa.Engine, batch, scores, engine, now: float) -> int:
    """The runner's hook, after a poll's messages are committed: cluster the new
    external ones. Never raises: narratives must not stop ingestion."""
    try:
        internal = internal_sources()
        pairs = [(m, s) for m, s in zip(batch, scores) if m.source not in internal and m.text.strip()]
        if not pairs:
            return 0
        posts = [
            Post(m.source, m.external_id, m.text, to_epoch(m.created_at), bool(s and s.label == "negative"), m.reach)
            for m, s in pairs
        ]
        vectors, kind = vectors_for(engine, [p.text for p in posts])
        return absorb(db, posts, vectors, kind, now)
    except Exception:
        log.exception("updating narratives failed for a batch of %d messages", len(batch))
        return 0


def _lock(conn: sa.Connection) -> sa.Row:
    conn.execute(dialect_insert(conn, narrative_state).values(id=1, docs=0.0, pruned_at=0).on_conflict_do_nothing())
    stmt = sa.select(narrative_state).where(narrative_state.c.id == 1)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # SQLite: write() already holds the database's write lock
    return conn.execute(stmt).one()


def _pg(conn: sa.Connection) -> bool:
    """PostgreSQL: a batch goes as array parameters in one statement (unnest), which
    costs the client far less than an executemany or an expanded IN list of a thousand."""
    return conn.dialect.name == "postgresql"


def _pg_array(values: list) -> str:
    """A list as one PostgreSQL array literal: the driver sends one string instead of
    adapting each element in Python (most of a poll's client CPU otherwise)."""
    if not values:
        return "{}"
    first = values[0]
    if isinstance(first, (bytes, bytearray, memoryview)):
        return '{"\\\\x' + '","\\\\x'.join([bytes(v).hex() for v in values]) + '"}'
    if isinstance(first, str):
        joined = '","'.join(values)
        if "\\" in joined or joined.count('"') != 2 * (len(values) - 1):  # quotes or backslashes inside
            joined = '","'.join([v.replace("\\", "\\\\").replace('"', '\\"') for v in values])
        return '{"' + joined + '"}'
    return "{" + ",".join(map(str, values)) + "}"


def _pg_run(conn: sa.Connection, sql: str, params: tuple) -> list[tuple]:
    """One statement on the transaction's own psycopg connection, each list parameter
    as an array literal (cast in the SQL)."""
    raw = conn.connection.driver_connection
    assert raw is not None  # a checked-out connection always has its driver connection
    with raw.cursor() as cur:
        cur.execute(sql, tuple(_pg_array(p) if isinstance(p, list) else p for p in params))
        return cur.fetchall() if cur.description else []


def _new_posts(conn: sa.Connection, posts: list[Post]) -> list[Post]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for p in posts:
        if (p.source, p.external_id) not in seen:
            seen.add((p.source, p.external_id))
            unique.append(p)
    known: set[tuple[str, str]] = set()
    if _pg(conn):  # one round trip with two array parameters (no IN list of thousands to expand)
        rows = _pg_run(
            conn,
            "SELECT m.source, m.external_id FROM narrative_members m "
            "JOIN unnest(%s::text[], %s::text[]) AS u(source, external_id) "
            "ON m.source = u.source AND m.external_id = u.external_id",
            ([p.source for p in unique], [p.external_id for p in unique]),
        )
        known.update((r[0], r[1]) for r in rows)
        return [p for p in unique if (p.source, p.external_id) not in known]
    by_source: dict[str, list[str]] = {}
    for p in unique:
        by_source.setdefault(p.source, []).append(p.external_id)
    nm = narrative_members.c
    for source, ids in by_source.items():
        for start in range(0, len(ids), 900):
            found = conn.execute(
                sa.select(nm.external_id).where(nm.source == source, nm.external_id.in_(ids[start : start + 900]))
            )
            known.update((source, r.external_id) for r in found)
    return [p for p in unique if (p.source, p.external_id) not in known]


def _load_story(row) -> Story:
    return Story(
        id=int(row.id),
        vector_sum=np.frombuffer(row.vector_sum, dtype=np.float32).copy(),
        rep=(row.rep_source, row.rep_external_id),
        rep_vector=np.frombuffer(row.rep_vector, dtype=np.float32).copy(),
        rep_is_repost=False,
        count=int(row.count),
        negative=int(row.negative),
        reach=int(row.reach),
        first_seen=int(row.first_seen),
        last_seen=int(row.last_seen),
    )


def _hashed_vectors(conn: sa.Connection, state: sa.Row, posts: list[Post]) -> np.ndarray:
    """TF-IDF over hashed terms; document frequencies kept (decaying) in narrative_state."""
    counts = hashed_counts([p.text for p in posts])
    df = np.frombuffer(state.doc_freq, dtype=np.float32).copy() if state.doc_freq else np.zeros(HASH_DIM, np.float32)
    docs = float(state.docs)
    df += (counts > 0).sum(axis=0)
    docs += len(posts)
    if docs > 50_000:  # forget slowly: what is common now matters
        df *= 0.5
        docs *= 0.5
    conn.execute(
        narrative_state.update()
        .where(narrative_state.c.id == 1)
        .values(doc_freq=df.astype(np.float32).tobytes(), docs=docs)
    )
    idf = np.log((docs + 1.0) / (df + 1.0)).astype(np.float32) + 1.0
    return unit(counts * idf)


def _centred(conn: sa.Connection, state: sa.Row, vecs: np.ndarray) -> np.ndarray:
    """Sentence vectors minus the running mean of recent posts, re-normalised: what every
    post shares (the brand, its products) no longer makes two stories look alike."""
    dim = vecs.shape[1]
    mean = np.frombuffer(state.mean_vector, dtype=np.float32) if state.mean_vector else None
    weight = float(state.mean_weight) if mean is not None and mean.size == dim else 0.0
    before = mean if mean is not None and weight else vecs.mean(axis=0)  # what posts shared before this batch
    total = before * weight + vecs.sum(axis=0)
    weight += len(vecs)
    conn.execute(
        narrative_state.update()
        .where(narrative_state.c.id == 1)
        .values(mean_vector=(total / weight).astype(np.float32).tobytes(), mean_weight=min(weight, MEAN_WEIGHT))
    )
    return unit(vecs - before)


def absorb(db: sa.Engine, posts: list[Post], vectors: np.ndarray | None, kind: str, now: float) -> int:
    """Cluster `posts` into the stored narratives; returns how many were new. `vectors`
    (unit length, one row per post) or None for hashed vectors, made here."""
    if not posts:
        return 0
    with write(db) as conn:
        state = _lock(conn)
        for p in posts:
            p.key = p.key or text_key(p.text)
        index = {(p.source, p.external_id): i for i, p in enumerate(posts)}
        fresh = _new_posts(conn, posts)
        if not fresh:
            return 0
        if vectors is None:
            kind = "hashed"
            vecs = _hashed_vectors(conn, state, fresh)
        else:
            vecs = np.asarray(vectors, dtype=np.float32)[[index[(p.source, p.external_id)] for p in fresh]]
            vecs = _centred(conn, state, vecs)
        stories, by_key = _load_active(conn, kind, fresh)
        touched = cluster(stories, fresh, vecs, THRESHOLDS.get(kind, THRESHOLDS["hashed"]), by_key)
        _save(conn, touched, kind)
        if now - state.pruned_at >= PRUNE_EVERY_S:
            _prune(conn, now)
    return len(fresh)


def _load_active(conn: sa.Connection, kind: str, fresh: list[Post]) -> tuple[list[Story], dict[str, Story]]:
    n = narratives.c
    latest = max(p.created_at for p in fresh)
    rows = conn.execute(
        sa.select(narratives)
        .where(n.vector_kind == kind, n.last_seen >= latest - ACTIVE_S)
        .order_by(n.last_seen.desc())
        .limit(MAX_ACTIVE)
    ).all()
    stories = {int(r.id): _load_story(r) for r in rows}
    keys = sorted({p.key for p in fresh})
    story_of_key: dict[str, int] = {}
    nm = narrative_members.c
    if _pg(conn):
        key_rows = _pg_run(
            conn,
            "SELECT text_key, max(narrative_id) FROM narrative_members WHERE text_key = ANY(%s) GROUP BY text_key",
            (keys,),
        )
        story_of_key.update((r[0], int(r[1])) for r in key_rows)
        keys = []
    for start in range(0, len(keys), 900):
        for r in conn.execute(
            sa.select(nm.text_key, sa.func.max(nm.narrative_id).label("nid"))
            .where(nm.text_key.in_(keys[start : start + 900]))
            .group_by(nm.text_key)
        ):
            story_of_key[r.text_key] = int(r.nid)
    missing = set(story_of_key.values()) - set(stories)
    if missing:
        for r in conn.execute(sa.select(narratives).where(n.id.in_(sorted(missing)), n.vector_kind == kind)):
            stories[int(r.id)] = _load_story(r)
    by_key = {key: stories[nid] for key, nid in story_of_key.items() if nid in stories}
    return list(stories.values()), by_key


def _save(conn: sa.Connection, touched: list[Story], kind: str) -> None:
    def values(story: Story, with_rep: bool = True) -> dict:
        row = {
            "vector_sum": story.vector_sum.astype(np.float32).tobytes(),
            "count": story.count,
            "negative": story.negative,
            "reach": story.reach,
            "first_seen": story.first_seen,
            "last_seen": story.last_seen,
        }
        if with_rep:
            assert story.rep is not None and story.rep_vector is not None  # rep_changed: it has one
            row.update(
                vector_kind=kind,
                rep_source=story.rep[0],
                rep_external_id=story.rep[1],
                rep_vector=story.rep_vector.astype(np.float32).tobytes(),
            )
        return row

    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    made = [s for s in touched if s.id is None]
    new = {id(s) for s in made}
    if made and _pg(conn):  # ids drawn first, then one insert of arrays
        ids = [r[0] for r in _pg_run(conn, _PG_NEXT_IDS, (len(made),))]
        rows = [values(s) for s in made]
        columns = list(rows[0])
        _pg_run(
            conn,
            f"INSERT INTO narratives (id, {', '.join(columns)}) "
            f"SELECT * FROM unnest(%s::bigint[], {', '.join(f'%s::{_PG_TYPES[c]}[]' for c in columns)})",
            (ids, *([row[c] for row in rows] for c in columns)),
        )
        for story, new_id in zip(made, ids):
            story.id = int(new_id)
    elif made:
        returned = conn.execute(
            narratives.insert().returning(narratives.c.id, sort_by_parameter_order=True), [values(s) for s in made]
        ).scalars()
        for story, new_id in zip(made, returned):
            story.id = int(new_id)
    for with_rep in (True, False):  # the representative's columns only where it changed
        kept = [s for s in touched if id(s) not in new and s.rep_changed == with_rep]
        if not kept:
            continue
        rows = [values(s, with_rep) for s in kept]
        columns = list(rows[0])
        if _pg(conn):
            types = {c: _PG_TYPES[c] for c in columns}
            _pg_run(
                conn,
                f"UPDATE narratives AS n SET {', '.join(f'{c} = u.{c}' for c in columns)} "
                f"FROM unnest({', '.join(f'%s::{types[c]}[]' for c in columns)}, %s::bigint[]) "
                f"AS u({', '.join(columns)}, id) WHERE n.id = u.id",
                (*([row[c] for row in rows] for c in columns), [s.id for s in kept]),
            )
            continue
        conn.exec_driver_sql(  # hundreds of rows: straight to the driver's executemany
            f"UPDATE narratives SET {', '.join(f'{c} = {mark}' for c in columns)} WHERE id = {mark}",
            [(*row.values(), s.id) for s, row in zip(kept, rows)],
        )
    members: list[tuple[str, str, int | None, str, int]] = []
    buckets: dict[tuple[int | None, int], list[int]] = {}
    for story in touched:
        for post in story.batch:
            members.append((post.source, post.external_id, story.id, post.key, post.created_at))
            b = buckets.setdefault((story.id, post.created_at - post.created_at % BUCKET_S), [0, 0, 0])
            b[0] += 1
            b[1] += int(post.negative)
            b[2] += post.reach
    if _pg(conn):
        _save_rows_pg(conn, members, buckets)
        return
    # A thousand plain rows: straight to the driver's executemany (SQLAlchemy's per-row work is most of the cost).
    conn.exec_driver_sql(
        "INSERT INTO narrative_members (source, external_id, narrative_id, text_key, created_at) "
        f"VALUES ({', '.join([mark] * 5)})",
        members,
    )
    insert = dialect_insert(conn, narrative_buckets)
    nb = narrative_buckets.c
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=["narrative_id", "bucket"],
            set_={
                "count": nb.count + insert.excluded.count,
                "negative": nb.negative + insert.excluded.negative,
                "reach": nb.reach + insert.excluded.reach,
            },
        ),
        [
            {"narrative_id": nid, "bucket": bucket, "count": c, "negative": neg, "reach": r}
            for (nid, bucket), (c, neg, r) in sorted(buckets.items())
        ],
    )


_PG_NEXT_IDS = "SELECT nextval(pg_get_serial_sequence('narratives', 'id')) FROM generate_series(1, %s)"
_PG_TYPES = {
    "vector_sum": "bytea",
    "count": "integer",
    "negative": "integer",
    "reach": "bigint",
    "first_seen": "bigint",
    "last_seen": "bigint",
    "vector_kind": "text",
    "rep_source": "text",
    "rep_external_id": "text",
    "rep_vector": "bytea",
}


def _save_rows_pg(conn: sa.Connection, members: list[tuple], buckets: dict) -> None:
    """Members and bucket totals, each in one statement of array parameters."""
    _pg_run(
        conn,
        "INSERT INTO narrative_members (source, external_id, narrative_id, text_key, created_at) "
        "SELECT * FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::text[], %s::bigint[])",
        tuple(list(column) for column in zip(*members)),
    )
    keys = sorted(buckets)
    _pg_run(
        conn,
        "INSERT INTO narrative_buckets (narrative_id, bucket, count, negative, reach) "
        "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::integer[], %s::integer[], %s::bigint[]) "
        "ON CONFLICT (narrative_id, bucket) DO UPDATE SET count = narrative_buckets.count + excluded.count, "
        "negative = narrative_buckets.negative + excluded.negative, reach = narrative_buckets.reach + excluded.reach",
        (
            [k[0] for k in keys],
            [k[1] for k in keys],
            [buckets[k][0] for k in keys],
            [buckets[k][1] for k in keys],
            [buckets[k][2] for k in keys],
        ),
    )


def _prune(conn: sa.Connection, now: float) -> None:
    n, nm, nb = narratives.c, narrative_members.c, narrative_buckets.c
    old = int(now - RETAIN_S)
    gone = sa.select(n.id).where(
        sa.or_(n.last_seen < old, sa.and_(n.count < 2, n.last_seen < int(now - SMALL_AFTER_S)))
    )
    conn.execute(narrative_members.delete().where(sa.or_(nm.created_at < old, nm.narrative_id.in_(gone))))
    conn.execute(narrative_buckets.delete().where(sa.or_(nb.bucket < old - BUCKET_S, nb.narrative_id.in_(gone))))
    conn.execute(narratives.delete().where(n.id.in_(gone)))
    conn.execute(narrative_state.update().where(narrative_state.c.id == 1).values(pruned_at=int(now)))


# --- reading ---------------------------------------------------------------


def growth_label(last_hour: int, hour_before: int, first_seen: int, now: float) -> str:
    if first_seen >= now - 3600:
        return "new this hour"
    if hour_before == 0:
        return f"+{last_hour} (none the hour before)" if last_hour else "quiet"
    return f"{last_hour / hour_before:.1f}x the hour before"


def top_narratives(
    db: sa.Engine, now: float, limit: int = 5, window_s: int = WINDOW_S, min_count: int = 2
) -> list[dict]:
    """The biggest stories of the last `window_s` by posts, each with its
    representative (an outside post's text), counts, negative share, reach,
    first seen and growth (posts in the last hour vs the hour before, to 10 minutes)."""
    nb, n, m = narrative_buckets.c, narratives.c, messages.c
    now_i = int(now)
    hour = now_i - now_i % BUCKET_S - 3600 + BUCKET_S
    since = now_i - window_s
    agg = (
        sa.select(
            nb.narrative_id,
            sa.func.sum(nb.count).label("count"),
            sa.func.sum(nb.negative).label("negative"),
            sa.func.sum(nb.reach).label("reach"),
            sa.func.sum(sa.case((nb.bucket >= hour, nb.count), else_=0)).label("last_hour"),
            sa.func.sum(sa.case((sa.and_(nb.bucket >= hour - 3600, nb.bucket < hour), nb.count), else_=0)).label(
                "hour_before"
            ),
        )
        .where(nb.bucket >= since - since % BUCKET_S, nb.bucket <= now_i)
        .group_by(nb.narrative_id)
        .having(sa.func.sum(nb.count) >= min_count)
        .subquery()
    )
    stmt = (
        sa.select(agg, n.first_seen, n.rep_source, m.author, m.text)
        .join(narratives, n.id == agg.c.narrative_id)
        .join(messages, sa.and_(m.source == n.rep_source, m.external_id == n.rep_external_id))
        .where(n.rep_source.not_in(internal_sources()))
        .order_by(agg.c.count.desc(), agg.c.reach.desc())
        .limit(limit)
    )
    with db.connect() as conn:
        rows = conn.execute(stmt).all()
    return [
        {
            "text": " ".join(r.text.split())[:280],
            "source": r.rep_source,
            "author": r.author,
            "posts": int(r._mapping["count"]),  # r.count is the row's tuple method
            "negative_share": round(int(r.negative) / int(r._mapping["count"]), 3),
            "reach": int(r.reach),
            "first_seen": int(r.first_seen),
            "last_hour": int(r.last_hour),
            "hour_before": int(r.hour_before),
            "growth": growth_label(int(r.last_hour), int(r.hour_before), int(r.first_seen), now),
        }
        for r in rows
    ]
