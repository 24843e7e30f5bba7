"""What the outside audit found (issue 16), one test per finding: each failed
on the code the audit saw and passes now. The real-browser half (row
selection, expanders, downloads, display-token rotation, DNS rebinding,
framing headers, no outside request) is in test_hostile_browser.py."""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from access import display
from access.roles import NotAllowed
from crisis.brief import Brief
from crisis.notify import SlackNotifier, slack_client
from delivery.problems import failures as notifier_failures
from pages.common import signin
from pages.common.text import csv_safe, md_escape, plain
from publishing import posts
from publishing.csv_import import TooLarge, import_csv
from settings import redact
from store import sources
from store.connection import write
from store.schema import scheduled_posts
from tests.actors import ANA, EDDIE
from tests.conftest import ROOT
from tests.fake_slack import FakeSlack, store_level_alert
from tests.hostile import (
    AUTOLINK,
    CHANNEL,
    CORPUS,
    DIRECTIVE,
    ESCAPED,
    MARK,
    NAME,
    SOURCES,
    active_tokens,
    markdown_bodies,
    seed,
    seeded_drill_config,
    text_bodies,
)
from tests.test_access_pages import AUTH
from worker.service import open_store

FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")
INVISIBLE = ("\u202e", "\u200b", "\u200d", "\u2066", "\ufeff", "\x07", "\x1b")


def assert_inert(bodies: list[str], where: str) -> None:
    for body in bodies:
        assert not active_tokens(body), (where, body[:300], active_tokens(body))
        assert not AUTOLINK.search(ESCAPED.sub(r"\1", body)), (where, body[:300])
        assert not DIRECTIVE.search(body), (where, body[:300])
        assert not any(ch in body for ch in INVISIBLE), (where, body[:300])


# --- 1. Markdown injection --------------------------------------------------------------------


@pytest.mark.parametrize("text", [*CORPUS, NAME, CHANNEL, *SOURCES])
def test_the_one_escaper_leaves_no_image_link_html_directive_or_invisible_character(text):
    assert_inert([md_escape(text), md_escape(text, 5000, multiline=True)], text[:40])


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    return seeded_drill_config(tmp_path_factory.mktemp("audit"))


