"""Who is looking: the wall display's token link, a signed-in person (OIDC
through st.login, when .streamlit/secrets.toml has an [auth] section), or, in
local mode, the person at this machine. Anyone else sees why not, and nothing
of the dashboard."""

from __future__ import annotations

import ipaddress

import streamlit as st

from access import display, policy
from access.roles import Actor
from pages.common.context import AppContext
from pages.common.text import md_escape

LOCAL_MODE = "Local mode, no sign-in: this dashboard serves this machine only."


def auth_configured() -> bool:
    """Sign-in is on when st.secrets has an [auth] section (what st.login reads)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than answer
        return False


def client_ip() -> str | None:
    """The browser's address as the server sees it (None over loopback)."""
    ip = st.context.ip_address
    return ip if isinstance(ip, str) else None


def from_elsewhere(ip: str | None) -> bool:
    """Whether a connection comes from another machine."""
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return True
    mapped = getattr(address, "ipv4_mapped", None)
    return not (mapped or address).is_loopback


def _providers() -> list[str | None]:
    """None for a default provider ([auth] with client_id), else the named ones ([auth.NAME])."""
    section = st.secrets["auth"]
    named = [name for name in section if hasattr(section[name], "keys")]
    return [None] if "client_id" in section or not named else named


def _refuse(message: str, *, sign_out: bool = False) -> None:
    st.error(message, icon=":material/lock:")
    if sign_out:
        st.button("Sign out", on_click=st.logout, key="signin_out")
    st.stop()


def _sign_in_screen(title: str) -> None:
    st.title(title)
    st.write("Sign in with your company account to see the dashboard.")
    for provider in _providers():
        label = "Sign in" if provider is None else f"Sign in with {provider.capitalize()}"
        st.button(label, on_click=st.login, args=(provider,) if provider else (), key=f"signin_{provider}")
    st.stop()


def resolve(ctx: AppContext) -> Actor:
    """The actor for this run; stops the run with a clear refusal otherwise."""
    token = st.query_params.get("token")
    if token is not None:
        try:
            if display.matches(token):
                return policy.DISPLAY
        except display.DisplayTokenError as exc:
            _refuse(f"The display link cannot be checked: {exc}")
        _refuse("This display link is not valid: its token was rotated or mistyped. Ask a lead for the new link.")
    access = ctx.settings.access
    if not auth_configured():
        if from_elsewhere(client_ip()):
            _refuse(
                "Local mode serves this machine only. Open the dashboard on the machine that runs it, "
                "or configure sign-in ([auth] in .streamlit/secrets.toml) to serve others."
            )
        return policy.local(access)
    if not st.user.is_logged_in:
        _sign_in_screen(ctx.settings.app.title)
    email = str(st.user.get("email") or "")
    if not email or st.user.get("email_verified") is False:
        _refuse("Your identity provider did not confirm an e-mail address, so no role can be given.", sign_out=True)
    actor = policy.signed_in(email, access)
    if actor is None:
        _refuse(
            f"{md_escape(email, 120)} has no role in Crisis Desk. Ask an admin to add it to [access.roles] "
            "in config.toml.",
            sign_out=True,
        )
    return actor


def show_identity(actor: Actor) -> None:
    """One line on every page: who is signed in, or that this is local mode."""
    if not auth_configured():
        st.caption(LOCAL_MODE)
        return
    if actor.role == "display":
        return
    left, right = st.columns([6, 1])
    left.caption(f"Signed in as {md_escape(actor.name, 120)} · {actor.role}")
    right.button("Sign out", on_click=st.logout, key="signin_logout", type="tertiary")
