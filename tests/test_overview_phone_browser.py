"""The executive overview on a phone, in a real browser (Debian chromium at
390x844, a phone's viewport, in the Amsterdam time zone): the level is the
first thing on the screen, above every banner and within the first screen,
with its plain sentence and "as of" time, which moves on by itself."""

from __future__ import annotations

import re
import time
from pathlib import Path

from settings import load_settings
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_chromium, streamlit_server
from worker.service import open_store, restart_drill

PHONE = {"width": 390, "height": 844}
AS_OF = re.compile(r"as of (\d\d:\d\d:\d\d) \((CET|CEST)\)")


def played_drill(drill_config, minutes_in: float) -> Path:
    """A drill store 25 minutes into the scenario, judged once (no runner in the server)."""
    from crisis.detector import Detector
    from crisis.presets import PRESETS
    from monitors.replay import ReplayMonitor
    from sentiment.lexicon import VaderEngine
    from worker.runner import Runner

    path, settings = drill_config("[overview]\nrefresh_s = 5\n")
    db = open_store(settings)
    restart_drill(db, settings, at_s=minutes_in * 60)
    runner = Runner(
        db, [ReplayMonitor(settings.scenario_path)], VaderEngine(), detector=Detector(db, PRESETS["medium"])
    )
    runner.run_pending()
    runner.detect_and_notify()
    db.dispose()
    assert load_settings(path).overview.refresh_s == 5
    return path


def test_the_level_comes_first_on_a_phone_and_the_page_keeps_itself_current(drill_config, tmp_path):
    require_chromium()
    from playwright.sync_api import sync_playwright

    path = played_drill(drill_config, 25)
    with streamlit_server(path, tmp_path / "streamlit.log") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, timezone_id="Europe/Amsterdam"
            )
            page = context.new_page()
            started = time.monotonic()
            page.goto(url + "/overview")
            level = page.locator(".st-key-overview_level")
            level.get_by_text(AS_OF).wait_for(timeout=120_000)
            render_s = time.monotonic() - started
            page.get_by_text("DRILL - scenario data").wait_for(timeout=60_000)  # the banners are there too
            time.sleep(1)  # let the layout settle

            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "overview-phone.png"))
            box = level.bounding_box()
            assert box is not None and box["y"] >= 0
            assert box["y"] + box["height"] <= PHONE["height"], box  # wholly within the first screen
            assert "CRISIS" in level.locator('[data-testid="stMetricValue"]').inner_text()
            sentence = level.get_by_text(re.compile("the usual volume")).inner_text()
            assert "times the usual volume" in sentence and "negative" in sentence
            assert "expected" not in sentence
            # Nothing of the page's content is above it: not the drill banner, the sign-in line or the header.
            for selector in ('[data-testid="stAlert"]', '[data-testid="stCaptionContainer"]', "h2"):
                for i in range(page.locator(selector).count()):
                    other = page.locator(selector).nth(i)
                    if level.locator(selector).filter(has=other).count() or not other.is_visible():
                        continue
                    if other.evaluate("(el, top) => top.contains(el)", level.element_handle()):
                        continue
                    other_box = other.bounding_box()
                    assert other_box["y"] >= box["y"] + box["height"] - 1, (selector, other.inner_text()[:60])
            # The detector's hold proposal waits for a person: right below the level, with the way to decide it.
            hold = page.locator(".st-key-overview_hold_proposal")
            hold.get_by_text("HOLD PROPOSAL WAITING").wait_for(timeout=30_000)
            assert hold.bounding_box()["y"] >= box["y"] + box["height"] - 1
            assert hold.get_by_role("link").get_attribute("href").rstrip("/").split("/")[-1] == "posts"

            def as_of() -> str:
                found = AS_OF.search(level.inner_text())
                assert found is not None, "the level says when it was as of"
                return found.group(1)

            first = as_of()
            page.wait_for_function(
                "first => !document.querySelector('.st-key-overview_level').innerText.includes('as of ' + first)",
                arg=first,
                timeout=30_000,
            )
            assert as_of() != first  # refreshed by itself, no reload
            print(f"overview_phone_first_render_s={render_s:.1f}")
        finally:
            browser.close()
    assert (ARTIFACTS / "overview-phone.png").stat().st_size > 10_000