def run_page(config, page: str, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def selection(*rows: int) -> dict:
    return {"selection": {"rows": list(rows), "columns": [], "cells": []}}


def test_the_mentions_detail_of_every_source_and_channel_is_inert(hostile_app, monkeypatch):
    """About 10 s: one page run per source (x, news, slack and two hostile source names)."""
    monkeypatch.setenv("CRISISDESK_CONFIG", str(hostile_app))
    at = run_page(hostile_app, "pages/mentions.py")
    table = at.dataframe[0].value
    picked = {source: int(table.index[table["source"] == source][0]) for source in table["source"].unique()}
    assert len(picked) >= 4, picked  # x, news, slack and the hostile source names
    for source, row in picked.items():
        at = run_page(hostile_app, "pages/mentions.py", m_table__0=selection(row))
        captions = [c.value for c in at.caption]
        assert any("reach" in c for c in captions), (source, captions)  # the detail is open
        assert_inert(markdown_bodies(at), f"mentions detail {source}")
        shown = text_bodies(at)
        assert any(MARK in t for t in shown)  # the whole message, as text
        assert not any(ch in t for t in shown for ch in INVISIBLE), source  # bidi and zero-width removed


@pytest.mark.parametrize(
    "page,key",
    [("pages/sentiment.py", "review_table__0"), ("pages/posts.py", "posts_table")],
    ids=["sentiment", "posts"],
)
def test_the_other_selectable_tables_detail_and_expanders_are_inert(page, key, hostile_app, monkeypatch):
    monkeypatch.setenv("CRISISDESK_CONFIG", str(hostile_app))
    at = run_page(hostile_app, page, **{key: selection(0, 1, 2)})
    assert at.expander or page.endswith("sentiment.py")  # expanders' bodies are in the tree, open or not
    assert_inert(markdown_bodies(at) + [str(e.label) for e in at.expander], page)


def test_plain_text_keeps_lines_and_drops_bidi_zero_width_and_control_characters():
    assert plain("a\u202eb\u200bc\u2066\nd\x07e\x1b[31m\r\nf\ufeff") == "abc\nde[31m\nf"


# --- 2. CSV -------------------------------------------------------------------------------------


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_neutral(text: str) -> None:
    for row in parse(text):
        for value in row:
            assert not value.lstrip(" ").startswith(FORMULA), value[:60]
    # Every field quoted: a CR or LF is never inside an unquoted field.
    for line in text.split("\r\n")[:-1]:
        assert line.startswith('"'), line[:60]


def test_every_string_cell_is_neutralised_whatever_its_dtype_and_every_field_quoted():
    hostile = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(1)", "\tx", "\rx", "a\rb", "a\nb", " =1", "ok"]
    frame = pd.DataFrame(
        {
            "str": pd.Series(hostile, dtype="str"),
            "object": pd.Series(hostile, dtype=object),
            "category": pd.Series(hostile, dtype="category"),
            "n": range(len(hostile)),
        }
    )
    text = csv_safe(frame)
    assert_neutral(text)
    rows = parse(text)
    assert rows[1][0] == '\'=HYPERLINK("http://x")' and rows[7][0] == "a\rb" and rows[-1] == ["ok"] * 3 + ["9"]


def test_the_mentions_export_is_neutralised(tmp_path):
    from settings import load_settings
    from store import mentions
    from tests.conftest import write_config

    path = write_config(tmp_path, f'[app]\nmode = "drill"\ndata_dir = "{tmp_path / "data"}"\n')
    db = open_store(load_settings(path))
    seed(db)
    _, export = mentions.page(db, mentions.MentionFilter(since=0, until=time.time() + 10), 0, 10_000)
    starts = sum(isinstance(v, str) and v.startswith(FORMULA) for v in export.to_numpy().ravel())
    assert starts  # the corpus has such cells: the check below is not vacuous
    assert_neutral(csv_safe(export))


def brief(**overrides) -> Brief:
    values: dict[str, Any] = dict(
        at=1_800_000_000,
        zone="UTC",
        level="crisis",
        level_1h="watch",
        level_24h="normal",
        summary=CORPUS[0] + " =cmd|' /C calc'!A0",
        messages_1h=10,
        messages_prev_1h=5,
        negative_share_1h=0.5,
        expected_per_hour=3.0,
        expected_negative_share=0.1,
        negative_reach_24h=100,
        narratives=[
            {
                "text": text,
                "posts": posts,
                "negative_share": 0.5,
                "reach": 10,
                "first_seen": 1_800_000_000,
                "growth": "new",
            }
            for text, posts in [('=HYPERLINK("http://x","y")', 4), (CORPUS[7], 3)]
        ],
        sources_24h=[("@evil", 3, 2)],
        posts={"held": 2},
        paused=True,
        pause_reason="-2+3\r" + CORPUS[3],
    )
    values.update(overrides)
    return Brief(**values)


def test_the_briefs_csv_and_markdown_are_neutralised():
    b = brief()
    assert_neutral(b.to_csv())
    assert not any(v.startswith("=") for row in parse(b.to_csv()) for v in row)
    markdown = b.to_markdown()
    assert_inert([markdown], "brief markdown")
    assert MARK in markdown


# --- 3. Secrets -----------------------------------------------------------------------------

SECRET = "AAAAxbearer/Tok+en=vAlue%2Fmore-0123456789"


@pytest.fixture
def secret(monkeypatch):
    monkeypatch.setattr(redact, "_values", (SECRET, "p4ss-w0rd!"))
    return SECRET


def forms_of(value: str) -> list[str]:
    return [
        value,
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
        urllib.parse.unquote(value),
        json.dumps(value)[1:-1].replace("/", "\\/"),  # JSON with an escaped slash
        value[:20] + "\n" + value[20:],  # split across lines
        base64.b64encode(f"alice:{value}".encode()).decode(),  # basic auth
        base64.b64encode(b"bob:p4ss-w0rd!").decode(),
    ]


def test_a_secret_is_masked_in_every_encoded_escaped_and_split_form(secret):
    for form in forms_of(secret):
        masked = redact.error_text(f"API said: {form} (HTTP 401)")
        assert redact.MASK in masked and secret[:12] not in masked and form not in masked, (form, masked)


def test_urls_lose_user_info_and_query_in_errors():
    text = redact.error_text("GET https://reader:hunter22@feeds.example/rss.xml?apikey=k3y&x=1#top failed")
    assert text == "GET https://[user]@feeds.example/rss.xml?[query] failed"
    assert redact.error_text("Authorization: Bearer abcdefgh12345678") == "Authorization: Bearer [secret]"


def test_a_token_echoed_by_slack_is_masked_where_it_is_stored_and_logged(db, secret, clock, caplog):
    fake = FakeSlack()
    try:
        store_level_alert(db, clock())
        echoed = f"invalid_auth: token {urllib.parse.quote(secret, safe='')} / {json.dumps(secret)}"
        fake.script.append((200, {}, {"ok": False, "error": echoed}))
        notifier = SlackNotifier(
            db, slack_client("xoxb-other", fake.base_url, timeout_s=5), {"crisis_team": "#c"}, clock=clock
        )
        with caplog.at_level(logging.WARNING):
            assert notifier.send_pending() == 0
    finally:
        fake.close()
    [failure] = notifier_failures(db)
    assert "Slack said invalid_auth" in failure and redact.MASK in failure
    for form in forms_of(secret)[:5]:
        assert form not in failure and form not in caplog.text
    assert secret[:12] not in failure


def test_a_sources_stored_error_is_masked_and_its_urls_shortened(db, secret):
    now = time.time()
    assert sources.claim(db, "news", "w1", now, 60) is not None
    error = f"GET https://u:{secret}@feed.example/rss?apikey={urllib.parse.quote(secret)} said 401"
    sources.record_failure(db, "news", "w1", error, now, now + 60)
    with db.connect() as conn:
        stored = conn.execute(sa.text("SELECT last_error FROM source_state WHERE name = 'news'")).scalar_one()
    assert stored == "GET https://[user]@feed.example/rss?[query] said 401"


def test_a_log_record_masks_the_json_escaped_and_url_decoded_forms(secret, caplog, tmp_path):
    redact.install(tmp_path / "none.toml")
    log = logging.getLogger("crisisdesk.test")
    with caplog.at_level(logging.INFO):
        log.info("reply %s", json.dumps({"token": secret}))
        log.info("url %s", "https://x.example/a?token=" + urllib.parse.quote(secret))
    assert secret not in caplog.text and "\\/" not in caplog.text and "token=" not in caplog.text


# --- 4. The display token ---------------------------------------------------------------------

TOKEN = "display-token-for-the-audit-test-0123456789"


def test_a_rotated_display_token_ends_the_open_wall_at_its_next_refresh(drill_config, monkeypatch):
    path, _ = drill_config()
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    monkeypatch.setenv(display.ENV, TOKEN)
    real = display.matches
    calls = []

    def rotated_after_the_first_check(given, *args):
        calls.append(given)
        return real(given, *args) if len(calls) == 1 else False  # rotated before the fragment's refresh

    monkeypatch.setattr(display, "matches", rotated_after_the_first_check)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["view"] = "wall"
    at.query_params["token"] = TOKEN
    at.run()
    assert len(calls) >= 2  # the fragment checked again
    assert "This display link is not valid" in " ".join(e.value for e in at.error)
    assert not at.metric and not at.dataframe  # a refusal, not data


# --- 5. Local mode: Host and Origin -----------------------------------------------------------


@pytest.mark.parametrize(
    "headers,served",
    [
        ({}, True),  # no browser (AppTest, a script run)
        ({"Host": "localhost:8501", "Origin": "http://localhost:8501"}, True),
        ({"Host": "127.0.0.1:9999"}, True),
        ({"Host": "[::1]:8501", "Origin": "http://[::1]:8501"}, True),
        ({"Host": "LOCALHOST"}, True),
        ({"Host": "rebind.attacker.example:8501", "Origin": "http://rebind.attacker.example:8501"}, False),
        ({"Host": "127.0.0.1:8501", "Origin": "http://attacker.example"}, False),
        ({"Host": "desk.lan:8501"}, False),  # a TCP port forward from another machine
        ({"Host": "localhost.attacker.example"}, False),
        ({"Host": "127.0.0.1.nip.io:8501"}, False),
        ({"Host": "localhost@attacker.example"}, False),
        ({"Host": "[::1]x:80"}, False),
        ({"Origin": "http://localhost"}, False),  # no Host at all
        ({"Host": "localhost", "Origin": "null"}, False),  # a sandboxed frame
    ],
)
def test_local_mode_serves_only_a_local_host_and_origin(headers, served):
    assert (signin.local_request_refusal(headers) is None) is served


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "rebind.attacker.example:8501", "Origin": "http://rebind.attacker.example:8501"},
        {"Host": "desk.lan:8501", "Origin": "http://desk.lan:8501"},
    ],
    ids=["dns-rebinding", "port-forward"],
)
def test_local_mode_refuses_a_page_under_another_name(headers, drill_config, monkeypatch):
    path, _ = drill_config()
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    monkeypatch.setattr(signin, "request_headers", lambda: headers, raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/posts.py").run()
    assert "Local mode serves this machine only" in at.error[0].value
    assert not at.header and not at.button  # no "Resume publishing", nothing of the page


# --- 7. email_verified ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claims,optional,verified",
    [
        ({"email_verified": True}, [], True),
        ({"email_verified": "true"}, [], True),
        ({}, [], False),
        ({"email_verified": None}, [], False),
        ({"email_verified": False}, [], False),
        ({"email_verified": "false"}, [], False),
        ({"email_verified": 1}, [], False),
        ({"provider": "okta"}, ["okta"], True),
        ({}, ["default"], True),
        ({"provider": "okta", "email_verified": False}, ["okta"], False),
        ({"provider": "google"}, ["okta"], False),
    ],
)
def test_email_verified_must_be_true_unless_the_provider_is_configured_otherwise(claims, optional, verified):
    assert signin.email_verified(claims, optional) is verified


