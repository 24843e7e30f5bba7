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
problem named by line number, and nothing is imported. Nothing is guessed
or dropped: a row with more or fewer fields than the header (an unquoted
comma), a column named twice, a NUL byte, a field over 40,000 characters, or
a file that is not UTF-8 (UTF-16 and Latin-1 are named) is refused.

A file already imported is refused as a whole (AlreadyImported names when and
by whom): its SHA-256, taken over the text with a byte order mark and Windows
line endings set aside, is stored with the posts, in the same transaction.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from access.roles import Actor, Permission, require
from publishing.posts import NewPost, PostError, import_posts
from store.connection import write
from store.schema import csv_imports

REQUIRED = ("channel", "text", "scheduled_at")
KNOWN = (*REQUIRED, "timezone", "target", "link", "author")


class CsvImportError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class AlreadyImported(ValueError):
    """The same file was imported before; nothing is imported again."""

    def __init__(self, at: float, who: str, filename: str, posts: int) -> None:
        self.at, self.who, self.filename, self.posts = at, who, filename, posts
        when = datetime.fromtimestamp(at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        super().__init__(
            f"this file was already imported on {when} by {who}"
            + (f" (as {filename!r}, {posts} posts)" if filename else f" ({posts} posts)")
        )


def content_hash(data: bytes | str) -> str:
    """SHA-256 of the file's text: the same file saved with or without a byte
    order mark or with Windows line endings counts as the same file."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    raw = raw.removeprefix(codecs.BOM_UTF8).replace(b"\r\n", b"\n")
    return hashlib.sha256(raw).hexdigest()


def previous_import(conn: sa.Connection, digest: str):
    return conn.execute(
        sa.select(csv_imports.c.at, csv_imports.c.who, csv_imports.c.filename, csv_imports.c.posts).where(
            csv_imports.c.sha256 == digest
        )
    ).one_or_none()


class TooLarge(ValueError):
    """A file over the configured size or row cap; nothing is imported."""


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
            rows = sum(1 for _ in csv.reader(io.StringIO(decode(data) if isinstance(data, bytes) else data))) - 1
            if rows > max_rows:
                raise TooLarge(
                    f"the file has {rows:,} rows; the limit is {max_rows:,} ([publishing] import_max_rows). "
                    "Split it and import the parts."
                )


MAX_FIELD_CHARS = 40_000  # Slack's limit for a message's text; X's is far lower
_UTF16_32 = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


def decode(data: bytes) -> str:
    """UTF-8 (a byte order mark allowed). Anything else is refused, naming
    the line and what the bytes look like, never guessed: a wrong guess
    changes every accented letter of a post."""
    for bom, name in _UTF16_32.items():  # UTF-32 first: its LE mark starts with UTF-16's
        if data.startswith(bom):
            raise CsvImportError(
                [f"line 1: the file is {name} (it starts with a {name} byte order mark); save it as CSV UTF-8"]
            )
    if data.count(b"\x00") > len(data) // 4:
        raise CsvImportError(
            [
                "line 1: the file looks like UTF-16 without a byte order mark (every other byte is NUL); "
                "save it as CSV UTF-8"
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1]
        hint = ""
        begin, end = data.rfind(b"\n", 0, exc.start) + 1, data.find(b"\n", exc.start)
        try:
            shown = data[begin : end if end >= 0 else len(data)][:80].decode("cp1252").strip()
            hint = f"; it looks like Latin-1/Windows-1252 (the line would read {shown!r})"
        except UnicodeDecodeError:
            pass
        raise CsvImportError(
            [f"line {line}: not UTF-8: byte 0x{bad.hex().upper()} at position {exc.start}{hint}; save it as CSV UTF-8"]
        ) from None


def parse(data: bytes | str, default_zone: str, who: str, now: float, max_rows: int | None = None) -> list[NewPost]:
    text = decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    nul_lines = [n for n, line in enumerate(text.split("\n"), 1) if "\x00" in line]
    if nul_lines:
        raise CsvImportError(
            [f"line {n}: contains a NUL byte (a binary or UTF-16 file?); nothing was imported" for n in nul_lines[:20]]
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise CsvImportError([f"line 1: {exc}"]) from None
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in KNOWN]
    twice = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or twice:
        problems = [f"line 1: missing column {c!r}" for c in missing]
        problems += [f"line 1: unknown column {c!r} (known: {', '.join(KNOWN)})" for c in unknown]
        problems += [f"line 1: column {c!r} appears {header.count(c)} times" for c in twice]
        raise CsvImportError(problems)
    posts: list[NewPost] = []
    problems = []
    line = reader.line_num + 1  # where the next record starts
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            why = str(exc)
            if "field larger than field limit" in why:
                why = f"a field is over {csv.field_size_limit():,} characters (at most {MAX_FIELD_CHARS:,})"
            problems.append(f"line {reader.line_num}: {why}")
            break  # the reader cannot go on after a malformed record
        start, line = line, reader.line_num + 1
        if not fields:
            continue  # a blank line
        if max_rows is not None and len(posts) + len(problems) >= max_rows:
            raise TooLarge(f"the file has more than {max_rows:,} rows ([publishing] import_max_rows)")
        if len(fields) != len(header):
            more = len(fields) > len(header)
            problems.append(
                f"line {start}: {len(fields)} fields but the header has {len(header)} columns"
                + (" (an unquoted comma? put a field that holds a comma in double quotes)" if more else "")
            )
            continue
        row = dict(zip(header, fields))
        too_long = [f"{k} has {len(v):,} characters" for k, v in row.items() if len(v) > MAX_FIELD_CHARS]
        if too_long:
            problems.append(f"line {start}: {', '.join(too_long)} (at most {MAX_FIELD_CHARS:,})")
            continue
        try:
            posts.append(_post(row, default_zone, who, now))
        except PostError as exc:
            problems.append(f"line {start}: {exc}")
    if problems:
        raise CsvImportError(problems)
    if not posts:
        raise CsvImportError(["the file has no posts"])
    return posts


def _post(row: dict[str, str], default_zone: str, who: str, now: float) -> NewPost:
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
    return post


def import_csv(
    db: sa.Engine,
    data: bytes | str,
    default_zone: str,
    by: Actor,
    now: float,
    max_bytes: int | None = None,
    max_rows: int | None = None,
    filename: str = "",
) -> int:
    """Import every row or none; TooLarge for a file over the caps (checked
    before parsing), AlreadyImported for a file imported before."""
    require(by, Permission.EDIT_POSTS)
    check_size(data, max_bytes, max_rows)
    digest = content_hash(data)
    with db.connect() as conn:
        before = previous_import(conn, digest)
    if before is not None:
        raise AlreadyImported(before.at, before.who, before.filename, before.posts)
    posts = parse(data, default_zone, by.name, now, max_rows)
    try:
        with write(db) as conn:
            # The hash first: of two people importing the same file at once, one
            # insert waits for the other's transaction and then fails on the unique hash.
            conn.execute(
                csv_imports.insert().values(
                    sha256=digest, filename=filename[:255], posts=len(posts), who=by.name, at=now
                )
            )
            return import_posts(conn, posts, by.name, now)
    except sa.exc.IntegrityError:
        with db.connect() as conn:
            before = previous_import(conn, digest)
        if before is None:
            raise
        raise AlreadyImported(before.at, before.who, before.filename, before.posts) from None
