"""Does a hung source hold anything up? And does clearing Streamlit's cache start runners?

    python -m bench.isolation [--seconds S] [--clears N]

1. A threaded runner on a temporary SQLite store with two sources: one whose
   server accepts the connection and never answers (its client has no useful
   timeout), one healthy source polled every second. Prints

       case=hung_source seconds=S interval_s=1 deadline_s=2 steady_polls=N steady_max_gap_s=X
       detect_runs=N detect_max_gap_s=X hung_failures=N hung_threads=N

   steady_max_gap_s: the longest time between two polls of the healthy source
   (one interval when nothing holds it up).
2. The app in drill mode with the in-app runner, under Streamlit's AppTest:
   Streamlit's resource cache cleared N times (what any visitor can ask for).

       case=cache_clears clears=N runner_threads=N rss_growth_mb=X
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def hung_source(seconds: float) -> str:
    from monitors.feeds import FeedMonitor
    from sentiment.lexicon import VaderEngine
    from store.connection import connect
    from store.migrate import upgrade
    from tests.test_isolation import Detector, SilentServer, Steady  # the test's fakes, measured longer
    from worker.runner import Runner

    server = SilentServer()
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(f"sqlite:///{tmp}/bench.sqlite3")
        upgrade(db)
        steady, detector = Steady(interval_s=1.0), Detector()
        hung = FeedMonitor("hung", server.url, interval_s=1.0, timeout_s=3600)
        runner = Runner(
            db,
            [hung, steady],
            VaderEngine(),
            poll_deadline_s=2,
            lease_s=10,
            backoff_base_s=1,
            backoff_max_s=2,
            detector=detector,
        )
        thread, stop = runner.start_thread()
        time.sleep(seconds)
        stop.set()
        thread.join(10)
        failures = _failures(db)
        db.dispose()
    server.close()
    gaps = [b - a for a, b in zip(steady.polled_at, steady.polled_at[1:])]
    detect = [b - a for a, b in zip(detector.evaluated_at, detector.evaluated_at[1:])]
    return (
        f"case=hung_source seconds={seconds:g} interval_s=1 deadline_s=2 steady_polls={len(steady.polled_at)} "
        f"steady_max_gap_s={max(gaps):.2f} detect_runs={len(detector.evaluated_at)} "
        f"detect_max_gap_s={max(detect):.2f} hung_failures={failures} hung_threads={len(server.accepted)}"
    )


def _failures(db) -> int:
    import sqlalchemy as sa

    from store.schema import source_state

    with db.connect() as conn:
        return conn.execute(
            sa.select(source_state.c.consecutive_failures).where(source_state.c.name == "feed:hung")
        ).scalar_one()


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cache_clears(clears: int) -> str:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from worker import inapp
    from worker.runner import RUNNER_THREAD

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(
            f'[app]\nmode = "drill"\ndata_dir = "{tmp}/data"\n[runner]\nin_app = true\n[sentiment]\nengine = "vader"\n'
        )
        os.environ["CRISISDESK_CONFIG"] = str(config)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        before = _rss_mb()
        for _ in range(clears):
            st.cache_resource.clear()
            at.run()
        threads = sum(t.name == RUNNER_THREAD for t in threading.enumerate())
        growth = _rss_mb() - before
        inapp.stop_runner()
    return f"case=cache_clears clears={clears} runner_threads={threads} rss_growth_mb={growth:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.isolation", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clears", type=int, default=35)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print(hung_source(args.seconds), flush=True)
    print(cache_clears(args.clears), flush=True)


if __name__ == "__main__":
    main()