def signed_in(config, page: str, user: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets = AUTH
    at.user = {"is_logged_in": True, **user}
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


ROLES = (
    '[access]\nemail_verified_optional = ["okta"]\n[access.roles]\n"@tidewell.example" = "viewer"\n'
    '"eddie@tidewell.example" = "editor"\n'
)


def test_a_missing_email_verified_claim_is_refused(drill_config, monkeypatch):
    path, _ = drill_config(ROLES)
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = signed_in(path, "pages/overview.py", {"email": "vic@tidewell.example"})
    assert "did not confirm an e-mail address" in at.error[0].value and not at.metric
    at = signed_in(path, "pages/overview.py", {"email": "vic@tidewell.example", "provider": "okta"})
    assert not at.error and at.metric  # a provider configured not to send the claim


# --- 8. Uploads, rescheduling, framing, favicon ------------------------------------------------


def test_the_csv_uploader_is_only_for_roles_that_may_import(drill_config, monkeypatch):
    path, _ = drill_config(ROLES)
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    viewer = signed_in(path, "pages/posts.py", {"email": "vic@tidewell.example", "email_verified": True})
    assert not viewer.get("file_uploader")
    assert any("Importing needs the role editor" in c.value for c in viewer.caption)
    editor = signed_in(path, "pages/posts.py", {"email": "eddie@tidewell.example", "email_verified": True})
    [uploader] = editor.get("file_uploader")
    assert uploader.proto.max_upload_size_mb == 1


def csv_rows(n: int) -> str:
    when = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    return "channel,text,scheduled_at\n" + "".join(f"x,post {i},{when}\n" for i in range(n))


def test_an_import_over_the_size_or_row_cap_is_refused_whole(db):
    now = time.time()
    with pytest.raises(TooLarge, match="3 rows; the limit is 2"):
        import_csv(db, csv_rows(3), "UTC", EDDIE, now, max_bytes=10**6, max_rows=2)
    with pytest.raises(TooLarge, match="the limit is 0.0001 MB"):
        import_csv(db, csv_rows(3), "UTC", EDDIE, now, max_bytes=100, max_rows=10)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(scheduled_posts)).scalar_one() == 0
    assert import_csv(db, csv_rows(2), "UTC", EDDIE, now, max_bytes=10**6, max_rows=2) == 2


