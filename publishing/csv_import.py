"""Import scheduled posts from CSV, all or nothing.

Columns (header row required, any order):
  channel        x or slack
  text           the post
  scheduled_at   ISO 8601, e.g. 2026-11-24 09:30 or 2026-11-24T09:30:00+01:00
  timezone       IANA zone for times written without an offset (default: [app] timezone)
  target         the Slack channel (required for slack, empty for x)
  link           optional URL
  author         who wrote it (default: the importing person)
Every row is checked first; one bad row rejects the whole file, with each
problem named by line number, and nothing is imported.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from access.roles import Actor, Permission, require
from publishing.posts import NewPost, PostError, import_posts
from store.connection import write

REQUIRED = ("channel", "text", "scheduled_at")
KNOWN = (*REQUIRED, "timezone", "target", "link", "author")


class TooLarge(ValueError):
    """A file over the configured size or row cap; nothing is imported."""


class CsvImportError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def check_size(data: bytes | str, max_bytes: int | None, max_rows: int | None) -> None:
    """Refuse a file over `max_bytes` or with more than `max_rows` lines, before parsing it."""
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if max_bytes is not None and size > max_bytes:
        raise TooLarge(
            f"the file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:g} MB "
            "([publishing] import_max_mb in config.toml). Split it and import the parts."
        )
    if max_rows is not None:
        lines = (data if isinstance(data, bytes) else data.encode("utf-8")).count(b"\n")
        if lines > max_rows + 1:  # the header, and a row per line at least (quoted rows may span lines)
            rows = sum(1 for _ in csv.reader(io.StringIO(_text(data)))) - 1
            if rows > max_rows:
                raise TooLarge(
                    f"the file has {rows:,} rows; the limit is {max_rows:,} ([publishing] import_max_rows). "
                    "Split it and import the parts."
                )


def _text(data: bytes | str) -> str:
    return data.decode("utf-8-sig") if isinstance(data, bytes) else data


def parse(data: bytes | str, default_zone: str, who: str, now: float, max_rows: int | None = None) -> list[NewPost]:
    text = _text(data)
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in KNOWN]
    if missing or unknown:
        problems = [f"line 1: missing column {c!r}" for c in missing]
        problems += [f"line 1: unknown column {c!r} (known: {', '.join(KNOWN)})" for c in unknown]
        raise CsvImportError(problems)
    posts, problems = [], []
    for row in reader:
        line = reader.line_num
        if max_rows is not None and len(posts) + len(problems) >= max_rows:
            raise TooLarge(f"the file has more than {max_rows:,} rows ([publishing] import_max_rows)")
        try:
            zone_name = (row.get("timezone") or default_zone).strip()
            try:
                zone = ZoneInfo(zone_name)
            except (ZoneInfoNotFoundError, ValueError):
                raise PostError(f"timezone: unknown time zone {zone_name!r}") from None
            raw_time = (row.get("scheduled_at") or "").strip()
            try:
                when = datetime.fromisoformat(raw_time)
            except ValueError:
                raise PostError(f"scheduled_at: not a date and time: {raw_time!r}") from None
            when = when if when.tzinfo else when.replace(tzinfo=zone)
            if when.timestamp() <= now:
                raise PostError(f"scheduled_at: {raw_time} is in the past")
            post = NewPost(
                channel=(row.get("channel") or "").strip().lower(),
                text=(row.get("text") or "").strip(),
                scheduled_at=when,
                author=(row.get("author") or who).strip(),
                target=(row.get("target") or "").strip(),
                link=(row.get("link") or "").strip(),
                timezone=zone_name,
                origin="csv",
            )
            post.check()
            posts.append(post)
        except PostError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        raise CsvImportError(problems)
    if not posts:
        raise CsvImportError(["the file has no posts"])
    return posts


def import_csv(
    db: sa.Engine,
    data: bytes | str,
    default_zone: str,
    by: Actor,
    now: float,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> int:
    """Import every row or none; TooLarge for a file over the caps (checked before parsing)."""
    require(by, Permission.EDIT_POSTS)
    check_size(data, max_bytes, max_rows)
    posts = parse(data, default_zone, by.name, now, max_rows)
    with write(db) as conn:
        return import_posts(conn, posts, by.name, now)
