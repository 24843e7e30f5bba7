"""What one wall refresh and one overview render cost as history grows.

    python -m bench.pages [--sizes 10000 100000 1000000] [--runs 30]

For each size, a fresh store (SQLite in WAL mode as the product runs it, or
the PostgreSQL database given by --database-url, which it empties) is filled
with that many synthetic messages over 30 days through the product's own
ingest (messages + minute rollups). Then the reads of one wall refresh
(crisis.snapshot.wall_snapshot) and of one overview render
(crisis.brief.build_brief) are timed, `--runs` times each. Then the Mentions
page itself is run (streamlit.testing AppTest, the whole script as the server
runs it on a click) and a cycle of clicks is timed: tick a row, untick it,
page 2, page 1, filter to negative, clear the filter. The messages end at the
current minute, so the page's "last 24 hours" holds a day of them. One line
per size is printed:

    store=sqlite|postgresql messages=N wall_ms_median=X overview_ms_median=X mentions_click_ms_median=X fill_s=X
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


def median_ms(fn, runs: int) -> float:
    fn()  # warm the caches as a running server has them
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def mentions_clicks(db, runs: int) -> float:
    """Median ms of one click on the Mentions page (a full script run) on this store."""
    import os
    import tempfile
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(
            f'[app]\nmode = "drill"\ndata_dir = "{tmp}"\n[runner]\nin_app = false\n[sentiment]\nengine = "vader"\n',
            encoding="utf-8",
        )
        saved = {k: os.environ.get(k) for k in ("CRISISDESK_CONFIG", "CRISISDESK_DATABASE_URL_DRILL")}
        os.environ["CRISISDESK_CONFIG"] = str(config)
        os.environ["CRISISDESK_DATABASE_URL_DRILL"] = db.url.render_as_string(hide_password=False)
        try:
            at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
            at.switch_page("pages/mentions.py").run()
            if at.exception:
                raise SystemExit(f"the Mentions page failed: {at.exception}")

            def tick(rows):
                def click():
                    at.session_state[f"m_table__{at.session_state['m_table__gen']}"] = {
                        "selection": {"rows": rows, "columns": [], "cells": []}
                    }

                return click

            clicks = [
                tick([0]),
                tick([]),
                lambda: at.number_input(key="m_page").set_value(2),
                lambda: at.number_input(key="m_page").set_value(1),
                lambda: at.multiselect(key="m_labels").set_value(["negative"]),
                lambda: at.multiselect(key="m_labels").set_value([]),
            ]
            times = []
            for i in range(max(runs, len(clicks))):
                clicks[i % len(clicks)]()
                started = time.perf_counter()
                at.run()
                times.append((time.perf_counter() - started) * 1000)
                if at.exception:
                    raise SystemExit(f"the Mentions page failed: {at.exception}")
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
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
            click = mentions_clicks(db, args.runs)
            print(
                f"store={kind} messages={n} wall_ms_median={wall:.1f} overview_ms_median={overview:.1f} "
                f"mentions_click_ms_median={click:.1f} fill_s={fill_s:.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
