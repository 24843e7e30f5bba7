"""Times in the viewer's zone, with the zone shown, on the Overview, Crisis
level, Sources, Internal pulse and Audit log pages (AppTest with the
browser's zone set to Asia/Tokyo while config.toml says UTC); and every export
of drill data says DRILL."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from crisis.detector import crisis_status
from pages.common.exports import drill_frame, drill_markdown, export_name
from tests.conftest import ROOT

TOKYO = ZoneInfo("Asia/Tokyo")  # JST all year: no daylight saving to trip on


def open_in_tokyo(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.context["timezone"] = "Asia/Tokyo"
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def tokyo(epoch_s: float, fmt: str) -> str:
    return datetime.fromtimestamp(epoch_s, tz=timezone.utc).astimezone(TOKYO).strftime(fmt)


def columns(at: AppTest) -> list[str]:
    return [c for d in at.dataframe for c in d.value.columns]


def test_crisis_sources_audit_and_overview_show_the_viewers_zone(drill_store):
    db = drill_store(20)
    status = crisis_status(db)
    at = open_in_tokyo("pages/crisis.py")
    caption = next(c.value for c in at.caption if c.value.startswith("Since "))
    assert caption.startswith(f"Since {tokyo(status['since'], '%Y-%m-%d %H:%M')} JST · last evaluated ")
    assert "when (JST)" in columns(at)
    history = next(d.value for d in at.dataframe if "sent to Slack" in d.value.columns)
    first = history["when (JST)"].iloc[-1]
    assert first == tokyo(status["since"], "%Y-%m-%d %H:%M")  # the raise, in Tokyo time, not UTC
    assert any(label.label == "began at (JST)" for label in at.time_input)

    at = open_in_tokyo("pages/sources.py")
    assert "next poll (JST)" in columns(at)

    at = open_in_tokyo("pages/audit.py")
    assert "when (JST)" in columns(at)
    assert at.caption[-1].value.startswith("Read at ") and at.caption[-1].value.endswith(" JST.")

    at = open_in_tokyo("pages/overview.py")
    assert at.main.children[1].caption[0].value.endswith("(JST)")


def test_the_pulse_chart_names_the_zone_of_its_hours(drill_store):
    drill_store(20)
    at = open_in_tokyo("pages/pulse.py")
    charts = at.get("vega_lite_chart")
    assert charts, "the pulse page draws its charts"
    spec = json.loads(charts[0].proto.spec)
    assert json.dumps(spec).count("hour (JST)") >= 1


def drill_ctx(is_drill: bool):
    return SimpleNamespace(settings=SimpleNamespace(is_drill=is_drill))


def test_exports_of_drill_data_say_drill_first():
    table = pd.DataFrame({"text": ["a", "b"], "reach": [1, 2]})
    marked = drill_frame(drill_ctx(True), table)
    assert list(marked.columns) == ["DRILL", "text", "reach"]
    assert set(marked["DRILL"]) == {"DRILL - exercise data, not a real crisis"}
    assert drill_frame(drill_ctx(False), table) is table
    assert drill_markdown(drill_ctx(True), "# FAQ\n").startswith(
        "**DRILL \\- exercise data, not a real crisis**\n\n# FAQ"
    )
    assert drill_markdown(drill_ctx(False), "# FAQ\n") == "# FAQ\n"
    assert export_name(drill_ctx(True), "mentions.csv") == "DRILL-mentions.csv"
    assert export_name(drill_ctx(False), "mentions.csv") == "mentions.csv"


@pytest.mark.parametrize("page", ["pages/audit.py"])
def test_the_audit_export_of_a_drill_store_is_named_drill(drill_store, page):
    drill_store(20)
    at = open_in_tokyo(page)
    at.button(key="audit_prepare").click().run()
    assert [b.label for b in at.get("download_button")] == ["Download DRILL-audit-log.csv"]
