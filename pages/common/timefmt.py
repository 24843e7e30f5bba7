"""The one way pages show a time: in the viewer's own zone (the browser's,
st.context.timezone), falling back to config.toml's [app] timezone, with the
zone shown. Everything is stored in UTC.

A page adopts it with two lines:

    zone = viewer_zone(ctx.settings.zone)
    display_time(epoch_s, zone, "%H:%M")        # "09:30 CET"
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import streamlit as st


def viewer_zone(default: ZoneInfo) -> ZoneInfo:
    """The browser's time zone when it sent one we know, else `default`."""
    try:
        name = st.context.timezone
    except Exception:  # no browser context (bare script run)
        name = None
    if name:
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return default


def zone_name(zone: ZoneInfo, epoch_s: float | None = None) -> str:
    """The zone's short name at that moment (CET, CEST, UTC), or its offset where it has none."""
    when = datetime.fromtimestamp(epoch_s if epoch_s is not None else datetime.now(timezone.utc).timestamp(), zone)
    name = when.strftime("%Z")
    return name if name and name[0] not in "+-" else "UTC" + when.strftime("%z")[:3] + ":" + when.strftime("%z")[3:]


def display_time(epoch_s: float | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M", *, with_zone: bool = True) -> str:
    """A stored UTC time in `zone`, with the zone's name unless the column
    header already says it; "–" for none."""
    if epoch_s is None or pd.isna(epoch_s):
        return "–"
    text = datetime.fromtimestamp(float(epoch_s), tz=timezone.utc).astimezone(zone).strftime(fmt)
    return f"{text} {zone_name(zone, float(epoch_s))}" if with_zone else text


def time_header(label: str, zone: ZoneInfo) -> str:
    """A table column's title naming the zone: "time (CET)"."""
    return f"{label} ({zone_name(zone)})"


def level_summary(status: dict, zone: ZoneInfo) -> str:
    """The detector's one-line summary with "since" in the viewer's zone, rendered
    from the stored epoch (crisis.explain.summary). A line the detector did not
    build from its explanation (a declaration, "No evaluation yet") is as stored."""
    from crisis.explain import summary

    data = status.get("explanation") or {}
    stored = status["summary"]
    try:
        if data.get("since") is None or summary(data) != stored:
            return stored
        return summary(data, lambda epoch_s: display_time(epoch_s, zone, "%H:%M"))
    except (KeyError, TypeError, ValueError):  # an explanation of an older shape: as stored
        return stored
