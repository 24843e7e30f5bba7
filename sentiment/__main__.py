"""Sentiment administration.

python -m sentiment rescore [--unscored] [--language] [--days N]
                                      score stored messages again with the configured engine
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from sentiment.loader import load_engine
from sentiment.rescore import rescore
from settings import ConfigError, load_settings, redact
from store.connection import connect, database_url
from store.migrate import upgrade


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sentiment", description="Crisis Desk sentiment administration")
    sub = parser.add_subparsers(dest="command", required=True)
    command = sub.add_parser("rescore", help="score stored messages again (after switching engines)")
    command.add_argument("--unscored", action="store_true", help="only messages stored unscored")
    command.add_argument("--language", action="store_true", help='only messages stored "unscored: language"')
    command.add_argument("--days", type=float, default=None, help="only messages of the last N days")
    command.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args(argv)
    redact.log_to_stderr(logging.WARNING, "%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2

    db = connect(database_url(settings))
    upgrade(db)
    choice = load_engine(settings)
    print(f"engine: {choice.description} ({choice.engine.name} {choice.engine.version})", flush=True)
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-9)
        print(f"rescored {done:,} of {total:,} ({done / max(total, 1):.0%}, {rate:,.0f} msgs/s)", flush=True)

    since = int(time.time() - args.days * 86400) if args.days is not None else None
    done = rescore(
        db,
        choice.engine,
        only_unscored=args.unscored,
        only_language=args.language,
        since=since,
        batch_size=args.batch_size,
        progress=progress,
    )
    print(f"done: {done:,} messages rescored in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
