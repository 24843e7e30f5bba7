"""Narratives: what people are saying, as stories, each with a real post.

Recent external posts are clustered by meaning, incrementally: each poll's new
posts join the nearest active story (cosine similarity of sentence vectors to
the story's centroid) or start one. The vectors are the MiniLM engine's own
sentence embeddings, made while it scored the posts (nothing is encoded
twice). Engines without embeddings (VADER, a configured transformer) fall
back to a cheap hashed TF-IDF vector of content words and word pairs, which
groups reposts and near-copies but fewer paraphrases.

Reposts and near-duplicates collapse first: posts whose text is the same once
an "RT @x:" prefix, links, @handles, case and punctuation are removed share a
key, and a key once seen belongs to its story.

The state lives in the store (narratives, narrative_members,
narrative_buckets), so every web replica and worker reads the same stories.
The runner that stored a poll's messages updates it (`observe`), inside one
transaction that first locks the narrative_state row: two workers polling
different sources take turns, and members keyed by message make a repeated
update change nothing. Internal (staff) messages are never clustered, so a
representative post is always an outside post.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zlib
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import sqlalchemy as sa
from scipy import sparse

from store.connection import write
from store.ingest import dialect_insert
from store.schema import (
    INTERNAL_SOURCES,
    messages,
    narrative_buckets,
    narrative_members,
    narrative_state,
    narratives,
)
from store.timeconv import to_epoch

log = logging.getLogger("crisisdesk.narratives")

# Cosine similarity to a story's centroid from which a post joins it, per vector kind (sentence
# vectors are compared with the running mean taken out, so the bar is lower than raw cosine).
THRESHOLDS = {"minilm-l6": 0.35, "hashed": 0.45}
ACTIVE_S = 6 * 3600  # stories seen within this long are candidates for new posts
MAX_ACTIVE = 400  # at most this many candidates (the most recent): bounds a poll's cost
BUCKET_S = 600
RETAIN_S = 48 * 3600  # stories, members and buckets older than this are dropped
SMALL_AFTER_S = 3 * 3600  # a one-post story not joined for this long is dropped
PRUNE_EVERY_S = 600
HASH_DIM = 2048
MEAN_WEIGHT = 5000.0  # the running mean of sentence vectors remembers about this many posts
WINDOW_S = 3 * 3600  # what the pages list: stories by posts in the last 3 hours

_RT = re.compile(r"^\s*(?:rt\b:?\s*(?:@[\w.@-]+:?)?\s*)+", re.IGNORECASE)
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@[\w.-]+(?:@[\w.-]+)?")
_LINK_OR_MENTION = re.compile(f"{_LINK.pattern}|{_MENTION.pattern}", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")
STOP_WORDS = frozenset(
    """a an the and or but if so of to in on at by for from with into onto about as is are was were be been being am
    do does did doing done have has had having i me my mine we us our you your he him his she her it its they them
    their this that these those there here what which who whom whose when where why how all any both each few more
    most other some such no nor not only own same than too very can will just should would could now then also
    again ever even still yet really get got gets make made go going gone say says said see know think like want
    one two new today tonight day time way thing things lot lots anyone someone everyone anything something guys
    rt http https www com amp im ive dont cant wont isnt arent didnt doesnt thats whats theres youre""".split()
)


def normalise(text: str) -> str:
    """The text a repost shares with its original: no RT prefix, links, handles, case or punctuation."""
    if text[:3].lstrip()[:2].lower() == "rt" or text[:1].isspace():
        text = _RT.sub("", text)
    text = _LINK_OR_MENTION.sub(" ", text)
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


def text_key(text: str) -> str:
    return hashlib.blake2b(normalise(text).encode(), digest_size=12).hexdigest()


def is_repost(text: str) -> bool:
    return bool(_RT.match(text)) and text.lstrip()[:2].lower() == "rt"


def _tokens(text: str) -> list[str]:
    words = [w for w in normalise(text).split() if len(w) > 2 and w not in STOP_WORDS and not w.isdigit()]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def hashed_counts(texts: Sequence[str]) -> np.ndarray:
    """Sublinear term counts of content words and word pairs, hashed (crc32, stable across processes)."""
    out = np.zeros((len(texts), HASH_DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        for token in _tokens(text):
            out[i, zlib.crc32(token.encode()) % HASH_DIM] += 1.0
    np.log1p(out, out=out)
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


@dataclass
class Post:
    source: str
    external_id: str
    text: str
    created_at: int
    negative: bool
    reach: int
    key: str = ""  # text_key(text), filled in by absorb when empty


@dataclass(eq=False)
class Story:
    """One narrative while it is updated: running vector sum and totals."""

    id: int | None
    vector_sum: np.ndarray
    rep: tuple[str, str] | None
    rep_vector: np.ndarray | None
    rep_is_repost: bool = False
    count: int = 0
    negative: int = 0
    reach: int = 0
    first_seen: int = 0
    last_seen: int = 0
    batch: list[Post] = field(default_factory=list)  # posts that joined in this batch
    rep_changed: bool = False

    @property
    def centroid(self) -> np.ndarray:
        return _unit(self.vector_sum)


def _segments(order: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Start positions of each run of equal labels in labels[order]."""
    sorted_labels = labels[order]
    return np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])


