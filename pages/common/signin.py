"""Who is looking: the wall display's token link, a signed-in person (OIDC
through st.login, when .streamlit/secrets.toml has an [auth] section), or, in
local mode, the person at this machine. Anyone else sees why not, and nothing
of the dashboard."""

from __future__ import annotations

import ipaddress
from typing import NoReturn

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


LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def _host_name(value: str) -> str | None:
    """The host of a Host header ("name[:port]", "[v6]:port") or an Origin ("scheme://host[:port]")."""
    value = value.strip().lower()
    if "://" in value:
        value = value.split("://", 1)[1]
    value = value.split("/", 1)[0]
    if "@" in value:
        return None  # user-info has no place in a Host or an Origin
    if value.startswith("["):
        end = value.find("]")
        if end < 0 or (value[end + 1 :] and not value[end + 1 :].startswith(":")):
            return None
        host, port = value[: end + 1], value[end + 2 :]
    else:
        host, _, port = value.partition(":")
    if port and not port.isdigit():
        return None
    return host


def local_request_refusal(headers) -> str | None:
    """Why a request in local mode is not from this machine's own browser, or None.

    Only Host and Origin of localhost, 127.0.0.1 or [::1] (any port) are served:
    a DNS-rebinding page (a name that resolves to 127.0.0.1) sends its own name
    as Host and Origin, and a TCP port forward from another machine sends the
    name that machine used. No headers at all means no browser connection (a
    script run in tests); a real WebSocket always carries Host."""
    if not headers:
        return None
    host = headers.get("Host")
    if host is None or _host_name(host) not in LOCAL_HOSTS:
        return f"the address in the browser ({host or 'none'}) is not localhost, 127.0.0.1 or [::1]"
    origin = headers.get("Origin")
    if origin is not None and _host_name(origin) not in LOCAL_HOSTS:
        return f"the page that opened this connection ({origin}) is not on localhost, 127.0.0.1 or [::1]"
    return None


def request_headers():
    """The headers of this session's WebSocket request (empty without a browser)."""
    return st.context.headers


def _providers() -> list[str | None]:
    """None for a default provider ([auth] with client_id), else the named ones ([auth.NAME])."""
    section = st.secrets["auth"]
    named = [name for name in section if hasattr(section[name], "keys")]
    return [None] if "client_id" in section or not named else named


def _refuse(message: str, *, sign_out: bool = False) -> NoReturn:
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


def email_verified(claims: dict, optional_for: list[str]) -> bool:
    """Whether the signed-in address counts as verified: the claim must be
    true (a JSON true, or the string "true" some providers send), unless the
    provider is listed in [access] email_verified_optional and sent no claim."""
    claim = claims.get("email_verified")
    if claim is True or (isinstance(claim, str) and claim.strip().lower() == "true"):
        return True
    provider = str(claims.get("provider") or "default")
    return claim is None and provider in optional_for


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
        why = "it comes from another machine" if from_elsewhere(client_ip()) else None
        why = why or local_request_refusal(request_headers())
        if why:
            _refuse(
                f"Local mode serves this machine only, at http://localhost, http://127.0.0.1 or http://[::1], "
                f"and this request is refused: {md_escape(why, 300)}. Open the dashboard on the machine that runs "
                "it, or configure sign-in ([auth] in .streamlit/secrets.toml) to serve others."
            )
        return policy.local(access)
    if not st.user.is_logged_in:
        _sign_in_screen(ctx.settings.app.title)
    email = str(st.user.get("email") or "")
    if not email or not email_verified(dict(st.user.to_dict()), access.email_verified_optional):
        _refuse("Your identity provider did not confirm an e-mail address, so no role can be given.", sign_out=True)
    actor = policy.signed_in(email, access)
    if actor is None:
        _refuse(
            f"{md_escape(email, 120)} has no role in Crisis Desk. Ask an admin to add it to [access.roles] "
            "in config.toml.",
            sign_out=True,
        )
    return actor


def recheck_display_link() -> None:
    """For a page part that refreshes by itself (the wall's fragment): a display
    link whose token has been rotated away (or made invalid) ends here. The whole
    page reruns, and resolve() then shows the refusal instead of the data."""
    token = st.query_params.get("token")
    if token is None:
        return
    try:
        still_valid = display.matches(token)
    except display.DisplayTokenError:
        still_valid = False
    if not still_valid:
        st.rerun()


def show_identity(actor: Actor, *, kiosk: bool = False) -> None:
    """One line on every page: who is signed in, or that this is local mode.
    Not on the wall TV (kiosk): the room needs the picture, not who is looking."""
    if kiosk or actor.role == "display":
        return
    if not auth_configured():
        st.caption(LOCAL_MODE)
        return
    left, right = st.columns([6, 1])
    left.caption(f"Signed in as {md_escape(actor.name, 120)} · {actor.role}")
    right.button("Sign out", on_click=st.logout, key="signin_logout", type="tertiary")
