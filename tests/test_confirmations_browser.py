"""In a real browser, 25 minutes into the drill (CRISIS, publishing paused):
standing down while it is still hot asks first, resuming publishing asks a
reason and then a confirmation, and a CSV file imported once is refused the
second time."""

from crisis.detector import crisis_status
from publishing import pause
from tests.browser import browser_page, require_chromium, streamlit_server
from tests.wall_scene import stage
from worker.service import open_store

CSV = b"channel,text,scheduled_at\nx,Winter sale starts soon,2030-12-01 09:30\n"


def settled(page):
    """The page's script has finished its run (a click during a run can be overtaken by it)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000, polling=100)
    return page


def test_stand_down_resume_and_a_repeated_csv_ask_or_refuse_in_the_browser(drill_config, tmp_path):
    require_chromium()
    path, settings = drill_config()
    stage(settings, 25)
    db = open_store(settings)
    assert crisis_status(db)["level"] == "crisis" and pause.state(db).paused

    with streamlit_server(path, tmp_path / "streamlit.log") as url, browser_page() as page:
        page.goto(url + "/crisis")
        settled(page).get_by_label("Why (recorded with your name)").fill("Looks calmer to me")
        settled(page).get_by_role("button", name="Stand down").click()
        page.get_by_text("It is still hot").wait_for(timeout=60_000)
        settled(page).get_by_role("button", name="No, keep the level").click()
        page.get_by_text("It is still hot").wait_for(state="detached", timeout=60_000)
        assert crisis_status(db)["level"] == "crisis"  # asked, and nothing changed

        page.goto(url + "/posts")
        settled(page).get_by_label("Why resume now (required, recorded)").fill("Statement approved and out")
        settled(page).get_by_role("button", name="Resume publishing…").click()
        settled(page).get_by_role("button", name="Yes, resume publishing").wait_for(timeout=60_000)
        assert pause.state(db).paused  # not before the confirmation
        settled(page).get_by_role("button", name="Yes, resume publishing").click()
        settled(page).get_by_role("button", name="Pause all publishing").wait_for(timeout=60_000)
        assert not pause.state(db).paused

        settled(page).get_by_text("Import posts from CSV").click()
        page.locator("input[type=file]").set_input_files(
            files=[{"name": "winter.csv", "mimeType": "text/csv", "buffer": CSV}]
        )
        page.get_by_text("winter.csv").wait_for(timeout=60_000)  # uploaded, and the page has run with it
        settled(page).get_by_role("button", name="Import").click()
        page.get_by_text("Imported 1").first.wait_for(timeout=60_000)
        settled(page).get_by_role("button", name="Import").click()  # the same file, a second time
        page.get_by_text("this file was already imported").wait_for(timeout=60_000)
    db.dispose()
