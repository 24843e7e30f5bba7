"""The executive overview on a phone, and the brief it sends on: the level
first, one plain sentence, "as of", and exports that escape outside text and
say DRILL for drill data."""

from __future__ import annotations

import io
import re
import time
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from crisis.brief import build_brief
from crisis.brief_html import to_html
from crisis.brief_pdf import to_pdf
from crisis.headline import headline, volume_phrase
from safety.text import one_line
from tests.conftest import ROOT
from tests.hostile import CORPUS, MARK


def open_overview():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/overview.py").run()
    assert not at.exception, at.exception
    return at


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.text = ""
        self.body = ""

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs |= {name for name, _ in attrs}

    def handle_data(self, data):
        self.text += data
        if "body" in self.tags:
            self.body += data


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def test_the_level_comes_first_above_the_banners_with_a_plain_sentence_and_as_of(drill_store):
    drill_store(25)
    at = open_overview()
    top = list(at.main.children.values())
    kinds = [getattr(node, "type", None) for node in top]
    level_at = kinds.index("flex_container")
    # The drill banner (in its keyed container) comes after the level's block.
    banner = next(
        i
        for i, node in enumerate(top)
        if i != level_at and hasattr(node, "children") and any("DRILL" in w.value for w in node.warning)
    )
    assert level_at < banner  # the level's block is drawn before any banner
    first = top[level_at]
    assert first.metric[0].label == "Crisis level" and first.metric[0].value.endswith("CRISIS")
    assert first.metric[0].delta == "worse than 1 h ago"
    sentence = first.markdown[0].value
    assert "times the usual volume" in sentence and "of them are negative" in sentence
    assert "expected" not in sentence and "x)" not in sentence  # no detector jargon
    assert re.fullmatch(r"DRILL · as of \d\d:\d\d:\d\d \(UTC\)", first.caption[0].value)
    labels = {b.label for b in at.get("download_button")}
    assert labels == {"E-mail (HTML)", "PDF", "Markdown", "CSV"}


def test_as_of_follows_the_viewers_zone(drill_store):
    drill_store(25)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.context["timezone"] = "America/New_York"
    at.switch_page("pages/overview.py").run()
    assert not at.exception, at.exception
    caption = at.main.children[1].caption[0].value
    assert caption.endswith("(EST)") or caption.endswith("(EDT)"), caption


def test_headline_is_plain_language():
    explanation = {
        "level": "crisis",
        "rising": [
            {
                "series": "total",
                "observed": 618,
                "expected": 30.0,
                "negative_share": 0.75,
                "expected_negative_share": 0.2,
            }
        ],
        "new_terms": [["@tidewellhome", 150], ["#tidewellleak", 162], ["camera", 134], ["leak", 90], ["cloud", 80]],
    }
    assert headline(explanation) == (
        "Posts about #tidewellleak, camera and leak are 21 times the usual volume; "
        "75% of them are negative (usually 20%)."
    )
    calm = {
        "level": "normal",
        "rising": [],
        "total": {
            "series": "total",
            "observed": 31,
            "expected": 30.0,
            "negative_share": 0.1,
            "expected_negative_share": 0.12,
        },
        "new_terms": [["camera", 9]],
    }
    assert headline(calm) == "Posts are about the usual volume; 10% of them are negative (usually 12%)."
    assert headline({}) == "Nothing to report yet: no posts have been judged."
    assert volume_phrase(45, 30) == "50% above the usual volume" and volume_phrase(5, 30) == "below the usual volume"


@pytest.fixture
def hostile_brief(drill_store):
    """The drill's brief with every outside text replaced by hostile text."""
    db = drill_store(25)
    brief = build_brief(db, time.time(), "Europe/Amsterdam", drill=True, drill_title=CORPUS[2])
    assert brief.narratives and brief.top_posts
    for i, story in enumerate(brief.narratives):
        story["text"] = CORPUS[i % len(CORPUS)]
    for i, post in enumerate(brief.top_posts):
        post["text"], post["author"] = CORPUS[(i + 2) % len(CORPUS)], CORPUS[3]
    brief.sources_24h = [(CORPUS[2], 5, 1), *brief.sources_24h]
    brief.pause_reason, brief.paused = CORPUS[3], True
    brief.headline = f"Posts about <script>{MARK}</script> are 3 times the usual volume."
    return brief


