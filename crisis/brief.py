"""The executive brief: how bad, better or worse, what is said, what the
team is doing. One object for the overview page and its downloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from crisis.detector import crisis_status
from crisis.headline import headline
from crisis.levels import LEVELS
from crisis.narrative_store import top_narratives
from crisis.narratives import story_line
from incidents.faq import status_line as faq_status
from publishing import pause
from safety.spreadsheet import write_rows
from safety.text import md_escape
from store import queries
from store.schema import triage

ARROWS = {1: "↑ worse", 0: "→ same", -1: "↓ better"}
DRILL_MARK = "DRILL - exercise data, not a real crisis"


def trend(now_level: int, then_level: int) -> str:
    return ARROWS[(now_level > then_level) - (now_level < then_level)]


@dataclass
class Brief:
    at: float
    zone: str
    level: str
    level_1h: str
    level_24h: str
    summary: str  # the detector's one line (for the crisis team)
    messages_1h: int
    messages_prev_1h: int
    negative_share_1h: float | None
    expected_per_hour: float | None
    expected_negative_share: float | None
    negative_reach_24h: int
    narratives: list[dict] = field(default_factory=list)  # crisis.narrative_store.top_narratives
    sources_24h: list[tuple[str, int, int]] = field(default_factory=list)  # source, messages, negative
    posts: dict[str, int] = field(default_factory=dict)
    paused: bool = False
    pause_reason: str = ""
    alerts_sent_24h: int = 0
    triaged_24h: int = 0
    hours: pd.DataFrame = field(default_factory=pd.DataFrame)  # messages and negative per hour, last 24 h
    faq: dict | None = None  # the active incident's FAQ status
    surge: dict | None = None  # a volume surge whose negative share is not up (crisis/explain.py)
    headline: str = ""  # the level in one plain sentence (crisis.headline), for executives
    top_posts: list[dict] = field(default_factory=list)  # widest-reaching negative outside posts, last hour
    drill: bool = False  # drill data: every export says so, first
    drill_title: str = ""  # the scenario's title

    @property
    def drill_line(self) -> str:
        """'DRILL - exercise data, not a real crisis (scenario: ...)', or '' for real data."""
        if not self.drill:
            return ""
        return DRILL_MARK + (f" (scenario: {self.drill_title})" if self.drill_title else "")

    NARRATIVE_COLUMNS = ("what people are saying", "posts", "negative", "reach", "first seen", "growth")

    def narrative_rows(self) -> list[list[object]]:
        """The narratives as the exports' table rows (NARRATIVE_COLUMNS), texts as stored: each export escapes."""
        return [
            [
                s["text"],
                s["posts"],
                f"{s['negative_share']:.0%}",
                f"{s['reach']:,}",
                self.local(s["first_seen"]),
                s["growth"],
            ]
            for s in self.narratives
        ]

    def local(self, epoch_s: float, fmt: str = "%H:%M") -> str:
        return datetime.fromtimestamp(epoch_s, tz=timezone.utc).astimezone(ZoneInfo(self.zone)).strftime(fmt)

    @property
    def title(self) -> str:
        """'Crisis brief, 2026-11-23 09:30 (Europe/Amsterdam)', 'DRILL - ...' first for drill data."""
        when = self.local(self.at, "%Y-%m-%d %H:%M")
        return ("DRILL - " if self.drill else "") + f"Crisis brief, {when} ({self.zone})"

    @property
    def trend_1h(self) -> str:
        return trend(LEVELS.index(self.level), LEVELS.index(self.level_1h))

    @property
    def trend_24h(self) -> str:
        return trend(LEVELS.index(self.level), LEVELS.index(self.level_24h))

    def rows(self) -> list[tuple[str, str]]:
        share = "–" if self.negative_share_1h is None else f"{self.negative_share_1h:.0%}"
        normal = "" if self.expected_negative_share is None else f" (normal {self.expected_negative_share:.0%})"
        expected = "" if self.expected_per_hour is None else f" (normal about {self.expected_per_hour:,.0f})"
        rows = [
            ("Crisis level", f"{self.level} ({self.trend_1h} than 1 h ago, {self.trend_24h} than 24 h ago)"),
            ("Messages, last hour", f"{self.messages_1h:,}{expected}; hour before: {self.messages_prev_1h:,}"),
            ("Negative share, last hour", share + normal),
            ("Reach of negative posts, last 24 h", f"{self.negative_reach_24h:,}"),
            *self._narrative_rows(),
            *self._top_post_rows(),
            ("By source, last 24 h", ", ".join(f"{s} {m:,} ({n:,} negative)" for s, m, n in self.sources_24h) or "–"),
            *self.team_rows(),
        ]
        return rows

    def team_rows(self) -> list[tuple[str, str]]:
        """What the team is doing."""
        return [
            ("Crisis FAQ", self._faq_line()),
            ("Scheduled posts", ", ".join(f"{n} {s}" for s, n in sorted(self.posts.items())) or "none"),
            ("Publishing", f"ALL PAUSED: {self.pause_reason}" if self.paused else "running"),
            ("Alerts sent to Slack, last 24 h", str(self.alerts_sent_24h)),
            ("Mentions triaged, last 24 h", str(self.triaged_24h)),
        ]

    def _narrative_rows(self) -> list[tuple[str, str]]:
        if not self.narratives:
            return [("Top narratives, last 3 h", "none stand out")]
        return [
            (
                f"Narrative {i}",
                f"{story_line(story, 160)}, {story['reach']:,} reach, first seen "
                f"{self.local(story['first_seen'])}"
                f", {story['growth']}",
            )
            for i, story in enumerate(self.narratives, 1)
        ]

    def _top_post_rows(self) -> list[tuple[str, str]]:
        return [(f"Top negative post {i}", post_line(post)) for i, post in enumerate(self.top_posts, 1)]

    def _faq_line(self) -> str:
        if not self.faq:
            return "no active incident"
        updated = self.local(self.faq["updated_at"])
        return (
            f"{self.faq['name']}: {self.faq['approved']} approved answers, {self.faq['draft']} drafts, "
            f"{self.faq['facts']} facts; updated {updated}"
        )

    def to_markdown(self) -> str:
        lines = [f"# {_md_cell(self.title)}", ""]
        if self.drill:
            lines += [f"**{_md_cell(self.drill_line)}**", ""]
        lines += [f"**{_md_cell(self.headline or self.summary)}**", ""]
        lines += ["| | |", "| --- | --- |"]
        lines += [f"| {_md_cell(k)} | {_md_cell(v)} |" for k, v in self.rows()]
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        """Every field quoted and every text neutralised (a narrative term or a
        pause reason can start like a formula)."""
        generated = datetime.fromtimestamp(self.at, tz=timezone.utc).isoformat()
        drill = [("DRILL", self.drill_line)] if self.drill else []
        rows = [*drill, ("generated_at_utc", generated), ("Summary", self.headline or self.summary), *self.rows()]
        return write_rows([("item", "value"), *rows])