def _sums_by(labels: np.ndarray, n: int, rows: np.ndarray) -> np.ndarray:
    """Row sums per label (0..n-1), as one sparse product: no copies, no Python loop."""
    one_hot = sparse.csr_matrix(
        (np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))), shape=(n, len(labels))
    )
    return np.asarray(one_hot @ rows, dtype=np.float32)


def cluster(
    stories: list[Story], posts: list[Post], vectors: np.ndarray, threshold: float, by_key: dict
) -> list[Story]:
    """Put each post in a story: by its key first, else the most similar centroid at or
    above `threshold`, else a new story; then update the stories' totals and
    representatives, vectorised. Returns the stories touched or made (in `stories` too)."""
    group_index: dict[str, int] = {}
    group_of = np.fromiter(
        (group_index.setdefault(p.key, len(group_index)) for p in posts), dtype=np.int64, count=len(posts)
    )
    group_keys = list(group_index)
    group_sums = _sums_by(group_of, len(group_keys), vectors)
    target_of: list[Story | None] = [by_key.get(key) for key in group_keys]
    unmatched = [g for g, story in enumerate(target_of) if story is None]
    if unmatched:
        group_vectors = _unit(group_sums[unmatched])
        existing = list(stories)
        if existing:
            sims = group_vectors @ _unit(np.stack([s.vector_sum for s in existing])).T
            best_i = sims.argmax(axis=1)
            best_s = sims[np.arange(len(unmatched)), best_i].tolist()
            best_i = best_i.tolist()
        else:
            best_i, best_s = [0] * len(unmatched), [-1.0] * len(unmatched)
        made: list[Story] = []
        sums = np.zeros((16, vectors.shape[1]), dtype=np.float32)  # new stories' running sums, grown as needed
        centres = np.zeros_like(sums)
        for u, g in enumerate(unmatched):
            if best_s[u] >= threshold:
                target_of[g] = existing[best_i[u]]
                continue
            j = -1  # a new story, unless one made in this batch is near enough
            if made:
                new_sims = centres[: len(made)] @ group_vectors[u]
                j = int(new_sims.argmax())
                j = j if new_sims[j] >= threshold else -1
            if j < 0:
                if len(made) == len(sums):
                    sums, centres = np.vstack([sums, np.zeros_like(sums)]), np.vstack([centres, np.zeros_like(centres)])
                made.append(Story(None, np.zeros(vectors.shape[1], dtype=np.float32), None, None))
                stories.append(made[-1])
                j = len(made) - 1
            sums[j] += group_sums[g]
            centres[j] = _unit(sums[j])
            target_of[g] = made[j]
    for key, story in zip(group_keys, target_of):
        by_key[key] = story
    return _update(target_of, group_of, posts, vectors)


