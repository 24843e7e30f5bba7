"""Paging the person on duty, acknowledgement, and escalation.

A level raise is paged to the first person on duty (incidents.team roster)
through the on_duty route, with a signed acknowledge link to the dashboard.
Nobody acknowledges within `ack_s`: it escalates to the next person in the
roster, then to the crisis lead; after the lead it is marked unanswered.
Each page, escalation and acknowledgement is a duty_pages row and an audit
log entry, and shows on the Crisis level page.

The link is signed (itsdangerous, a key from secrets or made once in the
data directory) and names the alert and the person paged; opening it
records the acknowledgement for that person, or for whoever is signed in.
"""

from __future__ import annotations

import os
import secrets as random_source
import time
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from store.audit import record
from store.connection import write
from store.schema import alerts, duty_pages, team_members

tm, dp = team_members.c, duty_pages.c
PAGE_WINDOW_S = 3600.0  # level raises older than this when first seen are not paged
SALT = "crisisdesk.ack"


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    role: str
    contact: str


def member(db: sa.Engine, member_id: int) -> Member | None:
    with db.connect() as conn:
        row = conn.execute(sa.select(tm.id, tm.name, tm.role, tm.contact).where(tm.id == member_id)).first()
    return Member(row.id, row.name, row.role, row.contact or "") if row else None


def chain(db: sa.Engine) -> list[Member]:
    """Who is paged, in order: the first person on duty, the next person in the roster, then the crisis lead."""
    with db.connect() as conn:
        rows = conn.execute(sa.select(tm.id, tm.name, tm.role, tm.contact, tm.on_duty).order_by(tm.id)).all()
    people = [Member(r.id, r.name, r.role, r.contact or "") for r in rows]
    duty = [p for r, p in zip(rows, people) if r.on_duty and p.role != "lead"] or [
        p for r, p in zip(rows, people) if r.on_duty
    ]
    leads = [p for r, p in zip(rows, people) if p.role == "lead"]
    lead = next((p for r, p in zip(rows, people) if p.role == "lead" and r.on_duty), leads[0] if leads else None)
    out: list[Member] = []
    if duty:
        out.append(duty[0])
        others = [p for p in people if p.role != "lead" and p.id != duty[0].id]
        after = [p for p in others if p.id > duty[0].id] + [p for p in others if p.id < duty[0].id]
        if after:
            out.append(after[0])
    if lead and lead not in out:
        out.append(lead)
    return out


