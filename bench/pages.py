"""What one wall refresh and one overview render cost as history grows.

    python -m bench.pages [--sizes 10000 100000 1000000] [--runs 30]

For each size, a fresh store (SQLite in WAL mode as the product runs it, or
the PostgreSQL database given by --database-url, which it empties) is filled
with that many synthetic messages over 30 days through the product's own
ingest (messages + minute rollups; bench/filler.py). Then the reads of one
wall refresh (crisis.snapshot.wall_snapshot) and of one overview render
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

from bench.filler import END, add_store_arguments, filled_stores
from crisis.brief import build_brief
from crisis.snapshot import wall_snapshot


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
    add_store_arguments(parser, [10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    for db, kind, n, fill_s in filled_stores(args.sizes, args.database_url):
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
