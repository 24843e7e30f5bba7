"""Mentions in the real browser (Debian chromium): bulk triage on a live list
hits exactly the ticked messages, and filters and page survive a reload."""

from __future__ import annotations

import contextlib
import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from model.score import Score
from store.connection import write
from store.ingest import store_messages
from store.schema import messages, triage
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, browser_page, require_chromium, streamlit_server
from tests.conftest import message
from worker.service import open_store


def settle(page) -> None:
    """Wait until the script run (or fragment run) has finished drawing."""
    page.wait_for_timeout(400)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000, polling=250)
    page.wait_for_timeout(400)


def tick_row(page, row: int, wait: bool = True) -> None:
    """Toggle a row in the table (the row-marker column of the data grid: 35 px rows under a 35 px header)."""
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 * (row + 1) + 17)
    if wait:
        settle(page)


def choose(page, label: str, option: str) -> None:
    """Pick an option (the list can close under a redraw that was still arriving: open it again)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    wanted = page.get_by_role("option", name=option, exact=True)
    for attempt in range(4):
        page.get_by_role("combobox", name=label).click()
        try:
            wanted.wait_for(timeout=4_000)
            wanted.click(timeout=4_000)
            break
        except PlaywrightTimeout:
            if attempt == 3:
                raise
            page.keyboard.press("Escape")
    settle(page)


def add(db, prefix: str, n: int, at: float, **kw) -> None:
    with write(db) as conn:
        batch = [message(f"{prefix}{i}", f"{prefix} post {i}", at=at + i, **kw) for i in range(n)]
        store_messages(conn, batch, [Score("negative", -0.5)] * n, ("t", "1"), time.time())


def test_bulk_triage_on_a_live_list_hits_exactly_the_ticked_mentions(drill_config, tmp_path):
    require_chromium()
    path, settings = drill_config()
    db = open_store(settings)
    now = time.time()
    add(db, "old", 10, now - 600)
    with streamlit_server(path, tmp_path / "streamlit.log") as url, browser_page() as page:
        page.goto(url + "/mentions")
        page.get_by_text("10 mentions match").wait_for(timeout=60_000)
        settle(page)
        tick_row(page, 1)  # "old post 8"
        started = time.perf_counter()
        tick_row(page, 2, wait=False)  # "old post 7"
        page.get_by_role("button", name="Triage 2").wait_for(timeout=20_000)
        tick_ms = (time.perf_counter() - started) * 1000  # the click answered: the button counts it
        settle(page)
        # Meanwhile new mentions arrive at the top of the live list, among them a staff Slack message.
        add(db, "new", 3, now - 60)
        add(db, "staff", 1, now - 30, source="slack", channel="#general")
        # Choosing the decision re-runs the list: the ticks must stay on the same messages.
        choose(page, "Decision", "monitor")
        settle(page)
        page.get_by_text("list held while rows are ticked").wait_for(timeout=20_000)
        started = time.perf_counter()
        page.get_by_role("button", name="Triage 2").click()
        page.get_by_text("2 mention(s): monitor").wait_for(timeout=30_000)
        click_ms = (time.perf_counter() - started) * 1000
        settle(page)
        with db.connect() as conn:
            done = conn.execute(
                sa.select(messages.c.external_id, triage.c.decision).join(triage, triage.c.message_id == messages.c.id)
            ).all()
        assert sorted(done) == [("old7", "monitor"), ("old8", "monitor")]
        # The list moves again: the new mentions show, nothing is ticked.
        page.get_by_text("14 mentions match").wait_for(timeout=20_000)
        assert page.get_by_role("button", name="Triage 0").is_disabled()
        page.get_by_role("button", name=re.compile(r"Undo my last triage \(2 mention")).click()
        page.get_by_text("Undone: 2 mention(s)").wait_for(timeout=30_000)
        with db.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(triage)).scalar() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "mentions.png"), full_page=True)
    print(f"mentions tick answered in {tick_ms:.0f} ms, triage click in {click_ms:.0f} ms (browser, 10 messages)")


@contextlib.contextmanager
def browser_in_zone(zone: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1920, "height": 1080}, timezone_id=zone)
        finally:
            browser.close()


def test_filters_and_page_survive_a_reload_and_times_are_in_the_viewers_zone(drill_config, tmp_path):
    require_chromium()
    path, settings = drill_config()  # [app] timezone is UTC: the browser's zone wins
    db = open_store(settings)
    now = time.time()
    add(db, "x", 60, now - 3000)
    add(db, "news", 5, now - 100, source="news")
    newest = datetime.fromtimestamp(now - 100 + 4, ZoneInfo("America/New_York"))
    with streamlit_server(path, tmp_path / "streamlit.log") as url, browser_in_zone("America/New_York") as page:
        page.goto(url + "/mentions")
        page.get_by_text("65 mentions match").wait_for(timeout=60_000)
        settle(page)
        choose(page, "Source", "x")
        page.keyboard.press("Escape")
        page.get_by_text("60 mentions match").wait_for(timeout=20_000)
        page.get_by_label("Page (of 2)").fill("2")
        page.get_by_label("Page (of 2)").press("Enter")
        settle(page)
        page.wait_for_url(re.compile(r"source=x"), timeout=20_000)
        page.wait_for_url(re.compile(r"page=2"), timeout=20_000)
        page.reload()
        page.get_by_text("60 mentions match").wait_for(timeout=60_000)
        settle(page)
        assert page.get_by_label("Page (of 2)").input_value() == "2"
        assert "source=x" in page.url and "page=2" in page.url
        # Times in the viewer's zone, named: the newest news mention, opened.
        page.goto(url + "/mentions?source=news")
        page.get_by_text("5 mentions match").wait_for(timeout=60_000)
        settle(page)
        tick_row(page, 0)
        stamp = newest.strftime("%d %b %H:%M:%S ") + newest.strftime("%Z")  # EST (UTC-5) in November
        page.get_by_text(stamp).first.wait_for(timeout=20_000)
