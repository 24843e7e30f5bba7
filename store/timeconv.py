"""UTC datetimes <-> the epoch seconds the store keeps."""

from __future__ import annotations

from datetime import datetime, timezone


def to_epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def minute_of(seconds: int) -> int:
    return seconds - seconds % 60
