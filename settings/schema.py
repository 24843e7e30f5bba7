"""The shape of config.toml. Every key is documented in config.toml itself."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from access.roles import PERSON_ROLES

ROOT = Path(__file__).resolve().parent.parent
PersonRole = Literal[PERSON_ROLES]  # access.roles: the roles config.toml may give a person


class _Section(BaseModel):
    # A misspelt key is an error, not a silently ignored line.
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppSettings(_Section):
    title: str = Field("Crisis Desk", min_length=1)
    timezone: str = "UTC"
    mode: Literal["drill", "live"] = "drill"
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


SentimentLabel = Literal["negative", "neutral", "positive"]


class SentimentSettings(_Section):
    engine: Literal["auto", "transformer", "minilm", "vader"] = "auto"
    model: str = "cardiffnlp/twitter-roberta-base-sentiment-latest"
    revision: str = ""
    download: bool = False
    device: str = ""
    batch_size: int = Field(32, ge=1, le=4096)
    max_length: int = Field(128, ge=8, le=4096)
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

    @model_validator(mode="after")
    def _query_when_enabled(self):
        if self.enabled and not self.query.strip():
            raise ValueError("query: set a search query, e.g. 'yourbrand OR @yourbrand -is:retweet'")
        return self


class SlackSource(_Section):
    enabled: bool = False
    channels: list[str] = []
    interval_s: float = Field(60, ge=5)
    thread_window_h: float = Field(24, gt=0)
    base_url: str = "https://slack.com/api/"

    @model_validator(mode="after")
    def _channels_when_enabled(self):
        if self.enabled and not self.channels:
            raise ValueError('channels: name at least one channel, e.g. ["general"]')
        return self


class FeedSource(_Section):
    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")
    url: str = Field(pattern=r"^https?://")
    reach: int = Field(0, ge=0)
    interval_s: float = Field(300, ge=30)


class SourcesSettings(_Section):
    x: XSource = XSource()
    slack: SlackSource = SlackSource()
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


class PublishingSettings(_Section):
    review_days: float = Field(7, gt=0, le=90)
    max_lateness_min: float = Field(10, gt=0)
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


class AccessSettings(_Section):
    """Roles for people who sign in, by e-mail address or by @domain."""

    roles: dict[str, PersonRole] = {}
    # A signed-in address that `roles` does not name gets this role; "" refuses it.
    default_role: PersonRole | Literal[""] = ""
    # Who may read internal (Slack) messages' text; everyone else sees aggregates.
    internal_text_roles: list[PersonRole] = ["lead", "admin"]
    # Local mode (no [auth] in .streamlit/secrets.toml): the role of the person at this machine.
    local_role: PersonRole = "admin"

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
    publishing: PublishingSettings = PublishingSettings()
    drill: DrillSettings = DrillSettings()
    wall: WallSettings = WallSettings()
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
