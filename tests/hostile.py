"""Text written by strangers, meant to break out of the page: a tracking image,
script, links, HTML, Streamlit directives, invisible and direction-changing
characters, control characters and a 100,000-character post. Every string
carries MARK, so a test can tell the corpus from the product's own output.

Also what the hostile-text tests check pages with: the Markdown a page sends,
parsed as the browser's renderer would (CommonMark with raw HTML, GFM tables
and autolinks), must hold no image, link, HTML or Streamlit directive; and a
drill store seeded with the corpus to run the pages on."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from markdown_it import MarkdownIt

from access import service
from crisis import narrative_store
from crisis.detector import Detector
from crisis.presets import PRESETS
from incidents import faq, key_accounts, team
from model.message import Message
from model.score import Score
from publishing import pause, posts
from settings.registry import internal_sources
from store import sources
from store.connection import write
from store.ingest import store_messages
from tests.actors import ANA
from tests.conftest import ROOT, write_config

MARK = "HOSTILEMARK"
DOMAIN = "hostile.invalid"

CORPUS = [
    f"![beacon](https://track.{DOMAIN}/pixel.png?u=1) {MARK} look at this",
    f"[click me {MARK}](javascript:alert('{MARK}')) and <javascript:alert(1)>",
    f'<script>window.{MARK}=1</script><img src=x onerror="window.{MARK}=2"> {MARK}',
    f'<b id="hostile-html">{MARK}</b> <a href="https://{DOMAIN}/a">a</a> <iframe src="https://{DOMAIN}/f"></iframe>',
    f"safe\u202etxt.exe\u200b\u200d\u2066 {MARK} \ufeff zero width",
    f"{MARK} " + "A" * 100_000 + f" https://{DOMAIN}/long",
    f"bell\x07 escape\x1b[31m red\x08 nul\x00 {MARK}",
    f":red[{MARK}] :material/warning: $\\frac{{a}}{{b}}$ www.{DOMAIN} <https://{DOMAIN}/auto> https://{DOMAIN}/bare",
    f"# {MARK} heading\n| a | b |\n|---|---|\n| x | y |\n\n> quote\n\n```\ncode\n```",
    f"Bad product {MARK} <svg onload=alert(1)> &lt;b&gt; &#x3C;script&#x3E; terrible awful",
    f'=HYPERLINK("https://{DOMAIN}/x","{MARK}") +1 -2 @SUM(1) awful',  # a spreadsheet formula
]
NAME = f"[{MARK}](https://{DOMAIN}) <b>x</b> ![i](https://{DOMAIN}/n.png)"
# A source's name is at most 32 characters (a feed's, a scenario's): an image, then a directive.
SOURCES = (f"![i](//{DOMAIN}/s.png)\u202e{MARK}"[:32], f":red[{MARK}]<b>:material/x:")
# A feed's title, a Slack or scenario channel: where the Mentions detail caption showed them.
CHANNEL = f"![feed](https://track.{DOMAIN}/f.png) :red[{MARK}] <https://{DOMAIN}/c> \u202e\u200b"

MARKDOWN = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(["linkify", "table", "strikethrough"])
ACTIVE = {"image", "link_open", "html_inline", "html_block"}
DIRECTIVE = re.compile(r"(?<!\\):[a-z]+(?:/[a-z_]+)?[\[:]")  # :red[...], :material/icon:
# GitHub's autolink literals, which the browser's Markdown applies to the text
# after escapes are resolved: a backslash does not stop them.
AUTOLINK = re.compile(r"(?i)(?:https?://|www\.)[^\s<]|[a-z0-9._+-]+@[a-z0-9-]+\.[a-z0-9.-]*[a-z0-9]")
ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def active_tokens(body: str) -> list[str]:
    """What in `body` the browser's Markdown would make an image, a link or HTML."""
    found = []
    for token in MARKDOWN.parse(body):
        for t in [token, *(token.children or [])]:
            if t.type in ACTIVE:
                found.append(f"{t.type}: {t.content or t.attrs}")
    return found


