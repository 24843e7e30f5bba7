"""Store administration.

python -m store upgrade               bring the configured store to the newest schema
python -m store rescore [--unscored] [--language] [--days N]
                                      score stored messages again with the configured engine
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from settings import ConfigError, load_settings, redact


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m store", description="Crisis Desk store administration")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="bring the store to the newest schema")
    rescore = sub.add_parser("rescore", help="score stored messages again (after switching engines)")
    rescore.add_argument("--unscored", action="store_true", help="only messages stored unscored")
    rescore.add_argument("--language", action="store_true", help='only messages stored "unscored: language"')
    rescore.add_argument("--days", type=float, default=None, help="only messages of the last N days")
    rescore.add_argument("--batch-size", type=int, default=256)
    sub.add_parser("retention", help="drop raw message text older than [store] retain_text_days")
    args = parser.parse_args(argv)
    redact.log_to_stderr(logging.WARNING, "%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2

    from worker.service import open_store

    db = open_store(settings)  # upgrades
    if args.command == "upgrade":
        from store.migrate import current_revision

        print(f"store at revision {current_revision(db)}")
        return 0

    if args.command == "retention":
        from store.retention import drop_old_text

        if not settings.store.retain_text_days:
            print("[store] retain_text_days is 0: text is kept forever; nothing to do")
            return 0
        removed = drop_old_text(db, settings.store.retain_text_days, time.time())
        print(f"removed the text of {removed:,} messages older than {settings.store.retain_text_days:g} days")
        return 0

    from sentiment.loader import load_engine
    from store.rescore import rescore as run_rescore

    choice = load_engine(settings)
    print(f"engine: {choice.description} ({choice.engine.name} {choice.engine.version})", flush=True)
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-9)
        print(f"rescored {done:,} of {total:,} ({done / max(total, 1):.0%}, {rate:,.0f} msgs/s)", flush=True)

    since = int(time.time() - args.days * 86400) if args.days is not None else None
    done = run_rescore(
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
