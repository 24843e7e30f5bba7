"""The synthetic history the scale benchmarks (bench.pages, bench.detection_scale)
read: a fresh store per size, filled through the product's own ingest
(messages + minute rollups) with N messages over 30 days that end at the
current minute, from a fixed seed.

    for db, kind, n, fill_s in filled_stores(args.sizes, args.database_url): ...
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import numpy as np

from bench.stores import fresh_store
from model.message import Message
from model.score import Score
from store.connection import write
from store.ingest import store_messages

END = int(time.time()) // 60 * 60
DAYS = 30
SOURCES = np.array(["x", "mastodon", "news", "slack"])
LABELS = ("negative", "neutral", "positive")
WORDS = "tidewell camera cloud clips leak support refund app doorbell great awful love hate update".split()


def fill(db, n: int, batch: int = 20_000, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    times = np.sort(rng.integers(END - DAYS * 86400, END, size=n))
    sources = rng.choice(SOURCES, size=n, p=[0.7, 0.1, 0.02, 0.18])
    labels = rng.choice(3, size=n, p=[0.25, 0.45, 0.30])
    reach = np.exp(rng.normal(5.5, 1.6, size=n)).astype(np.int64)
    words = rng.integers(0, len(WORDS), size=(n, 8))
    for start in range(0, n, batch):
        stop = min(n, start + batch)
        msgs, scores = [], []
        for i in range(start, stop):
            msgs.append(
                Message(
                    source=str(sources[i]),
                    external_id=str(i),
                    created_at=datetime.fromtimestamp(int(times[i]), tz=timezone.utc),
                    text=" ".join(WORDS[w] for w in words[i]),
                    author=f"@user{i % 5000}",
                    reach=int(reach[i]),
                )
            )
            label = LABELS[labels[i]]
            scores.append(Score(label, {-1: -0.6, 0: 0.0, 1: 0.6}[labels[i] - 1]))
        with write(db) as conn:
            store_messages(conn, msgs, scores, ("bench", "1"), END)


def add_store_arguments(parser, sizes: list[int]) -> None:
    """--sizes (messages per store) and --database-url, as every scale benchmark takes them."""
    parser.add_argument("--sizes", nargs="*", type=int, default=sizes)
    parser.add_argument("--database-url", help="a PostgreSQL database the benchmark may empty")


def filled_stores(sizes: list[int], database_url: str | None):
    """For each size, a fresh store (SQLite, or the PostgreSQL database given)
    filled with that many messages: yields (db, store kind, n, seconds the fill took)."""
    for n in sizes:
        with fresh_store(database_url) as (db, kind):
            started = time.perf_counter()
            fill(db, n)
            yield db, kind, n, time.perf_counter() - started
