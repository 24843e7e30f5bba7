"""Store administration.

python -m store upgrade               bring the configured store to the newest schema
python -m store retention             drop raw message text older than [store] retain_text_days

Scoring stored messages again needs an engine: `python -m sentiment rescore`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from settings import ConfigError, load_settings, redact
from store.connection import connect, database_url
from store.migrate import current_revision, upgrade
from store.retention import drop_old_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m store", description="Crisis Desk store administration")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="bring the store to the newest schema")
    sub.add_parser("retention", help="drop raw message text older than [store] retain_text_days")
    args = parser.parse_args(argv)
    redact.log_to_stderr(logging.WARNING, "%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2

    db = connect(database_url(settings))
    upgrade(db)
    if args.command == "upgrade":
        print(f"store at revision {current_revision(db)}")
        return 0

    if not settings.store.retain_text_days:
        print("[store] retain_text_days is 0: text is kept forever; nothing to do")
        return 0
    removed = drop_old_text(db, settings.store.retain_text_days, time.time())
    print(f"removed the text of {removed:,} messages older than {settings.store.retain_text_days:g} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