class Escalation:
    def __init__(
        self, db: sa.Engine, routes: list[str], *, ack_s: float = 600.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.db, self.routes, self.ack_s, self.clock = db, routes, ack_s, clock

    def run_once(self) -> int:
        """Page new level raises, escalate unanswered pages; returns how many pages went out."""
        now = self.clock()
        paged = 0
        with self.db.connect() as conn:
            raises = (
                conn.execute(
                    sa.select(alerts.c.id)
                    .where(
                        alerts.c.kind == "level",
                        alerts.c.suppressed.is_(False),
                        alerts.c.at >= now - PAGE_WINDOW_S,
                        alerts.c.new_level > sa.func.coalesce(alerts.c.old_level, 0),
                        ~sa.exists().where(dp.alert_id == alerts.c.id),
                    )
                    .order_by(alerts.c.id)
                )
                .scalars()
                .all()
            )
            overdue = conn.execute(
                sa.select(dp.id, dp.alert_id, dp.step, dp.member_name).where(dp.status == "waiting", dp.due_at <= now)
            ).all()
        for alert_id in raises:
            paged += self._page(alert_id, 0, now)
        for page in overdue:
            with write(self.db) as conn:
                done = conn.execute(
                    duty_pages.update().where(dp.id == page.id, dp.status == "waiting").values(status="escalated")
                ).rowcount
                if done:
                    record(
                        conn,
                        "crisis desk",
                        "alert.escalate",
                        now,
                        f"alert:{page.alert_id}",
                        f"{page.member_name} did not acknowledge in {self.ack_s / 60:g} min",
                        step=page.step,
                    )
            if done:
                paged += self._page(page.alert_id, page.step + 1, now)
        return paged

    def _page(self, alert_id: int, step: int, now: float) -> int:
        people = chain(self.db)
        if step >= len(people):
            with write(self.db) as conn:
                record(
                    conn,
                    "crisis desk",
                    "alert.unanswered",
                    now,
                    f"alert:{alert_id}",
                    "nobody acknowledged; no one left to page" if people else "nobody on duty and no crisis lead",
                    step=step,
                )
            return 0
        person = people[step]
        from delivery.router import add_deliveries

        try:
            with write(self.db) as conn:
                conn.execute(
                    duty_pages.insert().values(
                        alert_id=alert_id,
                        step=step,
                        member_id=person.id,
                        member_name=person.name,
                        paged_at=now,
                        due_at=now + self.ack_s,
                        status="waiting",
                    )
                )
                what = "on duty" if step == 0 else ("crisis lead" if person.role == "lead" else "next in the roster")
                record(
                    conn,
                    "crisis desk",
                    "alert.page",
                    now,
                    f"alert:{alert_id}",
                    f"{person.name} ({what})",
                    step=step,
                    member=person.id,
                )
        except sa.exc.IntegrityError:  # another runner paged this step
            return 0
        add_deliveries(
            self.db,
            [
                {
                    "alert_id": alert_id,
                    "audience": "on_duty",
                    "channel": entry,
                    "recipient": f"member:{person.id}",
                    "created_at": now,
                }
                for entry in self.routes
            ],
        )
        return 1


def acknowledge(db: sa.Engine, alert_id: int, who: str, now: float, via: str = "page") -> bool:
    """Record that `who` has the alert in hand: every page of it stops escalating. False when none was waiting."""
    with write(db) as conn:
        done = conn.execute(
            duty_pages.update()
            .where(dp.alert_id == alert_id, dp.status == "waiting")
            .values(status="acknowledged", acked_at=now, acked_by=who)
        ).rowcount
        if done:
            record(conn, who, "alert.ack", now, f"alert:{alert_id}", f"acknowledged ({via})")
    return bool(done)


def pages(db: sa.Engine, limit: int = 50) -> pd.DataFrame:
    """Every page, newest alert first: who was paged when, and what became of it."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(dp.alert_id, dp.step, dp.member_name, dp.paged_at, dp.due_at, dp.status, dp.acked_at, dp.acked_by)
            .order_by(dp.alert_id.desc(), dp.step)
            .limit(limit)
        ).all()
    return pd.DataFrame(
        rows, columns=["alert", "step", "paged", "paged_at", "due_at", "status", "acked_at", "acked_by"]
    )


class AckSigner:
    """Signed acknowledge links: the alert and the person paged, valid for `max_age_s`."""

    def __init__(self, key: str, base_url: str, max_age_s: float = 86400.0) -> None:
        self.serializer = URLSafeTimedSerializer(key, salt=SALT)
        self.base_url, self.max_age_s = base_url.rstrip("/"), max_age_s

    @classmethod
    def from_settings(cls, settings) -> AckSigner:
        return cls(ack_key(settings), settings.delivery.base_url, settings.delivery.ack_link_h * 3600)

    def token(self, alert_id: int, member_id: int) -> str:
        return self.serializer.dumps({"a": alert_id, "m": member_id})

    def link(self, alert_id: int, member_id: int) -> str:
        return f"{self.base_url}/crisis?ack={self.token(alert_id, member_id)}"

    def verify(self, token: str) -> tuple[int, int]:
        """(alert id, member id), or ValueError naming what is wrong with the link."""
        try:
            data = self.serializer.loads(token, max_age=round(self.max_age_s))  # whole seconds
        except SignatureExpired:
            raise ValueError("this acknowledge link has expired; acknowledge on the Crisis level page") from None
        except BadSignature:
            raise ValueError("this acknowledge link is not valid (altered, or from another Crisis Desk)") from None
        return int(data["a"]), int(data["m"])


def ack_key(settings) -> str:
    """From CRISISDESK_ACK_KEY or [delivery] ack_key in secrets, else made once in the data directory (owner only)."""
    from settings.secrets import secret

    configured = secret("CRISISDESK_ACK_KEY", "delivery", "ack_key")
    if configured:
        return configured
    path = settings.data_dir / "ack.key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(random_source.token_hex(32))
    return path.read_text().strip()
