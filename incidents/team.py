"""The crisis team: roles from the playbook, who is on duty (named in every
alert), the responsibility matrix, and rehearsals (drills)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from access.roles import Actor, Permission, require
from store.audit import record
from store.connection import write
from store.schema import drill_log, team_members

ROLES = {
    "lead": "leads the response",
    "monitor": "monitors",
    "analyst": "interprets",
    "spokesperson": "speaks externally",
    "internal_comms": "informs staff",
    "approver": "approves statements and answers",
}
tm = team_members.c


def add_member(db, name: str, role: str, contact: str, by: Actor, now: float, reports_to: int | None = None) -> int:
    require(by, Permission.MANAGE_TEAM)
    who = by.name
    if role not in ROLES:
        raise ValueError(f"role must be one of {list(ROLES)}, got {role!r}")
    if not name.strip():
        raise ValueError("a team member needs a name")
    with write(db) as conn:
        new_id = conn.execute(
            team_members.insert()
            .values(name=name.strip(), role=role, contact=contact, reports_to=reports_to, updated_at=now)
            .returning(tm.id)
        ).scalar_one()
        record(conn, who, "team.add", now, f"member:{new_id}", "", name=name, role=role)
    return new_id


def set_on_duty(db, member_id: int, on_duty: bool, by: Actor, now: float) -> None:
    require(by, Permission.MANAGE_TEAM)
    who = by.name
    with write(db) as conn:
        conn.execute(team_members.update().where(tm.id == member_id).values(on_duty=on_duty, updated_at=now))
        record(conn, who, "team.on_duty" if on_duty else "team.off_duty", now, f"member:{member_id}")


def roster(db: sa.Engine) -> pd.DataFrame:
    with db.connect() as conn:
        return pd.DataFrame(
            conn.execute(sa.select(team_members).order_by(tm.role, tm.name)).all(),
            columns=[c.name for c in team_members.columns],
        )


def on_duty(db: sa.Engine) -> list[str]:
    """'Name (role)' for everyone on duty, lead first."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(tm.name, tm.role).where(tm.on_duty.is_(True)).order_by(tm.role != "lead", tm.name)
        ).all()
    return [f"{name} ({role.replace('_', ' ')})" for name, role in rows]


def matrix(team: pd.DataFrame) -> pd.DataFrame:
    """Who monitors, interprets, speaks, informs staff, approves, leads; and reports to whom."""
    names = dict(zip(team["id"], team["name"]))
    rows = []
    for role, duty in ROLES.items():
        members = team[team["role"] == role]
        rows.append(
            {
                "responsibility": f"Who {duty}",
                "people": ", ".join(
                    f"{n}{' (on duty)' if d else ''}" for n, d in zip(members["name"], members["on_duty"])
                )
                or "nobody: assign someone before the crisis",
            }
        )
    for member in team.itertuples():
        if member.reports_to and member.reports_to in names:
            rows.append({"responsibility": f"{member.name} reports to", "people": names[member.reports_to]})
    return pd.DataFrame(rows)


def log_drill(db, who: str, scenario: str, start_offset_s: float, now: float) -> None:
    with write(db) as conn:
        conn.execute(drill_log.insert().values(at=now, who=who, scenario=scenario, start_offset_s=start_offset_s))
        record(conn, who, "drill.start", now, scenario, "", start_offset_s=start_offset_s)


def drills(db: sa.Engine, limit: int = 20) -> pd.DataFrame:
    d = drill_log.c
    with db.connect() as conn:
        return pd.DataFrame(
            conn.execute(sa.select(d.at, d.who, d.scenario, d.start_offset_s).order_by(d.id.desc()).limit(limit)).all(),
            columns=["at", "who", "scenario", "start_offset_s"],
        )
