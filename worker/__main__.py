"""Run the worker as its own process: `python -m worker`.

Polls the sources configured in config.toml until SIGINT or SIGTERM. Any
number of workers (and app servers with the in-app runner) can share one
store: leases in the store give each source to one runner at a time.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from settings import ConfigError, load_settings, redact
from store.connection import database_url
from store.health import open_when_ready
from worker.service import build_runner, open_store, restart_drill


def _say(line: str) -> None:
    print(f"crisisdesk worker: {line}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="poll every due source once, then exit")
    parser.add_argument(
        "--restart-drill", action="store_true", help="start the drill scenario from the beginning (drill mode only)"
    )
    parser.add_argument(
        "--at",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="with --restart-drill: begin SECONDS into the scenario (e.g. 1500 to start 25 minutes in)",
    )
    args = parser.parse_args(argv)
    redact.log_to_stderr(logging.INFO)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    # --- store availability (H7, issue 20): wait for the store instead of a traceback ---
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        db = open_when_ready(lambda: open_store(settings), database_url(settings), say=_say, stop=stop)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if db is None:
        return 0  # stopped while waiting for the store
    # --- end store availability ---
    if args.restart_drill:
        if not settings.is_drill:
            print('--restart-drill needs [app] mode = "drill" in config.toml', file=sys.stderr)
            return 2
        restart_drill(db, settings, args.at)
    runner = build_runner(settings, db)
    if args.once:
        for outcome in runner.run_pending():
            print(
                f"source={outcome.source} status={outcome.status} fetched={outcome.fetched} stored={outcome.stored}"
                + (f" error={outcome.error!r}" if outcome.error else "")
            )
        return 0
    runner.run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