def _update(target_of: list[Story], group_of: np.ndarray, posts: list[Post], vectors: np.ndarray) -> list[Story]:
    touched: dict[int, int] = {}
    for story in target_of:
        touched.setdefault(id(story), len(touched))
    touched_list = [None] * len(touched)
    for story in target_of:
        touched_list[touched[id(story)]] = story
    story_of = np.array([touched[id(s)] for s in target_of], dtype=np.int64)[group_of]
    order = np.argsort(story_of, kind="stable")
    starts = _segments(order, story_of)
    which = story_of[order][starts].tolist()
    n = len(touched_list)
    sums = _sums_by(story_of, n, vectors)
    counts = np.bincount(story_of, minlength=n).tolist()
    negative = np.bincount(story_of, weights=[p.negative for p in posts], minlength=n).tolist()
    reach = np.bincount(story_of, weights=[float(p.reach) for p in posts], minlength=n).tolist()
    times = np.array([p.created_at for p in posts], dtype=np.int64)[order]
    firsts = np.minimum.reduceat(times, starts).tolist()
    lasts = np.maximum.reduceat(times, starts).tolist()
    for k, s in enumerate(which):
        story = touched_list[s]
        story.vector_sum = story.vector_sum + sums[s]
        story.first_seen = min(story.first_seen, firsts[k]) if story.first_seen else firsts[k]
        story.last_seen = max(story.last_seen, lasts[k])
        story.count += counts[s]
        story.negative += int(negative[s])
        story.reach += int(reach[s])
    story_list = story_of.tolist()
    for i, s in enumerate(story_list):
        touched_list[s].batch.append(posts[i])
    # Representatives: per story, the original (not a repost) nearest its centroid, if
    # nearer than the one it has.
    centres = _unit(np.stack([story.vector_sum for story in touched_list]))
    post_sims = np.einsum("ij,ij->i", vectors, centres[story_of])
    score = post_sims + 10.0 * np.array([not is_repost(p.text) for p in posts])
    by_score = np.lexsort((score, story_of))
    last = np.r_[np.flatnonzero(story_of[by_score][1:] != story_of[by_score][:-1]), len(posts) - 1]
    for i in by_score[last].tolist():
        story = touched_list[story_list[i]]
        if story.rep is not None and story.rep_vector is not None:
            kept = float(story.rep_vector @ centres[story_list[i]]) + (0.0 if story.rep_is_repost else 10.0)
            if kept >= score[i]:
                continue
        post = posts[i]
        story.rep, story.rep_vector, story.rep_is_repost = (post.source, post.external_id), vectors[i], score[i] < 5
        story.rep_changed = True
    return touched_list


# --- the store -------------------------------------------------------------


def vectors_for(engine, texts: Sequence[str]) -> tuple[np.ndarray | None, str]:
    """The engine's own sentence embeddings when it has them (unwrapping phrase rules), else None: hashed."""
    inner = getattr(engine, "inner", engine)
    if hasattr(inner, "embeddings_for") and getattr(inner, "vector_kind", None):
        return inner.embeddings_for(texts), inner.vector_kind
    return None, "hashed"


def observe(db: sa.Engine, batch, scores, engine, now: float) -> int:
    """The runner's hook, after a poll's messages are committed: cluster the new
    external ones. Never raises: narratives must not stop ingestion."""
    try:
        pairs = [(m, s) for m, s in zip(batch, scores) if m.source not in INTERNAL_SOURCES and m.text.strip()]
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


