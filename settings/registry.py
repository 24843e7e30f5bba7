"""The source registry: what each kind of source is, in one place.

Per kind: the config.toml section that configures it, the secrets it needs
(environment variable, or table and key in .streamlit/secrets.toml), the
`source` its messages carry, whether those messages are internal (staff
talking: their text only for roles in [access] internal_text_roles), and the
function that builds its monitors from the settings.

This module sits at the bottom of the layers (standard library only) so that
store/, crisis/ and pages may ask "is this source internal?" without
importing monitors/ or worker/. The builder is named as "module:function"
and imported only by the worker (worker.sources.build_monitors), never here.

Adding a source kind (mastodon, bluesky, reddit, teams): one `register(...)`
line below and its builder in worker/sources.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Secret:
    env: str  # the environment variable
    table: str  # ... or [table] key in .streamlit/secrets.toml
    key: str

    def hint(self) -> str:
        return f"{self.env} (environment, or [{self.table}] {self.key} in .streamlit/secrets.toml)"


@dataclass(frozen=True)
class SourceKind:
    kind: str  # "x", "slack", "feeds", "drill", ...
    section: str  # its config.toml section, e.g. "sources.x"
    builder: str  # "module:function" taking (settings) and returning a list of monitors
    message_source: str | None  # the `source` of the messages it stores; None: the data says (drill replay)
    internal: bool = False  # staff text: shown only to roles allowed to read internal text
    secrets: tuple[Secret, ...] = ()
    monitor_prefix: str = ""  # monitors named "<prefix><name>" (feeds); "" = the monitor is named as the kind

    def missing_hint(self) -> str:
        """What to set when its secrets are missing, in words for the Sources page."""
        return "set " + " and ".join(s.hint() for s in self.secrets)


KINDS: dict[str, SourceKind] = {}


def register(kind: SourceKind) -> SourceKind:
    if kind.kind in KINDS:
        raise ValueError(f"source kind {kind.kind!r} is already registered")
    KINDS[kind.kind] = kind
    return kind


def unregister(kind: str) -> None:
    """Tests only: take a kind registered for the test away again."""
    KINDS.pop(kind, None)


register(
    SourceKind(
        "x",
        "sources.x",
        "worker.sources:build_x",
        message_source="x",
        secrets=(Secret("X_BEARER_TOKEN", "x", "bearer_token"),),
    )
)
register(
    SourceKind(
        "slack",
        "sources.slack",
        "worker.sources:build_slack",
        message_source="slack",
        internal=True,
        secrets=(Secret("SLACK_BOT_TOKEN", "slack", "bot_token"),),
    )
)
register(
    SourceKind("feeds", "sources.feeds", "worker.sources:build_feeds", message_source="news", monitor_prefix="feed:")
)
register(
    SourceKind(
        "mastodon",
        "sources.mastodon",
        "worker.sources:build_mastodon",
        message_source="mastodon",
        secrets=(Secret("MASTODON_ACCESS_TOKEN", "mastodon", "access_token"),),
    )
)
register(
    SourceKind(
        "bluesky",
        "sources.bluesky",
        "worker.sources:build_bluesky",
        message_source="bluesky",
        secrets=(Secret("BLUESKY_APP_PASSWORD", "bluesky", "app_password"),),
    )
)
register(
    SourceKind(
        "reddit",
        "sources.reddit",
        "worker.sources:build_reddit",
        message_source="reddit",
        secrets=(
            Secret("REDDIT_CLIENT_ID", "reddit", "client_id"),
            Secret("REDDIT_CLIENT_SECRET", "reddit", "client_secret"),
        ),
    )
)
register(
    SourceKind(
        "teams",
        "sources.teams",
        "worker.sources:build_teams",
        message_source="teams",
        internal=True,
        secrets=(Secret("TEAMS_CLIENT_SECRET", "teams", "client_secret"),),
    )
)
# Drills replay messages of any source; whether each is internal follows its own source.
register(SourceKind("drill", "drill", "worker.sources:build_drill", message_source=None))


def internal_sources() -> tuple[str, ...]:
    """The message sources whose text is internal, as store queries filter them."""
    return tuple(sorted({k.message_source for k in KINDS.values() if k.internal and k.message_source}))


def kind_of_monitor(monitor_name: str) -> SourceKind | None:
    """The kind behind a monitor name ("slack", "feed:ledger", "drill"), or None."""
    if monitor_name in KINDS and not KINDS[monitor_name].monitor_prefix:
        return KINDS[monitor_name]
    for kind in KINDS.values():
        if kind.monitor_prefix and monitor_name.startswith(kind.monitor_prefix):
            return kind
    return None


def monitor_is_internal(monitor_name: str) -> bool:
    """Does what this monitor reads carry staff text (its quarantined raw items too)?"""
    kind = kind_of_monitor(monitor_name)
    return kind is not None and kind.internal
