"""Ingest rate: poll -> score -> store (messages, rollups, cursor), as the runner does it.

    python -m bench.ingest [--messages 100000] [--batch 500] [--engine vader] [--database-url URL]

A synthetic source hands the runner `--batch` new messages per poll; each
poll is scored with the engine and stored in one transaction through
Runner.poll, the product's own path. Prints one line:

    engine=NAME store=KIND messages=N msgs_per_s=X batch=B
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone

import numpy as np

from bench.stores import fresh_store
from model.message import Message
from monitors.base import PollResult
from sentiment.engine import Engine
from worker.runner import Runner

WORDS = "tidewell camera cloud clips leak support refund great awful love hate never again today".split()


class SyntheticSource:
    name = "synthetic"
    interval_s = 0.0

    def __init__(self, total: int, batch: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.words = rng.integers(0, len(WORDS), size=(total, 12))
        self.total, self.batch = total, batch

    def poll(self, cursor):
        start = int(cursor or 0)
        stop = min(self.total, start + self.batch)
        base = 1_800_000_000
        msgs = [
            Message(
                "x",
                str(i),
                datetime.fromtimestamp(base + i // 10, tz=timezone.utc),
                " ".join(WORDS[w] for w in self.words[i]),
                author=f"@u{i % 997}",
                reach=i % 5000,
            )
            for i in range(start, stop)
        ]
        return PollResult(msgs, str(stop))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--engine", choices=["vader", "minilm"], default="vader")
    parser.add_argument("--database-url", help="a PostgreSQL database the benchmark may empty")
    args = parser.parse_args(argv)
    engine: Engine
    if args.engine == "vader":
        from sentiment.lexicon import VaderEngine

        engine = VaderEngine()
    else:
        from sentiment.minilm import MiniLMHeadEngine

        engine = MiniLMHeadEngine()
    with fresh_store(args.database_url) as (db, kind):
        source = SyntheticSource(args.messages, args.batch)
        runner = Runner(db, [source], engine, batch_size=args.batch)
        started = time.perf_counter()
        stored = 0
        while stored < args.messages:
            stored += runner.poll(source).stored
        elapsed = time.perf_counter() - started
    print(
        f"engine={engine.name} store={kind} messages={args.messages} msgs_per_s={args.messages / elapsed:.0f} "
        f"batch={args.batch}",
        flush=True,
    )


if __name__ == "__main__":
    main()
