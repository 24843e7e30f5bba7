"""The replay source: plays a scenario file as if it were live.

A scenario is JSONL, one object per line (format in scenarios/README.md).
Each line's `offset` is seconds from the moment the drill starts; lines with
a negative offset are the backfilled past (several hours of calm). A line
appears at t0 + offset / speed and carries that moment as its time, so the
whole scenario keeps its shape at any speed.

The cursor is the drill's start time and the index of the next line, so a
restarted runner resumes the same drill where it stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Callable, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from model.message import Message
from monitors.base import PollResult, SourceStopped


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioHeader(_Line):
    kind: Literal["scenario"]
    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str = ""
    fictional: bool
    # For benches and tests: is this a crisis, when does it begin, which shape (scenarios/library.py).
    crisis: bool | None = None
    onset: float | None = None
    shape: str = ""
    # The fictional company's own accounts: during the drill the wall keeps their posts out of the
    # widest-reaching negative posts, as [brand] own_accounts does for the real company.
    own_accounts: list[str] = []


class ScenarioMessage(_Line):
    kind: Literal["message"] = "message"
    offset: float
    source: str = Field(min_length=1, max_length=32)
    channel: str = Field("", max_length=200)
    author: str = Field("", max_length=200)
    reach: int = Field(0, ge=0)
    text: str = Field(min_length=1)
    lang: str = Field("en", max_length=16)
    url: str = ""
    # The label the scenario's author meant (generated scenarios); the drill ignores it.
    label: Literal["negative", "neutral", "positive"] | None = None


class ScenarioPost(_Line):
    """A post the company scheduled before the crisis (due at t0 + offset / speed)."""

    kind: Literal["scheduled_post"]
    offset: float
    channel: Literal["x", "slack"]
    author: str = Field(min_length=1)
    text: str = Field(min_length=1)
    link: str = ""


class ScenarioMarker(_Line):
    """A named moment, such as the crisis onset, for benchmarks and drills."""

    kind: Literal["marker"]
    offset: float
    name: str = Field(min_length=1)


_Entry = TypeAdapter(Annotated[Union[ScenarioMessage, ScenarioPost, ScenarioMarker], Field(discriminator="kind")])


class ScenarioError(SourceStopped):
    """A scenario file that cannot be played; names the file and line."""


@dataclass(frozen=True)
class Scenario:
    path: Path
    header: ScenarioHeader
    messages: list[tuple[int, ScenarioMessage]]  # (line number, message), by offset
    posts: list[ScenarioPost]
    markers: dict[str, float]


def load_scenario(path: Path) -> Scenario:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    header: ScenarioHeader | None = None
    messages: list[tuple[int, ScenarioMessage]] = []
    posts: list[ScenarioPost] = []
    markers: dict[str, float] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(raw, dict):
            raise ScenarioError(f"{where}: expected a JSON object, got {type(raw).__name__}")
        try:
            if header is None:
                header = ScenarioHeader.model_validate(raw)
                continue
            entry = _Entry.validate_python({"kind": "message", **raw})
        except ValidationError as exc:
            raise ScenarioError(f"{where}: {_first_problem(exc)}") from None
        if isinstance(entry, ScenarioMessage):
            messages.append((number, entry))
        elif isinstance(entry, ScenarioPost):
            posts.append(entry)
        else:
            markers[entry.name] = entry.offset
    if header is None:
        raise ScenarioError(f"{path}: empty; the first line must be the scenario header")
    messages.sort(key=lambda item: item[1].offset)
    return Scenario(path, header, messages, posts, markers)


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"] if p not in ("message", "scheduled_post", "marker"))
    msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
    got = f" (got {err['input']!r})" if err["type"] not in ("missing", "extra_forbidden") else ""
    return f"{key or 'line'}: {msg}{got}"


def read_header(path: Path) -> ScenarioHeader | None:
    """The scenario's header alone (for banners), or None if it is unreadable."""
    try:
        with path.open(encoding="utf-8") as fh:
            return ScenarioHeader.model_validate(json.loads(fh.readline()))
    except (OSError, ValueError):
        return None


class ReplayMonitor:
    """A Monitor that plays one scenario file."""

    name = "drill"

    def __init__(
        self, path: Path, *, speed: float = 1.0, interval_s: float = 5.0, clock: Callable[[], float] | None = None
    ) -> None:
        import time

        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.path = Path(path)
        self.speed = speed
        self.interval_s = interval_s
        self.clock = clock or time.time
        self._scenario: Scenario | None = None

    @property
    def scenario(self) -> Scenario:
        if self._scenario is None:
            self._scenario = load_scenario(self.path)
        return self._scenario

    def at(self, t0: float, offset: float) -> float:
        return t0 + offset / self.speed

    def poll(self, cursor: str | None) -> PollResult:
        scenario = self.scenario  # a bad file raises ScenarioError here: the source stops
        now = self.clock()
        t0, position = _parse_cursor(cursor, default_t0=now)
        first_poll = position == 0  # the drill's posts are scheduled when it starts
        out: list[Message] = []
        while position < len(scenario.messages):
            number, item = scenario.messages[position]
            when = self.at(t0, item.offset)
            if when > now:
                break
            out.append(
                Message(
                    source=item.source,
                    external_id=f"{scenario.header.name}:{number}",
                    created_at=datetime.fromtimestamp(when, tz=timezone.utc),
                    text=item.text,
                    channel=item.channel,
                    author=item.author,
                    reach=item.reach,
                    lang=item.lang,
                    url=item.url,
                )
            )
            position += 1
        posts = self._posts(scenario, t0) if first_poll else []
        return PollResult(out, json.dumps({"t0": t0, "next": position}), posts)

    def _posts(self, scenario: Scenario, t0: float) -> list:
        """The scenario's scheduled posts, timed for this drill (first poll only)."""
        from publishing.posts import NewPost

        return [
            NewPost(
                channel=post.channel,
                text=post.text,
                author=post.author,
                link=post.link,
                target="#general" if post.channel == "slack" else "",
                scheduled_at=datetime.fromtimestamp(self.at(t0, post.offset), tz=timezone.utc),
                origin="drill",
                origin_key=f"{scenario.header.name}:{int(t0)}:post{i}",
            )
            for i, post in enumerate(scenario.posts)
        ]

    def finished(self, cursor: str | None) -> bool:
        return _parse_cursor(cursor, default_t0=0.0)[1] >= len(self.scenario.messages)


def drill_cursor(t0: float) -> str:
    """The cursor of a drill that started (or starts) at t0, nothing played yet."""
    return json.dumps({"t0": t0, "next": 0})


def _parse_cursor(cursor: str | None, default_t0: float) -> tuple[float, int]:
    if not cursor:
        return default_t0, 0
    try:
        state = json.loads(cursor)
        return float(state["t0"]), int(state["next"])
    except (ValueError, KeyError, TypeError):
        raise SourceStopped(f"drill cursor is unreadable ({cursor[:80]!r}); restart the drill") from None
