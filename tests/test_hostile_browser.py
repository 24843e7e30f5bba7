"""The real browser (Debian chromium): the hostile corpus on every page makes
no image, link, script or HTML element in the DOM, runs no script, and the
wall display's token link opens the wall and nothing else, from the very
first request after a server start."""

from __future__ import annotations

import csv
import io
import re
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

from pypdf import PdfReader

from access import display
from pages.common.frame import PAGES
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, browser_page, require_chromium, streamlit_server
from tests.hostile import active_tokens, seed
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


# --- Issue 16: every detail view, expander and download; rotation; DNS rebinding; framing; no outside request ---

OUTSIDE = re.compile(r"^(?:https?|wss?)://(?!127\.0\.0\.1[:/]|rebind\.test[:/])", re.I)
FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")
SELECTABLE = {"mentions": 5, "sentiment": 3, "posts": 3}  # rows to open one by one (mentions: one per source)
DOWNLOADS = {"overview": 4, "mentions": 1, "faq": 1, "posts": 1, "audit": 1}  # download buttons per page
BRIEF_TAGS = {"html", "head", "meta", "title", "body", "div", "h1", "h2", "p", "table", "tr", "th", "td", "ol", "li"}
BRIEF_ATTRS = {"lang", "charset", "style", "role", "cellpadding", "cellspacing"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.body = ""

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs |= {name for name, _ in attrs}

    def handle_data(self, data):
        if "body" in self.tags:
            self.body += data


def settle_any(page) -> None:
    """Wait until a script run has finished (any page, refusals included)."""
    page.wait_for_timeout(400)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000, polling=250)
    page.wait_for_timeout(400)


def assert_inert(page, where: str) -> None:
    found = page.evaluate(FIND_ACTIVE)
    assert found["bad"] == [] and found["ran"] is None, (where, found["bad"])


def click_row(page, row: int) -> None:
    """Toggle a row's selection in the first table (the row-marker column of the data grid)."""
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 * (row + 1) + 17)
    settle_any(page)


def check_download(content: bytes, name: str) -> None:
    """Inert, and (drill data) saying DRILL first."""
    assert name.startswith("DRILL-"), name
    if name.endswith(".pdf"):  # text only; DRILL is the first thing on the page
        words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split()
        assert words[0] == "DRILL" and not PdfReader(io.BytesIO(content)).attachments, name
        return
    text = content.decode("utf-8")
    assert "DRILL" in text[:300], (name, text[:300])
    if name.endswith(".html"):  # the e-mail brief: only its own tags and inline styles
        parsed = _Tags()
        parsed.feed(text)
        assert parsed.tags <= BRIEF_TAGS and parsed.attrs <= BRIEF_ATTRS, (name, parsed.tags, parsed.attrs)
        assert parsed.body.split()[0] == "DRILL", name
    elif name.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert len(rows) > 1, name
        for row in rows:
            for value in row:
                assert not value.lstrip(" ").startswith(FORMULA), (name, value[:80])
        assert all(line.startswith('"') for line in text.split("\r\n")[:-1]), name  # every field quoted
    else:
        assert not active_tokens(text), (name, active_tokens(text)[:5])


def download_all(page, where: str) -> list[str]:
    names = []
    buttons = page.locator("[data-testid=stDownloadButton] button")
    expected = DOWNLOADS.get(where, 0)
    if expected:
        buttons.nth(expected - 1).wait_for(timeout=30_000)
    assert buttons.count() == expected, (where, buttons.count())
    for i in range(buttons.count()):
        with page.expect_download(timeout=30_000) as info:
            buttons.nth(i).click()
        download = info.value
        check_download(Path(download.path()).read_bytes(), download.suggested_filename)
        names.append(download.suggested_filename)
        settle_any(page)
    return names


def test_details_expanders_downloads_token_rotation_rebinding_framing_and_no_outside_request(drill_config, tmp_path):
    """~2 minutes: 11 pages, each selectable row, expander and download, in the real browser."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    path, settings = drill_config("[wall]\nrefresh_s = 2\n")
    db = open_store(settings)
    seed(db)
    db.dispose()
    secrets = tmp_path / "secrets.toml"
    token = display.rotate(secrets)
    env = {"CRISISDESK_SECRETS_FILE": str(secrets)}
    with streamlit_server(path, tmp_path / "streamlit.log", env=env, script="serve.py") as url, sync_playwright() as p:
        with urllib.request.urlopen(url + "/") as reply:  # framing refused by headers (serve.py)
            assert reply.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
            assert reply.headers["X-Frame-Options"] == "DENY"
        port = urllib.parse.urlparse(url).port
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP rebind.test 127.0.0.1"]
        )
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1080}, accept_downloads=True)
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            downloads = []
            for spec in PAGES:
                page.goto(f"{url}/{spec.url_path}")
                settle(page)
                for summary in page.locator("[data-testid=stExpander] summary").all():
                    summary.click()
                    settle_any(page)
                assert_inert(page, spec.url_path + " expanders")
                for row in range(SELECTABLE.get(spec.url_path, 0)):
                    click_row(page, row)
                    if spec.url_path == "mentions":
                        page.get_by_text(re.compile(r"· reach \d")).first.wait_for(timeout=20_000)
                    assert_inert(page, f"{spec.url_path} row {row}")
                    assert page.evaluate(FIND_ACTIVE)["shown"]
                    click_row(page, row)
                if spec.url_path == "audit":
                    page.get_by_role("button", name=re.compile("Prepare CSV")).click()
                    settle_any(page)
                downloads += download_all(page, spec.url_path)
                assert_inert(page, spec.url_path + " downloads")
            exported = {"mentions.csv", "crisis-faq.md", "audit-log.csv", "publishing-audit.csv"}
            exported |= {f"crisis-brief.{kind}" for kind in ("html", "pdf", "md", "csv")}
            assert {f"DRILL-{name}" for name in exported} <= set(downloads), downloads

            # The display link: rotating the token ends the open wall within one refresh.
            page.goto(f"{url}/wall?view=wall&token={token}")
            settle(page)
            assert page.locator("[data-testid=stMetric]").count() >= 4
            display.rotate(secrets)
            page.get_by_text("This display link is not valid").wait_for(timeout=4 * 2_000 + 10_000)
            settle_any(page)
            assert page.locator("[data-testid=stMetric]").count() == 0
            assert page.locator("[data-testid=stDataFrame]").count() == 0
            assert "HOSTILEMARK" not in page.evaluate("() => document.body.innerText")

            # DNS rebinding: a name that resolves to 127.0.0.1 gets the refusal, not the dashboard.
            page.goto(f"http://rebind.test:{port}/posts")
            page.get_by_text("Local mode serves this machine only").wait_for(timeout=60_000)
            settle_any(page)
            assert page.get_by_role("button", name="Resume publishing").count() == 0
            assert page.locator("[data-testid=stDataFrame]").count() == 0

            # Nothing asked an outside host for anything (the favicon included).
            assert [r for r in requests if OUTSIDE.match(r)] == []
            assert any("/media/" in r and r.endswith(".png") for r in requests)  # the local favicon
        finally:
            browser.close()
