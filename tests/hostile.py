"""Text written by strangers, meant to break out of the page: a tracking image,
script, links, HTML, Streamlit directives, invisible and direction-changing
characters, control characters and a 100,000-character post. Every string
carries MARK, so a test can tell the corpus from the product's own output."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import sqlalchemy as sa

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
