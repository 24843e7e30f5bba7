"""What updating narratives costs per poll, without the embedding itself.

    python -m bench.narratives [--polls 20] [--posts 1000] [--stories 400] [--database-url URL]
    python -m bench.narratives --drill [--at 1500] [--engine minilm-ft|minilm]

A fresh store (SQLite in WAL mode, or the PostgreSQL database given by
--database-url, which it empties) gets `--stories` active narratives, then
`--polls` polls of `--posts` new posts each go through
crisis.narrative_store.absorb: the posts of a poll are drawn from the known
stories, a few new ones, and reposts. Sentence vectors are synthetic unit
vectors of the MiniLM engine's size (384), made beforehand, because the
engine makes them while scoring anyway; the hashed fallback (VADER
deployments) is timed with its vectorising included. CPU time of this
process (time.process_time) per poll, one line per kind:

    store=sqlite kind=minilm-l6 posts_per_poll=1000 active_stories=400 cpu_ms_median=X cpu_ms_min=X
    cpu_ms_max=X wall_ms_median=X load_avg_1m=X   (one line)

--drill plays the bundled scenario's outside posts up to --at seconds after
its start through 60 s polls with the engine's narrative vectors (--engine:
minilm-ft, the default engine, with its topic vectors; or minilm, the
sentence embeddings; each distinct text scored and embedded once) and prints
the top three narratives:

    scenario=tidewell-camera-leak at_s=1500 rank=1 posts=N negative_share=X reach=N growth="..." text="..."
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

from bench.stores import fresh_store
from crisis import narrative_store as ns
from crisis import narratives as nar

T0 = 1_800_000_000
DIM = 384
WORDS = (
    "tidewell camera cloud clips leak support refund app doorbell server bucket exposed privacy update outage "
    "firmware battery night vision floodlight hotline regulator lawsuit statement apology families videos"
).split()


def story_text(rng: np.random.Generator, story: int) -> str:
    """A story's words, shuffled a little, with its number: paraphrase-like text for the hashed vectors."""
    words = [WORDS[(story * 7 + k) % len(WORDS)] for k in range(6)]
    rng.shuffle(words)
    return f"story {story} " + " ".join(words) + f" {rng.integers(1000)}"


def vector(rng: np.random.Generator, centre: np.ndarray) -> np.ndarray:
    v = centre + rng.normal(0, 0.6 / np.sqrt(DIM), DIM)
    return (v / np.linalg.norm(v)).astype(np.float32)


def synthetic_poll(rng, centres: np.ndarray, n: int, at: int, tag: str) -> tuple[list[nar.Post], np.ndarray]:
    """n posts: 85 % from known stories, 5 % reposts, 10 % new stories."""
    posts, vectors = [], []
    for i in range(n):
        roll = rng.random()
        if roll < 0.10:
            centre = rng.normal(0, 1, DIM)
            centre /= np.linalg.norm(centre)
            text = f"fresh {tag} {i} " + " ".join(rng.choice(WORDS, 5))
        else:
            s = int(rng.integers(len(centres)))
            centre = centres[s]
            text = story_text(rng, s)
            if roll < 0.15:
                text = f"RT @someone{i}: {text} https://t.co/{i}"
        posts.append(nar.Post("x", f"{tag}-{i}", text, at - int(rng.integers(60)), bool(rng.random() < 0.4), 100))
        vectors.append(vector(rng, centre))
    return posts, np.stack(vectors)


def fill(db, rng: np.random.Generator, stories: int, now: int) -> np.ndarray:
    """`stories` active narratives (five posts each); returns their centres."""
    centres = rng.normal(0, 1, (stories, DIM))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    posts, vectors = [], []
    for s in range(stories):
        for k in range(5):
            posts.append(nar.Post("x", f"seed-{s}-{k}", story_text(rng, s), now - 600 + k, False, 10))
            vectors.append(vector(rng, centres[s]))
    ns.absorb(db, posts, np.stack(vectors), "minilm-l6", now)
    return centres.astype(np.float32)