def test_html_brief_escapes_every_outside_text_and_says_drill(hostile_brief):
    page = to_html(hostile_brief)
    assert page.startswith("<!DOCTYPE html>")
    # Parsed as a mail client would: only our own tags and attributes, no script, image, link or source.
    parser = Elements()
    parser.feed(page)
    ours = {"html", "head", "meta", "title", "body", "div", "h1", "h2", "p", "table", "tr", "th", "td", "ol", "li"}
    assert parser.tags <= ours
    assert parser.attrs <= {"lang", "charset", "style", "role", "cellpadding", "cellspacing"}
    assert MARK in parser.text and "<script>window.HOSTILEMARK=1</script>" in parser.text  # shown as text
    assert "&lt;script&gt;window.HOSTILEMARK=1&lt;/script&gt;" in page
    assert "\u202e" not in page and "\x07" not in page and "\x00" not in page
    assert "\\" not in page.replace("\\frac", "")  # no Markdown backslash escapes in an e-mail
    # DRILL first: in the title, the first bar, and the footer.
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert title.startswith("DRILL - Crisis brief, ")
    assert parser.body.split()[:2] == ["DRILL", "-"]
    assert page.count("DRILL - exercise data, not a real crisis") >= 2
    for story in hostile_brief.narratives:
        assert one_line(story["text"], 50)[:30] in parser.text


def test_pdf_brief_has_the_summary_narratives_and_top_posts_and_says_drill(hostile_brief):
    brief = hostile_brief
    text = pdf_text(to_pdf(brief))
    assert text.startswith("DRILL - exercise data, not a real crisis")
    assert "DRILL - Crisis brief, " in text and "CRISIS" in text
    assert "Top narratives, last 3 hours" in text and "Widest-reaching negative posts, last hour" in text
    assert f"<script>{MARK}</script>" in text  # shown as text, as it was written
    assert "window.HOSTILEMARK=1" in text and "hostile.invalid" in text
    assert text.count("DRILL - exercise data") >= 2  # and in the footer


def test_a_real_brief_is_not_marked_drill_and_has_its_texts_in_the_pdf(drill_store):
    db = drill_store(25)
    brief = build_brief(db, time.time(), "UTC")
    text = pdf_text(to_pdf(brief))
    assert "DRILL" not in text and "DRILL" not in to_html(brief) and "DRILL" not in brief.to_csv()
    assert "DRILL" not in brief.to_markdown()
    assert text.startswith("Crisis brief, ")
    assert brief.headline[:40] in text
    for story in brief.narratives[:3]:
        assert " ".join(story["text"].split())[:25] in text
    for post in brief.top_posts[:3]:
        assert " ".join(str(post["text"]).split())[:25] in text


def test_markdown_and_csv_say_drill_first(hostile_brief):
    markdown = hostile_brief.to_markdown()
    assert markdown.startswith("# DRILL \\- Crisis brief, ")
    assert markdown.splitlines()[2].startswith("**DRILL \\- exercise data, not a real crisis")
    rows = hostile_brief.to_csv().splitlines()
    assert rows[0] == '"item","value"' and rows[1].startswith('"DRILL","DRILL - exercise data, not a real crisis')


def test_a_declared_level_says_so_beside_as_of(drill_store):
    from crisis.detector import Detector
    from crisis.presets import PRESETS
    from tests.actors import ANA

    db = drill_store(0.5)
    Detector(db, PRESETS["medium"]).declare(ANA, "a reporter is calling", time.time())
    at = open_overview()
    first = at.main.children[1]
    assert first.metric[0].value.endswith("CRISIS")
    assert "level declared by the crisis team" in first.caption[0].value


def test_a_waiting_hold_proposal_shows_below_the_level_with_a_link_to_the_posts(drill_store):
    from publishing import proposals

    db = drill_store(25)
    waiting = proposals.pending(db)
    assert waiting is not None and waiting.posts >= 1  # the detector proposed holding the scenario's posts
    at = open_overview()

    def level_block():  # the first block, above every banner
        top = list(at.main.children.values())
        return top[[getattr(node, "type", None) for node in top].index("flex_container")]

    first = level_block()
    assert first.metric[0].label == "Crisis level"
    (note,) = [w.value for w in first.warning]
    expected = rf"\*\*HOLD PROPOSAL WAITING:\*\* {waiting.posts} posts, by the detector at \d\d:\d\d UTC"
    assert re.fullmatch(expected, note), note
    (link,) = first.get("page_link")
    assert link.proto.page.endswith("posts") and "Scheduled posts" in link.proto.label
    with db.begin() as conn:  # decided: the note goes
        from store.schema import hold_proposals

        conn.execute(hold_proposals.update().values(status="dismissed", open_key=None))
    at.run()
    assert not level_block().warning and not level_block().get("page_link")


def test_a_proposers_name_is_escaped_in_the_hold_proposal_line():
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from pages.common.banners import hold_proposal_line
    from pages.common.text import md_escape
    from publishing.proposals import PendingHold

    name = "**Ana** [click](https://evil.example) :red[x]"
    ctx = SimpleNamespace(settings=SimpleNamespace(zone=ZoneInfo("Europe/Amsterdam")))
    line = hold_proposal_line(PendingHold(7, 1, "declaration", name, 1_800_000_000), ctx)
    assert line == (
        f"**HOLD PROPOSAL WAITING:** 1 post, by {md_escape(name + ' (declared a crisis)', 120)} at 09:00 CET"
        " · accept or dismiss on the Scheduled posts page"
    )
    assert "[click](" not in line and "**Ana**" not in line
