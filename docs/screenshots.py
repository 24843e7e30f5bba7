"""Regenerates the README's screenshots: `python -m docs.screenshots [at_s] [name ...]`.

Plays the bundled drill into a temporary store, 25 minutes into the scenario
(the crisis in full swing: the backlog scored by the configured engine and
judged minute by minute, so the pages open on CRISIS at once, with its hold
proposal waiting), pauses publishing and adds a key account the scenario
mentions (so every banner shows), serves the app on a loopback port and
saves each page with Debian's chromium (at 1920x1080 unless the page names
another size; `wall-4k.png` is the wall TV at 3840x2160; `overview-phone.png`
is the executive overview on a phone, 390x844 at 2x, Amsterdam time). Names
given after `at_s` regenerate only those files.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

from sentiment.loader import load_engine
from settings import load_settings
from tests.browser import browser_page, streamlit_server
from tests.wall_scene import stage

DOCS = Path(__file__).resolve().parent
WALL_READY = re.compile(r"^CRISIS since \d\d:\d\d")  # the wall waits for the detector's verdict
# file -> (path, text that shows the page is ready (exact, or a pattern), screen size)
PAGES = {
    "wall.png": ("/wall?view=wall", WALL_READY, (1920, 1080)),
    "wall-4k.png": ("/wall?view=wall", WALL_READY, (3840, 2160)),
    "overview.png": ("/overview", re.compile("times the usual volume"), (1920, 1080)),
    "crisis.png": ("/crisis", "Crisis level: CRISIS", (1920, 1080)),
}
PHONE = "overview-phone.png"


def main(at_s: float = 1500, only: list[str] | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(f'[app]\ndata_dir = "{tmp}"\n[wall]\nrefresh_s = 10\n')
        settings = load_settings(config)
        stage(settings, at_s / 60, engine=load_engine(settings).engine)  # the product's engine: its stories
        with streamlit_server(config, Path(tmp) / "streamlit.log") as url:
            for name, (path, ready, (width, height)) in PAGES.items():
                if only and name not in only:
                    continue
                with browser_page(width, height) as page:
                    page.goto(url + path)
                    if isinstance(ready, str):
                        page.get_by_text(ready, exact=True).first.wait_for(timeout=180_000)
                    else:
                        page.get_by_text(ready).first.wait_for(timeout=180_000)
                    if name.startswith("wall"):  # live (the runner has loaded its engine), every tile drawn
                        page.get_by_text(re.compile(r"^Live · updated")).wait_for(timeout=300_000)
                        page.locator(".vega-embed canvas, .vega-embed svg").nth(2).wait_for(timeout=60_000)
                        page.locator("[data-testid=stTable] td").nth(10).wait_for(timeout=60_000)
                    drawn(page)
                    page.screenshot(path=str(DOCS / name))
                print(f"wrote docs/{name}")
            if not only or PHONE in only:
                with browser_page() as page:
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
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1500, sys.argv[2:] or None)
