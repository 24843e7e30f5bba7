"""The shape of config.toml. Every key is documented in config.toml itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from model.roles import PersonRole

ROOT = Path(__file__).resolve().parent.parent


class _Section(BaseModel):
    # A misspelt key is an error, not a silently ignored line.
    model_config = ConfigDict(extra="forbid", frozen=True)


AppMode = Literal["drill", "live"]
AutoHold = Literal["drill", "always", "never"]


class AppSettings(_Section):
    title: str = Field("Crisis Desk", min_length=1)
    timezone: str = "UTC"
    mode: AppMode = "drill"
    data_dir: Path = Path("data")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Europe/Amsterdam'") from None
        return value


class StoreSettings(_Section):
    url: str | None = None
    drill_url: str | None = None
    retain_text_days: float = Field(0, ge=0)


class RunnerSettings(_Section):
    in_app: bool = True
    batch_size: int = Field(256, ge=1, le=100_000)
    lease_s: float = Field(60.0, gt=0)
    backoff_base_s: float = Field(5.0, gt=0)
    backoff_max_s: float = Field(600.0, gt=0)
    interval_jitter: float = Field(0.1, ge=0, le=1)
    poll_deadline_s: float = Field(30.0, gt=0)
    client_timeout_s: float = Field(10.0, gt=0)

    @model_validator(mode="after")
    def _deadline_within_lease(self):
        # A poll past its deadline is abandoned; its source's lease must still be
        # this runner's then, so no other runner polls it meanwhile.
        if self.poll_deadline_s >= self.lease_s:
            raise ValueError(
                f"poll_deadline_s ({self.poll_deadline_s:g}) must be less than lease_s ({self.lease_s:g}): "
                "a poll must end (or be abandoned) while its source is still leased to this runner"
            )
        if self.client_timeout_s > self.poll_deadline_s:
            raise ValueError(
                f"client_timeout_s ({self.client_timeout_s:g}) must not exceed poll_deadline_s "
                f"({self.poll_deadline_s:g}): a request would always outlive its poll"
            )
        return self


SentimentLabel = Literal["negative", "neutral", "positive"]


class SentimentSettings(_Section):
    engine: Literal["auto", "transformer", "minilm-ft", "minilm-ft-fast", "minilm", "vader"] = "auto"
    model: str = "cardiffnlp/twitter-roberta-base-sentiment-latest"
    revision: str = ""
    download: bool = False
    device: str = ""
    batch_size: int = Field(32, ge=1, le=4096)
    max_length: int = Field(128, ge=8, le=4096)
    threads: int = Field(0, ge=0, le=256)
    runtime: Literal["auto", "torch", "onnx", "onnx-int8"] = "auto"
    languages: list[str] = ["en"]
    multilingual_model: str = "cardiffnlp/twitter-xlm-roberta-base-sentiment"
    rules: dict[str, SentimentLabel] = {}

    @field_validator("rules")
    @classmethod
    def _phrases_not_empty(cls, value: dict[str, str]) -> dict[str, str]:
        if any(not phrase.strip() for phrase in value):
            raise ValueError("a rule's phrase must not be empty")
        return value


class XSource(_Section):
    enabled: bool = False
    query: str = ""
    lang: str = ""
    interval_s: float = Field(60, ge=10)
    max_pages: int = Field(5, ge=1, le=50)
    daily_read_cap: int = Field(10_000, ge=1)
    usd_per_1000_reads: float = Field(0.0, ge=0)
    # Day of the month the project's monthly post cap resets; 0 = ask X's usage endpoint.
    cap_reset_day: int = Field(0, ge=0, le=31)
    timeout_s: float = Field(10, gt=0, le=120)

    @model_validator(mode="after")
    def _query_when_enabled(self):
        if self.enabled and not self.query.strip():
            raise ValueError("query: set a search query, e.g. 'yourbrand OR @yourbrand -is:retweet'")
        return self


class SlackSource(_Section):
    enabled: bool = False
    channels: list[str] = []
    interval_s: float = Field(60, ge=5)
    thread_window_h: float = Field(168, gt=0)
    thread_check_min: float = Field(5, ge=1)
    backfill_h: float = Field(24, gt=0, le=2160)
    max_calls_per_poll: int = Field(50, ge=5, le=1000)
    timeout_s: float = Field(10, gt=0, le=120)
    base_url: str = "https://slack.com/api/"

    @model_validator(mode="after")
    def _channels_when_enabled(self):
        if self.enabled and not self.channels:
            raise ValueError('channels: name at least one channel, e.g. ["general"]')
        return self


class MastodonSource(_Section):
    enabled: bool = False
    # The instance whose API is read (yours, or a large public one).
    base_url: str = Field("https://mastodon.social", pattern=r"^https?://[^/@?#\s]+/?$")
    hashtags: list[str] = []
    query: str = ""
    list_id: str = Field("", pattern=r"^[0-9]*$")
    local_only: bool = False
    interval_s: float = Field(60, ge=10)
    max_pages: int = Field(5, ge=1, le=50)
    timeout_s: float = Field(20, gt=0, le=300)

    @field_validator("hashtags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        tags = [tag.strip().removeprefix("#") for tag in value]
        bad = [tag for tag in tags if not re.fullmatch(r"\w{1,100}", tag)]
        if bad:
            raise ValueError(f"a hashtag is letters, digits and _ only (a leading # is fine), got {bad}")
        return list(dict.fromkeys(tags))

    @model_validator(mode="after")
    def _something_to_read(self):
        if self.enabled and not (self.hashtags or self.query.strip() or self.list_id):
            raise ValueError('set hashtags (e.g. ["tidewell"]), a search query, or a list_id')
        return self


class BlueskySource(_Section):
    enabled: bool = False
    # The account's server (PDS) that signs in with the app password; it forwards the search to Bluesky's AppView.
    base_url: str = Field("https://bsky.social", pattern=r"^https?://[^/@?#\s]+/?$")
    # The account the app password belongs to (e.g. "tidewell-desk.bsky.social"); not a secret.
    handle: str = ""
    query: str = ""
    lang: str = ""
    interval_s: float = Field(60, ge=10)
    max_pages: int = Field(5, ge=1, le=50)
    timeout_s: float = Field(20, gt=0, le=300)

    @model_validator(mode="after")
    def _query_when_enabled(self):
        if self.enabled and not self.query.strip():
            raise ValueError("query: set a search query, e.g. 'tidewell'")
        return self


class RedditSource(_Section):
    enabled: bool = False
    # Subreddits whose new posts are read, without r/ (e.g. ["tidewell", "homesecurity"]).
    subreddits: list[str] = []
    # A search across Reddit (newest first); "" = none.
    query: str = ""
    interval_s: float = Field(120, ge=10)
    max_pages: int = Field(3, ge=1, le=10)
    timeout_s: float = Field(20, gt=0, le=300)
    # Reddit's OAuth server and API (change only for a proxy or a test server).
    reddit_url: str = Field("https://www.reddit.com", pattern=r"^https?://[^/@?#\s]+/?$")
    oauth_url: str = Field("https://oauth.reddit.com", pattern=r"^https?://[^/@?#\s]+/?$")

    @field_validator("subreddits")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        names = [name.strip().removeprefix("/").removeprefix("r/") for name in value]
        bad = [name for name in names if not re.fullmatch(r"[A-Za-z0-9_]{2,21}", name)]
        if bad:
            raise ValueError(f"a subreddit name is 2-21 letters, digits or _ (an r/ in front is fine), got {bad}")
        return list(dict.fromkeys(names))

    @model_validator(mode="after")
    def _something_to_read(self):
        if self.enabled and not (self.subreddits or self.query.strip()):
            raise ValueError('set subreddits (e.g. ["tidewell"]) or a search query')
        return self


class TeamsSource(_Section):
    enabled: bool = False
    # The Entra (Azure AD) tenant and the app registration that reads (application permission
    # ChannelMessage.Read.All); its secret comes from TEAMS_CLIENT_SECRET or secrets.toml [teams].
    tenant_id: str = Field("", pattern=r"^[A-Za-z0-9.-]*$")
    client_id: str = Field("", pattern=r"^[A-Za-z0-9-]*$")
    # Channels as "team-id/channel-id" (Teams: a channel's "Get link to channel" holds both).
    channels: list[str] = []
    interval_s: float = Field(60, ge=10)
    max_pages: int = Field(5, ge=1, le=50)
    backfill_h: float = Field(24, gt=0, le=24 * 8)
    thread_window_h: float = Field(24, gt=0)
    timeout_s: float = Field(20, gt=0, le=300)
    # The sign-in server and Graph (change only for a national cloud, a proxy or a test server).
    authority_url: str = Field("https://login.microsoftonline.com", pattern=r"^https://[^@?#\s]+$")
    graph_url: str = Field("https://graph.microsoft.com/v1.0", pattern=r"^https?://[^@?#\s]+$")

    @field_validator("channels")
    @classmethod
    def _pairs(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if not re.fullmatch(r"[^/\s]+/[^/\s]+", c.strip())]
        if bad:
            raise ValueError(f'a channel is "team-id/channel-id", got {bad}')
        return list(dict.fromkeys(c.strip() for c in value))

    @model_validator(mode="after")
    def _complete_when_enabled(self):
        if self.enabled and not self.channels:
            raise ValueError('channels: name at least one "team-id/channel-id"')
        if self.enabled and not (self.tenant_id and self.client_id):
            raise ValueError("tenant_id and client_id: the app registration that reads the channels")
        return self


# Query parameters that carry a credential: they belong in secrets.toml ([feeds.NAME] query), not here.
_CREDENTIAL_PARAM = re.compile(
    r"(?i)^(api[_-]?key|apikey|access[_-]?token|token|auth|password|passwd|secret|sig|signature)$"
)


class FeedSource(_Section):
    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")
    url: str = Field(pattern=r"^https?://")
    reach: int = Field(0, ge=0)
    interval_s: float = Field(300, ge=30)
    # Names [feeds.NAME] in .streamlit/secrets.toml (username/password, headers, query); "" = none.
    auth: str = Field("", max_length=40, pattern=r"^[a-z0-9_-]*$")
    timeout_s: float = Field(20, gt=0, le=300)
    deadline_s: float = Field(60, gt=0, le=600)

    @field_validator("url")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        parts = urlsplit(value)
        hint = 'put credentials in .streamlit/secrets.toml as [feeds.NAME] and set auth = "NAME"'
        if "@" in parts.netloc:
            raise ValueError(f"the URL holds a user name or password; {hint}")
        named = [key for key, _ in parse_qsl(parts.query, keep_blank_values=True) if _CREDENTIAL_PARAM.match(key)]
        if named:
            raise ValueError(f"the URL's query holds a credential ({', '.join(named)}); {hint}")
        return value


class SourcesSettings(_Section):
    x: XSource = XSource()
    slack: SlackSource = SlackSource()
    mastodon: MastodonSource = MastodonSource()
    bluesky: BlueskySource = BlueskySource()
    reddit: RedditSource = RedditSource()
    teams: TeamsSource = TeamsSource()
    feeds: list[FeedSource] = []

    @field_validator("feeds")
    @classmethod
    def _unique_names(cls, feeds: list[FeedSource]) -> list[FeedSource]:
        names = [f.name for f in feeds]
        if len(set(names)) != len(names):
            raise ValueError(f"feed names must be unique, got {names}")
        return feeds


class DetectionSettings(_Section):
    sensitivity: Literal["low", "medium", "high"] = "medium"


class NotifySettings(_Section):
    enabled: bool = True
    slack_base_url: str = "https://slack.com/api/"
    crisis_team_channel: str = ""
    executives_channel: str = ""
    staff_channel: str = ""
    internal_comms_channel: str = ""
    digest_active_min: float = Field(30, gt=0)
    digest_calm_h: float = Field(24, gt=0)


Audience = Literal["crisis_team", "executives", "internal_comms", "on_duty"]
_ROUTE = re.compile(r"^(slack:[#@]?[\w.-]{1,80}|teams:[a-z0-9_-]{1,40}|webhook:[a-z0-9_-]{1,40}|email:.+)$")
_ADDRESS = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


class SmtpSettings(_Section):
    """The mail server alerts are sent through; its password comes from SMTP_PASSWORD or [smtp] password."""

    host: str = ""
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""
    sender: str = ""
    timeout_s: float = Field(20, gt=0, le=300)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if value and not _ADDRESS.match(value.strip()):
            raise ValueError(f"sender must be an e-mail address, got {value!r}")
        return value.strip()


class BriefSchedule(_Section):
    """The executive brief sent at set times while the level is above normal."""

    times: list[str] = []  # "HH:MM" in [app] timezone
    channels: list[str] = []  # route entries: "email:...", "teams:NAME", "webhook:NAME", "slack:#channel"

    @field_validator("times")
    @classmethod
    def _times(cls, value: list[str]) -> list[str]:
        bad = [t for t in value if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", t)]
        if bad:
            raise ValueError(f'times are "HH:MM" (24 h), got {bad}')
        return sorted(set(value))

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        return [_check_route(entry) for entry in value]


def _check_route(entry: str) -> str:
    entry = entry.strip()
    if not _ROUTE.match(entry):
        raise ValueError(
            f'{entry!r} is not a channel: use "slack:#channel", "teams:NAME", "webhook:NAME" or "email:ADDRESS"'
        )
    if entry.startswith("email:"):
        addresses = [a.strip() for a in entry[6:].split(",")]
        bad = [a for a in addresses if a != "on-duty" and not _ADDRESS.match(a)]
        if bad:
            raise ValueError(f'{entry!r}: not e-mail addresses: {bad} ("on-duty" = the on-duty person\'s contact)')
    return entry


class DeliverySettings(_Section):
    enabled: bool = True
    routes: dict[Audience, list[str]] = {}
    max_attempts: int = Field(6, ge=1, le=50)
    retry_base_s: float = Field(30, gt=0)
    # The dashboard's address as people open it (for acknowledge links), e.g. "https://crisis.tidewell.example".
    base_url: str = Field("", pattern=r"^(https?://[^\s?#]+)?$")
    # A level alert paged to the person on duty escalates when nobody acknowledges it in this many minutes.
    ack_minutes: float = Field(10, gt=0, le=24 * 60)
    # How long an acknowledge link works.
    ack_link_h: float = Field(24, gt=0, le=24 * 7)
    smtp: SmtpSettings = SmtpSettings()
    briefs: BriefSchedule = BriefSchedule()

    @field_validator("routes")
    @classmethod
    def _entries(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {audience: [_check_route(entry) for entry in entries] for audience, entries in value.items()}

    @model_validator(mode="after")
    def _smtp_when_email(self):
        misplaced = [
            e
            for audience, es in [*self.routes.items(), ("briefs", self.briefs.channels)]
            if audience != "on_duty"
            for e in es
            if e.startswith("email:") and "on-duty" in e[6:].split(",")
        ]
        if misplaced:
            raise ValueError(f'"email:on-duty" belongs in the on_duty route only, got {misplaced}')
        entries = [e for es in self.routes.values() for e in es] + self.briefs.channels
        if any(e.startswith("email:") for e in entries) and not (self.smtp.host and self.smtp.sender):
            raise ValueError("e-mail routes need [delivery.smtp] host and sender")
        if self.briefs.times and not self.briefs.channels:
            raise ValueError("briefs: times are set but no channels to send the brief to")
        return self


class PublishingSettings(_Section):
    review_days: float = Field(7, gt=0, le=90)
    max_lateness_min: float = Field(10, gt=0)
    import_max_mb: int = Field(1, ge=1, le=50)
    import_max_rows: int = Field(2000, ge=1, le=100_000)
    # Hold every post that falls due while the level is CRISIS: in drills only
    # ("drill", the default), in drills and live ("always"), or never.
    auto_hold_in_crisis: AutoHold = "drill"
    sensitive_terms: list[str] = [
        "disaster",
        "death",
        "dead",
        "died",
        "attack",
        "crash",
        "tragedy",
        "victims",
        "shooting",
        "killer deal",
        "explosive",
        "to die for",
        "blow",
        "fire sale",
    ]


class DrillSettings(_Section):
    scenario: Path = Path("scenarios/tidewell-camera-leak.jsonl")
    speed: float = Field(1.0, gt=0, le=1000)
    poll_interval_s: float = Field(5.0, gt=0)


class WallSettings(_Section):
    refresh_s: float = Field(5.0, ge=1)
    window_h: float = Field(6.0, gt=0, le=168)
    latest_messages: int = Field(15, ge=1, le=200)
    top_negative: int = Field(8, ge=1, le=50)
    reload_h: float = Field(6, gt=0, le=168)
    new_for_min: float = Field(5, ge=0, le=1440)


class BrandSettings(_Section):
    """The company's own accounts: kept out of the wall's widest-reaching negative posts."""

    own_accounts: list[str] = []

    @field_validator("own_accounts")
    @classmethod
    def _handles(cls, value: list[str]) -> list[str]:
        cleaned = []
        for name in value:
            handle = own_account_key(name)
            if not handle or any(ch.isspace() for ch in handle):
                raise ValueError(
                    f"{name!r} is not an account name: use the author as the source shows it, e.g. '@yourbrand'"
                )
            cleaned.append(handle)
        return sorted(set(cleaned))


def own_account_key(author: str) -> str:
    """How an author is compared with [brand] own_accounts: trimmed, lower case, no leading '@'."""
    return author.strip().lower().lstrip("@")


class OverviewSettings(_Section):
    # Seconds between refreshes of the executive overview (its "as of" time says when).
    refresh_s: float = Field(60.0, ge=5, le=3600)


class AccessSettings(_Section):
    """Roles for people who sign in, by e-mail address or by @domain."""

    roles: dict[str, PersonRole] = {}
    # A signed-in address that `roles` does not name gets this role; "" refuses it.
    default_role: PersonRole | Literal[""] = ""
    # Who may read internal (Slack) messages' text; everyone else sees aggregates.
    internal_text_roles: list[PersonRole] = ["lead", "admin"]
    # Local mode (no [auth] in .streamlit/secrets.toml): the role of the person at this machine.
    local_role: PersonRole = "admin"
    # Identity providers ([auth.NAME] names; "default" for a plain [auth]) whose ID
    # tokens carry no email_verified claim although they verify every address.
    # From any other provider, an address without email_verified = true is refused.
    email_verified_optional: list[str] = []

    @field_validator("roles")
    @classmethod
    def _addresses(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned = {}
        for key, role in value.items():
            address = key.strip().lower()
            local, at, domain = address.rpartition("@")
            if not at or not domain or "." not in domain or " " in address:
                raise ValueError(f"{key!r} is neither an e-mail address nor an @domain")
            cleaned[address] = role
        return cleaned


class Settings(_Section):
    app: AppSettings = AppSettings()
    store: StoreSettings = StoreSettings()
    runner: RunnerSettings = RunnerSettings()
    sources: SourcesSettings = SourcesSettings()
    sentiment: SentimentSettings = SentimentSettings()
    detection: DetectionSettings = DetectionSettings()
    notify: NotifySettings = NotifySettings()
    delivery: DeliverySettings = DeliverySettings()
    publishing: PublishingSettings = PublishingSettings()
    drill: DrillSettings = DrillSettings()
    wall: WallSettings = WallSettings()
    overview: OverviewSettings = OverviewSettings()
    brand: BrandSettings = BrandSettings()
    access: AccessSettings = AccessSettings()

    @property
    def data_dir(self) -> Path:
        return self.app.data_dir if self.app.data_dir.is_absolute() else ROOT / self.app.data_dir

    @property
    def scenario_path(self) -> Path:
        path = self.drill.scenario
        return path if path.is_absolute() else ROOT / path

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.app.timezone)

    @property
    def is_drill(self) -> bool:
        return self.app.mode == "drill"

    @property
    def auto_hold_applies(self) -> bool:
        """Whether the publisher holds posts that fall due while the level is CRISIS."""
        mode = self.publishing.auto_hold_in_crisis
        return mode == "always" or (mode == "drill" and self.is_drill)