@pytest.mark.parametrize("status", ["overdue", "failed"])
def test_an_editor_cannot_reschedule_an_overdue_or_unknown_outcome_post_into_sending(db, status):
    now = time.time()
    when = datetime.fromtimestamp(now + 3600, tz=timezone.utc)
    post_id = posts.create(db, posts.NewPost("x", "Our statement", when, "ana"), ANA, now)
    reason = "outcome unknown: the publisher stopped while sending" if status == "failed" else "its time passed"
    with write(db) as conn:
        conn.execute(scheduled_posts.update().values(status=status, status_reason=reason, scheduled_at=int(now) - 60))
    later = datetime.fromtimestamp(now + 60, tz=timezone.utc)
    with pytest.raises(NotAllowed, match="needs the role lead"):
        posts.edit(db, post_id, EDDIE, now, text="Our statement", link="", scheduled_at=later)
    with db.connect() as conn:
        assert conn.execute(sa.select(scheduled_posts.c.status)).scalar_one() == status
    posts.edit(
        db, post_id, EDDIE, now, text="Our statement, corrected", link="", scheduled_at=when - timedelta(hours=3)
    )  # the text may change; the time stays past, so it still waits for a lead
    posts.edit(db, post_id, ANA, now, text="Our statement", link="", scheduled_at=later)  # a lead may
    with db.connect() as conn:
        assert conn.execute(sa.select(scheduled_posts.c.status)).scalar_one() == "scheduled"


def test_every_page_carries_the_frame_guard_and_a_local_favicon(drill_config, monkeypatch):
    from pages.common.frame import FAVICON, FRAME_GUARD

    path, _ = drill_config()
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/overview.py").run()
    assert FAVICON.is_file() and FAVICON.suffix == ".png"
    assert any(FRAME_GUARD.strip() in str(node.proto) for node in at.get("iframe")) or any(
        "window.top" in str(node.proto) for node in at.get("iframe")
    )
