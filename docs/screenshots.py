"""Regenerates the README's screenshots: `python -m docs.screenshots`.

Plays the bundled drill into a temporary store, starting 25 minutes into the
scenario (the crisis in full swing), scores and judges it once, serves the app on a loopback port and
saves each page at 1920x1080 with Debian's chromium, and the executive
overview on a phone (390x844 at 2x, Amsterdam time).
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

from settings import load_settings
from tests.browser import browser_page, streamlit_server
from worker.service import build_runner, open_store, restart_drill

DOCS = Path(__file__).resolve().parent
# file -> (path, exact text (or a pattern) that shows the page is ready; the wall's waits for the detector's verdict)
PAGES = {
    "wall.png": ("/wall?view=wall", "CRISIS"),
    "overview.png": ("/overview", re.compile("times the usual volume")),  # the summary, once the detector judged
    "crisis.png": ("/crisis", "Crisis level: CRISIS"),
}


def main(at_s: float = 1500) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(f'[app]\ndata_dir = "{tmp}"\n[wall]\nrefresh_s = 10\n')
        settings = load_settings(config)
        db = open_store(settings)
        restart_drill(db, settings, at_s=at_s)
        # Played and judged once here, with the configured engine, before the server starts: on a busy
        # machine the in-app runner alone can take minutes to score the first 25 minutes of the scenario.
        runner = build_runner(settings, db)
        runner.run_pending()
        runner.detect_and_notify()
        db.dispose()
        with streamlit_server(config, Path(tmp) / "streamlit.log") as url, browser_page() as page:
            for name, (path, ready) in PAGES.items():
                page.goto(url + path)
                page.get_by_text(ready, exact=True).first.wait_for(timeout=180_000)
                drawn(page)
                page.screenshot(path=str(DOCS / name))
                print(f"wrote docs/{name}")
            phone(page.context.browser, url)


def drawn(page) -> None:
    """Every part of the page drawn: no placeholder left (the overview draws in two parts), charts settled."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stSkeleton], [data-testid=stStatusWidget]')",
        timeout=180_000,
        polling=250,
    )
    if page.get_by_text("Top narratives, last 3 hours").count():  # the overview: both charts
        page.locator(".vega-embed").nth(1).wait_for(timeout=180_000)
    time.sleep(3)


def phone(browser, url: str) -> None:
    """The overview as an executive sees it on a phone: the level first."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        timezone_id="Europe/Amsterdam",
    )
    try:
        page = context.new_page()
        page.goto(url + "/overview")
        page.get_by_text(re.compile("times the usual volume")).first.wait_for(timeout=180_000)
        drawn(page)
        page.screenshot(path=str(DOCS / "overview-phone.png"))
        print("wrote docs/overview-phone.png")
    finally:
        context.close()


if __name__ == "__main__":
    main(*(float(a) for a in sys.argv[1:]))
