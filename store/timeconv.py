"""UTC datetimes <-> the epoch seconds the store keeps."""

from __future__ import annotations

from datetime import datetime


def to_epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def minute_of(seconds: int) -> int:
    return seconds - seconds % 60
