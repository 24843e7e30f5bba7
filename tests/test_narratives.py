"""Narratives: posts clustered into stories, each with a real outside post."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
import sqlalchemy as sa

from crisis import narrative_store as ns
from crisis import narratives as nar
from model.score import Score
from monitors.base import PollResult
from store.connection import write
from store.ingest import store_messages
from store.schema import narrative_members, narratives
from tests.conftest import ROOT, message

T = 1_800_000_000


def post(i, text, *, at=T, negative=True, reach=100, source="x"):
    return nar.Post(source, f"{source}-{i}", text, at, negative, reach)


def stored(db, posts):
    """The posts as messages (the representative's text is read from the messages table)."""
    with write(db) as conn:
        store_messages(
            conn,
            [message(p.external_id, p.text, source=p.source, at=p.created_at, reach=p.reach) for p in posts],
            [Score("negative" if p.negative else "neutral", -0.5 if p.negative else 0.0) for p in posts],
            ("test", "1"),
            T,
        )
    return posts


# --- reposts and near-duplicates -------------------------------------------------


def test_reposts_links_handles_case_and_punctuation_share_one_key():
    original = "Tidewell left camera clips on an open server! #TidewellLeak"
    same = [
        "RT @mira_secures: Tidewell left camera clips on an open server! #TidewellLeak",
        "rt @a: RT @b: tidewell LEFT camera clips on an open server #tidewellleak https://t.co/x1",
        "@TidewellHome Tidewell left camera clips... on an open server!!! #TidewellLeak https://ex.example/a?b",
    ]
    assert {nar.text_key(t) for t in same} == {nar.text_key(original)}
    assert nar.text_key("Tidewell left doorbell clips on an open server") != nar.text_key(original)
    assert nar.is_repost(same[0]) and not nar.is_repost(original)


# --- counts, negative share, reach, first seen, growth (hashed vectors, no model) ---


def test_counts_negative_share_reach_first_seen_and_growth(db):
    now = T + 7200
    story = "Tidewell support line hangs up on every caller about the outage"
    before = [post(i, f"{story} {tag}", at=now - 5400 + i, reach=10) for i, tag in enumerate(["!", "?!", "."])]
    recent = [post(10 + i, f"RT @x{i}: {story}", at=now - 1800 + i, negative=i % 2 == 0, reach=1000) for i in range(6)]
    other = [
        post(20 + i, "Loving the new Tidewell doorbell chime sounds", at=now - 600, negative=False) for i in range(2)
    ]
    stored(db, before + recent + other)
    assert ns.absorb(db, before, None, "hashed", now - 5000) == 3
    assert ns.absorb(db, recent + other, None, "hashed", now) == 8

    top = ns.top_narratives(db, now)
    assert [s["posts"] for s in top] == [9, 2]  # sorted by posts
    first = top[0]
    assert first["text"] in {p.text for p in before}  # an original, not a repost, represents it
    assert first["negative_share"] == pytest.approx(6 / 9, abs=1e-3)  # 3 + 3 of the 6 reposts
    assert first["reach"] == 3 * 10 + 6 * 1000
    assert first["first_seen"] == now - 5400
    assert (first["last_hour"], first["hour_before"]) == (6, 3)
    assert first["growth"] == "2.0x the hour before"
    assert top[1]["growth"] == "new this hour" and top[1]["negative_share"] == 0.0


def test_absorbing_the_same_posts_again_changes_nothing(db):
    posts = stored(db, [post(i, "Tidewell app login is broken again") for i in range(4)])
    assert ns.absorb(db, posts, None, "hashed", T) == 4
    assert ns.absorb(db, posts, None, "hashed", T + 60) == 0
    assert [s["posts"] for s in ns.top_narratives(db, T + 60)] == [4]


def test_odd_ids_and_texts_survive_the_batched_writes_and_a_second_poll_updates_in_place(db):
    """PostgreSQL sends a batch as array literals: quotes, backslashes, commas and braces
    in ids must arrive as they are, and the same story must be updated, not duplicated."""
    odd = ['a"b', "c\\d", "e,f", "{g}", "h i", "NULL"]
    first = stored(db, [post(x, f'Tidewell "vault" app {{down}} \\ again, {k}') for k, x in enumerate(odd)])
    assert ns.absorb(db, first, None, "hashed", T) == len(odd)
    with db.connect() as conn:
        ids = {r.external_id for r in conn.execute(sa.select(narrative_members.c.external_id))}
    assert ids == {f"x-{x}" for x in odd}
    again = stored(
        db, [post(f"{x}-2", f'Tidewell "vault" app {{down}} \\ again, {k}', at=T + 30) for k, x in enumerate(odd)]
    )
    assert ns.absorb(db, again, None, "hashed", T + 60) == len(odd)
    top = ns.top_narratives(db, T + 60)
    with db.connect() as conn:
        stories = conn.execute(sa.select(narratives.c.id, narratives.c.count)).all()
    assert sum(c for _, c in stories) == 2 * len(odd) == sum(s["posts"] for s in top)
    assert max(c for _, c in stories) >= 4  # joined the stories of the first poll


def test_a_story_from_before_the_window_is_not_listed_and_old_ones_are_pruned(db):
    posts = stored(db, [post(i, "Tidewell outage in Lisbon", at=T - 5 * 3600) for i in range(3)])
    ns.absorb(db, posts, None, "hashed", T - 5 * 3600)
    assert ns.top_narratives(db, T) == []  # last 3 hours only
    later = stored(db, [post(9, "Something else entirely about Tidewell pricing", at=T + 50 * 3600)])
    ns.absorb(db, later, None, "hashed", T + 50 * 3600)  # prunes what is older than 48 h
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(narratives)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(narrative_members)).scalar() == 1


