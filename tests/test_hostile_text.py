"""Hostile text through every page (AppTest): whatever strangers or staff
write, no page turns it into an image, a link, HTML or a Streamlit directive.

Every Markdown body a page sends is parsed as the browser's renderer would
(CommonMark with raw HTML, GFM tables and autolinks); the corpus must come out
as text only. The real-browser DOM check is in test_hostile_browser.py."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from pages.common.frame import PAGES
from tests.conftest import ROOT
from tests.hostile import (
    AUTOLINK,
    CORPUS,
    DIRECTIVE,
    DOMAIN,
    ESCAPED,
    MARK,
    NAME,
    active_tokens,
    markdown_bodies,
    seeded_drill_config,
    text_bodies,
)

SHOWN_CAP = 20_000  # no element may carry a 100k-character post whole


@pytest.fixture(scope="module")
def hostile_config(tmp_path_factory):
    return seeded_drill_config(tmp_path_factory.mktemp("hostile"))


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


def test_the_checks_catch_the_corpus_as_written():
    """The checks above are not vacuous: unescaped, the corpus is an image, a link, HTML and a directive."""
    assert any(a.startswith("image") for a in active_tokens(CORPUS[0]))
    assert any(a.startswith("link_open") for a in active_tokens(NAME))
    assert any(a.startswith("html") for a in active_tokens(CORPUS[2]))
    assert DIRECTIVE.search(CORPUS[7]) and AUTOLINK.search(CORPUS[7])
    assert not active_tokens(ESCAPED.sub(r"\1", "plain words")) and not DIRECTIVE.search("at 10:30 [sic]")