def post_line(post: dict, width: int = 280) -> str:
    """'@mira_secures on x, 84,000 reach: "..."' (outside text: escape it where it goes)."""
    text = " ".join(str(post["text"]).split())
    text = text if len(text) <= width else text[: width - 1].rstrip() + "…"
    return f'{post["author"] or "someone"} on {post["source"]}, {int(post["reach"]):,} reach: "{text}"'


def _md_cell(text: str) -> str:
    # Terms come from outside: no Markdown may survive into the brief, and a cell is one line.
    return md_escape(text, None)


def build_brief(db: sa.Engine, now: float, zone: str, *, drill: bool = False, drill_title: str = "") -> Brief:
    status = crisis_status(db)
    data = status["explanation"] or {}
    total = data.get("total") or {}
    now_i = int(now)
    hour = queries.share_of(db, now_i - 3600, now_i + 1)
    prev = queries.share_of(db, now_i - 7200, now_i - 3600)
    switch = pause.state(db)
    with db.connect() as conn:
        triaged = conn.execute(sa.select(sa.func.count()).where(triage.c.at >= now - 86400)).scalar()
    by_source = queries.volume_by_source(db, now_i - 86400, now_i + 1)
    return Brief(
        at=now,
        zone=zone,
        level=status["level"],
        level_1h=LEVELS[queries.level_at(db, now - 3600)],
        level_24h=LEVELS[queries.level_at(db, now - 86400)],
        summary=status["summary"],
        messages_1h=hour[1],
        messages_prev_1h=prev[1],
        negative_share_1h=hour[0] / hour[1] if hour[1] else None,
        expected_per_hour=total["expected"] / total["window_minutes"] * 60 if total.get("window_minutes") else None,
        expected_negative_share=total.get("expected_negative_share"),
        negative_reach_24h=queries.negative_reach(db, now_i - 86400, now_i + 1),
        narratives=top_narratives(db, now, limit=5),
        sources_24h=[(r["source"], int(r["messages"]), int(r["negative"])) for r in by_source.to_dict("records")],
        posts=queries.posts_by_status(db),
        paused=switch.paused,
        pause_reason=switch.reason or "",
        alerts_sent_24h=queries.alerts_sent(db, now - 86400),
        triaged_24h=int(triaged or 0),
        hours=queries.volume_by_hour(db, now_i - 24 * 3600, now_i + 1),
        faq=faq_status(db),
        surge=data.get("surge"),
        headline=headline(data),
        top_posts=queries.top_negative(db, now_i - 3600, now_i + 1, 5).to_dict("records"),
        drill=drill,
        drill_title=drill_title,
    )