def markdown_bodies(at) -> list[str]:
    """Everything an AppTest page sends that the browser renders as Markdown."""
    bodies = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success", "toast"):
        bodies += [str(e.value) for e in getattr(at, kind)]
    bodies += [str(m.label) for m in at.metric]
    # st.table renders Markdown in every cell and header (the wall's tables).
    for table in at.table:
        bodies += [str(c) for c in table.value.columns]
        bodies += [str(v) for v in table.value.to_numpy().ravel() if isinstance(v, str)]
    return bodies


def text_bodies(at) -> list[str]:
    """What an AppTest page shows as plain text (st.text, st.code)."""
    return [str(e.value) for e in at.text] + [str(e.value) for e in at.code]


def seeded_drill_config(tmp: Path) -> Path:
    """A drill config.toml in `tmp` whose store holds the corpus everywhere (seed)."""
    from settings import load_settings
    from worker.service import open_store

    path = write_config(
        tmp,
        f'[app]\nmode = "drill"\ndata_dir = "{tmp / "data"}"\n[runner]\nin_app = false\n[sentiment]\nengine = "vader"\n'
        f'[drill]\nscenario = "{ROOT / "scenarios" / "tidewell-camera-leak.jsonl"}"\n',
    )
    db = open_store(load_settings(path))
    seed(db)
    db.dispose()
    return path


def seed(db: sa.Engine, now: float | None = None) -> None:
    """The corpus everywhere a page shows text: messages from outside and from
    staff, authors, links, posts, the FAQ, the team, key accounts, the pause
    reason, triage notes, and the crisis level's reason."""
    now = now or time.time()
    batch = [
        Message(
            source=source,
            external_id=f"{source}-{i}",
            created_at=datetime.fromtimestamp(now - 60 - i, tz=timezone.utc),
            text=text,
            channel=NAME if source == "slack" else CHANNEL,
            author=NAME if i % 2 else "@" + NAME,  # and an author that starts like a formula
            reach=10_000 + i,
            url=f"javascript:alert('{MARK}')" if i % 2 else f"https://www.{DOMAIN}/{MARK}",
        )
        for source in ("x", "news", "slack", *SOURCES)
        for i, text in enumerate(CORPUS)
    ]
    with write(db) as conn:
        store_messages(conn, batch, [Score("negative", 0.9)] * len(batch), ("test", "1"), now)
        ids = [r.id for r in conn.execute(sa.text("SELECT id FROM messages ORDER BY id")).all()]
    # As the runner does after storing: the corpus becomes narratives (every external source's posts).
    external = [m for m in batch if m.source not in internal_sources()]
    assert narrative_store.observe(db, batch, [Score("negative", 0.9)] * len(batch), None, now) == len(external)
    service.triage(db, ids[:3], "monitor", NAME, CORPUS[0], ANA, now)
    for text in CORPUS[:4]:
        posts.create(
            db,
            posts.NewPost(
                "x", text[:270], datetime.fromtimestamp(now + 3600, tz=timezone.utc), NAME, "", CORPUS[1][:200]
            ),
            ANA,
            now,
        )
    incident = faq.declare(db, NAME, CORPUS[2], [MARK, "<b>"], ANA, now)
    faq.update_incident(db, incident, ANA, now, cause_status="suspected", cause=CORPUS[3])
    faq.add_fact(db, incident, now, CORPUS[0], NAME, True, ANA, now)
    entry = faq.add_entry(db, incident, CORPUS[7], CORPUS[8], NAME, ANA, now)
    faq.approve(db, entry, ANA, now)
    team.set_on_duty(db, team.add_member(db, NAME, "lead", CORPUS[1][:200], ANA, now), True, ANA, now)
    key_accounts.add_account(db, NAME, ["@hostile"], [DOMAIN], [MARK], NAME, "#x", ANA, now)
    Detector(db, PRESETS["medium"]).declare(ANA, CORPUS[0], now)
    pause.pause(db, ANA, CORPUS[2], now)
    for name in SOURCES:  # stopped with a hostile error: the wall and the Sources page show both
        if sources.claim(db, name, "hostile-seed", now, 60) is not None:
            sources.record_failure(db, name, "hostile-seed", CORPUS[0] + " " + CORPUS[7], now, None)