def _new_posts(conn: sa.Connection, posts: list[Post]) -> list[Post]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for p in posts:
        if (p.source, p.external_id) not in seen:
            seen.add((p.source, p.external_id))
            unique.append(p)
    known: set[tuple[str, str]] = set()
    by_source: dict[str, list[str]] = {}
    for p in unique:
        by_source.setdefault(p.source, []).append(p.external_id)
    nm = narrative_members.c
    for source, ids in by_source.items():
        for start in range(0, len(ids), 900):
            rows = conn.execute(
                sa.select(nm.external_id).where(nm.source == source, nm.external_id.in_(ids[start : start + 900]))
            )
            known.update((source, r.external_id) for r in rows)
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
    return _unit(counts * idf)


def _centred(conn: sa.Connection, state: sa.Row, vecs: np.ndarray) -> np.ndarray:
    """Sentence vectors minus the running mean of recent posts, re-normalised: what every
    post shares (the brand, its products) no longer makes two stories look alike."""
    dim = vecs.shape[1]
    mean = np.frombuffer(state.mean_vector, dtype=np.float32) if state.mean_vector else None
    weight = float(state.mean_weight) if mean is not None and mean.size == dim else 0.0
    before = mean if weight else vecs.mean(axis=0)  # what posts shared before this batch
    total = before * weight + vecs.sum(axis=0)
    weight += len(vecs)
    conn.execute(
        narrative_state.update()
        .where(narrative_state.c.id == 1)
        .values(mean_vector=(total / weight).astype(np.float32).tobytes(), mean_weight=min(weight, MEAN_WEIGHT))
    )
    return _unit(vecs - before)


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
            row.update(
                vector_kind=kind,
                rep_source=story.rep[0],
                rep_external_id=story.rep[1],
                rep_vector=story.rep_vector.astype(np.float32).tobytes(),
            )
        return row

    made = [s for s in touched if s.id is None]
    new = {id(s) for s in made}
    if made:
        ids = conn.execute(
            narratives.insert().returning(narratives.c.id, sort_by_parameter_order=True), [values(s) for s in made]
        ).scalars()
        for story, new_id in zip(made, ids):
            story.id = int(new_id)
    for with_rep in (True, False):  # the representative's columns only where it changed
        kept = [s for s in touched if id(s) not in new and s.rep_changed == with_rep]
        if not kept:
            continue
        rows = [values(s, with_rep) for s in kept]
        conn.execute(
            narratives.update()
            .where(narratives.c.id == sa.bindparam("story_id"))
            .values({c: sa.bindparam(f"new_{c}") for c in rows[0]}),
            [{"story_id": s.id, **{f"new_{c}": v for c, v in row.items()}} for s, row in zip(kept, rows)],
        )
    members, buckets = [], {}
    for story in touched:
        for post in story.batch:
            members.append((post.source, post.external_id, story.id, post.key, post.created_at))
            b = buckets.setdefault((story.id, post.created_at - post.created_at % BUCKET_S), [0, 0, 0])
            b[0] += 1
            b[1] += int(post.negative)
            b[2] += post.reach
    # A thousand plain rows: straight to the driver's executemany (SQLAlchemy's per-row work is most of the cost).
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
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
        .where(n.rep_source.not_in(INTERNAL_SOURCES))
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
            "posts": int(r.count),
            "negative_share": round(int(r.negative) / int(r.count), 3),
            "reach": int(r.reach),
            "first_seen": int(r.first_seen),
            "last_hour": int(r.last_hour),
            "hour_before": int(r.hour_before),
            "growth": growth_label(int(r.last_hour), int(r.hour_before), int(r.first_seen), now),
        }
        for r in rows
    ]


def one_line(story: dict, width: int = 90) -> str:
    """'"So Tidewell left millions of…" (177 posts, 92% negative)': for summaries and Slack."""
    text = story["text"] if len(story["text"]) <= width else story["text"][: width - 1].rstrip() + "…"
    return f'"{text}" ({story["posts"]} posts, {story["negative_share"]:.0%} negative)'
