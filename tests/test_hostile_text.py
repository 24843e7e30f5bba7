"""Hostile text through every page (AppTest): whatever strangers or staff
write, no page turns it into an image, a link, HTML or a Streamlit directive.

Every Markdown body a page sends is parsed as the browser's renderer would
(CommonMark with raw HTML, GFM tables and autolinks); the corpus must come out
as text only. The real-browser DOM check is in test_hostile_browser.py."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from pages.common.frame import PAGES
from tests.conftest import ROOT
from tests.hostile import DOMAIN, MARK, seed
from worker.service import open_store

MARKDOWN = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(["linkify", "table", "strikethrough"])
ACTIVE = {"image", "link_open", "html_inline", "html_block"}
DIRECTIVE = re.compile(r"(?<!\\):[a-z]+(?:/[a-z_]+)?[\[:]")  # :red[...], :material/icon:
# GitHub's autolink literals, which the browser's Markdown applies to the text
# after escapes are resolved: a backslash does not stop them.
AUTOLINK = re.compile(r"(?i)(?:https?://|www\.)[^\s<]|[a-z0-9._+-]+@[a-z0-9-]+\.[a-z0-9.-]*[a-z0-9]")
ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
SHOWN_CAP = 20_000  # no element may carry a 100k-character post whole


def active_tokens(body: str) -> list[str]:
    found = []
    for token in MARKDOWN.parse(body):
        for t in [token, *(token.children or [])]:
            if t.type in ACTIVE:
                found.append(f"{t.type}: {t.content or t.attrs}")
    return found


def markdown_bodies(at: AppTest) -> list[str]:
    """Everything the page sends that the browser renders as Markdown."""
    bodies = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success", "toast"):
        bodies += [str(e.value) for e in getattr(at, kind)]
    bodies += [str(m.label) for m in at.metric]
    # st.table renders Markdown in every cell and header (the wall's tables).
    for table in at.table:
        bodies += [str(c) for c in table.value.columns]
        bodies += [str(v) for v in table.value.to_numpy().ravel() if isinstance(v, str)]
    return bodies


def text_bodies(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.text] + [str(e.value) for e in at.code]


@pytest.fixture(scope="module")
def hostile_config(tmp_path_factory):
    from tests.conftest import write_config

    tmp = tmp_path_factory.mktemp("hostile")
    path = write_config(
        tmp,
        f'[app]\nmode = "drill"\ndata_dir = "{tmp / "data"}"\n[runner]\nin_app = false\n[sentiment]\nengine = "vader"\n'
        f'[drill]\nscenario = "{ROOT / "scenarios" / "tidewell-camera-leak.jsonl"}"\n',
    )
    from settings import load_settings

    db = open_store(load_settings(path))
    seed(db)
    db.dispose()
    return path


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
def test_hostile_text_is_inert_on_every_page(spec, hostile_config, monkeypatch):
    monkeypatch.setenv("CRISISDESK_CONFIG", str(hostile_config))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if spec.url_path == "wall":
        at.query_params["view"] = "wall"
    at.switch_page(spec.path).run()
    assert not at.exception, at.exception
    bodies = markdown_bodies(at)
    tables = [df.value.to_string() for df in at.dataframe]
    # The corpus is on the page (banners, tables, texts): the checks below are not vacuous.
    assert MARK in "".join(bodies + text_bodies(at) + tables), spec.url_path
    for body in bodies:
        assert not active_tokens(body), (spec.url_path, body[:300], active_tokens(body))
        assert not AUTOLINK.search(ESCAPED.sub(r"\1", body)), (spec.url_path, body[:300])
        if MARK in body or DOMAIN in body:
            assert not DIRECTIVE.search(body), body[:300]
            assert "\u202e" not in body and "\x07" not in body
    for body in bodies + text_bodies(at):
        assert len(body) < SHOWN_CAP, (spec.url_path, len(body))