# --- the runner's hook: outside posts only, the engine's own vectors --------------


class EmbeddingEngine:
    """Scores like a sentence-vector engine and remembers its vectors, as MiniLM does."""

    name, version, vector_kind = "fake-embed", "1", "fake-embed"

    def __init__(self):
        self.scored, self.asked = [], []

    def vector(self, text: str) -> np.ndarray:
        v = np.zeros(8, dtype=np.float32)
        v[0 if "leak" in text else 1] = 1.0
        return v

    def score(self, texts):
        self.scored += list(texts)
        return [Score("negative", -0.8) for _ in texts]

    def embeddings_for(self, texts):
        self.asked += list(texts)
        return np.stack([self.vector(t) for t in texts])


class ListMonitor:
    name, interval_s = "x", 60.0

    def __init__(self, batch):
        self.batch = batch

    def poll(self, cursor):
        return PollResult(self.batch, json.dumps({"done": True}))


def test_the_runner_clusters_outside_posts_with_the_engines_vectors_and_never_quotes_staff(db):
    from worker.runner import Runner

    batch = [
        message("1", "Tidewell leak: clips exposed", at=T, reach=500),
        message("2", "RT @a: Tidewell leak: clips exposed", at=T + 1, reach=50),
        message("3", "Staff: the leak is worse than they say", source="slack", at=T + 2),
        message("4", "Staff: the leak is worse than they say", source="slack", at=T + 3),
        message("5", "doorbell chime fixed", at=T + 4),
    ]
    engine = EmbeddingEngine()
    runner = Runner(db, [ListMonitor(batch)], engine, clock=lambda: T + 60)
    assert runner.run_pending()[0].stored == 5
    assert sorted(engine.asked) == sorted(m.text for m in batch if m.source != "slack")
    top = ns.top_narratives(db, T + 60, min_count=1)
    assert [(s["text"], s["posts"], s["reach"]) for s in top] == [
        ("Tidewell leak: clips exposed", 2, 550),
        ("doorbell chime fixed", 1, 0),
    ]
    assert all("Staff" not in s["text"] for s in top)


def test_a_narrative_failure_never_stops_ingestion(db, caplog):
    class Broken(EmbeddingEngine):
        def embeddings_for(self, texts):
            raise RuntimeError("no vectors today")

    from worker.runner import Runner

    runner = Runner(db, [ListMonitor([message("1", "hello")])], Broken(), clock=lambda: T)
    assert runner.run_pending()[0].status == "ok"
    assert "updating narratives failed" in caplog.text


# --- PostgreSQL: two workers updating at once --------------------------------------


def test_two_workers_updating_at_once_lose_nothing(db):
    a = stored(db, [post(i, f"Tidewell leak story number {i % 3}", at=T + i) for i in range(120)])
    b = stored(db, [post(i, f"Tidewell leak story number {i % 3}", at=T + i, source="mastodon") for i in range(120)])
    errors = []

    def run(posts):
        try:
            for start in range(0, len(posts), 20):
                ns.absorb(db, posts[start : start + 20], None, "hashed", T + 200)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with db.connect() as conn:
        total = conn.execute(sa.select(sa.func.sum(narratives.c.count))).scalar()
        members = conn.execute(sa.select(sa.func.count()).select_from(narrative_members)).scalar()
    assert total == members == 240


# --- bounded cost ----------------------------------------------------------------


def test_a_poll_of_1000_posts_stays_cheap_beside_400_active_stories(tmp_path):
    """The budget is 100 ms of CPU (bench.narratives reports the figure); this bound
    leaves room for a busy shared machine and still catches cost that grows with
    history or quadratically with the batch (seconds, not tens of milliseconds)."""
    from bench.narratives import fill, synthetic_poll
    from store.connection import connect
    from store.migrate import upgrade

    db = connect(f"sqlite:///{tmp_path / 's.sqlite3'}")
    upgrade(db)
    rng = np.random.default_rng(7)
    centres = fill(db, rng, stories=400, now=T)
    posts, vectors = synthetic_poll(rng, centres, 1000, T + 60, "poll")
    started = time.process_time()
    assert ns.absorb(db, posts, vectors, "minilm-l6", T + 60) == 1000
    assert time.process_time() - started < 0.3
    with db.connect() as conn:  # candidates are capped, however many stories are stored
        assert conn.execute(sa.select(sa.func.count()).select_from(narratives)).scalar() > ns.MAX_ACTIVE


