"""The wall display in a real browser: Debian chromium, 1920x1080, live."""

import re

from tests.browser import ARTIFACTS, browser_page, require_chromium, streamlit_server


def test_wall_display_is_live_in_a_real_browser(drill_config, tmp_path):
    require_chromium()
    # The in-app runner plays the bundled scenario, as `streamlit run app.py` does.
    path, _ = drill_config("[wall]\nrefresh_s = 2\n", in_app=True)
    with streamlit_server(path, tmp_path / "streamlit.log") as url, browser_page() as page:
        # The wall TV's first request after a server start is the wall URL itself.
        page.goto(url + "/wall?view=wall")
        banner = page.get_by_text("DRILL - scenario data")
        banner.wait_for(timeout=60_000)
        page.get_by_text("Live · updated").wait_for(timeout=60_000)
        page.locator(".vega-embed").nth(2).wait_for(timeout=60_000)  # all three charts drawn (slow under load)
        assert page.locator(".vega-embed").count() == 3
        level = page.locator('[data-testid="stAlert"]').filter(has_text="NORMAL")
        assert level.count() == 1  # the level banner (the drill has only just begun)
        assert page.get_by_role("link", name="Sentiment").count() == 0  # kiosk: no navigation
        assert page.locator('header[data-testid="stHeader"]').is_hidden()
        alert = page.locator('[data-testid="stAlert"]').filter(has_text="DRILL - scenario data")
        assert "Tidewell camera clip leak (fictional)" in alert.inner_text()

        def updated() -> str:
            text = page.get_by_text(re.compile(r"Live · updated \d\d:\d\d:\d\d")).inner_text()
            found = re.search(r"\d\d:\d\d:\d\d", text)
            assert found, text
            return found.group(0)

        first = updated()
        page.wait_for_function(
            "first => !document.body.innerText.includes('updated ' + first)", arg=first, timeout=15_000
        )
        assert updated() > first or updated() < "00:00:10"  # advanced (or crossed midnight)
        messages = page.get_by_text(re.compile(r"^Messages, last 60 min$"))
        assert messages.count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "wall.png"), full_page=True)
    assert (ARTIFACTS / "wall.png").stat().st_size > 10_000
