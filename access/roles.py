"""Who may do what: five roles in one order, and the smallest role each
action needs. Every action function calls `require` itself, so a request
that bypasses the page (a crafted rerun, a script) is refused the same way.

display  reads the wall display only (the TV's token link)
viewer   reads the dashboard; internal messages as aggregates only
editor   triages, corrects labels, edits posts, pauses publishing, edits the FAQ
lead     approves and publishes answers, declares incidents and crisis levels,
         resumes publishing, publishes posts now, dismisses a proposal to hold
         posts, runs the team and drills, reads the audit log
admin    everything a lead may do (roles themselves live in config.toml)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from model.roles import ROLES

log = logging.getLogger("crisisdesk.access")


class Permission(Enum):
    """An action, and the smallest role that may take it."""

    READ_WALL = ("read the wall display", "display")
    READ = ("read the dashboard", "viewer")
    TRIAGE = ("triage mentions", "editor")
    CORRECT_LABELS = ("correct sentiment labels", "editor")
    EDIT_POSTS = ("change scheduled posts", "editor")
    PAUSE_PUBLISHING = ("pause all publishing", "editor")
    EDIT_RECORD = ("change the incident record", "editor")
    KEY_ACCOUNTS = ("change the key accounts", "editor")
    ALERT_FEEDBACK = ("mark alerts and missed crises", "editor")
    PUBLISH_NOW = ("publish a post now", "lead")
    RESUME_PUBLISHING = ("resume publishing", "lead")
    DISMISS_HOLD = ("dismiss a proposal to hold posts", "lead")
    APPROVE_ANSWERS = ("approve FAQ answers", "lead")
    PUBLISH_FAQ = ("publish the FAQ to Slack", "lead")
    DECLARE_INCIDENT = ("declare or resolve an incident", "lead")
    SET_CRISIS_LEVEL = ("declare or stand down a crisis level", "lead")
    MANAGE_TEAM = ("change the roster and who is on duty", "lead")
    RUN_DRILL = ("start a drill", "lead")
    READ_AUDIT = ("read the audit log", "lead")
    RETRAIN_ENGINE = ("retrain the sentiment engine from corrections and rescore", "lead")

    def __init__(self, what: str, min_role: str) -> None:
        self.what = what
        self.min_role = min_role


class NotAllowed(PermissionError):
    """An action refused for the acting person's role."""


@dataclass(frozen=True)
class Actor:
    """The person (or display) taking an action: their name for the records,
    their role, and whether their role may read internal messages' text."""

    name: str
    role: str
    reads_internal_text: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {self.role!r}")
        if not self.name.strip():
            raise ValueError("an actor needs a name for the records")

    def may(self, permission: Permission) -> bool:
        return ROLES.index(self.role) >= ROLES.index(permission.min_role)


def require(actor: Actor, permission: Permission) -> None:
    """Raise NotAllowed unless `actor` may take `permission`."""
    if not actor.may(permission):
        refusal = f"{permission.what} needs the role {permission.min_role} or higher; {actor.name} is {actor.role}"
        log.warning("refused: %s", refusal)  # a page hides such buttons: this is a bypass or a stale page
        raise NotAllowed(refusal)
