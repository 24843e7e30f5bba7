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
import json
import multiprocessing
import os
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from bench.stores import fresh_store

T0 = 1_800_000_000.0
T = TypeVar("T")
Job = tuple[Callable[..., object], tuple[Any, ...]]  # (fn, args): run as fn(*args, start)
START_S = 120.0  # how long a process waits for the others to be ready (spawning is slow on a busy machine)


class _Counting:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, text: str, target: str) -> str:
        self.sent.append(text)
        return f"bench:{text}"


def _loop(url: str, owner: str, start) -> list[str]:
    from publishing.publisher import Publisher
    from store.connection import connect

    db = connect(url)
    channel = _Counting()
    publisher = Publisher(db, {"x": channel}, owner, clock=lambda: T0 + 1, batch=20)
    start.wait(START_S)
    while publisher.run_once():
        pass
    db.dispose()
    return channel.sent


def _holder(url: str, ids: list[int], start) -> list[int]:
    from access.roles import Actor
    from publishing.posts import act
    from store.connection import connect

    db = connect(url)
    start.wait(START_S)
    held = [pid for pid in ids if act(db, [pid], "hold", Actor("bench", "lead"), T0 + 1, "bench")]
    db.dispose()
    return held


def _child(fn, args: tuple, out: str, start) -> None:
    """One process's work; its result (or its traceback) is written to `out`, never lost in a pipe."""
    try:
        payload = {"result": fn(*args, start)}
    except BaseException:  # reported by the parent, with this traceback
        payload = {"error": traceback.format_exc()}
    Path(out + ".tmp").write_text(json.dumps(payload), encoding="utf-8")
    os.replace(out + ".tmp", out)


def run_processes(jobs: dict[str, Job], timeout_s: float = 300.0) -> dict[str, object]:
    """Run each job `name: (fn, args)` as `fn(*args, start)` in a spawned process of
    its own (`start`: a barrier they all pass together) and return each result
    by name. A process that fails, dies without a result or is still running
    after `timeout_s` stops the run with a RuntimeError that names it (and its
    traceback); the other processes are ended then, never left behind."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(jobs))
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        outs = {name: str(Path(tmp) / f"{i}.json") for i, name in enumerate(jobs)}
        procs = {
            name: context.Process(target=_child, args=(fn, args, outs[name], start), name=name, daemon=True)
            for name, (fn, args) in jobs.items()
        }
        deadline = time.monotonic() + timeout_s
        results: dict[str, object] = {}
        try:
            for proc in procs.values():
                proc.start()
            while len(results) < len(procs):
                for name, proc in procs.items():
                    if name in results or proc.is_alive():
                        continue
                    proc.join()
                    results[name] = _outcome(name, proc.exitcode, Path(outs[name]))
                if time.monotonic() > deadline:
                    late = [name for name in procs if name not in results]
                    raise RuntimeError(f"process(es) {', '.join(late)} did not finish within {timeout_s:g} s")
                time.sleep(0.05)
        finally:
            for proc in procs.values():
                if proc.is_alive():
                    proc.terminate()
                proc.join(10)
    return results


def _list_of(kind: type[T], value: object, name: str) -> list[T]:
    """A process's result (read back from JSON) as the list of `kind` its function returns."""
    items = [v for v in value if isinstance(v, kind)] if isinstance(value, list) else []
    if not isinstance(value, list) or len(items) != len(value):
        raise RuntimeError(f"process {name} returned {value!r:.200}, not a list of {kind.__name__}")
    return items


def _outcome(name: str, exitcode: int | None, out: Path):
    try:
        payload = json.loads(out.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuntimeError(f"process {name} ended (exit code {exitcode}) without a result") from None
    if "error" in payload:
        raise RuntimeError(f"process {name} failed:\n{payload['error']}")
    return payload["result"]


def run(database_url: str | None, loops: int, posts: int, timeout_s: float = 300.0) -> dict:
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
        jobs: dict[str, Job] = {"holder": (_holder, (url, ids[::10]))}
        jobs.update({f"bench-{i}": (_loop, (url, f"bench-{i}")) for i in range(loops)})
        began = time.perf_counter()
        results = run_processes(jobs, timeout_s)
        seconds = time.perf_counter() - began
        held = _list_of(int, results.pop("holder"), "holder")
        sent = Counter(text for name, texts in results.items() for text in _list_of(str, texts, name))
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