def run(db, kind: str, polls: int, n: int, stories: int, seed: int) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(seed)
    centres = fill(db, rng, stories, T0)
    if kind == "hashed":  # the hashed stories too, so both kinds see as many candidates
        seeds = [nar.Post("x", f"hseed-{s}", story_text(rng, s), T0 - 600, False, 10) for s in range(stories)]
        ns.absorb(db, seeds, None, "hashed", T0)
    cpu, wall = [], []
    for p in range(polls):
        at = T0 + 60 * (p + 1)
        posts, vectors = synthetic_poll(rng, centres, n, at, f"{kind}-{p}")
        c0, w0 = time.process_time(), time.perf_counter()
        ns.absorb(db, posts, vectors if kind != "hashed" else None, kind, at)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return cpu, wall


def drill_engine(name: str):
    if name == "minilm":
        from sentiment.minilm import MiniLMHeadEngine

        return MiniLMHeadEngine()
    import tempfile

    from sentiment.finetuned import FineTunedEngine

    return FineTunedEngine(cache_dir=Path(tempfile.mkdtemp(prefix="bench-narratives-")), runtime="torch")


def drill(at_s: float, engine_name: str = "minilm-ft", limit: int = 3) -> list[dict]:
    """The drill's top narratives `at_s` seconds in (also printed)."""
    import json

    path = Path(__file__).resolve().parent.parent / "scenarios" / "tidewell-camera-leak.jsonl"
    lines = [json.loads(line) for line in path.open(encoding="utf-8")][1:]
    lines = [x for x in lines if x.get("kind", "message") == "message" and x["offset"] <= at_s]
    outside = [x for x in lines if x["source"] != "slack"]
    engine = drill_engine(engine_name)
    distinct = sorted({x["text"] for x in outside})
    labels = dict(zip(distinct, (s.label for s in engine.score(distinct))))
    vector_of = dict(zip(distinct, engine.embeddings_for(distinct)))
    with fresh_store(None) as (db, _):
        from datetime import datetime, timezone

        from model.message import Message
        from model.score import Score
        from store.connection import write
        from store.ingest import store_messages

        batch = [
            Message(
                x["source"],
                f"drill:{i}",
                datetime.fromtimestamp(T0 + x["offset"], tz=timezone.utc),
                x["text"],
                reach=x["reach"],
            )
            for i, x in enumerate(outside)
        ]
        with write(db) as conn:
            store_messages(conn, batch, [Score(labels[m.text], 0.0) for m in batch], ("bench", "1"), T0 + at_s)
        by_minute: dict[int, list] = {}
        for m in batch:
            by_minute.setdefault(int(m.created_at.timestamp()) // 60, []).append(m)
        for minute in sorted(by_minute):
            ms = by_minute[minute]
            posts = [
                nar.Post(
                    m.source,
                    m.external_id,
                    m.text,
                    int(m.created_at.timestamp()),
                    labels[m.text] == "negative",
                    m.reach,
                )
                for m in ms
            ]
            ns.absorb(db, posts, np.stack([vector_of[m.text] for m in ms]), engine.vector_kind, minute * 60 + 60)
        top = ns.top_narratives(db, T0 + at_s, limit=limit)
        for rank, story in enumerate(top, 1):
            print(
                f"scenario=tidewell-camera-leak at_s={at_s:g} rank={rank} posts={story['posts']} "
                f"negative_share={story['negative_share']} reach={story['reach']} growth={json.dumps(story['growth'])} "
                f"text={json.dumps(story['text'])}",
                flush=True,
            )
    return top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--stories", type=int, default=400)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL database the benchmark EMPTIES")
    parser.add_argument("--drill", action="store_true", help="the bundled drill's top narratives instead")
    parser.add_argument("--at", type=float, default=1500.0, help="with --drill: seconds into the drill")
    parser.add_argument("--engine", choices=["minilm-ft", "minilm"], default="minilm-ft", help="with --drill")
    args = parser.parse_args()
    if args.drill:
        drill(args.at, args.engine)
        return
    for kind in ("minilm-l6", "hashed"):
        with fresh_store(args.database_url) as (db, store):
            cpu, wall = run(db, kind, args.polls, args.posts, args.stories, seed=1)
        print(
            f"store={store} kind={kind} posts_per_poll={args.posts} active_stories={args.stories} "
            f"cpu_ms_median={statistics.median(cpu):.1f} cpu_ms_min={min(cpu):.1f} cpu_ms_max={max(cpu):.1f} "
            f"wall_ms_median={statistics.median(wall):.1f} load_avg_1m={os.getloadavg()[0]:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
