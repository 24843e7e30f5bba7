"""What one wall refresh and one overview render cost as history grows.

    python -m bench.pages [--sizes 10000 100000 1000000] [--runs 30]

For each size, a fresh store (SQLite in WAL mode as the product runs it, or
the PostgreSQL database given by --database-url, which it empties) is filled
with that many synthetic messages over 30 days through the product's own
ingest (messages + minute rollups). Then the reads of one wall refresh
(crisis.snapshot.wall_snapshot) and of one overview render
(crisis.brief.build_brief) are timed, `--runs` times each, and one line per
size is printed:

    store=sqlite|postgresql messages=N wall_ms_median=X overview_ms_median=X fill_s=X
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timezone

import numpy as np

from bench.stores import fresh_store
from crisis.brief import build_brief
from crisis.snapshot import wall_snapshot
from monitors.base import Message
from sentiment.engine import Score
from store.connection import write
from store.ingest import store_messages

END = 1_800_000_000 - 1_800_000_000 % 60
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


def median_ms(fn, runs: int) -> float:
    fn()  # warm the caches as a running server has them
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", help="a PostgreSQL database the benchmark may empty")
    args = parser.parse_args(argv)
    for n in args.sizes:
        with fresh_store(args.database_url) as (db, kind):
            started = time.perf_counter()
            fill(db, n)
            fill_s = time.perf_counter() - started
            wall = median_ms(lambda: wall_snapshot(db, END, window_s=6 * 3600, top_n=8, latest_n=15), args.runs)
            overview = median_ms(lambda: build_brief(db, END, "UTC"), args.runs)
            print(
                f"store={kind} messages={n} wall_ms_median={wall:.1f} overview_ms_median={overview:.1f} "
                f"fill_s={fill_s:.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
