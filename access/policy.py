"""From a signed-in address (or this machine, in local mode) to an Actor."""

from __future__ import annotations

from access.roles import Actor
from settings.schema import AccessSettings


def role_for(email: str, access: AccessSettings) -> str | None:
    """The role config.toml gives this address: the address itself, else its
    @domain, else the default role; None when it has none."""
    address = email.strip().lower()
    if address in access.roles:
        return access.roles[address]
    domain = "@" + address.rpartition("@")[2]
    if "@" in address and domain in access.roles:
        return access.roles[domain]
    return access.default_role or None


def signed_in(email: str, access: AccessSettings) -> Actor | None:
    role = role_for(email, access)
    if role is None:
        return None
    return Actor(email.strip().lower(), role, role in access.internal_text_roles)


def local(access: AccessSettings) -> Actor:
    """Local mode: the one person at this machine."""
    return Actor("local user", access.local_role, access.local_role in access.internal_text_roles)


DISPLAY = Actor("wall display", "display")
