"""The real browser (Debian chromium): the hostile corpus on every page makes
no image, link, script or HTML element in the DOM, runs no script, and the
wall display's token link opens the wall and nothing else, from the very
first request after a server start."""

from __future__ import annotations

from pages.common.frame import PAGES
from tests.browser import ARTIFACTS, browser_page, require_chromium, streamlit_server
from tests.hostile import seed
from worker.service import open_store

TOKEN = "display-token-for-the-browser-test-0123456789"

# Elements that could load, link or run something, in the page and in its same-origin frames;
# flagged when any loading or scripting attribute (or a script's text) carries the corpus.
FIND_ACTIVE = """() => {
  const docs = [document];
  for (const frame of document.querySelectorAll('iframe')) {
    try { if (frame.contentDocument) docs.push(frame.contentDocument); } catch (e) {}
  }
  const hostile = /hostile|HOSTILEMARK|javascript:/i;
  const bad = [];
  for (const doc of docs) {
    for (const el of doc.querySelectorAll('*')) {
      const loads = ['src', 'href', 'xlink:href', 'srcdoc', 'action', 'formaction', 'data', 'poster', 'background']
        .map(name => el.getAttribute(name) || '').join(' ');
      const handlers = Array.from(el.attributes).filter(a => a.name.startsWith('on')).map(a => a.value).join(' ');
      const script = el.tagName === 'SCRIPT' ? el.textContent : '';
      if (hostile.test(loads + ' ' + handlers + ' ' + script) || el.id === 'hostile-html') {
        bad.push(el.outerHTML.slice(0, 200));
      }
    }
  }
  return {bad, ran: window.HOSTILEMARK === undefined ? null : String(window.HOSTILEMARK),
          shown: document.body.innerText.includes('HOSTILEMARK')};
}"""


def settle(page) -> None:
    """Wait until the page's script run has finished drawing."""
    page.get_by_text("ALL PUBLISHING PAUSED").first.wait_for(timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000, polling=250)
    page.wait_for_timeout(500)


def test_hostile_text_is_inert_in_the_dom_and_the_token_opens_only_the_wall(drill_config, tmp_path):
    require_chromium()
    path, settings = drill_config()
    db = open_store(settings)
    seed(db)
    db.dispose()
    log = tmp_path / "streamlit.log"
    with streamlit_server(path, log, env={"CRISISDESK_DISPLAY_TOKEN": TOKEN}) as url, browser_page() as page:
        # The first request after the start runs the page file directly (no app.py): it must refuse too.
        page.goto(f"{url}/overview?token={TOKEN}")
        page.get_by_text("needs the role viewer or higher; you are display").wait_for(timeout=60_000)
        assert page.get_by_text("Executive overview").count() == 0 and page.locator(".vega-embed").count() == 0

        page.goto(f"{url}/wall?view=wall&token={TOKEN}")
        settle(page)
        found = page.evaluate(FIND_ACTIVE)
        assert found["bad"] == [] and found["ran"] is None and found["shown"], found
        assert page.get_by_role("link", name="Overview").count() == 0  # no navigation for the display

        page.goto(f"{url}/wall?view=wall&token=rotated-away-token-0123456789-0123456789")
        page.get_by_text("This display link is not valid").wait_for(timeout=60_000)

        for spec in PAGES:  # local mode: the person at this machine sees every page
            page.goto(f"{url}/{spec.url_path}")
            settle(page)
            page.get_by_text("Local mode, no sign-in").first.wait_for(timeout=10_000)
            found = page.evaluate(FIND_ACTIVE)
            assert found["bad"] == [], (spec.url_path, found["bad"])
            assert found["ran"] is None, spec.url_path
            assert found["shown"], spec.url_path  # the corpus is on the page, as text
            if spec.url_path == "faq":
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "hostile-faq.png"), full_page=True)