# --- sentence embeddings: paraphrases, reposts, two stories, the drill ----------------


@pytest.fixture(scope="module")
def encoder():
    from sentiment.minilm import MiniLMEncoder

    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HUB_OFFLINE", "1")
    yield MiniLMEncoder()
    mp.undo()


LEAK = [
    "Tidewell left thousands of customers' camera videos on an unprotected server",
    "So Tidewell's home camera recordings were sitting in a public cloud bucket? Wow",
    "My Tidewell indoor cam clips are publicly viewable online. Unreal.",
    "RT @mira_secures: Tidewell left thousands of customers' camera videos on an unprotected server",
    "tidewell LEFT thousands of customers camera videos on an unprotected server https://t.co/abc",
]
SUPPORT = [
    "Waited two hours on the Tidewell support hotline and nobody picked up",
    "Tidewell customer service will not answer the phone, on hold forever",
    "Called Tidewell support three times today, still no human on the line",
]
CALM = [
    "Unboxing my new Tidewell doorbell tonight",
    "The Tidewell floodlight caught a fox in the garden, cute",
    "Tidewell firmware update went fine overnight",
    "Is the Tidewell Cam 2 worth it? Thinking about buying one",
]


@pytest.fixture
def sqlite_db(tmp_path):
    from store.connection import connect
    from store.migrate import upgrade

    db = connect(f"sqlite:///{tmp_path / 'narratives.sqlite3'}")
    upgrade(db)
    yield db
    db.dispose()


def test_paraphrases_and_reposts_group_and_two_stories_stay_apart(sqlite_db, encoder):
    db = sqlite_db
    from sentiment.preprocess import for_model

    texts = CALM + LEAK + SUPPORT
    vectors = encoder.embed([for_model(t) for t in texts])
    posts = stored(db, [post(i, t, at=T + i) for i, t in enumerate(texts)])
    ns.absorb(db, posts[: len(CALM)], vectors[: len(CALM)], "minilm-l6", T)
    ns.absorb(db, posts[len(CALM) :], vectors[len(CALM) :], "minilm-l6", T + 60)
    with db.connect() as conn:
        story_of = dict(
            conn.execute(sa.select(narrative_members.c.external_id, narrative_members.c.narrative_id)).all()
        )
    leak = {story_of[p.external_id] for p in posts if p.text in LEAK}
    support = {story_of[p.external_id] for p in posts if p.text in SUPPORT}
    assert len(leak) == 1 and len(support) == 1 and leak != support
    top = ns.top_narratives(db, T + 120)
    assert top[0]["posts"] == len(LEAK) and top[0]["text"] in LEAK and not top[0]["text"].startswith("RT")
    assert top[1]["posts"] == len(SUPPORT) and top[1]["text"] in SUPPORT


def test_the_drill_s_top_narrative_is_the_leak_with_a_real_post(sqlite_db, encoder):
    """The bundled drill, 25 minutes in, through 60 s polls with the default engine's
    (MiniLM) vectors. Slow-ish (about 10-20 s on 2 cores): it encodes the drill's
    distinct texts once, as the engine would while scoring."""
    from sentiment.preprocess import for_model

    db = sqlite_db
    lines = [json.loads(line) for line in (ROOT / "scenarios" / "tidewell-camera-leak.jsonl").open()][1:]
    lines = [x for x in lines if x.get("kind", "message") == "message" and x["offset"] <= 1500]
    outside = [x for x in lines if x["source"] != "slack"]
    distinct = sorted({x["text"] for x in outside})
    vector_of = dict(zip(distinct, encoder.embed([for_model(t) for t in distinct])))
    posts = stored(
        db,
        [
            post(i, x["text"], at=int(T + x["offset"]), reach=x["reach"], source=x["source"])
            for i, x in enumerate(outside)
        ],
    )
    by_minute: dict[int, list] = {}
    for p in posts:
        by_minute.setdefault(p.created_at // 60, []).append(p)
    for minute in sorted(by_minute):
        batch = by_minute[minute]
        ns.absorb(db, batch, np.stack([vector_of[p.text] for p in batch]), "minilm-l6", minute * 60 + 60)
    top = ns.top_narratives(db, T + 1500)
    assert top[0]["text"] in distinct  # a real post
    assert any(word in top[0]["text"].lower() for word in ("leak", "clips", "open server", "exposed", "bucket"))
    assert top[0]["negative_share"] > 0 and top[0]["growth"] == "new this hour"
    assert top[0]["posts"] > top[1]["posts"]
