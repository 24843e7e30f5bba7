"""At most once under contention: N publisher loops, each its own process
with its own connections (as N workers would be), race for the same due
posts while a person holds some of them; every send is counted.

    python -m bench.publish                       # SQLite
    python -m bench.publish --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Prints one line per store: store= loops= posts= sent= duplicates= held=
held_sent= seconds= (duplicates and held_sent must be 0).
"""

from __future__ import annotations

import argparse
import multiprocessing
import threading
import time
from collections import Counter

import sqlalchemy as sa

from bench.stores import fresh_store

T0 = 1_800_000_000.0


class _Counting:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, text: str, target: str) -> str:
        self.sent.append(text)
        return f"bench:{text}"


def _loop(args: tuple[str, str, threading.Barrier]) -> list[str]:
    url, owner, start = args
    from publishing.publisher import Publisher
    from store.connection import connect

    db = connect(url)
    channel = _Counting()
    publisher = Publisher(db, {"x": channel}, owner, clock=lambda: T0 + 1, batch=20)
    start.wait()
    while publisher.run_once():
        pass
    db.dispose()
    return channel.sent


def _holder(args: tuple[str, list[int], threading.Barrier]) -> list[int]:
    url, ids, start = args
    from access.roles import Actor
    from publishing.posts import act
    from store.connection import connect

    db = connect(url)
    start.wait()
    held = [pid for pid in ids if act(db, [pid], "hold", Actor("bench", "lead"), T0 + 1, "bench")]
    db.dispose()
    return held


def run(database_url: str | None, loops: int, posts: int) -> dict:
    from store.schema import scheduled_posts as sp

    with fresh_store(database_url) as (db, store):
        rows = [
            {
                "origin": "manual",
                "channel": "x",
                "text": f"post {i}",
                "scheduled_at": int(T0),
                "author": "bench",
                "status": "scheduled",
                "created_at": T0,
                "updated_at": T0,
            }
            for i in range(posts)
        ]
        with db.begin() as conn:
            conn.execute(sp.insert(), rows)
            ids = conn.execute(sa.select(sp.c.id).order_by(sp.c.id)).scalars().all()
        url = db.url.render_as_string(hide_password=False)
        context = multiprocessing.get_context("spawn")
        with context.Manager() as manager:
            start = manager.Barrier(loops + 1)
            with context.Pool(loops + 1) as pool:
                began = time.perf_counter()
                held_async = pool.map_async(_holder, [(url, ids[::10], start)])
                sent_lists = pool.map(_loop, [(url, f"bench-{i}", start) for i in range(loops)])
                [held] = held_async.get()
                seconds = time.perf_counter() - began
        sent = Counter(text for sent in sent_lists for text in sent)
        held_texts = {f"post {ids.index(pid)}" for pid in held}
        with db.connect() as conn:
            published = conn.execute(sa.select(sa.func.count()).where(sp.c.status == "published")).scalar()
    return {
        "store": store,
        "loops": loops,
        "posts": posts,
        "sent": sum(sent.values()),
        "duplicates": sum(n - 1 for n in sent.values()),
        "held": len(held),
        "held_sent": len(held_texts & set(sent)),
        "published_rows": published,
        "seconds": round(seconds, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.publish", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL database the benchmark may empty (default: SQLite)")
    parser.add_argument("--loops", type=int, default=4)
    parser.add_argument("--posts", type=int, default=2000)
    args = parser.parse_args(argv)
    result = run(args.database_url, args.loops, args.posts)
    print(" ".join(f"{key}={value}" for key, value in result.items()), flush=True)


if __name__ == "__main__":
    main()
