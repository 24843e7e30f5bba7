"""Sign-in through st.login's real OpenID Connect flow, in the real browser,
against a fake provider on loopback: the signed-in address gets the role
config.toml gives it, and signing out ends it."""

from __future__ import annotations

from tests.browser import browser_page, free_port, require_chromium, streamlit_server
from tests.fake_oidc import FakeOidc

ROLES = '[access.roles]\n"lead@tidewell.example" = "lead"\n'


def test_signing_in_with_the_identity_provider_gives_the_configured_role(drill_config, tmp_path):
    require_chromium()
    path, _ = drill_config(ROLES)
    port = free_port()
    idp = FakeOidc("lead@tidewell.example", "crisis-desk")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "cookie-secret-for-the-browser-test-0123456789"\n'
        'client_id = "crisis-desk"\n'
        'client_secret = "client-secret-for-the-browser-test"\n'
        f'server_metadata_url = "{idp.url}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    try:
        with (
            streamlit_server(
                path, tmp_path / "streamlit.log", args=["--secrets.files", str(secrets)], port=port
            ) as url,
            browser_page() as page,
        ):
            page.goto(url + "/overview")
            page.get_by_role("button", name="Sign in").click(timeout=60_000)
            page.get_by_text("Signed in as lead@").wait_for(timeout=60_000)
            assert "· lead" in page.get_by_text("Signed in as lead@").inner_text()
            assert "/token" in [r["path"] for r in idp.requests]  # the code was exchanged for a signed id_token
            page.goto(url + "/audit")  # a lead's page
            page.get_by_role("heading", name="Audit log").wait_for(timeout=60_000)
            page.get_by_role("button", name="Sign out").click()
            page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    finally:
        idp.close()
