"""Who sees what, through the app as a browser gets it (AppTest): sign-in,
roles from config.toml, local mode, the wall display's token link, and
internal messages' text by role."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from streamlit.testing.v1 import AppTest

from access import policy
from model.score import Score
from pages.common import signin
from pages.common.frame import PAGES, pages_for
from store import audit
from store.connection import write
from store.ingest import store_messages
from tests.actors import ANA
from tests.conftest import ROOT, message
from worker.service import open_store

AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "cookie-secret-for-tests-only-0123456789",
        "client_id": "crisis-desk",
        "client_secret": "client-secret-for-tests-only",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
}
ROLES = """
[access]
internal_text_roles = ["lead", "admin"]
[access.roles]
"lead@tidewell.example" = "lead"
"@tidewell.example" = "viewer"
"""
TOKEN = "display-token-for-tests-0123456789-abcdefgh"
STAFF_TEXT = "Honestly worried about the leak, our team was told nothing"


@pytest.fixture
def app(drill_config, monkeypatch):
    """An AppTest factory on a drill store holding one external and one internal message."""
    path, settings = drill_config(ROLES)
    db = open_store(settings)
    now = time.time()
    with write(db) as conn:
        batch = [
            message("x1", "The camera app leaks clips", at=now - 120),
            message("s1", STAFF_TEXT, source="slack", channel="#general", author="staff-3f2a", at=now - 60),
        ]
        store_messages(conn, batch, [Score("negative", 0.9)] * 2, ("t", "1"), now)
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    monkeypatch.setenv("CRISISDESK_DISPLAY_TOKEN", TOKEN)

    def make(page: str | None = None, email: str | None = None, *, sign_in: bool = True, **query) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        if sign_in:
            at.secrets = AUTH
            at.user = {"is_logged_in": email is not None, "email": email, "email_verified": True}
        for key, value in query.items():
            at.query_params[key] = value
        at.run() if page is None else at.switch_page(page).run()
        assert not at.exception, at.exception
        return at

    make.db = db
    return make


def everything(at: AppTest) -> str:
    parts = [
        e.value for kind in ("markdown", "caption", "text", "header", "subheader", "error") for e in getattr(at, kind)
    ]
    parts += [df.value.to_string() for df in at.dataframe]
    return "\n".join(str(p) for p in parts)


def test_without_sign_in_nothing_but_the_sign_in_button_shows(app):
    at = app(None, None)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.header and not at.metric and not at.dataframe
    assert "Overview" not in everything(at)


def test_named_providers_get_one_button_each(app, monkeypatch):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets = {
        "auth": {"redirect_uri": "x", "cookie_secret": "y", "google": {"client_id": "g"}, "okta": {"client_id": "o"}}
    }
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Sign in with Google", "Sign in with Okta"]


def test_an_address_without_a_role_is_refused_with_a_way_to_sign_out(app):
    at = app(None, "eve@elsewhere.example")
    assert "has no role in Crisis Desk" in at.error[0].value
    assert [b.label for b in at.button] == ["Sign out"]
    assert not at.dataframe and not at.metric


def test_a_viewer_reads_pages_but_not_the_audit_log_and_sees_who_they_are(app):
    at = app("pages/overview.py", "vic@tidewell.example")
    assert at.header[0].value == "Overview"
    assert any("Signed in as vic@tidewell\\.example · viewer" in c.value.replace("\u2060", "") for c in at.caption)
    assert "Sign out" in [b.label for b in at.button]
    # Requested directly (Streamlit's pages/ mode, before app.py has run): the page refuses.
    direct = app("pages/audit.py", "vic@tidewell.example")
    assert "needs the role lead or higher; you are viewer" in direct.error[0].value
    assert not direct.header and not direct.dataframe
    # Through app.py: not in a viewer's navigation at all.
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app(None, "vic@tidewell.example").switch_page("pages/audit.py")


def test_a_viewers_buttons_for_actions_are_disabled_with_the_reason(app):
    at = app("pages/posts.py", "vic@tidewell.example")
    pause_button = next(b for b in at.button if b.label == "Pause all publishing")
    assert pause_button.disabled and "Needs the role editor" in pause_button.help
    assert "open to leads and admins" in everything(at)


def test_internal_message_text_only_for_roles_allowed_in_config(app):
    viewer = everything(app("pages/mentions.py", "vic@tidewell.example"))
    assert "The camera app leaks clips" in viewer and STAFF_TEXT not in viewer
    lead = everything(app("pages/mentions.py", "lead@tidewell.example"))
    assert STAFF_TEXT in lead
    review = everything(app("pages/sentiment.py", "vic@tidewell.example"))
    assert STAFF_TEXT not in review
    wall = everything(app("pages/wall.py", "lead@tidewell.example", view="wall"))
    assert STAFF_TEXT not in wall  # a shared screen: internal mood as aggregates only


def test_the_audit_page_lists_filters_and_exports_for_a_lead(app):
    from publishing import pause, posts

    pause.pause(app.db, ANA, "tragedy in the industry", time.time())
    soon = datetime.fromtimestamp(time.time() + 3600, tz=timezone.utc)
    posts.create(app.db, posts.NewPost("x", "Winter sale", soon, "social"), ANA, time.time())
    at = app("pages/audit.py", "lead@tidewell.example")
    assert at.header[0].value == "Audit log"
    table = at.dataframe[0].value
    assert ("ana", "publishing.pause", "tragedy in the industry") in set(
        zip(table["who"], table["action"], table["why"])
    )
    at.multiselect(key="audit_kinds").select("post").run()
    assert "publishing.pause" not in set(at.dataframe[0].value["action"])
    at.button(key="audit_prepare").click().run()
    assert at.get("download_button")  # offered once asked for
    total, rows = audit.search(app.db, audit.AuditFilter(0, time.time() + 1, kinds=["publishing"]), 10)
    assert total == 1 and rows["reason"].iloc[0] == "tragedy in the industry"


def test_the_display_token_grants_the_wall_and_nothing_else(app):
    at = app(None, None, token=TOKEN, view="wall")
    assert "Sign in" not in [b.label for b in at.button]
    assert "Widest-reaching negative posts, last hour" in [s.value for s in at.subheader]  # the wall, drawn
    with pytest.raises(ValueError, match=r"Known pages: \['.*pages/wall.py'\]"):
        at.switch_page("pages/overview.py")  # the display's navigation holds the wall only
    direct = app("pages/overview.py", None, token=TOKEN)  # asked for directly, before app.py ran
    assert "needs the role viewer or higher; you are display" in direct.error[0].value
    assert not direct.header and not direct.metric
    assert [spec.url_path for spec in pages_for(policy.DISPLAY)] == ["wall"]


def test_a_rotated_or_wrong_token_is_refused(app):
    at = app(None, None, token="display-token-that-was-rotated-away-0123456789", view="wall")
    assert "display link is not valid" in at.error[0].value
    assert not at.metric and not at.dataframe


def test_a_short_display_token_is_a_configuration_error(app, monkeypatch):
    monkeypatch.setenv("CRISISDESK_DISPLAY_TOKEN", "short")
    at = app(None, None, token="short", view="wall")
    assert "at least 32 characters" in at.error[0].value and not at.metric


def test_local_mode_says_so_on_every_page(app):
    for spec in PAGES:
        at = app(spec.path, sign_in=False)
        assert signin.LOCAL_MODE in [c.value for c in at.caption], spec.url_path


def test_local_mode_line_is_not_on_the_wall_tv(app):
    at = app("pages/wall.py", sign_in=False, view="wall")
    assert at.metric  # the wall itself is there
    assert not any("Local mode" in c.value for c in at.caption)


def test_local_mode_refuses_another_machine(app, monkeypatch):
    monkeypatch.setattr(signin, "client_ip", lambda: "203.0.113.9")
    at = app("pages/overview.py", sign_in=False)
    assert "Local mode serves this machine only" in at.error[0].value
    assert not at.header and not at.metric


@pytest.mark.parametrize(
    "ip,elsewhere",
    [
        (None, False),
        ("127.0.0.1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("10.0.0.5", True),
        ("bogus", True),
    ],
)
def test_what_counts_as_this_machine(ip, elsewhere):
    assert signin.from_elsewhere(ip) is elsewhere
